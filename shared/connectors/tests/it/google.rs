//! The OAuth client and the Gmail and Calendar clients against `fakes::google::FakeGoogle`.

use std::time::Duration;

use connectors::google::{
    self, CALENDAR_EVENTS, CalendarClient, GMAIL_COMPOSE, GmailClient, GoogleApiConfig,
};
use connectors::http::HttpConfig;
use connectors::oauth2::{AuthorizeRequest, OAuth2Client, OAuthError, TokenGrant};
use fakes::google::{CLIENT_ID, CLIENT_SECRET, Endpoint, Failure, FakeGoogle};
use followup::{Calendar, EmailAddress, EmailDraft, EventRequest, Mailbox, Mailer, ProviderError};
use tenant::Credential;
use tenant::refresh::{RefreshError, Refresher};
use url::Url;

use crate::support::{assert_leaks_nothing, quick_retries};

const REDIRECT: &str = "https://app.example/connect/google/callback";
const SUBJECT: &str = "Riepilogo: prossimi passi è già";
/// What the user typed over the AI's draft: the text that must reach Gmail.
const EDITED_BODY: &str = "Ciao John,\n\ngrazie per la call: ecco i prossimi passi <in breve> & le date.\nA presto,\nAlice";

fn oauth_client(fake: &FakeGoogle) -> OAuth2Client {
    let base = fake.oauth_url();
    let mut config = google::oauth_config(move |name: &str| match name {
        "GOOGLE_OAUTH_URL" => Some(base.clone()),
        "GOOGLE_CLIENT_ID" => Some(CLIENT_ID.into()),
        "GOOGLE_CLIENT_SECRET" => Some(CLIENT_SECRET.into()),
        _ => None,
    })
    .unwrap();
    config.retry = quick_retries(1);
    OAuth2Client::new(config).unwrap()
}

fn api_config(fake: &FakeGoogle) -> GoogleApiConfig {
    let (gmail, calendar) = (fake.gmail_api_url(), fake.calendar_api_url());
    GoogleApiConfig::from_lookup(move |name: &str| match name {
        "GMAIL_API_URL" => Some(gmail.clone()),
        "GOOGLE_CALENDAR_API_URL" => Some(calendar.clone()),
        _ => None,
    })
    .unwrap()
}

fn redirect() -> Url {
    Url::parse(REDIRECT).unwrap()
}

fn authorize_url(client: &OAuth2Client, state: &str) -> Url {
    client.authorize_url(&AuthorizeRequest {
        redirect_uri: &redirect(),
        scopes: &google::SCOPES,
        state,
    })
}

/// The whole connect: authorize (the fake's consent), then the code exchange.
async fn connect(fake: &FakeGoogle, client: &OAuth2Client) -> TokenGrant {
    let back = fake
        .authorize(authorize_url(client, "st-1").as_str())
        .unwrap();
    let back = Url::parse(&back).unwrap();
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("st-1"));
    let code = param("code").expect("a code");
    client.exchange(&code, &redirect()).await.unwrap()
}

fn mailbox(address: &str, name: Option<&str>) -> Mailbox {
    Mailbox {
        name: name.map(str::to_owned),
        address: EmailAddress::parse(address).unwrap(),
    }
}

fn email() -> EmailDraft {
    EmailDraft {
        to: vec![
            mailbox("john@globex.test", Some("John Smith")),
            mailbox("zoe@globex.test", Some("Zoë Bianchi")),
            mailbox("ugo@globex.test", None),
        ],
        subject: SUBJECT.into(),
        body_text: EDITED_BODY.into(),
    }
}

fn event(send_invitations: bool) -> EventRequest {
    EventRequest {
        title: "Follow-up: QBR".into(),
        start: "2025-12-12T09:30:00[America/New_York]".parse().unwrap(),
        duration: Duration::from_secs(30 * 60),
        time_zone: "America/New_York".into(),
        attendees: vec![mailbox("john@globex.test", Some("John Smith"))],
        with_meet: true,
        send_invitations,
        reminders_minutes: vec![1440, 30],
        description: "We agreed to revisit the budget.".into(),
    }
}

