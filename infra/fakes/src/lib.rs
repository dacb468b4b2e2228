//! Local fake servers of Switchboard's providers, following the contracts in
//! `shared/reference/` (slack.md and slack-ui.md, fathom.md, anthropic.md):
//! [`slack::FakeSlack`], [`fathom::FakeFathom`] and [`anthropic::FakeAnthropic`].
//!
//! Each binds 127.0.0.1 on a free port, records every call it receives (refused ones too),
//! takes queued failures per endpoint, and
//! stops when its handle is dropped or on `stop()`. They are ordinary code with ordinary
//! dependencies: the tests use them, and so will `switchboard demo`, with the realistic
//! [`fathom::FathomData::sample`] data.

pub mod anthropic;
pub mod fathom;
mod server;
pub mod slack;
mod time;

pub use server::Running;
