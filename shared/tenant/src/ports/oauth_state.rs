use async_trait::async_trait;

use super::StoreError;
use crate::credential::Provider;
use crate::ids::{TeamId, TenantId, UserId};

/// How long after `expires_at` adapters keep a used or expired state, in seconds: long enough
/// that a replay or a late redirect is answered `AlreadyUsed`/`Expired` rather than `Unknown`.
pub const STATE_GRACE_SECS: i64 = 3600;

/// What a state was issued for. A callback checks it: a state issued for one flow (or one
/// provider) is refused by every other, so a Slack install state cannot finish a Google
/// connection, nor a Fathom one a Google one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatePurpose {
    /// The Slack install (GET /slack/install → /slack/oauth_redirect), with the `?team=` hint
    /// it started with, if any.
    Install { team: Option<TeamId> },
    /// A Slack user connecting their own account at a provider (GET /connect/{provider} →
    /// its callback): the credential lands under exactly this tenant, user and provider, as
    /// the signed connect link named them, whatever the callback's query says.
    Connect {
        tenant: TenantId,
        user: UserId,
        provider: Provider,
    },
}

impl StatePurpose {
    /// An install without a team hint.
    pub const INSTALL: Self = Self::Install { team: None };

    /// The stable name adapters store (`install`, `connect`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Install { .. } => "install",
            Self::Connect { .. } => "connect",
        }
    }
}

/// What is stored with an OAuth `state` between the install page and the redirect back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthStateRecord {
    /// Hex SHA-256 of the browser cookie value the state was bound to: the redirect must carry
    /// a cookie that hashes to this, so a state lured into another browser is refused.
    pub cookie_hash: String,
    /// The flow the state belongs to, and what it is bound to. Adapters MUST return it as
    /// issued (every field), so a callback can rely on it.
    pub purpose: StatePurpose,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the state is refused from then on.
    pub expires_at: i64,
}

/// The answer of [`OAuthStates::consume`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateConsumed {
    /// First use before expiry: the record, now marked used.
    Valid(OAuthStateRecord),
    /// Issued but past `expires_at`.
    Expired,
    /// Issued and already consumed once (a replay).
    AlreadyUsed,
    /// Never issued here (or so old it was purged).
    Unknown,
    /// Issued, unused and unexpired, but bound to another browser's cookie: NOT consumed, so
    /// a state lured into someone else's browser stays usable by the browser it belongs to.
    WrongCookie,
}

/// Single-use OAuth states. Not tenant-scoped: the tenant is not known before the redirect.
///
/// Adapters store a state under a hash of its value (never the value itself), keep used and
/// expired records until a little after `expires_at` so that replays and expiry can be told
/// apart from unknown states, and then let them expire.
#[async_trait]
pub trait OAuthStates: Send + Sync {
    /// Stores a freshly generated state. Issuing a value that already exists MUST fail with
    /// [`StoreError::Corrupt`] (it means the random source is broken) and change nothing.
    async fn issue(&self, state: &str, record: &OAuthStateRecord) -> Result<(), StoreError>;

    /// Consumes `state` at unix time `now` for the browser whose cookie hashes to
    /// `cookie_hash`. The cookie is checked in the same atomic step as the state: a state whose
    /// record holds another cookie hash MUST come back `WrongCookie` and stay unconsumed. Of
    /// concurrent consumers of one valid state with its cookie exactly one gets `Valid`, the
    /// others `AlreadyUsed`. A replay is `AlreadyUsed` whatever the cookie and the time.
    async fn consume(
        &self,
        state: &str,
        cookie_hash: &str,
        now: i64,
    ) -> Result<StateConsumed, StoreError>;
}
