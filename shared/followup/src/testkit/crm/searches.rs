//! [`CountedSearches`]: any [`Crm`] wrapped to count its searches (the calls the options
//! function makes as a user types), remember the most that ran at once, and hold the next
//! search open until the test lets it go. Every other call passes straight through.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::crm::{
    Account, AccountId, Contact, ContactId, Crm, CrmAccess, CrmError, Deal, DealId, DealUpdate,
    Domain, NewNote, NewTask, NoteId, Pipeline, TaskId, Written,
};

/// See the module docs. `inner` stays reachable (a test may revoke a token on it).
pub struct CountedSearches<C> {
    pub inner: C,
    searches: AtomicUsize,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    hold: Mutex<bool>,
    entered: Notify,
    release: Notify,
}

impl<C: Crm> CountedSearches<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            searches: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most_at_once: AtomicUsize::new(0),
            hold: Mutex::new(false),
            entered: Notify::new(),
            release: Notify::new(),
        }
    }

    /// The next search waits, once it has started, until [`Self::release_held`].
    pub fn hold_next(&self) {
        *self.hold.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// Returns once the held search has started.
    pub async fn held_started(&self) {
        self.entered.notified().await;
    }

    /// Lets the held search go on.
    pub fn release_held(&self) {
        self.release.notify_one();
    }

    /// Account and contact searches so far.
    pub fn searches(&self) -> usize {
        self.searches.load(Ordering::SeqCst)
    }

    /// The most searches that were running at the same time.
    pub fn most_at_once(&self) -> usize {
        self.most_at_once.load(Ordering::SeqCst)
    }

    async fn search<T>(&self, call: impl Future<Output = T>) -> T {
        self.searches.fetch_add(1, Ordering::SeqCst);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        let held = std::mem::take(&mut *self.hold.lock().unwrap_or_else(|e| e.into_inner()));
        if held {
            self.entered.notify_one();
            self.release.notified().await;
        }
        let out = call.await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

#[async_trait]
impl<C: Crm> Crm for CountedSearches<C> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError> {
        self.inner.find_accounts_by_domains(access, domains).await
    }
    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError> {
        self.search(self.inner.search_accounts(access, name)).await
    }
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError> {
        self.inner.create_note(access, account, note).await
    }
    async fn find_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        self.inner.find_note(access, account, marker).await
    }
    async fn open_deals(
        &self,
        access: &CrmAccess,
        account: &AccountId,
    ) -> Result<Vec<Deal>, CrmError> {
        self.inner.open_deals(access, account).await
    }
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError> {
        self.inner.pipelines(access).await
    }
    async fn update_deal(
        &self,
        access: &CrmAccess,
        deal: &DealId,
        update: &DealUpdate,
    ) -> Result<Written<DealId>, CrmError> {
        self.inner.update_deal(access, deal, update).await
    }
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError> {
        self.search(self.inner.search_contacts(access, query)).await
    }
    async fn create_task(
        &self,
        access: &CrmAccess,
        contact: &ContactId,
        task: &NewTask,
    ) -> Result<Written<TaskId>, CrmError> {
        self.inner.create_task(access, contact, task).await
    }
    async fn verify(&self, access: &CrmAccess) -> Result<(), CrmError> {
        self.inner.verify(access).await
    }
}
