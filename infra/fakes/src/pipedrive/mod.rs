//! A fake Pipedrive API (`shared/reference/pipedrive.md`) at `http://127.0.0.1:PORT` (the
//! value for `PIPEDRIVE_API_URL`): v2 under `/api/v2`, v1 under `/v1` and `/api/v1` (the
//! company-domain form).
//!
//! - `GET /api/v2/organizations/search` (`term`, `fields`, `exact_match`, `limit` ≤ 500,
//!   `cursor`), `GET /api/v2/organizations/{id}`.
//! - `GET /api/v2/persons/search`, `GET /api/v2/persons/{id}` (UNCONFIRMED: not in the
//!   reference; shaped like the organizations search).
//! - `GET /api/v2/deals` (`org_id`, `status`, `limit`, `cursor`), `PATCH /api/v2/deals/{id}`
//!   (`stage_id`, `value` as a number, `status`).
//! - `GET /api/v2/pipelines` (UNCONFIRMED), `GET /api/v2/stages` (`pipeline_id`).
//! - `GET /v1/notes` (`org_id`, `start`, `limit` ≤ 500): the company's notes on that
//!   organization, oldest first, at once (no index lag); UNCONFIRMED: its pagination
//!   (`additional_data.pagination.{start, limit, more_items_in_collection, next_start}`) and
//!   `data: null` for none.
//! - `POST /v1/notes` (`content` and one of `org_id`/`deal_id`/`person_id`),
//!   `POST /v1/activities` (UNCONFIRMED: `subject`, `type`, `due_date`, `due_time` in UTC,
//!   `person_id`, `note`).
//! - Auth: `x-api-token`, `?api_token=` (v1 only) or `Authorization: Bearer`; unknown or
//!   [`FakePipedrive::revoke`]d → 401 `{"success": false, "error": …}`.
//! - Failure injection per [`Endpoint`] and a record of calls ([`crate::script`]); 429s carry
//!   `x-ratelimit-*` headers (and `Retry-After` when asked).

mod oauth;
mod routes;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, patch, post};

