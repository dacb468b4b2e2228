//! HTTP adapters for Switchboard's providers: the meeting recorder (Fathom), the AI
//! (Anthropic), the user's mailbox and calendar (Google), each behind a cargo feature so that
//! a function links only the providers it calls, over one [`http`] layer (the client,
//! timeouts, error classes, Retry-After, retries) and, for OAuth providers, one [`oauth2`]
//! client.
//!
//! The clients implement the `followup` ports (`Recorder` for Fathom, `Drafter` for
//! Anthropic, `Mailer` and `Calendar` for Google), mapping [`ConnectorError`] to
//! `followup::ProviderError`.
//!
//! Nothing here holds global state: every client is built from a config struct, and every
//! config is read through a lookup closure ([`config`]) so tests pass their own values.
//! Credentials travel only in headers marked sensitive; no error, log line or `Debug` output of
//! this crate carries a key, a token or a transcript.

pub mod config;
pub mod http;
mod ports;

#[cfg(feature = "anthropic")]
pub mod anthropic;
#[cfg(any(
    feature = "hubspot",
    feature = "pipedrive",
    feature = "salesforce",
    feature = "crono"
))]
// Salesforce alone uses only its HTTP half (no fixed API host to configure).
#[cfg_attr(
    not(any(feature = "hubspot", feature = "pipedrive", feature = "crono")),
    allow(dead_code)
)]
mod crm_http;
#[cfg(any(
    feature = "hubspot",
    feature = "pipedrive",
    feature = "salesforce",
    feature = "crono"
))]
mod crm_retry;
#[cfg(feature = "crms")]
pub mod crms;
#[cfg(feature = "crono")]
pub mod crono;
#[cfg(feature = "fathom")]
pub mod fathom;
#[cfg(feature = "google")]
pub mod google;
#[cfg(feature = "hubspot")]
pub mod hubspot;
#[cfg(any(feature = "hubspot", feature = "pipedrive", feature = "salesforce"))]
pub mod note_html;
#[cfg(feature = "oauth2")]
pub mod oauth2;
#[cfg(feature = "pipedrive")]
pub mod pipedrive;
#[cfg(feature = "salesforce")]
pub mod salesforce;

pub use config::ConfigError;
pub use http::{ConnectorError, HttpConfig, RetryPolicy, Unavailable};
