use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::fixture::CrmFixture;
use crate::crm::{
    Account, AccountId, Amount, Contact, ContactId, Crm, CrmAccess, CrmAuth, CrmError, Deal,
    DealId, DealUpdate, Domain, NewNote, NewTask, NoteId, Pipeline, PipelineId, Stage, StageId,
    TaskId, Written, is_note_marker,
};

/// A note [`MemoryCrm`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryNote {
    pub id: NoteId,
    pub account: AccountId,
    pub note: NewNote,
}

/// A task [`MemoryCrm`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryTask {
    pub id: TaskId,
    pub contact: ContactId,
    pub task: NewTask,
}

/// An in-memory CRM with one portal per bearer token, each seeded from a [`CrmFixture`]. Ids
/// come from one counter for all portals, so one portal's id is never valid in another.
#[derive(Debug, Default)]
pub struct MemoryCrm {
    portals: Mutex<Vec<Portal>>,
    ids: AtomicU64,
}

#[derive(Debug)]
struct Portal {
    token: String,
    accounts: Vec<Account>,
    pipelines: Vec<Pipeline>,
    deals: Vec<(AccountId, Deal)>,
    contacts: Vec<Contact>,
    notes: Vec<MemoryNote>,
    tasks: Vec<MemoryTask>,
}

const LINK: &str = "https://memory-crm.invalid";

impl MemoryCrm {
    pub fn new() -> Self {
        Self::default()
    }

    fn next(&self) -> String {
        (self.ids.fetch_add(1, Ordering::Relaxed) + 1001).to_string()
    }

    /// Adds a portal reached with bearer `token`, seeded with `fixture`.
    pub fn with_portal(self, token: &str, fixture: &CrmFixture) -> Self {
        let id = |s: String| s;
        let mut portal = Portal {
            token: token.to_owned(),
            accounts: Vec::new(),
            pipelines: Vec::new(),
            deals: Vec::new(),
            contacts: Vec::new(),
            notes: Vec::new(),
            tasks: Vec::new(),
        };
        for a in &fixture.accounts {
            let n = id(self.next());
            portal.accounts.push(Account {
                id: AccountId::parse(&n).expect("id"),
                name: a.name.clone(),
                domain: a.domain.clone(),
                link: format!("{LINK}/accounts/{n}"),
            });
        }
        for p in &fixture.pipelines {
            portal.pipelines.push(Pipeline {
                id: PipelineId::parse(&self.next()).expect("id"),
                label: p.label.clone(),
                stages: p
                    .stages
                    .iter()
                    .map(|(label, closed)| Stage {
                        id: StageId::parse(&self.next()).expect("id"),
                        label: label.clone(),
                        closed: *closed,
                    })
                    .collect(),
            });
        }
        for d in &fixture.deals {
            let account = portal.account_named(&d.account);
            let pipeline = portal
                .pipelines
                .iter()
                .find(|p| p.label == d.pipeline)
                .expect("fixture pipeline");
            let stage = pipeline
                .stages
                .iter()
                .find(|s| s.label == d.stage)
                .expect("fixture stage");
            let n = self.next();
            let deal = Deal {
                id: DealId::parse(&n).expect("id"),
                name: d.name.clone(),
                pipeline: pipeline.id.clone(),
                stage: stage.id.clone(),
                amount: d
                    .amount
                    .as_deref()
                    .map(|a| Amount::parse(a).expect("amount")),
                currency: d.currency.clone(),
                link: format!("{LINK}/deals/{n}"),
            };
            portal.deals.push((account, deal));
        }
        for c in &fixture.contacts {
            let n = self.next();
            portal.contacts.push(Contact {
                id: ContactId::parse(&n).expect("id"),
                name: format!("{} {}", c.first_name, c.last_name),
                email: Some(c.email.clone()),
                link: format!("{LINK}/contacts/{n}"),
            });
        }
        self.lock().push(portal);
        self
    }

    /// The notes written with `token`, in order.
    pub fn notes(&self, token: &str) -> Vec<MemoryNote> {
        self.lock()
            .iter()
            .find(|p| p.token == token)
            .map(|p| p.notes.clone())
            .unwrap_or_default()
    }

    /// The tasks written with `token`, in order.
    pub fn tasks(&self, token: &str) -> Vec<MemoryTask> {
        self.lock()
            .iter()
            .find(|p| p.token == token)
            .map(|p| p.tasks.clone())
            .unwrap_or_default()
    }