#[tokio::test]
async fn the_authorize_url_asks_for_exactly_compose_and_events_offline_with_consent() {
    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);

    let url = authorize_url(&client, "st-42");

    assert_eq!(
        url.as_str().split('?').next(),
        Some(format!("{}/o/oauth2/auth", fake.oauth_url()).as_str())
    );
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("client_id"), Some(CLIENT_ID));
    assert_eq!(get("redirect_uri"), Some(REDIRECT));
    assert_eq!(
        get("scope"),
        Some(
            "https://www.googleapis.com/auth/gmail.compose https://www.googleapis.com/auth/calendar.events"
        )
    );
    assert_eq!(get("state"), Some("st-42"));
    assert_eq!(get("access_type"), Some("offline"));
    assert_eq!(get("prompt"), Some("consent"));
    assert_eq!(get("include_granted_scopes"), None, "not needed (B.1)");
    assert!(!url.as_str().contains(CLIENT_SECRET));
    let back = fake.authorize(url.as_str()).unwrap();
    assert!(
        back.contains("state=st-42") && back.contains("code="),
        "{back}"
    );
}

#[tokio::test]
async fn a_code_exchange_grants_both_scopes_a_refresh_token_and_an_expiry() {
    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);

    let grant = connect(&fake, &client).await;

    assert!(grant.refresh_token.is_some());
    assert_eq!(grant.expires_in, Some(Duration::from_secs(3599)));
    assert!(grant.missing_scopes(&google::SCOPES).is_empty());
    let exchange = &fake.calls_to(Endpoint::Token)[0];
    let form = |name: &str| {
        exchange
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(form("grant_type"), Some("authorization_code"));
    assert_eq!(form("redirect_uri"), Some(REDIRECT));
    assert_eq!(form("client_id"), Some(CLIENT_ID));
    assert_eq!(
        form("client_secret"),
        Some("[redacted]"),
        "sent, not recorded"
    );
    // A code is single use: the same callback replayed is refused as a dead grant.
    let back = fake
        .authorize(authorize_url(&client, "st-2").as_str())
        .unwrap();
    let code = Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    client.exchange(&code, &redirect()).await.unwrap();
    assert_eq!(
        client.exchange(&code, &redirect()).await.unwrap_err(),
        OAuthError::Revoked { provider: "Google" }
    );
}

#[tokio::test]
async fn a_refresh_renews_the_access_token_and_keeps_the_stored_refresh_token() {
    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    let refresh = grant.refresh_token.clone().unwrap();
    let mut stored = Credential::new(grant.access_token.clone());
    stored.refresh_token = Some(refresh.clone());
    fake.expire_access_tokens();

    let renewed = Refresher::refresh(&client, &refresh, &stored)
        .await
        .unwrap();

    assert!(renewed.refresh_token.is_none(), "Google keeps the old one");
    assert_ne!(renewed.access_token, grant.access_token);
    assert_eq!(renewed.expires_in, Some(Duration::from_secs(3599)));
    assert_eq!(renewed.scopes.len(), 2);
    // The old refresh token keeps working, and the new access token does.
    assert!(client.refresh(&refresh).await.is_ok());
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();
    assert!(
        Mailer::create_draft(&gmail, &renewed.access_token, &email())
            .await
            .is_ok()
    );
    assert_eq!(
        Mailer::create_draft(&gmail, &grant.access_token, &email()).await,
        Err(ProviderError::Unauthorized),
        "the expired one is refused"
    );
}

