//! A user's program: an application with reqwest's default features and a
//! crate that relies on rustls's process-wide default provider, beside
//! codat-connections as crates.io ships it. `cargo xtask package` builds it
//! with each TLS feature and checks how it ends.

fn main() {
    // What many client crates do: take the provider rustls's features
    // imply. It panics when rustls has more than one provider compiled in.
    let _config = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    // The application's own HTTP client, on reqwest's defaults.
    let _application = reqwest::Client::new();
    // And this crate's client, with the provider its feature chose.
    let client = codat_connections::Client::builder("consumer-key")
        .build()
        .unwrap_or_else(|e| panic!("the client does not build: {e}"));
    let document = codat_connections::CODAT_DOCUMENT;
    println!(
        "rustls's process default provider works beside {client:?}, generated from Codat's \
         document {} (commit {})",
        document.info_version,
        document.commit.unwrap_or("unknown"),
    );
}
