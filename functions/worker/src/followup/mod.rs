//! The follow-up jobs: fill the meeting picker, connect a pasted Fathom key, generate a draft.
//! Each works for one user of one tenant: the recorder credential is that user's own, and the
//! session is filed under (tenant, user, recording).

mod connect;
mod generate;
mod picker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use followup::service::UserZone;
use followup::service::transcript::Budget;
use followup::session::Retention;
use followup::{Drafter, Recorder, RecorderAuth, Sessions, WritingSettings};
use jiff::Timestamp;
use tenant::credential::{CredentialId, Provider};
use tenant::{Secret, TenantId, UserId};
use tracing::warn;

use crate::Worker;
use crate::error::JobError;

/// How long a user's time zone from users.info is reused: people rarely move zones within an
/// hour, and a picker opened twice should not cost two Slack calls.
const ZONE_TTL: Duration = Duration::from_secs(3600);

/// What the follow-up jobs call. Built once per cold start.
pub struct Followup {
    pub recorder: Arc<dyn Recorder>,
    pub drafter: Arc<dyn Drafter>,
    pub sessions: Arc<dyn Sessions>,
    /// How long sessions are kept (tenant settings will override the default).
    pub retention: Retention,
    /// How much transcript goes into one AI call (docs/followups.md).
    pub budget: Budget,
    /// How drafts are written when the tenant set nothing.
    pub writing: WritingSettings,
}

/// Users' time zones, by (tenant, user), with when they were read.
#[derive(Default)]
pub(crate) struct ZoneCache(Mutex<HashMap<(TenantId, UserId), (Option<String>, Instant)>>);

impl Worker {
    pub(crate) fn followup(&self) -> Result<&Followup, JobError> {
        self.followup
            .as_ref()
            .ok_or(JobError::FollowupNotConfigured)
    }

    /// The user's time zone: users.info `tz`, cached for [`ZONE_TTL`]. A failed look-up is not
    /// fatal: times then show in UTC, and the modal says so.
    pub(crate) async fn user_zone(
        &self,
        token: &Secret,
        tenant: &TenantId,
        user: &UserId,
    ) -> UserZone {
        let key = (tenant.clone(), user.clone());
        let cached = {
            let zones = self.zones.0.lock().unwrap_or_else(|p| p.into_inner());
            zones
                .get(&key)
                .filter(|(_, at)| at.elapsed() < ZONE_TTL)
                .map(|(tz, _)| tz.clone())
        };
        let tz = match cached {
            Some(tz) => tz,
            None => match self.web.user_info(token, user).await {
                Ok(info) => {
                    let mut zones = self.zones.0.lock().unwrap_or_else(|p| p.into_inner());
                    zones.insert(key, (info.tz.clone(), Instant::now()));
                    info.tz
                }
                Err(err) => {
                    warn!(error = %err, "users.info failed: showing times in UTC");
                    None
                }
            },
        };
        UserZone::resolve(tz.as_deref())
    }

    /// The user's own Fathom credential as recorder auth, or `None` if they have not connected.
    pub(crate) async fn recorder_auth(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<RecorderAuth>, JobError> {
        let id = CredentialId::for_user(tenant.clone(), Provider::Fathom, user.clone());
        let stored = self.backend.credentials.get(&id).await?;
        Ok(stored.map(|read| RecorderAuth::from_credential(&read.value)))
    }

    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::try_from(self.clock.now()).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
