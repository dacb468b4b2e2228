use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::vault::matches;
use super::{Switch, lock};
use crate::credential::{Credential, CredentialId};
use crate::ids::TenantId;
use crate::ports::{CredentialError, Credentials, Expected, Version, Versioned};

/// In-memory [`Credentials`]. Nothing is encrypted (tests only); keys are whole
/// [`CredentialId`]s, so one tenant's or user's entry is never another's.
#[derive(Debug, Default)]
pub struct MemoryCredentials {
    entries: Mutex<BTreeMap<CredentialId, (u64, Credential)>>,
    writes: AtomicU64,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory credentials";

impl MemoryCredentials {
    /// Number of stored credentials, all tenants together.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Credentials for MemoryCredentials {
    async fn get_fresh(
        &self,
        id: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.entries, WHAT)?
            .get(id)
            .map(|(at, credential)| Versioned {
                value: credential.clone(),
                version: Version::new(at.to_string()),
            }))
    }

    async fn put(
        &self,
        id: &CredentialId,
        credential: &Credential,
        expected: &Expected,
    ) -> Result<Version, CredentialError> {
        self.switch.check(WHAT)?;
        let mut entries = lock(&self.entries, WHAT)?;
        if !matches(entries.get(id).map(|(at, _)| *at), expected) {
            return Err(CredentialError::Conflict);
        }
        let at = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        entries.insert(id.clone(), (at, credential.clone()));
        Ok(Version::new(at.to_string()))
    }

    async fn delete(
        &self,
        id: &CredentialId,
        expected: Option<&Version>,
    ) -> Result<(), CredentialError> {
        self.switch.check(WHAT)?;
        let mut entries = lock(&self.entries, WHAT)?;
        if let Some(version) = expected
            && !matches(
                entries.get(id).map(|(at, _)| *at),
                &Expected::At(version.clone()),
            )
        {
            return Err(CredentialError::Conflict);
        }
        entries.remove(id);
        Ok(())
    }

    async fn list(&self, tenant: &TenantId) -> Result<Vec<CredentialId>, CredentialError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.entries, WHAT)?
            .keys()
            .filter(|id| id.tenant() == tenant && id.user().is_none())
            .cloned()
            .collect())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), CredentialError> {
        self.switch.check(WHAT)?;
        lock(&self.entries, WHAT)?.retain(|id, _| id.tenant() != tenant);
        Ok(())
    }
}
