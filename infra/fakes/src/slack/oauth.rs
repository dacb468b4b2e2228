//! The fake's OAuth v2 side (slack.md section 2): the authorize consent page, `oauth.v2.access`
//! for both grants, and the bookkeeping that makes codes and refresh tokens single-use.
//!
//! Tokens it issues become valid tokens of the fake (auth.test and every method accept them);
//! rotating ones expire after `expires_in`, and a refreshed-away access token keeps working for
//! [`OAuthSettings::old_token_grace`] and then answers `token_expired`.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use super::methods::BotIdentity;
use super::{Inner, TokenState};

/// What the fake answers an install with. Change it with [`super::FakeSlack::set_oauth`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    pub team_id: String,
    pub team_name: String,
    /// The Enterprise Grid org the workspace belongs to (`enterprise` in the reply).
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    /// An org-wide install: `is_enterprise_install: true`, `team: null` (needs `enterprise_id`).
    pub org_wide: bool,
    /// Token rotation: `xoxe.` tokens with `expires_in` and `refresh_token`.
    pub rotation: bool,
    /// `authed_user.id`.
    pub installer: String,
    pub app_id: String,
    pub app_name: String,
    pub bot_user_id: String,
    pub bot_id: String,
    /// Always answer with an `incoming_webhook` (it is also sent when the `incoming-webhook`
    /// scope was asked for).
    pub webhook: bool,
    /// `expires_in` of rotating tokens (Slack: always 43200).
    pub expires_in_secs: i64,
    /// How long an access token keeps working after it was refreshed away.
    pub old_token_grace: Duration,
    /// How long an authorization code is valid (Slack: ten minutes).
    pub code_ttl: Duration,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        let bot = BotIdentity::default();
        Self {
            team_id: bot.team_id,
            team_name: bot.team_name,
            enterprise_id: None,
            enterprise_name: None,
            org_wide: false,
            rotation: false,
            installer: "U0INSTALLER".into(),
            app_id: bot.app_id,
            app_name: "Switchboard".into(),
            bot_user_id: bot.user_id,
            bot_id: bot.bot_id,
            webhook: false,
            expires_in_secs: 43_200,
            old_token_grace: Duration::from_secs(30),
            code_ttl: Duration::from_secs(600),
        }
    }
}

impl OAuthSettings {
    fn identity(&self) -> BotIdentity {
        BotIdentity {
            team_id: self.team_id.clone(),
            team_name: self.team_name.clone(),
            enterprise_id: self.enterprise_id.clone(),
            user_id: self.bot_user_id.clone(),
            user_name: self.app_name.to_lowercase(),
            bot_id: self.bot_id.clone(),
            app_id: self.app_id.clone(),
            is_enterprise_install: self.org_wide,
        }
    }

    /// The tenant key scopes accumulate under: the org for org-wide installs.
    fn tenant_key(&self) -> String {
        match (&self.enterprise_id, self.org_wide) {
            (Some(e), true) => e.clone(),
            _ => self.team_id.clone(),
        }
    }
}

/// An authorization code handed out by the authorize step.
struct CodeGrant {
    redirect_uri: Option<String>,
    scopes: Vec<String>,
    user_scopes: Vec<String>,
    issued: Instant,
    used: bool,
}

/// What a refresh token refreshes.
struct RefreshGrant {
    used: bool,
    /// The access token issued with this refresh token.
    access_token: String,
    identity: BotIdentity,
    /// `Some(user)` for a user token's refresh token.
    user: Option<String>,
    scopes: Vec<String>,
}

#[derive(Default)]
pub(super) struct OAuthState {
    client: Option<(String, String)>,
    pub(super) settings: OAuthSettings,
    codes: HashMap<String, CodeGrant>,
    refresh: HashMap<String, RefreshGrant>,
    granted: HashMap<String, BTreeSet<String>>,
    pub(super) refresh_calls: usize,
    pub(super) exchange_calls: usize,
    seq: u64,
}

impl OAuthState {
    pub(super) fn set_client(&mut self, id: &str, secret: &str) {
        self.client = Some((id.to_owned(), secret.to_owned()));
    }

    /// A unique, unguessable-enough token body for a fake.
    fn fresh(&mut self, prefix: &str) -> String {
        self.seq += 1;
        let mut h = RandomState::new().build_hasher();
        h.write_u64(self.seq);
        format!("{prefix}{}-{:016x}", self.seq, h.finish())
    }
}

/// Why the authorize step refused (shown on the fake's error page, like Slack's).
pub(super) type AuthorizeError = &'static str;

