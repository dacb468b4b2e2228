//! GET /connect/{provider}/callback?code&state (or `error=`): the grant in, the user's
//! credential stored, a success page out.

use std::time::{Duration, SystemTime};

use app::oauth_cookie::{self as state, CONNECT as COOKIE};
use app::pages::{self as page, Badge};
use app::{HttpRequest, HttpResponse};
use connectors::oauth2::TokenGrant;
use http::StatusCode;
use tenant::audit::{AuditAction, AuditEvent};
use tenant::job::Connected;
use tenant::ports::{CredentialError, Expected, StateConsumed, StatePurpose};
use tenant::{
    Credential, CredentialId, JobEnvelope, JobKind, Provider, SlackContext, TenantId, UserId,
};
use tracing::{Instrument, info, info_span, warn};
use url::Url;

use crate::providers::Flow;
use crate::{ConnectError, ConnectHandler, Query, present};

/// Who the grant is for: what the state was issued for, and nothing the query says.
struct Owner {
    tenant: TenantId,
    user: UserId,
}

impl ConnectHandler {
    pub(crate) async fn callback(
        &self,
        flow: &Flow,
        redirect_uri: &Url,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ConnectError> {
        let query = Query::of(req);
        if let Some(reason) = present(query.error) {
            return Err(ConnectError::cancelled(&reason));
        }
        let state_value = present(query.state).ok_or(ConnectError::MissingState)?;
        // The cookie before the state: a state lured into another browser is refused there
        // without being spent.
        let cookie = COOKIE
            .value(req.headers())
            .ok_or(ConnectError::MissingCookie)?;
        let now = self.clock.unix_secs();
        let record = match self
            .backend
            .oauth_states
            .consume(&state_value, &state::cookie_hash(&cookie), now)
            .await
            .map_err(ConnectError::store)?
        {
            StateConsumed::Valid(record) => record,
            StateConsumed::Unknown => return Err(ConnectError::UnknownState),
            StateConsumed::Expired => return Err(ConnectError::ExpiredState),
            StateConsumed::AlreadyUsed => return Err(ConnectError::UsedState),
            StateConsumed::WrongCookie => return Err(ConnectError::CookieMismatch),
        };
        let owner = match record.purpose {
            StatePurpose::Connect {
                tenant,
                user,
                provider,
            } if provider == flow.provider => Owner { tenant, user },
            // A Slack install's state, or another provider's: never connects this one.
            _ => return Err(ConnectError::WrongPurpose),
        };
        let code = present(query.code).ok_or(ConnectError::MissingCode)?;
        let span = info_span!("connect", tenant = %owner.tenant, user = %owner.user, provider = %flow.provider);
        self.finish(flow, redirect_uri, owner, &code)
            .instrument(span)
            .await
    }

    async fn finish(
        &self,
        flow: &Flow,
        redirect_uri: &Url,
        owner: Owner,
        code: &str,
    ) -> Result<HttpResponse, ConnectError> {
        // Uninstalled or paused since the link was made: no grant is taken at all.
        self.check_tenant(&owner.tenant).await?;
        if flow.workspace {
            self.check_admin(&owner.tenant, &owner.user).await?;
        }
        let grant = flow
            .client
            .exchange(code, redirect_uri)
            .await
            .map_err(ConnectError::exchange)?;
        let missing = grant.missing_scopes(flow.scopes);
        if !missing.is_empty() {
            self.discard(flow, &grant).await;
            return Err(ConnectError::MissingScopes(missing.len()));
        }
        if grant.refresh_token.is_none() {
            self.discard(flow, &grant).await;
            return Err(ConnectError::NoRefreshToken);
        }
        let email = self.account_email(flow, &grant).await;
        let portal = self.hub_portal(flow, &grant).await?;
        let mut credential = credential_of(grant, email.clone(), self.clock.now());
        credential.metadata.portal_id = portal;
        if credential.expires_at.is_none() {
            credential.expires_at = flow.assumed_lifetime.map(|d| self.clock.now() + d);
        }
        // A CRM is the workspace's (one per CRM, whoever connected it); the rest the user's.
        let id = if flow.workspace {
            CredentialId::tenant_wide(owner.tenant.clone(), flow.provider)
        } else {
            CredentialId::for_user(owner.tenant.clone(), flow.provider, owner.user.clone())
        };
        self.store(&id, &credential).await?;
        info!("account connected");
        self.after_connect(&owner, flow.provider).await;
        if flow.workspace {
            return Ok(workspace_page(flow.name, &owner.tenant));
        }
        Ok(success_page(flow.name, email.as_deref(), &owner.tenant))
    }

    /// The account's address, when the provider can tell (Google: the Gmail profile). Best
    /// effort: the connection works without it.
    async fn account_email(&self, flow: &Flow, grant: &TokenGrant) -> Option<String> {
        let profile = flow.profile.as_ref()?;
        match profile.profile_email(&grant.access_token).await {
            Ok(email) => email,
            Err(err) => {
                warn!(error = %err, "could not read the connected account's address");
                None
            }
        }
    }

    /// HubSpot's portal (hub id) of the grant, for "Open in HubSpot" links. Required: a
    /// HubSpot connection without it cannot link to anything, so it is refused like a grant
    /// missing a scope.
    async fn hub_portal(
        &self,
        flow: &Flow,
        grant: &TokenGrant,
    ) -> Result<Option<String>, ConnectError> {
        let Some(api) = &flow.hub_info else {
            return Ok(None);
        };
        match api.token_info(&grant.access_token).await {
            Ok(info) => Ok(Some(info.hub_id)),
            Err(err) => {
                warn!(error = %err, "could not read the HubSpot portal of the grant");
                self.discard(flow, grant).await;
                Err(ConnectError::ProviderDown(
                    connectors::oauth2::OAuthError::Http(err),
                ))
            }
        }
    }

    /// Revokes a grant we will not keep, so it does not linger at the provider (best effort;
    /// Fathom has no revocation endpoint).
    async fn discard(&self, flow: &Flow, grant: &TokenGrant) {
        let token = grant.refresh_token.as_ref().unwrap_or(&grant.access_token);
        if let Err(err) = flow.client.revoke(token).await {
            info!(error = %err, "an incomplete grant was not revoked");
        }
    }

    /// Replaces whatever the user had connected, without reading it: this function may seal
    /// a credential but not decrypt one (template.yaml), and the newest consent wins.
    async fn store(&self, id: &CredentialId, credential: &Credential) -> Result<(), ConnectError> {
        let store = self.backend.credentials.as_ref();
        for attempt in 1..=3 {
            store.delete(id, None).await.map_err(ConnectError::store)?;
            match store.put(id, credential, &Expected::Absent).await {
                Ok(_) => return Ok(()),
                // Another consent landed between the two calls: go again (it is replaced).
                Err(CredentialError::Conflict) if attempt < 3 => {}
                Err(err) => return Err(ConnectError::store(err)),
            }
        }
        Err(ConnectError::store(CredentialError::Conflict))
    }

    /// The audit entry and the Slack DM. The connection is stored already, so neither failing
    /// undoes it: each is logged.
    async fn after_connect(&self, owner: &Owner, provider: Provider) {
        let event = AuditEvent {
            actor: format!("slack:{}", owner.user),
            action: AuditAction::Connected,
            detail: provider.as_str().to_owned(),
            at: self.clock.unix_secs(),
        };
        if let Err(err) = self.backend.audit.append(&owner.tenant, event).await {
            warn!(error = %err, "could not audit the connection");
        }
        let job = JobEnvelope::new(
            owner.tenant.clone(),
            JobKind::Connected(Connected {
                user: owner.user.clone(),
                provider,
            }),
            SlackContext {
                user: Some(owner.user.clone()),
                ..SlackContext::default()
            },
            self.clock.unix_millis(),
        );
        if let Err(err) = self.backend.queue.enqueue(&job).await {
            warn!(error = %err, "could not queue the connected DM");
        }
    }
}

/// The stored credential: tokens, expiry from `expires_in`, the granted scopes, the address.
fn credential_of(grant: TokenGrant, email: Option<String>, now: SystemTime) -> Credential {
    let grant_site = grant.site.clone();
    let expires_at = grant.expires_in.map(|d: Duration| now + d);
    let mut credential = Credential::new(grant.access_token);
    credential.refresh_token = grant.refresh_token;
    credential.expires_at = expires_at;
    credential.scopes = grant.scopes;
    credential.metadata.account_email = email;
    // Salesforce's `instance_url`, Pipedrive's `api_domain`: where the API is for this grant.
    credential.metadata.instance_url = grant_site;
    credential
}

fn slack_link(tenant: &TenantId) -> String {
    match tenant {
        TenantId::Workspace(team) => format!("slack://open?team={}", team.as_str()),
        TenantId::Enterprise(_) => "slack://open".to_owned(),
    }
}

/// A CRM connected for the whole workspace.
fn workspace_page(name: &str, tenant: &TenantId) -> HttpResponse {
    page::status_page(
        StatusCode::OK,
        Badge::Success,
        &format!("{name} connected"),
        &format!(
            "{name} is connected for your workspace: follow-ups can be logged there from \
             Slack. Switchboard uses this connection for nothing else. Manage it (or \
             disconnect it) with `/followup connect crm`."
        ),
        Some(("Open Slack", &slack_link(tenant))),
    )
}

fn success_page(name: &str, email: Option<&str>, tenant: &TenantId) -> HttpResponse {
    let account = match email {
        Some(email) => format!("Your {name} account {email} is connected to Switchboard."),
        None => format!("Your {name} account is connected to Switchboard."),
    };
    let open = slack_link(tenant);
    page::status_page(
        StatusCode::OK,
        Badge::Success,
        &format!("{name} connected"),
        &format!(
            "{account} Go back to Slack: {} You can disconnect at any time with \
             `/followup disconnect {}`.",
            if name == "Google" {
                "your follow-ups can now become Gmail drafts and Calendar events."
            } else {
                "Switchboard can now read your meetings."
            },
            name.to_ascii_lowercase()
        ),
        Some(("Open Slack", &open)),
    )
}
