//! The TLS settings of the clients this crate builds: rustls with the crypto
//! provider the crate's features chose, handed over explicitly.
//!
//! rustls picks a process-wide default provider by itself only when exactly
//! one of its providers is compiled in. This crate never installs one and
//! never relies on one: it hands its provider to every configuration it
//! builds, so an application's own choice (or its crates' reliance on the
//! default) is left alone. Which provider it uses is a feature:
//! `rustls-ring` (the default) or `rustls-aws-lc-rs`; with both, aws-lc-rs,
//! which is what reqwest's own default features would choose.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

#[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs")))]
compile_error!(
    "codat-connections needs a TLS feature: enable `rustls-ring` (its default) or \
     `rustls-aws-lc-rs`, e.g. `codat-connections = { version = \"0.1\", \
     default-features = false, features = [\"rustls-aws-lc-rs\"] }`"
);

/// The provider the crate's features chose.
#[cfg(feature = "rustls-aws-lc-rs")]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The provider the crate's features chose.
#[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc-rs")))]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Without a TLS feature the `compile_error!` above stops the build; this
/// keeps that message the only one.
#[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs")))]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    unreachable!("the build stops at the compile_error! above")
}

/// The TLS settings of a client the SDK builds: the chosen provider, the
/// platform's certificate verifier (as reqwest's own default), and HTTP/2
/// offered through ALPN.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let verifier =
        rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| e.to_string())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Settings for plain-HTTP endpoints on the local machine (the mock's
/// webhook deliveries): no certificate is ever checked, but rustls still
/// needs a provider, handed over like the one above.
#[cfg(feature = "mock")]
pub(crate) fn loopback_config() -> Result<rustls::ClientConfig, String> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_the_one_the_features_chose() {
        // Each provider's random source is a type of its own, named in Debug.
        let expected = if cfg!(feature = "rustls-aws-lc-rs") {
            "AwsLcRs"
        } else {
            "Ring"
        };
        let chosen = format!("{:?}", provider().secure_random);
        assert_eq!(chosen, expected);
        let config = client_config().expect("the platform verifier loads");
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn no_process_default_provider_is_installed() {
        client_config().expect("the platform verifier loads");
        assert!(
            CryptoProvider::get_default().is_none(),
            "building the client's TLS settings installed a process-wide provider"
        );
    }
}
