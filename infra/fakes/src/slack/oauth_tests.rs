//! The fake's OAuth side: consent page, code exchange, refresh, and what issued tokens can do.

use std::time::Duration;

use serde_json::Value;

use super::*;

const ID: &str = "1111.2222";
const SECRET: &str = "fake-client-secret";
const REDIRECT: &str = "http://127.0.0.1:9/slack/oauth_redirect";

fn authorize_url(fake: &FakeSlack, scope: &str, user_scope: &str) -> String {
    let mut url = url::Url::parse(&fake.authorize_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("state", "st-1")
        .append_pair("client_id", ID)
        .append_pair("scope", scope)
        .append_pair("user_scope", user_scope)
        .append_pair("redirect_uri", REDIRECT);
    url.to_string()
}

fn code_of(redirect: &str) -> String {
    let url = url::Url::parse(redirect).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(
        pairs.contains(&("state".into(), "st-1".into())),
        "{redirect}"
    );
    pairs
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .unwrap()
}

async fn access(fake: &FakeSlack, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Value {
    let mut req = super::test_client()
        .post(format!("{}/oauth.v2.access", fake.api_base()))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap().json().await.unwrap()
}

async fn exchange(fake: &FakeSlack, code: &str) -> Value {
    access(
        fake,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
        Some((ID, SECRET)),
    )
    .await
}

async fn auth_test(fake: &FakeSlack, token: &str) -> Value {
    super::test_client()
        .post(format!("{}/auth.test", fake.api_base()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_code_is_exchanged_once_for_a_bot_token_that_auth_test_accepts() {
    let fake = FakeSlack::start().await;
    fake.set_client(ID, SECRET);
    let redirect = fake
        .authorize(&authorize_url(&fake, "commands,chat:write", ""))
        .unwrap();
    assert!(redirect.starts_with(REDIRECT));
    let code = code_of(&redirect);

    let answer = exchange(&fake, &code).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["token_type"], "bot");
    assert_eq!(answer["scope"], "chat:write,commands");
    assert_eq!(answer["team"]["id"], "T0FAKETEAM");
    assert_eq!(answer["enterprise"], Value::Null);
    assert_eq!(answer["is_enterprise_install"], false);
    assert_eq!(answer["authed_user"]["id"], "U0INSTALLER");
    assert!(answer["authed_user"].get("access_token").is_none());
    assert!(answer.get("refresh_token").is_none());
    let token = answer["access_token"].as_str().unwrap();
    assert!(token.starts_with("xoxb-"));

    let who = auth_test(&fake, token).await;
    assert_eq!(who["ok"], true);
    assert_eq!(who["bot_id"], "B0FAKEBOT");

    let again = exchange(&fake, &code).await;
    assert_eq!(again["error"], "invalid_code", "codes are single-use");
    assert_eq!(fake.exchange_calls(), 2);
}

#[tokio::test]
async fn client_credentials_redirect_uri_and_grant_type_are_checked() {
    let fake = FakeSlack::start().await;
    fake.set_client(ID, SECRET);
    let code = code_of(
        &fake
            .authorize(&authorize_url(&fake, "commands", ""))
            .unwrap(),
    );
    let form = [("code", code.as_str()), ("redirect_uri", REDIRECT)];
    let wrong_secret = access(&fake, &form, Some((ID, "nope"))).await;
    assert_eq!(wrong_secret["error"], "bad_client_secret");
    let wrong_id = access(&fake, &form, Some(("9.9", SECRET))).await;
    assert_eq!(wrong_id["error"], "invalid_client_id");
    let other_redirect = access(
        &fake,
        &[
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/x"),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(other_redirect["error"], "bad_redirect_uri");
    let grant = access(&fake, &[("grant_type", "password")], Some((ID, SECRET))).await;
    assert_eq!(grant["error"], "invalid_grant_type");
    // Parameters work as well as Basic auth, and the refusals above did not use the code up.
    let params = access(
        &fake,
        &[
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ],
        None,
    )
    .await;
    assert_eq!(params["ok"], true, "{params}");
}

#[tokio::test]
async fn authorize_refuses_a_wrong_client_a_bad_redirect_and_no_scopes() {
    let fake = FakeSlack::start().await;
    assert_eq!(
        fake.authorize(&authorize_url(&fake, "commands", "")),
        Err("invalid_client_id".into()),
        "no client configured"
    );
    fake.set_client(ID, SECRET);
    assert_eq!(
        fake.authorize(&authorize_url(&fake, "", "")),
        Err("invalid_scope".into())
    );
    let bad = authorize_url(&fake, "commands", "").replace("redirect_uri=http", "redirect_uri=ftp");
    assert_eq!(fake.authorize(&bad), Err("bad_redirect_uri".into()));
}

#[tokio::test]
async fn rotation_org_wide_user_token_and_webhook_follow_the_settings() {
    let fake = FakeSlack::start().await;
    fake.set_client(ID, SECRET);
    fake.set_oauth(OAuthSettings {
        enterprise_id: Some("E0FAKEORG".into()),
        enterprise_name: Some("Fake Org".into()),
        org_wide: true,
        rotation: true,
        webhook: true,
        ..OAuthSettings::default()
    });
    let code = code_of(
        &fake
            .authorize(&authorize_url(&fake, "commands", "users:read"))
            .unwrap(),
    );
    let answer = exchange(&fake, &code).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["team"], Value::Null);
    assert_eq!(answer["enterprise"]["id"], "E0FAKEORG");
    assert_eq!(answer["is_enterprise_install"], true);
    assert_eq!(answer["expires_in"], 43200);
    assert!(
        answer["access_token"]
            .as_str()
            .unwrap()
            .starts_with("xoxe.xoxb-1-")
    );
    assert!(
        answer["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("xoxe-1-")
    );
    let user = &answer["authed_user"];
    assert_eq!(user["scope"], "users:read");
    assert!(
        user["access_token"]
            .as_str()
            .unwrap()
            .starts_with("xoxe.xoxp-1-")
    );
    assert!(user["refresh_token"].is_string());
    let hook = answer["incoming_webhook"]["url"].as_str().unwrap();
    assert!(hook.starts_with(&fake.response_base()), "{hook}");
    let who = auth_test(&fake, answer["access_token"].as_str().unwrap()).await;
    assert_eq!(who["is_enterprise_install"], true);
    assert_eq!(who["enterprise_id"], "E0FAKEORG");
}

#[tokio::test]
async fn each_refresh_token_works_once_and_the_old_token_lives_out_its_grace() {
    let fake = FakeSlack::start().await;
    fake.set_client(ID, SECRET);
    fake.set_oauth(OAuthSettings {
        // Long enough that three calls fit in it on a loaded 2-core machine (it was 200 ms and
        // failed there), short enough to wait out.
        old_token_grace: Duration::from_secs(2),
        ..OAuthSettings::default()
    });
    fake.add_rotating_token(
        "xoxe.xoxb-1-seed",
        "xoxe-1-seed",
        BotIdentity::default(),
        Duration::from_secs(3600),
    );
    let refresh = |token: &'static str| {
        let fake = &fake;
        async move {
            access(
                fake,
                &[("grant_type", "refresh_token"), ("refresh_token", token)],
                Some((ID, SECRET)),
            )
            .await
        }
    };
    let first = refresh("xoxe-1-seed").await;
    assert_eq!(first["ok"], true, "{first}");
    let new_token = first["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, "xoxe.xoxb-1-seed");
    assert_ne!(first["refresh_token"], "xoxe-1-seed");
    assert_eq!(
        refresh("xoxe-1-seed").await["error"],
        "invalid_refresh_token"
    );
    assert_eq!(
        refresh("xoxe-1-never").await["error"],
        "invalid_refresh_token"
    );
    assert_eq!(fake.refresh_calls(), 3);

    assert_eq!(
        auth_test(&fake, "xoxe.xoxb-1-seed").await["ok"],
        true,
        "grace"
    );
    assert_eq!(auth_test(&fake, &new_token).await["ok"], true);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        auth_test(&fake, "xoxe.xoxb-1-seed").await["error"],
        "token_expired"
    );
    assert_eq!(auth_test(&fake, &new_token).await["ok"], true);
}

#[tokio::test]
async fn the_consent_page_shows_the_workspace_scopes_and_both_links() {
    let fake = FakeSlack::start().await;
    fake.set_client(ID, SECRET);
    let page = super::test_client()
        .get(authorize_url(&fake, "commands,chat:write", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Fake Workspace"));
    assert!(html.contains("<code>chat:write</code>"));
    assert!(html.contains(r#"id="allow" href="http://127.0.0.1:9/slack/oauth_redirect?code="#));
    assert!(html.contains("error=access_denied&amp;state=st-1"));
    assert_eq!(fake.calls_to(AUTHORIZE).len(), 1);

    fake.fail_next(AUTHORIZE, Failure::Status(503));
    let failed = super::test_client()
        .get(authorize_url(&fake, "commands", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 503);
    fake.fail_next("oauth.v2.access", Failure::NotOk("internal_error"));
    let code = code_of(
        &fake
            .authorize(&authorize_url(&fake, "commands", ""))
            .unwrap(),
    );
    assert_eq!(exchange(&fake, &code).await["error"], "internal_error");
    assert_eq!(
        exchange(&fake, &code).await["ok"],
        true,
        "the injected failure used no code"
    );
}