#[tokio::test]
async fn after_a_revoke_the_refresh_is_revoked_and_the_old_token_unauthorized() {
    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    let refresh = grant.refresh_token.clone().unwrap();

    client.revoke(&refresh).await.unwrap();

    // Revoking what is already dead is done, not an error (Google: `invalid_token`).
    client.revoke(&grant.access_token).await.unwrap();
    assert_eq!(
        client.refresh(&refresh).await.unwrap_err(),
        OAuthError::Revoked { provider: "Google" }
    );
    let stored = Credential::new(grant.access_token.clone());
    assert!(matches!(
        Refresher::refresh(&client, &refresh, &stored).await,
        Err(RefreshError::Revoked)
    ));
    let calendar = CalendarClient::new(&api_config(&fake)).unwrap();
    assert_eq!(
        Calendar::create_event(&calendar, &grant.access_token, &event(false)).await,
        Err(ProviderError::Unauthorized)
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_rejected_not_revoked() {
    let fake = FakeGoogle::start().await.unwrap();
    let (_, refresh) = fake.issue_tokens(&google::SCOPES);
    fake.set_client(CLIENT_ID, "another-secret");
    let client = oauth_client(&fake);

    let err = client.refresh(&refresh).await.unwrap_err();

    assert_eq!(
        err,
        OAuthError::Rejected {
            provider: "Google",
            code: "invalid_client".into()
        }
    );
    assert!(!err.to_string().contains(CLIENT_SECRET));
}

#[tokio::test]
async fn a_draft_with_an_italian_subject_arrives_with_both_parts_of_the_edited_body() {
    let fake = FakeGoogle::start().await.unwrap();
    let (token, _) = fake.issue_tokens(&[GMAIL_COMPOSE]);
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();

    let created = Mailer::create_draft(&gmail, &token, &email())
        .await
        .unwrap();

    let draft = &fake.drafts()[0];
    assert_eq!(created.id, draft.id);
    assert_eq!(
        created.link,
        format!(
            "https://mail.google.com/mail/u/0/#drafts?compose={}",
            draft.message_id
        )
    );
    assert_eq!(
        draft.to,
        ["john@globex.test", "zoe@globex.test", "ugo@globex.test"]
    );
    assert_eq!(
        draft.to_names,
        [Some("John Smith".into()), Some("Zoë Bianchi".into()), None]
    );
    assert_eq!(draft.subject.as_deref(), Some(SUBJECT));
    let raw_subject = draft.raw_subject.as_deref().unwrap();
    assert!(
        raw_subject.is_ascii() && raw_subject.contains("=?utf-8?"),
        "{raw_subject}"
    );
    assert!(!draft.has_from, "Gmail fills in From");
    assert!(
        draft
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("multipart/alternative")),
        "{:?}",
        draft.content_type
    );
    let text = draft.text.as_deref().unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), EDITED_BODY);
    let html = draft.html.as_deref().unwrap();
    assert!(html.contains("<p>Ciao John,</p>"), "{html}");
    assert!(
        html.contains("ecco i prossimi passi &lt;in breve&gt; &amp; le date.<br>"),
        "{html}"
    );
}

#[tokio::test]
async fn an_event_gets_a_meet_link_in_the_users_zone_and_invitations_follow_the_choice() {
    let fake = FakeGoogle::start().await.unwrap();
    let (token, _) = fake.issue_tokens(&[CALENDAR_EVENTS]);
    let calendar = CalendarClient::new(&api_config(&fake)).unwrap();

    let created = calendar.insert_event(&token, &event(true)).await.unwrap();
    let port = Calendar::create_event(&calendar, &token, &event(false))
        .await
        .unwrap();

    let events = fake.events();
    assert_eq!(created.meet_link, events[0].meet_link);
    assert!(
        created
            .meet_link
            .as_deref()
            .unwrap()
            .starts_with("https://meet.google.com/")
    );
    assert!(
        created
            .html_link
            .starts_with("https://www.google.com/calendar/event?eid=")
    );
    assert_eq!(port.id, events[1].id);
    assert!(
        port.link
            .starts_with("https://www.google.com/calendar/event?eid=")
    );
    assert_eq!(events[0].send_updates.as_deref(), Some("all"));
    assert_eq!(events[1].send_updates.as_deref(), Some("none"));
    assert_eq!(events[0].conference_data_version.as_deref(), Some("1"));
    let body = &events[0].body;
    assert_eq!(body["start"]["timeZone"], "America/New_York");
    assert_eq!(body["start"]["dateTime"], "2025-12-12T09:30:00-05:00");
    assert_eq!(body["end"]["dateTime"], "2025-12-12T10:00:00-05:00");
    assert_eq!(body["attendees"][0]["email"], "john@globex.test");
    assert_eq!(body["reminders"]["useDefault"], false);
    assert_eq!(body["reminders"]["overrides"][1]["minutes"], 30);
    let request_id =
        |i: usize| events[i].body["conferenceData"]["createRequest"]["requestId"].clone();
    assert_ne!(request_id(0), request_id(1), "a requestId per request");
    assert_ne!(events[0].meet_link, events[1].meet_link);
}

