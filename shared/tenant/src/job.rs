//! The job envelope: the one message format between the ingress functions (producers) and the
//! worker (consumer). It is JSON on the queue and versioned so that a deploy that changes it can
//! drain old messages.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::credential::Provider;
use crate::ids::{ChannelId, JobId, TenantId, UserId};

mod crm;

pub use crm::{AccountUse, AdminOp, CrmJob, DealEdit, TaskForm};

/// The envelope version this build writes and reads.
pub const ENVELOPE_VERSION: u32 = 1;

/// A unit of work for the worker, created only by an ingress function after it verified the
/// request and resolved the tenant.
///
/// `Serialize` is written by hand (below) to the exact JSON the derive with `flatten` gives;
/// `Deserialize` is derived.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobEnvelope {
    /// Envelope version ([`ENVELOPE_VERSION`]).
    pub v: u32,
    pub id: JobId,
    pub tenant: TenantId,
    #[serde(flatten)]
    pub kind: JobKind,
    /// Unix milliseconds when ingress accepted the request.
    pub created_at_ms: i64,
    /// Where and to whom the worker answers.
    #[serde(default)]
    pub slack: SlackContext,
}

/// What the job does, with the data it needs. Serialized as `"kind"` + `"payload"`.
///
/// Each kind with data is a newtype around its payload struct, so adding a kind is a struct,
/// a variant, its [`JobKind::name`] and its line in the envelope's `Serialize`; the compiler
/// points at each, and the tests hold the hand-written envelope writer to the derive's JSON on
/// every variant, so the wire format cannot drift silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum JobKind {
    /// `/followup ping`: answer on the response_url with the tenant's name and the round trip.
    Ping,
    /// The bot was mentioned: reply in the thread of the mention.
    AppMention(AppMention),
    /// A new install or a reinstall: first admin, welcome DM, App Home.
    Provision(Provision),
    /// A user opened the App Home tab: publish it.
    PublishHome(PublishHome),
    /// A button, shortcut or modal submission.
    Interaction(Interaction),
    /// Fill the meeting picker modal the commands function opened (or page it back a day).
    MeetingPicker(MeetingPicker),
    /// Check the Fathom API key a user pasted (stored pending by the commands function) and
    /// connect it, or show the modal again with an inline error.
    ConnectRecorder(ConnectRecorder),
    /// Turn one recorded meeting into a follow-up draft for the user who picked it.
    Generate(Generate),
    /// Fill the edit modal ("View & edit") with the user's session.
    OpenEditor(OpenEditor),
    /// Save the edit modal's texts to the session and do what was pressed with them.
    EditorAction(EditorAction),
    /// The calendar form's submit: create the event as the user chose it, then show the edit
    /// modal again with a link to it.
    CreateEvent(CreateEvent),
    /// `/followup ask <question>`: an answer from the asker's own recent follow-ups.
    Ask(Ask),
    /// Remove a user's connection to a provider: revoke the grant at the provider where it
    /// has a revocation endpoint (Google), then delete the stored credential.
    Disconnect(Disconnect),
    /// A user just connected a provider account (the connect function's callback): tell them
    /// in Slack which account it was.
    Connected(Connected),
    /// `/followup auto on|off`: register the user's webhook at the recorder (or delete it),
    /// so that their new recordings become follow-ups without a command.
    AutoFollowups(AutoFollowups),
    /// A follow-up that arrived by webhook was over the tenant's monthly quota: tell the user
    /// the limit and when it resets (nothing was generated).
    QuotaReached(QuotaReached),
    /// A CRM operation: connecting, the edit modal's CRM actions, tasks ([`CrmJob`]).
    Crm(CrmJob),
}

/// [`JobKind::Disconnect`]. Always the user who asked (from the signed request), so nobody can
/// disconnect someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disconnect {
    pub user: UserId,
    pub provider: Provider,
}

