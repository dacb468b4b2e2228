//! The Crono adapter on FakeCrono: the CRM contract suite, then Crono's own (the key pair,
//! the `data` wrapper, the paged domain scan, rate limits, retries, UTC task times).
//!
//! Several shapes are UNCONFIRMED in shared/reference/crono.md (the fake follows the
//! adapter's reading of them): `GET Pipelines`' answer, `isClosed` on opportunities, the
//! `objectIds` filter, the task `type` names, the status for bad keys, the app's URLs. Tests
//! that rest on them say so.

use std::collections::HashMap;
use std::time::Duration;

use connectors::HttpConfig;
use connectors::crono::{CronoClient, CronoConfig};
use fakes::crono::{Endpoint, Failure, FakeCrono};
use followup::crm::{
    AccountId, Amount, ContactId, Crm, CrmAccess, CrmAuth, CrmError, DealUpdate, Domain, NewNote,
    NewTask, TaskKind,
};
use followup::testkit::crm::{self as contract, CrmFixture};
use jiff::Timestamp;
use serde_json::json;
use tenant::Secret;

use super::crm_support::{
    assert_revoked_is_unauthorized, assert_slow_is_unavailable, assert_unavailable_after_retries,
    only,
};
use super::support::{assert_leaks_nothing, quick_retries};

const PUBLIC_A: &str = "cpk_public_a_51c2";
const PRIVATE_A: &str = "csk_private_a_9f3e";
const PUBLIC_B: &str = "cpk_public_b_77d0";
const PRIVATE_B: &str = "csk_private_b_0a1b";

fn keys(public: &str, private: &str) -> CrmAccess {
    CrmAccess {
        auth: CrmAuth::KeyPair {
            public: Secret::from(public),
            private: Secret::from(private),
        },
        site: None,
    }
}

/// Loads `fixture` into a new workspace of `fake`; account ids by name. Websites are stored
/// in the free-text forms Crono keeps (§4.1); closed stages carry `isClosed` (the first
/// closed one of a pipeline also `isWon`).
fn seed(
    fake: &FakeCrono,
    (public, private): (&str, &str),
    fixture: &CrmFixture,
) -> (usize, HashMap<String, String>) {
    let ws = fake.add_workspace(public, private);
    let accounts: HashMap<String, String> = fixture
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let website = a.domain.as_deref().map(|d| match i % 3 {
                0 => d.to_owned(),
                1 => format!("https://www.{d}/"),
                _ => format!("http://{d}/about"),
            });
            (
                a.name.clone(),
                fake.add_account(ws, &a.name, website.as_deref()),
            )
        })
        .collect();
    let mut pipelines = HashMap::new();
    for p in &fixture.pipelines {
        let mut first_closed = true;
        let stages: Vec<(&str, bool, bool)> = p
            .stages
            .iter()
            .map(|(label, closed)| {
                let won = *closed && std::mem::take(&mut first_closed);
                (label.as_str(), *closed, won)
            })
            .collect();
        pipelines.insert(p.label.clone(), fake.add_pipeline(ws, &p.label, &stages));
    }
    for d in &fixture.deals {
        let pipeline = &pipelines[&d.pipeline];
        let stage = pipeline.stages.iter().find(|s| s.label == d.stage).unwrap();
        fake.add_opportunity(
            ws,
            &d.name,
            &accounts[&d.account],
            pipeline,
            &stage.id,
            d.amount.as_deref().map(|a| a.parse().unwrap()),
            d.currency.as_deref(),
        );
    }
    for c in &fixture.contacts {
        fake.add_prospect(
            ws,
            &c.first_name,
            &c.last_name,
            &c.email,
            Some(&accounts[&c.account]),
        );
    }
    (ws, accounts)
}

fn client(fake: &FakeCrono, timeout: Duration) -> CronoClient {
    let mut config = CronoConfig::from_lookup(only("CRONO_API_URL", fake.api_url())).unwrap();
    config.retry = quick_retries(2);
    config.http = HttpConfig::with_timeout(timeout);
    CronoClient::new(&config).unwrap()
}

struct Setup {
    fake: FakeCrono,
    client: CronoClient,
    ws: usize,
    accounts: HashMap<String, String>,
    a: CrmAccess,
    b: CrmAccess,
}

async fn setup() -> Setup {
    let fake = FakeCrono::start().await.unwrap();
    let (ws, accounts) = seed(&fake, (PUBLIC_A, PRIVATE_A), &CrmFixture::standard());
    seed(&fake, (PUBLIC_B, PRIVATE_B), &CrmFixture::other());
    let client = client(&fake, Duration::from_secs(5));
    Setup {
        fake,
        client,
        ws,
        accounts,
        a: keys(PUBLIC_A, PRIVATE_A),
        b: keys(PUBLIC_B, PRIVATE_B),
    }
}