#[tokio::test]
async fn a_token_without_the_scope_is_unauthorized() {
    let fake = FakeGoogle::start().await.unwrap();
    fake.grant_only(&[GMAIL_COMPOSE]);
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    assert_eq!(grant.missing_scopes(&google::SCOPES), [CALENDAR_EVENTS]);
    let calendar = CalendarClient::new(&api_config(&fake)).unwrap();

    let err = Calendar::create_event(&calendar, &grant.access_token, &event(false)).await;

    assert_eq!(err, Err(ProviderError::Unauthorized));
    assert_eq!(fake.calls_to(Endpoint::Events)[0].status, 403);
    assert!(fake.events().is_empty());
}

#[tokio::test]
async fn throttling_outages_and_slow_answers_map_to_their_port_errors() {
    let fake = FakeGoogle::start().await.unwrap();
    let (token, _) = fake.issue_tokens(&google::SCOPES);
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();
    let calendar = CalendarClient::new(&api_config(&fake)).unwrap();

    fake.fail_next(
        Endpoint::Drafts,
        Failure::RateLimited {
            retry_after_secs: 7,
        },
    );
    assert_eq!(
        Mailer::create_draft(&gmail, &token, &email()).await,
        Err(ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        })
    );
    fake.fail_next(
        Endpoint::Events,
        Failure::Forbidden("userRateLimitExceeded"),
    );
    assert!(matches!(
        Calendar::create_event(&calendar, &token, &event(false)).await,
        Err(ProviderError::RateLimited { .. })
    ));
    fake.fail_next(Endpoint::Drafts, Failure::Status(503));
    assert_eq!(
        Mailer::create_draft(&gmail, &token, &email()).await,
        Err(ProviderError::Unavailable)
    );
    fake.fail_next(Endpoint::Events, Failure::Status(401));
    assert_eq!(
        Calendar::create_event(&calendar, &token, &event(false)).await,
        Err(ProviderError::Unauthorized)
    );
    let mut quick = api_config(&fake);
    quick.http = HttpConfig::with_timeout(Duration::from_millis(300));
    let impatient = GmailClient::new(&quick).unwrap();
    fake.fail_next(Endpoint::Drafts, Failure::Slow(Duration::from_secs(2)));
    assert_eq!(
        Mailer::create_draft(&impatient, &token, &email()).await,
        Err(ProviderError::Unavailable)
    );
    // Creates are never retried in-process: one call each.
    assert_eq!(fake.calls_to(Endpoint::Drafts).len(), 3);
    // The token endpoint's outages are retried (quick_retries(1)): the second call works.
    let client = oauth_client(&fake);
    let (_, refresh) = fake.issue_tokens(&google::SCOPES);
    fake.fail_next(Endpoint::Token, Failure::Status(503));
    assert!(client.refresh(&refresh).await.is_ok());
    fake.fail_next_n(
        Endpoint::Token,
        2,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    let err = client.refresh(&refresh).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(matches!(
        err.into_refresh_error(),
        RefreshError::RateLimited {
            retry_after: Some(_)
        }
    ));
}

#[tokio::test]
async fn no_error_shows_a_token_the_client_secret_or_the_email() {
    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    let (access, refresh) = (
        grant.access_token.clone(),
        grant.refresh_token.clone().unwrap(),
    );
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut keep = |display: String, debug: String| shown.push((display, debug));

    for failure in [
        Failure::Status(400),
        Failure::Status(401),
        Failure::Forbidden("insufficientPermissions"),
        Failure::Status(500),
    ] {
        fake.fail_next(Endpoint::Drafts, failure);
        let err = gmail.create_draft(&access, &email()).await.unwrap_err();
        keep(err.to_string(), format!("{err:?}"));
        let port = ProviderError::from(err);
        keep(port.to_string(), format!("{port:?}"));
    }
    client.revoke(&refresh).await.unwrap();
    let err = client.refresh(&refresh).await.unwrap_err();
    keep(err.to_string(), format!("{err:?}"));
    let err = client
        .exchange("4/some-code", &redirect())
        .await
        .unwrap_err();
    keep(err.to_string(), format!("{err:?}"));
    let stored = Credential::new(access.clone());
    let err = Refresher::refresh(&client, &refresh, &stored)
        .await
        .unwrap_err();
    keep(err.to_string(), format!("{err:?}"));
    keep(format!("{grant:?}"), format!("{client:?} {gmail:?}"));

    let needles = [
        access.expose(),
        refresh.expose(),
        CLIENT_SECRET,
        "4/some-code",
        "prossimi",
        "john@globex.test",
    ];
    for (display, debug) in &shown {
        assert_leaks_nothing(debug, display, &needles);
    }
}

