//! The CRM directory's contract on the in-memory adapter (the reference semantics), and the
//! pure rules of [`CrmSettings`] every adapter stores.

use followup::crm::CrmKind;
use followup::ports::CrmSettings;
use followup::testkit::MemoryCrmDirectory;
use followup::testkit::contract::{self, crm_directory::sample_connection};

#[tokio::test]
async fn memory_crm_directory_keeps_the_contract() {
    let store = MemoryCrmDirectory::default();
    contract::directory(&store).await;
}

#[tokio::test]
async fn memory_crm_directory_is_isolated_by_tenant() {
    let store = MemoryCrmDirectory::default();
    contract::directory_isolation(&store).await;
}

fn kinds(s: &CrmSettings) -> Vec<CrmKind> {
    s.connections.iter().map(|c| c.kind).collect()
}

#[test]
fn the_first_connection_becomes_the_default_and_later_ones_do_not_move_it() {
    let mut s = CrmSettings::default();
    assert_eq!(s.default_connection(), None);
    s.connect(sample_connection(CrmKind::Pipedrive, 10));
    assert_eq!(s.default, Some(CrmKind::Pipedrive));
    s.connect(sample_connection(CrmKind::Hubspot, 20));
    assert_eq!(s.default, Some(CrmKind::Pipedrive));
    assert_eq!(kinds(&s), vec![CrmKind::Pipedrive, CrmKind::Hubspot]);
    assert_eq!(
        s.default_connection().map(|c| c.kind),
        Some(CrmKind::Pipedrive)
    );
}

#[test]
fn a_reconnect_replaces_the_connection_in_place_and_clears_broken() {
    let mut s = CrmSettings::default();
    s.connect(sample_connection(CrmKind::Hubspot, 10));
    s.connect(sample_connection(CrmKind::Crono, 20));
    assert!(s.mark_broken(CrmKind::Hubspot, 30));
    let again = sample_connection(CrmKind::Hubspot, 40);
    s.connect(again.clone());
    assert_eq!(kinds(&s), vec![CrmKind::Hubspot, CrmKind::Crono]);
    assert_eq!(s.connection(CrmKind::Hubspot), Some(&again));
    assert_eq!(s.connection(CrmKind::Hubspot).unwrap().broken_since, None);
}

#[test]
fn disconnecting_the_default_moves_it_to_the_oldest_connection_left() {
    let mut s = CrmSettings::default();
    for (kind, at) in [
        (CrmKind::Hubspot, 10),
        (CrmKind::Salesforce, 20),
        (CrmKind::Crono, 30),
    ] {
        s.connect(sample_connection(kind, at));
    }
    s.default = Some(CrmKind::Crono);
    s.disconnect(CrmKind::Salesforce);
    assert_eq!(
        s.default,
        Some(CrmKind::Crono),
        "a non-default disconnect keeps it"
    );
    s.disconnect(CrmKind::Crono);
    assert_eq!(s.default, Some(CrmKind::Hubspot));
    s.disconnect(CrmKind::Hubspot);
    assert_eq!((s.default, s.connections.len()), (None, 0));
    s.disconnect(CrmKind::Pipedrive);
    assert_eq!(s, CrmSettings::default());
}

#[test]
fn mark_broken_is_true_once_and_false_for_an_unknown_connection() {
    let mut s = CrmSettings::default();
    s.connect(sample_connection(CrmKind::Salesforce, 10));
    assert!(!s.mark_broken(CrmKind::Hubspot, 20));
    assert!(s.mark_broken(CrmKind::Salesforce, 30));
    assert!(!s.mark_broken(CrmKind::Salesforce, 40));
    assert_eq!(
        s.connection(CrmKind::Salesforce).unwrap().broken_since,
        Some(30),
        "the first refusal's time is kept"
    );
}

#[test]
fn normalize_repairs_a_stale_or_missing_default() {
    let mut s = CrmSettings::default();
    s.connect(sample_connection(CrmKind::Crono, 10));
    s.default = Some(CrmKind::Hubspot);
    s.normalize();
    assert_eq!(s.default, Some(CrmKind::Crono));
    s.default = None;
    s.normalize();
    assert_eq!(s.default, Some(CrmKind::Crono));
    let mut empty = CrmSettings {
        default: Some(CrmKind::Pipedrive),
        ..CrmSettings::default()
    };
    empty.normalize();
    assert_eq!(empty.default, None);
}
