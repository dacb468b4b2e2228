//! The service: a verified suggestion of an active workspace → the options, from the cache or
//! from the workspace's default CRM, bounded by the budget.
//!
//! Order: the settings (which CRM is the default; none or broken: nothing to search), the
//! cache, the user's turn (one search in flight per user), the cache again (the search we
//! waited for may have answered this query), the connection (refreshed under the shared
//! lease), the search. Only the part after the settings is under the budget; the connection
//! is resolved in its own task so that a budget running out never cancels a token refresh
//! half-way (the refreshed grant is stored whatever the budget). A refusal found inside the
//! budget is handled after it, so marking the connection broken and queueing the admins' DM
//! is never cut off either.

use std::sync::Arc;
use std::time::SystemTime;

use connectors::crms::{Crms, Unusable};
use followup::crm::{CrmAccess, CrmError, CrmKind};
use followup::ports::{CrmDirectory, update_settings};
use tenant::job::CrmJob;
use tenant::{Backend, JobEnvelope, JobKind, SlackContext, TenantId, UserId};
use tracing::{error, info, warn};

use crate::cache::{CacheKey, OptionsCache};
use crate::config::OptionsConfig;
use crate::inflight::InFlight;
use crate::render::{self, SlackOption};
use crate::suggestion::{Query, Select};

/// What the handler shares across requests (and across rebuilds on a secret rotation).
pub struct Searcher {
    pub(crate) backend: Backend,
    pub(crate) directory: Arc<dyn CrmDirectory>,
    pub(crate) crms: Crms,
    pub(crate) config: OptionsConfig,
    /// Shared with the searchers [`Self::with_crms`] makes, like `inflight`.
    pub(crate) cache: Arc<OptionsCache>,
    pub(crate) inflight: Arc<InFlight>,
}

/// One search request, from the signed payload.
pub struct Ask<'a> {
    pub tenant: &'a TenantId,
    pub user: &'a UserId,
    pub select: Select,
    pub query: &'a Query,
}

/// What the bounded part came to.
enum Found {
    Options(Vec<SlackOption>),
    /// The CRM refused the workspace's credentials just now.
    Refused(CrmKind),
    /// Nothing to offer; why, for the log line.
    Nothing(&'static str),
}

impl Searcher {
    pub fn new(
        backend: Backend,
        directory: Arc<dyn CrmDirectory>,
        crms: Crms,
        config: OptionsConfig,
    ) -> Self {
        Self {
            cache: Arc::new(OptionsCache::new(config.ttl, config.capacity)),
            backend,
            directory,
            crms,
            config,
            inflight: Arc::new(InFlight::default()),
        }
    }

    /// The same searcher (its cache and in-flight searches shared) over other CRM clients:
    /// the Lambda rebuilds them when a re-read of the app secrets finds the CRMs' OAuth client
    /// secrets changed.
    pub fn with_crms(&self, crms: Crms) -> Self {
        Self {
            backend: self.backend.clone(),
            directory: self.directory.clone(),
            crms,
            config: self.config,
            cache: self.cache.clone(),
            inflight: self.inflight.clone(),
        }
    }

    /// The CRM clients.
    pub fn crms(&self) -> &Crms {
        &self.crms
    }

    /// The options for `ask` at `now` (the clock of the caller); empty whenever the CRM
    /// cannot answer in time or at all. Logs counts and outcomes only, never the query or a
    /// record's name or email.
    pub async fn options(
        &self,
        ask: Ask<'_>,
        now: &(dyn Fn() -> SystemTime + Sync),
    ) -> Vec<SlackOption> {
        let settings = match self.directory.settings(ask.tenant).await {
            Ok(settings) => settings.map(|v| v.value),
            Err(err) => {
                error!(error = %err, "CRM settings unreadable: empty options");
                return Vec::new();
            }
        };
        let Some(connection) = settings.as_ref().and_then(|s| s.default_connection()) else {
            info!("no CRM connected: empty options");
            return Vec::new();
        };
        let kind = connection.kind;
        if connection.broken_since.is_some() {
            info!(crm = %kind, "the CRM connection is broken: empty options");
            return Vec::new();
        }
        let key = CacheKey {
            tenant: ask.tenant.clone(),
            kind,
            select: ask.select,
            query: ask.query.key().to_owned(),
        };
        if let Some(options) = self.cache.get(&key, now()) {
            info!(count = options.len(), "options from the cache");
            return options;
        }
        let bounded = self.bounded(&ask, kind, &key, now);
        let found = match tokio::time::timeout(self.config.budget, bounded).await {
            Ok(found) => found,
            Err(_) => Found::Nothing("over the budget"),
        };
        match found {
            Found::Options(options) => options,
            Found::Nothing(why) => {
                info!(crm = %kind, why, "empty options");
                Vec::new()
            }
            Found::Refused(kind) => {
                self.refused(ask.tenant, kind, now).await;
                Vec::new()
            }
        }
    }

