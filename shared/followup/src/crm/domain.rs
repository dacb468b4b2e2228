//! Email domains of meeting attendees, and the free-mail domains that say nothing about which
//! company a person works for.

use std::fmt;

/// A lower-case DNS name (`acme.com`), with a leading `www.` dropped, as found after the `@`
/// of an address or in an account's website.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl TryFrom<String> for Domain {
    type Error = BadDomain;

    fn try_from(raw: String) -> Result<Self, BadDomain> {
        Self::parse(&raw)
    }
}

impl From<Domain> for String {
    fn from(domain: Domain) -> Self {
        domain.0
    }
}

/// Not a usable domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a domain name")]
pub struct BadDomain;

impl Domain {
    /// Accepts `acme.com`, `ACME.com`, `www.acme.com`, `https://www.acme.com/about` (a
    /// website as CRMs store it): letters, digits, `-` and at least one dot.
    pub fn parse(raw: &str) -> Result<Self, BadDomain> {
        let raw = raw.trim().to_ascii_lowercase();
        let host = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .unwrap_or(&raw);
        let host = host.split(['/', '?', '#', ':']).next().unwrap_or("");
        let host = host.strip_prefix("www.").unwrap_or(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        let labels_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !host.contains('.') || host.len() > 253 || !labels_ok {
            return Err(BadDomain);
        }
        Ok(Self(host.to_owned()))
    }

    /// The domain of an email address (`john@Acme.com` → `acme.com`).
    pub fn of_email(address: &str) -> Result<Self, BadDomain> {
        let (_, domain) = address.trim().rsplit_once('@').ok_or(BadDomain)?;
        Self::parse(domain)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a free-mail or consumer domain ([`FREE_MAIL_DOMAINS`]).
    pub fn is_free_mail(&self) -> bool {
        FREE_MAIL_DOMAINS.binary_search(&self.0.as_str()).is_ok()
    }

    /// The first label (`acme` of `acme.co.uk`): a hint for a name search when no account
    /// has the domain.
    pub fn first_label(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Consumer mailbox providers: an attendee at one of these is a person, not a company, so
/// their domain must never pick an account (every CRM has some "Gmail" company created by
/// an import). Kept sorted (binary search); the big providers of the markets we sell in. A
/// domain missing here only costs a failed search, not a wrong match, as long as no account
/// claims it.
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "aol.com",
    "btinternet.com",
    "comcast.net",
    "fastmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.fr",
    "hotmail.it",
    "icloud.com",
    "libero.it",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "outlook.com",
    "pm.me",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "t-online.de",
    "tutanota.com",
    "virgilio.it",
    "web.de",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.fr",
    "yahoo.it",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_free_mail_list_is_sorted_and_lower_case() {
        assert!(FREE_MAIL_DOMAINS.windows(2).all(|w| w[0] < w[1]));
        assert!(
            FREE_MAIL_DOMAINS
                .iter()
                .all(|d| Domain::parse(d).unwrap().as_str() == *d)
        );
    }

    #[test]
    fn domains_come_from_addresses_and_websites_normalised() {
        assert_eq!(
            Domain::of_email("John@ACME.com").unwrap().as_str(),
            "acme.com"
        );
        for site in [
            "https://www.acme.com/about",
            "acme.com.",
            "WWW.Acme.com",
            "http://acme.com:8080",
        ] {
            assert_eq!(Domain::parse(site).unwrap().as_str(), "acme.com", "{site}");
        }
        for bad in [
            "",
            "localhost",
            "acme..com",
            "-acme.com",
            "ac me.com",
            "@acme.com",
        ] {
            assert_eq!(Domain::parse(bad), Err(BadDomain), "{bad:?}");
        }
        assert!(Domain::of_email("no-at-sign").is_err());
        assert!(Domain::parse("GMail.com").unwrap().is_free_mail());
        assert!(!Domain::parse("acme.com").unwrap().is_free_mail());
        assert_eq!(Domain::parse("acme.co.uk").unwrap().first_label(), "acme");
    }
}
