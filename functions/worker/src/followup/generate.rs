//! Generating a follow-up: a "Generating…" DM (once), the transcript, one AI draft, the session
//! saved, and the DM updated in place to "ready" or to an error that says what to do.
//!
//! Exactly once: the DM is a step (posted once, found by its marker after a crash); the
//! session is written conditionally on the version read, so two attempts cannot both win; the
//! chat.update that finishes is idempotent by nature (the same text twice is one message).

use app::ui::messages::{self, DmMessage};
use followup::service::attendees::external_attendees;
use followup::service::sessions::open_session;
use followup::service::transcript::fit;
use followup::service::{DayOffset, DayWindow};
use followup::session::StatusMessage;
use followup::{
    DraftRequest, FailureReason, Meeting, MeetingFacts, ProviderError, RecordingId, Session,
    SessionKey, SessionStatus,
};
use slack::Message;
use tenant::JobEnvelope;
use tenant::idempotency::Attempt;
use tenant::job::Generate;
use tenant::ports::{Expected, Versioned};
use tenant::{ChannelId, Secret};
use tracing::{info, warn};

use super::picker::meetings_on;
use crate::Worker;
use crate::error::JobError;
use crate::jobs::{marker, slack_ts};

/// What the user reads for each failure: what happened and what to do next.
fn reason_text(reason: FailureReason) -> &'static str {
    match reason {
        FailureReason::RecorderUnauthorized => {
            "Fathom no longer accepts your key: run `/followup connect` to reconnect, then try again."
        }
        FailureReason::RecordingNotFound => {
            "Fathom no longer shows this recording to you. Pick another meeting with `/followup`."
        }
        FailureReason::TranscriptEmpty => {
            "Fathom has no transcript for this meeting yet. Try again in a few minutes."
        }
        FailureReason::DrafterUnauthorized => {
            "The AI service refused Switchboard's key. Please tell your Switchboard admin."
        }
        FailureReason::ProviderUnavailable => {
            "A service we rely on is busy. Please try again in a minute."
        }
        FailureReason::ProviderInvalid => "The draft came back unusable. Please try again.",
    }
}

/// A provider error that retrying this job cannot fix, as the reason the user is shown.
///
/// The AI being throttled or down is final for the job too: its client has already backed
/// off, retried and tried the fallback model within its budget, so redelivering would only
/// leave the DM at "Generating…" for as long as the outage lasts. The user gets "Try again".
fn failure_of(err: &ProviderError, drafting: bool) -> Option<FailureReason> {
    Some(match err {
        ProviderError::RateLimited { .. } | ProviderError::Unavailable if drafting => {
            FailureReason::ProviderUnavailable
        }
        ProviderError::Unauthorized if drafting => FailureReason::DrafterUnauthorized,
        ProviderError::Unauthorized => FailureReason::RecorderUnauthorized,
        ProviderError::NotFound => FailureReason::RecordingNotFound,
        ProviderError::Invalid(_) => FailureReason::ProviderInvalid,
        ProviderError::RateLimited { .. } | ProviderError::Unavailable => return None,
    })
}

impl Worker {
    pub(crate) async fn generate(
        &self,
        job: &JobEnvelope,
        generate: &Generate,
    ) -> Result<(), JobError> {
        let followup = self.followup()?;
        let token = self.bot_token(job).await?;
        if let Some(usage) = generate.usage {
            self.quota_notice(job, &token, usage).await?;
        }
        let recording = RecordingId::new(generate.recording);
        let Some(auth) = self.recorder_auth(&job.tenant, &generate.user).await? else {
            return self
                .dm_only(
                    job,
                    &token,
                    "Connect Fathom first: run `/followup connect`.",
                )
                .await;
        };
        let zone = self.user_zone(&token, &job.tenant, &generate.user).await;
        let day = match (generate.day, generate.meeting_started_at) {
            (Some(day), _) => Some(day),
            // A webhook said when the meeting started: its day in the user's zone.
            (None, Some(started)) => days_back(self.now(), &zone, started),
            (None, None) => {
                self.session_day(&job.tenant, &generate.user, recording, &zone)
                    .await?
            }
        };
        let Some(day) = day.and_then(DayOffset::new) else {
            return self
                .dm_only(job, &token, reason_text(FailureReason::RecordingNotFound))
                .await;
        };
        let window =
            DayWindow::of(self.now(), &zone, day).map_err(|_| JobError::BadPayload("day"))?;
        let meeting = match meetings_on(followup.recorder.as_ref(), &auth, &window).await {
            Ok(meetings) => meetings.into_iter().find(|m| m.recording_id == recording),
            Err(err) => match failure_of(&err, false) {
                Some(reason) => return self.dm_only(job, &token, reason_text(reason)).await,
                None => return Err(err.into()),
            },
        };
        let Some(meeting) = meeting else {
            return self
                .dm_only(job, &token, reason_text(FailureReason::RecordingNotFound))
                .await;
        };

        let key = SessionKey::new(job.tenant.clone(), generate.user.clone(), recording);
        let mut session = self.session_for(&key, &meeting).await?;
        let dm = self
            .generating_dm(job, &token, &generate.user, &meeting.title, &mut session)
            .await?;

        // The transcript's errors are Fathom's (a 429 there is worth a redelivery); the
        // draft's are the AI's.
        let transcript = match followup.recorder.transcript(&auth, &recording).await {
            Ok(transcript) if transcript.lines.is_empty() => {
                return self
                    .fail(&token, &dm, &mut session, FailureReason::TranscriptEmpty)
                    .await;
            }
            Ok(transcript) => transcript,
            Err(err) => match failure_of(&err, false) {
                Some(reason) => return self.fail(&token, &dm, &mut session, reason).await,
                None => return Err(err.into()),
            },
        };
        let draft = match self.draft_for(&meeting, &zone, &transcript).await {
            Ok(draft) => draft,
            Err(JobError::Provider(err)) => match failure_of(&err, true) {
                Some(reason) => return self.fail(&token, &dm, &mut session, reason).await,
                None => return Err(err.into()),
            },
            Err(other) => return Err(other),
        };
        let summary = draft.summary.clone();
        session.value.draft = Some(draft);
        session.value.edited = None;
        session.value.status = SessionStatus::Ready;
        self.save_session(&mut session).await?;
        let ready = messages::ready(&meeting.title, &summary, &recording.to_string());
        self.update_dm(&token, &dm, ready).await?;
        info!("follow-up ready");
        Ok(())
    }

