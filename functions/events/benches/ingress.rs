//! The ingress handlers in process, on (a) the in-memory adapters and (b) the embedded SQLite
//! ones:
//! * events: a signed `app_mention` with a fresh event id each time (the full path: verify,
//!   parse, resolve, dedupe claim, enqueue, complete);
//! * commands: a signed `/followup ping` (verify, parse, resolve, rate-limit counter, enqueue).
//!
//! `cargo bench -p switchboard-events --bench ingress` prints criterion's estimates, then a
//! latency table (median and p99 per request over sequential requests) from a small load
//! driver, since criterion reports batch statistics, not per-request tails.
//!
//! `INGRESS_BACKENDS=memory` (or `sqlite`) runs only that backend's rows, e.g. to profile the
//! in-memory path under `valgrind --tool=callgrind` without the SQLite setup.
//! `INGRESS_COUNT=<route>:<n>` sends exactly `n` requests of one route and exits (see
//! `main`): instruction counts per request that other load on the machine does not change.
//!
//! Commands are spread over many tenants so that no tenant passes its plan's per-minute limit
//! (which would measure the cheaper "over the limit" answer instead).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use app::{Clock, HttpRequest, HttpResponse};
use bytes::Bytes;
use commands::CommandsHandler;
use criterion::{BatchSize, Criterion};
use events::EventsHandler;
use tenant::service::NewInstall;
use tenant::{
    AppId, Backend, BotId, BotToken, Installation, Plan, Secret, TeamId, TenantId, UserId,
};

const SECRET: &str = "bench-signing-secret";
/// Tenants the requests rotate over: enough that the criterion run plus the latency run stay
/// under each tenant's per-minute command limit.
const TENANTS: u64 = 4_000;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn team(n: u64) -> String {
    format!("T0B{:07}", n % TENANTS)
}

async fn install(backend: &Backend, n: u64) {
    let team = TeamId::parse(&team(n)).unwrap();
    // What an OAuth install stores: the app's default scopes, the app and bot ids, the installer.
    let scopes: Vec<String> = app::wiring::DEFAULT_BOT_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let installation = Installation {
        tenant: TenantId::Workspace(team.clone()),
        team_id: Some(team),
        enterprise_id: None,
        is_enterprise_install: false,
        app_id: Some(AppId::parse("A0BENCH01").unwrap()),
        bot_user_id: Some(UserId::parse("U0BOT0001").unwrap()),
        bot_id: Some(BotId::parse("B0BOT0001").unwrap()),
        bot_scopes: scopes.clone(),
        user_scopes: vec![],
        installer: Some(UserId::parse("U0ADMIN01").unwrap()),
        installed_at: now(),
    };
    let bot = BotToken {
        token: Secret::new("xoxb-bench"),
        bot_user_id: installation.bot_user_id.clone(),
        bot_id: installation.bot_id.clone(),
        scopes,
        refresh_token: None,
        expires_at: None,
    };
    let new = NewInstall {
        installation,
        name: format!("Bench {n}"),
        bot,
    };
    let mut tenant = tenant::service::install(backend, new, now()).await.unwrap();
    tenant.plan = Plan::Enterprise;
    backend.tenants.put(&tenant).await.unwrap();
}

fn signed(verifier: &slack::Verifier, path: &str, content_type: &str, body: String) -> HttpRequest {
    let ts = now();
    http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", verifier.sign(ts, body.as_bytes()))
        .body(Bytes::from(body))
        .unwrap()
}

/// A signed app_mention with a unique event id.
fn mention(verifier: &slack::Verifier, n: u64) -> HttpRequest {
    let team = team(n);
    let body = format!(
        r#"{{"token":"x","team_id":"{team}","api_app_id":"A0BENCH01","event":{{"type":"app_mention","user":"U0USER001","text":"<@U0BOT0001> summarize the call","ts":"1700000000.{n:06}","channel":"C0CHAN001","event_ts":"1700000000.{n:06}"}},"type":"event_callback","event_id":"Ev0BENCH{n:010}","event_time":1700000000,"authorizations":[{{"enterprise_id":null,"team_id":"{team}","user_id":"U0BOT0001","is_bot":true,"is_enterprise_install":false}}],"is_ext_shared_channel":false,"event_context":"4-eyJldCI6ImFwcF9tZW50aW9uIn0"}}"#
    );
    signed(verifier, "/slack/events", "application/json", body)
}

/// A signed `/followup ping`, with its own trigger id as each of Slack's has: a repeated one
/// is a replay, answered from the ledger without queueing (a cheaper path than the one
/// measured).
fn ping(verifier: &slack::Verifier, n: u64) -> HttpRequest {
    let body = format!(
        "token=x&team_id={}&team_domain=bench&channel_id=C0CHAN001&channel_name=general&user_id=U0USER001&user_name=bench&command=%2Ffollowup&text=ping&api_app_id=A0BENCH01&is_enterprise_install=false&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0%2F1%2Fx&trigger_id={n}.{n}.bench",
        team(n)
    );
    signed(
        verifier,
        "/slack/commands",
        "application/x-www-form-urlencoded",
        body,
    )
}

