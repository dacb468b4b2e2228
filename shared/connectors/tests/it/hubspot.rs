//! The HubSpot adapter on FakeHubSpot: the CRM contract suite, then what is HubSpot's own
//! (rate limits, retries, the wire format of notes, tasks and searches).

use std::collections::HashMap;
use std::time::Duration;

use connectors::HttpConfig;
use connectors::hubspot::{HubSpotClient, HubSpotConfig};
use fakes::hubspot::{Endpoint, Failure, FakeHubSpot, ObjectType};
use followup::crm::{
    AccountId, ContactId, Crm, CrmAccess, CrmError, Domain, NewNote, NewTask, TaskKind,
};
use followup::testkit::crm::{self as contract, CrmFixture};
use jiff::Timestamp;

use super::crm_support::{
    assert_revoked_is_unauthorized, assert_slow_is_unavailable, assert_unavailable_after_retries,
    only,
};
use super::support::quick_retries;

const TOKEN_A: &str = "pat-na1-hubspot-token-a-3f9d";
const TOKEN_B: &str = "pat-eu1-hubspot-token-b-71c2";
const HUB_A: u64 = 144_001;
const HUB_B: u64 = 144_002;
const MARKER: &str = "sb-5e1f0c0ffee0a1b2";

/// Loads `fixture` into portal `hub` of `fake`; the company ids by name.
fn seed(fake: &FakeHubSpot, hub: u64, token: &str, fixture: &CrmFixture) -> HashMap<String, u64> {
    fake.add_portal(hub, token);
    let mut companies = HashMap::new();
    for a in &fixture.accounts {
        let mut props = vec![("name", a.name.as_str())];
        if let Some(d) = &a.domain {
            props.push(("domain", d.as_str()));
        }
        companies.insert(
            a.name.clone(),
            fake.add_object(hub, ObjectType::Companies, &props, &[]),
        );
    }
    let mut pipelines = HashMap::new();
    for p in &fixture.pipelines {
        let stages: Vec<(&str, bool)> = p.stages.iter().map(|(l, c)| (l.as_str(), *c)).collect();
        pipelines.insert(p.label.clone(), fake.add_pipeline(hub, &p.label, &stages));
    }
    for d in &fixture.deals {
        let pipeline = &pipelines[&d.pipeline];
        let stage = pipeline
            .stages
            .iter()
            .find(|(_, label, _)| *label == d.stage)
            .map(|(id, _, _)| id.as_str())
            .unwrap();
        let mut props = vec![
            ("dealname", d.name.as_str()),
            ("pipeline", pipeline.id.as_str()),
            ("dealstage", stage),
        ];
        if let Some(a) = &d.amount {
            props.push(("amount", a.as_str()));
        }
        if let Some(c) = &d.currency {
            props.push(("deal_currency_code", c.as_str()));
        }
        // deal→company is type 5 (hubspot.md §2).
        fake.add_object(
            hub,
            ObjectType::Deals,
            &props,
            &[(ObjectType::Companies, companies[&d.account], 5)],
        );
    }
    for c in &fixture.contacts {
        let props = [
            ("firstname", c.first_name.as_str()),
            ("lastname", c.last_name.as_str()),
            ("email", c.email.as_str()),
        ];
        // contact→company's type id is not in the reference; the fake does not check seeds.
        fake.add_object(
            hub,
            ObjectType::Contacts,
            &props,
            &[(ObjectType::Companies, companies[&c.account], 1)],
        );
    }
    companies
}

fn client(fake: &FakeHubSpot, timeout: Duration) -> HubSpotClient {
    let url = fake.api_url();
    let mut config = HubSpotConfig::from_lookup(only("HUBSPOT_API_URL", url)).unwrap();
    config.retry = quick_retries(2);
    config.http = HttpConfig::with_timeout(timeout);
    HubSpotClient::new(&config).unwrap()
}

struct Setup {
    fake: FakeHubSpot,
    client: HubSpotClient,
    companies: HashMap<String, u64>,
    a: CrmAccess,
    b: CrmAccess,
}