    /// The part under the budget: the user's turn, the cache again, the connection, the
    /// search, the cache filled.
    async fn bounded(
        &self,
        ask: &Ask<'_>,
        kind: CrmKind,
        key: &CacheKey,
        now: &(dyn Fn() -> SystemTime + Sync),
    ) -> Found {
        let _turn = self.inflight.turn(ask.tenant, ask.user).await;
        if let Some(options) = self.cache.get(key, now()) {
            info!(
                count = options.len(),
                "options from the cache (after the user's other search)"
            );
            return Found::Options(options);
        }
        let access = match self.access(ask.tenant, kind).await {
            Ok(access) => access,
            Err(found) => return found,
        };
        let Some(crm) = self.crms.crm(kind) else {
            return Found::Nothing("the CRM is not configured here");
        };
        let searched = match ask.select {
            Select::TaskContact => crm
                .search_contacts(&access, ask.query.text())
                .await
                .map(|found| (found.len(), render::contacts(&found))),
            Select::AccountSearch => crm
                .search_accounts(&access, ask.query.text())
                .await
                .map(|found| (found.len(), render::accounts(&found))),
        };
        match searched {
            Ok((found, options)) => {
                info!(crm = %kind, found, count = options.len(), "options from the CRM");
                self.cache.put(key.clone(), options.clone(), now());
                Found::Options(options)
            }
            Err(CrmError::Unauthorized) => Found::Refused(kind),
            Err(err) => {
                // Not cached: the next keystroke tries again.
                warn!(crm = %kind, error = %err, "CRM search failed: empty options");
                Found::Nothing("the CRM search failed")
            }
        }
    }

    /// The connection's access, resolved in a task of its own (see the module doc).
    async fn access(&self, tenant: &TenantId, kind: CrmKind) -> Result<CrmAccess, Found> {
        let (crms, backend, tenant) = (self.crms.clone(), self.backend.clone(), tenant.clone());
        let resolved = tokio::spawn(async move {
            // Token expiry is judged by the real clock (the handler's clock may be a test's
            // fixed one for signatures; a refresh is about the provider's time).
            let now = SystemTime::now;
            crms.connection(&backend, &tenant, kind, &now)
                .await
                .map(|ready| ready.map(|r| r.access))
        })
        .await;
        match resolved {
            Ok(Ok(Ok(access))) => Ok(access),
            Ok(Ok(Err(Unusable::Refused(kind)))) => Err(Found::Refused(kind)),
            Ok(Ok(Err(Unusable::NotConfigured(_)))) => {
                Err(Found::Nothing("the CRM is not configured here"))
            }
            Ok(Ok(Err(Unusable::Broken(_)))) => Err(Found::Nothing("the connection is broken")),
            Ok(Ok(Err(Unusable::NotConnected))) => Err(Found::Nothing("no CRM connected")),
            Ok(Err(err)) => {
                error!(error = %app::ingress::chain(&err), "CRM connection unresolvable");
                Err(Found::Nothing("the connection could not be resolved"))
            }
            Err(_) => {
                error!("the CRM connection task failed");
                Err(Found::Nothing("the connection could not be resolved"))
            }
        }
    }

    /// The CRM refused the workspace's credentials: the connection is marked broken, and the
    /// one request that marked it queues the admins' DM ([`CrmJob::Refused`]).
    async fn refused(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        now: &(dyn Fn() -> SystemTime + Sync),
    ) {
        let at = now();
        let marked = update_settings(self.directory.as_ref(), tenant, |settings| {
            settings.mark_broken(kind, tenant::time::unix_secs(at))
        })
        .await;
        match marked {
            Ok((true, _)) => {
                let job = JobEnvelope::new(
                    tenant.clone(),
                    JobKind::Crm(CrmJob::Refused {
                        provider: kind.provider(),
                    }),
                    SlackContext::default(),
                    tenant::time::unix_ms(at),
                );
                match self.backend.queue.enqueue(&job).await {
                    Ok(()) => {
                        warn!(crm = %kind, job_id = %job.id, "the CRM refused the connection: marked broken, admins to be told")
                    }
                    Err(err) => {
                        error!(crm = %kind, error = %err, "marked broken, but the admins' notice could not be queued")
                    }
                }
            }
            Ok((false, _)) => {
                info!(crm = %kind, "the CRM refused the connection (already marked broken)")
            }
            Err(err) => {
                error!(crm = %kind, error = %err, "the CRM refused the connection; marking it broken failed")
            }
        }
    }
}
