//! Where a refreshable token is stored: a typed credential ([`CredentialSlot`]) or the bot
//! token inside the tenant's Slack bundle ([`BotTokenSlot`]). Both are seen as a
//! [`Credential`], so the refresh logic reads and writes one shape.

use async_trait::async_trait;

use crate::credential::{Credential, CredentialId, unix_secs};
use crate::ids::TenantId;
use crate::ports::{
    CredentialError, Credentials, LedgerKey, Vault, VaultError, update_bundle, update_credential,
};
use crate::secret::BotToken;

/// The store behind a slot failed; the port's own error, kept as it is.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

impl SlotError {
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Vault(e) => e.is_transient(),
            Self::Credentials(e) => e.is_transient(),
        }
    }

    /// The stored ciphertext does not decrypt here (another tenant's, tampered, or KMS refuses
    /// this role): retrying cannot help, an operator must look.
    pub fn is_decrypt(&self) -> bool {
        matches!(
            self,
            Self::Vault(VaultError::Decrypt) | Self::Credentials(CredentialError::Decrypt)
        )
    }
}

/// An edit of a stored token. The lifetime of the credential is spelled out: `async_trait`
/// would otherwise name the elided one after the method's, and the edit could not be handed
/// a local.
pub type Change<'a> = dyn for<'c> FnMut(&'c mut Credential) + Send + 'a;

/// One refreshable token in storage.
#[async_trait]
pub trait TokenSlot: Send + Sync {
    /// The tenant it belongs to (the ledger partition of its lease, the audit log).
    fn tenant(&self) -> &TenantId;

    /// The ledger key of its refresh lease: one per token, so that refreshes of different
    /// tokens (two users' Google grants) never wait for each other.
    fn lease_key(&self) -> LedgerKey;

    /// What it is, for logs and the audit log ("bot token", "hubspot credential"); never a
    /// secret, never a user id.
    fn name(&self) -> String;

    /// Whether it belongs to the whole tenant (audited) rather than to one user.
    fn is_tenant_wide(&self) -> bool;

    /// The token as stored, `None` if there is none. `fresh`: past any cache (after waiting
    /// for another refresher, or under the lease, where a cached refresh token may be spent).
    async fn read(&self, fresh: bool) -> Result<Option<Credential>, SlotError>;

    /// Reads fresh, lets `change` edit the token, and writes it conditional on the version
    /// read, again from a fresh read on a conflict (the ports' `update_*` helpers). Nothing is
    /// created: a slot emptied meanwhile stays empty. Returns what is stored afterwards.
    async fn update(&self, change: &mut Change<'_>) -> Result<Option<Credential>, SlotError>;
}

/// A typed credential of the [`Credentials`] port.
pub struct CredentialSlot<'a> {
    store: &'a dyn Credentials,
    id: CredentialId,
}

impl<'a> CredentialSlot<'a> {
    pub fn new(store: &'a dyn Credentials, id: CredentialId) -> Self {
        Self { store, id }
    }
}

#[async_trait]
impl TokenSlot for CredentialSlot<'_> {
    fn tenant(&self) -> &TenantId {
        self.id.tenant()
    }

    fn lease_key(&self) -> LedgerKey {
        LedgerKey::CredentialRefresh {
            provider: self.id.provider(),
            user: self.id.user().cloned(),
        }
    }

    fn name(&self) -> String {
        format!("{} credential", self.id.provider())
    }

    fn is_tenant_wide(&self) -> bool {
        self.id.user().is_none()
    }

    async fn read(&self, fresh: bool) -> Result<Option<Credential>, SlotError> {
        let read = if fresh {
            self.store.get_fresh(&self.id).await?
        } else {
            self.store.get(&self.id).await?
        };
        Ok(read.map(|v| v.value))
    }

    async fn update(&self, change: &mut Change<'_>) -> Result<Option<Credential>, SlotError> {
        let updated = update_credential(self.store, &self.id, |slot| {
            let credential = slot.as_mut()?;
            change(credential);
            Some(credential.clone())
        })
        .await?;
        Ok(updated.value)
    }
}

/// The bot token inside the tenant's Slack bundle (the vault). Its lease is the tenant's
/// [`LedgerKey::TokenRefresh`], as before typed credentials existed.
pub struct BotTokenSlot<'a> {
    vault: &'a dyn Vault,
    tenant: TenantId,
}

impl<'a> BotTokenSlot<'a> {
    pub fn new(vault: &'a dyn Vault, tenant: TenantId) -> Self {
        Self { vault, tenant }
    }
}

/// The bot token's refresh state as a credential (the ids stay in the bot token).
fn as_credential(bot: &BotToken) -> Credential {
    let mut credential = Credential::new(bot.token.clone());
    credential.refresh_token = bot.refresh_token.clone();
    credential.expires_at = bot.expires_at.map(unix_secs::at);
    credential.scopes = bot.scopes.clone();
    credential
}

fn store_into(bot: &mut BotToken, credential: Credential) {
    bot.token = credential.access_token;
    bot.refresh_token = credential.refresh_token;
    bot.expires_at = credential.expires_at.map(unix_secs::of);
    bot.scopes = credential.scopes;
}

#[async_trait]
impl TokenSlot for BotTokenSlot<'_> {
    fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    fn lease_key(&self) -> LedgerKey {
        LedgerKey::TokenRefresh
    }

    fn name(&self) -> String {
        "bot token".to_owned()
    }

    fn is_tenant_wide(&self) -> bool {
        true
    }

    async fn read(&self, fresh: bool) -> Result<Option<Credential>, SlotError> {
        let bundle = if fresh {
            self.vault.get_fresh(&self.tenant).await?.map(|v| v.value)
        } else {
            self.vault.get(&self.tenant).await?
        };
        Ok(bundle.and_then(|b| b.bot).as_ref().map(as_credential))
    }

    async fn update(&self, change: &mut Change<'_>) -> Result<Option<Credential>, SlotError> {
        let updated = update_bundle(self.vault, &self.tenant, |slot| {
            let bot = slot.as_mut()?.bot.as_mut()?;
            let mut credential = as_credential(bot);
            change(&mut credential);
            store_into(bot, credential.clone());
            Some(credential)
        })
        .await?;
        Ok(updated.value)
    }
}
