//! What the fake Fathom serves: users (each with API keys and OAuth tokens) and their
//! meetings. Built with [`FathomData::new`] in tests, or [`FathomData::sample`] for a demo.

use std::time::Duration;

use jiff::Timestamp;

use serde_json::{Value, json};

use crate::time;

/// Every user, key and meeting the fake knows, and how it pages and limits.
#[derive(Clone)]
pub struct FathomData {
    pub(crate) users: Vec<FakeUser>,
    pub(crate) page_size: usize,
    /// Requests per user per window (fathom.md: 60 per 60 s).
    pub(crate) rate_limit: u32,
    pub(crate) rate_window: Duration,
}

impl Default for FathomData {
    fn default() -> Self {
        Self::new()
    }
}

impl FathomData {
    /// No users; pages of 3 (small, so that tests page: Fathom's quickstart speaks of 10, and
    /// whether a `limit` parameter exists is UNCONFIRMED, so the fake takes none); Fathom's 60
    /// requests per 60 s.
    pub fn new() -> Self {
        Self {
            users: Vec::new(),
            page_size: 3,
            rate_limit: 60,
            rate_window: Duration::from_secs(60),
        }
    }

    pub fn user(mut self, user: FakeUser) -> Self {
        self.users.push(user);
        self
    }

    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// At most `limit` requests per user per `window`; more answer 429.
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.rate_limit = limit;
        self.rate_window = window;
        self
    }

    /// Two sales reps of "Acme" with meetings today, yesterday and earlier (relative to `now`),
    /// in English and Italian, with external invitees and transcripts. API keys
    /// [`SAMPLE_KEY_ALICE`] and [`SAMPLE_KEY_MARCO`].
    pub fn sample(now: Timestamp) -> Self {
        let hours = |h: u64| now - Duration::from_secs(h * 3600);
        let alice = FakeUser::new("Alice Johnson", "alice.johnson@acme.com")
            .team("Sales")
            .api_key(SAMPLE_KEY_ALICE)
            .meeting(
                FakeMeeting::new(123_456_789, "Globex discovery call", hours(2))
                    .invitee("Alice Johnson", "alice.johnson@acme.com", false)
                    .invitee("John Smith", "john.smith@globex.com", true)
                    .line("00:00:04", "Alice Johnson", "Thanks for making time, John. How do you handle renewals today?")
                    .line("00:00:15", "John Smith", "Mostly spreadsheets in Excel and reminders in HubSpot. It is slow and we miss follow-ups.")
                    .line("00:01:02", "John Smith", "We lose about ten hours a week chasing renewal paperwork.")
                    .line("00:02:30", "Alice Johnson", "Our workflow sends the reminders and logs every touch in HubSpot for you.")
                    .line("00:03:45", "John Smith", "Security review is the main blocker; our legal team needs to approve any new vendor.")
                    .line("00:04:20", "Alice Johnson", "Next step: I will send the security pack, and we meet again on 2026-12-08."),
            )
            .meeting(
                FakeMeeting::new(123_456_790, "Initech pricing follow-up", hours(26))
                    .invitee("Alice Johnson", "alice.johnson@acme.com", false)
                    .invitee("Peter Gibbons", "peter@initech.com", true)
                    .invitee("Samir N.", "samir@initech.com", true)
                    .line("00:00:03", "Peter Gibbons", "We reviewed the proposal; the per-seat price is above our budget.")
                    .line("00:00:40", "Alice Johnson", "We can start with the team plan for the sales group only.")
                    .line("00:01:10", "Samir N.", "We run Salesforce and Postgres, so the integration has to cover both.")
                    .line("00:02:05", "Peter Gibbons", "Send us the revised quote and we will decide internally."),
            )
            .meeting(
                FakeMeeting::new(123_456_791, "Acme weekly pipeline review", hours(50))
                    .invitee("Alice Johnson", "alice.johnson@acme.com", false)
                    .invitee("Marco Rossi", "marco.rossi@acme.com", false)
                    .line("00:00:02", "Marco Rossi", "Let's go through the Globex and Initech deals.")
                    .line("00:00:30", "Alice Johnson", "Globex is blocked on security review; Initech on budget."),
            )
            .meeting(
                FakeMeeting::new(123_456_792, "Umbrella onboarding", hours(24 * 9))
                    .invitee("Alice Johnson", "alice.johnson@acme.com", false)
                    .invitee("Ada Wong", "ada@umbrella.io", true)
                    .line("00:00:05", "Ada Wong", "The Slack app is installed; our reps like the daily digest.")
                    .line("00:01:00", "Alice Johnson", "Great. Next step is connecting your Pipedrive account."),
            );
        let marco = FakeUser::new("Marco Rossi", "marco.rossi@acme.com")
            .team("Sales Italia")
            .api_key(SAMPLE_KEY_MARCO)
            .meeting(
                FakeMeeting::new(223_456_001, "Chiamata conoscitiva con Ferrarini", hours(3))
                    .language("it")
                    .invitee("Marco Rossi", "marco.rossi@acme.com", false)
                    .invitee("Giulia Ferrarini", "giulia@ferrarini.it", true)
                    .line("00:00:05", "Marco Rossi", "Grazie del tempo, Giulia. Come gestite oggi i rinnovi dei contratti?")
                    .line("00:00:20", "Giulia Ferrarini", "Usiamo Excel e molte email: è lento e perdiamo dei rinnovi.")
                    .line("00:01:30", "Giulia Ferrarini", "Il problema principale è che il commerciale non vede lo storico del cliente.")
                    .line("00:02:40", "Marco Rossi", "Vi invio una proposta e ci sentiamo il 2026-12-10 per una demo."),
            )
            .meeting(
                FakeMeeting::new(223_456_002, "Revisione offerta Bianchi SpA", hours(28))
                    .language("it")
                    .invitee("Marco Rossi", "marco.rossi@acme.com", false)
                    .invitee("Luca Bianchi", "luca.bianchi@bianchi.it", true)
                    .line("00:00:10", "Luca Bianchi", "L'offerta ci piace, ma serve l'approvazione del CFO.")
                    .line("00:00:50", "Marco Rossi", "Preparo un riepilogo dei costi per il CFO."),
            );
        Self::new().user(alice).user(marco)
    }
}

