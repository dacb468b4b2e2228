//! Every storage key and secret name the adapters use, built here and only here from typed ids.
//!
//! One DynamoDB table with string keys `pk` and `sk`:
//!
//! | item | `pk` | `sk` |
//! |---|---|---|
//! | tenant record | `T#<tenant>` | `TENANT` |
//! | installation | `T#<tenant>` | `INSTALL` |
//! | ledger entry | `T#<tenant>` | `LEDGER#<LedgerKey::as_key>` |
//! | usage counter | `T#<tenant>` | `USAGE#<counter>#<window secs>#<window index>` |
//! | OAuth state (reserved) | `OAUTH#<state>` | |
//! | API key lookup (reserved) | `APIKEY#<hash>` | |
//!
//! Everything a tenant owns lives under its own partition, derived from a [`TenantId`] (whose
//! alphabet is `[A-Z0-9]`, so it can never contain the `#` separator). Non-tenant items get
//! partitions whose prefixes can never start with `T#`, so no tenant key can reach them.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use tenant::TenantId;
use tenant::ports::LedgerKey;

/// Partition key attribute name.
pub const PK: &str = "pk";
/// Sort key attribute name.
pub const SK: &str = "sk";
/// TTL attribute (unix seconds), enabled on the table in template.yaml.
pub const EXPIRES_AT: &str = "expires_at";

/// Sort key of the tenant record.
pub const TENANT_SK: &str = "TENANT";
/// Sort key of the installation metadata.
pub const INSTALL_SK: &str = "INSTALL";
/// Partition prefix of a tenant.
pub const TENANT_PREFIX: &str = "T#";
/// Reserved: partition prefix for OAuth `state` values (a later issue).
pub const OAUTH_PREFIX: &str = "OAUTH#";
/// Reserved: partition prefix for API-key lookups (a later issue).
pub const APIKEY_PREFIX: &str = "APIKEY#";

/// The primary key of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    pub pk: String,
    pub sk: String,
}

impl ItemKey {
    /// The key as DynamoDB wants it in `GetItem`, `UpdateItem`, `DeleteItem`.
    pub fn to_map(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// The partition of everything `tenant` owns.
pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("{TENANT_PREFIX}{tenant}")
}

/// The tenant record.
pub fn tenant(tenant: &TenantId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: TENANT_SK.to_owned(),
    }
}

/// The tenant's installation metadata.
pub fn installation(tenant: &TenantId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: INSTALL_SK.to_owned(),
    }
}

/// A ledger entry of the tenant.
pub fn ledger(tenant: &TenantId, key: &LedgerKey) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("LEDGER#{}", key.as_key()),
    }
}

/// A usage counter of the tenant in one fixed window. The window length is part of the key so
/// that the same counter used with two window lengths never shares a count.
pub fn usage(tenant: &TenantId, counter: &str, window_secs: u64, index: u64) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("USAGE#{counter}#{window_secs}#{index}"),
    }
}

/// The Secrets Manager secret holding the tenant's encrypted token bundle.
pub fn tenant_secret_name(prefix: &str, tenant: &TenantId) -> String {
    format!("{}/tenants/{tenant}", prefix.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant::JobId;

    fn t(raw: &str) -> TenantId {
        TenantId::parse(raw).unwrap()
    }

    #[test]
    fn every_tenant_key_lives_in_the_tenants_partition() {
        let id = t("T0AAA");
        let job = JobId::new();
        for key in [
            tenant(&id),
            installation(&id),
            ledger(&id, &LedgerKey::Event("Ev1".into())),
            ledger(&id, &LedgerKey::Step(job, "reply")),
            usage(&id, "commands", 60, 7),
        ] {
            assert_eq!(key.pk, "T#T0AAA");
        }
        assert_eq!(
            ledger(&id, &LedgerKey::Job(job)).sk,
            format!("LEDGER#job#{job}")
        );
        assert_eq!(usage(&id, "commands", 60, 7).sk, "USAGE#commands#60#7");
        assert_eq!(tenant_pk(&t("E0BBB")), "T#E0BBB");
    }

    #[test]
    fn reserved_prefixes_never_collide_with_a_tenant_partition() {
        for prefix in [OAUTH_PREFIX, APIKEY_PREFIX] {
            assert!(!prefix.starts_with(TENANT_PREFIX));
        }
    }

    #[test]
    fn window_length_is_part_of_a_usage_key() {
        let id = t("T1");
        assert_ne!(usage(&id, "c", 60, 60).sk, usage(&id, "c", 3600, 60).sk);
    }

    #[test]
    fn secret_names_follow_the_prefix() {
        assert_eq!(tenant_secret_name("dev", &t("T9")), "dev/tenants/T9");
        assert_eq!(tenant_secret_name("dev/", &t("E9")), "dev/tenants/E9");
    }
}