fn acme(s: &Setup) -> AccountId {
    AccountId::parse(&s.accounts["Acme"]).unwrap()
}

fn task(due: Timestamp) -> NewTask {
    NewTask {
        subject: "Follow up".into(),
        description: "Send the proposal".into(),
        due,
        kind: TaskKind::Call,
    }
}

#[tokio::test]
async fn crono_keeps_the_crm_contract() {
    let s = setup().await;
    contract::crm(&s.client, &s.a).await;
}

#[tokio::test]
async fn crono_workspaces_cannot_reach_each_others_records() {
    let s = setup().await;
    contract::crm_isolation(&s.client, &s.a, &s.b).await;
}

#[tokio::test]
async fn the_key_pair_travels_in_two_headers_and_other_credentials_are_refused_without_a_call() {
    let s = setup().await;
    s.client.pipelines(&s.a).await.unwrap();
    let call = &s.fake.calls_to(Endpoint::Pipelines)[0];
    // The fake joins the two headers it received with a newline.
    assert_eq!(
        call.credential.as_ref().map(Secret::expose),
        Some(format!("{PUBLIC_A}\n{PRIVATE_A}").as_str())
    );
    assert_eq!(call.path, "/api/v1/Pipelines", "everything on /api/v1 (§1)");
    for other in [
        CrmAccess::bearer(PRIVATE_A),
        CrmAccess {
            auth: CrmAuth::ApiToken(Secret::from(PRIVATE_A)),
            site: None,
        },
    ] {
        assert_eq!(
            s.client.pipelines(&other).await.unwrap_err(),
            CrmError::Unauthorized
        );
        assert_eq!(s.client.verify(&other).await, Err(CrmError::Unauthorized));
    }
    assert_eq!(
        s.fake.calls().len(),
        1,
        "no call with another credential kind"
    );
}

#[tokio::test]
async fn verify_is_one_get_users_and_refuses_a_wrong_secret_or_a_revoked_key() {
    let s = setup().await;
    assert_eq!(s.client.verify(&s.a).await, Ok(()));
    assert_eq!(s.fake.calls().len(), 1);
    assert_eq!(s.fake.calls_to(Endpoint::Users).len(), 1);
    let wrong = keys(PUBLIC_A, "csk_wrong_secret_4d4d");
    let err = s.client.verify(&wrong).await.unwrap_err();
    assert_eq!(err, CrmError::Unauthorized);
    assert_leaks_nothing(&err, &err.to_string(), &["csk_wrong", PUBLIC_A]);
    s.fake.revoke(PUBLIC_A);
    assert_eq!(s.client.verify(&s.a).await, Err(CrmError::Unauthorized));
    assert_eq!(s.client.verify(&s.b).await, Ok(()), "B's keys still work");
}

#[tokio::test]
async fn domains_match_the_website_exactly_through_a_paged_account_search() {
    let s = setup().await;
    s.fake
        .add_account(s.ws, "Acme Phish", Some("https://acme.example.evil.io"));
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &[Domain::parse("acme.example").unwrap()])
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Acme"]
    );
    assert_eq!(found[0].domain.as_deref(), Some("acme.example"));
    // The app URL shape is UNCONFIRMED (§4.9).
    assert_eq!(
        found[0].link,
        format!("https://app.crono.one/accounts/{}", s.accounts["Acme"])
    );
    let calls = s.fake.calls_to(Endpoint::AccountsSearch);
    assert_eq!(calls.len(), 1, "one short page: the scan is complete");
    let body = calls[0].body.clone().unwrap();
    // `hasWebsite` is an [n8n] filter (UNCONFIRMED); no domain filter is known (§4.3).
    assert_eq!(body["hasWebsite"], true);
    assert_eq!(body["pagination"], json!({ "limit": 200, "offset": 0 }));
}

#[tokio::test]
async fn a_domain_scan_past_its_page_cap_falls_back_to_a_name_search() {
    let s = setup().await;
    for i in 0..2000 {
        s.fake.add_account(
            s.ws,
            &format!("Filler {i}"),
            Some(&format!("filler{i}.example")),
        );
    }
    s.fake
        .add_account(s.ws, "Late Corp", Some("www.late.example"));
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &[Domain::parse("late.example").unwrap()])
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Late Corp"]
    );
    let calls = s.fake.calls_to(Endpoint::AccountsSearch);
    assert_eq!(calls.len(), 11, "ten full pages, then the name search");
    assert_eq!(
        calls[9].body.as_ref().unwrap()["pagination"]["offset"],
        1800
    );
    assert_eq!(calls[10].body.as_ref().unwrap()["name"], "late");
}

