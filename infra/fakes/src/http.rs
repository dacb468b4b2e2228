//! The plain-HTTP client that talks to the fakes and the app on 127.0.0.1.
//!
//! The workspace's reqwest has no bundled TLS provider (the Lambda packages ship one crypto
//! library, `ring`), so every client is built after ring is installed as the process default,
//! as the production clients do. Tests use this instead of reqwest's own `rustls` feature,
//! which would compile aws-lc (a minute of every cold build) for clients that never speak TLS.

/// A client builder with ring installed as the process's TLS provider.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A default client (see [`client_builder`]).
pub fn client() -> reqwest::Client {
    client_builder()
        .build()
        .expect("a plain reqwest client builds")
}
