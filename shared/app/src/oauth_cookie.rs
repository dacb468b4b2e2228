//! The OAuth `state` and the browser cookie it is bound to: issued by the install function,
//! checked by the OAuth redirect, and the same for a user connecting a provider account
//! ([`CONNECT`], the connect function).
//!
//! The state is 32 random bytes from the OS (256 bits), base64url without padding. The cookie
//! value is the state itself, as Bolt does: the redirect must come back in the browser that
//! started the install, carrying a cookie whose SHA-256 is what was stored with the state. A
//! separate nonce would add nothing here: the state store keeps only hashes (adapters hash the
//! state, the record holds the cookie's hash), and the cookie is HttpOnly, Secure, SameSite=Lax
//! and scoped to `/slack`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The cookie's name.
pub const COOKIE_NAME: &str = "slack_oauth_state";
/// How long a state (and its cookie) lives: Slack's codes live ten minutes too.
pub const STATE_TTL_SECS: i64 = 600;
/// Random bytes in a state.
const STATE_BYTES: usize = 32;

/// A fresh state: 256 random bits, base64url (43 characters).
pub fn new_state() -> String {
    let mut bytes = [0u8; STATE_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a cookie value, as stored in `OAuthStateRecord::cookie_hash`.
pub fn cookie_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// `Set-Cookie` binding `state` to this browser for [`STATE_TTL_SECS`].
pub fn set_cookie(state: &str) -> String {
    INSTALL.set(state)
}

/// `Set-Cookie` that removes the cookie (sent once the state is used or refused).
pub fn clear_cookie() -> String {
    INSTALL.clear()
}

/// The value of our cookie in a request's `Cookie` headers, if any (the first non-empty one).
pub fn cookie_value(headers: &http::HeaderMap) -> Option<String> {
    INSTALL.value(headers)
}

/// A state cookie: its name and the path it is sent to. Each flow has its own, so the
/// install's and a connection's never meet (nor overwrite each other when both are under way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateCookie {
    pub name: &'static str,
    pub path: &'static str,
}

/// The Slack install's cookie (what the free functions above use).
pub const INSTALL: StateCookie = StateCookie {
    name: COOKIE_NAME,
    path: "/slack",
};

/// A user connecting a provider account: GET /connect/{provider} and its callback.
pub const CONNECT: StateCookie = StateCookie {
    name: "switchboard_connect_state",
    path: "/connect",
};

impl StateCookie {
    /// `Set-Cookie` binding `state` to this browser for [`STATE_TTL_SECS`].
    pub fn set(&self, state: &str) -> String {
        format!(
            "{}={state}; HttpOnly; Secure; SameSite=Lax; Max-Age={STATE_TTL_SECS}; Path={}",
            self.name, self.path
        )
    }

    /// `Set-Cookie` that removes the cookie (sent once the state is used or refused).
    pub fn clear(&self) -> String {
        format!(
            "{}=; HttpOnly; Secure; SameSite=Lax; Max-Age=0; Path={}",
            self.name, self.path
        )
    }

    /// The value of this cookie in a request's `Cookie` headers (the first non-empty one).
    pub fn value(&self, headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, value)| *name == self.name && !value.is_empty())
            .map(|(_, value)| value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_256_bit_base64url_and_unique() {
        let a = new_state();
        let b = new_state();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let decoded = URL_SAFE_NO_PAD.decode(&a).unwrap();
        assert_eq!(decoded.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn the_cookie_is_read_among_others_and_hashes_like_sha256() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "a=1; slack_oauth_state=; b=2".parse().unwrap(),
        );
        headers.append(
            http::header::COOKIE,
            "slack_oauth_state=abc".parse().unwrap(),
        );
        assert_eq!(cookie_value(&headers).as_deref(), Some("abc"));
        assert_eq!(cookie_value(&http::HeaderMap::new()), None);
        assert_eq!(
            cookie_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn cookies_carry_the_required_attributes() {
        let set = set_cookie("s");
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Max-Age=600",
            "Path=/slack",
        ] {
            assert!(set.contains(attr), "{attr} missing in {set}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn the_connect_cookie_is_its_own_and_scoped_to_connect() {
        let set = CONNECT.set("s");
        assert!(set.starts_with("switchboard_connect_state=s;"), "{set}");
        assert!(set.contains("Path=/connect") && set.contains("HttpOnly"));
        let mut headers = http::HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "slack_oauth_state=install; switchboard_connect_state=conn"
                .parse()
                .unwrap(),
        );
        assert_eq!(CONNECT.value(&headers).as_deref(), Some("conn"));
        assert_eq!(cookie_value(&headers).as_deref(), Some("install"));
        assert!(CONNECT.clear().contains("Max-Age=0; Path=/connect"));
    }
}
