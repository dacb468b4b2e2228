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

/// A plain-HTTP client with a timeout (`fakes::http` installs ring first).
pub fn client() -> reqwest::Client {
    fakes::http::client_builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}
