//! AES-256-GCM sealing of token plaintexts, bound to what they belong to by associated data.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

/// Seals and opens plaintexts under the data directory's key. The associated data names what a
/// ciphertext belongs to (a tenant, or a tenant, user and purpose), so a ciphertext only opens
/// where it was sealed.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

/// A ciphertext did not open: wrong key, tampering, or moved under other associated data.
#[derive(Debug)]
pub(crate) struct NotOpened;

impl Sealer {
    pub(crate) fn new(key: &Key<Aes256Gcm>) -> Self {
        Self {
            cipher: Aes256Gcm::new(key),
        }
    }

    /// (nonce, ciphertext); a fresh random 96-bit nonce per call. `None` only if AES-GCM
    /// refuses the input (over its length limit).
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let ciphertext = self.cipher.encrypt(&nonce, payload).ok()?;
        Some((nonce.to_vec(), ciphertext))
    }

    /// The plaintext, wiped from memory when the caller drops it.
    pub(crate) fn open(
        &self,
        aad: &[u8],
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, NotOpened> {
        if nonce.len() != NONCE_LEN {
            return Err(NotOpened);
        }
        let payload = Payload {
            msg: ciphertext,
            aad,
        };
        self.cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map(Zeroizing::new)
            .map_err(|_| NotOpened)
    }
}
