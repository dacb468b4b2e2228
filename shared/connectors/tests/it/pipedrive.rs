//! The Pipedrive adapter on FakePipedrive: the CRM contract suite, then Pipedrive's own
//! (auth headers, rate limits, retries, the wire format of notes, activities and deals).

use std::collections::HashMap;
use std::time::Duration;

use connectors::HttpConfig;
use connectors::pipedrive::{PipedriveClient, PipedriveConfig};
use fakes::pipedrive::{Endpoint, Failure, FakePipedrive};
use followup::crm::{
    AccountId, Amount, Crm, CrmAccess, CrmAuth, CrmError, DealUpdate, Domain, NewNote, NewTask,
    StageId, TaskKind,
};
use followup::testkit::crm::{self as contract, CrmFixture};
use jiff::Timestamp;
use tenant::Secret;

use super::crm_support::{
    assert_revoked_is_unauthorized, assert_slow_is_unavailable, assert_unavailable_after_retries,
    only,
};
use super::support::quick_retries;

const TOKEN_A: &str = "pipedrive-api-token-a-5e1f";
const TOKEN_B: &str = "pipedrive-oauth-token-b-0c77";

/// Loads `fixture` into a new company of `fake`; organization ids by name. Deals in the
/// fixture's closed stages become won (or lost) deals in the pipeline's last open stage:
/// Pipedrive closes deals by status, not stage.
fn seed(fake: &FakePipedrive, token: &str, fixture: &CrmFixture) -> (usize, HashMap<String, u64>) {
    let company = fake.add_company(token);
    let orgs: HashMap<String, u64> = fixture
        .accounts
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                fake.add_organization(company, &a.name, a.domain.as_deref()),
            )
        })
        .collect();
    let mut pipelines = HashMap::new();
    for p in &fixture.pipelines {
        let open: Vec<&str> = p
            .stages
            .iter()
            .filter(|(_, c)| !c)
            .map(|(l, _)| l.as_str())
            .collect();
        let closed: Vec<&str> = p
            .stages
            .iter()
            .filter(|(_, c)| *c)
            .map(|(l, _)| l.as_str())
            .collect();
        pipelines.insert(
            p.label.clone(),
            (fake.add_pipeline(company, &p.label, &open), closed),
        );
    }
    for d in &fixture.deals {
        let (pipeline, closed) = &pipelines[&d.pipeline];
        let (stage, status) = match pipeline.stages.iter().find(|(_, name)| *name == d.stage) {
            Some((id, _)) => (*id, "open"),
            None => {
                let status = if closed.first() == Some(&d.stage.as_str()) {
                    "won"
                } else {
                    "lost"
                };
                (pipeline.stages.last().unwrap().0, status)
            }
        };
        let value = d.amount.as_deref().map(|a| a.parse().unwrap());
        fake.add_deal(
            company,
            &d.name,
            orgs[&d.account],
            pipeline.id,
            stage,
            value,
            d.currency.as_deref().unwrap_or("EUR"),
            status,
        );
    }
    for c in &fixture.contacts {
        let name = format!("{} {}", c.first_name, c.last_name);
        fake.add_person(company, &name, &c.email, Some(orgs[&c.account]));
    }
    (company, orgs)
}

fn client(fake: &FakePipedrive, timeout: Duration) -> PipedriveClient {
    let url = fake.api_url();
    let mut config = PipedriveConfig::from_lookup(only("PIPEDRIVE_API_URL", url)).unwrap();
    config.retry = quick_retries(2);
    config.http = HttpConfig::with_timeout(timeout);
    PipedriveClient::new(&config).unwrap()
}

struct Setup {
    fake: FakePipedrive,
    client: PipedriveClient,
    orgs: HashMap<String, u64>,
    /// An API token (`x-api-token`).
    a: CrmAccess,
    /// An OAuth token (Bearer).
    b: CrmAccess,
}