use crate::script::Script;
pub use crate::script::{Call, Failure};
use crate::server::{Running, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    OrganizationsSearch,
    Organization,
    PersonsSearch,
    Person,
    Deals,
    UpdateDeal,
    Pipelines,
    Stages,
    Notes,
    /// `GET /v1/notes` (the list).
    ListNotes,
    Activities,
    /// OAuth: `POST /oauth/token` (pipedrive.md §5).
    Token,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeOrganization {
    pub id: u64,
    pub name: String,
    /// A custom field holding the website's domain (Pipedrive has no standard one).
    pub domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakePerson {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub org_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeDeal {
    pub id: u64,
    pub title: String,
    pub org_id: u64,
    pub pipeline_id: u64,
    pub stage_id: u64,
    pub value: Option<f64>,
    pub currency: String,
    /// `open`, `won`, `lost`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakePipelineStages {
    pub id: u64,
    pub name: String,
    /// (id, name), in order.
    pub stages: Vec<(u64, String)>,
}

/// A note or an activity a client created: the JSON body as received, with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: u64,
    pub company: usize,
    pub body: serde_json::Value,
}

#[derive(Debug, Default)]
struct Company {
    tokens: Vec<String>,
    organizations: Vec<FakeOrganization>,
    persons: Vec<FakePerson>,
    deals: Vec<FakeDeal>,
    pipelines: Vec<FakePipelineStages>,
}

pub(crate) struct Inner {
    companies: Vec<Company>,
    notes: Vec<Created>,
    activities: Vec<Created>,
    next_id: u64,
    script: Script<Endpoint>,
    grants: crate::oauth_grants::Grants,
    /// `http://127.0.0.1:PORT`, the `api_domain` of OAuth answers.
    origin: String,
}

impl Inner {
    fn allocate(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakePipedrive::stop`].
pub struct FakePipedrive {
    server: Running,
    shared: Shared,
}

impl FakePipedrive {
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            companies: Vec::new(),
            notes: Vec::new(),
            activities: Vec::new(),
            next_id: 1000,
            script: Script::default(),
            grants: Default::default(),
            origin: String::new(),
        }));
        let app = Router::new()
            .route(
                "/api/v2/organizations/search",
                get(routes::organizations_search),
            )
            .route("/api/v2/organizations/{id}", get(routes::organization))
            .route("/api/v2/persons/search", get(routes::persons_search))
            .route("/api/v2/persons/{id}", get(routes::person))
            .route("/api/v2/deals", get(routes::deals))
            .route("/api/v2/deals/{id}", patch(routes::update_deal))
            .route("/api/v2/pipelines", get(routes::pipelines))
            .route("/api/v2/stages", get(routes::stages))
            .route("/v1/notes", post(routes::notes).get(routes::list_notes))
            .route("/api/v1/notes", post(routes::notes).get(routes::list_notes))
            .route("/v1/activities", post(routes::activities))
            .route("/api/v1/activities", post(routes::activities))
            .route("/oauth/token", post(oauth::token))
            .with_state(shared.clone());
        let server = Running::spawn(app, "pipedrive").await?;
        lock(&shared).origin = format!("http://{}", server.addr());
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`: the value for `PIPEDRIVE_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Adds a Pipedrive company (one workspace's account) reached with `token` (an API
    /// token or an OAuth access token); its index.
    pub fn add_company(&self, token: &str) -> usize {
        let mut inner = lock(&self.shared);
        inner.companies.push(Company {
            tokens: vec![token.to_owned()],
            ..Company::default()
        });
        inner.companies.len() - 1
    }

    pub fn revoke(&self, token: &str) {
        for c in &mut lock(&self.shared).companies {
            c.tokens.retain(|t| t != token);
        }
    }

    pub fn add_organization(&self, company: usize, name: &str, domain: Option<&str>) -> u64 {
        let mut inner = lock(&self.shared);
        let id = inner.allocate();
        inner.companies[company]
            .organizations
            .push(FakeOrganization {
                id,
                name: name.to_owned(),
                domain: domain.map(str::to_owned),
            });
        id
    }

    pub fn add_person(&self, company: usize, name: &str, email: &str, org_id: Option<u64>) -> u64 {
        let mut inner = lock(&self.shared);
        let id = inner.allocate();
        inner.companies[company].persons.push(FakePerson {
            id,
            name: name.to_owned(),
            email: email.to_owned(),
            org_id,
        });
        id
    }

    /// A pipeline with its stages (Pipedrive's stages are never "closed": a deal is won or
    /// lost by its status).
    pub fn add_pipeline(&self, company: usize, name: &str, stages: &[&str]) -> FakePipelineStages {
        let mut inner = lock(&self.shared);
        let id = inner.allocate();
        let stages = stages
            .iter()
            .map(|s| (inner.allocate(), (*s).to_owned()))
            .collect();
        let pipeline = FakePipelineStages {
            id,
            name: name.to_owned(),
            stages,
        };
        inner.companies[company].pipelines.push(pipeline.clone());
        pipeline
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add_deal(
        &self,
        company: usize,
        title: &str,
        org_id: u64,
        pipeline_id: u64,
        stage_id: u64,
        value: Option<f64>,
        currency: &str,
        status: &str,
    ) -> u64 {
        let mut inner = lock(&self.shared);
        let id = inner.allocate();
        inner.companies[company].deals.push(FakeDeal {
            id,
            title: title.to_owned(),
            org_id,
            pipeline_id,
            stage_id,
            value,
            currency: currency.to_owned(),
            status: status.to_owned(),
        });
        id
    }

    pub fn deal(&self, id: u64) -> Option<FakeDeal> {
        lock(&self.shared)
            .companies
            .iter()
            .flat_map(|c| &c.deals)
            .find(|d| d.id == id)
            .cloned()
    }

    pub fn notes(&self) -> Vec<Created> {
        lock(&self.shared).notes.clone()
    }

    pub fn activities(&self) -> Vec<Created> {
        lock(&self.shared).activities.clone()
    }

    /// A registered app: its client id and secret (HTTP Basic at `POST /oauth/token`).
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.shared)
            .grants
            .add_client(client_id, client_secret);
    }

    /// A one-time code for `company` bound to `redirect_uri` (what the browser brings back
    /// from `https://oauth.pipedrive.com/oauth/authorize`, not served here).
    pub fn issue_code(&self, company: usize, redirect_uri: &str) -> String {
        lock(&self.shared)
            .grants
            .issue_code(oauth::PREFIX, company, redirect_uri)
    }

    crate::script::script_methods!(Endpoint);
}
