//! A note's marker in HubSpot: embedded as an HTML comment at the end of `hs_note_body`
//! (invisible in the timeline; the user's text is escaped by `note_html`, so it can never
//! contain `<!--`), and found again by a consistent read: the company's note associations
//! (`GET /crm/v3/objects/companies/{id}?associations=notes`), then the notes' bodies
//! (`POST /crm/v3/objects/notes/batch/read`). Never HubSpot's CRM search: its index lags
//! writes, and "absent from the search" would write the note twice.
//!
//! UNCONFIRMED (not in hubspot.md): the association list of a single-record read (the
//! reference shows it on the deals list), whether HubSpot pages it (a `paging.next` there is
//! answered `Unsupported`: the note may be on a page not read), the batch read's shape, and
//! that HubSpot keeps an HTML comment in `hs_note_body` (the fake does).

use followup::crm::{AccountId, CrmAccess, CrmError, NoteId, Written, is_note_marker};
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::HubSpotClient;
use super::request::Kind;
use super::wire::{Object, Paging, SearchPage};
use crate::crm_http::{crm_error, decimal_id, invalid};

/// `batch/read` takes at most 100 ids; a company with more notes than this many batches is
/// answered `Unsupported` rather than read in full.
const BATCH: usize = 100;
const MAX_NOTES: usize = 500;

/// What `marker` looks like in a note's body.
pub(super) fn embedded(marker: &str) -> String {
    format!("<!-- {marker} -->")
}

#[derive(Debug, Deserialize)]
struct WithAssociations {
    #[serde(default)]
    associations: Associations,
}

#[derive(Debug, Default, Deserialize)]
struct Associations {
    #[serde(default)]
    notes: Option<Associated>,
}

#[derive(Debug, Deserialize)]
struct Associated {
    #[serde(default)]
    results: Vec<AssociatedId>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct AssociatedId {
    id: String,
}

impl HubSpotClient {
    pub(super) async fn note_by_marker(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        if !is_note_marker(marker) {
            return Err(invalid("note marker"));
        }
        let company = decimal_id(account.as_str(), 20)?;
        let mut url = self
            .url(&format!("crm/v3/objects/companies/{company}"))
            .map_err(crm_error)?;
        url.query_pairs_mut()
            .append_pair("properties", "hs_object_id")
            .append_pair("associations", "notes");
        let read: WithAssociations = self
            .call(access, Method::GET, url, None, Kind::Idempotent)
            .await
            .map_err(crm_error)?;
        let Some(notes) = read.associations.notes else {
            return Ok(None);
        };
        if notes.paging.and_then(|p| p.next).is_some() || notes.results.len() > MAX_NOTES {
            tracing::info!("the company has more notes than one read shows: not looked up");
            return Err(CrmError::Unsupported);
        }
        let ids: Vec<&str> = notes
            .results
            .iter()
            .filter_map(|n| decimal_id(&n.id, 20).ok())
            .collect();
        let wanted = embedded(marker);
        let url = self
            .url("crm/v3/objects/notes/batch/read")
            .map_err(crm_error)?;
        for chunk in ids.chunks(BATCH) {
            let inputs: Vec<_> = chunk.iter().map(|id| json!({ "id": id })).collect();
            let body = json!({ "properties": ["hs_note_body"], "inputs": inputs });
            let page: SearchPage = self
                .call(
                    access,
                    Method::POST,
                    url.clone(),
                    Some(&body),
                    Kind::Idempotent,
                )
                .await
                .map_err(crm_error)?;
            if let Some(note) = page.results.into_iter().find(|o| carries(o, &wanted)) {
                let id = NoteId::parse(&note.id).map_err(|_| invalid("note id"))?;
                return Ok(Some(Written {
                    link: self.company_link(access, company),
                    id,
                }));
            }
        }
        Ok(None)
    }
}

fn carries(note: &Object, wanted: &str) -> bool {
    note.prop("hs_note_body")
        .is_some_and(|body| body.contains(wanted))
}
