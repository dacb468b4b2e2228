//! `followup::crm::Crm` for Crono (crono.md §4). What is UNCONFIRMED is listed in the module
//! doc of [`super`] and said again where it is used.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

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
use super::wire::{self, ObjectId};
use super::{CronoClient, PROVIDER, crono_id};
use crate::crm_http::invalid;

/// `GET /Accounts` returns at most 200 (§4.1); the search is paged the same way.
const ACCOUNT_PAGE: u64 = 200;
/// Pages of the domain scan (2,000 accounts) before falling back to name searches.
const MAX_ACCOUNT_PAGES: u64 = 10;
/// "the API maximum is 50 per request" (§4.4).
const PROSPECT_PAGE: u64 = 50;
/// The repo's page of opportunities (§4.6), and pages followed.
const DEAL_PAGE: u64 = 100;
const MAX_DEAL_PAGES: u64 = 5;
const NAME_SEARCH_LIMIT: u64 = 50;

fn pagination(limit: u64, offset: u64) -> Value {
    json!({ "limit": limit, "offset": offset })
}

/// `activityDate`: RFC 3339 in UTC with `Z` (§4.8), whole seconds.
pub(super) fn activity_date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `type` as the [n8n] enum names (UNCONFIRMED: the repo sent integers whose meaning its own
/// comments contradict; the reference says to prefer names). A to-do is `Generic`.
fn task_type(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Call => "Call",
        TaskKind::Email => "Email",
        TaskKind::Todo => "Generic",
    }
}

/// A note's id when Crono answers none (§4.5: it answers only the account id): ours, not
/// Crono's, unique per write (time and a process counter), only to tell writes apart.
fn local_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("local-{}-{n}", Timestamp::now().as_nanosecond())
}

fn domain_of(website: Option<&str>) -> Option<Domain> {
    Domain::parse(website?).ok()
}

impl CronoClient {
    fn account(&self, a: &wire::Account) -> Option<Account> {
        let id = a.id.get()?;
        Some(Account {
            id: AccountId::parse(id).ok()?,
            link: self.account_link(id),
            name: a.name.clone().unwrap_or_default(),
            domain: domain_of(a.website.as_deref()).map(|d| d.as_str().to_owned()),
        })
    }

    async fn search<T: serde::de::DeserializeOwned>(
        &self,
        access: &CrmAccess,
        path: &str,
        body: &Value,
    ) -> Result<Vec<T>, CrmError> {
        self.call(access, Method::POST, path, Some(body), Kind::Idempotent)
            .await
    }

    /// One page of `Accounts/search` with `hasWebsite` [n8n]; `None` when it was short.
    async fn accounts_page(
        &self,
        access: &CrmAccess,
        page: u64,
    ) -> Result<(Vec<wire::Account>, bool), CrmError> {
        let body = json!({
            "hasWebsite": true,
            "pagination": pagination(ACCOUNT_PAGE, page * ACCOUNT_PAGE),
        });
        let found: Vec<wire::Account> = self.search(access, "Accounts/search", &body).await?;
        let full = found.len() as u64 >= ACCOUNT_PAGE;
        Ok((found, full))
    }

