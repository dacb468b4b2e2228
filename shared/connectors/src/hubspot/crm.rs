//! `followup::crm::Crm` for HubSpot (hubspot.md §1–§4).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use followup::crm::{
    Account, AccountId, Amount, Contact, ContactId, Crm, CrmAccess, CrmError, Deal, DealId,
    DealUpdate, Domain, NewNote, NewTask, NoteId, Pipeline, PipelineId, Stage, StageId, TaskId,
    TaskKind, Written, is_note_marker,
};
use http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::request::Kind;
use super::wire::{self, Object, SearchPage};
use super::{HubSpotClient, PROVIDER, marker, note_html};
use crate::crm_http::{crm_error, decimal_id, invalid};

/// At most 5 filter groups per search (§1): domains are asked five at a time.
const MAX_GROUPS: usize = 5;
/// Results per page (≤ 200, §1) and pages followed: enough for any one company's deals or a
/// domain shared by a few companies, without walking a whole portal.
const PAGE: u32 = 100;
const MAX_PAGES: usize = 5;
/// What a picker shows.
const SEARCH_LIMIT: u32 = 20;
/// `hs_note_body` ≤ 65,536 characters (§2).
const MAX_NOTE_CHARS: usize = 65_536;

// HUBSPOT_DEFINED association type ids (§2).
const NOTE_TO_COMPANY: u32 = 190;
const TASK_TO_CONTACT: u32 = 204;

const COMPANY_PROPS: [&str; 2] = ["name", "domain"];
const CONTACT_PROPS: [&str; 3] = ["firstname", "lastname", "email"];
/// `deal_currency_code` is HubSpot's documented currency property, but not in the reference:
/// UNCONFIRMED; absent means the portal's company currency.
const DEAL_PROPS: [&str; 5] = [
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "deal_currency_code",
];

/// HubSpot's record ids are decimal (see [`decimal_id`]).
fn hubspot_id(raw: &str) -> Result<&str, CrmError> {
    decimal_id(raw, 20)
}

/// `2026-01-15T08:00:00.000Z`: ISO-8601 in UTC with milliseconds, the reference's examples'
/// form for `hs_timestamp` (§2, §3 accept "ms epoch or ISO-8601 UTC").
pub(super) fn hubspot_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn task_type(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Call => "CALL",
        TaskKind::Email => "EMAIL",
        TaskKind::Todo => "TODO",
    }
}

fn association(to: &str, type_id: u32) -> Value {
    json!([{
        "to": { "id": to },
        "types": [{ "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id }]
    }])
}

impl HubSpotClient {
    /// "Open in HubSpot": the object's `url` when HubSpot sends one; else the record page
    /// under the connection's hub id (UNCONFIRMED URL shape, not in the reference); else the
    /// app's home.
    fn link(
        &self,
        access: &CrmAccess,
        object_type_id: &str,
        id: &str,
        url: Option<&str>,
    ) -> String {
        if let Some(url) = url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
            return url.to_owned();
        }
        let hub = access
            .site
            .as_deref()
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit()));
        match hub {
            Some(hub) => format!(
                "{}contacts/{hub}/record/{object_type_id}/{id}",
                self.crm.app
            ),
            None => self.crm.app.to_string(),
        }
    }

    /// "Open in HubSpot" for a company (where its notes show).
    pub(super) fn company_link(&self, access: &CrmAccess, company: &str) -> String {
        self.link(access, "0-2", company, None)
    }

    /// A search, following `paging.next.after` for up to `pages` pages.
    async fn search(
        &self,
        access: &CrmAccess,
        object: &str,
        mut body: Value,
        pages: usize,
    ) -> Result<Vec<Object>, CrmError> {
        let url = self
            .url(&format!("crm/v3/objects/{object}/search"))
            .map_err(crm_error)?;
        let mut found = Vec::new();
        for _ in 0..pages {
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
            found.extend(page.results);
            match page.paging.and_then(|p| p.next) {
                Some(next) if !next.after.is_empty() => body["after"] = json!(next.after),
                _ => break,
            }
        }
        Ok(found)
    }

    /// `NotFound` unless `object`/`id` is visible to `access` (a create's association to a
    /// missing record is not documented to answer 404, so it is checked first).
    async fn require(
        &self,
        access: &CrmAccess,
        object: &str,
        id: &str,
    ) -> Result<Object, CrmError> {
        let mut url = self
            .url(&format!("crm/v3/objects/{object}/{id}"))
            .map_err(crm_error)?;
        url.query_pairs_mut()
            .append_pair("properties", "hs_object_id");
        self.call(access, Method::GET, url, None, Kind::Idempotent)
            .await
            .map_err(crm_error)
    }

    async fn create(
        &self,
        access: &CrmAccess,
        object: &str,
        body: &Value,
    ) -> Result<Object, CrmError> {
        let url = self
            .url(&format!("crm/v3/objects/{object}"))
            .map_err(crm_error)?;
        self.call(access, Method::POST, url, Some(body), Kind::Create)
            .await
            .map_err(crm_error)
    }

    fn account(&self, access: &CrmAccess, o: Object) -> Option<Account> {
        let id = AccountId::parse(&o.id).ok()?;
        Some(Account {
            link: self.link(access, "0-2", id.as_str(), o.url.as_deref()),
            name: o.prop("name").unwrap_or_default().to_owned(),
            domain: o.prop("domain").map(|d| d.to_ascii_lowercase()),
            id,
        })
    }

    fn accounts(&self, access: &CrmAccess, objects: Vec<Object>) -> Vec<Account> {
        let mut seen = HashSet::new();
        objects
            .into_iter()
            .filter_map(|o| self.account(access, o))
            .filter(|a| seen.insert(a.id.clone()))
            .collect()
    }
}