    /// For "Try again": how many days back the session's meeting was, in the user's zone
    /// (`None` without a session: there is nothing to try again).
    async fn session_day(
        &self,
        tenant: &tenant::TenantId,
        user: &tenant::UserId,
        recording: RecordingId,
        zone: &followup::service::UserZone,
    ) -> Result<Option<u8>, JobError> {
        let followup = self.followup()?;
        let now = self.now();
        let key = SessionKey::new(tenant.clone(), user.clone(), recording);
        let Some(read) = followup.sessions.get(&key, now).await? else {
            return Ok(None);
        };
        Ok(days_back(now, zone, read.value.meeting_started_at))
    }

    /// The session to work on: the stored one (a retry, or "Try again"), else a new one
    /// (two attempts racing to create it both end up with the one stored).
    async fn session_for(
        &self,
        key: &SessionKey,
        meeting: &Meeting,
    ) -> Result<Versioned<Session>, JobError> {
        let followup = self.followup()?;
        Ok(open_session(
            followup.sessions.as_ref(),
            key.tenant(),
            key.user(),
            meeting,
            self.now(),
            followup.retention,
        )
        .await?)
    }

    /// The "Generating…" DM, posted once per job: its place is saved in the session, and a
    /// recovery looks for the marker before posting again.
    async fn generating_dm(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        user: &tenant::UserId,
        title: &str,
        session: &mut Versioned<Session>,
    ) -> Result<StatusMessage, JobError> {
        let channel = self.web.open_dm(token, user).await?;
        let mark = marker(job, "dm");
        let oldest = slack_ts(job.created_at_ms);
        let mut posted_ts = None;
        let message = messages::generating(title);
        let (channel_ref, mark_ref, oldest_ref, posted_ref) =
            (&channel, &mark, &oldest, &mut posted_ts);
        self.step(job, "dm", |attempt| async move {
            let (channel, mark, oldest) = (channel_ref, mark_ref, oldest_ref);
            if attempt == Attempt::Recovery
                && self
                    .web
                    .find_marked_ts(token, channel, None, oldest, mark)
                    .await?
                    .is_some()
            {
                return Ok(());
            }
            let posted = self
                .web
                .post_message(token, &dm_message(channel, message, Some(mark.clone())))
                .await?;
            *posted_ref = Some(posted.ts);
            Ok(())
        })
        .await?;
        let ts = match posted_ts {
            Some(ts) => ts,
            // Posted by an earlier attempt: it is in the conversation with our marker.
            None => {
                let found = self
                    .web
                    .find_marked_ts(token, &channel, None, &oldest, &mark)
                    .await?;
                found.unwrap_or_else(|| {
                    warn!("the earlier Generating… message was not found: posting no other");
                    String::new()
                })
            }
        };
        let dm = StatusMessage { channel, ts };
        session.value.dm = Some(dm.clone());
        session.value.status = SessionStatus::Generating;
        self.save_session(session).await?;
        Ok(dm)
    }

