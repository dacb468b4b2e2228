//! FakeSalesforce against salesforce.md's shapes, over plain HTTP.

use fakes::salesforce::{Endpoint, Failure, FakeSalesforce};
use serde_json::{Value, json};

const TOKEN: &str = "00DFAKE!test-session-token";
const V: &str = "/services/data/v60.0";

async fn get(fake: &FakeSalesforce, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = super::client().get(format!("{}{path}", fake.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn query(fake: &FakeSalesforce, soql: &str) -> (u16, Value) {
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    get(fake, &format!("{V}/query/?q={q}"), Some(TOKEN)).await
}

fn names(body: &Value) -> Vec<String> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn soql_answers_the_reference_shape_and_filters_honestly() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN);
    let acme = fake.add_account(org, "Acme", Some("https://www.acme.com/"));
    fake.add_account(org, "Notacme", Some("notacme.com"));
    fake.add_account(org, "O'Brien", None);
    let (status, body) = query(
        &fake,
        "SELECT Id, Name, Website FROM Account WHERE Website LIKE '%://www.acme.com/%' LIMIT 10",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["done"], true);
    assert_eq!(body["totalSize"], 1);
    let record = &body["records"][0];
    assert_eq!(record["Id"], acme.as_str());
    assert_eq!(record["attributes"]["type"], "Account");
    assert_eq!(
        record["attributes"]["url"],
        format!("{V}/sobjects/Account/{acme}")
    );
    assert_eq!(record["Website"], "https://www.acme.com/");
    let (_, substring) = query(
        &fake,
        "SELECT Name FROM Account WHERE Website LIKE '%acme.com%' ORDER BY Name",
    )
    .await;
    assert_eq!(
        names(&substring),
        ["Acme", "Notacme"],
        "LIKE is what it is: the client must bound it"
    );
    let (_, quoted) = query(&fake, r"SELECT Name FROM Account WHERE Name = 'o\'brien'").await;
    assert_eq!(names(&quoted), ["O'Brien"], "escapes, case-insensitive =");
    let (_, injected) = query(
        &fake,
        r"SELECT Name FROM Account WHERE Name = 'x\' OR Name != \''",
    )
    .await;
    assert_eq!(names(&injected), Vec::<String>::new());
    let (_, nulls) = query(&fake, "SELECT Name FROM Account WHERE Website = null").await;
    assert_eq!(names(&nulls), ["O'Brien"]);
}

#[tokio::test]
async fn unsupported_soql_is_refused_with_salesforces_error_array() {
    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_org(TOKEN);
    for (soql, code) in [
        (
            "SELECT Id FROM Account WHERE Name IN ('a')",
            "MALFORMED_QUERY",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'open",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
        ("SELECT Id, Secret__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Nope = 1", "INVALID_FIELD"),
    ] {
        let (status, body) = query(&fake, soql).await;
        assert_eq!(status, 400, "{soql}");
        assert_eq!(body[0]["errorCode"], code, "{soql}");
        assert!(body[0]["message"].is_string());
    }
}

#[tokio::test]
async fn results_come_in_batches_behind_next_records_url_for_the_same_org_only() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN);
    let other = fake.add_org("other-org-token");
    for n in ["A", "B", "C"] {
        fake.add_account(org, n, None);
    }
    fake.add_account(other, "Z", None);
    fake.set_batch_size(2);
    let (_, first) = query(&fake, "SELECT Name FROM Account ORDER BY Name").await;
    assert_eq!(first["done"], false);
    assert_eq!(first["totalSize"], 3);
    assert_eq!(names(&first), ["A", "B"]);
    let next = first["nextRecordsUrl"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&format!("{V}/query/")), "{next}");
    let (status, stolen) = get(&fake, &next, Some("other-org-token")).await;
    assert_eq!(
        (status, stolen[0]["errorCode"].clone()),
        (400, json!("INVALID_QUERY_LOCATOR"))
    );
    let (_, rest) = get(&fake, &next, Some(TOKEN)).await;
    assert_eq!(names(&rest), ["C"]);
    assert_eq!(rest["done"], true);
}