/// Alice's key in [`FathomData::sample`] (sees only her four meetings).
pub const SAMPLE_KEY_ALICE: &str = "fathom-sample-key-alice";
/// Marco's key in [`FathomData::sample`] (his two Italian meetings).
pub const SAMPLE_KEY_MARCO: &str = "fathom-sample-key-marco";

/// A Fathom user: the owner of keys and recordings.
#[derive(Clone)]
pub struct FakeUser {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) team: Option<String>,
    pub(crate) api_keys: Vec<String>,
    pub(crate) oauth_tokens: Vec<String>,
    pub(crate) meetings: Vec<FakeMeeting>,
}

impl FakeUser {
    pub fn new(name: &str, email: &str) -> Self {
        Self {
            name: name.to_owned(),
            email: email.to_owned(),
            team: None,
            api_keys: Vec::new(),
            oauth_tokens: Vec::new(),
            meetings: Vec::new(),
        }
    }

    pub fn team(mut self, team: &str) -> Self {
        self.team = Some(team.to_owned());
        self
    }

    /// A key accepted in `X-Api-Key`.
    pub fn api_key(mut self, key: &str) -> Self {
        self.api_keys.push(key.to_owned());
        self
    }

    /// An OAuth access token accepted as `Authorization: Bearer`.
    pub fn oauth_token(mut self, token: &str) -> Self {
        self.oauth_tokens.push(token.to_owned());
        self
    }

    pub fn meeting(mut self, meeting: FakeMeeting) -> Self {
        self.meetings.push(meeting);
        self
    }

    fn domain(&self) -> &str {
        domain(&self.email)
    }
}

/// A recorded meeting.
#[derive(Clone)]
pub struct FakeMeeting {
    pub(crate) recording_id: u64,
    title: String,
    pub(crate) created_at: Timestamp,
    length: Duration,
    language: String,
    invitees: Vec<(String, String, bool)>,
    transcript: Vec<(String, String, String)>,
}

