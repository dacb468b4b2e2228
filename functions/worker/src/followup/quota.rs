//! Telling a workspace's admins when its monthly follow-ups run low: one DM each at 80% and
//! one at 100%. The job whose count crosses a threshold is unique (counts are atomic at
//! ingress), and each DM is a step of that job, so a redelivery does not repeat it.

use tenant::job::MonthlyUse;
use tenant::ports::Role;
use tenant::{JobEnvelope, Secret};
use tracing::warn;

use crate::Worker;
use crate::error::JobError;

/// The thresholds of the month's use the admins hear about, in percent.
const NOTICES: [u64; 2] = [80, 100];

/// The threshold `usage` lands exactly on, if any: the first use at or past 80% (rounded up),
/// and the last allowed one.
pub(crate) fn crossed(usage: MonthlyUse) -> Option<u64> {
    if usage.limit == u64::MAX || usage.limit == 0 {
        return None;
    }
    NOTICES
        .into_iter()
        .rev()
        .find(|pct| usage.used == (usage.limit * pct).div_ceil(100))
}

impl Worker {
    pub(crate) async fn quota_notice(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        usage: MonthlyUse,
    ) -> Result<(), JobError> {
        let Some(pct) = crossed(usage) else {
            return Ok(());
        };
        let text = if pct >= 100 {
            format!(
                ":no_entry: This workspace has used all {} follow-ups of its plan this month. New ones \
                 wait until the 1st (UTC), unless you move to a bigger plan.",
                usage.limit
            )
        } else {
            format!(
                ":warning: This workspace has used {} of its {} follow-ups this month ({pct}%).",
                usage.used, usage.limit
            )
        };
        let members = self.backend.members.list_members(&job.tenant).await?;
        let admins: Vec<_> = members
            .into_iter()
            .filter(|m| m.role == Role::Admin)
            .collect();
        let step: &'static str = if pct >= 100 { "quota_100" } else { "quota_80" };
        // One step for all the admins' DMs: done once per job; after an attempt whose outcome
        // is unknown it is not repeated (a second "you used 80%" is worse than none).
        self.step(job, step, |attempt| async move {
            if attempt == tenant::idempotency::Attempt::Recovery {
                warn!("an earlier quota notice may have gone out: not repeated");
                return Ok(());
            }
            for admin in &admins {
                let channel = match self.web.open_dm(token, &admin.user).await {
                    Ok(channel) => channel,
                    Err(err) => {
                        warn!(error = %err, "could not open a DM with an admin for the quota notice");
                        continue;
                    }
                };
                let msg = slack::Message {
                    channel: Some(channel),
                    text: text.clone(),
                    ..slack::Message::default()
                };
                if let Err(err) = self.web.post_message(token, &msg).await {
                    warn!(error = %err, "could not DM an admin the quota notice");
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_uses_that_land_on_80_and_100_percent_notify() {
        let at = |used, limit| crossed(MonthlyUse { used, limit });
        assert_eq!(at(8, 10), Some(80));
        assert_eq!(at(10, 10), Some(100));
        assert_eq!(at(7, 10), None);
        assert_eq!(at(9, 10), None);
        // 80% of 50 is 40; of 3 it rounds up to 3, which is also the last: 100 wins.
        assert_eq!(at(40, 50), Some(80));
        assert_eq!(at(3, 3), Some(100));
        assert_eq!(at(5, u64::MAX), None, "unlimited plans are not nagged");
    }
}