#[tokio::test]
async fn a_note_is_plain_text_wrapped_in_data_and_its_id_is_local_as_crono_answers_none() {
    let s = setup().await;
    let note = NewNote {
        body: "Met <John> & team.\r\n\r\nNext: the proposal.".into(),
        at: Timestamp::UNIX_EPOCH,
        marker: "sb-00000000000000c1".into(),
    };
    let written = s.client.create_note(&s.a, &acme(&s), &note).await.unwrap();
    let stored = &s.fake.notes()[0].data;
    // Crono does not render HTML (§4.5): the text as it is, newlines kept.
    assert_eq!(
        stored["description"],
        "Met <John> & team.\n\nNext: the proposal.\n\nref: sb-00000000000000c1",
        "the marker is a short trailing line"
    );
    // No consistent lookup by marker is known for Crono (see `find_note`): never "absent".
    assert_eq!(
        s.client
            .find_note(&s.a, &acme(&s), "sb-00000000000000c1")
            .await,
        Err(CrmError::Unsupported)
    );
    assert_eq!(stored["accountId"], s.accounts["Acme"].as_str());
    let sent = s.fake.calls_to(Endpoint::Notes)[0].body.clone().unwrap();
    assert!(sent.get("data").is_some(), "the write is wrapped in data");
    // UNCONFIRMED: the note id is not returned (§4.5, §6.2), so it is ours.
    assert!(
        written.id.as_str().starts_with("local-"),
        "{:?}",
        written.id
    );
    assert_eq!(
        s.fake.calls_to(Endpoint::Account).len(),
        1,
        "the account is read first (GET Accounts/{{id}}, UNCONFIRMED on /api/v1)"
    );
}

#[tokio::test]
async fn a_task_is_due_in_utc_with_the_n8n_type_name_on_the_prospects_account() {
    let s = setup().await;
    let john = s
        .client
        .search_contacts(&s.a, "john@acme.example")
        .await
        .unwrap();
    assert_eq!(john.len(), 1);
    let due: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
        .parse::<jiff::ZonedDateTime>()
        .unwrap()
        .timestamp();
    let written = s
        .client
        .create_task(&s.a, &john[0].id, &task(due))
        .await
        .unwrap();
    let stored = &s.fake.tasks()[0];
    assert_eq!(stored.data["activityDate"], "2026-01-15T08:00:00Z");
    // UNCONFIRMED: `type` as a name [n8n], not the repo's integer.
    assert_eq!(stored.data["type"], "Call");
    assert_eq!(stored.data["prospectId"], john[0].id.as_str());
    assert_eq!(stored.data["accountId"], s.accounts["Acme"].as_str());
    assert_eq!(stored.data["subject"], "Follow up");
    assert_eq!(Some(written.id.as_str()), stored.object_id.as_deref());
}

#[tokio::test]
async fn a_task_for_a_prospect_on_no_account_is_unsupported() {
    let s = setup().await;
    let loner = s
        .fake
        .add_prospect(s.ws, "Lone", "Wolf", "lone@nowhere.example", None);
    let result = s
        .client
        .create_task(
            &s.a,
            &ContactId::parse(&loner).unwrap(),
            &task(Timestamp::UNIX_EPOCH),
        )
        .await;
    assert_eq!(result.unwrap_err(), CrmError::Unsupported);
    assert!(s.fake.calls_to(Endpoint::Tasks).is_empty());
}

#[tokio::test]
async fn no_pipelines_endpoint_is_unsupported_and_open_deals_still_leave_closed_ones_out() {
    let s = setup().await;
    s.fake.fail_next(Endpoint::Pipelines, Failure::Status(405));
    assert_eq!(
        s.client.pipelines(&s.a).await.unwrap_err(),
        CrmError::Unsupported
    );
    s.fake.fail_next(Endpoint::Pipelines, Failure::Status(404));
    assert_eq!(
        s.client.pipelines(&s.a).await.unwrap_err(),
        CrmError::Unsupported
    );
    // Without pipelines, `isClosed` (UNCONFIRMED as a filter and a field) still decides.
    s.fake.fail_next(Endpoint::Pipelines, Failure::Status(404));
    let deals = s.client.open_deals(&s.a, &acme(&s)).await.unwrap();
    let mut names: Vec<&str> = deals.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Acme expansion", "Acme pilot"]);
    let body = s.fake.calls_to(Endpoint::OpportunitiesSearch)[0]
        .body
        .clone()
        .unwrap();
    assert_eq!(body["isClosed"], false);
    assert_eq!(body["accountId"], s.accounts["Acme"].as_str());
}

