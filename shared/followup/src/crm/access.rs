//! From a workspace's stored CRM credential to the [`CrmAccess`] an adapter takes, and back
//! for a pasted key.

use tenant::{Credential, Secret};

use super::{CrmAccess, CrmAuth, CrmKind};

/// What a stored credential of `kind` authenticates with:
///
/// * HubSpot, Salesforce: the OAuth access token as Bearer; `site` is the hub id (HubSpot,
///   for links) or the `instance_url` (Salesforce: the org's API host).
/// * Pipedrive: an OAuth grant (it has a refresh token) as Bearer with its `api_domain`, or a
///   pasted API token (no refresh token) in `x-api-token`.
/// * Crono: the key pair, the private half as the access token and the public half in the
///   metadata. A Crono credential without its public half is unusable: `None`.
pub fn access_of(kind: CrmKind, credential: &Credential) -> Option<CrmAccess> {
    let token = credential.access_token.clone();
    let meta = &credential.metadata;
    let (auth, site) = match kind {
        CrmKind::Hubspot => (CrmAuth::Bearer(token), meta.portal_id.clone()),
        CrmKind::Salesforce => (CrmAuth::Bearer(token), meta.instance_url.clone()),
        CrmKind::Pipedrive if credential.refresh_token.is_some() => {
            (CrmAuth::Bearer(token), meta.instance_url.clone())
        }
        CrmKind::Pipedrive => (CrmAuth::ApiToken(token), None),
        CrmKind::Crono => {
            let public = meta.public_key.clone()?;
            (
                CrmAuth::KeyPair {
                    public: Secret::from(public),
                    private: token,
                },
                None,
            )
        }
    };
    Some(CrmAccess { auth, site })
}

/// A key an admin pastes: Pipedrive's API token, or Crono's pair.
#[derive(Clone)]
pub enum PastedKey {
    Token(Secret),
    Pair { public: Secret, private: Secret },
}

impl std::fmt::Debug for PastedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Token(_) => "PastedKey::Token([redacted])",
            Self::Pair { .. } => "PastedKey::Pair([redacted])",
        })
    }
}

impl PastedKey {
    /// The access this key gives `kind`, to verify it with one call before saving it.
    pub fn access(&self, kind: CrmKind) -> Option<CrmAccess> {
        access_of(kind, &self.credential())
    }

    /// The credential it is stored as (see [`access_of`]).
    pub fn credential(&self) -> Credential {
        match self {
            Self::Token(token) => Credential::new(token.clone()),
            Self::Pair { public, private } => {
                let mut credential = Credential::new(private.clone());
                credential.metadata.public_key = Some(public.expose().to_owned());
                credential
            }
        }
    }

    /// The key a pending credential holds (the inverse of [`Self::credential`]).
    pub fn of_credential(credential: &Credential) -> Self {
        match &credential.metadata.public_key {
            Some(public) => Self::Pair {
                public: Secret::from(public.clone()),
                private: credential.access_token.clone(),
            },
            None => Self::Token(credential.access_token.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::from(s.to_owned())
    }

    #[test]
    fn each_crm_authenticates_as_its_api_expects() {
        let mut oauth = Credential::new(secret("at"));
        oauth.refresh_token = Some(secret("rt"));
        oauth.metadata.instance_url = Some("https://acme.my.salesforce.com".into());
        oauth.metadata.portal_id = Some("123".into());
        let hub = access_of(CrmKind::Hubspot, &oauth).unwrap();
        assert!(matches!(hub.auth, CrmAuth::Bearer(_)));
        assert_eq!(hub.site.as_deref(), Some("123"));
        let sf = access_of(CrmKind::Salesforce, &oauth).unwrap();
        assert_eq!(sf.site.as_deref(), Some("https://acme.my.salesforce.com"));
        assert!(matches!(
            access_of(CrmKind::Pipedrive, &oauth).unwrap().auth,
            CrmAuth::Bearer(_)
        ));
        let token = PastedKey::Token(secret("pd")).credential();
        assert!(matches!(
            access_of(CrmKind::Pipedrive, &token).unwrap().auth,
            CrmAuth::ApiToken(_)
        ));
        assert!(access_of(CrmKind::Crono, &token).is_none());
        let pair = PastedKey::Pair {
            public: secret("cpk_1"),
            private: secret("csk_1"),
        };
        let stored = pair.credential();
        match access_of(CrmKind::Crono, &stored).unwrap().auth {
            CrmAuth::KeyPair { public, private } => {
                assert_eq!(public.expose(), "cpk_1");
                assert_eq!(private.expose(), "csk_1");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            PastedKey::of_credential(&stored),
            PastedKey::Pair { .. }
        ));
        assert!(!format!("{pair:?}").contains("csk_1"));
    }
}
