//! The Switchboard test kit (`testkit`): what end-to-end and handler tests share.
//!
//! * [`fake_slack`]: a fake Slack Web API and response_url endpoint on 127.0.0.1 that records
//!   every call and can be told to fail. It lives in `fakes::slack` (the `switchboard demo`
//!   runs it too, and production code does not depend on this crate); re-exported here so
//!   tests keep their paths.
//! * [`signer`]: signs request bodies the way Slack does.
//! * [`payloads`]: realistic Slack request bodies (slash commands, events, interactions).

pub use fakes::http;
pub use fakes::slack as fake_slack;
pub mod payloads;
pub mod signer;

pub use fake_slack::{
    AUTHORIZE, BotIdentity, Failure, FakeSlack, OAuthSettings, RESPONSE_URL, RecordedCall,
};