#[tokio::test]
async fn a_deal_update_is_a_patch_with_both_ids_in_the_data_and_the_amount_a_number() {
    let s = setup().await;
    let deals = s.client.open_deals(&s.a, &acme(&s)).await.unwrap();
    let deal = deals.iter().find(|d| d.name == "Acme expansion").unwrap();
    let update = DealUpdate {
        stage: None,
        amount: Some(Amount::parse("15000,50").unwrap()),
    };
    s.client.update_deal(&s.a, &deal.id, &update).await.unwrap();
    let call = &s.fake.calls_to(Endpoint::UpdateOpportunity)[0];
    assert_eq!(call.method, "PATCH");
    assert_eq!(
        call.path, "/api/v1/Opportunities",
        "no id in the path (§4.7)"
    );
    let data = &call.body.as_ref().unwrap()["data"];
    assert_eq!(data["opportunityId"], deal.id.as_str());
    assert_eq!(data["accountId"], s.accounts["Acme"].as_str());
    assert_eq!(data["amount"], json!(15000.5));
    assert!(data.get("stage").is_none());
    assert_eq!(
        s.fake.opportunity(deal.id.as_str()).unwrap().amount,
        Some(15000.5)
    );
    assert!(s.fake.calls_to(Endpoint::OpportunityById).is_empty());
}

#[tokio::test]
async fn a_429_waits_for_retry_after_or_backs_off() {
    let s = setup().await;
    s.fake.fail_next(
        Endpoint::Pipelines,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    s.fake.fail_next(
        Endpoint::OpportunitiesSearch,
        Failure::RateLimited {
            retry_after_secs: None,
        },
    );
    assert_eq!(s.client.open_deals(&s.a, &acme(&s)).await.unwrap().len(), 2);
    let statuses = |e| {
        s.fake
            .calls_to(e)
            .iter()
            .map(|c| c.status)
            .collect::<Vec<u16>>()
    };
    assert_eq!(statuses(Endpoint::Pipelines), [429, 200]);
    assert_eq!(statuses(Endpoint::OpportunitiesSearch), [429, 200]);
    // More 429s than the retry budget: RateLimited, with the wait asked for.
    s.fake.fail_next_n(
        Endpoint::Users,
        3,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    assert_eq!(
        s.client.verify(&s.a).await,
        Err(CrmError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        })
    );
}

#[tokio::test]
async fn a_revoked_key_is_unauthorized_and_a_5xx_unavailable_after_retries() {
    let s = setup().await;
    assert_unavailable_after_retries(
        &s.client,
        &s.a,
        |n, failure| s.fake.fail_next_n(Endpoint::Pipelines, n, failure),
        || s.fake.calls_to(Endpoint::Pipelines).len(),
    )
    .await;
    assert_revoked_is_unauthorized(&s.client, &s.a, &s.b, PRIVATE_A, || s.fake.revoke(PUBLIC_A))
        .await;
}

#[tokio::test]
async fn a_note_or_a_task_is_not_created_twice_after_a_5xx_and_slow_answers_time_out() {
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
    let john = s.client.search_contacts(&s.a, "Smith").await.unwrap();
    s.fake.fail_next(Endpoint::Tasks, Failure::Status(503));
    assert_eq!(
        s.client
            .create_task(&s.a, &john[0].id, &task(Timestamp::UNIX_EPOCH))
            .await
            .unwrap_err(),
        CrmError::Unavailable
    );
    assert_eq!(s.fake.calls_to(Endpoint::Tasks).len(), 1);
    assert!(s.fake.notes().is_empty() && s.fake.tasks().is_empty());
    let impatient = client(&s.fake, Duration::from_secs(1));
    assert_slow_is_unavailable(&impatient, &s.a, |slow| {
        s.fake.fail_next(Endpoint::Pipelines, slow)
    })
    .await;
}

#[tokio::test]
async fn keys_never_show_in_debug_or_errors() {
    let s = setup().await;
    let shown = format!("{:?} {:?}", s.client, s.a);
    assert!(
        !shown.contains(PUBLIC_A) && !shown.contains(PRIVATE_A),
        "{shown}"
    );
    s.fake.fail_next(Endpoint::Pipelines, Failure::Status(400));
    let errors = [
        s.client.pipelines(&s.a).await.unwrap_err(),
        s.client
            .verify(&keys(PUBLIC_A, "csk_other"))
            .await
            .unwrap_err(),
    ];
    for err in &errors {
        assert_leaks_nothing(err, &err.to_string(), &[PUBLIC_A, PRIVATE_A, "csk_other"]);
    }
}
