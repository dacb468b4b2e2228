//! FakeCrono against crono.md's shapes, over plain HTTP.

use fakes::crono::{Endpoint, Failure, FakeCrono};
use serde_json::{Value, json};

const PUBLIC: &str = "cpk_fake_test_public";
const PRIVATE: &str = "csk_fake_test_private";

async fn send(
    fake: &FakeCrono,
    method: reqwest::Method,
    path: &str,
    keys: Option<(&str, &str)>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = super::client().request(method, format!("{}{path}", fake.api_url()));
    if let Some((public, private)) = keys {
        request = request
            .header("X-Api-Key", public)
            .header("X-Api-Secret", private);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(fake: &FakeCrono, path: &str, body: Value) -> (u16, Value) {
    send(
        fake,
        reqwest::Method::POST,
        path,
        Some((PUBLIC, PRIVATE)),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn both_keys_are_needed_a_wrong_secret_or_a_revoked_key_is_401_in_the_envelope() {
    let fake = FakeCrono::start().await.unwrap();
    fake.add_workspace(PUBLIC, PRIVATE);
    let get = reqwest::Method::GET;
    let (status, body) = send(&fake, get.clone(), "/Users", Some((PUBLIC, PRIVATE)), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["isSuccess"], true);
    assert_eq!(body["errors"], json!([]));
    assert!(body["data"].is_array());
    let (status, body) = send(&fake, get.clone(), "/Users", Some((PUBLIC, "csk_no")), None).await;
    assert_eq!((status, body["isSuccess"].clone()), (401, json!(false)));
    assert!(!body["errors"].as_array().unwrap().is_empty());
    let (status, _) = send(&fake, get.clone(), "/Users", None, None).await;
    assert_eq!(status, 401);
    fake.revoke(PUBLIC);
    let (status, _) = send(&fake, get, "/Users", Some((PUBLIC, PRIVATE)), None).await;
    assert_eq!(status, 401);
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [200, 401, 401, 401], "refused calls are recorded");
}

#[tokio::test]
async fn writes_need_the_data_wrapper_in_any_case_and_notes_answer_no_id() {
    let fake = FakeCrono::start().await.unwrap();
    let ws = fake.add_workspace(PUBLIC, PRIVATE);
    let account = fake.add_account(ws, "Insight Revenue", Some("insightrevenue.example"));
    let (status, body) = post(
        &fake,
        "/Notes",
        json!({ "accountId": account, "description": "hi" }),
    )
    .await;
    assert_eq!(status, 400, "§3: 400 requiring the Data field");
    assert_eq!(body["isSuccess"], false);
    // Both casings were seen working (§3).
    let (status, body) = post(
        &fake,
        "/Notes",
        json!({ "Data": { "AccountId": account, "description": "line 1\nline 2" } }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!({ "accountId": account }));
    let (status, _) = post(
        &fake,
        "/Notes",
        json!({ "data": { "accountId": account, "description": "again" } }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fake.notes().len(), 2);
    assert!(fake.notes().iter().all(|n| n.object_id.is_none()));
    let (status, _) = post(
        &fake,
        "/Notes",
        json!({ "data": { "accountId": "1_1", "description": "x" } }),
    )
    .await;
    assert_eq!(status, 404, "an unknown account (UNCONFIRMED answer)");
}

#[tokio::test]
async fn searches_filter_by_name_website_account_and_ids_and_cap_their_pages() {
    let fake = FakeCrono::start().await.unwrap();
    let ws = fake.add_workspace(PUBLIC, PRIVATE);
    let acme = fake.add_account(ws, "Acme", Some("https://www.acme.example/"));
    fake.add_account(ws, "Acme Holdings", None);
    fake.add_account(ws, "Globex", Some("globex.example"));
    let john = fake.add_prospect(ws, "John", "Smith", "john@acme.example", Some(&acme));
    fake.add_prospect(ws, "Jane", "Doe", "jane@globex.example", None);
    let (_, named) = post(&fake, "/Accounts/search", json!({ "name": "acme" })).await;
    assert_eq!(named["data"].as_array().unwrap().len(), 2);
    let (_, with_site) = post(
        &fake,
        "/Accounts/search",
        json!({ "HasWebsite": true, "Pagination": { "Limit": 1, "Offset": 1 } }),
    )
    .await;
    let page = with_site["data"].as_array().unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["name"], "Globex");
    let (status, _) = post(
        &fake,
        "/Accounts/search",
        json!({ "pagination": { "limit": 201, "offset": 0 } }),
    )
    .await;
    assert_eq!(status, 400, "200 at most (§4.1)");
    let (status, _) = post(
        &fake,
        "/Prospects/search",
        json!({ "pagination": { "limit": 51, "offset": 0 } }),
    )
    .await;
    assert_eq!(status, 400, "50 at most (§4.4)");
    let (_, by_email) = post(
        &fake,
        "/Prospects/search",
        json!({ "name": "john@acme.example" }),
    )
    .await;
    let found = by_email["data"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["objectId"], john.as_str());
    assert_eq!(found[0]["name"], "John Smith");
    assert_eq!(found[0]["accountId"], acme.as_str());
    let (_, by_id) = post(
        &fake,
        "/Prospects/search",
        json!({ "objectIds": [john], "accountId": acme }),
    )
    .await;
    assert_eq!(by_id["data"].as_array().unwrap().len(), 1);
    assert!(
        acme.split_once('_').is_some(),
        "ids are <portal>_<n>: {acme}"
    );
}

#[tokio::test]
async fn opportunities_are_patched_with_both_ids_in_the_body_and_put_by_id_is_405() {
    let fake = FakeCrono::start().await.unwrap();
    let ws = fake.add_workspace(PUBLIC, PRIVATE);
    let acme = fake.add_account(ws, "Acme", Some("acme.example"));
    let sales = fake.add_pipeline(
        ws,
        "Sales",
        &[("Demo", false, false), ("Closed Won", true, true)],
    );
    let deal = fake.add_opportunity(
        ws,
        "Acme deal",
        &acme,
        &sales,
        &sales.stages[0].id,
        Some(3564.0),
        None,
    );
    let (_, open) = post(
        &fake,
        "/Opportunities/search",
        json!({ "accountId": acme, "isClosed": false }),
    )
    .await;
    assert_eq!(open["data"][0]["stage"], sales.stages[0].id.as_str());
    let patch = reqwest::Method::PATCH;
    let keys = Some((PUBLIC, PRIVATE));
    let (status, _) = send(
        &fake,
        patch.clone(),
        "/Opportunities",
        keys,
        Some(json!({ "data": { "OpportunityId": deal, "stage": sales.stages[1].id } })),
    )
    .await;
    assert_eq!(
        status, 400,
        "AccountId is required with OpportunityId (§4.7)"
    );
    let (status, body) = send(
        &fake,
        patch.clone(),
        "/Opportunities",
        keys,
        Some(json!({ "data": { "OpportunityId": deal, "AccountId": acme, "stage": sales.stages[1].id } })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["isClosed"], true);
    assert!(fake.opportunity(&deal).unwrap().is_won);
    let (_, open) = post(
        &fake,
        "/Opportunities/search",
        json!({ "accountId": acme, "isClosed": false }),
    )
    .await;
    assert_eq!(open["data"], json!([]));
    let (status, _) = send(
        &fake,
        reqwest::Method::PUT,
        &format!("/Opportunities/{deal}"),
        keys,
        Some(json!({ "data": { "amount": 1 } })),
    )
    .await;
    assert_eq!(status, 405);
    let (_, pipelines) = send(&fake, reqwest::Method::GET, "/Pipelines", keys, None).await;
    // The shape is UNCONFIRMED (never seen by the reference).
    assert_eq!(pipelines["data"][0]["label"], "Sales");
    assert_eq!(pipelines["data"][0]["stages"][1]["isClosed"], true);
}

#[tokio::test]
async fn tasks_need_a_utc_activity_date_and_the_prospects_account() {
    let fake = FakeCrono::start().await.unwrap();
    let ws = fake.add_workspace(PUBLIC, PRIVATE);
    let acme = fake.add_account(ws, "Acme", None);
    let john = fake.add_prospect(ws, "John", "Smith", "john@acme.example", Some(&acme));
    let task = |date: &str, kind: Value| {
        json!({ "data": {
            "accountId": acme, "prospectId": john, "type": kind,
            "activityDate": date, "subject": "Call", "description": ""
        } })
    };
    let (status, _) = post(
        &fake,
        "/Tasks",
        task("2026-01-15T09:00:00+01:00", json!("Call")),
    )
    .await;
    assert_eq!(status, 400, "a UTC time with Z (§4.8)");
    let (status, _) = post(&fake, "/Tasks", task("2026-01-15T08:00:00Z", json!("Fax"))).await;
    assert_eq!(status, 400);
    let (status, body) = post(&fake, "/Tasks", task("2026-01-15T08:00:00Z", json!("Call"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["objectId"].as_str(),
        fake.tasks()[0].object_id.as_deref()
    );
}

#[tokio::test]
async fn injected_429s_carry_retry_after_only_when_asked_and_slow_answers_still_answer() {
    let fake = FakeCrono::start().await.unwrap();
    fake.add_workspace(PUBLIC, PRIVATE);
    fake.fail_next(
        Endpoint::Users,
        Failure::RateLimited {
            retry_after_secs: Some(3),
        },
    );
    fake.fail_next(
        Endpoint::Users,
        Failure::RateLimited {
            retry_after_secs: None,
        },
    );
    fake.fail_next(Endpoint::Users, Failure::Status(503));
    fake.fail_next(
        Endpoint::Users,
        Failure::Slow(std::time::Duration::from_millis(50)),
    );
    let get = |fake: &FakeCrono| {
        super::client()
            .get(format!("{}/Users", fake.api_url()))
            .header("X-Api-Key", PUBLIC)
            .header("X-Api-Secret", PRIVATE)
            .send()
    };
    let first = get(&fake).await.unwrap();
    assert_eq!(first.status().as_u16(), 429);
    assert_eq!(first.headers()["retry-after"], "3");
    let second = get(&fake).await.unwrap();
    assert_eq!(second.status().as_u16(), 429);
    assert!(second.headers().get("retry-after").is_none());
    assert_eq!(get(&fake).await.unwrap().status().as_u16(), 503);
    assert_eq!(get(&fake).await.unwrap().status().as_u16(), 200);
    let statuses: Vec<u16> = fake
        .calls_to(Endpoint::Users)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 429, 503, 200]);
}
