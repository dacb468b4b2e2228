//! Slack OAuth v2 client (slack.md section 2): the code exchange at the end of an install and
//! the refresh of rotating tokens, both through `oauth.v2.access`.
//!
//! The client id and secret travel by HTTP Basic auth (RFC 6749 §2.3.1, what Slack recommends),
//! in a header marked sensitive; codes and refresh tokens travel in the form body, never in the
//! URL, so no URL a transport error prints can carry one. Every token in a reply is a
//! [`Secret`] (redacted `Debug`), and so is the incoming-webhook URL (it is a capability).

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use tenant::{AppId, ChannelId, EnterpriseId, Secret, TeamId, TenantId, UserId};
use url::Url;

use crate::web::{self, SlackApiError};

/// Form body of an `oauth.v2.access` call. Borrowed so no secret is copied around.
#[derive(serde::Serialize)]
struct AccessForm<'a> {
    grant_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

/// The `oauth.v2.access` client. Built once per cold start; cheap to clone.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    access_url: Url,
    client_id: String,
    client_secret: Secret,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("access_url", &self.access_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

impl OAuthClient {
    /// A client for the Web API at `api_base` (e.g. `https://slack.com/api` or a local fake).
    pub fn new(
        api_base: &str,
        client_id: &str,
        client_secret: Secret,
    ) -> Result<Self, SlackApiError> {
        Self::with_timeout(api_base, client_id, client_secret, web::DEFAULT_TIMEOUT)
    }

    /// As [`OAuthClient::new`], with a whole-request timeout of `timeout`.
    pub fn with_timeout(
        api_base: &str,
        client_id: &str,
        client_secret: Secret,
        timeout: Duration,
    ) -> Result<Self, SlackApiError> {
        if client_id.trim().is_empty() || client_secret.expose().trim().is_empty() {
            return Err(SlackApiError::InvalidRequest(
                "OAuth client id and secret are required",
            ));
        }
        let base = web::base_url(api_base, "invalid Slack API base URL")?;
        let access_url = base
            .join("oauth.v2.access")
            .map_err(|_| SlackApiError::InvalidRequest("invalid Slack API base URL"))?;
        Ok(Self {
            http: web::http_client(timeout)?,
            access_url,
            client_id: client_id.trim().to_owned(),
            client_secret,
        })
    }

    /// Exchanges the `code` of an install redirect for tokens (`grant_type=authorization_code`).
    /// `redirect_uri` MUST be the one sent to the authorize URL, if one was (else Slack answers
    /// `bad_redirect_uri`). `invalid_code` and every other `ok:false` are
    /// [`SlackApiError::Api`].
    #[tracing::instrument(
        skip_all,
        fields(method = "oauth.v2.access", grant = "authorization_code")
    )]
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<OAuthAccess, SlackApiError> {
        self.access(&AccessForm {
            grant_type: "authorization_code",
            code: Some(code),
            redirect_uri,
            refresh_token: None,
        })
        .await
    }

    /// Trades a rotating token's refresh token for a new access token and a new refresh token
    /// (`grant_type=refresh_token`). Slack revokes the used refresh token shortly after, so the
    /// caller must store the new one before dropping the old.
    #[tracing::instrument(skip_all, fields(method = "oauth.v2.access", grant = "refresh_token"))]
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<OAuthAccess, SlackApiError> {
        self.access(&AccessForm {
            grant_type: "refresh_token",
            code: None,
            redirect_uri: None,
            refresh_token: Some(refresh_token.expose()),
        })
        .await
    }

    async fn access(&self, form: &AccessForm<'_>) -> Result<OAuthAccess, SlackApiError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|_| SlackApiError::InvalidRequest("OAuth form could not be encoded"))?;
        // reqwest marks the Basic `Authorization` header sensitive.
        let response = self
            .http
            .post(self.access_url.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(web::transport)?;
        let status = response.status();
        if let Some(err) = web::status_error(status, response.headers()) {
            return Err(err);
        }
        let bytes = response.bytes().await.map_err(web::transport)?;
        let envelope: Envelope = serde_json::from_slice(&bytes).map_err(SlackApiError::Decode)?;
        if !envelope.ok {
            // Every oauth.v2.access refusal (invalid_code, bad_client_secret,
            // invalid_refresh_token, ...) is about the grant, not a bearer token: all `Api`.
            let error = envelope.error.unwrap_or_else(|| "unknown_error".to_owned());
            tracing::debug!(error = %error, "oauth.v2.access returned ok:false");
            return Err(SlackApiError::Api { error });
        }
        serde_json::from_slice(&bytes).map_err(SlackApiError::Decode)
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    error: Option<String>,
}

/// A successful `oauth.v2.access` reply (slack.md 2.2), for a code exchange or a refresh.
///
/// `Debug` shows no token: every token (and the webhook URL) is a [`Secret`].
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthAccess {
    /// The bot token (`xoxb-…`, or `xoxe.xoxb-…` with rotation). Absent for a user-scopes-only
    /// install; on a user-token refresh it is the new user token (see `token_type`).
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// `bot` or `user`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// The bot scopes granted (all of them: scopes are additive across installs).
    #[serde(default, deserialize_with = "scope_list")]
    pub scope: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub bot_user_id: Option<UserId>,
    #[serde(default, deserialize_with = "lenient")]
    pub app_id: Option<AppId>,
    /// The workspace; null or absent for an org-wide install.
    #[serde(default)]
    pub team: Option<TeamRef>,
    /// The Enterprise Grid org; null outside Enterprise Grid.
    #[serde(default)]
    pub enterprise: Option<EnterpriseRef>,
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// Seconds until `access_token` expires (token rotation on).
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// The refresh token (token rotation on).
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// The installing user, with their user token when user scopes were asked for.
    #[serde(default)]
    pub authed_user: Option<AuthedUser>,
    /// Present when the `incoming-webhook` scope was granted.
    #[serde(default)]
    pub incoming_webhook: Option<IncomingWebhook>,
}

impl OAuthAccess {
    /// The tenant this install belongs to, derived as Slack documents it: the org for an
    /// org-wide install (`is_enterprise_install`), else the workspace. `None` if the reply does
    /// not name the one it needs.
    pub fn tenant_id(&self) -> Option<TenantId> {
        if self.is_enterprise_install {
            self.enterprise
                .as_ref()
                .map(|e| TenantId::Enterprise(e.id.clone()))
        } else {
            self.team
                .as_ref()
                .map(|t| TenantId::Workspace(t.id.clone()))
        }
    }

    /// Whether `access_token` is a bot token (`token_type: bot`, or a reply naming a bot user).
    pub fn has_bot_token(&self) -> bool {
        self.access_token.is_some()
            && (self.token_type.as_deref() == Some("bot")
                || (self.token_type.is_none() && self.bot_user_id.is_some()))
    }
}

/// `team` in an OAuth reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamRef {
    pub id: TeamId,
    #[serde(default)]
    pub name: Option<String>,
}

