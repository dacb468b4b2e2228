//! HubSpot's and Pipedrive's OAuth pieces against their fakes: code exchange, the token's
//! portal or API domain, refresh, revocation where documented, and the CRM API accepting
//! (then refusing) what was issued.

use std::time::Duration;

use connectors::hubspot::oauth::{self as hubspot_oauth, HubSpotOAuthApi};
use connectors::hubspot::{HubSpotClient, HubSpotConfig};
use connectors::oauth2::{OAuth2Client, OAuthError};
use connectors::pipedrive::oauth as pipedrive_oauth;
use connectors::pipedrive::{PipedriveClient, PipedriveConfig};
use connectors::{ConnectorError, HttpConfig};
use fakes::hubspot::FakeHubSpot;
use fakes::pipedrive::FakePipedrive;
use fakes::script::Failure;
use followup::crm::{Crm, CrmAccess, CrmError};
use tenant::Secret;
use url::Url;

use super::crm_support::only;
use super::support::{assert_leaks_nothing, quick_retries};

const REDIRECT: &str = "https://switchboard.example/connect/crm/callback";
const HUB: u64 = 4_400_101;

fn redirect() -> Url {
    Url::parse(REDIRECT).unwrap()
}

fn hubspot_oauth_client(fake: &FakeHubSpot, secret: &'static str) -> OAuth2Client {
    let url = fake.api_url();
    let mut config = hubspot_oauth::oauth_config(move |name: &str| match name {
        "HUBSPOT_CLIENT_ID" => Some("hs-client".into()),
        "HUBSPOT_CLIENT_SECRET" => Some(secret.into()),
        "HUBSPOT_API_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    config.retry = quick_retries(2);
    OAuth2Client::new(config).unwrap()
}

fn hubspot_config(fake: &FakeHubSpot) -> HubSpotConfig {
    let mut config = HubSpotConfig::from_lookup(only("HUBSPOT_API_URL", fake.api_url())).unwrap();
    config.retry = quick_retries(2);
    config.http = HttpConfig::with_timeout(Duration::from_secs(5));
    config
}

#[tokio::test]
async fn hubspot_connects_by_oauth_and_the_token_names_its_portal() {
    let fake = FakeHubSpot::start().await.unwrap();
    fake.add_portal(HUB, "private-app-token-unused");
    fake.add_portal(HUB + 1, "another-portal-token");
    fake.add_client("hs-client", "hs-secret");
    fake.set_granted_scopes(&hubspot_oauth::SCOPES);
    let oauth = hubspot_oauth_client(&fake, "hs-secret");
    let code = fake.issue_code(HUB, REDIRECT);
    let grant = oauth.exchange(&code, &redirect()).await.unwrap();
    assert_eq!(grant.expires_in, Some(Duration::from_secs(1800)));
    assert_eq!(grant.site, None);
    let form = fake.calls_to(fakes::hubspot::Endpoint::Token)[0]
        .body
        .clone()
        .unwrap();
    assert_eq!(form["client_id"], "hs-client", "credentials in the form");
    assert_eq!(form["grant_type"], "authorization_code");

    let api = HubSpotOAuthApi::new(&hubspot_config(&fake)).unwrap();
    let info = api.token_info(&grant.access_token).await.unwrap();
    assert_eq!(info.hub_id, HUB.to_string());
    assert_eq!(info.scopes, hubspot_oauth::SCOPES);
    assert!(!format!("{info:?}").contains(grant.access_token.expose()));
    let unknown = api
        .token_info(&Secret::from("never-issued"))
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, ConnectorError::NotFound { .. }),
        "{unknown:?}"
    );

    let crm = HubSpotClient::new(&hubspot_config(&fake)).unwrap();
    let access = CrmAccess::bearer(grant.access_token.clone()).with_site(info.hub_id.clone());
    crm.pipelines(&access).await.unwrap();

    // Refresh: a new access token, the same refresh token (the reference's example).
    let refresh = grant.refresh_token.clone().unwrap();
    let again = oauth.refresh(&refresh).await.unwrap();
    assert_eq!(
        again.refresh_token.as_ref().map(Secret::expose),
        Some(refresh.expose())
    );
    let fresh = CrmAccess::bearer(again.access_token.clone());
    crm.pipelines(&fresh).await.unwrap();

    // Deleting the refresh token ends refreshes, not the access tokens already issued.
    api.delete_refresh_token(&refresh).await.unwrap();
    assert!(matches!(
        oauth.refresh(&refresh).await,
        Err(OAuthError::Revoked { .. })
    ));
    crm.pipelines(&fresh).await.unwrap();
    api.delete_refresh_token(&refresh).await.unwrap();
    fake.revoke(again.access_token.expose());
    assert_eq!(
        crm.pipelines(&fresh).await.unwrap_err(),
        CrmError::Unauthorized
    );
}

