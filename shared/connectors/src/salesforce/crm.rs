//! `followup::crm::Crm` for Salesforce (salesforce.md §1–§4).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use base64::Engine as _;
use followup::crm::{
    Account, AccountId, Amount, Contact, ContactId, Crm, CrmAccess, CrmError, Deal, DealId,
    DealUpdate, Domain, NewNote, NewTask, NoteId, Pipeline, PipelineId, Stage, StageId, TaskId,
    TaskKind, Written, is_note_marker,
};
use http::Method;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::request::Kind;
use super::soql::{like, literal, website_condition, website_matches};
use super::wire::{self, Query};
use super::{PROVIDER, SalesforceClient, marker};
use crate::crm_http::{crm_error, invalid};
use crate::note_html::note_html;

/// Domains asked per call (one query ORs twelve patterns each): keeps the query's URL a few
/// KB, well under the REST API's URI length limit (16,384 bytes, UNCONFIRMED: not in the
/// reference).
const MAX_DOMAINS: usize = 10;
/// Rows asked per query and batches followed (`nextRecordsUrl`).
const QUERY_LIMIT: u32 = 200;
const MAX_PAGES: usize = 5;
const SEARCH_LIMIT: u32 = 20;
/// Salesforce's fixed id of the master record type: the one pipeline of an org without
/// Opportunity record types, and of opportunities that have none.
const MASTER_RECORD_TYPE: &str = "012000000000000AAA";
/// Task `Subject` and `Description` maxima (§2).
const SUBJECT_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 32_000;

/// A Salesforce id: 15 (case-sensitive) or 18 (case-safe) letters and digits. Anything else
/// cannot exist there, so it is `NotFound` without a call, and never reaches a URL or a query.
pub(super) fn sf_id(raw: &str) -> Result<&str, CrmError> {
    if matches!(raw.len(), 15 | 18) && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(raw)
    } else {
        Err(CrmError::NotFound)
    }
}

/// A Task's `ActivityDate` (the due date, `YYYY-MM-DD`) and `ReminderDateTime` (the due
/// instant), both in UTC: Salesforce stores datetimes in UTC, and a date has no zone, so
/// the UTC date is taken (UNCONFIRMED: the reference gives `ActivityDate` only).
pub(super) fn due(at: Timestamp) -> (String, String) {
    (
        at.strftime("%Y-%m-%d").to_string(),
        format!(
            "{}.{:03}Z",
            at.strftime("%Y-%m-%dT%H:%M:%S"),
            at.subsec_millisecond().unsigned_abs()
        ),
    )
}

