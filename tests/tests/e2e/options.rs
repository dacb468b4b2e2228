//! POST /slack/options end to end: signed `block_suggestion`s through serve's router, the
//! options handler over the embedded backend (SQLite CRM directory, encrypted credentials),
//! the HubSpot client on FakeHubSpot (in `CountedSearches`, to see how many searches run at once), given to
//! serve as the worker's CRMs. Two workspaces, each with its own portal.

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use app::ui::ids;
use app::wiring::{InstallSettings, SlackSettings};
use connectors::crms::Crms;
use connectors::hubspot::{HubSpotClient, HubSpotConfig};
use fakes::hubspot::{Endpoint, Failure, FakeHubSpot, ObjectType};
use followup::crm::CrmKind;
use followup::ports::{CrmConnection, CrmDirectory, update_settings};
use followup::testkit::crm::CountedSearches;
use switchboard_cli::serve::{self, Running, ServeParts};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::CrmJob;
use tenant::ports::{JobConsumer, update_credential};
use tenant::{Backend, JobEnvelope, JobKind, Secret, TenantId, UserId};
use testkit::signer::{now, signed_headers};

const SECRET: &str = "e2e-options-signing-secret-0123456789";
const TEAM_A: &str = "T0OPTSAAA";
const TEAM_B: &str = "T0OPTSBBB";
const TOKEN_A: &str = "pat-na1-options-a-0001";
const TOKEN_B: &str = "pat-eu1-options-b-0002";
const HUB_A: u64 = 510_001;
const HUB_B: u64 = 510_002;
/// An admin of A (connected the CRM) and a member who is not.
const ADMIN: &str = "U0ADMIN01";
const MEMBER: &str = "U0MEMBER1";

struct OptionsApp {
    base: String,
    backend: Backend,
    consumer: Arc<dyn JobConsumer>,
    directory: Arc<dyn CrmDirectory>,
    hubspot: FakeHubSpot,
    counted: Arc<CountedSearches<HubSpotClient>>,
    http: reqwest::Client,
    server: Option<Running>,
    _dir: tempfile::TempDir,
}

async fn spawn() -> OptionsApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let local = local::LocalBackend::open(dir.path()).expect("open embedded backend");
    let (backend, consumer, directory) = (local.backend(), local.consumer(), local.crm_directory());
    let hubspot = FakeHubSpot::start().await.expect("fake HubSpot starts");
    let url = hubspot.api_url();
    let config = HubSpotConfig::from_lookup(move |name: &str| {
        (name == "HUBSPOT_API_URL").then(|| url.clone())
    })
    .expect("HubSpot configures");
    let counted = Arc::new(CountedSearches::new(
        HubSpotClient::new(&config).expect("HubSpot client"),
    ));
    let crms = Crms::of(vec![(CrmKind::Hubspot, counted.clone())], vec![]);
    // Serve's /slack/options searches the CRMs the worker's CRM jobs use.
    let sessions: Arc<dyn followup::Sessions> =
        Arc::new(followup::testkit::MemorySessions::default());
    let followup = worker::Followup::from_lookup(
        |_: &str| None,
        Some(Secret::new("e2e-options-ai-key")),
        Some(sessions),
    )
    .expect("follow-ups configure")
    .expect("follow-ups on")
    .with_crms(crms, directory.clone());
    let slack = SlackSettings {
        signing_secret: Some(SECRET.into()),
        api_url: "http://127.0.0.1:9/api/".into(),
        response_url_base: "http://127.0.0.1:9/hooks/".into(),
        client_id: None,
        client_secret: None,
        install: InstallSettings::default(),
        admin_api_key: None,
        connect_link_key: None,
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    };
    let server = serve::start(
        "127.0.0.1:0".parse().unwrap(),
        ServeParts {
            backend: backend.clone(),
            consumer: consumer.clone(),
            slack,
            clock: Clock::system(),
            // The queue is looked at, not drained.
            run_worker: false,
            followup: Some(followup),
            connect: connect::Providers::default(),
        },
    )
    .await
    .expect("server starts");
    let app = OptionsApp {
        base: format!("http://{}", server.addr),
        backend,
        consumer,
        directory,
        hubspot,
        counted,
        http: testkit::http::client(),
        server: Some(server),
        _dir: dir,
    };
    app.workspace(
        TEAM_A,
        HUB_A,
        TOKEN_A,
        &[
            ("John", "Smith", "john@acme.example"),
            ("Johanna", "Berg", "johanna@globex.example"),
        ],
    )
    .await;
    app.workspace(
        TEAM_B,
        HUB_B,
        TOKEN_B,
        &[("Rita", "Rival", "rita@acme.example")],
    )
    .await;
    app
}