/// Validates authorize parameters and mints a code; returns the redirect URL carrying it.
pub(super) fn authorize(
    inner: &mut Inner,
    params: &Map<String, Value>,
) -> Result<String, AuthorizeError> {
    let get = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let Some((client_id, _)) = &inner.oauth.client else {
        return Err("invalid_client_id");
    };
    if get("client_id") != client_id {
        return Err("invalid_client_id");
    }
    let redirect_uri = get("redirect_uri");
    let Ok(target) = url::Url::parse(redirect_uri) else {
        return Err("bad_redirect_uri");
    };
    if !matches!(target.scheme(), "http" | "https") || redirect_uri.contains('#') {
        return Err("bad_redirect_uri");
    }
    let scopes = split(get("scope"));
    let user_scopes = split(get("user_scope"));
    if scopes.is_empty() && user_scopes.is_empty() {
        return Err("invalid_scope");
    }
    let code = inner.oauth.fresh("fake-code-");
    inner.oauth.codes.insert(
        code.clone(),
        CodeGrant {
            redirect_uri: Some(redirect_uri.to_owned()),
            scopes,
            user_scopes,
            issued: Instant::now(),
            used: false,
        },
    );
    Ok(with_query(
        target,
        &[("code", &code), ("state", get("state"))],
    ))
}

/// The URL a "Cancel" on the consent page leads to.
pub(super) fn cancel_url(params: &Map<String, Value>) -> Option<String> {
    let get = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let target = url::Url::parse(get("redirect_uri")).ok()?;
    Some(with_query(
        target,
        &[("error", "access_denied"), ("state", get("state"))],
    ))
}

fn with_query(mut target: url::Url, pairs: &[(&str, &str)]) -> String {
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    target.to_string()
}