fn task_subtype(kind: TaskKind) -> &'static str {
    // §2: `TaskSubtype` e.g. `Task`, `Call`, `Email`.
    match kind {
        TaskKind::Call => "Call",
        TaskKind::Email => "Email",
        TaskKind::Todo => "Task",
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// What `describe` says about Opportunity that decides the queries.
struct OpportunityShape {
    currency: bool,
    record_types: bool,
    master: String,
    /// Active, available, non-master record types: (id, name).
    pipelines: Vec<(String, String)>,
}

impl SalesforceClient {
    /// Runs `soql`, following `nextRecordsUrl` for up to `pages` batches.
    pub(super) async fn query<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        soql: &str,
        pages: usize,
    ) -> Result<Vec<T>, CrmError> {
        let mut url = self.url(access, "query/").map_err(crm_error)?;
        url.query_pairs_mut().append_pair("q", soql);
        let mut records = Vec::new();
        for _ in 0..pages {
            let page: Query<T> = self
                .call(access, Method::GET, url, None, Kind::Idempotent)
                .await
                .map_err(crm_error)?;
            records.extend(page.records);
            match page.next_records_url.filter(|_| !page.done) {
                Some(next) => url = self.next_url(access, &next).map_err(crm_error)?,
                None => break,
            }
        }
        Ok(records)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        path: &str,
    ) -> Result<T, CrmError> {
        let url = self.url(access, path).map_err(crm_error)?;
        self.call(access, Method::GET, url, None, Kind::Idempotent)
            .await
            .map_err(crm_error)
    }

    /// `NotFound` unless `object/id` is visible to this access.
    async fn require(&self, access: &CrmAccess, object: &str, id: &str) -> Result<(), CrmError> {
        let _: wire::Record = self
            .get(access, &format!("sobjects/{object}/{id}?fields=Id"))
            .await?;
        Ok(())
    }

    /// `POST /sobjects/{object}/` (§2); never retried after a 5xx or a timeout.
    async fn create(
        &self,
        access: &CrmAccess,
        object: &str,
        body: &Value,
    ) -> Result<String, CrmError> {
        let url = self
            .url(access, &format!("sobjects/{object}/"))
            .map_err(crm_error)?;
        let created: wire::Created = self
            .call(access, Method::POST, url, Some(body), Kind::Create)
            .await
            .map_err(crm_error)?;
        if !created.success || sf_id(&created.id).is_err() {
            return Err(invalid("create answer"));
        }
        Ok(created.id)
    }

    async fn opportunity_shape(&self, access: &CrmAccess) -> Result<OpportunityShape, CrmError> {
        let describe: wire::Describe = self.get(access, "sobjects/Opportunity/describe").await?;
        let has = |name: &str| describe.fields.iter().any(|f| f.name == name);
        let master = describe
            .record_type_infos
            .iter()
            .find(|r| r.master)
            .map(|r| r.record_type_id.clone())
            .filter(|id| sf_id(id).is_ok())
            .unwrap_or_else(|| MASTER_RECORD_TYPE.to_owned());
        let pipelines = describe
            .record_type_infos
            .iter()
            .filter(|r| r.active && r.available && !r.master && sf_id(&r.record_type_id).is_ok())
            .map(|r| (r.record_type_id.clone(), r.name.clone()))
            .collect();
        Ok(OpportunityShape {
            currency: has("CurrencyIsoCode"),
            record_types: has("RecordTypeId"),
            master,
            pipelines,
        })
    }

    /// The active stages in display order, each with Salesforce's own `IsClosed`.
    async fn stages(&self, access: &CrmAccess) -> Result<Vec<wire::StageRecord>, CrmError> {
        self.query(
            access,
            "SELECT Id, ApiName, MasterLabel, IsClosed, SortOrder FROM OpportunityStage \
             WHERE IsActive = true ORDER BY SortOrder",
            MAX_PAGES,
        )
        .await
    }

    fn account(&self, access: &CrmAccess, record: wire::AccountRecord) -> Option<Account> {
        let id = AccountId::parse(sf_id(&record.id).ok()?).ok()?;
        Some(Account {
            link: self.link(access, id.as_str()),
            name: record.name.unwrap_or_default(),
            domain: record
                .website
                .as_deref()
                .and_then(|w| Domain::parse(w).ok())
                .map(|d| d.as_str().to_owned()),
            id,
        })
    }

    pub(super) fn written<I>(&self, access: &CrmAccess, id: I, record: &str) -> Written<I> {
        Written {
            id,
            link: self.link(access, record),
        }
    }
}

fn stage(record: &wire::StageRecord) -> Result<Stage, CrmError> {
    Ok(Stage {
        id: StageId::parse(&record.id).map_err(|_| invalid("stage id"))?,
        label: record.master_label.clone(),
        closed: record.is_closed,
    })
}