    async fn draft_for(
        &self,
        meeting: &Meeting,
        zone: &followup::service::UserZone,
        transcript: &followup::Transcript,
    ) -> Result<followup::Draft, JobError> {
        let followup = self.followup()?;
        let fitted = fit(transcript, followup.budget);
        if fitted.truncated {
            info!(
                omitted = fitted.omitted_lines,
                "transcript cut to the AI budget"
            );
        }
        let request = DraftRequest {
            meeting: MeetingFacts {
                title: meeting.title.clone(),
                started_at: meeting.started_at.to_zoned_datetime(zone.tz().clone()),
                duration: meeting.duration(),
                participants: meeting
                    .invitees
                    .iter()
                    .filter_map(|i| i.name.clone())
                    .collect(),
                recipients: external_attendees(meeting),
            },
            transcript: fitted.text,
            transcript_truncated: fitted.truncated,
            language: meeting.language.clone(),
            writing: followup.writing.clone(),
        };
        Ok(followup.drafter.draft(&request).await?)
    }

    async fn save_session(&self, session: &mut Versioned<Session>) -> Result<(), JobError> {
        let followup = self.followup()?;
        let now = self.now();
        session.value.touch(now, followup.retention);
        let version = followup
            .sessions
            .put(&session.value, &Expected::At(session.version.clone()), now)
            .await?;
        session.version = version;
        Ok(())
    }

    async fn fail(
        &self,
        token: &Secret,
        dm: &StatusMessage,
        session: &mut Versioned<Session>,
        reason: FailureReason,
    ) -> Result<(), JobError> {
        info!(?reason, "follow-up failed");
        session.value.status = SessionStatus::Failed { reason };
        self.save_session(session).await?;
        let recording = session.value.recording.to_string();
        let failed = messages::failed(
            &session.value.meeting_title,
            reason_text(reason),
            &recording,
        );
        self.update_dm(token, dm, failed).await
    }

    async fn update_dm(
        &self,
        token: &Secret,
        dm: &StatusMessage,
        msg: DmMessage,
    ) -> Result<(), JobError> {
        if dm.ts.is_empty() {
            return Ok(());
        }
        self.web
            .update(
                token,
                &dm.channel,
                &dm.ts,
                &dm_message(&dm.channel, msg, None),
            )
            .await?;
        Ok(())
    }

    /// A failure before any session exists: one DM, once per job.
    async fn dm_only(&self, job: &JobEnvelope, token: &Secret, text: &str) -> Result<(), JobError> {
        let Some(user) = job.slack.user.as_ref() else {
            return Ok(());
        };
        let channel = self.web.open_dm(token, user).await?;
        let msg = Message {
            channel: Some(channel),
            text: format!(":warning: {text}"),
            ..Message::default()
        };
        self.post_once(job, "dm", token, msg).await
    }
}

/// How many local days before `now`'s the instant `at` fell on, in `zone` (`None` for a day in
/// the future, or one too far back to count).
fn days_back(
    now: jiff::Timestamp,
    zone: &followup::service::UserZone,
    at: jiff::Timestamp,
) -> Option<u8> {
    let today = now.to_zoned_datetime(zone.tz().clone()).date();
    let held = at.to_zoned_datetime(zone.tz().clone()).date();
    let days = held.until(today).map(|span| span.get_days()).unwrap_or(-1);
    u8::try_from(days).ok()
}

fn dm_message(
    channel: &ChannelId,
    msg: DmMessage,
    metadata: Option<slack::MessageMetadata>,
) -> Message {
    Message {
        channel: Some(channel.clone()),
        text: msg.text,
        blocks: Some(msg.blocks),
        thread_ts: None,
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use followup::service::UserZone;

    fn at(raw: &str) -> jiff::Timestamp {
        raw.parse().unwrap()
    }

    #[test]
    fn an_ai_outage_ends_the_job_for_the_user_and_a_recorder_one_is_redelivered() {
        let throttled = ProviderError::RateLimited { retry_after: None };
        for err in [&ProviderError::Unavailable, &throttled] {
            assert_eq!(
                failure_of(err, true),
                Some(FailureReason::ProviderUnavailable)
            );
            assert_eq!(failure_of(err, false), None);
        }
        assert_eq!(
            failure_of(&ProviderError::Unauthorized, false),
            Some(FailureReason::RecorderUnauthorized)
        );
    }

    #[test]
    fn a_webhooks_start_time_is_counted_in_the_users_local_days() {
        let rome = UserZone::resolve(Some("Europe/Rome"));
        // 00:30 on 2 March in Rome; the meeting started at 23:45 on 1 March there.
        let now = at("2025-03-01T23:30:00Z");
        assert_eq!(days_back(now, &rome, at("2025-03-01T22:45:00Z")), Some(1));
        // The same instants in UTC are the same day.
        let utc = UserZone::resolve(Some("UTC"));
        assert_eq!(days_back(now, &utc, at("2025-03-01T22:45:00Z")), Some(0));
        assert_eq!(
            days_back(now, &utc, at("2025-03-02T10:00:00Z")),
            None,
            "a start in the future"
        );
    }
}