impl Disconnect {
    /// What a user may disconnect themselves: their own recorder and Google grants. The
    /// workspace's credentials (Slack, the CRM) are an admin's, and `fathom_pending` goes with
    /// `fathom`.
    pub const PROVIDERS: [Provider; 2] = [Provider::Fathom, Provider::Google];

    /// Whether a user may disconnect `provider` (see [`Disconnect::PROVIDERS`]).
    pub fn allows(provider: Provider) -> bool {
        Self::PROVIDERS.contains(&provider)
    }
}

/// [`JobKind::AutoFollowups`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoFollowups {
    /// Whose recordings: always the user who typed the command (from the signed payload).
    pub user: UserId,
    /// `true`: turn on (register the webhook); `false`: turn off (delete it).
    pub on: bool,
}

/// [`JobKind::QuotaReached`]. The title is customer text (`Debug` shows its length only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaReached {
    pub user: UserId,
    /// The meeting that was not turned into a follow-up, as the recorder titled it.
    pub title: String,
    /// The tenant's monthly follow-ups.
    pub limit: u64,
    /// When they come back: unix seconds, the 1st of next month (UTC).
    pub resets_at: u64,
}

impl std::fmt::Debug for QuotaReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaReached")
            .field("user", &self.user)
            .field("title", &self.title.len())
            .field("limit", &self.limit)
            .field("resets_at", &self.resets_at)
            .finish()
    }
}

/// [`JobKind::Connected`]. The user the connect link was signed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connected {
    pub user: UserId,
    pub provider: Provider,
}

/// [`JobKind::Ask`]. The question is the user's text (`Debug` shows its length only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    pub user: UserId,
    pub question: String,
}

impl std::fmt::Debug for Ask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ask")
            .field("user", &self.user)
            .field("question", &self.question.len())
            .finish()
    }
}

/// [`JobKind::OpenEditor`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenEditor {
    /// Whose session: always the user who pressed the button (from the signed payload), so a
    /// forged recording id can only name one of their own sessions.
    pub user: UserId,
    pub view_id: String,
    pub recording: u64,
}

/// What the edit modal's user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditorActionKind {
    /// Submit ("Save"): keep the texts.
    Save,
    GmailDraft,
    CalendarEvent,
    /// "Log to CRM": the CRM note on the meeting's account.
    CrmNote,
    /// "Deals": the account's open deals, to move or re-price.
    CrmDeals,
    /// "Create task": the task modal, for a contact of the account.
    CrmTask,
}

/// [`JobKind::EditorAction`]. Carries the user's texts as they were in the modal when the
/// button was pressed (the queue is encrypted at rest; `Debug` shows lengths only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorAction {
    pub user: UserId,
    pub view_id: String,
    pub recording: u64,
    pub action: EditorActionKind,
    /// Boxed: four texts would make every job kind as large as this one.
    pub texts: Box<EditedTexts>,
}

/// The four texts of the edit modal.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditedTexts {
    pub summary: String,
    pub subject: String,
    pub body: String,
    pub crm_note: String,
}

impl std::fmt::Debug for EditorAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditorAction")
            .field("user", &self.user)
            .field("view_id", &self.view_id)
            .field("recording", &self.recording)
            .field("action", &self.action)
            .field("texts", &self.texts)
            .finish()
    }
}

impl std::fmt::Debug for EditedTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Customer text: lengths only, never the words.
        f.debug_struct("EditedTexts")
            .field("summary", &self.summary.len())
            .field("subject", &self.subject.len())
            .field("body", &self.body.len())
            .field("crm_note", &self.crm_note.len())
            .finish()
    }
}

/// [`JobKind::CreateEvent`]: what the user chose in the calendar form. The date and time are
/// local to the user's zone (the worker reads it from Slack); the guests are emails the
/// worker keeps only if they are among the session's attendees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEvent {
    pub user: UserId,
    pub view_id: String,
    pub recording: u64,
    /// Boxed, as [`EditorAction::texts`] is: every job kind would grow to its size.
    pub choice: Box<EventChoice>,
}