async fn setup() -> Setup {
    let fake = FakePipedrive::start().await.unwrap();
    let (_, orgs) = seed(&fake, TOKEN_A, &CrmFixture::standard());
    seed(&fake, TOKEN_B, &CrmFixture::other());
    let client = client(&fake, Duration::from_secs(5));
    Setup {
        fake,
        client,
        orgs,
        a: CrmAccess {
            auth: CrmAuth::ApiToken(Secret::from(TOKEN_A)),
            site: None,
        },
        b: CrmAccess::bearer(TOKEN_B),
    }
}

fn acme(s: &Setup) -> AccountId {
    AccountId::parse(&s.orgs["Acme"].to_string()).unwrap()
}

#[tokio::test]
async fn pipedrive_keeps_the_crm_contract() {
    let s = setup().await;
    contract::crm(&s.client, &s.a).await;
}

#[tokio::test]
async fn pipedrive_companies_cannot_reach_each_others_records() {
    let s = setup().await;
    contract::crm_isolation(&s.client, &s.a, &s.b).await;
}

#[tokio::test]
async fn pipedrive_finds_a_note_by_its_marker_in_the_organizations_notes_only() {
    let s = setup().await;
    contract::crm_note_markers(&s.client, &s.a, &s.b).await;
    let listed = s.fake.calls_to(Endpoint::ListNotes);
    assert!(
        !listed.is_empty(),
        "the organization's notes list, a consistent read"
    );
    assert!(
        listed
            .iter()
            .all(|c| c.query.iter().any(|(k, _)| k == "org_id")),
        "always one organization's notes, never a scan of all"
    );
}

#[tokio::test]
async fn an_api_token_travels_in_its_header_never_in_the_url() {
    let s = setup().await;
    s.client.pipelines(&s.a).await.unwrap();
    let call = &s.fake.calls_to(Endpoint::Pipelines)[0];
    assert_eq!(call.credential.as_ref().map(Secret::expose), Some(TOKEN_A));
    assert!(call.query.iter().all(|(k, _)| k != "api_token"));
}

#[tokio::test]
async fn domains_are_matched_exactly_on_custom_fields() {
    let s = setup().await;
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &[Domain::parse("acme.example").unwrap()])
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Acme"]
    );
    let call = &s.fake.calls_to(Endpoint::OrganizationsSearch)[0];
    let q: HashMap<_, _> = call.query.iter().cloned().collect();
    assert_eq!(q["term"], "acme.example");
    assert_eq!(q["fields"], "custom_fields");
    assert_eq!(q["exact_match"], "true");
}

#[tokio::test]
async fn closed_deals_are_left_out_by_status_and_won_closes_a_deal() {
    let s = setup().await;
    let deals = s.client.open_deals(&s.a, &acme(&s)).await.unwrap();
    assert_eq!(deals.len(), 2);
    let q: HashMap<_, _> = s.fake.calls_to(Endpoint::Deals)[0]
        .query
        .iter()
        .cloned()
        .collect();
    assert_eq!(q["status"], "open");
    let pilot = deals.iter().find(|d| d.name == "Acme pilot").unwrap();
    let won = DealUpdate {
        stage: Some(StageId::parse("won").unwrap()),
        amount: None,
    };
    s.client.update_deal(&s.a, &pilot.id, &won).await.unwrap();
    assert_eq!(
        s.fake
            .deal(pilot.id.as_str().parse().unwrap())
            .unwrap()
            .status,
        "won"
    );
}

