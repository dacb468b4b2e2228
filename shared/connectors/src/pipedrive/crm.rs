//! `followup::crm::Crm` for Pipedrive (pipedrive.md §1–§4).

use std::collections::HashSet;

use async_trait::async_trait;
use followup::crm::{
    Account, AccountId, Amount, Contact, ContactId, Crm, CrmAccess, CrmError, Deal, DealId,
    DealUpdate, Domain, NewNote, NewTask, NoteId, Pipeline, PipelineId, Stage, StageId, TaskId,
    TaskKind, Written, is_note_marker,
};
use http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};
use url::Url;

use super::request::{Kind, Version};
use super::wire::{self, Envelope, SearchData};
use super::{PROVIDER, PipedriveClient, marker};
use crate::crm_http::{crm_error, decimal_id, invalid};
use crate::note_html::note_html;

/// Domains asked per call (one search each; Pipedrive has no OR of terms).
const MAX_DOMAINS: usize = 10;
/// Per page (max 500, §1, §3) and pages followed.
const PAGE: u32 = 500;
const MAX_PAGES: usize = 5;
const SEARCH_LIMIT: u32 = 20;
/// The closed pseudo-stages: a deal is closed by its status, not its stage.
const WON: &str = "won";
const LOST: &str = "lost";

/// Pipedrive's ids are integers (see [`decimal_id`]).
fn pipedrive_id(raw: &str) -> Result<u64, CrmError> {
    decimal_id(raw, 19)?.parse().map_err(|_| CrmError::NotFound)
}

/// `add_time`: `YYYY-MM-DD HH:MM:SS` in UTC (§2).
fn add_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// An activity's `due_date` and `due_time` (`HH:MM`), in UTC (UNCONFIRMED: not in the
/// reference; Pipedrive's docs say activity times are UTC).
pub(super) fn due(at: Timestamp) -> (String, String) {
    (
        at.strftime("%Y-%m-%d").to_string(),
        at.strftime("%H:%M").to_string(),
    )
}

fn activity_type(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Call => "call",
        TaskKind::Email => "email",
        TaskKind::Todo => "task",
    }
}

impl PipedriveClient {
    fn link(&self, access: &CrmAccess, kind: &str, id: u64) -> String {
        format!("{}{kind}/{id}", self.app_base(access))
    }

    /// "Open in Pipedrive" for an organization (where its notes show).
    pub(super) fn org_link(&self, access: &CrmAccess, org: u64) -> String {
        self.link(access, "organization", org)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        access: &CrmAccess,
        url: Url,
    ) -> Result<Envelope<T>, CrmError> {
        self.call(access, Method::GET, url, None, Kind::Idempotent)
            .await
            .map_err(crm_error)
    }

    /// A v2 search (`organizations` or `persons`), following `next_cursor` for `pages`.
    async fn search(
        &self,
        access: &CrmAccess,
        object: &str,
        params: &[(&str, &str)],
        pages: usize,
    ) -> Result<Vec<wire::Item>, CrmError> {
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..pages {
            let mut url = self
                .url(access, Version::V2, &format!("{object}/search"))
                .map_err(crm_error)?;
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let page: Envelope<SearchData> = self.get(access, url).await?;
            cursor = page.next_cursor().map(str::to_owned);
            found.extend(page.data.items.into_iter().map(|i| i.item));
            if cursor.is_none() {
                break;
            }
        }
        Ok(found)
    }

    /// `NotFound` unless the record is visible (creates are not documented to answer 404
    /// for a missing target, so it is read first).
    async fn require(&self, access: &CrmAccess, object: &str, id: u64) -> Result<(), CrmError> {
        let url = self
            .url(access, Version::V2, &format!("{object}/{id}"))
            .map_err(crm_error)?;
        let _: Envelope<wire::Id> = self.get(access, url).await?;
        Ok(())
    }

    async fn create(&self, access: &CrmAccess, path: &str, body: &Value) -> Result<u64, CrmError> {
        let url = self.url(access, Version::V1, path).map_err(crm_error)?;
        let created: Envelope<wire::Id> = self
            .call(access, Method::POST, url, Some(body), Kind::Create)
            .await
            .map_err(crm_error)?;
        Ok(created.data.id)
    }

    fn account(
        &self,
        access: &CrmAccess,
        item: wire::Item,
        domain: Option<&Domain>,
    ) -> Option<Account> {
        Some(Account {
            id: AccountId::parse(&item.id.to_string()).ok()?,
            link: self.link(access, "organization", item.id),
            name: item.name.unwrap_or_default(),
            domain: domain.map(|d| d.as_str().to_owned()),
        })
    }
}