/// The calendar form's fields as submitted (`Debug` shows how many guests, not who).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChoice {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:mm`.
    pub time: String,
    pub guests: Vec<String>,
    pub send_invitations: bool,
}

impl std::fmt::Debug for EventChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventChoice")
            .field("date", &self.date)
            .field("time", &self.time)
            .field("guests", &self.guests.len())
            .field("send_invitations", &self.send_invitations)
            .finish()
    }
}

/// [`JobKind::MeetingPicker`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingPicker {
    pub user: UserId,
    /// The open modal to fill (views.update).
    pub view_id: String,
    /// Which local day: 0 today, 1 yesterday, … (the picker pages back to 14).
    pub day: u8,
    /// Whether to fall back to earlier days while the day shown has no meetings (the first
    /// fill; "Earlier" shows exactly the day asked for).
    pub fall_back: bool,
}

/// [`JobKind::ConnectRecorder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRecorder {
    pub user: UserId,
    /// The connect modal to update with the result.
    pub view_id: String,
}

/// [`JobKind::Generate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generate {
    pub user: UserId,
    /// The recorder's id of the meeting (Fathom's `recording_id`).
    pub recording: u64,
    /// The local day (days back from today) the meeting was picked on: the recorder has no
    /// look-up by id, so the worker lists that day to find it. `None` ("Try again" on an
    /// earlier failure): the day of the session's meeting.
    #[serde(default)]
    pub day: Option<u8>,
    /// The tenant's follow-ups this month when this one was accepted, and the limit: the one
    /// job whose count crosses 80% (or reaches 100%) tells the admins, once.
    #[serde(default)]
    pub usage: Option<MonthlyUse>,
    /// When the recording started, when the recorder said so itself (a webhook delivery,
    /// with no picker and no session): the worker finds the meeting on that local day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_started_at: Option<jiff::Timestamp>,
}

/// A use of a monthly quota: the count with this use, and the limit (`u64::MAX`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyUse {
    pub used: u64,
    pub limit: u64,
}

/// [`JobKind::AppMention`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppMention {
    pub channel: ChannelId,
    /// The mention's ts; the reply goes into its thread.
    pub ts: String,
    /// Set when the mention itself was inside a thread.
    pub thread_ts: Option<String>,
    pub user: Option<UserId>,
    pub text: String,
}

/// [`JobKind::Provision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provision {
    /// The user who installed the app (`authed_user.id`), if Slack said.
    pub installer: Option<UserId>,
    pub reinstall: bool,
}

/// [`JobKind::PublishHome`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishHome {
    pub user: UserId,
}

/// [`JobKind::Interaction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// `block_actions`, `shortcut`, `message_action`, `view_submission`.
    pub interaction: String,
    /// The `action_id` or `callback_id` that identifies what was used.
    pub action: Option<String>,
}