fn split(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn not_ok(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

/// `oauth.v2.access`: client authentication, then the grant.
pub(super) fn access(inner: &mut Inner, headers: &HeaderMap, params: &Map<String, Value>) -> Value {
    let get = |k: &str| params.get(k).and_then(Value::as_str).map(str::to_owned);
    // Basic auth (what Slack recommends) or the client_id/client_secret parameters.
    let (id, secret) = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(decode_basic)
    {
        Some(pair) => pair,
        None => (
            get("client_id").unwrap_or_default(),
            get("client_secret").unwrap_or_default(),
        ),
    };
    match &inner.oauth.client {
        Some((want_id, _)) if &id != want_id => return not_ok("invalid_client_id"),
        Some((_, want_secret)) if &secret != want_secret => return not_ok("bad_client_secret"),
        None => return not_ok("invalid_client_id"),
        Some(_) => {}
    }
    match get("grant_type").as_deref() {
        None | Some("authorization_code") => {
            inner.oauth.exchange_calls += 1;
            exchange(inner, get("code"), get("redirect_uri"))
        }
        Some("refresh_token") => {
            inner.oauth.refresh_calls += 1;
            refresh(inner, get("refresh_token"))
        }
        Some(_) => not_ok("invalid_grant_type"),
    }
}

fn exchange(inner: &mut Inner, code: Option<String>, redirect_uri: Option<String>) -> Value {
    let code = code.unwrap_or_default();
    let ttl = inner.oauth.settings.code_ttl;
    let Some(grant) = inner.oauth.codes.get_mut(&code) else {
        return not_ok("invalid_code");
    };
    if grant.used || grant.issued.elapsed() >= ttl {
        return not_ok("invalid_code");
    }
    if grant.redirect_uri.is_some() && grant.redirect_uri != redirect_uri {
        return not_ok("bad_redirect_uri");
    }
    grant.used = true;
    let (requested, user_scopes) = (grant.scopes.clone(), grant.user_scopes.clone());

    let settings = inner.oauth.settings.clone();
    if settings.org_wide && settings.enterprise_id.is_none() {
        return not_ok("internal_error");
    }
    // Scopes are additive across installs (slack.md 2.1).
    let granted = inner
        .oauth
        .granted
        .entry(settings.tenant_key())
        .or_default();
    granted.extend(requested.iter().cloned());
    let scopes: Vec<String> = granted.iter().cloned().collect();

    let identity = settings.identity();
    let mut answer = json!({
        "ok": true,
        "app_id": settings.app_id,
        "team": if settings.org_wide { Value::Null } else {
            json!({"id": settings.team_id, "name": settings.team_name})
        },
        "enterprise": match &settings.enterprise_id {
            Some(id) => json!({"id": id, "name": settings.enterprise_name}),
            None => Value::Null,
        },
        "is_enterprise_install": settings.org_wide,
    });
    if !requested.is_empty() {
        let bot = issue(inner, &identity, None, &scopes, "xoxb");
        merge(&mut answer, bot);
        answer["bot_user_id"] = settings.bot_user_id.clone().into();
    }
    let mut user =
        json!({"id": settings.installer, "scope": user_scopes.join(","), "token_type": "user"});
    if !user_scopes.is_empty() {
        let token = issue(
            inner,
            &identity,
            Some(settings.installer.clone()),
            &user_scopes,
            "xoxp",
        );
        merge(&mut user, token);
    }
    answer["authed_user"] = user;
    if settings.webhook || requested.iter().any(|s| s == "incoming-webhook") {
        let hook = inner.oauth.fresh("services/T/B/");
        answer["incoming_webhook"] = json!({
            "url": format!("{}hooks/{hook}", inner.base),
            "channel": "#general",
            "channel_id": "C0WEBHOOK1",
            "configuration_url": format!("https://{}.slack.com/services/B0HOOK", settings.team_id.to_lowercase()),
        });
    }
    answer
}

fn refresh(inner: &mut Inner, refresh_token: Option<String>) -> Value {
    let refresh_token = refresh_token.unwrap_or_default();
    let Some(grant) = inner.oauth.refresh.get_mut(&refresh_token) else {
        return not_ok("invalid_refresh_token");
    };
    if grant.used {
        return not_ok("invalid_refresh_token");
    }
    grant.used = true;
    let (old, identity, user, scopes) = (
        grant.access_token.clone(),
        grant.identity.clone(),
        grant.user.clone(),
        grant.scopes.clone(),
    );
    // The old access token is not cut off at once: it lives out a short grace period.
    let grace_end = Instant::now() + inner.oauth.settings.old_token_grace;
    let end = inner.expires.entry(old).or_insert(grace_end);
    *end = (*end).min(grace_end);

    let prefix = if user.is_some() { "xoxp" } else { "xoxb" };
    let mut answer = json!({
        "ok": true,
        "app_id": identity.app_id,
        "team": if identity.is_enterprise_install { Value::Null } else {
            json!({"id": identity.team_id, "name": identity.team_name})
        },
        "enterprise": match &identity.enterprise_id {
            Some(id) => json!({"id": id}),
            None => Value::Null,
        },
        "is_enterprise_install": identity.is_enterprise_install,
    });
    if user.is_none() {
        answer["bot_user_id"] = identity.user_id.clone().into();
    }
    let issued = issue_rotating(inner, &identity, user, &scopes, prefix);
    merge(&mut answer, issued);
    answer
}

/// Issues an access token (rotating when the settings say so) and registers it.
fn issue(
    inner: &mut Inner,
    identity: &BotIdentity,
    user: Option<String>,
    scopes: &[String],
    prefix: &str,
) -> Value {
    if inner.oauth.settings.rotation {
        return issue_rotating(inner, identity, user, scopes, prefix);
    }
    let token = inner.oauth.fresh(&format!("{prefix}-fake-"));
    inner
        .tokens
        .insert(token.clone(), TokenState::Active(identity.clone()));
    json!({
        "access_token": token,
        "token_type": if user.is_some() { "user" } else { "bot" },
        "scope": scopes.join(","),
    })
}

fn issue_rotating(
    inner: &mut Inner,
    identity: &BotIdentity,
    user: Option<String>,
    scopes: &[String],
    prefix: &str,
) -> Value {
    let token = inner.oauth.fresh(&format!("xoxe.{prefix}-1-"));
    let refresh = inner.oauth.fresh("xoxe-1-");
    let expires_in = inner.oauth.settings.expires_in_secs;
    register_rotating(
        inner,
        &token,
        &refresh,
        identity,
        user.clone(),
        scopes,
        Duration::from_secs(expires_in.max(0) as u64),
    );
    json!({
        "access_token": token,
        "token_type": if user.is_some() { "user" } else { "bot" },
        "scope": scopes.join(","),
        "expires_in": expires_in,
        "refresh_token": refresh,
    })
}

/// Registers a rotating access token and the single-use refresh token that replaces it.
pub(super) fn register_rotating(
    inner: &mut Inner,
    token: &str,
    refresh: &str,
    identity: &BotIdentity,
    user: Option<String>,
    scopes: &[String],
    expires_in: Duration,
) {
    inner
        .tokens
        .insert(token.to_owned(), TokenState::Active(identity.clone()));
    inner
        .expires
        .insert(token.to_owned(), Instant::now() + expires_in);
    inner.oauth.refresh.insert(
        refresh.to_owned(),
        RefreshGrant {
            used: false,
            access_token: token.to_owned(),
            identity: identity.clone(),
            user,
            scopes: scopes.to_vec(),
        },
    );
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// `base64(id:secret)` into `(id, secret)`.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
