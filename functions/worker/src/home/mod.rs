//! The App Home tab and the welcome message. The Home is each user's own page: the
//! workspace's status and plan, then what is theirs (their connections, this month's
//! follow-ups of the workspace, their own recent follow-ups), gathered here through the ports
//! for (this tenant, this user) only and rendered by [`view`]. It is published when the user
//! opens the tab and again after any change to their connections.

mod view;

use followup::RecorderAuth;
use jiff::Timestamp;
use serde_json::Value;
use tenant::credential::{CredentialId, Provider};
use tenant::ports::WindowSpan;
use tenant::service::ingress::FOLLOWUP_COUNTER;
use tenant::{JobEnvelope, Secret, Tenant, UserId};
use tracing::warn;

use crate::Worker;
use crate::error::JobError;

pub(crate) use view::welcome_text;
use view::{CrmLine, FathomLink, GoogleLink, HomePage, MonthUse, RECENT, home_view};

impl Worker {
    /// Publishes `user`'s own Home in the job's tenant. views.publish replaces the whole tab,
    /// so repeating it (a redelivery) is harmless.
    pub(crate) async fn publish_home(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        user: &UserId,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let view = self.home_of(job, tenant, &token, user).await?;
        self.web.publish_home(&token, user, &view).await?;
        Ok(())
    }

    /// After a connection change made by a job that is not about the Home (connecting a key):
    /// the Home shows it at once. Best effort: the change itself is done, and the next time the
    /// user opens the tab it is published anyway.
    pub(crate) async fn refresh_home(&self, job: &JobEnvelope, user: &UserId) {
        let tenant = match self.backend.tenants.get(&job.tenant).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => return,
            Err(err) => {
                warn!(error = %err, "could not read the tenant to refresh the Home");
                return;
            }
        };
        if let Err(err) = self.publish_home(job, &tenant, user).await {
            warn!(error = %err.reason(), "could not refresh the user's Home");
        }
    }

    async fn home_of(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        token: &Secret,
        user: &UserId,
    ) -> Result<Value, JobError> {
        let zone = self.user_zone(token, &job.tenant, user).await;
        let mine = |provider| CredentialId::for_user(job.tenant.clone(), provider, user.clone());
        let credentials = self.backend.credentials.as_ref();
        let fathom = match credentials.get(&mine(Provider::Fathom)).await? {
            None => FathomLink::NotConnected,
            Some(read) => match RecorderAuth::from_credential(&read.value) {
                RecorderAuth::ApiKey(_) => FathomLink::ApiKey,
                RecorderAuth::Bearer(_) => FathomLink::OAuth,
            },
        };
        let google = match credentials.get(&mine(Provider::Google)).await? {
            None => GoogleLink::NotConnected,
            Some(read) => GoogleLink::Connected {
                email: read.value.metadata.account_email.clone(),
            },
        };
        // Offered only where Fathom can deliver to us (a public base URL).
        let auto_followups = match self.public_base_url {
            Some(_) => Some(
                credentials
                    .get(&mine(Provider::FathomWebhook))
                    .await?
                    .is_some(),
            ),
            None => None,
        };
        // The month's count as the quota counts it (ingress, per calendar month in UTC).
        let now = self.clock.now();
        let span = WindowSpan::month(now);
        let used = self
            .backend
            .usage
            .used_in(&job.tenant, FOLLOWUP_COUNTER, span, now)
            .await?;
        let month = MonthUse {
            used,
            limit: self.quotas.limit(tenant.plan),
            resets_at: Timestamp::from_second(i64::try_from(span.resets_at).unwrap_or(i64::MAX))
                .unwrap_or(Timestamp::MAX),
        };
        // The sessions are the user's own: the key is (this tenant, this user).
        let recent = match &self.followup {
            Some(followup) => {
                followup
                    .sessions
                    .recent(&job.tenant, user, RECENT, self.now())
                    .await?
            }
            None => Vec::new(),
        };
        let crm = self.crm_line(job, user).await?;
        let page = HomePage {
            tenant,
            zone: &zone,
            fathom,
            google,
            google_connect_url: self.google_connect_url(job, user),
            auto_followups,
            crm,
            month,
            recent: &recent,
        };
        Ok(home_view(&page))
    }

    /// The workspace's default CRM, for the Home (`None` without the CRM actions).
    async fn crm_line(
        &self,
        job: &JobEnvelope,
        user: &UserId,
    ) -> Result<Option<CrmLine>, JobError> {
        let Some(parts) = self.followup.as_ref().and_then(|f| f.crm.as_ref()) else {
            return Ok(None);
        };
        let settings = parts
            .directory
            .settings(&job.tenant)
            .await?
            .map(|v| v.value);
        let default = settings
            .as_ref()
            .and_then(|s| s.default_connection())
            .map(|c| (c.kind.name(), c.broken_since.is_some()));
        Ok(Some(CrmLine {
            default,
            admin: self.is_admin(job, user).await?,
        }))
    }

    /// Where "Connect Google" leads for `user`: their signed, short-lived connect link, when
    /// Google is enabled and this deployment makes links; `None`: the Home says Google is not
    /// enabled here.
    fn google_connect_url(&self, job: &JobEnvelope, user: &UserId) -> Option<String> {
        self.followup.as_ref()?.google_oauth.as_ref()?;
        let links = self.links.as_ref()?;
        Some(links.url(&job.tenant, user, Provider::Google, self.clock.unix_secs()))
    }
}
