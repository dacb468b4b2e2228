//! `connectors::crms::Crms::default_connection`: the workspace's settings say which CRM, its
//! tenant-wide credential says how, and an OAuth grant about to expire is refreshed under the
//! shared lease first; a revoked one is `Refused` (the caller marks it broken).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use connectors::crms::{Crms, Unusable};
use connectors::hubspot::oauth as hubspot_oauth;
use connectors::oauth2::OAuth2Client;
use fakes::hubspot::{FakeHubSpot, ObjectType};
use followup::crm::{CrmKind, Domain};
use followup::ports::{CrmConnection, CrmDirectory, update_settings};
use followup::testkit::MemoryCrmDirectory;
use tenant::testkit::MemoryStores;
use tenant::{Credential, CredentialId, TenantId, UserId};
use url::Url;

const REDIRECT: &str = "https://switchboard.example/connect/hubspot/callback";
const HUB: u64 = 5_500_101;

fn acme() -> TenantId {
    TenantId::parse("T0ACME").unwrap()
}

async fn connected(directory: &dyn CrmDirectory) {
    let connection = CrmConnection {
        kind: CrmKind::Hubspot,
        connected_by: UserId::parse("U0ADMIN").unwrap(),
        connected_at: 1,
        label: None,
        broken_since: None,
    };
    update_settings(directory, &acme(), |s| s.connect(connection.clone()))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expiring_grant_is_refreshed_before_the_call_and_a_revoked_one_is_refused() {
    let fake = FakeHubSpot::start().await.unwrap();
    fake.add_portal(HUB, "unused-private-token");
    fake.add_client("hs-client", "hs-secret");
    fake.add_object(
        HUB,
        ObjectType::Companies,
        &[("name", "Acme"), ("domain", "acme.example")],
        &[],
    );
    let api = fake.api_url();
    let lookup = move |name: &str| match name {
        "HUBSPOT_CLIENT_ID" => Some("hs-client".to_owned()),
        "HUBSPOT_CLIENT_SECRET" => Some("hs-secret".to_owned()),
        "HUBSPOT_API_URL" => Some(api.clone()),
        _ => None,
    };
    let oauth = OAuth2Client::new(
        hubspot_oauth::oauth_config(lookup.clone())
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let code = fake.issue_code(HUB, REDIRECT);
    let grant = oauth
        .exchange(&code, &Url::parse(REDIRECT).unwrap())
        .await
        .unwrap();
    let first_access = grant.access_token.expose().to_owned();
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let directory: Arc<dyn CrmDirectory> = Arc::new(MemoryCrmDirectory::default());
    let crms = Crms::from_lookup(lookup).unwrap();
    let clock = || SystemTime::now();
    // Not connected yet.
    let none = crms
        .default_connection(&backend, directory.as_ref(), &acme(), &clock)
        .await
        .unwrap();
    assert_eq!(none.err(), Some(Unusable::NotConnected));
    // Connected, the grant expiring within the refresh margin.
    let id = CredentialId::tenant_wide(acme(), CrmKind::Hubspot.provider());
    let mut credential = Credential::new(grant.access_token.clone());
    credential.refresh_token = grant.refresh_token.clone();
    credential.expires_at = Some(SystemTime::now() + Duration::from_secs(60));
    credential.metadata.portal_id = Some(HUB.to_string());
    tenant::ports::update_credential(backend.credentials.as_ref(), &id, |slot| {
        *slot = Some(credential.clone());
    })
    .await
    .unwrap();
    connected(directory.as_ref()).await;
    let ready = crms
        .default_connection(&backend, directory.as_ref(), &acme(), &clock)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ready.kind, CrmKind::Hubspot);
    let found = ready
        .crm
        .find_accounts_by_domains(&ready.access, &[Domain::parse("acme.example").unwrap()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let stored = backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_ne!(
        stored.access_token.expose(),
        first_access,
        "refreshed and stored"
    );
    assert!(stored.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(600));
    // The grant revoked at HubSpot, and due again: the refresh is refused, so is the connection.
    fake.revoke(stored.access_token.expose());
    // A disconnect ends the grant at HubSpot (its refresh token deleted: HubSpot has no
    // RFC 7009 revocation).
    assert!(crms.revoke(CrmKind::Hubspot, &stored).await.unwrap());
    tenant::ports::update_credential(backend.credentials.as_ref(), &id, |slot| {
        if let Some(c) = slot {
            c.expires_at = Some(SystemTime::now());
        }
    })
    .await
    .unwrap();
    let refused = crms
        .default_connection(&backend, directory.as_ref(), &acme(), &clock)
        .await
        .unwrap();
    assert_eq!(refused.err(), Some(Unusable::Refused(CrmKind::Hubspot)));
    // Another workspace has no connection at all, whatever this one holds.
    let other = TenantId::parse("T0OTHER").unwrap();
    let theirs = crms
        .default_connection(&backend, directory.as_ref(), &other, &clock)
        .await
        .unwrap();
    assert_eq!(theirs.err(), Some(Unusable::NotConnected));
}
