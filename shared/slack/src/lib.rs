//! Slack protocol for Switchboard.
//!
//! * [`verify`]: the `v0` request signature, checked on raw bytes in constant time.
//! * [`payload`]: typed events, slash commands and interactions.
//! * [`tenant`]: which tenant a payload belongs to (Bolt's precedence).
//! * [`web`]: the Web API client and `response_url` replies.
//! * [`oauth`]: the OAuth v2 client (code exchange, token refresh).
//!
//! Contract: `../shared/reference/slack.md`.

pub mod oauth;
pub mod payload;
pub mod tenant;
pub mod verify;
pub mod web;

pub use oauth::{AuthedUser, EnterpriseRef, IncomingWebhook, OAuthAccess, OAuthClient, TeamRef};
pub use payload::{
    Authorization, Event, EventCallback, EventsRequest, FormRequest, Interaction, InteractionKind,
    PayloadError, SlashCommand, parse_events_body, parse_form_body,
};
pub use tenant::InstallContext;
pub use verify::{MAX_SKEW_SECS, Verifier, VerifyError};
pub use web::{
    AuthError, AuthTest, Message, MessageMetadata, Posted, ResponseMessage, ResponseType,
    SlackApiError, WebApi,
};