/// One backend with both handlers.
struct Setup {
    name: &'static str,
    events: EventsHandler,
    commands: CommandsHandler,
    _dir: Option<tempfile::TempDir>,
}

async fn setup(name: &'static str, backend: Backend, dir: Option<tempfile::TempDir>) -> Setup {
    for n in 0..TENANTS {
        install(&backend, n).await;
    }
    let verifier = slack::Verifier::new(SECRET).unwrap();
    Setup {
        name,
        events: EventsHandler::new(backend.clone(), verifier.clone(), Clock::system()),
        // The benchmarked command (ping) makes no Web API call; the client is never used.
        commands: CommandsHandler::new(
            backend,
            verifier,
            Clock::system(),
            slack::WebApi::new("http://127.0.0.1:9/api", "http://127.0.0.1:9/").unwrap(),
        ),
        _dir: dir,
    }
}

type Route = (&'static str, fn(&slack::Verifier, u64) -> HttpRequest);
const ROUTES: [Route; 2] = [("events", mention), ("commands", ping)];

async fn call(setup: &Setup, route: &str, req: HttpRequest) -> HttpResponse {
    if route == "events" {
        setup.events.handle(req).await
    } else {
        setup.commands.handle(req).await
    }
}

/// One [`Setup`] per wanted backend, each with its tenants installed.
async fn fresh_setups(wanted: &impl Fn(&str) -> bool) -> Vec<Setup> {
    let mut setups = Vec::new();
    if wanted("memory") {
        let (memory, _queue) = tenant::testkit::memory_backend();
        setups.push(setup("memory", memory, None).await);
    }
    if wanted("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = local::LocalBackend::open(dir.path()).unwrap().backend();
        setups.push(setup("sqlite", sqlite, Some(dir)).await);
    }
    setups
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let only = std::env::var("INGRESS_BACKENDS").ok();
    let wanted = |name: &str| {
        only.as_deref()
            .is_none_or(|only| only.split(',').any(|o| o == name))
    };
    let setups = rt.block_on(fresh_setups(&wanted));
    let verifier = slack::Verifier::new(SECRET).unwrap();
    let mut n = 0u64;

    // `INGRESS_COUNT=<route>:<n>`: only send `n` requests of one route and exit, for counting
    // instructions under `valgrind --tool=callgrind` (run once with n=0 and subtract the setup):
    // a figure that other load on the machine does not move.
    if let Ok(spec) = std::env::var("INGRESS_COUNT") {
        // A third field `build` builds the requests without sending them (their cost, to
        // subtract too).
        let mut parts = spec.split(':');
        let route = parts.next().expect("INGRESS_COUNT=<route>:<n>[:build]");
        let count: u64 = parts.next().and_then(|c| c.parse().ok()).expect("a count");
        let send = parts.next() != Some("build");
        let (route, build) = ROUTES
            .into_iter()
            .find(|(r, _)| *r == route)
            .expect("a route");
        rt.block_on(async {
            for setup in &setups {
                let reqs: Vec<_> = (0..count).map(|i| build(&verifier, i)).collect();
                for req in reqs.into_iter().filter(|_| send) {
                    assert_eq!(call(setup, route, req).await.status(), 200);
                }
            }
        });
        return;
    }

    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30)
        .configure_from_args();
    for (route, build) in ROUTES {
        let mut group = c.benchmark_group(format!("{route}_handler"));
        for setup in &setups {
            group.bench_function(setup.name, |b| {
                // One runtime entry per batch, not per request: the handler is what is measured.
                b.to_async(&rt).iter_batched(
                    || {
                        n += 1;
                        build(&verifier, n)
                    },
                    |req| async move { assert_eq!(call(setup, route, req).await.status(), 200) },
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }

    // The load driver starts from fresh stores: criterion has by now pushed hundreds of
    // thousands of requests through the ones above, and with no worker draining it the
    // in-memory queue holds every one of those jobs (a state no deployment is in).
    drop(setups);
    let setups = rt.block_on(fresh_setups(&wanted));
    const N: u64 = 10_000;
    println!(
        "\nlatency per request over {N} sequential signed requests (requests built beforehand, \
         fresh stores)"
    );
    println!(
        "{:<10} {:<8} {:>10} {:>10} {:>10}",
        "handler", "backend", "median", "p99", "max"
    );
    for (route, build) in ROUTES {
        for setup in &setups {
            let reqs: Vec<_> = (0..N)
                .map(|_| {
                    n += 1;
                    build(&verifier, n)
                })
                .collect();
            let times = rt.block_on(async {
                let mut times: Vec<Duration> = Vec::with_capacity(reqs.len());
                for req in reqs {
                    let start = Instant::now();
                    let res = call(setup, route, req).await;
                    times.push(start.elapsed());
                    assert_eq!(res.status(), 200);
                }
                times
            });
            let mut times = times;
            times.sort();
            let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
            println!(
                "{:<10} {:<8} {:>10.2?} {:>10.2?} {:>10.2?}",
                route,
                setup.name,
                at(0.5),
                at(0.99),
                at(1.0)
            );
        }
    }
    c.final_summary();
}
