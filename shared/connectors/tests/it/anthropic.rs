use std::time::{Duration, Instant};

use connectors::anthropic::{AnthropicClient, DRAFT_TOOL, NOTHING_TO_GO_ON, draft_schema};
use connectors::http::HttpConfig;
use connectors::{ConnectorError, Unavailable};
use fakes::anthropic::{Failure, FakeAnthropic};
use followup::{
    DraftRequest, EmailAddress, FollowUpWhen, Mailbox, MeetingFacts, SessionDigest, Tone,
    WritingSettings,
};
use jiff::civil;
use tenant::Secret;

use crate::support::*;

/// An Italian meeting whose transcript names a follow-up day.
pub fn italian_request() -> DraftRequest {
    DraftRequest {
        meeting: MeetingFacts {
            title: "Chiamata con Ferrarini".into(),
            started_at: base().in_tz("Europe/Rome").unwrap(),
            duration: Duration::from_secs(40 * 60),
            participants: vec!["Marco Rossi".into(), "Giulia Ferrarini".into()],
            recipients: vec![Mailbox {
                name: Some("Giulia Ferrarini".into()),
                address: EmailAddress::parse("giulia@ferrarini.test").unwrap(),
            }],
        },
        transcript: [
            "[00:00:05] Marco Rossi: Come gestite oggi i rinnovi dei contratti?",
            "[00:00:20] Giulia Ferrarini: Usiamo Excel e perdiamo ore sulle renewal paperwork.",
            "[00:02:40] Marco Rossi: Vi invio una proposta e ci sentiamo il 2025-12-10.",
        ]
        .join("\n"),
        transcript_truncated: false,
        language: Some("it".into()),
        writing: WritingSettings {
            sender_name: "Marco Rossi".into(),
            company: Some("Acme Italia".into()),
            tone: Tone::Professional,
            note_language: Some("en".into()),
        },
    }
}

async fn setup(fallback: bool) -> (FakeAnthropic, AnthropicClient) {
    let fake = FakeAnthropic::start(ANTHROPIC_KEY).await.unwrap();
    let client = anthropic_client(&anthropic_config(&fake.api_url(), fallback));
    (fake, client)
}

#[tokio::test]
async fn a_draft_is_the_forced_tools_input_with_the_transcripts_facts() {
    let (fake, client) = setup(true).await;

    let draft = client.draft(&italian_request()).await.unwrap();

    // The fake model builds its answer from the request: facts flowed through.
    assert!(
        draft
            .summary
            .starts_with("Marco Rossi: Come gestite oggi i rinnovi"),
        "{}",
        draft.summary
    );
    assert_eq!(draft.email.subject, "Riepilogo: Chiamata con Ferrarini");
    assert!(draft.email.body.starts_with("Ciao"));
    assert!(
        draft.crm_note.contains("Tech stack: Excel"),
        "{}",
        draft.crm_note
    );
    assert!(draft.follow_up.agreed);
    assert_eq!(
        draft.follow_up.when,
        Some(FollowUpWhen::Date(civil::date(2025, 12, 10)))
    );

    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.model, PRIMARY);
    assert_eq!(call.forced_tool.as_deref(), Some(DRAFT_TOOL));
    assert_eq!(&call.body["tools"][0]["input_schema"], draft_schema());
    assert!(call.body["max_tokens"].as_u64().unwrap() > 0);
    let system = call.body["system"].as_str().unwrap();
    assert!(system.contains("Marco Rossi, a salesperson at Acme Italia"));
    assert!(
        system.contains("in Italian") && system.contains("CRM, in English"),
        "{system}"
    );
}

#[tokio::test]
async fn an_answer_that_fails_the_schema_is_asked_for_once_more() {
    let (fake, client) = setup(true).await;
    fake.fail_next(Failure::InvalidToolOutput);

    let draft = client.draft(&italian_request()).await.unwrap();

    assert_eq!(draft.email.subject, "Riepilogo: Chiamata con Ferrarini");
    assert_eq!(
        fake.models_called(),
        vec![PRIMARY, PRIMARY],
        "same model, no fallback"
    );
}

#[tokio::test]
async fn twice_unusable_is_invalid_naming_the_field_and_quoting_nothing() {
    let (fake, client) = setup(true).await;
    fake.fail_next_n(2, Failure::InvalidToolOutput);

    let err = client.draft(&italian_request()).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Invalid {
            provider: "Anthropic",
            what: "missing field `email`".into()
        }
    );
    assert_eq!(fake.calls().len(), 2);
    assert_leaks_nothing(
        &err,
        &err.to_string(),
        &[ANTHROPIC_KEY, TRANSCRIPT_PHRASE, "Ferrarini"],
    );

    // A model that answers in text instead of the tool is unusable the same way.
    fake.fail_next_n(2, Failure::TextOnly);
    let err = client.draft(&italian_request()).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Invalid {
            provider: "Anthropic",
            what: format!("no {DRAFT_TOOL} tool call in the answer")
        }
    );
}

#[tokio::test]
async fn overloaded_after_the_retries_falls_back_once_to_the_fallback_model() {
    let (fake, client) = setup(true).await;
    // The primary's first try and its one retry.
    fake.fail_next_n(2, Failure::Overloaded);

    let draft = client.draft(&italian_request()).await.unwrap();

    assert!(!draft.summary.is_empty());
    assert_eq!(fake.models_called(), vec![PRIMARY, PRIMARY, FALLBACK]);
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![529, 529, 200]);
}

