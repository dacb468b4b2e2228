//! The Switchboard test kit (`testkit`): what end-to-end and handler tests share.
//!
//! * [`fake_slack`]: a fake Slack Web API and response_url endpoint on 127.0.0.1 that records
//!   every call and can be told to fail.
//! * [`signer`]: signs request bodies the way Slack does.
//! * [`payloads`]: realistic Slack request bodies (slash commands, events, interactions).

pub mod fake_slack;
pub mod payloads;
pub mod signer;

pub use fake_slack::{
    AUTHORIZE, BotIdentity, Failure, FakeSlack, OAuthSettings, RESPONSE_URL, RecordedCall,
};
