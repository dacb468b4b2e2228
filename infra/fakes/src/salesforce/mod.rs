//! A fake Salesforce (`shared/reference/salesforce.md`) at `http://127.0.0.1:PORT`, which is
//! both the login URL (`SALESFORCE_LOGIN_URL`) and every org's `instance_url`:
//!
//! - `GET /services/data/vNN.N/query/?q=` (the SOQL subset of [`soql`] over `Account`,
//!   `Contact`, `Opportunity`, `OpportunityStage`, and the `ContentNote` (`Id`, `Title`) and
//!   `ContentDocumentLink` records clients created, at once (UNCONFIRMED as queried objects;
//!   a `ContentDocumentLink` query needs a `ContentDocumentId` or `LinkedEntityId` filter, as
//!   Salesforce's restriction says); `MALFORMED_QUERY`, `INVALID_TYPE`,
//!   `INVALID_FIELD` otherwise), batches of [`FakeSalesforce::set_batch_size`] records with
//!   `nextRecordsUrl` (`GET …/query/{locator}`).
//! - `GET …/sobjects/{Account,Contact,Opportunity}/{id}` (`?fields=`),
//!   `GET …/sobjects/Opportunity/describe` (`fields`, `recordTypeInfos`; UNCONFIRMED shape),
//!   `GET …/ui-api/object-info/Opportunity/picklist-values/{recordTypeId}/StageName`
//!   (UNCONFIRMED).
//! - `POST …/sobjects/{ContentNote,ContentDocumentLink,Task}/` (201 `{id, success, errors}`;
//!   ContentNote `Content` must be base64, only `Title`/`Content` settable),
//!   `PATCH …/sobjects/Opportunity/{id}` (`StageName` from the picklist, else 400
//!   `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`; `Amount` a number; 204).
//! - OAuth: `GET /services/oauth2/authorize` (redirects at once with a code for the org set by
//!   [`FakeSalesforce::consent_as`]), `POST /services/oauth2/token` (`authorization_code`,
//!   `refresh_token`; answers carry `instance_url` = this fake, no `expires_in`; no refresh
//!   token rotation), `POST /services/oauth2/revoke`.
//! - Auth: `Authorization: Bearer`; unknown or revoked → 401 `INVALID_SESSION_ID`.
//! - Errors are Salesforce's array `[{"message", "errorCode"}]`; failure injection per
//!   [`Endpoint`] and call records from [`crate::script`] (an injected 403 is
//!   `REQUEST_LIMIT_EXCEEDED`).