#[async_trait]
impl Crm for HubSpotClient {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER, domains = domains.len()))]
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        let mut unique: Vec<&Domain> = Vec::new();
        for d in domains {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        let mut found = Vec::new();
        for chunk in unique.chunks(MAX_GROUPS) {
            // One group per domain (groups are OR'ed), each an exact `EQ` on `domain`: the
            // reference's operator; values compare case-insensitively (§1).
            let groups: Vec<Value> = chunk
                .iter()
                .map(|d| json!({ "filters": [{ "propertyName": "domain", "operator": "EQ", "value": d.as_str() }] }))
                .collect();
            let body =
                json!({ "filterGroups": groups, "properties": COMPANY_PROPS, "limit": PAGE });
            found.extend(self.search(access, "companies", body, MAX_PAGES).await?);
        }
        let accounts = self.accounts(access, found);
        // HubSpot's EQ is exact already; a stored `www.` or scheme is normalised away here.
        Ok(accounts
            .into_iter()
            .filter(|a| {
                a.domain
                    .as_deref()
                    .and_then(|d| Domain::parse(d).ok())
                    .is_some_and(|d| unique.contains(&&d))
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Vec::new());
        }
        // `query` searches the companies' default full-text fields (name, domain, website,
        // phone; §1); ≤ 3,000 characters.
        let query: String = name.chars().take(200).collect();
        let body = json!({ "query": query, "properties": COMPANY_PROPS, "limit": SEARCH_LIMIT });
        let found = self.search(access, "companies", body, 1).await?;
        Ok(self.accounts(access, found))
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        let company = hubspot_id(account.as_str())?;
        if !is_note_marker(&note.marker) {
            return Err(invalid("note marker"));
        }
        let body_html = note_html(&note.body) + &marker::embedded(&note.marker);
        if body_html.chars().count() > MAX_NOTE_CHARS {
            return Err(invalid("note longer than HubSpot's 65,536 characters"));
        }
        self.require(access, "companies", company).await?;
        let body = json!({
            "properties": {
                "hs_timestamp": hubspot_time(note.at),
                "hs_note_body": body_html,
            },
            "associations": association(company, NOTE_TO_COMPANY),
        });
        let created = self.create(access, "notes", &body).await?;
        let id = NoteId::parse(&created.id).map_err(|_| invalid("note id"))?;
        // A note is seen on the company's timeline: the link opens the company.
        Ok(Written {
            link: self.company_link(access, company),
            id,
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
        let company = hubspot_id(account.as_str())?;
        let body = json!({
            "filterGroups": [{ "filters": [{ "propertyName": "associations.company", "operator": "EQ", "value": company }] }],
            "properties": DEAL_PROPS,
            "limit": PAGE,
        });
        let found = self.search(access, "deals", body, MAX_PAGES).await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let closed: HashSet<(String, String)> = self
            .pipelines(access)
            .await?
            .into_iter()
            .flat_map(|p| {
                let pipeline = p.id.to_string();
                p.stages
                    .into_iter()
                    .filter(|s| s.closed)
                    .map(move |s| (pipeline.clone(), s.id.to_string()))
            })
            .collect();
        let mut deals = Vec::new();
        for o in found {
            let (Some(pipeline), Some(stage)) = (o.prop("pipeline"), o.prop("dealstage")) else {
                tracing::debug!("deal without pipeline or stage skipped");
                continue;
            };
            if closed.contains(&(pipeline.to_owned(), stage.to_owned())) {
                continue;
            }
            let (Ok(id), Ok(pipeline), Ok(stage)) = (
                DealId::parse(&o.id),
                PipelineId::parse(pipeline),
                StageId::parse(stage),
            ) else {
                continue;
            };
            deals.push(Deal {
                link: self.link(access, "0-3", id.as_str(), o.url.as_deref()),
                name: o.prop("dealname").unwrap_or_default().to_owned(),
                amount: o.prop("amount").and_then(|a| Amount::parse(a).ok()),
                currency: o.prop("deal_currency_code").map(str::to_ascii_uppercase),
                id,
                pipeline,
                stage,
            });
        }
        Ok(deals)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        let url = self.url("crm/v3/pipelines/deals").map_err(crm_error)?;
        let answer: wire::Pipelines = self
            .call(access, Method::GET, url, None, Kind::Idempotent)
            .await
            .map_err(crm_error)?;
        let mut pipelines: Vec<wire::Pipeline> =
            answer.results.into_iter().filter(|p| !p.archived).collect();
        pipelines.sort_by_key(|p| p.display_order);
        pipelines
            .into_iter()
            .map(|p| {
                let mut stages: Vec<wire::Stage> =
                    p.stages.into_iter().filter(|s| !s.archived).collect();
                stages.sort_by_key(|s| s.display_order);
                Ok(Pipeline {
                    id: PipelineId::parse(&p.id).map_err(|_| invalid("pipeline id"))?,
                    label: p.label,
                    stages: stages
                        .into_iter()
                        .map(|s| {
                            Ok(Stage {
                                closed: s.is_closed(),
                                id: StageId::parse(&s.id).map_err(|_| invalid("stage id"))?,
                                label: s.label,
                            })
                        })
                        .collect::<Result<_, CrmError>>()?,
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
        let id = hubspot_id(deal.as_str())?;
        let mut properties: HashMap<&str, &str> = HashMap::new();
        if let Some(stage) = &update.stage {
            properties.insert("dealstage", stage.as_str());
        }
        if let Some(amount) = &update.amount {
            properties.insert("amount", amount.as_str());
        }
        let url = self
            .url(&format!("crm/v3/objects/deals/{id}"))
            .map_err(crm_error)?;
        // PATCH sets the same values however often it is sent: safe to retry.
        let updated: Object = self
            .call(
                access,
                Method::PATCH,
                url,
                Some(&json!({ "properties": properties })),
                Kind::Idempotent,
            )
            .await
            .map_err(crm_error)?;
        Ok(Written {
            link: self.link(access, "0-3", id, updated.url.as_deref()),
            id: deal.clone(),
        })
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let body = if query.contains('@') {
            json!({
                "filterGroups": [{ "filters": [{ "propertyName": "email", "operator": "EQ", "value": query }] }],
                "properties": CONTACT_PROPS,
                "limit": SEARCH_LIMIT,
            })
        } else {
            let text: String = query.chars().take(200).collect();
            json!({ "query": text, "properties": CONTACT_PROPS, "limit": SEARCH_LIMIT })
        };
        let found = self.search(access, "contacts", body, 1).await?;
        Ok(found
            .into_iter()
            .filter_map(|o| {
                let id = ContactId::parse(&o.id).ok()?;
                let email = o.prop("email").map(str::to_owned);
                let name = [o.prop("firstname"), o.prop("lastname")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(Contact {
                    link: self.link(access, "0-1", id.as_str(), o.url.as_deref()),
                    name: if name.is_empty() {
                        email.clone().unwrap_or_default()
                    } else {
                        name
                    },
                    email,
                    id,
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
        let contact_id = hubspot_id(contact.as_str())?;
        self.require(access, "contacts", contact_id).await?;
        let body = json!({
            "properties": {
                // The due time, in UTC (§3: `hs_timestamp` is the due date).
                "hs_timestamp": hubspot_time(task.due),
                "hs_task_subject": task.subject,
                "hs_task_body": task.description,
                "hs_task_type": task_type(task.kind),
                "hs_task_status": "NOT_STARTED",
            },
            "associations": association(contact_id, TASK_TO_CONTACT),
        });
        let created = self.create(access, "tasks", &body).await?;
        let id = TaskId::parse(&created.id).map_err(|_| invalid("task id"))?;
        // Tasks show on the contact's record.
        Ok(Written {
            link: self.link(access, "0-1", contact_id, None),
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_sent_in_utc_with_milliseconds() {
        let due: Timestamp = "2026-01-15T09:00:00+01:00[Europe/Rome]"
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp();
        assert_eq!(hubspot_time(due), "2026-01-15T08:00:00.000Z");
    }

    #[test]
    fn only_decimal_ids_reach_a_path() {
        assert_eq!(hubspot_id("2810868468"), Ok("2810868468"));
        for bad in ["", "../deals", "12a", "1/2"] {
            assert_eq!(hubspot_id(bad), Err(CrmError::NotFound), "{bad:?}");
        }
    }
}