#[tokio::test]
async fn a_deal_amount_is_sent_as_a_number() {
    let s = setup().await;
    let deals = s.client.open_deals(&s.a, &acme(&s)).await.unwrap();
    let update = DealUpdate {
        stage: None,
        amount: Some(Amount::parse("15000,50").unwrap()),
    };
    s.client
        .update_deal(&s.a, &deals[0].id, &update)
        .await
        .unwrap();
    let body = s.fake.calls_to(Endpoint::UpdateDeal)[0]
        .body
        .clone()
        .unwrap();
    assert_eq!(body["value"], serde_json::json!(15000.5));
    let bad = DealUpdate {
        stage: Some(StageId::parse("Proposal").unwrap()),
        amount: None,
    };
    assert!(matches!(
        s.client.update_deal(&s.a, &deals[0].id, &bad).await,
        Err(CrmError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_note_is_html_on_the_organization_and_an_activity_is_due_in_utc() {
    let s = setup().await;
    let note = NewNote {
        body: "Met <John> & team.".into(),
        at: "2026-01-14T15:30:00Z".parse().unwrap(),
        marker: "sb-00000000000000c1".into(),
    };
    s.client.create_note(&s.a, &acme(&s), &note).await.unwrap();
    let stored = &s.fake.notes()[0].body;
    assert_eq!(
        stored["content"], "<p>Met &lt;John&gt; &amp; team.</p><p>ref: sb-00000000000000c1</p>",
        "the marker is a short trailing line: Pipedrive's sanitiser may drop a comment"
    );
    assert_eq!(stored["org_id"], s.orgs["Acme"]);
    assert_eq!(stored["add_time"], "2026-01-14 15:30:00");
    let john = s
        .client
        .search_contacts(&s.a, "john@acme.example")
        .await
        .unwrap();
    let due: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
        .parse::<jiff::ZonedDateTime>()
        .unwrap()
        .timestamp();
    let task = NewTask {
        subject: "Follow up".into(),
        description: "Proposal".into(),
        due,
        kind: TaskKind::Call,
    };
    s.client
        .create_task(&s.a, &john[0].id, &task)
        .await
        .unwrap();
    let activity = &s.fake.activities()[0].body;
    assert_eq!(activity["due_date"], "2026-01-15");
    assert_eq!(activity["due_time"], "08:00");
    assert_eq!(activity["type"], "call");
    assert_eq!(
        activity["person_id"],
        john[0].id.as_str().parse::<u64>().unwrap()
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after_or_the_window_reset() {
    let s = setup().await;
    s.fake.fail_next(
        Endpoint::Pipelines,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    s.fake.fail_next(
        Endpoint::Stages,
        Failure::RateLimited {
            retry_after_secs: None,
        },
    );
    assert_eq!(s.client.pipelines(&s.a).await.unwrap().len(), 2);
    let statuses = |e| {
        s.fake
            .calls_to(e)
            .iter()
            .map(|c| c.status)
            .collect::<Vec<u16>>()
    };
    assert_eq!(statuses(Endpoint::Pipelines), [429, 200]);
    assert_eq!(statuses(Endpoint::Stages), [429, 200]);
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_and_a_5xx_unavailable_after_retries() {
    let s = setup().await;
    assert_unavailable_after_retries(
        &s.client,
        &s.a,
        |n, failure| s.fake.fail_next_n(Endpoint::Pipelines, n, failure),
        || s.fake.calls_to(Endpoint::Pipelines).len(),
    )
    .await;
    assert_revoked_is_unauthorized(&s.client, &s.a, &s.b, TOKEN_A, || s.fake.revoke(TOKEN_A)).await;
}

#[tokio::test]
async fn a_note_is_not_created_twice_after_a_5xx_and_slow_answers_time_out() {
    let s = setup().await;
    s.fake.fail_next(Endpoint::Notes, Failure::Status(500));
    let note = NewNote {
        body: "hello".into(),
        at: Timestamp::UNIX_EPOCH,
        marker: "sb-00000000000000c1".into(),
    };
    assert_eq!(
        s.client
            .create_note(&s.a, &acme(&s), &note)
            .await
            .unwrap_err(),
        CrmError::Unavailable
    );
    assert_eq!(s.fake.calls_to(Endpoint::Notes).len(), 1);
    let impatient = client(&s.fake, Duration::from_secs(1));
    assert_slow_is_unavailable(&impatient, &s.a, |slow| {
        s.fake.fail_next(Endpoint::Pipelines, slow)
    })
    .await;
}
