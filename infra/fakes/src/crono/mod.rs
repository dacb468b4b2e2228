//! A fake Crono public API (`shared/reference/crono.md`) at `http://127.0.0.1:PORT/api/v1`
//! (the value for `CRONO_API_URL`).
//!
//! - `POST /api/v1/Accounts/search` (`name`, `hasWebsite`, `pagination{limit ≤ 200, offset}`),
//!   `GET /api/v1/Accounts/{objectId}`.
//! - `POST /api/v1/Prospects/search` (`name`, `accountId`, `objectIds`,
//!   `pagination{limit ≤ 50, offset}`).
//! - `POST /api/v1/Opportunities/search` (`accountId`, `objectIds`, `isClosed`, `isWon`,
//!   `pagination`), `PATCH /api/v1/Opportunities` (`data.OpportunityId` + `data.AccountId`,
//!   `stage`, `amount`); `PUT`/`PATCH /api/v1/Opportunities/{id}` → 405 (§4.7 history).
//! - `GET /api/v1/Pipelines` (the shape is UNCONFIRMED: not seen by the reference; here
//!   `{id, label, displayOrder, stages: [{id, label, displayOrder, isClosed, isWon}]}`).
//! - `POST /api/v1/Notes` (`data.accountId`, `data.description`; answers only the account
//!   id, as §4.5 says), `POST /api/v1/Tasks` (`accountId`, `prospectId`, `type`,
//!   `activityDate` RFC 3339 in UTC, `subject`, `description`), `GET /api/v1/Users`.
//! - Writes without the `data` wrapper → 400 "requiring 'Data' field" (§3). Property names
//!   are matched case-insensitively (ASP.NET style, [inferred] by the reference).
//! - Every answer is the `{"data", "isSuccess", "errors"}` envelope; the element shape of
//!   `errors` is unknown (here `{"message"}`).
//! - Auth: `X-Api-Key` + `X-Api-Secret` of a workspace; a wrong secret or a
//!   [`FakeCrono::revoke`]d key → 401 (the real status for bad keys is UNCONFIRMED).
//! - Failure injection per [`Endpoint`] and a record of calls ([`crate::script`]).
//!
//! UNCONFIRMED matching semantics (the reference does not know them): `name` is a
//! case-insensitive substring of an account's name; on prospects, of the name or the email
//! (the repo passes an email as `name` and filters locally).