fn tenant(team: &str) -> TenantId {
    TenantId::parse(team).unwrap()
}

impl OptionsApp {
    /// Installs `team`, gives it portal `hub` with `contacts` and one company, and connects
    /// it as the workspace's default CRM (a tenant-wide HubSpot credential).
    async fn workspace(&self, team: &str, hub: u64, token: &str, contacts: &[(&str, &str, &str)]) {
        let id = tenant(team);
        tenant::testkit::install_sample(&self.backend, &id, &format!("xoxb-{team}"), now()).await;
        self.hubspot.add_portal(hub, token);
        let company = self.hubspot.add_object(
            hub,
            ObjectType::Companies,
            &[
                ("name", &format!("Company of {team}")),
                ("domain", "acme.example"),
            ],
            &[],
        );
        for (first, last, email) in contacts {
            self.hubspot.add_object(
                hub,
                ObjectType::Contacts,
                &[("firstname", first), ("lastname", last), ("email", email)],
                &[(ObjectType::Companies, company, 1)],
            );
        }
        let credential_id = CredentialId::tenant_wide(id.clone(), Provider::Hubspot);
        update_credential(self.backend.credentials.as_ref(), &credential_id, |slot| {
            let mut credential = Credential::new(Secret::new(token));
            credential.metadata.portal_id = Some(hub.to_string());
            *slot = Some(credential);
        })
        .await
        .expect("credential stored");
        update_settings(self.directory.as_ref(), &id, |settings| {
            settings.connect(CrmConnection {
                kind: CrmKind::Hubspot,
                connected_by: UserId::parse(ADMIN).unwrap(),
                connected_at: now(),
                label: None,
                broken_since: None,
            })
        })
        .await
        .expect("settings stored");
    }