    /// Forgets `token`: its calls are `Unauthorized` from now on (a revoked connection).
    pub fn revoke(&self, token: &str) {
        for p in self.lock().iter_mut().filter(|p| p.token == token) {
            p.token.clear();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Portal>> {
        self.portals.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn portal<T>(
        &self,
        access: &CrmAccess,
        f: impl FnOnce(&mut Portal) -> Result<T, CrmError>,
    ) -> Result<T, CrmError> {
        let CrmAuth::Bearer(token) = &access.auth else {
            return Err(CrmError::Unauthorized);
        };
        let mut portals = self.lock();
        let portal = portals
            .iter_mut()
            .find(|p| !p.token.is_empty() && p.token == token.expose())
            .ok_or(CrmError::Unauthorized)?;
        f(portal)
    }
}

impl Portal {
    fn account_named(&self, name: &str) -> AccountId {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.id.clone())
            .expect("fixture account")
    }

    fn closed(&self, stage: &StageId) -> bool {
        self.pipelines
            .iter()
            .flat_map(|p| &p.stages)
            .any(|s| s.id == *stage && s.closed)
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack
        .to_lowercase()
        .contains(&needle.trim().to_lowercase())
}

#[async_trait]
impl Crm for MemoryCrm {
    fn name(&self) -> &'static str {
        "Memory CRM"
    }

    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        self.portal(access, |p| {
            Ok(p.accounts
                .iter()
                .filter(|a| {
                    a.domain
                        .as_deref()
                        .and_then(|d| Domain::parse(d).ok())
                        .is_some_and(|d| domains.contains(&d))
                })
                .cloned()
                .collect())
        })
    }

    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError> {
        if name.trim().is_empty() {
            return Ok(Vec::new());
        }
        self.portal(access, |p| {
            Ok(p.accounts
                .iter()
                .filter(|a| contains(&a.name, name))
                .cloned()
                .collect())
        })
    }

    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        if !is_note_marker(&note.marker) {
            return Err(CrmError::Invalid("note marker".into()));
        }
        let n = self.next();
        self.portal(access, |p| {
            if !p.accounts.iter().any(|a| a.id == *account) {
                return Err(CrmError::NotFound);
            }
            let id = NoteId::parse(&n).expect("id");
            p.notes.push(MemoryNote {
                id: id.clone(),
                account: account.clone(),
                note: note.clone(),
            });
            Ok(Written {
                id,
                link: format!("{LINK}/notes/{n}"),
            })
        })
    }

    /// Memory is consistent: the notes written so far, matched on the marker they were
    /// written with (not on their text).
    async fn find_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        if !is_note_marker(marker) {
            return Err(CrmError::Invalid("note marker".into()));
        }
        self.portal(access, |p| {
            if !p.accounts.iter().any(|a| a.id == *account) {
                return Err(CrmError::NotFound);
            }
            Ok(p.notes
                .iter()
                .find(|n| n.account == *account && n.note.marker == marker)
                .map(|n| Written {
                    id: n.id.clone(),
                    link: format!("{LINK}/notes/{}", n.id.as_str()),
                }))
        })
    }

    async fn open_deals(
        &self,
        access: &CrmAccess,
        account: &AccountId,
    ) -> Result<Vec<Deal>, CrmError> {
        self.portal(access, |p| {
            if !p.accounts.iter().any(|a| a.id == *account) {
                return Err(CrmError::NotFound);
            }
            Ok(p.deals
                .iter()
                .filter(|(a, d)| a == account && !p.closed(&d.stage))
                .map(|(_, d)| d.clone())
                .collect())
        })
    }

    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        self.portal(access, |p| Ok(p.pipelines.clone()))
    }

    async fn update_deal(
        &self,
        access: &CrmAccess,
        deal: &DealId,
        update: &DealUpdate,
    ) -> Result<Written<DealId>, CrmError> {
        update.require_change()?;
        self.portal(access, |p| {
            let known_stage = update.stage.as_ref().is_none_or(|s| {
                p.pipelines
                    .iter()
                    .flat_map(|p| &p.stages)
                    .any(|x| x.id == *s)
            });
            if !known_stage {
                return Err(CrmError::Invalid("unknown stage".into()));
            }
            let (_, found) = p
                .deals
                .iter_mut()
                .find(|(_, d)| d.id == *deal)
                .ok_or(CrmError::NotFound)?;
            if let Some(stage) = &update.stage {
                found.stage = stage.clone();
            }
            if let Some(amount) = &update.amount {
                found.amount = Some(amount.clone());
            }
            Ok(Written {
                id: found.id.clone(),
                link: found.link.clone(),
            })
        })
    }

    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        self.portal(access, |p| {
            Ok(p.contacts
                .iter()
                .filter(|c| {
                    contains(&c.name, query)
                        || c.email.as_deref().is_some_and(|e| contains(e, query))
                })
                .cloned()
                .collect())
        })
    }

    async fn create_task(
        &self,
        access: &CrmAccess,
        contact: &ContactId,
        task: &NewTask,
    ) -> Result<Written<TaskId>, CrmError> {
        let n = self.next();
        self.portal(access, |p| {
            if !p.contacts.iter().any(|c| c.id == *contact) {
                return Err(CrmError::NotFound);
            }
            let id = TaskId::parse(&n).expect("id");
            p.tasks.push(MemoryTask {
                id: id.clone(),
                contact: contact.clone(),
                task: task.clone(),
            });
            Ok(Written {
                id,
                link: format!("{LINK}/tasks/{n}"),
            })
        })
    }
}
