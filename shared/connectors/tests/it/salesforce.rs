//! The Salesforce adapter on FakeSalesforce: the CRM contract suite, then Salesforce's own
//! (SOQL bounds and escaping, the instance host rule, rate limits, retries, timeouts, the
//! wire format of notes, tasks and updates) and its OAuth (exchange, refresh, revoke).

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use connectors::HttpConfig;
use connectors::oauth2::{OAuth2Client, OAuthError};
use connectors::salesforce::{SalesforceClient, SalesforceConfig, oauth};
use fakes::salesforce::{Endpoint, Failure, FakeSalesforce};
use followup::crm::{
    AccountId, Amount, ContactId, Crm, CrmAccess, CrmError, DealUpdate, Domain, NewNote, NewTask,
    TaskKind,
};
use followup::testkit::crm::{self as contract, CrmFixture};
use jiff::Timestamp;
use tenant::Secret;
use url::Url;

use super::crm_support::{
    assert_revoked_is_unauthorized, assert_slow_is_unavailable, assert_unavailable_after_retries,
};
use super::support::{assert_leaks_nothing, quick_retries};

const TOKEN_A: &str = "00DA0000000aaaa!AQ-session-a-71c2";
const TOKEN_B: &str = "00DB0000000bbbb!AQ-session-b-0d4e";

/// Websites as people type them: the fixture's domains in several shapes.
fn website(domain: &str, n: usize) -> String {
    match n % 4 {
        0 => format!("https://www.{domain}/"),
        1 => domain.to_owned(),
        2 => format!("http://{domain}/about"),
        _ => format!("www.{domain}"),
    }
}

/// Loads `fixture` into a new org: one record type per pipeline (its stages offered), every
/// stage in the org's one StageName picklist with `IsClosed` from the fixture. Account ids
/// by name.
fn seed(
    fake: &FakeSalesforce,
    token: &str,
    fixture: &CrmFixture,
) -> (usize, HashMap<String, String>) {
    let org = fake.add_org(token);
    let accounts: HashMap<String, String> = fixture
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let site = a.domain.as_deref().map(|d| website(d, i));
            (
                a.name.clone(),
                fake.add_account(org, &a.name, site.as_deref()),
            )
        })
        .collect();
    let mut record_types = HashMap::new();
    let mut added: Vec<String> = Vec::new();
    for p in &fixture.pipelines {
        let mut first_closed = true;
        for (label, closed) in &p.stages {
            if !added.contains(label) {
                fake.add_stage(org, label, *closed, *closed && first_closed);
                added.push(label.clone());
            }
            first_closed &= !closed;
        }
        let stages: Vec<&str> = p.stages.iter().map(|(l, _)| l.as_str()).collect();
        record_types.insert(
            p.label.clone(),
            fake.add_record_type(org, &p.label, &stages),
        );
    }
    for d in &fixture.deals {
        let amount = d.amount.as_deref().map(|a| a.parse().unwrap());
        fake.add_opportunity(
            org,
            &d.name,
            &accounts[&d.account],
            &d.stage,
            amount,
            d.currency.as_deref().unwrap_or("EUR"),
            Some(&record_types[&d.pipeline]),
        );
    }
    for c in &fixture.contacts {
        fake.add_contact(
            org,
            &c.first_name,
            &c.last_name,
            &c.email,
            Some(&accounts[&c.account]),
        );
    }
    (org, accounts)
}

fn config(fake: &FakeSalesforce, timeout: Duration) -> SalesforceConfig {
    let url = fake.url();
    let mut config = SalesforceConfig::from_lookup(move |name: &str| {
        (name == "SALESFORCE_LOGIN_URL").then(|| url.clone())
    })
    .unwrap();
    config.retry = quick_retries(2);
    config.http = HttpConfig::with_timeout(timeout);
    config
}

fn client(fake: &FakeSalesforce, timeout: Duration) -> SalesforceClient {
    SalesforceClient::new(&config(fake, timeout)).unwrap()
}

struct Setup {
    fake: FakeSalesforce,
    client: SalesforceClient,
    accounts: HashMap<String, String>,
    a: CrmAccess,
    b: CrmAccess,
}

