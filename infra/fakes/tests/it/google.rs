use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use fakes::google::{
    CALENDAR_EVENTS, CLIENT_ID, CLIENT_SECRET, Endpoint, Failure, FakeGoogle, GMAIL_COMPOSE,
};
use serde_json::{Value, json};

/// No redirects followed: the consent step's answer is the redirect itself.
fn client() -> reqwest::Client {
    fakes::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn token(fake: &FakeGoogle, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(format!("{}/token", fake.oauth_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn consent_redirects_with_code_and_state_and_the_code_works_once_for_its_redirect() {
    let fake = FakeGoogle::start().await.unwrap();
    let scope = format!("{GMAIL_COMPOSE} {CALENDAR_EVENTS}");
    let authorize = format!(
        "{}/o/oauth2/auth?{}",
        fake.oauth_url(),
        serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "http://app.test/cb"),
            ("scope", scope.as_str()),
            ("state", "s-1"),
            ("access_type", "offline"),
        ])
        .unwrap()
    );

    let response = client().get(&authorize).send().await.unwrap();

    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://app.test/cb?"), "{location}");
    let back = query(&location);
    assert_eq!(param(&back, "state").as_deref(), Some("s-1"));
    let code = param(&back, "code").unwrap();
    let exchange = |redirect: &'static str| {
        let code = code.clone();
        let fake = &fake;
        async move {
            token(
                fake,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                ],
            )
            .await
        }
    };
    let (status, body) = exchange("http://app.test/other").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("redirect_uri_mismatch"))
    );
    let (status, body) = exchange("http://app.test/cb").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], scope);
    assert!(body["refresh_token"].is_string(), "access_type=offline");
    let (status, body) = exchange("http://app.test/cb").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The recorded form never shows the code or the client secret.
    let shown = format!("{:?}", fake.calls_to(Endpoint::Token));
    assert!(
        !shown.contains(&code) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn refresh_tokens_do_not_rotate_and_die_with_a_revoke_of_either_token() {
    let fake = FakeGoogle::start().await.unwrap();
    let (access, refresh) = fake.issue_tokens(&[GMAIL_COMPOSE]);
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.expose()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    for _ in 0..2 {
        let (status, body) = token(&fake, &refresh_form).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert_eq!(body["scope"], GMAIL_COMPOSE);
    }
    let mut wrong = refresh_form;
    wrong[3] = ("client_secret", "nope");
    assert_eq!(token(&fake, &wrong).await.1["error"], "invalid_client");

    let revoke = client()
        .post(format!("{}/revoke", fake.oauth_url()))
        .form(&[("token", access.expose())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);

    let (status, body) = token(&fake, &refresh_form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(fake.is_revoked(refresh.expose()));
    let again = client()
        .post(format!("{}/revoke", fake.oauth_url()))
        .form(&[("token", refresh.expose())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "already revoked: invalid_token");
}

fn raw_message() -> String {
    let mime = "To: \"Zo=?utf-8?Q?=C3=AB?=\" <zoe@client.test>, john@client.test\r\n\
Subject: =?utf-8?B?UmllcGlsb2dvOiBwcm9zc2ltaSBwYXNzaSDDqCBnacOg?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCiao Zoë\r\n\
--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Ciao Zo&euml;</p>\r\n--b1--\r\n";
    URL_SAFE.encode(mime)
}

#[tokio::test]
async fn a_draft_is_decoded_like_a_mail_client_would_and_needs_the_compose_scope() {
    let fake = FakeGoogle::start().await.unwrap();
    let (gmail, _) = fake.issue_tokens(&[GMAIL_COMPOSE]);
    let (calendar_only, _) = fake.issue_tokens(&[CALENDAR_EVENTS]);
    let post = |token: Option<String>| {
        let mut request = client()
            .post(format!("{}/users/me/drafts", fake.gmail_api_url()))
            .json(&json!({ "message": { "raw": raw_message() } }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let created = post(Some(gmail.expose().to_owned())).await.unwrap();
    assert_eq!(created.status(), 200);
    let body: Value = created.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("r-"));
    assert_eq!(body["message"]["labelIds"], json!(["DRAFT"]));
    let draft = &fake.drafts()[0];
    assert_eq!(draft.to, ["zoe@client.test", "john@client.test"]);
    assert_eq!(
        draft.subject.as_deref(),
        Some("Riepilogo: prossimi passi è già")
    );
    assert_eq!(draft.text.as_deref().map(str::trim), Some("Ciao Zoë"));
    assert_eq!(
        draft.html.as_deref().map(str::trim),
        Some("<p>Ciao Zo&euml;</p>")
    );
    assert!(!draft.has_from);

    let refused = post(Some(calendar_only.expose().to_owned())).await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
    assert_eq!(post(None).await.unwrap().status(), 401);
    fake.expire_access_tokens();
    assert_eq!(
        post(Some(gmail.expose().to_owned()))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(fake.drafts().len(), 1);
}

#[tokio::test]
async fn an_event_gets_a_meet_link_only_with_conference_data_version_1_and_failures_inject() {
    let fake = FakeGoogle::start().await.unwrap();
    let (token, _) = fake.issue_tokens(&[CALENDAR_EVENTS]);
    let event = json!({
        "summary": "Follow-up",
        "start": { "dateTime": "2025-12-12T15:00:00+01:00", "timeZone": "Europe/Rome" },
        "end": { "dateTime": "2025-12-12T15:30:00+01:00", "timeZone": "Europe/Rome" },
        "attendees": [{ "email": "john@client.test" }],
        "conferenceData": { "createRequest": { "requestId": "req-1",
            "conferenceSolutionKey": { "type": "hangoutsMeet" } } }
    });
    let insert = |query: &'static str, body: Value| {
        client()
            .post(format!(
                "{}/calendars/primary/events?{query}",
                fake.calendar_api_url()
            ))
            .bearer_auth(token.expose())
            .json(&body)
            .send()
    };

    let with_meet = insert("conferenceDataVersion=1&sendUpdates=none", event.clone())
        .await
        .unwrap();
    assert_eq!(with_meet.status(), 200);
    let body: Value = with_meet.json().await.unwrap();
    assert!(
        body["htmlLink"]
            .as_str()
            .unwrap()
            .starts_with("https://www.google.com/calendar/event?eid=")
    );
    let meet = body["conferenceData"]["entryPoints"][0]["uri"]
        .as_str()
        .unwrap();
    assert!(meet.starts_with("https://meet.google.com/"), "{meet}");
    assert_eq!(body["hangoutLink"], meet);
    let without = insert("sendUpdates=all", event.clone()).await.unwrap();
    let body: Value = without.json().await.unwrap();
    assert!(body.get("conferenceData").is_none(), "{body}");
    let events = fake.events();
    assert_eq!(events[0].send_updates.as_deref(), Some("none"));
    assert_eq!(events[1].send_updates.as_deref(), Some("all"));
    assert_eq!(events[0].body["start"]["timeZone"], "Europe/Rome");

    let mut bad_zone = event.clone();
    bad_zone["start"]["timeZone"] = "Mars/Olympus".into();
    assert_eq!(insert("", bad_zone).await.unwrap().status(), 400);
    fake.fail_next(
        Endpoint::Events,
        Failure::RateLimited {
            retry_after_secs: 9,
        },
    );
    let limited = insert("", event.clone()).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "9");
    fake.fail_next(Endpoint::Events, Failure::Status(503));
    assert_eq!(insert("", event).await.unwrap().status(), 503);
    let statuses: Vec<u16> = fake
        .calls_to(Endpoint::Events)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [200, 200, 400, 429, 503]);
}