#[async_trait]
impl Crm for PipedriveClient {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER, domains = domains.len()))]
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        let mut seen = HashSet::new();
        let mut asked: Vec<&Domain> = Vec::new();
        let mut accounts = Vec::new();
        for domain in domains {
            if asked.contains(&domain) || asked.len() == MAX_DOMAINS {
                continue;
            }
            asked.push(domain);
            // No standard domain field (§1): an exact, case-insensitive match on the custom
            // fields, where the workspace keeps the website's domain.
            let params = [
                ("term", domain.as_str()),
                ("fields", "custom_fields"),
                ("exact_match", "true"),
                ("limit", "100"),
            ];
            for item in self.search(access, "organizations", &params, 1).await? {
                if seen.insert(item.id)
                    && let Some(account) = self.account(access, item, Some(domain))
                {
                    accounts.push(account);
                }
            }
        }
        Ok(accounts)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError> {
        let name: String = name.trim().chars().take(200).collect();
        // `term` needs 2 characters without exact_match (§1).
        if name.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let limit = SEARCH_LIMIT.to_string();
        let params = [
            ("term", name.as_str()),
            ("fields", "name"),
            ("limit", limit.as_str()),
        ];
        let found = self.search(access, "organizations", &params, 1).await?;
        Ok(found
            .into_iter()
            .filter_map(|i| self.account(access, i, None))
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        let org = pipedrive_id(account.as_str())?;
        if !is_note_marker(&note.marker) {
            return Err(invalid("note marker"));
        }
        let content = note_html(&note.body);
        if content.is_empty() {
            return Err(invalid("empty note"));
        }
        let content = content + &marker::embedded(&note.marker);
        self.require(access, "organizations", org).await?;
        // `content` is HTML, sanitised by Pipedrive (§2).
        let body = json!({ "content": content, "org_id": org, "add_time": add_time(note.at) });
        let id = self.create(access, "notes", &body).await?;
        Ok(Written {
            id: NoteId::parse(&id.to_string()).map_err(|_| invalid("note id"))?,
            link: self.org_link(access, org),
        })
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn find_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        self.note_by_marker(access, account, marker).await
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn open_deals(
        &self,
        access: &CrmAccess,
        account: &AccountId,
    ) -> Result<Vec<Deal>, CrmError> {
        let org = pipedrive_id(account.as_str())?.to_string();
        let mut deals = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(access, Version::V2, "deals").map_err(crm_error)?;
            {
                let mut q = url.query_pairs_mut();
                // Closed deals are won or lost by status, Pipedrive's own field (§3).
                q.append_pair("org_id", &org)
                    .append_pair("status", "open")
                    .append_pair("limit", &PAGE.to_string());
                if let Some(c) = &cursor {
                    q.append_pair("cursor", c);
                }
            }
            let page: Envelope<Vec<wire::Deal>> = self.get(access, url).await?;
            cursor = page.next_cursor().map(str::to_owned);
            for d in page.data {
                let (Some(pipeline), Some(stage)) = (d.pipeline_id, d.stage_id) else {
                    continue;
                };
                let (Ok(id), Ok(pipeline), Ok(stage)) = (
                    DealId::parse(&d.id.to_string()),
                    PipelineId::parse(&pipeline.to_string()),
                    StageId::parse(&stage.to_string()),
                ) else {
                    continue;
                };
                deals.push(Deal {
                    link: self.link(access, "deal", d.id),
                    name: d.title.unwrap_or_default(),
                    amount: d.value.and_then(|v| Amount::parse(&v.to_string()).ok()),
                    currency: d.currency.map(|c| c.to_ascii_uppercase()),
                    id,
                    pipeline,
                    stage,
                });
            }
            if cursor.is_none() {
                break;
            }
        }
        Ok(deals)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        let url = self
            .url(access, Version::V2, "pipelines")
            .map_err(crm_error)?;
        let pipelines: Envelope<Vec<wire::Pipeline>> = self.get(access, url).await?;
        let url = self.url(access, Version::V2, "stages").map_err(crm_error)?;
        let stages: Envelope<Vec<wire::Stage>> = self.get(access, url).await?;
        let mut pipelines: Vec<wire::Pipeline> = pipelines
            .data
            .into_iter()
            .filter(|p| !p.is_deleted)
            .collect();
        pipelines.sort_by_key(|p| p.order_nr);
        let mut all_stages: Vec<wire::Stage> =
            stages.data.into_iter().filter(|s| !s.is_deleted).collect();
        all_stages.sort_by_key(|s| s.order_nr);
        pipelines
            .into_iter()
            .map(|p| {
                let mut stages: Vec<Stage> = all_stages
                    .iter()
                    .filter(|s| s.pipeline_id == p.id)
                    .map(|s| {
                        Ok(Stage {
                            id: StageId::parse(&s.id.to_string())
                                .map_err(|_| invalid("stage id"))?,
                            label: s.name.clone(),
                            closed: false,
                        })
                    })
                    .collect::<Result<_, CrmError>>()?;
                for (id, label) in [(WON, "Won"), (LOST, "Lost")] {
                    stages.push(Stage {
                        id: StageId::parse(id).map_err(|_| invalid("stage id"))?,
                        label: label.to_owned(),
                        closed: true,
                    });
                }
                Ok(Pipeline {
                    id: PipelineId::parse(&p.id.to_string()).map_err(|_| invalid("pipeline id"))?,
                    label: p.name,
                    stages,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn update_deal(
        &self,
        access: &CrmAccess,
        deal: &DealId,
        update: &DealUpdate,
    ) -> Result<Written<DealId>, CrmError> {
        update.require_change()?;
        let id = pipedrive_id(deal.as_str())?;
        let mut body = serde_json::Map::new();
        match update.stage.as_ref().map(StageId::as_str) {
            None => {}
            Some(status @ (WON | LOST)) => {
                body.insert("status".into(), json!(status));
            }
            Some(stage) => {
                let stage = pipedrive_id(stage).map_err(|_| invalid("not a Pipedrive stage"))?;
                body.insert("stage_id".into(), json!(stage));
            }
        }
        if let Some(amount) = &update.amount {
            // v2 wants a JSON number (strict numeric validation): the decimal text as f64,
            // exact for any amount a deal carries (≤ 15 significant digits).
            let value: f64 = amount.as_str().parse().map_err(|_| invalid("amount"))?;
            body.insert("value".into(), json!(value));
        }
        let url = self
            .url(access, Version::V2, &format!("deals/{id}"))
            .map_err(crm_error)?;
        let _: Envelope<wire::Id> = self
            .call(
                access,
                Method::PATCH,
                url,
                Some(&Value::Object(body)),
                Kind::Idempotent,
            )
            .await
            .map_err(crm_error)?;
        Ok(Written {
            id: deal.clone(),
            link: self.link(access, "deal", id),
        })
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        let query: String = query.trim().chars().take(200).collect();
        if query.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let limit = SEARCH_LIMIT.to_string();
        let params: Vec<(&str, &str)> = if query.contains('@') {
            vec![
                ("term", &query),
                ("fields", "email"),
                ("exact_match", "true"),
                ("limit", &limit),
            ]
        } else {
            vec![("term", &query), ("fields", "name"), ("limit", &limit)]
        };
        let found = self.search(access, "persons", &params, 1).await?;
        Ok(found
            .into_iter()
            .filter_map(|item| {
                let email = item.first_email();
                Some(Contact {
                    id: ContactId::parse(&item.id.to_string()).ok()?,
                    link: self.link(access, "person", item.id),
                    name: item
                        .name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .or_else(|| email.clone())
                        .unwrap_or_default(),
                    email,
                })
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn create_task(
        &self,
        access: &CrmAccess,
        contact: &ContactId,
        task: &NewTask,
    ) -> Result<Written<TaskId>, CrmError> {
        let person = pipedrive_id(contact.as_str())?;
        self.require(access, "persons", person).await?;
        let (due_date, due_time) = due(task.due);
        let body = json!({
            "subject": task.subject,
            "type": activity_type(task.kind),
            "due_date": due_date,
            "due_time": due_time,
            "person_id": person,
            "note": task.description,
        });
        let id = self.create(access, "activities", &body).await?;
        Ok(Written {
            id: TaskId::parse(&id.to_string()).map_err(|_| invalid("activity id"))?,
            link: self.link(access, "person", person),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_utc_in_pipedrives_formats() {
        let at: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp();
        assert_eq!(due(at), ("2026-01-15".to_owned(), "08:00".to_owned()));
        assert_eq!(add_time(at), "2026-01-15 08:00:00");
        assert_eq!(pipedrive_id("42"), Ok(42));
        assert_eq!(pipedrive_id("won"), Err(CrmError::NotFound));
    }
}