async fn setup() -> Setup {
    let fake = FakeSalesforce::start().await.unwrap();
    let (org, accounts) = seed(&fake, TOKEN_A, &CrmFixture::standard());
    // Traps a LIKE '%acme.example%' would find.
    fake.add_account(org, "Lookalike", Some("https://acme.example.evil.io/"));
    fake.add_account(
        org,
        "Redirector",
        Some("https://evil.io/?u=https://acme.example"),
    );
    seed(&fake, TOKEN_B, &CrmFixture::other());
    let client = client(&fake, Duration::from_secs(5));
    Setup {
        a: CrmAccess::bearer(TOKEN_A).with_site(fake.url()),
        b: CrmAccess::bearer(TOKEN_B).with_site(fake.url()),
        fake,
        client,
        accounts,
    }
}

fn acme(s: &Setup) -> AccountId {
    AccountId::parse(&s.accounts["Acme"]).unwrap()
}

fn soql(call: &fakes::salesforce::Call<Endpoint>) -> String {
    call.query
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn salesforce_keeps_the_crm_contract() {
    let s = setup().await;
    contract::crm(&s.client, &s.a).await;
}

#[tokio::test]
async fn salesforce_orgs_cannot_reach_each_others_records() {
    let s = setup().await;
    contract::crm_isolation(&s.client, &s.a, &s.b).await;
}

#[tokio::test]
async fn salesforce_finds_a_note_by_the_marker_ending_its_title_on_its_account_only() {
    let s = setup().await;
    contract::crm_note_markers(&s.client, &s.a, &s.b).await;
}

#[tokio::test]
async fn domains_are_matched_by_bounded_patterns_and_exactly_on_the_client() {
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
    assert_eq!(found[0].domain.as_deref(), Some("acme.example"));
    let q = soql(&s.fake.calls_to(Endpoint::Query)[0]);
    assert!(q.contains("Website = 'acme.example'"), "{q}");
    assert!(!q.contains("'%acme.example%'"), "never a substring: {q}");
    // `%://acme.example` does match the end of the redirector's URL at Salesforce: only the
    // client's exact check keeps it out.
    assert!(q.contains("Website LIKE '%://acme.example'"), "{q}");
}

#[tokio::test]
async fn a_query_is_followed_across_batches() {
    let s = setup().await;
    s.fake.set_batch_size(1);
    let found = s
        .client
        .find_accounts_by_domains(&s.a, &[Domain::parse("initech.example").unwrap()])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    let calls = s.fake.calls_to(Endpoint::Query);
    assert_eq!(calls.len(), 2);
    assert!(calls[1].path.contains("/query/01g"), "{}", calls[1].path);
}

#[tokio::test]
async fn soql_injection_in_a_search_stays_inside_its_string_literal() {
    let s = setup().await;
    for attack in [
        "x' OR Name != '",
        r"x\' OR Name != \'",
        "%",
        "_%",
        "x') OR (Name LIKE '%",
    ] {
        let accounts = s.client.search_accounts(&s.a, attack).await.unwrap();
        assert_eq!(accounts, vec![], "{attack}");
        let contacts = s.client.search_contacts(&s.a, attack).await.unwrap();
        assert_eq!(contacts, vec![], "{attack}");
    }
    let by_email = s
        .client
        .search_contacts(&s.a, "' OR Email != '@x")
        .await
        .unwrap();
    assert_eq!(by_email, vec![]);
    // Every query was well formed (a broken quote would be MALFORMED_QUERY, a 400).
    assert!(
        s.fake
            .calls_to(Endpoint::Query)
            .iter()
            .all(|c| c.status == 200)
    );
    let q = soql(&s.fake.calls_to(Endpoint::Query)[0]);
    assert!(q.contains(r"Name LIKE '%x\' OR Name != \'%'"), "{q}");
}

#[tokio::test]
async fn a_token_is_never_sent_to_a_host_that_is_not_the_orgs_instance() {
    let s = setup().await;
    for site in [
        None,
        Some("https://evil.example".to_owned()),
        Some("https://acme.my.salesforce.com.evil.io".to_owned()),
        Some("http://localhost:1".to_owned()),
    ] {
        let access = CrmAccess {
            site,
            ..CrmAccess::bearer(TOKEN_A)
        };
        let err = s.client.pipelines(&access).await.unwrap_err();
        assert_eq!(err, CrmError::Unauthorized);
        assert_leaks_nothing(&err, &err.to_string(), &[TOKEN_A]);
    }
    assert!(s.fake.calls().is_empty(), "no call was made");
}

#[tokio::test]
async fn pipelines_are_record_types_with_stages_closed_by_opportunity_stage_metadata() {
    let s = setup().await;
    let pipelines = s.client.pipelines(&s.a).await.unwrap();
    let renewals = pipelines.iter().find(|p| p.label == "Renewals").unwrap();
    assert_eq!(
        renewals
            .stages
            .iter()
            .map(|st| (st.label.as_str(), st.closed))
            .collect::<Vec<_>>(),
        [("Upcoming", false), ("Renewed", true)]
    );
    // UNCONFIRMED shapes in use: describe's recordTypeInfos, OpportunityStage, the UI API's
    // picklist values per record type.
    assert_eq!(s.fake.calls_to(Endpoint::Describe).len(), 1);
    assert_eq!(s.fake.calls_to(Endpoint::Picklist).len(), 2);
    let q = soql(&s.fake.calls_to(Endpoint::Query)[0]);
    assert!(
        q.contains("FROM OpportunityStage") && q.contains("IsClosed"),
        "{q}"
    );
}

#[tokio::test]
async fn an_org_without_record_types_or_currencies_has_one_pipeline_and_default_currency() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN_A);
    fake.set_single_currency(org);
    let acme = fake.add_account(org, "Acme", Some("acme.example"));
    fake.add_stage(org, "Prospecting", false, false);
    fake.add_stage(org, "Closed Won", true, true);
    fake.add_opportunity(
        org,
        "Acme deal",
        &acme,
        "Prospecting",
        Some(10.0),
        "EUR",
        None,
    );
    fake.add_opportunity(org, "Acme old", &acme, "Closed Won", Some(5.0), "EUR", None);
    let client = client(&fake, Duration::from_secs(5));
    let access = CrmAccess::bearer(TOKEN_A).with_site(fake.url());
    let pipelines = client.pipelines(&access).await.unwrap();
    assert_eq!(pipelines.len(), 1);
    assert_eq!(pipelines[0].id.as_str(), "012000000000000AAA");
    let deals = client
        .open_deals(&access, &AccountId::parse(&acme).unwrap())
        .await
        .unwrap();
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0].currency, None, "the org's default currency");
    assert_eq!(deals[0].pipeline, pipelines[0].id);
    let q = soql(fake.calls_to(Endpoint::Query).last().unwrap());
    assert!(
        !q.contains("CurrencyIsoCode") && !q.contains("RecordTypeId"),
        "{q}"
    );
    assert!(q.contains("IsClosed = false"), "{q}");
}