    async fn accounts_named(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<wire::Account>, CrmError> {
        // `name` filters; `search` gives random results (§4.3, seen-working).
        let body = json!({ "name": name, "pagination": pagination(NAME_SEARCH_LIMIT, 0) });
        self.search(access, "Accounts/search", &body).await
    }

    /// The account, if this access sees it (`GET Accounts/{id}`, [used]; UNCONFIRMED on
    /// `/api/v1`: it 404'd for real accounts on `/v1`). The answer's id must be the one asked.
    async fn require_account(&self, access: &CrmAccess, id: &str) -> Result<(), CrmError> {
        let id = crono_id(id)?;
        let found: wire::Account = self
            .call(
                access,
                Method::GET,
                &format!("Accounts/{id}"),
                None,
                Kind::Idempotent,
            )
            .await?;
        if found.id.get() == Some(id) {
            Ok(())
        } else {
            Err(CrmError::NotFound)
        }
    }

    /// A record by `objectIds` (UNCONFIRMED as a filter: [n8n] for prospects, sent empty by
    /// the repo for opportunities); only a record with exactly that id counts, so an ignored
    /// filter cannot pick another.
    async fn by_object_id<T: serde::de::DeserializeOwned>(
        &self,
        access: &CrmAccess,
        path: &str,
        id: &str,
        object_id: impl Fn(&T) -> &ObjectId,
    ) -> Result<T, CrmError> {
        let id = crono_id(id)?;
        let body = json!({ "objectIds": [id], "pagination": pagination(10, 0) });
        let found: Vec<T> = self.search(access, path, &body).await?;
        found
            .into_iter()
            .find(|r| object_id(r).get() == Some(id))
            .ok_or(CrmError::NotFound)
    }

    /// `Written::id` from a create's answer (`objectId`/`id`), else [`local_id`].
    fn written_id(answer: &Value) -> String {
        let id: ObjectId = serde_json::from_value(answer.clone()).unwrap_or_default();
        id.get()
            .filter(|i| crono_id(i).is_ok())
            .map(str::to_owned)
            .unwrap_or_else(local_id)
    }
}

#[async_trait]
impl Crm for CronoClient {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER, domains = domains.len()))]
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        let wanted: BTreeSet<&Domain> = domains.iter().collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut seen = HashSet::new();
        let mut accounts = Vec::new();
        let mut keep = |a: &wire::Account, accounts: &mut Vec<Account>| {
            // Exact: the website's normalised host equals a wanted domain (never a substring).
            if domain_of(a.website.as_deref()).is_some_and(|d| wanted.contains(&d))
                && let Some(account) = self.account(a)
                && seen.insert(account.id.clone())
            {
                accounts.push(account);
            }
        };
        // No domain filter is known (§4.3, §6.3): page through the accounts that have a
        // website and compare client-side.
        let mut complete = false;
        for page in 0..MAX_ACCOUNT_PAGES {
            let (found, full) = self.accounts_page(access, page).await?;
            for a in &found {
                keep(a, &mut accounts);
            }
            if !full {
                complete = true;
                break;
            }
        }
        if !complete {
            // Beyond the scan: the name search finds accounts past any page (§4.3), by the
            // domain's first label (`acme` of `acme.com`), still matched on the website.
            tracing::debug!(
                provider = PROVIDER,
                "account scan hit its page cap; searching by name"
            );
            for domain in &wanted {
                for a in &self.accounts_named(access, domain.first_label()).await? {
                    keep(a, &mut accounts);
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
        if name.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.accounts_named(access, &name).await?;
        Ok(found.iter().filter_map(|a| self.account(a)).collect())
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        let id = crono_id(account.as_str())?;
        // Crono does not render HTML in notes (§4.5, §6.6): plain text with newlines.
        if !is_note_marker(&note.marker) {
            return Err(invalid("note marker"));
        }
        let description = note.body.replace("\r\n", "\n").trim().to_owned();
        if description.is_empty() {
            return Err(invalid("empty note"));
        }
        // The marker as a short trailing line (plain text: no invisible place for it).
        let description = format!("{description}\n\nref: {}", note.marker);
        self.require_account(access, id).await?;
        let body = json!({ "data": { "accountId": id, "description": description } });
        let answer = self
            .call_any(access, Method::POST, "Notes", Some(&body), Kind::Create)
            .await?;
        Ok(Written {
            id: NoteId::parse(&Self::written_id(&answer)).map_err(|_| invalid("note id"))?,
            link: self.account_link(id),
        })
    }

    /// Unsupported: the only lookup is `POST /Notes/search` (`DescriptionContains`,
    /// `AccountId`), known from n8n alone, never seen working, with an unknown answer shape
    /// and no word on whether it reads a lagging index; and a created note's id is not
    /// answered, so a match could not be told from another note. "Absent" from such a search
    /// would write the note twice: the worker asks the user to look instead.
    async fn find_note(
        &self,
        _access: &CrmAccess,
        _account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        if !is_note_marker(marker) {
            return Err(invalid("note marker"));
        }
        Err(CrmError::Unsupported)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn open_deals(
        &self,
        access: &CrmAccess,
        account: &AccountId,
    ) -> Result<Vec<Deal>, CrmError> {
        let id = crono_id(account.as_str())?;
        // Closed-ness from the pipelines' stage metadata; a workspace without pipelines
        // (Unsupported) still has the `isClosed` filter and field.
        let mut stage_pipeline: HashMap<String, (PipelineId, bool)> = HashMap::new();
        match self.pipelines(access).await {
            Ok(pipelines) => {
                for p in pipelines {
                    for s in p.stages {
                        stage_pipeline.insert(s.id.as_str().to_owned(), (p.id.clone(), s.closed));
                    }
                }
            }
            Err(CrmError::Unsupported) => {}
            Err(err) => return Err(err),
        }
        let mut deals = Vec::new();
        for page in 0..MAX_DEAL_PAGES {
            // `isClosed` as a filter: in the repo's request (sent null), UNCONFIRMED as `false`.
            let body = json!({
                "accountId": id,
                "isClosed": false,
                "pagination": pagination(DEAL_PAGE, page * DEAL_PAGE),
            });
            let found: Vec<wire::Opportunity> =
                self.search(access, "Opportunities/search", &body).await?;
            let full = found.len() as u64 >= DEAL_PAGE;
            for o in found {
                if o.is_closed == Some(true) || o.account_id.as_deref().is_some_and(|a| a != id) {
                    continue;
                }
                let (Some(deal_id), Some(stage)) = (o.id.get(), o.stage.as_deref()) else {
                    continue;
                };
                let pipeline = match stage_pipeline.get(stage) {
                    Some((_, true)) => continue,
                    Some((pipeline, false)) => Some(pipeline.clone()),
                    None => o
                        .pipeline
                        .as_deref()
                        .and_then(|p| PipelineId::parse(p).ok()),
                };
                let (Some(pipeline), Ok(deal_id), Ok(stage)) =
                    (pipeline, DealId::parse(deal_id), StageId::parse(stage))
                else {
                    continue;
                };
                deals.push(Deal {
                    id: deal_id,
                    name: o.name.clone().unwrap_or_default(),
                    pipeline,
                    stage,
                    amount: o.amount.and_then(|a| Amount::parse(&a.to_string()).ok()),
                    // Absent: the workspace's default (the repo assumed USD; we do not).
                    currency: o.currency.map(|c| c.trim().to_ascii_uppercase()),
                    link: self.account_link(id),
                });
            }
            if !full {
                break;
            }
        }
        Ok(deals)
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        let found: Vec<wire::Pipeline> = match self
            .call(access, Method::GET, "Pipelines", None, Kind::Idempotent)
            .await
        {
            // No pipelines endpoint for this workspace: Crono cannot list stages.
            Err(CrmError::NotFound) => return Err(CrmError::Unsupported),
            other => other?,
        };
        let mut found: Vec<(usize, wire::Pipeline)> = found.into_iter().enumerate().collect();
        found.sort_by_key(|(i, p)| (p.display_order.unwrap_or(*i as i64), *i));
        found
            .into_iter()
            .map(|(_, p)| {
                let label = p.label();
                let id = p.id.get().and_then(|i| PipelineId::parse(i).ok());
                let mut stages: Vec<(usize, wire::Stage)> =
                    p.stages.into_iter().enumerate().collect();
                stages.sort_by_key(|(i, s)| (s.display_order.unwrap_or(*i as i64), *i));
                Ok(Pipeline {
                    id: id.ok_or_else(|| invalid("pipeline id"))?,
                    stages: stages
                        .into_iter()
                        .map(|(_, s)| {
                            Ok(Stage {
                                id: s
                                    .id
                                    .get()
                                    .and_then(|i| StageId::parse(i).ok())
                                    .ok_or_else(|| invalid("stage id"))?,
                                label: s.label(),
                                closed: s.closed(),
                            })
                        })
                        .collect::<Result<_, CrmError>>()?,
                    label,
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
        // `AccountId` is required with `OpportunityId` (§4.7): read the deal first.
        let found: wire::Opportunity = self
            .by_object_id(
                access,
                "Opportunities/search",
                deal.as_str(),
                |o: &wire::Opportunity| &o.id,
            )
            .await?;
        let account = found
            .account_id
            .as_deref()
            .ok_or_else(|| invalid("opportunity without an account"))?;
        let mut data = serde_json::Map::new();
        data.insert("opportunityId".into(), json!(deal.as_str()));
        data.insert("accountId".into(), json!(account));
        if let Some(stage) = &update.stage {
            // The raw stage id; Crono (the underlying CRM) derives closed/won from it.
            data.insert("stage".into(), json!(stage.as_str()));
        }
        if let Some(amount) = &update.amount {
            // A JSON number, as the repo sent (`12000.0`); exact for ≤ 15 significant digits.
            let value: f64 = amount.as_str().parse().map_err(|_| invalid("amount"))?;
            data.insert("amount".into(), json!(value));
        }
        // The id in the body, no id in the path: `PUT`/`PATCH Opportunities/{id}` failed (§4.7).
        let body = json!({ "data": data });
        self.call_any(
            access,
            Method::PATCH,
            "Opportunities",
            Some(&body),
            Kind::Idempotent,
        )
        .await?;
        Ok(Written {
            id: deal.clone(),
            link: self.account_link(account),
        })
    }

    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        let query: String = query.trim().chars().take(200).collect();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        // No email filter is known (§4.4): an address goes in `name`, as the repo does
        // (UNCONFIRMED whether Crono matches it against emails), and only an exact email
        // match is kept.
        let body = json!({ "name": query, "pagination": pagination(PROSPECT_PAGE, 0) });
        let found: Vec<wire::Prospect> = self.search(access, "Prospects/search", &body).await?;
        let by_email = query.contains('@');
        Ok(found
            .into_iter()
            .filter(|p| {
                !by_email
                    || p.email
                        .as_deref()
                        .is_some_and(|e| e.trim().eq_ignore_ascii_case(&query))
            })
            .filter_map(|p| {
                let id = ContactId::parse(p.id.get()?).ok()?;
                let email = p.email.clone().filter(|e| !e.trim().is_empty());
                Some(Contact {
                    id,
                    name: p
                        .display_name()
                        .or_else(|| email.clone())
                        .unwrap_or_default(),
                    link: match p.account_id.as_deref().filter(|a| crono_id(a).is_ok()) {
                        Some(account) => self.account_link(account),
                        None => self.app_link(),
                    },
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
        let prospect: wire::Prospect = self
            .by_object_id(
                access,
                "Prospects/search",
                contact.as_str(),
                |p: &wire::Prospect| &p.id,
            )
            .await?;
        // `AccountId` is required on a task [n8n]: a prospect on no account cannot have one.
        let account = prospect
            .account_id
            .as_deref()
            .filter(|a| crono_id(a).is_ok())
            .ok_or(CrmError::Unsupported)?;
        let body = json!({
            "data": {
                "accountId": account,
                "prospectId": contact.as_str(),
                "opportunityId": null,
                "type": task_type(task.kind),
                "activityDate": activity_date(task.due),
                "automatic": false,
                "subject": task.subject,
                "description": task.description,
            }
        });
        let answer = self
            .call_any(access, Method::POST, "Tasks", Some(&body), Kind::Create)
            .await?;
        Ok(Written {
            id: TaskId::parse(&Self::written_id(&answer)).map_err(|_| invalid("task id"))?,
            link: self.account_link(account),
        })
    }

    /// `GET /Users`, the reference's cheap credential check ([n8n], §2).
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    async fn verify(&self, access: &CrmAccess) -> Result<(), CrmError> {
        self.call_any(access, Method::GET, "Users", None, Kind::Idempotent)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_rfc3339_utc_and_local_ids_differ() {
        let at: Timestamp = "2026-01-15T09:00:00[Europe/Rome]"
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp();
        assert_eq!(activity_date(at), "2026-01-15T08:00:00Z");
        assert_eq!(task_type(TaskKind::Todo), "Generic");
        let (a, b) = (local_id(), local_id());
        assert_ne!(a, b);
        assert!(NoteId::parse(&a).is_ok());
        assert_eq!(
            CronoClient::written_id(&json!({ "objectId": "1_2" })),
            "1_2"
        );
        assert!(CronoClient::written_id(&json!({ "accountId": "1_2" })).starts_with("local-"));
    }
}
