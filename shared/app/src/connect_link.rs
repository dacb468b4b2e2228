//! Signed, short-lived connect links: how the app sends a Slack user to `/connect/{provider}`
//! so that the account they connect lands under exactly them.
//!
//! A link binds (tenant, Slack user, provider, expiry) with HMAC-SHA256 under a platform key
//! (`CONNECT_LINK_KEY` locally, the `ConnectLinkKey` app secret on AWS). The app only ever puts
//! a link where just that user sees it (their modal, an ephemeral answer, their DM), and it
//! lives [`LINK_TTL_SECS`]. The connect function verifies it before anything is stored, then
//! binds the OAuth state to what the link says and to the browser's cookie; the callback never
//! reads a tenant or a user from its own query.
//!
//! Token: `base64url(payload) "." base64url(mac)`, payload `v1.{tenant}.{user}.{provider}.
//! {expires_at}` (ids are alphanumeric, provider names snake_case, so `.` separates them), mac
//! = HMAC-SHA256(key, [`LABEL`] + payload). The MAC is checked (in constant time) before the
//! payload is read, as a Slack signature is before its body is parsed.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tenant::{Provider, Secret, TenantId, UserId};

use crate::secrets::{self, WeakSecret};

/// How long a link works: long enough to read the message and click, short enough that a
/// link found later in a screenshot or a browser history is dead.
pub const LINK_TTL_SECS: i64 = 15 * 60;
/// Domain separation: a MAC of this key over anything else never verifies as a link.
const LABEL: &[u8] = b"switchboard connect link v1\n";
const VERSION: &str = "v1";
/// Longer than any link we issue (ids are short); anything longer is refused unread.
const MAX_TOKEN_LEN: usize = 512;
/// A link that says it expires later than one we would issue now (plus clock skew between
/// the issuer and the checker) was not issued by us, whatever its MAC.
const MAX_SKEW_SECS: i64 = 120;

/// The platform key links are signed with. `Debug` shows nothing.
#[derive(Clone)]
pub struct LinkKey(Secret);

impl LinkKey {
    /// A key from its configured value. Refused like the signing secret when it could be
    /// guessed (the rule of [`crate::secrets`]): whoever knows it can connect any account to
    /// any user.
    pub fn new(value: Secret) -> Result<Self, WeakSecret> {
        secrets::check_strong(value.expose())?;
        Ok(Self(value))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(LABEL);
        mac.update(payload);
        mac
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey([redacted])")
    }
}

/// What a link grants: `user` of `tenant` may connect their `provider` account until
/// `expires_at` (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectLink {
    pub tenant: TenantId,
    pub user: UserId,
    pub provider: Provider,
    pub expires_at: i64,
}

impl ConnectLink {
    /// A link for `user` that expires [`LINK_TTL_SECS`] after `now`.
    pub fn new(tenant: TenantId, user: UserId, provider: Provider, now: i64) -> Self {
        Self {
            tenant,
            user,
            provider,
            expires_at: now.saturating_add(LINK_TTL_SECS),
        }
    }

    fn payload(&self) -> String {
        format!(
            "{VERSION}.{}.{}.{}.{}",
            self.tenant,
            self.user,
            self.provider.as_str(),
            self.expires_at
        )
    }
}

/// Why a link was refused. Never carries the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link at all (truncated when copied, or made up).
    #[error("the connect link is malformed")]
    Malformed,
    /// Well formed but not signed with our key: edited (another user, tenant or provider)
    /// or forged.
    #[error("the connect link's signature does not match")]
    Forged,
    /// Ours, but past its expiry.
    #[error("the connect link has expired")]
    Expired,
}

/// The token for `link`.
pub fn sign(key: &LinkKey, link: &ConnectLink) -> String {
    let payload = link.payload();
    let tag = key.mac(payload.as_bytes()).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The link a token stands for, if it is ours and unexpired at `now` (unix seconds).
pub fn verify(key: &LinkKey, token: &str, now: i64) -> Result<ConnectLink, LinkError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(LinkError::Malformed);
    }
    let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Malformed)?;
    // `verify_slice` compares in constant time (the `subtle` crate underneath).
    key.mac(&payload)
        .verify_slice(&tag)
        .map_err(|_| LinkError::Forged)?;
    let link = parse_payload(&payload).ok_or(LinkError::Malformed)?;
    if now >= link.expires_at {
        return Err(LinkError::Expired);
    }
    if link.expires_at - now > LINK_TTL_SECS + MAX_SKEW_SECS {
        return Err(LinkError::Malformed);
    }
    Ok(link)
}

fn parse_payload(payload: &[u8]) -> Option<ConnectLink> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.split('.');
    let (version, tenant, user, provider, expires_at) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if version != VERSION || parts.next().is_some() {
        return None;
    }
    Some(ConnectLink {
        tenant: TenantId::parse(tenant).ok()?,
        user: UserId::parse(user).ok()?,
        provider: Provider::parse(provider).ok()?,
        expires_at: expires_at.parse().ok()?,
    })
}

/// `{base_url}/connect/{provider}?link=…` for `user` of `tenant`, valid [`LINK_TTL_SECS`] from
/// `now`.
pub fn connect_url(
    base_url: &str,
    key: &LinkKey,
    tenant: &TenantId,
    user: &UserId,
    provider: Provider,
    now: i64,
) -> String {
    let link = ConnectLink::new(tenant.clone(), user.clone(), provider, now);
    // The token is base64url and `.`: nothing in it needs percent-encoding.
    format!(
        "{}/connect/{}?link={}",
        base_url.trim_end_matches('/'),
        provider.as_str(),
        sign(key, &link)
    )
}

/// What the worker and the commands function make links with: the key and where browsers
/// reach the app (`PUBLIC_BASE_URL`).
#[derive(Debug, Clone)]
pub struct ConnectLinks {
    base_url: String,
    key: LinkKey,
}

impl ConnectLinks {
    pub fn new(base_url: &str, key: LinkKey) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
        }
    }

    /// A fresh link for `user` of `tenant` to connect `provider`.
    pub fn url(&self, tenant: &TenantId, user: &UserId, provider: Provider, now: i64) -> String {
        connect_url(&self.base_url, &self.key, tenant, user, provider, now)
    }
}

#[cfg(test)]
#[path = "connect_link_tests.rs"]
mod tests;