async fn setup() -> Setup {
    let fake = FakeHubSpot::start().await.unwrap();
    let companies = seed(&fake, HUB_A, TOKEN_A, &CrmFixture::standard());
    seed(&fake, HUB_B, TOKEN_B, &CrmFixture::other());
    let client = client(&fake, Duration::from_secs(5));
    Setup {
        fake,
        client,
        companies,
        a: CrmAccess::bearer(TOKEN_A).with_site(HUB_A.to_string()),
        b: CrmAccess::bearer(TOKEN_B).with_site(HUB_B.to_string()),
    }
}

fn acme_domain() -> Vec<Domain> {
    vec![Domain::parse("acme.example").unwrap()]
}

#[tokio::test]
async fn hubspot_keeps_the_crm_contract() {
    let s = setup().await;
    contract::crm(&s.client, &s.a).await;
}

#[tokio::test]
async fn hubspot_portals_cannot_reach_each_others_records() {
    let s = setup().await;
    contract::crm_isolation(&s.client, &s.a, &s.b).await;
}

#[tokio::test]
async fn hubspot_finds_a_note_by_its_marker_on_its_company_and_portal_only() {
    let s = setup().await;
    contract::crm_note_markers(&s.client, &s.a, &s.b).await;
    // A consistent read: the company's associations and the notes themselves, never the
    // CRM search (its index lags writes: "not found there" would write the note twice).
    assert!(
        s.fake
            .calls_to(Endpoint::Search(ObjectType::Notes))
            .is_empty()
    );
    assert!(
        !s.fake
            .calls_to(Endpoint::BatchRead(ObjectType::Notes))
            .is_empty()
    );
}

#[tokio::test]
async fn a_note_whose_create_timed_out_after_hubspot_saved_it_is_found_by_its_marker() {
    let s = setup().await;
    let acme = AccountId::parse(&s.companies["Acme"].to_string()).unwrap();
    let impatient = client(&s.fake, Duration::from_secs(1));
    // The fake saves the note, then answers too late: the outcome is unknown to the client.
    s.fake.fail_next(
        Endpoint::Create(ObjectType::Notes),
        Failure::Slow(Duration::from_secs(3)),
    );
    assert_eq!(
        impatient
            .create_note(&s.a, &acme, &note())
            .await
            .unwrap_err(),
        CrmError::Unavailable
    );
    let saved = s.fake.objects(ObjectType::Notes);
    assert_eq!(saved.len(), 1);
    let found = s.client.find_note(&s.a, &acme, MARKER).await.unwrap();
    assert_eq!(
        found.map(|w| w.id.as_str().to_owned()),
        Some(saved[0].id.to_string())
    );
    // A transient failure of the lookup is an error, never "absent".
    s.fake
        .fail_next(Endpoint::Get(ObjectType::Companies), Failure::Status(503));
    s.fake
        .fail_next(Endpoint::Get(ObjectType::Companies), Failure::Status(503));
    s.fake
        .fail_next(Endpoint::Get(ObjectType::Companies), Failure::Status(503));
    assert_eq!(
        s.client.find_note(&s.a, &acme, MARKER).await,
        Err(CrmError::Unavailable)
    );
}

#[tokio::test]
async fn closed_deals_are_excluded_when_hubspot_sends_is_closed_as_a_boolean() {
    let s = setup().await;
    s.fake.closed_as_bool(true);
    let acme = AccountId::parse(&s.companies["Acme"].to_string()).unwrap();
    let deals = s.client.open_deals(&s.a, &acme).await.unwrap();
    let mut names: Vec<_> = deals.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Acme expansion", "Acme pilot"]);
}