    async fn post(&self, body: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/slack/options", self.base))
            .headers(signed_headers(secret, body.as_bytes(), now()))
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    /// A signed suggestion of `user` in `team` for `select`, answered: the option texts
    /// and values.
    async fn suggest(
        &self,
        team: &str,
        user: &str,
        select: &str,
        typed: &str,
    ) -> Vec<(String, String)> {
        let res = self
            .post(&suggestion(team, user, select, typed), SECRET)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let json: serde_json::Value = res.json().await.expect("JSON answer");
        json["options"]
            .as_array()
            .expect("an options array")
            .iter()
            .map(|o| {
                assert_eq!(o["text"]["type"], "plain_text");
                (
                    o["text"]["text"].as_str().unwrap().to_owned(),
                    o["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn contact_searches(&self) -> usize {
        self.hubspot
            .calls_to(Endpoint::Search(ObjectType::Contacts))
            .len()
    }

    async fn queued(&self) -> Vec<JobEnvelope> {
        self.consumer
            .receive(100, Duration::from_secs(60))
            .await
            .expect("queue readable")
            .iter()
            .map(|d| JobEnvelope::from_json(&d.body).expect("a job"))
            .collect()
    }

    async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// The form body Slack posts while `user` types `typed` in the task modal's `select`
/// (slack-ui.md §4's shape).
fn suggestion(team: &str, user: &str, select: &str, typed: &str) -> String {
    let payload = serde_json::json!({
        "type": "block_suggestion",
        "user": {"id": user, "username": "someone", "team_id": team},
        "container": {"type": "view", "view_id": "V0OPTS001"},
        "api_app_id": "A0OPTS001",
        "token": "verification_token",
        "action_id": select,
        "block_id": "task_contact_block",
        "value": typed,
        "team": {"id": team, "domain": "workspace"},
        "view": {"id": "V0OPTS001", "team_id": team, "type": "modal", "callback_id": ids::CRM_TASK,
                 "private_metadata": "", "state": {"values": {}}, "hash": "1.x",
                 "app_installed_team_id": team},
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
}

fn texts(options: &[(String, String)]) -> Vec<&str> {
    options.iter().map(|(t, _)| t.as_str()).collect()
}

#[tokio::test]
async fn a_members_suggestion_lists_the_workspaces_contacts_from_hubspot() {
    let app = spawn().await;
    // A member who is not an admin: searching is for everyone.
    let options = app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "john").await;
    // HubSpot's `query` matches whole tokens ("john" is not "johanna"; hubspot.md).
    assert_eq!(texts(&options), ["John Smith · john@acme.example"]);
    let ids: Vec<u64> = options.iter().map(|(_, v)| v.parse().unwrap()).collect();
    for id in ids {
        let contact = app.hubspot.object(id).expect("a contact of the fake");
        assert_eq!(contact.hub_id, HUB_A);
    }
    // The search went with A's token.
    let calls = app.hubspot.calls_to(Endpoint::Search(ObjectType::Contacts));
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].credential.as_ref().unwrap().expose(), TOKEN_A);
    // The account chooser searches companies.
    let accounts = app
        .suggest(TEAM_A, MEMBER, ids::CRM_ACCOUNT_SEARCH, "Company")
        .await;
    assert_eq!(
        texts(&accounts),
        [format!("Company of {TEAM_A} · acme.example")]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_signature_is_401_and_other_input_is_refused_clearly() {
    let app = spawn().await;
    let body = suggestion(TEAM_A, MEMBER, ids::TASK_CONTACT, "john");
    let res = app.post(&body, "not-the-signing-secret-0123456789").await;
    assert_eq!(res.status(), 401);
    let res = app.post("payload=%7Bbroken", SECRET).await;
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .post(format!("{}/slack/options", app.base))
        .headers(signed_headers(
            SECRET,
            &vec![b'a'; app::MAX_BODY_BYTES + 1],
            now(),
        ))
        .body(vec![b'a'; app::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(app.contact_searches(), 0);
    app.stop().await;
}

#[tokio::test]
async fn workspace_b_never_sees_workspace_as_contacts_even_with_as_cache_warm() {
    let app = spawn().await;
    let a = app
        .suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "acme.example")
        .await;
    assert_eq!(texts(&a), ["John Smith · john@acme.example"]);
    // The same user id and the same query in B: B's portal is asked, with B's token.
    let b = app
        .suggest(TEAM_B, MEMBER, ids::TASK_CONTACT, "acme.example")
        .await;
    assert_eq!(texts(&b), ["Rita Rival · rita@acme.example"]);
    let calls = app.hubspot.calls_to(Endpoint::Search(ObjectType::Contacts));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].credential.as_ref().unwrap().expose(), TOKEN_B);
    // A's contact is not in B's CRM at all.
    assert!(
        app.suggest(TEAM_B, MEMBER, ids::TASK_CONTACT, "john")
            .await
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cache_hit_makes_no_second_crm_call() {
    let app = spawn().await;
    let first = app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "John").await;
    let again = app
        .suggest(TEAM_A, ADMIN, ids::TASK_CONTACT, "  john ")
        .await;
    assert_eq!(first, again);
    assert_eq!(app.contact_searches(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_gives_empty_options_marks_broken_and_queues_one_notice() {
    let app = spawn().await;
    app.hubspot.revoke(TOKEN_A);
    assert!(
        app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "john")
            .await
            .is_empty()
    );
    assert!(
        app.suggest(TEAM_A, ADMIN, ids::TASK_CONTACT, "johanna")
            .await
            .is_empty()
    );
    let settings = app
        .directory
        .settings(&tenant(TEAM_A))
        .await
        .unwrap()
        .unwrap()
        .value;
    let connection = settings.connection(CrmKind::Hubspot).unwrap();
    assert!(connection.broken_since.is_some());
    let jobs = app.queued().await;
    assert_eq!(jobs.len(), 1, "the admins are told once");
    assert_eq!(jobs[0].tenant, tenant(TEAM_A));
    assert_eq!(
        jobs[0].kind,
        JobKind::Crm(CrmJob::Refused {
            provider: Provider::Hubspot
        })
    );
    // Broken: the CRM is not asked again. B is untouched.
    assert_eq!(app.contact_searches(), 1);
    assert_eq!(
        app.suggest(TEAM_B, MEMBER, ids::TASK_CONTACT, "rita")
            .await
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn one_users_concurrent_suggestions_reach_the_crm_one_at_a_time() {
    let app = spawn().await;
    // The first search answers slowly (well within the budget), so the others arrive while
    // it runs.
    app.hubspot.fail_next(
        Endpoint::Search(ObjectType::Contacts),
        Failure::Slow(Duration::from_millis(400)),
    );
    let (first, same, other) = tokio::join!(
        app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "john"),
        app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "John"),
        app.suggest(TEAM_A, MEMBER, ids::TASK_CONTACT, "johanna"),
    );
    assert_eq!(first, same);
    assert_eq!(texts(&other), ["Johanna Berg · johanna@globex.example"]);
    // "john" once (the second waited and took the cache) and "johanna" once, never together.
    assert_eq!(app.contact_searches(), 2);
    assert_eq!(app.counted.most_at_once(), 1);
    app.stop().await;
}

/// The standard harness (serve with the worker's CRMs from `HUBSPOT_API_URL`,
/// `PIPEDRIVE_API_URL`, `CRONO_API_URL`): one workspace on each CRM, each connected its own
/// way (HubSpot's token, Pipedrive's pasted API token, Crono's key pair), each answered from
/// its own CRM only.
#[tokio::test]
async fn each_crm_answers_its_own_workspaces_suggestions() {
    use crate::helpers::spawn_app_without_worker;
    let app = spawn_app_without_worker().await;
    let (hub, pipe, crono) = ("T0OPTSHUB", "T0OPTSPIP", "T0OPTSCRO");
    for team in [hub, pipe, crono] {
        app.install(team, team).await;
    }
    app.hubspot.add_portal(HUB_A, TOKEN_A);
    app.hubspot.add_object(
        HUB_A,
        ObjectType::Contacts,
        &[
            ("firstname", "Hanna"),
            ("lastname", "Hub"),
            ("email", "hanna@hub.example"),
        ],
        &[],
    );
    let company = app.pipedrive.add_company("pipedrive-api-token-0001");
    app.pipedrive
        .add_person(company, "Hanna Pipe", "hanna@pipe.example", None);
    let workspace = app
        .crono
        .add_workspace("crono-public-0001", "crono-private-0001");
    app.crono
        .add_prospect(workspace, "Hanna", "Crono", "hanna@crono.example", None);
    let connections = [
        (hub, CrmKind::Hubspot, TOKEN_A, None),
        (pipe, CrmKind::Pipedrive, "pipedrive-api-token-0001", None),
        (
            crono,
            CrmKind::Crono,
            "crono-private-0001",
            Some("crono-public-0001"),
        ),
    ];
    for (team, kind, secret, public) in connections {
        let id = CredentialId::tenant_wide(tenant(team), kind.provider());
        update_credential(app.backend.credentials.as_ref(), &id, |slot| {
            let mut credential = Credential::new(Secret::new(secret));
            credential.metadata.public_key = public.map(str::to_owned);
            *slot = Some(credential);
        })
        .await
        .unwrap();
        update_settings(app.directory.as_ref(), &tenant(team), |settings| {
            settings.connect(CrmConnection {
                kind,
                connected_by: UserId::parse(ADMIN).unwrap(),
                connected_at: now(),
                label: None,
                broken_since: None,
            })
        })
        .await
        .unwrap();
    }
    for (team, expected) in [
        (hub, "Hanna Hub · hanna@hub.example"),
        (pipe, "Hanna Pipe · hanna@pipe.example"),
        (crono, "Hanna Crono · hanna@crono.example"),
    ] {
        let res = app
            .post_signed(
                "/slack/options",
                &suggestion(team, MEMBER, ids::TASK_CONTACT, "hanna"),
            )
            .await;
        assert_eq!(res.status(), 200, "{team}");
        let json: serde_json::Value = res.json().await.unwrap();
        let texts: Vec<&str> = json["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, [expected], "{team}");
    }
    app.stop().await;
}
