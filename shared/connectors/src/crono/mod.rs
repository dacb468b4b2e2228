//! Crono (`shared/reference/crono.md`): [`CronoClient`] implements `followup::crm::Crm`
//! ([`crm`]) over the public API at `/api/v1` with a user's key pair (`X-Api-Key` +
//! `X-Api-Secret`, §2); any other credential kind is `Unauthorized` without a call.
//!
//! Writes are wrapped in `{"data": …}` (§3: without it Crono answers 400); answers are the
//! `{"data", "isSuccess", "errors"}` envelope and `isSuccess: false` is an unusable answer
//! whatever the status. Object ids are strings (`25995825_6149990627`).
//!
//! Confidence, per the reference's tags. [seen-working]: `POST Accounts/search {name}`,
//! `POST Prospects/search {name, pagination}`, `POST Notes {data: {accountId, description}}`,
//! `POST Opportunities/search {accountId, pagination, …}`, `PATCH Opportunities` with the id
//! in the body, the `data` wrapper, the two key headers. Everything else is UNCONFIRMED and
//! said so where it is used:
//! - no server-side domain filter is known (§4.3), so accounts by domain are a paged
//!   `Accounts/search` with `hasWebsite: true` [n8n] compared client-side, exactly, through
//!   `Domain` (never a substring), then a name search by the domain's first label when the
//!   scan hit its page cap;
//! - `GET Accounts/{id}` [used] (it 404'd for real accounts on the legacy `/v1` base) to
//!   check an account before a note;
//! - `objectIds` as a search filter on prospects [n8n] and opportunities (sent empty by the
//!   repo): the answer is checked client-side, so an ignored filter cannot pick another record;
//! - `GET Pipelines` [n8n]: the answer's shape was never seen (read as
//!   `{id|objectId, label|name, displayOrder, stages: [{id, label, isClosed, isWon}]}`);
//!   a 404 or 405 there is `Unsupported`;
//! - the opportunity's `isClosed`/`isWon` (search filters and update fields in the reference,
//!   not seen in answers): open deals are asked with `isClosed: false`, and any answered with
//!   `isClosed: true` or in a stage the pipelines mark closed are left out;
//! - `POST Tasks` [used]: `type` sent as the [n8n] name (`Call`, `Email`, `Generic`), not the
//!   repo's unverified integer; `activityDate` RFC 3339 in UTC; the task id read from
//!   `data.objectId`;
//! - the note id: Crono does not answer one (§4.5, §6.2), so `Written::id` of a note is a
//!   local id (`local-…`) that only tells writes apart, unless an answer carries `objectId`;
//! - `GET Users` as the credential check [n8n]; the status Crono answers for bad keys
//!   (401 assumed; 403 is taken the same way);
//! - the web app's URL (`{CRONO_APP_URL}/accounts/{accountId}`, §4.9, used by the repo; no
//!   deal, contact or task links are known, so those link to their account);
//! - rate limits: none documented or observed (§6.8); a 429 is retried after `Retry-After`
//!   or with backoff ([`crate::crm_retry`]).
//!
//! A note ends with a `ref: sb-…` line (its marker, plain text as Crono shows it), but is
//! not looked up by it: `find_note` is `Unsupported` (see there), and a note whose write had
//! an unknown outcome is left for the user to check.
//!
//! Crono cannot (so `CrmError::Unsupported`): a task for a prospect on no account
//! (`AccountId` is required, [n8n]); deal stages where the workspace has no `Pipelines`.

mod crm;
mod request;
mod wire;

use followup::crm::CrmError;

use crate::crm_http::{CrmClient, CrmConfig, CrmProvider, Vars};

const PROVIDER: &str = "Crono";

/// §1: everything on `/api/v1`; `/v1` is a legacy alias of uncertain status.
pub const DEFAULT_API_URL: &str = "https://ext.crono.one/api/v1";
/// §4.9 (UNCONFIRMED beyond the repo's use).
pub const DEFAULT_APP_URL: &str = "https://app.crono.one";

/// The marker of Crono's [`CronoConfig`] and [`CronoClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crono;

impl CrmProvider for Crono {
    const NAME: &'static str = PROVIDER;
    const CLIENT: &'static str = "CronoClient";
    const VARS: Vars = Vars {
        api_url: "CRONO_API_URL",
        app_url: "CRONO_APP_URL",
        timeout: "CRONO_TIMEOUT_SECS",
        max_retries: "CRONO_MAX_RETRIES",
    };
    const DEFAULT_API_URL: &'static str = DEFAULT_API_URL;
    const DEFAULT_APP_URL: &'static str = DEFAULT_APP_URL;
}

/// How the client reaches Crono: `CRONO_API_URL` (default [`DEFAULT_API_URL`]),
/// `CRONO_APP_URL` (links, default [`DEFAULT_APP_URL`]), `CRONO_TIMEOUT_SECS` (10),
/// `CRONO_MAX_RETRIES` (2).
pub type CronoConfig = CrmConfig<Crono>;

/// The Crono client; holds no credential. Build once per cold start.
pub type CronoClient = CrmClient<Crono>;

/// A Crono object id as it may go in a URL path: `<number>_<number>` in every example
/// (§3), accepted more loosely (letters, digits, `_`, `-`: the second part is the underlying
/// CRM's id, which need not be decimal, [inferred]). Anything else cannot exist there, so it
/// is `NotFound` without a call.
pub(crate) fn crono_id(raw: &str) -> Result<&str, CrmError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(raw) } else { Err(CrmError::NotFound) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_checked_before_any_url_and_the_defaults_are_the_api_v1_base() {
        assert_eq!(crono_id("25995825_6149990627"), Ok("25995825_6149990627"));
        for bad in ["", "../Users", "a b", "1/2", "x?y", &"1".repeat(65)] {
            assert_eq!(crono_id(bad), Err(CrmError::NotFound), "{bad:?}");
        }
        let config = CronoConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(config.api_url.as_str(), "https://ext.crono.one/api/v1/");
        assert_eq!(config.app_url.as_str(), "https://app.crono.one/");
    }
}