#[tokio::test]
async fn hubspot_token_calls_are_retried_after_an_outage_and_a_bad_secret_is_rejected() {
    let fake = FakeHubSpot::start().await.unwrap();
    fake.add_portal(HUB, "t");
    fake.add_client("hs-client", "hs-secret");
    let wrong = hubspot_oauth_client(&fake, "not-the-secret");
    let code = fake.issue_code(HUB, REDIRECT);
    let err = wrong.exchange(&code, &redirect()).await.unwrap_err();
    assert!(matches!(err, OAuthError::Rejected { .. }), "{err:?}");
    assert_leaks_nothing(&err, &err.to_string(), &["not-the-secret", &code]);

    let oauth = hubspot_oauth_client(&fake, "hs-secret");
    let code = fake.issue_code(HUB, REDIRECT);
    let grant = oauth.exchange(&code, &redirect()).await.unwrap();
    fake.fail_next(fakes::hubspot::Endpoint::Token, Failure::Status(502));
    oauth
        .refresh(grant.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    let api = HubSpotOAuthApi::new(&hubspot_config(&fake)).unwrap();
    fake.fail_next(
        fakes::hubspot::Endpoint::TokenInfo,
        Failure::RateLimited {
            retry_after_secs: None,
        },
    );
    assert_eq!(
        api.token_info(&grant.access_token).await.unwrap().hub_id,
        HUB.to_string()
    );
}

fn pipedrive_oauth_client(fake: &FakePipedrive) -> OAuth2Client {
    let url = fake.api_url();
    let config = pipedrive_oauth::oauth_config(move |name: &str| match name {
        "PIPEDRIVE_CLIENT_ID" => Some("pd-client".into()),
        "PIPEDRIVE_CLIENT_SECRET" => Some("pd-secret:with/odd=chars".into()),
        "PIPEDRIVE_OAUTH_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    OAuth2Client::new(config).unwrap()
}

#[tokio::test]
async fn pipedrive_connects_by_oauth_with_basic_auth_and_reports_its_api_domain() {
    let fake = FakePipedrive::start().await.unwrap();
    let company = fake.add_company("api-token-unused");
    fake.add_organization(company, "Acme", Some("acme.example"));
    fake.add_client("pd-client", "pd-secret:with/odd=chars");
    let oauth = pipedrive_oauth_client(&fake);
    let code = fake.issue_code(company, REDIRECT);
    let grant = oauth.exchange(&code, &redirect()).await.unwrap();
    assert_eq!(grant.site.as_deref(), Some(fake.api_url().as_str()));
    assert!(grant.missing_scopes(&pipedrive_oauth::SCOPES).is_empty());
    assert_eq!(grant.expires_in, Some(Duration::from_secs(3599)));
    let form = fake.calls_to(fakes::pipedrive::Endpoint::Token)[0]
        .body
        .clone()
        .unwrap();
    assert!(
        form.get("client_secret").is_none() && form.get("client_id").is_none(),
        "Basic only"
    );

    // The API accepts the token. The fake's http://127.0.0.1 api_domain is not a Pipedrive
    // host, so the client keeps to PIPEDRIVE_API_URL (the same fake here).
    let mut config =
        PipedriveConfig::from_lookup(only("PIPEDRIVE_API_URL", fake.api_url())).unwrap();
    config.retry = quick_retries(2);
    let crm = PipedriveClient::new(&config).unwrap();
    let access =
        CrmAccess::bearer(grant.access_token.clone()).with_site(grant.site.clone().unwrap());
    assert_eq!(crm.search_accounts(&access, "Acme").await.unwrap().len(), 1);

    let again = oauth
        .refresh(grant.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    let fresh = CrmAccess::bearer(again.access_token.clone());
    crm.verify(&fresh).await.unwrap();
    fake.revoke(again.access_token.expose());
    assert_eq!(
        crm.verify(&fresh).await.unwrap_err(),
        CrmError::Unauthorized
    );
    assert!(matches!(
        oauth.refresh(&Secret::from("never-issued")).await,
        Err(OAuthError::Revoked { .. })
    ));
    // A code is single use; a failed token call is not retried (no rotation is documented).
    assert!(matches!(
        oauth.exchange(&code, &redirect()).await,
        Err(OAuthError::Revoked { .. })
    ));
    fake.fail_next(fakes::pipedrive::Endpoint::Token, Failure::Status(503));
    assert!(
        oauth
            .refresh(grant.refresh_token.as_ref().unwrap())
            .await
            .is_err()
    );
    assert_eq!(fake.calls_to(fakes::pipedrive::Endpoint::Token).len(), 5);
}
