//! The network outside the SDK: a port nothing listens on, and a plain HTTP
//! client for the requests the SDK never makes.

use std::time::Duration;

/// A port the operating system just released: nothing listens there.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A plain HTTP client, for requests the SDK never makes (hand-made ones
/// that break the contract). It gives up after 20 s: Prism never answers a
/// request whose JSON body is malformed.
pub fn plain_http() -> reqwest::Client {
    // This crate gives reqwest rustls without a built-in crypto provider (it
    // hands its own clients a ring configuration), so a plain reqwest client
    // needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("a plain client builds")
}
