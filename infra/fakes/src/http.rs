//! The plain-HTTP client that talks to the fakes and the app on 127.0.0.1: the production
//! clients' own TLS set-up (`tls`: ring, the system's roots read once), so that tests never
//! need reqwest's `rustls` feature, which would compile aws-lc (a minute of every cold build)
//! for clients that never speak TLS.

/// A client builder on the process's one TLS configuration.
pub fn client_builder() -> reqwest::ClientBuilder {
    tls::client_builder()
}

/// A default client (see [`client_builder`]).
pub fn client() -> reqwest::Client {
    client_builder()
        .build()
        .expect("a plain reqwest client builds")
}
