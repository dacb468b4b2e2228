//! What the Switchboard functions share: the raw-request type, HTTP answers and the one mapping
//! from ingress errors to status codes, the injectable clock, and telemetry set-up.

pub mod clock;
pub mod connect_link;
pub mod http_io;
pub mod ingress;
pub mod lambda;
pub mod oauth_cookie;
pub mod pages;
pub mod refreshing;
pub mod secrets;
pub mod telemetry;
pub mod ui;
pub mod wiring;

pub use clock::Clock;
pub use http_io::{HttpRequest, HttpResponse};
pub use ingress::{IngressError, MAX_BODY_BYTES};