#[tokio::test]
async fn a_429_then_success_honours_retry_after() {
    let s = setup().await;
    let search = Endpoint::Search(ObjectType::Companies);
    s.fake.fail_next(
        search,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &acme_domain())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let statuses: Vec<u16> = s.fake.calls_to(search).iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let s = setup().await;
    s.fake.fail_next(
        Endpoint::Pipelines,
        Failure::RateLimited {
            retry_after_secs: None,
        },
    );
    assert_eq!(s.client.pipelines(&s.a).await.unwrap().len(), 2);
    assert_eq!(s.fake.calls_to(Endpoint::Pipelines).len(), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_step_can_wait_is_returned_not_slept() {
    let s = setup().await;
    s.fake.fail_next(
        Endpoint::Pipelines,
        Failure::RateLimited {
            retry_after_secs: Some(60),
        },
    );
    let err = s.client.pipelines(&s.a).await.unwrap_err();
    assert_eq!(
        err,
        CrmError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert_eq!(s.fake.calls_to(Endpoint::Pipelines).len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_at_once_and_never_shown() {
    let s = setup().await;
    assert_revoked_is_unauthorized(&s.client, &s.a, &s.b, TOKEN_A, || s.fake.revoke(TOKEN_A)).await;
    assert_eq!(
        s.fake.calls_to(Endpoint::Pipelines).len(),
        2,
        "a 401 is not retried (one call for A, one for B)"
    );
}

#[tokio::test]
async fn a_5xx_is_unavailable_after_the_retries() {
    let s = setup().await;
    assert_unavailable_after_retries(
        &s.client,
        &s.a,
        |n, failure| s.fake.fail_next_n(Endpoint::Pipelines, n, failure),
        || s.fake.calls_to(Endpoint::Pipelines).len(),
    )
    .await;
    s.fake
        .fail_next_n(Endpoint::Pipelines, 2, Failure::Status(502));
    assert!(
        s.client.pipelines(&s.a).await.is_ok(),
        "recovers within the retries"
    );
}

#[tokio::test]
async fn a_slow_answer_is_unavailable_within_the_timeout() {
    let s = setup().await;
    let impatient = client(&s.fake, Duration::from_secs(1));
    assert_slow_is_unavailable(&impatient, &s.a, |slow| {
        s.fake.fail_next(Endpoint::Pipelines, slow)
    })
    .await;
}

fn note() -> NewNote {
    NewNote {
        body: "Met <John> & team.\n\nNext: send the proposal.".into(),
        at: "2026-01-14T15:30:00Z".parse().unwrap(),
        marker: MARKER.into(),
    }
}

#[tokio::test]
async fn a_note_is_html_on_the_company_with_association_type_190() {
    let s = setup().await;
    let acme = s.companies["Acme"];
    let written = s
        .client
        .create_note(&s.a, &AccountId::parse(&acme.to_string()).unwrap(), &note())
        .await
        .unwrap();
    let stored = s.fake.object(written.id.as_str().parse().unwrap()).unwrap();
    assert_eq!(
        stored.properties["hs_note_body"],
        "<p>Met &lt;John&gt; &amp; team.</p><p>Next: send the proposal.</p>\
         <!-- sb-5e1f0c0ffee0a1b2 -->",
        "the marker is a trailing HTML comment, invisible on the timeline"
    );
    assert_eq!(
        stored.properties["hs_timestamp"],
        "2026-01-14T15:30:00.000Z"
    );
    assert_eq!(stored.associations, [(ObjectType::Companies, acme, 190)]);
    assert_eq!(stored.hub_id, HUB_A);
    assert_eq!(
        written.link,
        format!("https://app.hubspot.com/contacts/{HUB_A}/record/0-2/{acme}")
    );
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_5xx_but_is_after_a_429() {
    let s = setup().await;
    let acme = AccountId::parse(&s.companies["Acme"].to_string()).unwrap();
    let create = Endpoint::Create(ObjectType::Notes);
    s.fake.fail_next(create, Failure::Status(502));
    assert_eq!(
        s.client
            .create_note(&s.a, &acme, &note())
            .await
            .unwrap_err(),
        CrmError::Unavailable
    );
    assert_eq!(
        s.fake.calls_to(create).len(),
        1,
        "the note may exist: the worker decides"
    );
    s.fake.fail_next(
        create,
        Failure::RateLimited {
            retry_after_secs: Some(0),
        },
    );
    s.client.create_note(&s.a, &acme, &note()).await.unwrap();
    let statuses: Vec<u16> = s.fake.calls_to(create).iter().map(|c| c.status).collect();
    assert_eq!(statuses, [502, 429, 201]);
    assert_eq!(s.fake.objects(ObjectType::Notes).len(), 1);
}

#[tokio::test]
async fn a_task_is_due_in_utc_for_the_contact_with_association_type_204() {
    let s = setup().await;
    let john = s
        .client
        .search_contacts(&s.a, "john@acme.example")
        .await
        .unwrap();
    let john = &john[0];
    // 09:00 in Rome in winter is 08:00 UTC.
    let due: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
        .parse::<jiff::ZonedDateTime>()
        .unwrap()
        .timestamp();
    let task = NewTask {
        subject: "Follow up".into(),
        description: "Send the proposal".into(),
        due,
        kind: TaskKind::Email,
    };
    let written = s.client.create_task(&s.a, &john.id, &task).await.unwrap();
    let stored = s.fake.object(written.id.as_str().parse().unwrap()).unwrap();
    assert_eq!(
        stored.properties["hs_timestamp"],
        "2026-01-15T08:00:00.000Z"
    );
    assert_eq!(stored.properties["hs_task_type"], "EMAIL");
    assert_eq!(stored.properties["hs_task_subject"], "Follow up");
    assert_eq!(stored.properties["hs_task_status"], "NOT_STARTED");
    let john_id: u64 = john.id.as_str().parse().unwrap();
    assert_eq!(stored.associations, [(ObjectType::Contacts, john_id, 204)]);
    let unknown = ContactId::parse("not-a-hubspot-id").unwrap();
    assert_eq!(
        s.client
            .create_task(&s.a, &unknown, &task)
            .await
            .unwrap_err(),
        CrmError::NotFound
    );
}

#[tokio::test]
async fn domains_are_searched_with_eq_on_domain_five_groups_a_call() {
    let s = setup().await;
    let domains: Vec<Domain> = (1..=7)
        .map(|i| Domain::parse(&format!("d{i}.example")).unwrap())
        .chain(acme_domain())
        .collect();
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &domains)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Acme"]
    );
    let calls = s.fake.calls_to(Endpoint::Search(ObjectType::Companies));
    assert_eq!(calls.len(), 2);
    let first = calls[0].body.as_ref().unwrap();
    let groups = first["filterGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 5);
    assert_eq!(groups[0]["filters"][0]["propertyName"], "domain");
    assert_eq!(groups[0]["filters"][0]["operator"], "EQ");
    assert_eq!(groups[0]["filters"][0]["value"], "d1.example");
    assert!(
        s.client
            .find_accounts_by_domains(&s.a, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.fake
            .calls_to(Endpoint::Search(ObjectType::Companies))
            .len(),
        2,
        "no call for no domains"
    );
}

#[tokio::test]
async fn open_deals_are_searched_by_company_association_and_paged() {
    let s = setup().await;
    let acme = s.companies["Acme"];
    // More deals than one page (100) holds.
    let pipeline = s.client.pipelines(&s.a).await.unwrap();
    let sales = &pipeline[0];
    for i in 0..120 {
        let name = format!("bulk {i}");
        s.fake.add_object(
            HUB_A,
            ObjectType::Deals,
            &[
                ("dealname", &name),
                ("pipeline", sales.id.as_str()),
                ("dealstage", sales.stages[0].id.as_str()),
            ],
            &[(ObjectType::Companies, acme, 5)],
        );
    }
    let deals = s
        .client
        .open_deals(&s.a, &AccountId::parse(&acme.to_string()).unwrap())
        .await
        .unwrap();
    assert_eq!(deals.len(), 122);
    let searches = s.fake.calls_to(Endpoint::Search(ObjectType::Deals));
    assert_eq!(searches.len(), 2);
    let filter = &searches[0].body.as_ref().unwrap()["filterGroups"][0]["filters"][0];
    assert_eq!(filter["propertyName"], "associations.company");
    assert_eq!(filter["value"], acme.to_string());
    assert_eq!(searches[1].body.as_ref().unwrap()["after"], "100");
}
