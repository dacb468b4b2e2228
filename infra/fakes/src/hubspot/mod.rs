//! A fake HubSpot CRM v3 API (`shared/reference/hubspot.md`) at `http://127.0.0.1:PORT`
//! (the value for `HUBSPOT_API_URL`).
//!
//! - `POST /crm/v3/objects/{companies|contacts|deals|0-3}/search`: `filterGroups` (groups OR,
//!   filters AND; at most 5 groups, 6 filters a group, 18 in all, else 400
//!   `VALIDATION_ERROR`), operators `EQ NEQ IN NOT_IN HAS_PROPERTY NOT_HAS_PROPERTY
//!   CONTAINS_TOKEN` (case-insensitive values), the `associations.{type}` pseudo-property,
//!   `query` over the documented default fields, `limit` (≤ 200, default 10), `after`.
//! - `GET|PATCH /crm/v3/objects/{object}/{id}` (404 `OBJECT_NOT_FOUND` outside the portal);
//!   `GET` with `associations=notes,…` lists the associated records' ids (either direction)
//!   under `associations.{type}.results[].{id,type}`, read from the records themselves (no
//!   index: consistent at once, as the association store is).
//! - `POST /crm/v3/objects/{object}/batch/read` (`{"properties": [...], "inputs": [{"id"}]}`,
//!   ≤ 100 inputs): the portal's records among them, others left out.
//! - `POST /crm/v3/objects/{notes|tasks}` → 201, `hs_timestamp` required (ISO-8601 UTC or ms
//!   epoch), associations checked against the reference's type ids.
//! - `GET /crm/v3/pipelines/deals`: stages with `metadata.isClosed`.
//! - Auth: `Authorization: Bearer` of one portal; unknown or [`FakeHubSpot::revoke`]d → 401.
//! - Failure injection per [`Endpoint`] ([`Failure`]), and every call recorded.
//!
//! UNCONFIRMED shapes the fake still picks (hubspot.md says so too): the 429 body
//! (`errorType: RATE_LIMIT`, `policyName`), stage `metadata` (`isClosed` as the strings
//! `"true"`/`"false"`; [`FakeHubSpot::closed_as_bool`] switches to JSON booleans), the
//! task→company type id 192, the deal currency property `deal_currency_code`, and what a
//! create with an association to a missing record answers (here 400 `VALIDATION_ERROR`), the
//! association list of a single-record read (`associations=` on `GET`, as the reference shows
//! it on the deals list; the `type` label `company_to_note` and whether HubSpot pages it), and
//! the batch read (not in the reference; HubSpot's documented `batch/read` shape).

mod oauth;
mod routes;
mod search;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use crate::script::Script;
pub use crate::script::{Call, Failure};
use crate::server::{Running, lock};

/// Where a call went, for recorded calls and injected failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Search(ObjectType),
    Get(ObjectType),
    Create(ObjectType),
    Update(ObjectType),
    /// `POST /crm/v3/objects/{object}/batch/read`.
    BatchRead(ObjectType),
    Pipelines,
    /// OAuth (hubspot.md §5): `POST /oauth/v1/token`, `GET /oauth/v1/access-tokens/{token}`,
    /// `DELETE /oauth/v1/refresh-tokens/{token}`.
    Token,
    TokenInfo,
    RevokeRefreshToken,
}

/// The CRM objects the fake keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectType {
    Companies,
    Contacts,
    Deals,
    Notes,
    Tasks,
}

impl ObjectType {
    /// The path segment (`deals` also answers to its objectTypeId `0-3`, hubspot.md).
    pub(crate) fn from_path(segment: &str) -> Option<Self> {
        Some(match segment {
            "companies" | "0-2" => Self::Companies,
            "contacts" | "0-1" => Self::Contacts,
            "deals" | "0-3" => Self::Deals,
            "notes" | "0-46" => Self::Notes,
            "tasks" | "0-27" => Self::Tasks,
            _ => return None,
        })
    }

    /// The singular of association pseudo-properties (`associations.company`).
    pub(crate) fn from_singular(name: &str) -> Option<Self> {
        Some(match name {
            "company" => Self::Companies,
            "contact" => Self::Contacts,
            "deal" => Self::Deals,
            "note" => Self::Notes,
            "task" => Self::Tasks,
            _ => return None,
        })
    }
}

/// A record of any type, in one portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeObject {
    pub id: u64,
    pub object_type: ObjectType,
    /// The hub id of the portal it belongs to.
    pub hub_id: u64,
    pub properties: BTreeMap<String, String>,
    /// (type, id, associationTypeId) of what it is associated with.
    pub associations: Vec<(ObjectType, u64, u32)>,
}

#[derive(Debug, Clone)]
struct Portal {
    hub_id: u64,
    tokens: Vec<String>,
    pipelines: Vec<FakePipeline>,
}

/// A deal pipeline of a portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePipeline {
    pub id: String,
    pub label: String,
    /// (id, label, isClosed), in display order.
    pub stages: Vec<(String, String, bool)>,
}