/// The one refresh path (`tenant::refresh::fresh_token`) with this client as its Refresher,
/// on the memory adapters: a user's Google grant close to expiry is renewed and stored with
/// its refresh token kept; once revoked, the refresh reports `Revoked`.
#[tokio::test]
async fn fresh_token_renews_a_stored_google_grant_and_reports_a_revoked_one() {
    use std::time::SystemTime;
    use tenant::ports::{Credentials, Expected};
    use tenant::refresh::{CredentialSlot, RefreshPolicy, TokenError, fresh_token};
    use tenant::testkit::{MemoryStores, random_tenant, random_user};
    use tenant::{CredentialId, Provider};

    let fake = FakeGoogle::start().await.unwrap();
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    let refresh = grant.refresh_token.clone().unwrap();
    let stores = MemoryStores::new();
    let id = CredentialId::for_user(random_tenant(), Provider::Google, random_user());
    let mut stored = Credential::new(grant.access_token.clone());
    stored.refresh_token = Some(refresh.clone());
    // Expires in a minute: inside the margin below.
    stored.expires_at = Some(SystemTime::now() + Duration::from_secs(60));
    stored.scopes = grant.scopes.clone();
    stores
        .credentials
        .put(&id, &stored, &Expected::Absent)
        .await
        .unwrap();
    let policy = RefreshPolicy {
        margin: Duration::from_secs(300),
        lease: Duration::from_secs(30),
        wait: Duration::from_secs(5),
        poll: Duration::from_millis(20),
    };
    let now = SystemTime::now;
    let backend = stores.backend();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    let token = fresh_token(&backend, &slot, &client, policy, &now)
        .await
        .unwrap();

    assert_ne!(token, grant.access_token);
    let read = stores.credentials.get_fresh(&id).await.unwrap().unwrap();
    let after = read.value.clone();
    assert_eq!(after.access_token, token);
    assert_eq!(after.refresh_token.as_ref(), Some(&refresh), "kept");
    assert!(after.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(3000));
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();
    assert!(Mailer::create_draft(&gmail, &token, &email()).await.is_ok());

    client.revoke(&refresh).await.unwrap();
    fake.expire_access_tokens();
    let mut expired = after.clone();
    expired.expires_at = Some(SystemTime::now());
    stores
        .credentials
        .put(&id, &expired, &Expected::of(Some(&read)))
        .await
        .unwrap();
    let err = fresh_token(&backend, &slot, &client, policy, &now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TokenError::Refresh(RefreshError::Revoked)),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_profile_names_the_consenting_account_under_compose_alone() {
    let fake = FakeGoogle::start().await.unwrap();
    fake.set_account_email("alice@acme.test");
    let client = oauth_client(&fake);
    let grant = connect(&fake, &client).await;
    let gmail = GmailClient::new(&api_config(&fake)).unwrap();
    assert_eq!(
        gmail.profile_email(&grant.access_token).await.unwrap(),
        Some("alice@acme.test".to_owned())
    );
    // Another account's grant answers its own address.
    fake.set_account_email("bob@acme.test");
    let bob = connect(&fake, &client).await;
    assert_eq!(
        gmail.profile_email(&bob.access_token).await.unwrap(),
        Some("bob@acme.test".to_owned())
    );
    // A calendar-only token has no Gmail scope: refused.
    let (calendar_only, _) = fake.issue_tokens(&[CALENDAR_EVENTS]);
    assert!(gmail.profile_email(&calendar_only).await.is_err());
    assert_eq!(fake.calls_to(Endpoint::Profile).len(), 3);
}