impl FakeMeeting {
    /// A 45-minute English meeting whose recording ended (and so was created) at `created_at`.
    pub fn new(recording_id: u64, title: &str, created_at: Timestamp) -> Self {
        Self {
            recording_id,
            title: title.to_owned(),
            created_at,
            length: Duration::from_secs(45 * 60),
            language: "en".to_owned(),
            invitees: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// How long the meeting ran (default 45 minutes): it started this long before
    /// `created_at`.
    pub fn length(mut self, length: Duration) -> Self {
        self.length = length;
        self
    }

    /// `transcript_language`, e.g. `"it"`.
    pub fn language(mut self, language: &str) -> Self {
        self.language = language.to_owned();
        self
    }

    pub fn invitee(mut self, name: &str, email: &str, is_external: bool) -> Self {
        self.invitees
            .push((name.to_owned(), email.to_owned(), is_external));
        self
    }

    /// One utterance at `timestamp` (`"HH:MM:SS"`).
    pub fn line(mut self, timestamp: &str, speaker: &str, text: &str) -> Self {
        self.transcript
            .push((timestamp.to_owned(), speaker.to_owned(), text.to_owned()));
        self
    }

    /// The transcript as `/recordings/{id}/transcript` answers it.
    pub(crate) fn transcript_json(&self) -> Value {
        Value::Array(
            self.transcript
                .iter()
                .map(|(timestamp, speaker, text)| {
                    let email = self
                        .invitees
                        .iter()
                        .find(|(name, _, _)| name == speaker)
                        .map(|(_, email, _)| email.clone());
                    json!({
                        "speaker": {"display_name": speaker, "matched_calendar_invitee_email": email},
                        "text": text,
                        "timestamp": timestamp,
                    })
                })
                .collect(),
        )
    }

    /// The Meeting object (fathom.md), as `/meetings` lists it and a webhook delivers it.
    pub(crate) fn to_json(&self, owner: &FakeUser, base: &str, with_transcript: bool) -> Value {
        let end = self.created_at;
        let start = end - self.length;
        let slug = format!("rec{}", self.recording_id);
        let external = self.invitees.iter().any(|(_, _, ext)| *ext);
        let invitees: Vec<Value> = self
            .invitees
            .iter()
            .map(|(name, email, is_external)| {
                json!({
                    "name": name,
                    "email": email,
                    "email_domain": domain(email),
                    "is_external": is_external,
                    // "Coming soon" in Fathom: the fake matches names that spoke.
                    "matched_speaker_display_name": self
                        .transcript
                        .iter()
                        .any(|(_, speaker, _)| speaker == name)
                        .then(|| name.clone()),
                })
            })
            .collect();
        let mut meeting = json!({
            "title": self.title,
            "meeting_title": self.title,
            "meeting_type": null,
            "recording_id": self.recording_id,
            "url": format!("{base}/{slug}"),
            "share_url": format!("{base}/share/{slug}"),
            "created_at": time::format(end),
            "scheduled_start_time": time::format(start),
            "scheduled_end_time": time::format(end),
            "recording_start_time": time::format(start + Duration::from_secs(72)),
            "recording_end_time": time::format(end),
            "calendar_invitees_domains_type": if external { "one_or_more_external" } else { "only_internal" },
            "shared_with": "single_team",
            "transcript_language": self.language,
            "meeting_url": format!("https://meet.example.com/{slug}"),
            "calendar_invitees": invitees,
            "recorded_by": {
                "name": owner.name,
                "email": owner.email,
                "email_domain": owner.domain(),
                "team": owner.team,
            },
            "transcript": null,
            "default_summary": null,
            "action_items": null,
            "highlights": null,
            "crm_matches": null,
        });
        if with_transcript {
            meeting["transcript"] = self.transcript_json();
        }
        meeting
    }
}

impl FakeMeeting {
    /// The body of a webhook delivery of this meeting for `hook`: the Meeting object with the
    /// parts the webhook was registered for (fathom.md: "containing whichever parts were
    /// chosen").
    pub(crate) fn delivery_json(
        &self,
        owner: &FakeUser,
        base: &str,
        hook: &super::RegisteredWebhook,
    ) -> Value {
        let mut meeting = self.to_json(owner, base, hook.include_transcript);
        if hook.include_summary {
            let first = self
                .transcript
                .first()
                .map(|(_, _, text)| text.as_str())
                .unwrap_or("");
            meeting["default_summary"] = json!({
                "template_name": "general",
                "markdown_formatted": format!("## Summary\n{}: {first}\n", self.title),
            });
        }
        meeting
    }
}

fn domain(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}