impl JobKind {
    /// A short stable name for logs and metrics: the snake_case tag the derive writes.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ping => "ping",
            Self::AppMention(_) => "app_mention",
            Self::Provision(_) => "provision",
            Self::PublishHome(_) => "publish_home",
            Self::Interaction(_) => "interaction",
            Self::MeetingPicker(_) => "meeting_picker",
            Self::ConnectRecorder(_) => "connect_recorder",
            Self::Generate(_) => "generate",
            Self::OpenEditor(_) => "open_editor",
            Self::EditorAction(_) => "editor_action",
            Self::CreateEvent(_) => "create_event",
            Self::Ask(_) => "ask",
            Self::Disconnect(_) => "disconnect",
            Self::AutoFollowups(_) => "auto_followups",
            Self::QuotaReached(_) => "quota_reached",
            Self::Connected(_) => "connected",
            Self::Crm(_) => "crm",
        }
    }

    /// Notes on a metered job the monthly count it was accepted at (only generations are).
    pub fn record_usage(&mut self, used: u64, limit: u64) {
        if let Self::Generate(generate) = self {
            generate.usage = Some(MonthlyUse { used, limit });
        }
    }

    /// Writes the variant's `payload` field (none for a variant without data).
    fn serialize_payload<S: SerializeStruct>(&self, out: &mut S) -> Result<(), S::Error> {
        match self {
            Self::Ping => Ok(()),
            Self::AppMention(p) => out.serialize_field("payload", p),
            Self::Provision(p) => out.serialize_field("payload", p),
            Self::PublishHome(p) => out.serialize_field("payload", p),
            Self::Interaction(p) => out.serialize_field("payload", p),
            Self::MeetingPicker(p) => out.serialize_field("payload", p),
            Self::ConnectRecorder(p) => out.serialize_field("payload", p),
            Self::Generate(p) => out.serialize_field("payload", p),
            Self::OpenEditor(p) => out.serialize_field("payload", p),
            Self::EditorAction(p) => out.serialize_field("payload", p),
            Self::CreateEvent(p) => out.serialize_field("payload", p),
            Self::Ask(p) => out.serialize_field("payload", p),
            Self::Disconnect(p) => out.serialize_field("payload", p),
            Self::AutoFollowups(p) => out.serialize_field("payload", p),
            Self::QuotaReached(p) => out.serialize_field("payload", p),
            Self::Connected(p) => out.serialize_field("payload", p),
            Self::Crm(p) => out.serialize_field("payload", p),
        }
    }

    fn has_payload(&self) -> bool {
        !matches!(self, Self::Ping)
    }
}

/// The same JSON as the derive with `#[serde(flatten)] kind` (the `Deserialize` derive still
/// reads it that way; the tests compare both writers on every variant), written as a plain
/// struct: `flatten` goes through serde's generic map serializer, which made the envelope the
/// costliest step of accepting an event on the in-memory backend.
impl Serialize for JobEnvelope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = if self.kind.has_payload() { 7 } else { 6 };
        let mut out = s.serialize_struct("JobEnvelope", fields)?;
        out.serialize_field("v", &self.v)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("tenant", &self.tenant)?;
        // `name()` is the snake_case variant name the derive uses as the tag.
        out.serialize_field("kind", self.kind.name())?;
        self.kind.serialize_payload(&mut out)?;
        out.serialize_field("created_at_ms", &self.created_at_ms)?;
        out.serialize_field("slack", &self.slack)?;
        out.end()
    }
}

/// The Slack context needed to answer the user. `Debug` shows whether there is a
/// `response_url`, never the URL: it is a capability (whoever holds it may post into the
/// conversation for 30 minutes), and envelopes are logged.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackContext {
    pub response_url: Option<String>,
    pub channel: Option<ChannelId>,
    pub user: Option<UserId>,
}

impl std::fmt::Debug for SlackContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured so that a new field cannot be left out of (or leak through) Debug.
        let Self {
            response_url,
            channel,
            user,
        } = self;
        f.debug_struct("SlackContext")
            .field(
                "response_url",
                &response_url.as_ref().map(|_| "<redacted response_url>"),
            )
            .field("channel", channel)
            .field("user", user)
            .finish()
    }
}

/// Why a queue message is not a job this build can run. Always permanent.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("job envelope is not valid JSON of the expected shape: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("job envelope version {0} is not supported (this build reads {ENVELOPE_VERSION})")]
    UnsupportedVersion(u32),
}

impl JobEnvelope {
    /// A job with a random id.
    pub fn new(tenant: TenantId, kind: JobKind, slack: SlackContext, created_at_ms: i64) -> Self {
        Self::with_job_id(JobId::new(), tenant, kind, slack, created_at_ms)
    }