#[async_trait]
impl Crm for SalesforceClient {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER, domains = domains.len()))]
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        let mut asked: Vec<&Domain> = Vec::new();
        for domain in domains {
            if !asked.contains(&domain) && asked.len() < MAX_DOMAINS {
                asked.push(domain);
            }
        }
        if asked.is_empty() {
            return Ok(Vec::new());
        }
        let soql = format!(
            "SELECT Id, Name, Website FROM Account WHERE {} ORDER BY Name LIMIT {QUERY_LIMIT}",
            website_condition(&asked)
        );
        let records: Vec<wire::AccountRecord> = self.query(access, &soql, MAX_PAGES).await?;
        let mut seen = HashSet::new();
        Ok(records
            .into_iter()
            .filter(|r| {
                asked
                    .iter()
                    .any(|d| website_matches(r.website.as_deref(), d))
            })
            .filter(|r| seen.insert(r.id.clone()))
            .filter_map(|r| self.account(access, r))
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError> {
        let name = clip(name.trim(), 200);
        if name.is_empty() {
            return Ok(Vec::new());
        }
        let soql = format!(
            "SELECT Id, Name, Website FROM Account WHERE Name LIKE {} ORDER BY Name LIMIT {SEARCH_LIMIT}",
            like("%", &name, "%")
        );
        let records: Vec<wire::AccountRecord> = self.query(access, &soql, 1).await?;
        Ok(records
            .into_iter()
            .filter_map(|r| self.account(access, r))
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        let account = sf_id(account.as_str())?;
        // ContentNote renders HTML; plain text must be escaped anyway (§3).
        if !is_note_marker(&note.marker) {
            return Err(invalid("note marker"));
        }
        let html = note_html(&note.body);
        if html.is_empty() {
            return Err(invalid("empty note"));
        }
        self.require(access, "Account", account).await?;
        let title = marker::title(
            &format!("Meeting follow-up {}", note.at.strftime("%Y-%m-%d")),
            &note.marker,
        );
        let content = base64::engine::general_purpose::STANDARD.encode(html.as_bytes());
        let note_id = self
            .create(
                access,
                "ContentNote",
                &json!({ "Title": title, "Content": content }),
            )
            .await?;
        // The note is private to its creator until linked to the account (§3). A failure
        // here leaves an unlinked note; the worker's step decides about a retry.
        self.create(
            access,
            "ContentDocumentLink",
            &json!({
                "ContentDocumentId": note_id,
                "LinkedEntityId": account,
                "ShareType": "V",
                "Visibility": "AllUsers",
            }),
        )
        .await?;
        let id = NoteId::parse(&note_id).map_err(|_| invalid("note id"))?;
        Ok(self.written(access, id, account))
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
        let account = sf_id(account.as_str())?;
        let shape = self.opportunity_shape(access).await?;
        let stages: HashMap<String, String> = self
            .stages(access)
            .await?
            .into_iter()
            .map(|s| (s.api_name, s.id))
            .collect();
        let mut fields = vec!["Id", "Name", "StageName", "Amount"];
        if shape.currency {
            fields.push("CurrencyIsoCode");
        }
        if shape.record_types {
            fields.push("RecordTypeId");
        }
        // Closed is Salesforce's own IsClosed (from the stage's metadata), never a name.
        let soql = format!(
            "SELECT {} FROM Opportunity WHERE AccountId = {} AND IsClosed = false \
             ORDER BY Name LIMIT {QUERY_LIMIT}",
            fields.join(", "),
            literal(account)
        );
        let records: Vec<wire::OpportunityRecord> = self.query(access, &soql, MAX_PAGES).await?;
        Ok(records
            .into_iter()
            .filter_map(|o| {
                // A deal in a stage no longer active has no stage to show or move from.
                let stage = stages.get(o.stage_name.as_deref()?)?;
                let pipeline = o
                    .record_type_id
                    .clone()
                    .filter(|id| sf_id(id).is_ok())
                    .unwrap_or_else(|| shape.master.clone());
                Some(Deal {
                    id: DealId::parse(sf_id(&o.id).ok()?).ok()?,
                    link: self.link(access, &o.id),
                    name: o.name.unwrap_or_default(),
                    pipeline: PipelineId::parse(&pipeline).ok()?,
                    stage: StageId::parse(stage).ok()?,
                    amount: o.amount.and_then(|a| Amount::parse(&a.to_string()).ok()),
                    currency: o.currency_iso_code.map(|c| c.to_ascii_uppercase()),
                })
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        let shape = self.opportunity_shape(access).await?;
        let stages = self.stages(access).await?;
        if shape.pipelines.is_empty() {
            return Ok(vec![Pipeline {
                id: PipelineId::parse(&shape.master).map_err(|_| invalid("pipeline id"))?,
                label: "Opportunities".to_owned(),
                stages: stages.iter().map(stage).collect::<Result<_, _>>()?,
            }]);
        }
        let mut pipelines = Vec::new();
        for (id, name) in &shape.pipelines {
            // The record type's sales process: which StageName values it offers (UNCONFIRMED).
            let values: wire::PicklistValues = self
                .get(
                    access,
                    &format!("ui-api/object-info/Opportunity/picklist-values/{id}/StageName"),
                )
                .await?;
            let offered: HashSet<&str> = values.values.iter().map(|v| v.value.as_str()).collect();
            pipelines.push(Pipeline {
                id: PipelineId::parse(id).map_err(|_| invalid("pipeline id"))?,
                label: name.clone(),
                stages: stages
                    .iter()
                    .filter(|s| offered.contains(s.api_name.as_str()))
                    .map(stage)
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(pipelines)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn update_deal(
        &self,
        access: &CrmAccess,
        deal: &DealId,
        update: &DealUpdate,
    ) -> Result<Written<DealId>, CrmError> {
        update.require_change()?;
        let id = sf_id(deal.as_str())?;
        let mut body = serde_json::Map::new();
        if let Some(wanted) = &update.stage {
            let not_a_stage = || invalid("not a Salesforce stage");
            let wanted = sf_id(wanted.as_str()).map_err(|_| not_a_stage())?;
            let stages = self.stages(access).await?;
            let found = stages
                .iter()
                .find(|s| s.id == wanted)
                .ok_or_else(not_a_stage)?;
            body.insert("StageName".into(), json!(found.api_name));
        }
        if let Some(amount) = &update.amount {
            // A currency field takes a JSON number: the decimal text as f64, exact for any
            // amount a deal carries (≤ 15 significant digits).
            let value: f64 = amount.as_str().parse().map_err(|_| invalid("amount"))?;
            body.insert("Amount".into(), json!(value));
        }
        let url = self
            .url(access, &format!("sobjects/Opportunity/{id}"))
            .map_err(crm_error)?;
        // 204 No Content (§4).
        self.send(
            access,
            Method::PATCH,
            url,
            Some(&Value::Object(body)),
            Kind::Idempotent,
        )
        .await
        .map_err(crm_error)?;
        Ok(self.written(access, deal.clone(), id))
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        let query = clip(query.trim(), 200);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let condition = if query.contains('@') {
            format!("Email = {}", literal(&query))
        } else {
            format!("Name LIKE {}", like("%", &query, "%"))
        };
        let soql = format!(
            "SELECT Id, Name, Email FROM Contact WHERE {condition} ORDER BY Name LIMIT {SEARCH_LIMIT}"
        );
        let records: Vec<wire::ContactRecord> = self.query(access, &soql, 1).await?;
        Ok(records
            .into_iter()
            .filter_map(|c| {
                Some(Contact {
                    id: ContactId::parse(sf_id(&c.id).ok()?).ok()?,
                    link: self.link(access, &c.id),
                    name: c
                        .name
                        .filter(|n| !n.trim().is_empty())
                        .or_else(|| c.email.clone())
                        .unwrap_or_default(),
                    email: c.email,
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
        let who = sf_id(contact.as_str())?;
        self.require(access, "Contact", who).await?;
        let (date, reminder) = due(task.due);
        let body = json!({
            "Subject": clip(&task.subject, SUBJECT_MAX),
            "Description": clip(&task.description, DESCRIPTION_MAX),
            "WhoId": who,
            "ActivityDate": date,
            // UNCONFIRMED (not in the reference): the due time as the task's reminder.
            "ReminderDateTime": reminder,
            "IsReminderSet": true,
            "Status": "Not Started",
            "Priority": "Normal",
            "TaskSubtype": task_subtype(task.kind),
        });
        let id = self.create(access, "Task", &body).await?;
        let task_id = TaskId::parse(&id).map_err(|_| invalid("task id"))?;
        Ok(self.written(access, task_id, &id))
    }

    /// One small query instead of the pipelines' several calls.
    async fn verify(&self, access: &CrmAccess) -> Result<(), CrmError> {
        let _: Vec<wire::Record> = self
            .query(access, "SELECT Id FROM Account LIMIT 1", 1)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_written_in_utc() {
        let at: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp();
        assert_eq!(
            due(at),
            (
                "2026-01-15".to_owned(),
                "2026-01-15T08:00:00.000Z".to_owned()
            )
        );
        // 00:30 in Rome is still the day before in UTC: the UTC date is sent.
        let late: Timestamp = "2026-01-16T00:30:00[Europe/Rome]"
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp();
        assert_eq!(due(late).0, "2026-01-15");
    }

    #[test]
    fn only_salesforce_shaped_ids_pass() {
        assert!(sf_id("001D000000IRFmaIAH").is_ok());
        assert!(sf_id("001D000000IRFma").is_ok());
        for bad in [
            "",
            "987654321987",
            "001D000000IRFma'",
            "001D000000IRFmaIAH/x",
            "../sobjects",
        ] {
            assert_eq!(sf_id(bad), Err(CrmError::NotFound), "{bad}");
        }
    }
}