pub(crate) struct Inner {
    portals: Vec<Portal>,
    objects: Vec<FakeObject>,
    next_id: u64,
    closed_as_bool: bool,
    script: Script<Endpoint>,
    grants: crate::oauth_grants::Grants,
    /// What `GET /oauth/v1/access-tokens/{token}` lists.
    granted_scopes: Vec<String>,
}

impl Inner {
    fn allocate(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeHubSpot::stop`].
pub struct FakeHubSpot {
    server: Running,
    shared: Shared,
}

impl FakeHubSpot {
    /// Starts an empty fake (no portals) on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            portals: Vec::new(),
            objects: Vec::new(),
            // Ids look like HubSpot's (large decimals) and are unique across portals.
            next_id: 30_000_000_000,
            closed_as_bool: false,
            script: Script::default(),
            grants: Default::default(),
            granted_scopes: Vec::new(),
        }));
        let app = Router::new()
            .route("/crm/v3/objects/{object}/search", post(routes::search))
            .route("/crm/v3/objects/{object}", post(routes::create))
            .route(
                "/crm/v3/objects/{object}/batch/read",
                post(routes::batch_read),
            )
            .route(
                "/crm/v3/objects/{object}/{id}",
                get(routes::get_object).patch(routes::update),
            )
            .route("/crm/v3/pipelines/{object}", get(routes::pipelines))
            .route("/oauth/v1/token", post(oauth::token))
            .route("/oauth/v1/access-tokens/{token}", get(oauth::token_info))
            .route(
                "/oauth/v1/refresh-tokens/{token}",
                axum::routing::delete(oauth::delete_refresh_token),
            )
            .with_state(shared.clone());
        let server = Running::spawn(app, "hubspot").await?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`: the value for `HUBSPOT_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Adds a portal (a HubSpot account, one per workspace) reached with `token`.
    pub fn add_portal(&self, hub_id: u64, token: &str) {
        lock(&self.shared).portals.push(Portal {
            hub_id,
            tokens: vec![token.to_owned()],
            pipelines: Vec::new(),
        });
    }

    /// Refuses `token` from now on (401), as after an uninstall or a revoked private app.
    pub fn revoke(&self, token: &str) {
        for p in &mut lock(&self.shared).portals {
            p.tokens.retain(|t| t != token);
        }
    }

    /// Stage metadata as JSON booleans rather than strings (both are seen; neither confirmed).
    pub fn closed_as_bool(&self, yes: bool) {
        lock(&self.shared).closed_as_bool = yes;
    }

    /// Adds a record of `object_type` with `properties` to portal `hub_id`; its id.
    pub fn add_object(
        &self,
        hub_id: u64,
        object_type: ObjectType,
        properties: &[(&str, &str)],
        associations: &[(ObjectType, u64, u32)],
    ) -> u64 {
        let mut inner = lock(&self.shared);
        let id = inner.allocate();
        let mut props: BTreeMap<String, String> = properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        props.insert("hs_object_id".into(), id.to_string());
        inner.objects.push(FakeObject {
            id,
            object_type,
            hub_id,
            properties: props,
            associations: associations.to_vec(),
        });
        id
    }

    /// Adds a deal pipeline to portal `hub_id`: stages are (label, isClosed); ids are made up
    /// the way HubSpot's custom ones look (decimal). Answers the pipeline with its ids.
    pub fn add_pipeline(&self, hub_id: u64, label: &str, stages: &[(&str, bool)]) -> FakePipeline {
        let mut inner = lock(&self.shared);
        let id = inner.allocate().to_string();
        let stages = stages
            .iter()
            .map(|(l, c)| (inner.allocate().to_string(), (*l).to_owned(), *c))
            .collect();
        let pipeline = FakePipeline {
            id,
            label: label.to_owned(),
            stages,
        };
        if let Some(p) = inner.portals.iter_mut().find(|p| p.hub_id == hub_id) {
            p.pipelines.push(pipeline.clone());
        }
        pipeline
    }

    /// Every record of `object_type` in every portal (notes and tasks created by clients too).
    pub fn objects(&self, object_type: ObjectType) -> Vec<FakeObject> {
        lock(&self.shared)
            .objects
            .iter()
            .filter(|o| o.object_type == object_type)
            .cloned()
            .collect()
    }

    pub fn object(&self, id: u64) -> Option<FakeObject> {
        lock(&self.shared)
            .objects
            .iter()
            .find(|o| o.id == id)
            .cloned()
    }

    /// A registered app: its client id and secret, accepted at `POST /oauth/v1/token`.
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.shared)
            .grants
            .add_client(client_id, client_secret);
    }

    /// The scopes the token metadata endpoint lists for every token.
    pub fn set_granted_scopes(&self, scopes: &[&str]) {
        lock(&self.shared).granted_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    }

    /// A one-time code for portal `hub_id` bound to `redirect_uri`: what the browser brings
    /// back from `https://app.hubspot.com/oauth/authorize` (not served: a browser step).
    pub fn issue_code(&self, hub_id: u64, redirect_uri: &str) -> String {
        let mut inner = lock(&self.shared);
        let portal = inner
            .portals
            .iter()
            .position(|p| p.hub_id == hub_id)
            .expect("a portal added first");
        inner.grants.issue_code(oauth::PREFIX, portal, redirect_uri)
    }

    crate::script::script_methods!(Endpoint);
}
