use std::time::Duration;

use ::http::{HeaderMap, StatusCode};

use crate::http::Response;

use super::errors::error_code;
use super::*;

fn config() -> OAuth2Config {
    OAuth2Config {
        provider: "Test",
        endpoints: Endpoints {
            authorize: Url::parse("https://id.example/auth?hd=acme.test").unwrap(),
            token: Url::parse("https://id.example/token").unwrap(),
            revoke: None,
        },
        client_id: "client-1".into(),
        client_secret: Secret::from("client-secret-xyz"),
        client_auth: ClientAuth::Body,
        authorize_extras: vec![("access_type".into(), "offline".into())],
        default_expires_in: Some(Duration::from_secs(3600)),
        http: HttpConfig::default(),
        retry: RetryPolicy::NONE,
        budget: Duration::from_secs(5),
    }
}

fn response(status: u16, body: &str) -> Response {
    Response {
        status: StatusCode::from_u16(status).unwrap(),
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn the_authorize_url_keeps_configured_parameters_and_adds_the_standard_ones_and_extras() {
    let client = OAuth2Client::new(config()).unwrap();
    let redirect = Url::parse("https://app.example/connect/google/callback").unwrap();
    let url = client.authorize_url(&AuthorizeRequest {
        redirect_uri: &redirect,
        scopes: &["a", "b"],
        state: "st&te",
    });
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "hd",
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "access_type"
        ]
    );
    assert!(pairs.contains(&("scope".into(), "a b".into())));
    assert!(pairs.contains(&("state".into(), "st&te".into())));
    assert!(!url.as_str().contains("client-secret"), "{url}");
}

#[test]
fn refusals_are_classed_by_their_rfc_code_and_unknown_text_is_not_repeated() {
    let class = |status, body| token_error("Test", &response(status, body));
    assert_eq!(
        class(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#
        ),
        OAuthError::Revoked { provider: "Test" }
    );
    assert_eq!(
        class(401, r#"{"error":"invalid_client"}"#),
        OAuthError::Rejected {
            provider: "Test",
            code: "invalid_client".into()
        }
    );
    let echoed = class(400, r#"{"error":"refresh 1//0gSECRET is bad"}"#);
    assert_eq!(
        echoed,
        OAuthError::Rejected {
            provider: "Test",
            code: "HTTP 400".into()
        }
    );
    assert!(class(503, r#"{"error":"invalid_grant"}"#).is_retryable());
    assert!(matches!(
        class(429, ""),
        OAuthError::Http(ConnectorError::RateLimited { .. })
    ));
    assert_eq!(error_code(b"not json"), None);
}

#[test]
fn refresh_errors_map_to_the_tenant_classes() {
    assert!(matches!(
        OAuthError::Revoked { provider: "Test" }.into_refresh_error(),
        RefreshError::Revoked
    ));
    let limited = OAuthError::Http(ConnectorError::RateLimited {
        provider: "Test",
        retry_after: Some(Duration::from_secs(4)),
    });
    assert!(matches!(
        limited.into_refresh_error(),
        RefreshError::RateLimited {
            retry_after: Some(d)
        } if d == Duration::from_secs(4)
    ));
    let down = OAuthError::Http(ConnectorError::Unavailable {
        provider: "Test",
        cause: http::Unavailable::Status(502),
        retry_after: None,
    });
    assert!(matches!(
        down.into_refresh_error(),
        RefreshError::Unavailable(_)
    ));
}

#[test]
fn a_grant_without_a_new_refresh_token_keeps_the_stored_one_and_shows_no_token() {
    let grant = TokenGrant {
        access_token: Secret::from("ya29.access-abc"),
        refresh_token: None,
        expires_in: Some(Duration::from_secs(3599)),
        scopes: vec!["a".into()],
        site: None,
    };
    assert_eq!(grant.missing_scopes(&["a", "b"]), ["b"]);
    assert!(!format!("{grant:?}").contains("ya29"));
    let stored = grant.into_grant();
    assert!(stored.refresh_token.is_none());
    assert_eq!(stored.expires_in, Some(Duration::from_secs(3599)));
    let client = OAuth2Client::new(config()).unwrap();
    assert!(!format!("{client:?} {:?}", config()).contains("client-secret-xyz"));
}

#[test]
fn the_token_answers_api_host_is_the_grants_site_and_stays_out_of_debug() {
    // Salesforce's doc example (salesforce.md § Code exchange response), trimmed.
    let salesforce: TokenResponse = serde_json::from_str(
        r#"{"access_token":"00DB0000000TfcR!AQQAQ-secret","scope":"api refresh_token",
            "instance_url":"https://mycompany.my.salesforce.com","token_type":"Bearer",
            "issued_at":"1558553873237","id":"https://login.salesforce.com/id/00D/005"}"#,
    )
    .unwrap();
    let grant = salesforce.into_token_grant(Some(Duration::from_secs(5400)));
    assert_eq!(
        grant.site.as_deref(),
        Some("https://mycompany.my.salesforce.com")
    );
    assert_eq!(grant.scopes, ["api", "refresh_token"]);
    assert_eq!(grant.expires_in, Some(Duration::from_secs(5400)));
    let shown = format!("{grant:?}");
    assert!(
        !shown.contains("00DB") && !shown.contains("mycompany"),
        "{shown}"
    );
    let stored = grant.into_grant();
    assert_eq!(
        stored.metadata.instance_url.as_deref(),
        Some("https://mycompany.my.salesforce.com")
    );
    // Pipedrive's fields (pipedrive.md §5): `api_domain`, comma-separated scopes.
    let pipedrive: TokenResponse = serde_json::from_str(
        r#"{"access_token":"v1u:pd-secret","refresh_token":"r1","token_type":"bearer",
            "expires_in":3599,"scope":"deals:full,users:full",
            "api_domain":"https://acme.pipedrive.com"}"#,
    )
    .unwrap();
    let grant = pipedrive.into_token_grant(None);
    assert_eq!(grant.site.as_deref(), Some("https://acme.pipedrive.com"));
    assert_eq!(grant.scopes, ["deals:full", "users:full"]);
    let google: TokenResponse =
        serde_json::from_str(r#"{"access_token":"ya29.x","expires_in":3599}"#).unwrap();
    assert_eq!(google.into_token_grant(None).site, None);
}
