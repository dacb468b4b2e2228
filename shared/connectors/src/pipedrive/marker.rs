//! A note's marker in Pipedrive: a trailing paragraph `ref: sb-…` of the note's `content`.
//! Not an HTML comment: Pipedrive sanitises `content` server-side (pipedrive.md §2) and may
//! drop one, and a marker lost that way would make the lookup answer "absent" and the note
//! be written twice; a short line of text survives any sanitiser.
//!
//! Found again by a consistent read, the organization's notes list (`GET /v1/notes?org_id=`,
//! §2), not a search: the marker counts only at the very end of a note's text (tags
//! stripped), so a user's own words mentioning a marker never match (the real marker always
//! follows them).
//!
//! UNCONFIRMED (not in pipedrive.md): the v1 list's pagination
//! (`additional_data.pagination.{more_items_in_collection, next_start}`) and `data: null` for
//! an empty list; more notes than [`MAX_PAGES`] pages is answered `Unsupported`.

use followup::crm::{AccountId, CrmAccess, CrmError, NoteId, Written, is_note_marker};
use http::Method;
use serde::Deserialize;

use super::PipedriveClient;
use super::request::{Kind, Version};
use crate::crm_http::{crm_error, decimal_id, invalid};

const PAGE: u32 = 500;
const MAX_PAGES: usize = 5;

/// The paragraph appended to a note's HTML.
pub(super) fn embedded(marker: &str) -> String {
    format!("<p>{}</p>", text(marker))
}

fn text(marker: &str) -> String {
    format!("ref: {marker}")
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Option<Vec<Note>>,
    #[serde(default)]
    additional_data: Option<Additional>,
}

#[derive(Debug, Deserialize)]
struct Note {
    id: u64,
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Additional {
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Debug, Default, Deserialize)]
struct Pagination {
    #[serde(default)]
    more_items_in_collection: bool,
    #[serde(default)]
    next_start: Option<u64>,
}

/// Whether `content` ends with `marker`'s line, whatever markup the sanitiser left around it.
fn ends_with_marker(content: &str, marker: &str) -> bool {
    let mut plain = String::with_capacity(content.len());
    let mut in_tag = false;
    for c in content.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain.trim_end().ends_with(&text(marker))
}

impl PipedriveClient {
    pub(super) async fn note_by_marker(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        if !is_note_marker(marker) {
            return Err(invalid("note marker"));
        }
        let org = decimal_id(account.as_str(), 19)?;
        let mut start = 0u64;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(access, Version::V1, "notes").map_err(crm_error)?;
            url.query_pairs_mut()
                .append_pair("org_id", org)
                .append_pair("start", &start.to_string())
                .append_pair("limit", &PAGE.to_string());
            let page: Page = self
                .call(access, Method::GET, url, None, Kind::Idempotent)
                .await
                .map_err(crm_error)?;
            let found = page.data.unwrap_or_default().into_iter().find(|n| {
                n.content
                    .as_deref()
                    .is_some_and(|c| ends_with_marker(c, marker))
            });
            if let Some(note) = found {
                let id = NoteId::parse(&note.id.to_string()).map_err(|_| invalid("note id"))?;
                let org: u64 = org.parse().map_err(|_| CrmError::NotFound)?;
                return Ok(Some(Written {
                    id,
                    link: self.org_link(access, org),
                }));
            }
            let next = page
                .additional_data
                .and_then(|a| a.pagination)
                .filter(|p| p.more_items_in_collection)
                .and_then(|p| p.next_start);
            match next {
                Some(n) if n > start => start = n,
                Some(_) => return Err(invalid("notes pagination")),
                None => return Ok(None),
            }
        }
        tracing::info!("the organization has more notes than are read: not looked up");
        Err(CrmError::Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trailing_marker_line_counts() {
        let m = "sb-0123456789abcdef";
        let note = format!("<p>Met John.</p>{}", embedded(m));
        assert!(ends_with_marker(&note, m));
        assert!(ends_with_marker(
            "<div>Met John.</div><div>ref: sb-0123456789abcdef</div>\n",
            m
        ));
        assert!(!ends_with_marker(
            "<p>ref: sb-0123456789abcdef</p><p>ref: sb-aaaaaaaaaaaaaaaa</p>",
            m
        ));
        assert!(!ends_with_marker("<p>Met John.</p>", m));
    }
}
