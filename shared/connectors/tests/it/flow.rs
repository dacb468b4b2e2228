//! The clients through the `followup` ports, as the worker will call them.

use std::time::Duration;

use fakes::anthropic::FakeAnthropic;
use fakes::fathom::{Endpoint, Failure, FakeFathom, FathomData, SAMPLE_KEY_MARCO};
use followup::service::transcript::{Budget, fit};
use followup::{
    Drafter, MeetingFacts, MeetingQuery, ProviderError, Recorder, RecorderAuth, RecordingId, Tone,
    WritingSettings,
};
use tenant::Secret;

use crate::support::*;

fn alice() -> RecorderAuth {
    RecorderAuth::ApiKey(Secret::from(ALICE_KEY))
}

#[tokio::test]
async fn the_recorder_port_pages_with_the_callers_cursor_and_maps_meetings() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let recorder: &dyn Recorder = &fathom_client(&fake.api_url(), connectors::RetryPolicy::NONE);

    let mut query = MeetingQuery::default();
    let mut pages = Vec::new();
    loop {
        let page = recorder.list_meetings(&alice(), &query).await.unwrap();
        pages.push(page.meetings.len());
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }

    assert_eq!(pages, vec![3, 3, 1]);
    let first = recorder
        .list_meetings(&alice(), &MeetingQuery::default())
        .await
        .unwrap();
    let meeting = &first.meetings[0];
    assert_eq!(meeting.recording_id, RecordingId::new(1));
    assert_eq!(meeting.title, "Meeting 1");
    assert_eq!(meeting.created_at, hours_before(1));
    assert_eq!(meeting.duration(), Duration::from_secs(45 * 60 - 72));
    assert_eq!(meeting.language.as_deref(), Some("en"));
    assert_eq!(meeting.recorded_by_email, "alice@acme.test");
    assert!(
        meeting
            .invitees
            .iter()
            .any(|i| i.is_external && i.email.as_deref() == Some("john@globex.test"))
    );
}

#[tokio::test]
async fn the_recorder_port_reports_the_contracts_errors() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let recorder: &dyn Recorder = &fathom_client(&fake.api_url(), connectors::RetryPolicy::NONE);

    let wrong = RecorderAuth::ApiKey(Secret::from("fathom-not-a-key"));
    assert_eq!(
        recorder.verify(&wrong).await,
        Err(ProviderError::Unauthorized)
    );
    assert_eq!(
        recorder
            .transcript(&alice(), &RecordingId::new(100))
            .await
            .unwrap_err(),
        ProviderError::NotFound
    );
    fake.fail_next(
        Endpoint::Meetings,
        Failure::RateLimited {
            retry_after_secs: 7,
        },
    );
    assert_eq!(
        recorder
            .list_meetings(&alice(), &MeetingQuery::default())
            .await,
        Err(ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        })
    );
    fake.fail_next(Endpoint::Meetings, Failure::Status(502));
    assert_eq!(
        recorder.verify(&alice()).await,
        Err(ProviderError::Unavailable)
    );
}

/// The demo's path: the sample data's Italian meeting from the fake Fathom, through the
/// domain's transcript budget, drafted by the fake Anthropic.
#[tokio::test]
async fn a_sample_meeting_goes_from_the_recorder_to_a_draft_in_its_language() {
    let fathom = FakeFathom::start(FathomData::sample(jiff::Timestamp::now()))
        .await
        .unwrap();
    let anthropic = FakeAnthropic::start(ANTHROPIC_KEY).await.unwrap();
    let recorder: &dyn Recorder = &fathom_client(&fathom.api_url(), connectors::RetryPolicy::NONE);
    let drafter: &dyn Drafter = &anthropic_client(&anthropic_config(&anthropic.api_url(), true));
    let marco = RecorderAuth::ApiKey(Secret::from(SAMPLE_KEY_MARCO));

    let page = recorder
        .list_meetings(&marco, &MeetingQuery::default())
        .await
        .unwrap();
    let meeting = page
        .meetings
        .into_iter()
        .find(|m| m.language.as_deref() == Some("it"))
        .unwrap();
    let transcript = recorder
        .transcript(&marco, &meeting.recording_id)
        .await
        .unwrap();
    let fitted = fit(&transcript, Budget::tokens(20_000));
    let request = followup::DraftRequest {
        meeting: MeetingFacts {
            title: meeting.title.clone(),
            started_at: meeting.started_at.in_tz("Europe/Rome").unwrap(),
            duration: meeting.duration(),
            participants: meeting
                .invitees
                .iter()
                .filter_map(|i| i.name.clone())
                .collect(),
            recipients: Vec::new(),
        },
        transcript: fitted.text,
        transcript_truncated: fitted.truncated,
        language: meeting.language.clone(),
        writing: WritingSettings {
            sender_name: "Marco Rossi".into(),
            company: Some("Acme".into()),
            tone: Tone::Concise,
            note_language: None,
        },
    };
    let draft = drafter.draft(&request).await.unwrap();

    assert_eq!(draft.email.subject, format!("Riepilogo: {}", meeting.title));
    assert!(
        draft.summary.contains("Grazie del tempo, Giulia"),
        "{}",
        draft.summary
    );
    assert!(draft.follow_up.agreed);
    let answer = drafter.answer("Anything?", &[]).await.unwrap();
    assert_eq!(answer.text, connectors::anthropic::NOTHING_TO_GO_ON);
}