#[tokio::test]
async fn a_deal_update_is_a_patch_of_the_picklist_value_and_a_number() {
    let s = setup().await;
    let deals = s.client.open_deals(&s.a, &acme(&s)).await.unwrap();
    let expansion = deals.iter().find(|d| d.name == "Acme expansion").unwrap();
    let pipelines = s.client.pipelines(&s.a).await.unwrap();
    let review = pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .find(|st| st.label == "Closed won review")
        .unwrap();
    let update = DealUpdate {
        stage: Some(review.id.clone()),
        amount: Some(Amount::parse("1234,50").unwrap()),
    };
    s.client
        .update_deal(&s.a, &expansion.id, &update)
        .await
        .unwrap();
    let call = &s.fake.calls_to(Endpoint::Update)[0];
    assert_eq!(call.method, "PATCH");
    assert_eq!(call.status, 204);
    let body = call.body.as_ref().unwrap();
    assert_eq!(body["StageName"], "Closed won review");
    assert_eq!(body["Amount"], 1234.5);
    let stored = s.fake.opportunity(expansion.id.as_str()).unwrap();
    assert_eq!(stored.stage_name, "Closed won review");
    // A stage id of another org's picklist is not a stage here.
    let rival = s.client.pipelines(&s.b).await.unwrap()[0].stages[0]
        .id
        .clone();
    let foreign = DealUpdate {
        stage: Some(rival),
        amount: None,
    };
    assert!(matches!(
        s.client.update_deal(&s.a, &expansion.id, &foreign).await,
        Err(CrmError::Invalid(_))
    ));
}

fn note() -> NewNote {
    NewNote {
        body: "Met <John> & team.\n\nNext: send the proposal.".into(),
        at: "2026-01-14T15:30:00Z".parse().unwrap(),
        marker: "sb-00000000000000c1".into(),
    }
}

