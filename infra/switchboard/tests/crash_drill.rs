//! The operator's crash drill (issue 7, item 5): 400 mentions over 20 workspaces sent to a real
//! `switchboard serve` process the way Slack sends them (retries of what failed, some duplicate
//! deliveries), with the process killed by SIGKILL twice and restarted on the same data. Every
//! mention must be answered exactly once: none twice, none lost. Jobs a killed worker had
//! taken come back after the local visibility (20 s) and are run as recoveries, which find a
//! reply that already reached Slack by its metadata marker.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tenant::service::{self, NewInstall};
use tenant::{BotToken, Installation, Secret, TeamId, TenantId, UserId};
use testkit::{FakeSlack, payloads, signer};
use tokio::process::{Child, Command};

const SECRET: &str = "3c1a9e5b7d2f4a6c8e0b1d3f5a7c9e2b";
const TENANTS: usize = 20;
const MENTIONS: usize = 400;
/// Mentions sent before each kill.
const KILL_AT: [usize; 2] = [130, 270];
/// How long the drill waits for the last reply (abandoned jobs come back after 20 s).
const DEADLINE: Duration = Duration::from_secs(150);

fn team(i: usize) -> String {
    format!("T0DRILL{:03}", i % TENANTS)
}

async fn install_tenants(dir: &std::path::Path, fake: &FakeSlack) {
    let local = local::LocalBackend::open(dir).expect("open embedded backend");
    let backend = local.backend();
    let now = signer::now();
    for i in 0..TENANTS {
        let team_id = TeamId::parse(&team(i)).unwrap();
        let token = format!("xoxb-drill-{i}");
        fake.add_token(&token);
        let installation = Installation {
            tenant: TenantId::Workspace(team_id.clone()),
            team_id: Some(team_id),
            enterprise_id: None,
            is_enterprise_install: false,
            app_id: None,
            bot_user_id: Some(UserId::parse(payloads::BOT_USER_ID).unwrap()),
            bot_id: Some(tenant::BotId::parse("B0FAKEBOT").unwrap()),
            bot_scopes: vec!["chat:write".into(), "channels:history".into()],
            user_scopes: vec![],
            installer: None,
            installed_at: now,
        };
        let bot = BotToken {
            token: Secret::new(token),
            bot_user_id: installation.bot_user_id.clone(),
            bot_id: installation.bot_id.clone(),
            scopes: installation.bot_scopes.clone(),
            refresh_token: None,
            expires_at: None,
        };
        let new = NewInstall {
            installation,
            name: format!("Drill {i}"),
            bot,
        };
        service::install(&backend, new, now).await.expect("install");
    }
}

fn serve(dir: &std::path::Path, port: u16, fake: &FakeSlack) -> Child {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("SWITCHBOARD_BACKEND", "local")
        .env("SWITCHBOARD_DATA_DIR", dir)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_API_URL", fake.api_base())
        .env("SLACK_RESPONSE_URL_BASE", fake.response_base())
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("switchboard serve starts")
}

async fn wait_ready(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("switchboard serve did not listen on {port}");
}

/// Delivers one event the way Slack does: retried (with `X-Slack-Retry-Num`) until a 2xx,
/// for a while; a server that is down is retried too.
async fn deliver(client: &reqwest::Client, port: u16, body: &str) -> bool {
    for retry in 0..40 {
        let mut headers = signer::signed_headers(SECRET, body.as_bytes(), signer::now());
        if retry > 0 {
            headers.insert("x-slack-retry-num", retry.into());
        }
        let sent = client
            .post(format!("http://127.0.0.1:{port}/slack/events"))
            .headers(headers)
            .body(body.to_owned())
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

fn mention(i: usize) -> String {
    let event = payloads::app_mention_event(
        "U0ASKER01",
        "C0DRILL01",
        "<@U0FAKEBOT> follow up please",
        &format!("1700000000.{i:06}"),
    );
    payloads::event_callback(&team(i), &format!("Ev0DRILL{i:05}"), event)
}

/// Replies the fake Slack received, per (team token, thread).
fn replies(fake: &FakeSlack) -> HashMap<(String, String), usize> {
    let mut per_thread = HashMap::new();
    for call in fake.calls_to("chat.postMessage") {
        let token = call
            .token
            .map(|t| t.expose().to_owned())
            .unwrap_or_default();
        let thread = call.body["thread_ts"].as_str().unwrap_or("").to_owned();
        *per_thread.entry((token, thread)).or_insert(0) += 1;
    }
    per_thread
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_twice_mid_load_answers_every_mention_exactly_once() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    install_tenants(dir.path(), &fake).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut child = serve(dir.path(), port, &fake);
    wait_ready(port).await;
    let client = testkit::http::client();

    let mut sent = 0;
    let mut restarted_at = Instant::now();
    for stop in KILL_AT.iter().copied().chain([MENTIONS]) {
        let batch: Vec<usize> = (sent..stop).collect();
        let delivered: Vec<bool> = futures::stream::iter(batch.iter().map(|&i| {
            let client = client.clone();
            async move {
                let body = mention(i);
                let ok = deliver(&client, port, &body).await;
                // Slack also delivers some events twice.
                if i % 7 == 0 {
                    deliver(&client, port, &body).await;
                }
                ok
            }
        }))
        .buffer_unordered(16)
        .collect()
        .await;
        assert!(delivered.iter().all(|d| *d), "every mention is accepted");
        sent = stop;
        if stop < MENTIONS {
            // SIGKILL while the worker is busy with what was just accepted.
            child.start_kill().expect("SIGKILL");
            let _ = child.wait().await;
            child = serve(dir.path(), port, &fake);
            wait_ready(port).await;
            restarted_at = Instant::now();
        }
    }

    let started = Instant::now();
    loop {
        let answered = replies(&fake);
        if answered.len() >= MENTIONS || started.elapsed() > DEADLINE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A little longer, so a late duplicate would show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answered = replies(&fake);
    let twice: Vec<_> = answered.iter().filter(|(_, n)| **n > 1).collect();
    eprintln!(
        "crash drill: {} of {MENTIONS} mentions answered, {} twice; last reply {:?} after the \
         second restart",
        answered.len(),
        twice.len(),
        restarted_at.elapsed()
    );
    assert!(twice.is_empty(), "mentions answered twice: {twice:?}");
    assert_eq!(
        answered.len(),
        MENTIONS,
        "every mention answered (none lost)"
    );
    let _ = child.start_kill();
}