#[tokio::test]
async fn when_the_fallback_is_overloaded_too_the_draft_is_unavailable() {
    let (fake, client) = setup(true).await;
    fake.fail_next_n(4, Failure::Overloaded);

    let err = client.draft(&italian_request()).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Unavailable {
            provider: "Anthropic",
            cause: Unavailable::Status(529),
            retry_after: None
        }
    );
    assert_eq!(
        fake.models_called(),
        vec![PRIMARY, PRIMARY, FALLBACK, FALLBACK]
    );
    let err = followup::ProviderError::from(err);
    assert_eq!(err, followup::ProviderError::Unavailable);
}

#[tokio::test]
async fn a_429_waits_its_retry_after_on_the_same_model() {
    let (fake, client) = setup(true).await;
    fake.fail_next(Failure::RateLimited {
        retry_after_secs: 1,
    });

    let started = Instant::now();
    client.draft(&italian_request()).await.unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.models_called(), vec![PRIMARY, PRIMARY]);
}

#[tokio::test]
async fn server_errors_without_a_fallback_model_are_unavailable() {
    let (fake, client) = setup(false).await;
    fake.fail_next_n(2, Failure::Status(500));

    let err = client.draft(&italian_request()).await.unwrap_err();

    assert!(
        matches!(
            err,
            ConnectorError::Unavailable {
                cause: Unavailable::Status(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.models_called(), vec![PRIMARY, PRIMARY]);
}

#[tokio::test]
async fn a_wrong_api_key_is_unauthorized_at_once_and_never_shown() {
    let fake = FakeAnthropic::start(ANTHROPIC_KEY).await.unwrap();
    let config = anthropic_config(&fake.api_url(), true);
    let client = AnthropicClient::new(&config, Secret::from("sk-ant-wrong-key-77")).unwrap();

    let err = client.draft(&italian_request()).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Unauthorized {
            provider: "Anthropic",
            status: 401
        }
    );
    assert_eq!(
        fake.calls().len(),
        1,
        "no retry and no fallback for a refused key"
    );
    assert_leaks_nothing(
        &err,
        &err.to_string(),
        &["sk-ant-wrong-key-77", TRANSCRIPT_PHRASE],
    );
    assert_leaks_nothing(&client, "", &["sk-ant-wrong-key-77"]);
    assert_leaks_nothing(&italian_request(), "", &[TRANSCRIPT_PHRASE]);
}

#[tokio::test]
async fn a_slow_model_times_out_as_unavailable_without_a_fallback_call() {
    let fake = FakeAnthropic::start(ANTHROPIC_KEY).await.unwrap();
    let mut config = anthropic_config(&fake.api_url(), true);
    config.http = HttpConfig::with_timeout(Duration::from_millis(300));
    let client = anthropic_client(&config);
    fake.fail_next(Failure::Slow(Duration::from_secs(3)));

    let started = Instant::now();
    let err = client.draft(&italian_request()).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Unavailable {
            provider: "Anthropic",
            cause: Unavailable::Timeout,
            retry_after: None
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.models_called(), vec![PRIMARY]);
}

fn digests() -> Vec<SessionDigest> {
    vec![
        SessionDigest {
            title: "Globex discovery call".into(),
            started_at: hours_before(2),
            summary: "Globex is blocked on the security review.".into(),
            crm_note: "Roadblocks: security review".into(),
        },
        SessionDigest {
            title: "Initech pricing".into(),
            started_at: hours_before(30),
            summary: "Initech finds the per-seat price too high.".into(),
            crm_note: "Roadblocks: budget".into(),
        },
    ]
}

#[tokio::test]
async fn ask_answers_from_the_digests_and_says_which_it_used() {
    let (fake, client) = setup(true).await;

    let answer = client.ask("What blocks Globex?", &digests()).await.unwrap();

    assert_eq!(answer.used, vec![0]);
    assert!(answer.text.contains("security review"), "{}", answer.text);
    let call = &fake.calls()[0];
    assert_eq!(call.forced_tool.as_deref(), Some("answer_from_sessions"));
    let user = call.body["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains("<question>What blocks Globex?</question>"));
}

#[tokio::test]
async fn ask_with_no_sessions_says_so_without_calling_the_model() {
    let (fake, client) = setup(true).await;

    let answer = client.ask("What blocks Globex?", &[]).await.unwrap();

    assert_eq!(answer.text, NOTHING_TO_GO_ON);
    assert!(answer.used.is_empty());
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn the_budget_bounds_a_draft_however_the_retries_add_up() {
    let fake = FakeAnthropic::start(ANTHROPIC_KEY).await.unwrap();
    let mut config = anthropic_config(&fake.api_url(), true);
    config.budget = Duration::from_millis(400);
    let client = anthropic_client(&config);

    // A slow model: the attempt is cut at the budget (not at the 50 s call timeout), and no
    // time is left for the fallback.
    fake.fail_next(Failure::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let err = client.draft(&italian_request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Unavailable {
                cause: Unavailable::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.models_called(), vec![PRIMARY]);

    // A retry-after longer than what is left is not waited for: the fallback answers at once.
    fake.fail_next(Failure::RateLimited {
        retry_after_secs: 1,
    });
    let started = Instant::now();
    client.draft(&italian_request()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.models_called()[1..], [PRIMARY, FALLBACK]);
}