mod routes;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use crate::script::Script;
pub use crate::script::{Call, Failure};
use crate::server::{Running, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    AccountsSearch,
    Account,
    ProspectsSearch,
    OpportunitiesSearch,
    UpdateOpportunity,
    /// `PUT`/`PATCH /Opportunities/{id}`: always 405.
    OpportunityById,
    Pipelines,
    Notes,
    Tasks,
    Users,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeAccount {
    pub object_id: String,
    pub name: String,
    /// Free text, as Crono keeps it (`acme.com`, `https://www.acme.com/`).
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeProspect {
    pub object_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeStage {
    /// The underlying CRM's stage id (`closedwon`, `3063541965`).
    pub id: String,
    pub label: String,
    pub is_closed: bool,
    pub is_won: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakePipeline {
    pub id: String,
    pub label: String,
    pub stages: Vec<FakeStage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeOpportunity {
    pub object_id: String,
    pub name: String,
    pub account_id: String,
    pub pipeline: String,
    pub stage: String,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    /// From the stage's metadata, kept in step on every stage change.
    pub is_closed: bool,
    pub is_won: bool,
}

/// A note or a task a client created: the `data` object as received, with the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Tasks get an `objectId`; notes do not (Crono does not answer one, §4.5).
    pub object_id: Option<String>,
    pub workspace: usize,
    pub data: serde_json::Value,
}

#[derive(Debug, Default)]
struct Workspace {
    /// The portal part of every object id (`25995825` in `25995825_6149990627`).
    portal: u64,
    /// (public, private) key pairs.
    keys: Vec<(String, String)>,
    accounts: Vec<FakeAccount>,
    prospects: Vec<FakeProspect>,
    opportunities: Vec<FakeOpportunity>,
    pipelines: Vec<FakePipeline>,
}

pub(crate) struct Inner {
    workspaces: Vec<Workspace>,
    notes: Vec<Created>,
    tasks: Vec<Created>,
    next_id: u64,
    script: Script<Endpoint>,
}

impl Inner {
    fn allocate(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// `<portal>_<n>`, Crono's object id shape (§3).
    fn object_id(&mut self, workspace: usize) -> String {
        let n = self.allocate();
        format!("{}_{n}", self.workspaces[workspace].portal)
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeCrono::stop`].
pub struct FakeCrono {
    server: Running,
    shared: Shared,
}

impl FakeCrono {
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            workspaces: Vec::new(),
            notes: Vec::new(),
            tasks: Vec::new(),
            next_id: 6_149_990_000,
            script: Script::default(),
        }));
        let app = Router::new()
            .route("/api/v1/Accounts/search", post(routes::accounts_search))
            .route("/api/v1/Accounts/{id}", get(routes::account))
            .route("/api/v1/Prospects/search", post(routes::prospects_search))
            .route(
                "/api/v1/Opportunities/search",
                post(routes::opportunities_search),
            )
            .route(
                "/api/v1/Opportunities",
                axum::routing::patch(routes::update_opportunity),
            )
            .route(
                "/api/v1/Opportunities/{id}",
                axum::routing::put(routes::opportunity_by_id).patch(routes::opportunity_by_id),
            )
            .route("/api/v1/Pipelines", get(routes::pipelines))
            .route("/api/v1/Notes", post(routes::notes))
            .route("/api/v1/Tasks", post(routes::tasks))
            .route("/api/v1/Users", get(routes::users))
            .with_state(shared.clone());
        let server = Running::spawn(app, "crono").await?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT/api/v1`: the value for `CRONO_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v1", self.server.addr())
    }

    /// Adds a Crono workspace reached with the key pair (`public` is `X-Api-Key`, `private`
    /// `X-Api-Secret`); its index.
    pub fn add_workspace(&self, public: &str, private: &str) -> usize {
        let mut inner = lock(&self.shared);
        let portal = 25_995_825 + inner.workspaces.len() as u64;
        inner.workspaces.push(Workspace {
            portal,
            keys: vec![(public.to_owned(), private.to_owned())],
            ..Workspace::default()
        });
        inner.workspaces.len() - 1
    }

    /// The key pair whose public key is `public` stops working (401).
    pub fn revoke(&self, public: &str) {
        for w in &mut lock(&self.shared).workspaces {
            w.keys.retain(|(p, _)| p != public);
        }
    }

    pub fn add_account(&self, workspace: usize, name: &str, website: Option<&str>) -> String {
        let mut inner = lock(&self.shared);
        let object_id = inner.object_id(workspace);
        inner.workspaces[workspace].accounts.push(FakeAccount {
            object_id: object_id.clone(),
            name: name.to_owned(),
            website: website.map(str::to_owned),
        });
        object_id
    }

    pub fn add_prospect(
        &self,
        workspace: usize,
        first_name: &str,
        last_name: &str,
        email: &str,
        account_id: Option<&str>,
    ) -> String {
        let mut inner = lock(&self.shared);
        let object_id = inner.object_id(workspace);
        inner.workspaces[workspace].prospects.push(FakeProspect {
            object_id: object_id.clone(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email: email.to_owned(),
            account_id: account_id.map(str::to_owned),
        });
        object_id
    }

    /// A pipeline with its stages in display order: (label, is_closed, is_won). Stage ids are
    /// allocated as the underlying CRM's numeric ids.
    pub fn add_pipeline(
        &self,
        workspace: usize,
        label: &str,
        stages: &[(&str, bool, bool)],
    ) -> FakePipeline {
        let mut inner = lock(&self.shared);
        let id = inner.allocate().to_string();
        let stages = stages
            .iter()
            .map(|(l, closed, won)| FakeStage {
                id: inner.allocate().to_string(),
                label: (*l).to_owned(),
                is_closed: *closed,
                is_won: *won,
            })
            .collect();
        let pipeline = FakePipeline {
            id,
            label: label.to_owned(),
            stages,
        };
        inner.workspaces[workspace].pipelines.push(pipeline.clone());
        pipeline
    }

    /// An opportunity in `stage` of `pipeline` (its closed flags from the stage).
    #[allow(clippy::too_many_arguments)]
    pub fn add_opportunity(
        &self,
        workspace: usize,
        name: &str,
        account_id: &str,
        pipeline: &FakePipeline,
        stage: &str,
        amount: Option<f64>,
        currency: Option<&str>,
    ) -> String {
        let mut inner = lock(&self.shared);
        let object_id = inner.object_id(workspace);
        let found = pipeline.stages.iter().find(|s| s.id == stage);
        inner.workspaces[workspace]
            .opportunities
            .push(FakeOpportunity {
                object_id: object_id.clone(),
                name: name.to_owned(),
                account_id: account_id.to_owned(),
                pipeline: pipeline.id.clone(),
                stage: stage.to_owned(),
                amount,
                currency: currency.map(str::to_owned),
                is_closed: found.is_some_and(|s| s.is_closed),
                is_won: found.is_some_and(|s| s.is_won),
            });
        object_id
    }

    pub fn opportunity(&self, object_id: &str) -> Option<FakeOpportunity> {
        lock(&self.shared)
            .workspaces
            .iter()
            .flat_map(|w| &w.opportunities)
            .find(|o| o.object_id == object_id)
            .cloned()
    }

    pub fn notes(&self) -> Vec<Created> {
        lock(&self.shared).notes.clone()
    }

    pub fn tasks(&self) -> Vec<Created> {
        lock(&self.shared).tasks.clone()
    }

    crate::script::script_methods!(Endpoint);
}
