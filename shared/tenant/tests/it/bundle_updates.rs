//! Read-modify-writes of the token bundle racing another writer: the lost updates of issue 7
//! item 3 ("a refresh can be undone and a spent refresh token put back"), reproduced by a
//! vault that lets another write land between a writer's read and its write.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tenant::ports::{
    Expected, Vault, VaultError, Version, Versioned, replace_bundle, update_bundle,
};
use tenant::service::{self, NewInstall};
use tenant::testkit::memory::MemoryVault;
use tenant::testkit::{MemoryStores, random_tenant, sample_bundle, sample_installation};
use tenant::{Secret, TenantId, TokenBundle, UserId};

/// A vault that, right after the first read a writer makes, lets `interloper` write (what a
/// worker refreshing the bot token in another process does).
struct Racing {
    inner: Arc<MemoryVault>,
    interloper: Mutex<Option<TokenBundle>>,
}

impl Racing {
    async fn interlope(&self, tenant: &TenantId) -> Result<(), VaultError> {
        let pending = self.interloper.lock().unwrap().take();
        if let Some(bundle) = pending {
            replace_bundle(self.inner.as_ref(), tenant, bundle).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Vault for Racing {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        let read = self.inner.get(tenant).await?;
        self.interlope(tenant).await?;
        Ok(read)
    }
    async fn get_fresh(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        let read = self.inner.get_fresh(tenant).await?;
        self.interlope(tenant).await?;
        Ok(read)
    }
    async fn put(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError> {
        self.inner.put(tenant, bundle, expected).await
    }
    async fn remove(&self, tenant: &TenantId, expected: &Version) -> Result<(), VaultError> {
        self.inner.remove(tenant, expected).await
    }
    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.inner.delete(tenant).await
    }
}

/// The bundle after a refresh: new access token, new refresh token (the old one is spent).
fn refreshed(old: &TokenBundle) -> TokenBundle {
    let mut new = old.clone();
    let bot = new.bot.as_mut().unwrap();
    bot.token = Secret::new("xoxe.xoxb-refreshed");
    bot.refresh_token = Some(Secret::new("xoxe-test-refreshed"));
    new
}

async fn racing_backend(
    stores: &MemoryStores,
    tenant: &TenantId,
) -> (tenant::Backend, TokenBundle) {
    let old = sample_bundle("old");
    replace_bundle(stores.vault.as_ref(), tenant, old.clone())
        .await
        .unwrap();
    let racing = Arc::new(Racing {
        inner: stores.vault.clone(),
        interloper: Mutex::new(Some(refreshed(&old))),
    });
    let mut backend = stores.backend();
    backend.vault = racing;
    (backend, old)
}

fn refresh_token(bundle: &TokenBundle) -> &str {
    bundle
        .bot
        .as_ref()
        .unwrap()
        .refresh_token
        .as_ref()
        .unwrap()
        .expose()
}

// Before the fix (revoke_tokens read through `get` and wrote with an unconditional `put`)
// this failed: the stored refresh token was "xoxe-1-refresh-old", the spent one.
#[tokio::test]
async fn a_revocation_racing_a_refresh_does_not_put_the_spent_refresh_token_back() {
    let stores = MemoryStores::new();
    let id = random_tenant();
    let (backend, _) = racing_backend(&stores, &id).await;
    let user = UserId::parse("U0SAMPLEUSER").unwrap();
    service::revoke_tokens(&backend, &id, &[], &[user], 1)
        .await
        .unwrap();
    let after = stores.vault.get(&id).await.unwrap().unwrap();
    assert_eq!(
        refresh_token(&after),
        "xoxe-test-refreshed",
        "the refresh was undone"
    );
    assert!(after.users.is_empty(), "the revocation landed too");
    assert_eq!(backend.audit.list(&id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_operator_install_racing_a_refresh_keeps_both_writes_consistent() {
    let stores = MemoryStores::new();
    let id = random_tenant();
    let (backend, old) = racing_backend(&stores, &id).await;
    let mut bot = old.bot.clone().unwrap();
    bot.token = Secret::new("xoxb-imported");
    bot.refresh_token = None;
    service::install(
        &backend,
        NewInstall {
            installation: sample_installation(&id, 1),
            name: "Acme".into(),
            bot,
        },
        1,
    )
    .await
    .unwrap();
    let after = stores.vault.get(&id).await.unwrap().unwrap();
    // The import was written on top of the refreshed bundle (not of the stale read): the
    // user token the refresh kept is there, and the bot is the imported one.
    assert_eq!(after.bot.unwrap().token.expose(), "xoxb-imported");
    assert_eq!(after.users.len(), 1);
}

#[tokio::test]
async fn update_bundle_retries_from_a_fresh_read_and_reports_the_stored_version() {
    let stores = MemoryStores::new();
    let id = random_tenant();
    let (backend, _) = racing_backend(&stores, &id).await;
    let mut seen = Vec::new();
    let updated = update_bundle(backend.vault.as_ref(), &id, |slot| {
        seen.push(refresh_token(slot.as_ref().unwrap()).to_owned());
        slot.as_mut().unwrap().users.clear();
    })
    .await
    .unwrap();
    assert!(updated.changed);
    assert_eq!(
        seen,
        ["xoxe-1-refresh-old", "xoxe-test-refreshed"],
        "second try reads fresh"
    );
    let stored = stores.vault.get_fresh(&id).await.unwrap().unwrap();
    assert_eq!(updated.version, Some(stored.version));
    assert_eq!(refresh_token(&stored.value), "xoxe-test-refreshed");

    let unchanged = update_bundle(backend.vault.as_ref(), &id, |_| ())
        .await
        .unwrap();
    assert!(
        !unchanged.changed,
        "a change that changes nothing writes nothing"
    );
}

#[tokio::test]
async fn update_bundle_gives_up_with_conflict_after_its_attempts() {
    /// A vault where every write finds someone else got there first.
    struct AlwaysBusy(MemoryVault);
    #[async_trait]
    impl Vault for AlwaysBusy {
        async fn get(&self, t: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
            self.0.get(t).await
        }
        async fn get_fresh(
            &self,
            t: &TenantId,
        ) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
            self.0.get_fresh(t).await
        }
        async fn put(
            &self,
            _: &TenantId,
            _: &TokenBundle,
            _: &Expected,
        ) -> Result<Version, VaultError> {
            Err(VaultError::Conflict)
        }
        async fn remove(&self, _: &TenantId, _: &Version) -> Result<(), VaultError> {
            Err(VaultError::Conflict)
        }
        async fn delete(&self, t: &TenantId) -> Result<(), VaultError> {
            self.0.delete(t).await
        }
    }
    let vault = AlwaysBusy(MemoryVault::default());
    let mut calls = 0;
    let err = update_bundle(&vault, &random_tenant(), |slot| {
        calls += 1;
        *slot = Some(sample_bundle("x"));
    })
    .await
    .unwrap_err();
    assert!(matches!(err, VaultError::Conflict));
    assert_eq!(calls, tenant::ports::UPDATE_ATTEMPTS);
}
