//! One rustls client configuration per process, for every reqwest client Switchboard builds
//! (the Slack Web API, Fathom, the AI, Google and the CRMs).
//!
//! Left to itself, each `reqwest::Client` builds its own platform verifier, and on Linux that
//! reads and parses every trust root of the system (here 292 files under `/etc/ssl/certs` and
//! the bundle) each time. The worker and the options function build eight or nine clients at
//! init, so that was most of their cold start (options: 63 ms, docs/performance.md). Here the
//! verifier is built once, on `ring` (the one crypto library the Lambda packages link), and
//! every client gets a clone of the same configuration: the same verification reqwest's own
//! default does, once.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;

/// The shared configuration: TLS 1.2 and 1.3 on ring, certificates checked by the platform
/// verifier against the system's roots (read once, at the first call: a process that sets
/// `SSL_CERT_FILE` must do so before building its first client). No ALPN: every provider we
/// call speaks HTTP/1.1. `None` when the system's roots cannot be read at all.
pub fn client_config() -> Option<ClientConfig> {
    static CONFIG: OnceLock<Option<ClientConfig>> = OnceLock::new();
    CONFIG.get_or_init(build).clone()
}

/// A reqwest builder with [`client_config`] as its TLS, or reqwest's own default (which then
/// reports the same missing roots itself) when there is none.
pub fn client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match client_config() {
        Some(config) => builder.tls_backend_preconfigured(config),
        None => builder,
    }
}

fn build() -> Option<ClientConfig> {
    let provider = Arc::new(ring_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).ok()?;
    Some(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous() // not dangerous: the platform verifier is reqwest's own default
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
    )
}

/// ring, also installed as the process default so that any client built without this
/// configuration (a test's, a library's) finds the same provider.
fn ring_provider() -> CryptoProvider {
    let _ = rustls::crypto::ring::default_provider().install_default();
    rustls::crypto::ring::default_provider()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_shares_one_verifier() {
        let (a, b) = (client_config().unwrap(), client_config().unwrap());
        // Clones of one configuration: its provider and verifier (with the parsed roots) are
        // shared allocations, built once.
        assert!(Arc::ptr_eq(
            &a.crypto_provider().clone(),
            &b.crypto_provider().clone()
        ));
        assert!(a.alpn_protocols.is_empty());
        assert!(client_builder().build().is_ok());
    }
}