#[tokio::test]
async fn opportunities_are_closed_by_their_stage_metadata_and_patched_with_picklist_values() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN);
    let acme = fake.add_account(org, "Acme", None);
    fake.add_stage(org, "Prospecting", false, false);
    fake.add_stage(org, "Signed", true, true);
    let rt = fake.add_record_type(org, "Sales", &["Prospecting", "Signed"]);
    let opp = fake.add_opportunity(
        org,
        "Deal",
        &acme,
        "Prospecting",
        Some(5.0),
        "EUR",
        Some(&rt),
    );
    let (_, open) = query(
        &fake,
        "SELECT Id, CurrencyIsoCode, RecordTypeId FROM Opportunity WHERE IsClosed = false",
    )
    .await;
    assert_eq!(open["totalSize"], 1);
    assert_eq!(open["records"][0]["CurrencyIsoCode"], "EUR");
    assert_eq!(open["records"][0]["RecordTypeId"], rt.as_str());
    let patch = |body: Value| {
        super::client()
            .patch(format!("{}{V}/sobjects/Opportunity/{opp}", fake.url()))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let bad = patch(json!({ "StageName": "Closed Won" })).await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(
        bad[0]["errorCode"],
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
    let ok = patch(json!({ "StageName": "Signed", "Amount": 7.5 }))
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 204);
    assert!(ok.bytes().await.unwrap().is_empty(), "204 has no body");
    let (_, closed) = query(&fake, "SELECT Id FROM Opportunity WHERE IsClosed = false").await;
    assert_eq!(closed["totalSize"], 0);
    assert_eq!(fake.opportunity(&opp).unwrap().amount, Some(7.5));
    // Stage metadata and the record type's picklist values (UNCONFIRMED shapes).
    let (_, stages) = query(&fake, "SELECT Id, ApiName, IsClosed FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder").await;
    assert_eq!(stages["records"][1]["IsClosed"], true);
    let (_, values) = get(
        &fake,
        &format!("{V}/ui-api/object-info/Opportunity/picklist-values/{rt}/StageName"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(values["values"][1]["value"], "Signed");
    assert_eq!(values["values"][1]["attributes"]["closed"], true);
    let (_, describe) = get(
        &fake,
        &format!("{V}/sobjects/Opportunity/describe"),
        Some(TOKEN),
    )
    .await;
    let types = describe["recordTypeInfos"].as_array().unwrap();
    assert_eq!(types.len(), 2, "master and Sales");
    assert!(types.iter().any(|t| t["master"] == true));
}

#[tokio::test]
async fn creates_validate_notes_links_and_tasks() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN);
    let acme = fake.add_account(org, "Acme", None);
    let john = fake.add_contact(org, "John", "Smith", "john@acme.com", Some(&acme));
    let post = |object: &str, body: Value| {
        super::client()
            .post(format!("{}{V}/sobjects/{object}/", fake.url()))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let raw = post(
        "ContentNote",
        json!({ "Title": "t", "Content": "not base64!" }),
    )
    .await
    .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let note = post(
        "ContentNote",
        json!({ "Title": "t", "Content": "PHA+aGk8L3A+" }),
    )
    .await
    .unwrap();
    assert_eq!(note.status().as_u16(), 201);
    let note: Value = note.json().await.unwrap();
    assert_eq!(note["success"], true);
    let note_id = note["id"].as_str().unwrap().to_owned();
    assert!(note_id.starts_with("069"));
    let link = post(
        "ContentDocumentLink",
        json!({ "ContentDocumentId": note_id, "LinkedEntityId": john, "ShareType": "V", "Visibility": "AllUsers" }),
    )
    .await
    .unwrap();
    assert_eq!(link.status().as_u16(), 201);
    let with_id = post(
        "Task",
        json!({ "Id": "00T000000000000AAA", "Subject": "x" }),
    )
    .await
    .unwrap();
    let with_id: Value = with_id.json().await.unwrap();
    assert_eq!(
        with_id[0]["errorCode"], "INVALID_FIELD",
        "the reference's own example"
    );
    let local = post(
        "Task",
        json!({ "Subject": "x", "WhoId": john, "ReminderDateTime": "2026-01-15T09:00:00+01:00" }),
    )
    .await
    .unwrap();
    assert_eq!(local.status().as_u16(), 400, "datetimes are sent in UTC");
    let task = post(
        "Task",
        json!({ "Subject": "x", "WhoId": john, "ActivityDate": "2026-01-15",
                "ReminderDateTime": "2026-01-15T08:00:00.000Z", "TaskSubtype": "Call", "Status": "Not Started" }),
    )
    .await
    .unwrap();
    assert_eq!(task.status().as_u16(), 201);
    assert_eq!(fake.created("Task").len(), 1);
}

#[tokio::test]
async fn bearer_tokens_revocation_and_injected_failures() {
    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_org(TOKEN);
    let path = format!("{V}/sobjects/Opportunity/describe");
    let (status, body) = get(&fake, &path, None).await;
    assert_eq!(
        (status, body[0]["errorCode"].clone()),
        (401, json!("INVALID_SESSION_ID"))
    );
    fake.fail_next(
        Endpoint::Describe,
        Failure::RateLimited {
            retry_after_secs: Some(7),
        },
    );
    let response = super::client()
        .get(format!("{}{path}", fake.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    fake.fail_next(Endpoint::Describe, Failure::Status(403));
    let (status, body) = get(&fake, &path, Some(TOKEN)).await;
    assert_eq!(
        (status, body[0]["errorCode"].clone()),
        (403, json!("REQUEST_LIMIT_EXCEEDED"))
    );
    assert_eq!(get(&fake, &path, Some(TOKEN)).await.0, 200);
    assert_eq!(
        get(
            &fake,
            "/services/data/latest/sobjects/Opportunity/describe",
            Some(TOKEN)
        )
        .await
        .0,
        404
    );
    fake.revoke(TOKEN);
    assert_eq!(get(&fake, &path, Some(TOKEN)).await.0, 401);
    let statuses: Vec<u16> = fake
        .calls_to(Endpoint::Describe)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [401, 429, 403, 200, 404, 401]);
}

#[tokio::test]
async fn the_oauth_endpoints_issue_tokens_the_api_accepts() {
    let fake = FakeSalesforce::start().await.unwrap();
    fake.add_client("key", "secret");
    let org = fake.add_org("unused");
    fake.consent_as(org);
    let no_redirect = fakes::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = no_redirect
        .get(format!(
            "{}/services/oauth2/authorize?response_type=code&client_id=key&redirect_uri=https://app.example/cb&state=s1&scope=api%20refresh_token",
            fake.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status().as_u16(), 303);
    let back = url::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "s1");
    let token = |form: Vec<(&str, String)>| {
        super::client()
            .post(format!("{}/services/oauth2/token", fake.url()))
            .form(&form)
            .send()
    };
    let answer = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", pairs["code"].clone()),
        ("redirect_uri", "https://app.example/cb".into()),
        ("client_id", "key".into()),
        ("client_secret", "secret".into()),
    ])
    .await
    .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["instance_url"], fake.url());
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer.get("expires_in").is_none(), "Salesforce sends none");
    assert!(answer["issued_at"].is_string());
    let access = answer["access_token"].as_str().unwrap().to_owned();
    let (status, _) = get(
        &fake,
        &format!("{V}/query/?q=SELECT+Id+FROM+Account"),
        Some(&access),
    )
    .await;
    assert_eq!(status, 200);
    let reused = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", pairs["code"].clone()),
        ("redirect_uri", "https://app.example/cb".into()),
        ("client_id", "key".into()),
        ("client_secret", "secret".into()),
    ])
    .await
    .unwrap();
    assert_eq!(reused.status().as_u16(), 400);
    let reused: Value = reused.json().await.unwrap();
    assert_eq!(reused["error"], "invalid_grant");
    // The record keeps the form without its secrets.
    let call = fake.calls_to(Endpoint::Token)[0].clone();
    let recorded = call.body.unwrap().to_string();
    assert!(
        !recorded.contains(":\"secret\"") && !recorded.contains(&pairs["code"]),
        "{recorded}"
    );
    let revoke = super::client()
        .post(format!("{}/services/oauth2/revoke", fake.url()))
        .form(&[("token", answer["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 200);
    let (status, _) = get(
        &fake,
        &format!("{V}/query/?q=SELECT+Id+FROM+Account"),
        Some(&access),
    )
    .await;
    assert_eq!(
        status, 401,
        "the refresh token's access tokens went with it"
    );
}

#[tokio::test]
async fn created_notes_and_links_are_queryable_at_once_and_links_need_an_id_filter() {
    let fake = FakeSalesforce::start().await.unwrap();
    let org = fake.add_org(TOKEN);
    let acme = fake.add_account(org, "Acme", None);
    let post = |object: &str, body: Value| {
        super::client()
            .post(format!("{}{V}/sobjects/{object}/", fake.url()))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let note: Value = post(
        "ContentNote",
        json!({ "Title": "Meeting follow-up (ref sb-0123456789abcdef)", "Content": "PHA+aGk8L3A+" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let note_id = note["id"].as_str().unwrap().to_owned();
    let (status, found) = query(
        &fake,
        "SELECT Id FROM ContentNote WHERE Title LIKE '%(ref sb-0123456789abcdef)'",
    )
    .await;
    // UNCONFIRMED (not in salesforce.md): ContentNote and ContentDocumentLink queried by SOQL.
    assert_eq!(status, 200);
    assert_eq!(found["records"][0]["Id"], note_id.as_str());
    let links = format!(
        "SELECT Id FROM ContentDocumentLink WHERE ContentDocumentId = '{note_id}' AND LinkedEntityId = '{acme}'"
    );
    let (_, before) = query(&fake, &links).await;
    assert_eq!(before["totalSize"], 0, "not linked yet");
    let link = post(
        "ContentDocumentLink",
        json!({ "ContentDocumentId": note_id, "LinkedEntityId": acme, "ShareType": "V", "Visibility": "AllUsers" }),
    )
    .await
    .unwrap();
    assert_eq!(link.status().as_u16(), 201);
    let (_, after) = query(&fake, &links).await;
    assert_eq!(after["totalSize"], 1);
    let (status, refused) = query(&fake, "SELECT Id FROM ContentDocumentLink").await;
    assert_eq!(
        (status, refused[0]["errorCode"].clone()),
        (400, json!("MALFORMED_QUERY"))
    );
}
