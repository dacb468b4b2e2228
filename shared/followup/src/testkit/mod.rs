//! The session store's contract suite, run by every adapter, and an in-memory adapter.
//!
//! * [`contract`]: the suite, written once; `shared/local` and `shared/aws` run it, as does
//!   this crate on [`MemorySessions`]. A broken promise panics with a message naming it.
//! * [`MemorySessions`]: honest in-memory semantics, for handler tests.
//! * [`MemoryCrmDirectory`]: the same for the CRM directory (its suite:
//!   [`contract::crm_directory`]).
//! * [`crm`]: the CRM port's contract suite, its fixture and [`crm::MemoryCrm`].
//! * Fixtures ([`sample_meeting`], [`sample_draft`]) with a marker in every customer text, so
//!   a test can search output for leaks.

pub mod contract;
pub mod crm;
mod memory;
mod memory_directory;

pub use memory::MemorySessions;
pub use memory_directory::MemoryCrmDirectory;

use jiff::Timestamp;
use jiff::civil;

use crate::draft::{Draft, Email, FollowUpPlan, FollowUpWhen};
use crate::ids::RecordingId;
use crate::meeting::{Invitee, Meeting};

/// A meeting recorded at `started_at` for 45 minutes, with one internal and one external
/// invitee and `marker` in its title.
pub fn sample_meeting(recording: RecordingId, started_at: Timestamp, marker: &str) -> Meeting {
    let ended_at = started_at
        .checked_add(jiff::SignedDuration::from_mins(45))
        .unwrap_or(started_at);
    Meeting {
        recording_id: recording,
        title: format!("QBR {marker}"),
        created_at: ended_at,
        started_at,
        ended_at,
        scheduled_start: Some(started_at),
        url: format!("https://fathom.video/calls/{recording}"),
        share_url: format!("https://fathom.video/share/{recording}"),
        language: Some("en".into()),
        invitees: vec![
            Invitee {
                name: Some("Alice Johnson".into()),
                email: Some("alice@acme.example".into()),
                is_external: false,
            },
            Invitee {
                name: Some("John Smith".into()),
                email: Some("john@client.example".into()),
                is_external: true,
            },
        ],
        recorded_by_email: "alice@acme.example".into(),
    }
}

/// A draft whose every text contains `marker`.
pub fn sample_draft(marker: &str) -> Draft {
    Draft {
        summary: format!("summary {marker}"),
        email: Email {
            subject: format!("subject {marker}"),
            body: format!("body {marker}"),
        },
        crm_note: format!("note {marker}"),
        follow_up: FollowUpPlan {
            agreed: true,
            when: Some(FollowUpWhen::Date(civil::date(2025, 3, 8))),
        },
    }
}

/// A generating session of `user` in `tenant` for a fresh meeting `recording`, changed last
/// at `now`, expiring a day later, with a first draft containing `marker`.
pub fn sample_session(
    tenant: &tenant::TenantId,
    user: &tenant::UserId,
    recording: RecordingId,
    now: Timestamp,
    marker: &str,
) -> crate::session::Session {
    let meeting = sample_meeting(recording, now, marker);
    let mut session = crate::session::Session::start(
        tenant.clone(),
        user.clone(),
        &meeting,
        now,
        crate::session::Retention::new(std::time::Duration::from_secs(24 * 3600)),
    );
    session.status = crate::session::SessionStatus::Ready;
    session.draft = Some(sample_draft(marker));
    session
}
