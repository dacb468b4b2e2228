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
//! | member | `T#<tenant>` | `MEMBER#<user>` |
//! | first-admin guard | `T#<tenant>` | `ADMIN_GUARD` |
//! | per-user credential | `T#<tenant>` | `CRED#<provider>#<user>` |
//! | follow-up session | `T#<tenant>` | `SESS#<user>#<recording, 20 digits>` |
//! | CRM settings | `T#<tenant>` | `CRM_SETTINGS` |
//! | CRM account mapping | `T#<tenant>` | `CRM_MAP#<kind>#<domain>` |
//! | OAuth state | `OAUTH#<hex SHA-256 of the state>` | `STATE` |
//! | API key lookup (reserved) | `APIKEY#<hash>` | |
//!
//! The audit log has a table of its own (append-only by IAM), keyed the same way:
//!
//! | item | `pk` | `sk` |
//! |---|---|---|
//! | audit entry | `T#<tenant>` | `SEQ#<sequence number, 20 digits>` |
//!
//! Everything a tenant owns lives under its own partition, derived from a [`TenantId`] (whose
//! alphabet is `[A-Z0-9]`, so it can never contain the `#` separator). Non-tenant items get
//! partitions whose prefixes can never start with `T#`, so no tenant key can reach them. An
//! OAuth state is stored under its hash, so the table never holds a usable state value.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use followup::SessionKey;
use followup::crm::{CrmKind, Domain};
use sha2::{Digest, Sha256};
use tenant::ports::LedgerKey;
use tenant::{Provider, TenantId, UserId};

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
/// Partition prefix of OAuth states (followed by the state's hex SHA-256).
pub const OAUTH_PREFIX: &str = "OAUTH#";
/// Sort key of an OAuth state.
pub const STATE_SK: &str = "STATE";
/// Sort key prefix of members.
pub const MEMBER_PREFIX: &str = "MEMBER#";
/// Sort key prefix of per-user credentials.
pub const CREDENTIAL_PREFIX: &str = "CRED#";
/// Sort key prefix of follow-up sessions.
pub const SESSION_PREFIX: &str = "SESS#";
/// Sort key of the tenant's CRM settings.
pub const CRM_SETTINGS_SK: &str = "CRM_SETTINGS";
/// Sort key prefix of CRM account mappings (not a prefix of [`CRM_SETTINGS_SK`]).
pub const CRM_MAPPING_PREFIX: &str = "CRM_MAP#";
/// Sort key of the tenant's first-admin guard.
pub const ADMIN_GUARD_SK: &str = "ADMIN_GUARD";
/// Sort key prefix of audit entries (audit table).
pub const AUDIT_SEQ_PREFIX: &str = "SEQ#";
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

/// A member of the tenant.
pub fn member(tenant: &TenantId, user: &UserId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("{MEMBER_PREFIX}{user}"),
    }
}

/// A credential one user of the tenant granted (tenant-wide credentials live in the tenant's
/// secret). Provider names are `[a-z_]` and user ids `[A-Z0-9]`, so neither holds a `#`.
pub fn user_credential(tenant: &TenantId, provider: Provider, user: &UserId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("{CREDENTIAL_PREFIX}{provider}#{user}"),
    }
}

/// One user's follow-up session on one recording. User ids are `[A-Z0-9]` (no `#`), and the
/// recording id is zero-padded so that a user's sessions sort by recording.
pub fn session(key: &SessionKey) -> ItemKey {
    ItemKey {
        pk: tenant_pk(key.tenant()),
        sk: format!(
            "{}{:020}",
            user_sessions_prefix(key.user()),
            key.recording().get()
        ),
    }
}

/// The sort-key prefix of one user's sessions. It ends in `#`, so user `U1`'s prefix is not a
/// prefix of user `U12`'s keys.
pub fn user_sessions_prefix(user: &UserId) -> String {
    format!("{SESSION_PREFIX}{user}#")
}

/// The tenant's CRM settings (connections and default).
pub fn crm_settings(tenant: &TenantId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: CRM_SETTINGS_SK.to_owned(),
    }
}

/// The sort-key prefix of the tenant's mappings in one CRM. Kind names are `[a-z]` and
/// domains `[a-z0-9.-]` (neither holds a `#`), and it ends in `#`, so one kind's prefix is
/// never a prefix of another's keys.
pub fn crm_mappings_prefix(kind: CrmKind) -> String {
    format!("{CRM_MAPPING_PREFIX}{}#", kind.as_str())
}

/// The mapping of `domain` in the tenant's `kind` CRM.
pub fn crm_mapping(tenant: &TenantId, kind: CrmKind, domain: &Domain) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("{}{}", crm_mappings_prefix(kind), domain.as_str()),
    }
}

/// The item whose existence means the tenant has had an admin (`add_first_admin`'s guard).
pub fn admin_guard(tenant: &TenantId) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: ADMIN_GUARD_SK.to_owned(),
    }
}

/// The hex SHA-256 of an OAuth state value.
pub fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An OAuth state, under the hash of its value.
pub fn oauth_state(state: &str) -> ItemKey {
    ItemKey {
        pk: format!("{OAUTH_PREFIX}{}", state_hash(state)),
        sk: STATE_SK.to_owned(),
    }
}

