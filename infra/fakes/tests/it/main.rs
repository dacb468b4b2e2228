//! The fakes over plain HTTP, checked against the references' shapes (independently of the
//! connectors, whose tests use these fakes).

mod anthropic;
mod crm_oauth;
mod crono;
mod fathom;
mod google;
mod hubspot;
mod pipedrive;
mod salesforce;

/// A plain-HTTP client. The workspace's reqwest has no bundled TLS provider, so ring is
/// installed first, as the production clients do.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}
