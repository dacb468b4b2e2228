//! The [`CrmDirectory`] contract: [`directory`] and [`directory_isolation`], run on memory,
//! SQLite and DynamoDB (moto). Suites use fresh random tenants and domains, so they can run
//! on a shared store in any order.
//!
//! ```ignore
//! #[tokio::test]
//! async fn crm_directory_keeps_the_contract() {
//!     let store = my_store().await;
//!     followup::testkit::contract::directory(&store).await;
//!     followup::testkit::contract::directory_isolation(&store).await;
//! }
//! ```

mod isolation;
mod mappings;
mod settings;

pub use isolation::directory_isolation;

use std::fmt::Debug;

use tenant::testkit::{random_suffix, random_user};

use crate::crm::{AccountId, CrmKind, Domain};
use crate::ports::{AccountMapping, CrmConnection, CrmDirectory, DirectoryError, MappingSource};

/// [`CrmDirectory`]: settings are conditional writes (a second create and a stale version are
/// `Conflict`; of racing writers exactly one wins) and round-trip every field;
/// `update_settings` redoes its change on `Conflict` and writes nothing for a no-op; mappings
/// keep the verified rule atomically, count uses atomically, are per (kind, domain), and are
/// removed per kind or, with the settings, per tenant.
pub async fn directory(store: &dyn CrmDirectory) {
    settings::settings(store).await;
    settings::update_settings_contract(store).await;
    mappings::mappings(store).await;
}

/// A connection of `kind` made now by a fresh admin, with a label.
pub fn sample_connection(kind: CrmKind, connected_at: i64) -> CrmConnection {
    CrmConnection {
        kind,
        connected_by: random_user(),
        connected_at,
        label: Some(format!("{} portal {}", kind.name(), random_suffix(6))),
        broken_since: None,
    }
}

/// A mapping of `domain` to account `account`, as a domain match (`verified == false`) or a
/// user's pick (`verified == true`).
pub fn sample_mapping(domain: &Domain, account: &str, verified: bool) -> AccountMapping {
    AccountMapping {
        domain: domain.clone(),
        account: AccountId::parse(account).expect("a CRM id"),
        account_name: format!("Account {account}"),
        link: format!("https://crm.example/accounts/{account}"),
        source: if verified {
            MappingSource::UserPick
        } else {
            MappingSource::Domain
        },
        confidence: if verified { 100 } else { 90 },
        times_used: 0,
        verified,
        updated_at: 1_750_000_000,
    }
}

/// A domain no other run uses.
pub fn random_domain() -> Domain {
    Domain::parse(&format!(
        "{}.example",
        random_suffix(10).to_ascii_lowercase()
    ))
    .expect("a domain")
}

pub(crate) fn expect_conflict<T: Debug>(promise: &str, result: Result<T, DirectoryError>) {
    match result {
        Err(DirectoryError::Conflict) => {}
        other => panic!("contract broken: {promise} must be Conflict, got {other:?}"),
    }
}
