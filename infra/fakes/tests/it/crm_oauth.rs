//! FakeHubSpot's and FakePipedrive's OAuth endpoints against hubspot.md §5 and pipedrive.md
//! §5, over plain HTTP: how each wants the client to authenticate, and what it answers.

use fakes::hubspot::{self, FakeHubSpot};
use fakes::pipedrive::{self, FakePipedrive};
use fakes::script::Failure;
use serde_json::Value;

const REDIRECT: &str = "https://app.example/cb";

async fn post(url: String, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = super::client().post(url).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn hubspot_takes_the_client_in_the_form_and_answers_the_docs_shape() {
    let fake = FakeHubSpot::start().await.unwrap();
    fake.add_portal(77, "t");
    fake.add_client("id", "secret");
    let url = format!("{}/oauth/v1/token", fake.api_url());
    let code = fake.issue_code(77, REDIRECT);
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, _) = post(url.clone(), &exchange, Some(("id", "secret"))).await;
    assert_eq!(status, 401, "HubSpot's credentials go in the form");
    let mut with_client = exchange.to_vec();
    with_client.extend([("client_id", "id"), ("client_secret", "secret")]);
    let (status, body) = post(url.clone(), &with_client, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let info = super::client()
        .get(format!(
            "{}/oauth/v1/access-tokens/{access}",
            fake.api_url()
        ))
        .send()
        .await
        .unwrap();
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["hub_id"], 77);
    assert_eq!(info["token_type"], "access");
    let bad = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "nope"),
        ("client_id", "id"),
        ("client_secret", "secret"),
    ];
    let (status, body) = post(url.clone(), &bad, None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["status"], "BAD_REFRESH_TOKEN",
        "the reference's example"
    );
    fake.fail_next(hubspot::Endpoint::Token, Failure::Status(502));
    let good = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", "id"),
        ("client_secret", "secret"),
    ];
    assert_eq!(post(url.clone(), &good, None).await.0, 502);
    let (status, body) = post(url, &good, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["refresh_token"], refresh.as_str(), "not rotated");
    let deleted = super::client()
        .delete(format!(
            "{}/oauth/v1/refresh-tokens/{refresh}",
            fake.api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let recorded = fake.calls_to(hubspot::Endpoint::Token)[1]
        .body
        .clone()
        .unwrap();
    assert_eq!(recorded["client_secret"], "[redacted]");
}

#[tokio::test]
async fn pipedrive_takes_the_client_by_basic_auth_only_and_names_the_api_domain() {
    let fake = FakePipedrive::start().await.unwrap();
    let company = fake.add_company("t");
    fake.add_client("id", "secret");
    let url = format!("{}/oauth/token", fake.api_url());
    let code = fake.issue_code(company, REDIRECT);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", "id"),
        ("client_secret", "secret"),
    ];
    let (status, _) = post(url.clone(), &form, None).await;
    assert_eq!(status, 401, "Basic only (pipedrive.md §5)");
    let (status, body) = post(url.clone(), &form[..3], Some(("id", "wrong"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let (status, body) = post(url, &form[..3], Some(("id", "secret"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["api_domain"], fake.api_url());
    assert!(body["scope"].as_str().unwrap().contains("deals:full,"));
    let access = body["access_token"].as_str().unwrap();
    let deals = super::client()
        .get(format!("{}/api/v2/deals", fake.api_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deals.status().as_u16(),
        200,
        "the API accepts the issued token"
    );
    assert_eq!(fake.calls_to(pipedrive::Endpoint::Token).len(), 3);
}
