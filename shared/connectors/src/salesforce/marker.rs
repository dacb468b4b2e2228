//! A note's marker in Salesforce: at the end of the ContentNote's `Title`
//! (`Meeting follow-up 2026-01-14 (ref sb-…)`), short and unobtrusive. Not in `Content`:
//! that is a base64 blob SOQL cannot filter on, and reading every note's body back would
//! cost a call per note.
//!
//! Found again by SOQL, a consistent read (not SOSL search, whose index lags writes): the
//! ContentNotes whose `Title` ends with the marker, then a `ContentDocumentLink` of one of
//! them to the account (Salesforce requires a `ContentDocumentId` or `LinkedEntityId` filter
//! there). A note left unlinked by a try that died between its two writes is private to the
//! integration user and is not counted: the note is written (and linked) again, and the
//! orphan stays invisible to the workspace.
//!
//! UNCONFIRMED (not in salesforce.md): that ContentNote can be queried by `Title` with SOQL
//! and `ContentDocumentLink` by `ContentDocumentId` and `LinkedEntityId` (both documented
//! by Salesforce's object reference, not re-read for the reference).

use followup::crm::{AccountId, CrmAccess, CrmError, NoteId, Written, is_note_marker};
use serde::Deserialize;

use super::SalesforceClient;
use super::crm::sf_id;
use super::soql::{like, literal};
use crate::crm_http::invalid;

/// Notes sharing one marker are one session's: a handful at most.
const MAX_CANDIDATES: usize = 20;

/// The title a note is created with.
pub(super) fn title(prefix: &str, marker: &str) -> String {
    format!("{prefix} (ref {marker})")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdRecord {
    id: String,
}

impl SalesforceClient {
    pub(super) async fn note_by_marker(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        if !is_note_marker(marker) {
            return Err(invalid("note marker"));
        }
        let account = sf_id(account.as_str())?;
        let notes = format!(
            "SELECT Id FROM ContentNote WHERE Title LIKE {} LIMIT {MAX_CANDIDATES}",
            like("%", &format!("(ref {marker})"), "")
        );
        let candidates: Vec<IdRecord> = self.query(access, &notes, 1).await?;
        for note in candidates {
            let Ok(note_id) = sf_id(&note.id) else {
                continue;
            };
            let links = format!(
                "SELECT Id FROM ContentDocumentLink WHERE ContentDocumentId = {} AND LinkedEntityId = {}",
                literal(note_id),
                literal(account)
            );
            let linked: Vec<IdRecord> = self.query(access, &links, 1).await?;
            if !linked.is_empty() {
                let id = NoteId::parse(note_id).map_err(|_| invalid("note id"))?;
                return Ok(Some(self.written(access, id, account)));
            }
        }
        Ok(None)
    }
}