    /// A job with the given id, e.g. a derived one (see [`JobId::derived`]). Unlike
    /// `new(..).with_id(..)` no random id is drawn first (that costs a `getrandom` system call).
    pub fn with_job_id(
        id: JobId,
        tenant: TenantId,
        kind: JobKind,
        slack: SlackContext,
        created_at_ms: i64,
    ) -> Self {
        Self {
            v: ENVELOPE_VERSION,
            id,
            tenant,
            kind,
            created_at_ms,
            slack,
        }
    }

    /// Replaces the random id with a derived one (see [`JobId::derived`]).
    pub fn with_id(mut self, id: JobId) -> Self {
        self.id = id;
        self
    }

    pub fn to_json(&self) -> String {
        // A typical envelope is 250-450 bytes: one allocation instead of growing from 128.
        let mut out = Vec::with_capacity(512);
        // Serializing this type cannot fail: every field is a string, number or plain enum,
        // and serde_json writes UTF-8.
        if serde_json::to_writer(&mut out, self).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    pub fn from_json(raw: &str) -> Result<Self, EnvelopeError> {
        #[derive(Deserialize)]
        struct Version {
            v: u32,
        }
        let Version { v } = serde_json::from_str(raw)?;
        if v != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(v));
        }
        Ok(serde_json::from_str(raw)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_has_a_stable_shape() {
        let env = JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Ping,
            SlackContext {
                response_url: Some("https://hooks.slack.com/commands/T1/1/x".into()),
                ..Default::default()
            },
            1_700_000_000_000,
        );
        let json = env.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["v"], 1);
        assert_eq!(value["kind"], "ping");
        assert_eq!(value["tenant"], "T1");
        assert_eq!(JobEnvelope::from_json(&json).unwrap(), env);
    }

    /// The envelope as the derive with `flatten` writes it: the reference for the hand-written
    /// `Serialize`.
    #[derive(Serialize)]
    struct DerivedShape<'a> {
        v: u32,
        id: &'a JobId,
        tenant: &'a TenantId,
        #[serde(flatten)]
        kind: &'a JobKind,
        created_at_ms: i64,
        slack: &'a SlackContext,
    }

    fn every_kind() -> Vec<JobKind> {
        let user = UserId::parse("U0USER001").unwrap();
        vec![
            JobKind::Ping,
            JobKind::AppMention(AppMention {
                channel: ChannelId::parse("C0CHAN001").unwrap(),
                ts: "1700000000.000100".into(),
                thread_ts: Some("1700000000.000001".into()),
                user: Some(user.clone()),
                text: "<@U0BOT> \"quoted\" \\ and \u{e9}\n".into(),
            }),
            JobKind::AppMention(AppMention {
                channel: ChannelId::parse("C0CHAN001").unwrap(),
                ts: "1700000000.000100".into(),
                thread_ts: None,
                user: None,
                text: String::new(),
            }),
            JobKind::Provision(Provision {
                installer: Some(user.clone()),
                reinstall: true,
            }),
            JobKind::Provision(Provision {
                installer: None,
                reinstall: false,
            }),
            JobKind::PublishHome(PublishHome { user: user.clone() }),
            JobKind::Interaction(Interaction {
                interaction: "block_actions".into(),
                action: Some("approve".into()),
            }),
            JobKind::Interaction(Interaction {
                interaction: "view_submission".into(),
                action: None,
            }),
            JobKind::MeetingPicker(MeetingPicker {
                user: user.clone(),
                view_id: "V0MODAL0001".into(),
                day: 3,
                fall_back: true,
            }),
            JobKind::ConnectRecorder(ConnectRecorder {
                user: user.clone(),
                view_id: "V0MODAL0002".into(),
            }),
            JobKind::Generate(Generate {
                user: user.clone(),
                recording: 123_456_789,
                day: Some(1),
                usage: Some(MonthlyUse { used: 8, limit: 10 }),
                meeting_started_at: None,
            }),
            JobKind::Generate(Generate {
                user: user.clone(),
                recording: 123_456_790,
                day: None,
                usage: None,
                meeting_started_at: Some("2025-03-01T16:01:12Z".parse().unwrap()),
            }),
            JobKind::AutoFollowups(AutoFollowups {
                user: user.clone(),
                on: true,
            }),
            JobKind::AutoFollowups(AutoFollowups {
                user: user.clone(),
                on: false,
            }),
            JobKind::Crm(CrmJob::Manage {
                user: user.clone(),
                view_id: "V0MODAL0009".into(),
            }),
            JobKind::Crm(CrmJob::Refused {
                provider: Provider::Hubspot,
            }),
            JobKind::Crm(CrmJob::UpdateDeals {
                user: user.clone(),
                view_id: "V0MODAL0009".into(),
                recording: 7,
                edits: vec![DealEdit {
                    deal: "d1".into(),
                    stage: Some("s2".into()),
                    amount: Some("1500.00".into()),
                }],
            }),
            JobKind::Crm(CrmJob::CreateTask {
                user: user.clone(),
                view_id: "V0MODAL0009".into(),
                recording: None,
                task: Box::new(TaskForm {
                    contact: "c1".into(),
                    contact_label: "Ada · ada@acme.example".into(),
                    title: "Call Ada \"é\"".into(),
                    kind: "call".into(),
                    date: "2026-01-15".into(),
                    time: "09:00".into(),
                    notes: String::new(),
                }),
            }),
            JobKind::QuotaReached(QuotaReached {
                user: user.clone(),
                title: "Globex \"QBR\" é".into(),
                limit: 10,
                resets_at: 1_743_465_600,
            }),
            JobKind::Ask(Ask {
                user: user.clone(),
                question: "What did Globex say about \"security\"?".into(),
            }),
            JobKind::Disconnect(Disconnect {
                user: user.clone(),
                provider: Provider::Fathom,
            }),
            JobKind::OpenEditor(OpenEditor {
                user: user.clone(),
                view_id: "V0MODAL0003".into(),
                recording: 42,
            }),
            JobKind::EditorAction(EditorAction {
                user: user.clone(),
                view_id: "V0MODAL0003".into(),
                recording: 42,
                action: EditorActionKind::GmailDraft,
                texts: Box::new(EditedTexts {
                    summary: "s \"q\" é".into(),
                    subject: "Riepilogo".into(),
                    body: "line 1\nline 2".into(),
                    crm_note: String::new(),
                }),
            }),
            JobKind::CreateEvent(CreateEvent {
                user: user.clone(),
                view_id: "V0MODAL0003".into(),
                recording: 42,
                choice: Box::new(EventChoice {
                    date: "2026-12-08".into(),
                    time: "09:30".into(),
                    guests: vec!["ana@client.example".into()],
                    send_invitations: true,
                }),
            }),
            JobKind::Disconnect(Disconnect {
                user: user.clone(),
                provider: Provider::Google,
            }),
            JobKind::Disconnect(Disconnect {
                user: user.clone(),
                provider: Provider::Fathom,
            }),
            JobKind::Connected(Connected {
                user: user.clone(),
                provider: Provider::Google,
            }),
        ]
    }

    #[test]
    fn a_disconnect_is_kind_disconnect_with_its_user_and_provider() {
        let env = JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Disconnect(Disconnect {
                user: UserId::parse("U0USER001").unwrap(),
                provider: Provider::Google,
            }),
            SlackContext::default(),
            0,
        );
        let value: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
        assert_eq!(value["kind"], "disconnect");
        assert_eq!(value["payload"]["user"], "U0USER001");
        assert_eq!(value["payload"]["provider"], "google");
    }

    #[test]
    fn hand_written_serialize_writes_what_the_flatten_derive_writes() {
        let contexts = [
            SlackContext::default(),
            SlackContext {
                response_url: Some("https://hooks.slack.com/commands/T1/1/x".into()),
                channel: Some(ChannelId::parse("C0CHAN001").unwrap()),
                user: Some(UserId::parse("U0USER001").unwrap()),
            },
        ];
        for kind in every_kind() {
            for slack in &contexts {
                let env = JobEnvelope::new(
                    TenantId::parse("E0ORG0001").unwrap(),
                    kind.clone(),
                    slack.clone(),
                    1_700_000_000_123,
                );
                let derived = serde_json::to_string(&DerivedShape {
                    v: env.v,
                    id: &env.id,
                    tenant: &env.tenant,
                    kind: &env.kind,
                    created_at_ms: env.created_at_ms,
                    slack: &env.slack,
                })
                .unwrap();
                assert_eq!(env.to_json(), derived, "{kind:?}");
                assert_eq!(serde_json::to_string(&env).unwrap(), derived);
                assert_eq!(JobEnvelope::from_json(&env.to_json()).unwrap(), env);
            }
        }
    }

    #[test]
    fn a_disconnect_names_the_user_and_the_provider_by_their_stable_names() {
        let env = JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Disconnect(Disconnect {
                user: UserId::parse("U0USER001").unwrap(),
                provider: Provider::Google,
            }),
            SlackContext::default(),
            0,
        );
        let value: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
        assert_eq!(value["kind"], "disconnect");
        assert_eq!(
            value["payload"],
            serde_json::json!({"user": "U0USER001", "provider": "google"})
        );
    }

    #[test]
    fn new_kinds_have_stable_tags_and_a_generate_without_a_start_time_keeps_its_old_shape() {
        let user = UserId::parse("U0USER001").unwrap();
        let auto = JobKind::AutoFollowups(AutoFollowups {
            user: user.clone(),
            on: true,
        });
        let value = serde_json::to_value(&auto).unwrap();
        assert_eq!(value["kind"], "auto_followups");
        assert_eq!(value["payload"]["on"], true);
        let notice = JobKind::QuotaReached(QuotaReached {
            user: user.clone(),
            title: "Acme renewal".into(),
            limit: 10,
            resets_at: 5,
        });
        assert_eq!(
            serde_json::to_value(&notice).unwrap()["kind"],
            "quota_reached"
        );
        assert!(
            !format!("{notice:?}").contains("Acme"),
            "the title is redacted"
        );
        // A generation queued by a build before `meeting_started_at` still reads, and one
        // without it writes no such field.
        let old = r#"{"kind":"generate","payload":{"user":"U0USER001","recording":7,"day":0,"usage":null}}"#;
        let JobKind::Generate(generate) = serde_json::from_str::<JobKind>(old).unwrap() else {
            panic!("a generate job");
        };
        assert_eq!(generate.meeting_started_at, None);
        let written = serde_json::to_string(&JobKind::Generate(generate)).unwrap();
        assert!(!written.contains("meeting_started_at"), "{written}");
    }

    #[test]
    fn with_job_id_keeps_the_given_id() {
        let tenant = TenantId::parse("T1").unwrap();
        let id = JobId::derived(&tenant, "Ev1");
        let env = JobEnvelope::with_job_id(
            id,
            tenant.clone(),
            JobKind::Ping,
            SlackContext::default(),
            5,
        );
        let old_way =
            JobEnvelope::new(tenant, JobKind::Ping, SlackContext::default(), 5).with_id(id);
        assert_eq!(env, old_way);
    }

    #[test]
    fn unknown_versions_and_garbage_are_rejected() {
        let mut value = serde_json::to_value(JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Ping,
            SlackContext::default(),
            0,
        ))
        .unwrap();
        value["v"] = 2.into();
        assert!(matches!(
            JobEnvelope::from_json(&value.to_string()),
            Err(EnvelopeError::UnsupportedVersion(2))
        ));
        assert!(JobEnvelope::from_json("{").is_err());
        assert!(JobEnvelope::from_json(r#"{"v":1,"kind":"nope"}"#).is_err());
    }
}