mod oauth;
mod routes;
pub mod soql;
mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use crate::script::Script;
pub use crate::script::{Call, Failure};
use crate::server::{Running, lock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Query,
    Record,
    Describe,
    Picklist,
    Create,
    Update,
    Authorize,
    Token,
    Revoke,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeAccount {
    pub id: String,
    pub name: String,
    /// As users type it: `https://www.acme.com/`, `acme.com`, …
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeContact {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeStage {
    pub id: String,
    /// The StageName picklist value.
    pub api_name: String,
    pub label: String,
    pub closed: bool,
    pub won: bool,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeRecordType {
    pub id: String,
    pub name: String,
    /// The StageName values its sales process offers.
    pub stages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeOpportunity {
    pub id: String,
    pub name: String,
    pub account_id: String,
    pub stage_name: String,
    pub amount: Option<f64>,
    pub currency: String,
    pub record_type_id: Option<String>,
}

/// A record a client created: its object, the JSON body as received, and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: String,
    pub org: usize,
    pub object: String,
    pub body: serde_json::Value,
}

#[derive(Debug, Default)]
struct Org {
    access_tokens: Vec<String>,
    accounts: Vec<FakeAccount>,
    contacts: Vec<FakeContact>,
    stages: Vec<FakeStage>,
    record_types: Vec<FakeRecordType>,
    opportunities: Vec<FakeOpportunity>,
    /// Orgs without multi-currency have no `CurrencyIsoCode` field.
    single_currency: bool,
}

pub(crate) struct Inner {
    origin: String,
    orgs: Vec<Org>,
    created: Vec<Created>,
    next_id: u64,
    batch_size: usize,
    /// Query locators: the rest of a result, for the org that asked.
    cursors: HashMap<String, (usize, Vec<serde_json::Value>)>,
    grants: crate::oauth_grants::Grants,
    consenting: Option<usize>,
    script: Script<Endpoint>,
}

impl Inner {
    /// An 18-character id with the object's key prefix (`001` Account, …).
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}5g{:010}AAA", self.next_id)
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeSalesforce::stop`].
pub struct FakeSalesforce {
    server: Running,
    shared: Shared,
}

impl FakeSalesforce {
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            origin: String::new(),
            orgs: Vec::new(),
            created: Vec::new(),
            next_id: 1000,
            batch_size: 2000,
            cursors: HashMap::new(),
            grants: Default::default(),
            consenting: None,
            script: Script::default(),
        }));
        let data = "/services/data/{version}";
        let app = Router::new()
            .route(&format!("{data}/query"), get(routes::query))
            .route(&format!("{data}/query/"), get(routes::query))
            .route(
                &format!("{data}/query/{{locator}}"),
                get(routes::query_more),
            )
            .route(
                &format!("{data}/sobjects/{{object}}/{{id}}"),
                get(routes::record).patch(writes::update),
            )
            .route(&format!("{data}/sobjects/{{object}}"), post(writes::create))
            .route(
                &format!("{data}/sobjects/{{object}}/"),
                post(writes::create),
            )
            .route(
                &format!(
                    "{data}/ui-api/object-info/{{object}}/picklist-values/{{record_type}}/{{field}}"
                ),
                get(routes::picklist),
            )
            .route("/services/oauth2/authorize", get(oauth::authorize))
            .route("/services/oauth2/token", post(oauth::token))
            .route("/services/oauth2/revoke", post(oauth::revoke))
            .with_state(shared.clone());
        let server = Running::spawn(app, "salesforce").await?;
        lock(&shared).origin = format!("http://{}", server.addr());
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`: the value for `SALESFORCE_LOGIN_URL`, and every org's
    /// `instance_url`.
    pub fn url(&self) -> String {
        lock(&self.shared).origin.clone()
    }

    /// Adds an org (one workspace's Salesforce) reached with access token `token`; its index.
    pub fn add_org(&self, token: &str) -> usize {
        let mut inner = lock(&self.shared);
        inner.orgs.push(Org {
            access_tokens: vec![token.to_owned()],
            ..Org::default()
        });
        inner.orgs.len() - 1
    }

    /// The org has no multi-currency: Opportunity has no `CurrencyIsoCode`.
    pub fn set_single_currency(&self, org: usize) {
        lock(&self.shared).orgs[org].single_currency = true;
    }

    /// Every access token of every org stops working (the refresh tokens stay).
    pub fn revoke(&self, token: &str) {
        for o in &mut lock(&self.shared).orgs {
            o.access_tokens.retain(|t| t != token);
        }
    }

    /// Records per query batch (Salesforce: up to 2,000).
    pub fn set_batch_size(&self, n: usize) {
        lock(&self.shared).batch_size = n.max(1);
    }

    pub fn add_account(&self, org: usize, name: &str, website: Option<&str>) -> String {
        let mut inner = lock(&self.shared);
        let id = inner.id("001");
        inner.orgs[org].accounts.push(FakeAccount {
            id: id.clone(),
            name: name.to_owned(),
            website: website.map(str::to_owned),
        });
        id
    }

    pub fn add_contact(
        &self,
        org: usize,
        first_name: &str,
        last_name: &str,
        email: &str,
        account_id: Option<&str>,
    ) -> String {
        let mut inner = lock(&self.shared);
        let id = inner.id("003");
        inner.orgs[org].contacts.push(FakeContact {
            id: id.clone(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email: email.to_owned(),
            account_id: account_id.map(str::to_owned),
        });
        id
    }

    /// A StageName picklist value with its OpportunityStage metadata, after the others.
    pub fn add_stage(&self, org: usize, api_name: &str, closed: bool, won: bool) -> String {
        let mut inner = lock(&self.shared);
        let id = inner.id("01J");
        inner.orgs[org].stages.push(FakeStage {
            id: id.clone(),
            api_name: api_name.to_owned(),
            label: api_name.to_owned(),
            closed,
            won,
            active: true,
        });
        id
    }

    /// An Opportunity record type whose sales process offers `stages` (picklist values).
    pub fn add_record_type(&self, org: usize, name: &str, stages: &[&str]) -> String {
        let mut inner = lock(&self.shared);
        let id = inner.id("012");
        inner.orgs[org].record_types.push(FakeRecordType {
            id: id.clone(),
            name: name.to_owned(),
            stages: stages.iter().map(|s| (*s).to_owned()).collect(),
        });
        id
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add_opportunity(
        &self,
        org: usize,
        name: &str,
        account_id: &str,
        stage_name: &str,
        amount: Option<f64>,
        currency: &str,
        record_type_id: Option<&str>,
    ) -> String {
        let mut inner = lock(&self.shared);
        let id = inner.id("006");
        inner.orgs[org].opportunities.push(FakeOpportunity {
            id: id.clone(),
            name: name.to_owned(),
            account_id: account_id.to_owned(),
            stage_name: stage_name.to_owned(),
            amount,
            currency: currency.to_owned(),
            record_type_id: record_type_id.map(str::to_owned),
        });
        id
    }

    pub fn opportunity(&self, id: &str) -> Option<FakeOpportunity> {
        lock(&self.shared)
            .orgs
            .iter()
            .flat_map(|o| &o.opportunities)
            .find(|o| o.id == id)
            .cloned()
    }

    /// Records created through the API (`ContentNote`, `ContentDocumentLink`, `Task`), in order.
    pub fn created(&self, object: &str) -> Vec<Created> {
        lock(&self.shared)
            .created
            .iter()
            .filter(|c| c.object == object)
            .cloned()
            .collect()
    }

    /// A connected app: its consumer key and secret, accepted at the token endpoint.
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.shared)
            .grants
            .add_client(client_id, client_secret);
    }

    /// Which org's user approves at `GET /services/oauth2/authorize` (the browser step).
    pub fn consent_as(&self, org: usize) {
        lock(&self.shared).consenting = Some(org);
    }

    /// A one-time authorization code for `org`, bound to `redirect_uri` (what the browser
    /// would bring back from the authorize page).
    pub fn issue_code(&self, org: usize, redirect_uri: &str) -> String {
        lock(&self.shared)
            .grants
            .issue_code(oauth::PREFIX, org, redirect_uri)
    }

    crate::script::script_methods!(Endpoint);
}