/// An audit entry of the tenant (in the audit table). Zero-padded so that the sort key's
/// string order is the sequence order.
pub fn audit_entry(tenant: &TenantId, seq: u64) -> ItemKey {
    ItemKey {
        pk: tenant_pk(tenant),
        sk: format!("{AUDIT_SEQ_PREFIX}{seq:020}"),
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
            member(&id, &UserId::parse("U0ME").unwrap()),
            admin_guard(&id),
            audit_entry(&id, 1),
            user_credential(&id, Provider::Google, &UserId::parse("U0ME").unwrap()),
        ] {
            assert_eq!(key.pk, "T#T0AAA");
        }
        assert_eq!(
            ledger(&id, &LedgerKey::Job(job)).sk,
            format!("LEDGER#job#{job}")
        );
        assert_eq!(usage(&id, "commands", 60, 7).sk, "USAGE#commands#60#7");
        // One refresh lease per credential: per provider, and per user for per-user ones.
        let lease = |user: Option<&str>| LedgerKey::CredentialRefresh {
            provider: Provider::Google,
            user: user.map(|u| UserId::parse(u).unwrap()),
        };
        assert_eq!(
            ledger(&id, &lease(Some("U0ME"))).sk,
            "LEDGER#lease#credential-refresh#google#U0ME"
        );
        assert_eq!(
            ledger(&id, &lease(None)).sk,
            "LEDGER#lease#credential-refresh#google"
        );
        assert_eq!(ledger(&id, &lease(None)).pk, "T#T0AAA");
        assert_eq!(
            user_credential(
                &id,
                Provider::SlackIncomingWebhook,
                &UserId::parse("W1").unwrap()
            )
            .sk,
            "CRED#slack_incoming_webhook#W1"
        );
        assert_eq!(tenant_pk(&t("E0BBB")), "T#E0BBB");
    }

    #[test]
    fn session_keys_live_in_the_tenants_partition_and_one_users_prefix_is_not_anothers() {
        let u1 = UserId::parse("U1").unwrap();
        let u12 = UserId::parse("U12").unwrap();
        let key = session(&SessionKey::new(
            t("T0AAA"),
            u1.clone(),
            followup::RecordingId::new(42),
        ));
        assert_eq!(key.pk, "T#T0AAA");
        assert_eq!(key.sk, "SESS#U1#00000000000000000042");
        let other = session(&SessionKey::new(
            t("T0AAA"),
            u12,
            followup::RecordingId::new(u64::MAX),
        ));
        assert_eq!(other.sk, format!("SESS#U12#{}", u64::MAX));
        assert!(!other.sk.starts_with(&user_sessions_prefix(&u1)));
        assert!(key.sk.starts_with(&user_sessions_prefix(&u1)));
    }

    #[test]
    fn crm_keys_live_in_the_tenants_partition_and_are_per_kind_and_domain() {
        let id = t("T0AAA");
        let d = Domain::parse("acme.com").unwrap();
        assert_eq!(crm_settings(&id).pk, "T#T0AAA");
        assert_eq!(crm_settings(&id).sk, "CRM_SETTINGS");
        let key = crm_mapping(&id, CrmKind::Hubspot, &d);
        assert_eq!(
            (key.pk.as_str(), key.sk.as_str()),
            ("T#T0AAA", "CRM_MAP#hubspot#acme.com")
        );
        assert_ne!(key, crm_mapping(&id, CrmKind::Pipedrive, &d));
        assert!(key.sk.starts_with(CRM_MAPPING_PREFIX));
        assert!(!CRM_SETTINGS_SK.starts_with(CRM_MAPPING_PREFIX));
        for other in CrmKind::ALL.into_iter().filter(|k| *k != CrmKind::Hubspot) {
            assert!(!key.sk.starts_with(&crm_mappings_prefix(other)));
        }
    }

    #[test]
    fn reserved_prefixes_never_collide_with_a_tenant_partition() {
        for prefix in [OAUTH_PREFIX, APIKEY_PREFIX] {
            assert!(!prefix.starts_with(TENANT_PREFIX));
        }
    }

    #[test]
    fn an_oauth_state_is_keyed_by_its_hash_only() {
        let key = oauth_state("secret-state-value");
        assert!(!key.pk.contains("secret-state-value"));
        assert_eq!(
            key.pk,
            format!("OAUTH#{}", state_hash("secret-state-value"))
        );
        assert_eq!(key.pk.len(), "OAUTH#".len() + 64);
        assert_eq!(key.sk, "STATE");
        // Known vector: SHA-256("abc").
        assert_eq!(
            state_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn audit_sort_keys_sort_in_sequence_order() {
        let id = t("T1");
        assert_eq!(audit_entry(&id, 7).sk, "SEQ#00000000000000000007");
        assert!(audit_entry(&id, 9).sk < audit_entry(&id, 10).sk);
        assert!(audit_entry(&id, 99_999).sk < audit_entry(&id, u64::MAX).sk);
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