/// `enterprise` in an OAuth reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnterpriseRef {
    pub id: EnterpriseId,
    #[serde(default)]
    pub name: Option<String>,
}

/// `authed_user`: the user who installed, and their token when user scopes were granted.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthedUser {
    pub id: UserId,
    #[serde(default, deserialize_with = "scope_list")]
    pub scope: Vec<String>,
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub token_type: Option<String>,
}

/// `incoming_webhook` (field names from bolt-python's parser, slack.md 2.2).
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingWebhook {
    /// Anyone holding it can post to the channel: a secret.
    pub url: Secret,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub channel_id: Option<ChannelId>,
    #[serde(default)]
    pub configuration_url: Option<String>,
}

/// `"a,b,c"` (Slack's form) into `["a","b","c"]`; absent, null or empty into `[]`.
fn scope_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(split_scopes(raw.as_deref().unwrap_or("")))
}

/// Splits a comma-separated scope list, dropping blanks.
pub fn split_scopes(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An id Slack may send as null, `""` or (for org installs) in a form we do not model: anything
/// that is not a valid id becomes `None` rather than failing the whole reply.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
{
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.and_then(|r| r.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_rotation_reply_parses_with_every_field() {
        let raw = r##"{
          "ok": true, "access_token": "xoxe.xoxb-1-abc", "token_type": "bot",
          "scope": "commands,incoming-webhook", "bot_user_id": "U0KRQLJ9H", "app_id": "A0KRD7HC3",
          "expires_in": 43200, "refresh_token": "xoxe-1-ref",
          "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
          "enterprise": {"name": "slack-sports", "id": "E12345678"},
          "authed_user": {"id": "U1234", "scope": "chat:write", "access_token": "xoxe.xoxp-1234",
                          "expires_in": 43200, "refresh_token": "xoxe-1-user", "token_type": "user"},
          "incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/secret",
                               "channel": "#general", "channel_id": "C0GENERAL",
                               "configuration_url": "https://x.slack.com/services/B"}
        }"##;
        let access: OAuthAccess = serde_json::from_str(raw).unwrap();
        assert_eq!(
            access.access_token.as_ref().unwrap().expose(),
            "xoxe.xoxb-1-abc"
        );
        assert_eq!(access.scope, ["commands", "incoming-webhook"]);
        assert_eq!(access.expires_in, Some(43200));
        assert!(access.has_bot_token());
        assert_eq!(access.tenant_id().unwrap().as_str(), "T9TK3CUKW");
        let user = access.authed_user.as_ref().unwrap();
        assert_eq!(user.id.as_str(), "U1234");
        assert_eq!(user.scope, ["chat:write"]);
        assert_eq!(user.refresh_token.as_ref().unwrap().expose(), "xoxe-1-user");
        let hook = access.incoming_webhook.as_ref().unwrap();
        assert_eq!(hook.channel_id.as_ref().unwrap().as_str(), "C0GENERAL");

        let shown = format!("{access:?}");
        for secret in [
            "xoxb-1-abc",
            "xoxe-1-ref",
            "xoxp-1234",
            "xoxe-1-user",
            "services/T/B",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    #[test]
    fn an_org_wide_install_is_the_enterprise_tenant_even_without_a_team() {
        let raw = r##"{"ok": true, "access_token": "xoxb-org", "token_type": "bot",
          "scope": "commands", "bot_user_id": "U0BOT", "app_id": "A0APP", "team": null,
          "enterprise": {"id": "E0ORG", "name": "Org"}, "is_enterprise_install": true}"##;
        let access: OAuthAccess = serde_json::from_str(raw).unwrap();
        assert_eq!(access.tenant_id().unwrap().as_str(), "E0ORG");
        assert!(access.team.is_none());
    }

    #[test]
    fn the_sign_in_with_slack_shape_parses_and_has_no_bot_token() {
        let raw = r##"{"ok": true, "app_id": "A0118NQPZZC",
          "authed_user": {"id": "U065VRX1T0", "scope": "identity.basic,identity.email",
                          "access_token": "xoxp-yoda", "token_type": "user"},
          "team": {"id": "T024BE7LD"}, "enterprise": null, "is_enterprise_install": false}"##;
        let access: OAuthAccess = serde_json::from_str(raw).unwrap();
        assert!(!access.has_bot_token());
        assert_eq!(access.scope, Vec::<String>::new());
        assert_eq!(access.team.as_ref().unwrap().name, None);
        assert_eq!(access.tenant_id().unwrap().as_str(), "T024BE7LD");
    }

    #[test]
    fn the_client_needs_credentials_and_never_shows_the_secret() {
        assert!(OAuthClient::new("https://slack.com/api", "", Secret::new("s")).is_err());
        assert!(OAuthClient::new("https://slack.com/api", "1.2", Secret::new(" ")).is_err());
        assert!(OAuthClient::new("ftp://slack.com/api", "1.2", Secret::new("s")).is_err());
        let client =
            OAuthClient::new("https://slack.com/api", "1.2", Secret::new("shh-secret")).unwrap();
        assert!(!format!("{client:?}").contains("shh-secret"));
        assert_eq!(
            client.access_url.as_str(),
            "https://slack.com/api/oauth.v2.access"
        );
    }

    #[test]
    fn scopes_split_on_commas_and_drop_blanks() {
        assert_eq!(split_scopes(" a, b,,c "), ["a", "b", "c"]);
        assert!(split_scopes("").is_empty());
    }
}