#[tokio::test]
async fn a_note_is_an_html_content_note_linked_to_the_account() {
    let s = setup().await;
    let written = s
        .client
        .create_note(&s.a, &acme(&s), &note())
        .await
        .unwrap();
    let notes = s.fake.created("ContentNote");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].id, written.id.as_str());
    let content = base64::engine::general_purpose::STANDARD
        .decode(notes[0].body["Content"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(content).unwrap(),
        "<p>Met &lt;John&gt; &amp; team.</p><p>Next: send the proposal.</p>"
    );
    assert_eq!(
        notes[0].body["Title"], "Meeting follow-up 2026-01-14 (ref sb-00000000000000c1)",
        "the marker ends the title: Content is a blob SOQL cannot filter on"
    );
    let links = s.fake.created("ContentDocumentLink");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].body["ContentDocumentId"], written.id.as_str());
    assert_eq!(links[0].body["LinkedEntityId"], acme(&s).as_str());
    assert_eq!(links[0].body["ShareType"], "V");
    assert_eq!(written.link, format!("{}/{}", s.fake.url(), acme(&s)));
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_5xx_but_is_after_a_429() {
    let s = setup().await;
    s.fake.fail_next(Endpoint::Create, Failure::Status(502));
    assert_eq!(
        s.client
            .create_note(&s.a, &acme(&s), &note())
            .await
            .unwrap_err(),
        CrmError::Unavailable
    );
    assert_eq!(
        s.fake.calls_to(Endpoint::Create).len(),
        1,
        "the note may exist: the worker decides"
    );
    s.fake.fail_next(
        Endpoint::Create,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    s.client
        .create_note(&s.a, &acme(&s), &note())
        .await
        .unwrap();
    let statuses: Vec<u16> = s
        .fake
        .calls_to(Endpoint::Create)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        statuses,
        [502, 429, 201, 201],
        "note retried after the 429, then linked"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let s = setup().await;
    s.fake.fail_next(
        Endpoint::Describe,
        Failure::RateLimited {
            retry_after_secs: Some(1),
        },
    );
    s.client.pipelines(&s.a).await.unwrap();
    let statuses: Vec<u16> = s
        .fake
        .calls_to(Endpoint::Describe)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn the_orgs_spent_daily_allocation_is_rate_limited_without_a_retry() {
    let s = setup().await;
    // 403 REQUEST_LIMIT_EXCEEDED (salesforce.md §5).
    s.fake.fail_next(Endpoint::Describe, Failure::Status(403));
    assert!(matches!(
        s.client.pipelines(&s.a).await,
        Err(CrmError::RateLimited { .. })
    ));
    assert_eq!(s.fake.calls_to(Endpoint::Describe).len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_at_once_and_never_shown() {
    let s = setup().await;
    assert_revoked_is_unauthorized(&s.client, &s.a, &s.b, TOKEN_A, || s.fake.revoke(TOKEN_A)).await;
    let statuses: Vec<u16> = s
        .fake
        .calls_to(Endpoint::Describe)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses[0], 401);
    assert_eq!(
        statuses.len(),
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
        |n, failure| s.fake.fail_next_n(Endpoint::Describe, n, failure),
        || s.fake.calls_to(Endpoint::Describe).len(),
    )
    .await;
}

#[tokio::test]
async fn a_slow_answer_is_unavailable_within_the_timeout() {
    let s = setup().await;
    let impatient = client(&s.fake, Duration::from_secs(1));
    assert_slow_is_unavailable(&impatient, &s.a, |slow| {
        s.fake.fail_next(Endpoint::Describe, slow)
    })
    .await;
}

#[tokio::test]
async fn a_task_is_due_in_utc_for_the_contact() {
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
    let tasks = s.fake.created("Task");
    let body = &tasks[0].body;
    assert_eq!(tasks[0].id, written.id.as_str());
    assert_eq!(body["WhoId"], john.id.as_str());
    assert_eq!(body["ActivityDate"], "2026-01-15");
    // UNCONFIRMED (not in the reference): the due time as the reminder.
    assert_eq!(body["ReminderDateTime"], "2026-01-15T08:00:00.000Z");
    assert_eq!(body["TaskSubtype"], "Email");
    assert_eq!(body["Status"], "Not Started");
    assert_eq!(body["Subject"], "Follow up");
    let unknown = ContactId::parse("003000000000000AAA").unwrap();
    assert_eq!(
        s.client
            .create_task(&s.a, &unknown, &task)
            .await
            .unwrap_err(),
        CrmError::NotFound
    );
    assert_eq!(
        s.fake.created("Task").len(),
        1,
        "nothing written for a missing contact"
    );
}

#[tokio::test]
async fn verify_is_one_small_query() {
    let s = setup().await;
    s.client.verify(&s.a).await.unwrap();
    assert_eq!(s.fake.calls().len(), 1);
    s.fake.revoke(TOKEN_B);
    assert_eq!(s.client.verify(&s.b).await, Err(CrmError::Unauthorized));
}

// --- OAuth ---

const CLIENT_ID: &str = "3MVG9-fake-consumer-key";
const CLIENT_SECRET: &str = "sf-consumer-secret-5d1";
const REDIRECT: &str = "https://switchboard.example/connect/salesforce/callback";

fn oauth_client(fake: &FakeSalesforce) -> OAuth2Client {
    let url = fake.url();
    let config = oauth::oauth_config(move |name: &str| match name {
        "SALESFORCE_CLIENT_ID" => Some(CLIENT_ID.into()),
        "SALESFORCE_CLIENT_SECRET" => Some(CLIENT_SECRET.into()),
        "SALESFORCE_LOGIN_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    OAuth2Client::new(config).unwrap()
}

#[tokio::test]
async fn an_org_connects_by_oauth_and_its_instance_url_is_the_api_host() {
    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_client(CLIENT_ID, CLIENT_SECRET);
    let org = fake.add_org("unused-initial-token");
    fake.add_account(org, "Acme", Some("acme.example"));
    let oauth = oauth_client(&fake);
    let redirect = Url::parse(REDIRECT).unwrap();
    let code = fake.issue_code(org, REDIRECT);
    let grant = oauth.exchange(&code, &redirect).await.unwrap();
    assert_eq!(grant.site.as_deref(), Some(fake.url().as_str()));
    assert!(grant.missing_scopes(&oauth::SCOPES).is_empty());
    assert!(grant.refresh_token.is_some());
    assert_eq!(
        grant.expires_in,
        Some(oauth::ASSUMED_LIFETIME),
        "Salesforce sends none"
    );
    let token = grant.access_token.clone();
    assert!(!format!("{grant:?}").contains(token.expose()));
    // A code is single use.
    assert!(matches!(
        oauth.exchange(&code, &redirect).await,
        Err(OAuthError::Revoked { .. })
    ));

    let crm = client(&fake, Duration::from_secs(5));
    let access = CrmAccess::bearer(token.clone()).with_site(grant.site.clone().unwrap());
    let found = crm.search_accounts(&access, "Acme").await.unwrap();
    assert_eq!(found.len(), 1);

    // Refresh: a new access token, no new refresh token (no rotation), the same instance.
    let refresh = grant.refresh_token.clone().unwrap();
    let again = oauth.refresh(&refresh).await.unwrap();
    assert!(again.refresh_token.is_none());
    assert_eq!(again.site, grant.site);
    let fresh = CrmAccess::bearer(again.access_token.clone()).with_site(fake.url());
    crm.verify(&fresh).await.unwrap();
    let form = fake
        .calls_to(Endpoint::Token)
        .last()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["client_id"], CLIENT_ID);

    // Revoking the refresh token ends its access tokens too.
    oauth.revoke(&refresh).await.unwrap();
    assert_eq!(crm.verify(&access).await, Err(CrmError::Unauthorized));
    assert_eq!(crm.verify(&fresh).await, Err(CrmError::Unauthorized));
    assert!(matches!(
        oauth.refresh(&refresh).await,
        Err(OAuthError::Revoked { .. })
    ));
    // Revoking what is already gone is still a dead token: fine.
    oauth.revoke(&Secret::from("never-issued")).await.unwrap();
}

#[tokio::test]
async fn a_refresh_is_retried_after_an_outage_and_a_wrong_secret_is_rejected() {
    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_client(CLIENT_ID, "another-secret");
    let org = fake.add_org("t");
    let oauth = oauth_client(&fake);
    let code = fake.issue_code(org, REDIRECT);
    let err = oauth
        .exchange(&code, &Url::parse(REDIRECT).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, OAuthError::Rejected { .. }), "{err:?}");
    assert_leaks_nothing(&err, &err.to_string(), &[CLIENT_SECRET, &code]);

    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_client(CLIENT_ID, CLIENT_SECRET);
    let org = fake.add_org("t");
    let oauth = oauth_client(&fake);
    let code = fake.issue_code(org, REDIRECT);
    let grant = oauth
        .exchange(&code, &Url::parse(REDIRECT).unwrap())
        .await
        .unwrap();
    fake.fail_next(Endpoint::Token, Failure::Status(503));
    let again = oauth
        .refresh(grant.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    assert_ne!(again.access_token.expose(), grant.access_token.expose());
}
