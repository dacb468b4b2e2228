//! Local fake servers of Switchboard's providers, following the contracts in
//! `shared/reference/` (slack.md and slack-ui.md, fathom.md, anthropic.md, fathom-google.md):
//! [`slack::FakeSlack`], [`fathom::FakeFathom`], [`anthropic::FakeAnthropic`] and
//! [`google::FakeGoogle`]; the CRMs' [`hubspot::FakeHubSpot`] (hubspot.md) and
//! [`pipedrive::FakePipedrive`] (pipedrive.md), [`crono::FakeCrono`] (crono.md) and
//! [`salesforce::FakeSalesforce`] (salesforce.md), whose call records
//! and failure queues are the shared [`script`].
//!
//! Each binds 127.0.0.1 on a free port, records every call it receives (refused ones too),
//! takes queued failures per endpoint, and stops when its handle is dropped or on `stop()`.
//! They are ordinary code with ordinary dependencies: the tests use them, and so does
//! `switchboard demo`, with the realistic [`fathom::FathomData::sample`] data.

pub mod anthropic;
pub mod crono;
pub mod fathom;
pub mod google;
pub mod http;
pub mod hubspot;
mod oauth_grants;
pub mod pipedrive;
pub mod salesforce;
pub mod script;
mod server;
pub mod slack;
mod time;

pub use server::Running;
