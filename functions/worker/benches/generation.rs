//! The worker's own cost per generation: one `Generate` job run end to end (list the day's
//! meetings, the transcript, one AI draft, the session sealed and saved, the DM posted and
//! updated in place) on the in-memory backend against the local fakes of Slack, Fathom and
//! Anthropic, which answer at once.
//!
//! `cargo bench -p switchboard-worker --bench generation` prints criterion's estimate of one
//! generation, then a table: the median generation, the HTTP calls it made (counted on the
//! fakes), the median loopback round trip of a call to a fake, and the difference: what the
//! worker itself spends, with the fakes' time taken out. Against the real services the AI's
//! seconds dominate; this is the part we control.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::Clock;
use criterion::Criterion;
use fakes::anthropic::FakeAnthropic;
use fakes::fathom::{FakeFathom, FakeMeeting, FakeUser, FathomData};
use fakes::slack::FakeSlack;
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::Generate;
use tenant::{Backend, JobEnvelope, JobKind, Secret, SlackContext, TeamId, TenantId, UserId};
use worker::{Followup, Outcome, Worker};

const TEAM: &str = "T0BENCH01";
const USER: &str = "U0BENCH01";
const BOT_TOKEN: &str = "xoxb-bench-token";
const FATHOM_KEY: &str = "fathom-bench-key";
const AI_KEY: &str = "sk-ant-bench";
const RECORDING: u64 = 900_000_001;

struct Setup {
    worker: Worker,
    tenant: TenantId,
    slack: FakeSlack,
    fathom: FakeFathom,
    ai: FakeAnthropic,
}

async fn install(backend: &Backend) -> TenantId {
    let tenant = TenantId::Workspace(TeamId::parse(TEAM).unwrap());
    let now = jiff::Timestamp::now().as_second();
    let mut installed = tenant::testkit::install_sample(backend, &tenant, BOT_TOKEN, now).await;
    // Unmetered here: the quota is counted at ingress, not in the worker.
    installed.plan = tenant::Plan::Enterprise;
    backend.tenants.put(&installed).await.unwrap();
    tenant
}

/// A meeting of a minute ago with a realistic transcript (about 60 lines, two speakers).
fn fathom_data() -> FathomData {
    let now = jiff::Timestamp::now();
    let mut meeting = FakeMeeting::new(
        RECORDING,
        "Globex discovery call",
        now - Duration::from_secs(60),
    )
    .invitee("Alice Johnson", "alice.johnson@acme.com", false)
    .invitee("John Smith", "john.smith@globex.com", true);
    for n in 0..60 {
        let (speaker, text) = if n % 2 == 0 {
            (
                "Alice Johnson",
                "How do you handle renewals and reminders across the team today?",
            )
        } else {
            (
                "John Smith",
                "Mostly spreadsheets and reminders in HubSpot; we lose hours chasing paperwork.",
            )
        };
        meeting = meeting.line(&format!("00:{:02}:{:02}", n / 60, n % 60), speaker, text);
    }
    let user = FakeUser::new("Alice Johnson", "alice.johnson@acme.com")
        .api_key(FATHOM_KEY)
        .meeting(meeting);
    FathomData::new()
        .user(user)
        // The bench calls far more often than Fathom's 60 a minute would allow.
        .rate_limit(u32::MAX, Duration::from_secs(60))
}

async fn setup() -> Setup {
    let (backend, _queue) = tenant::testkit::memory_backend();
    let tenant = install(&backend).await;
    let slack = FakeSlack::start().await;
    slack.add_token(BOT_TOKEN);
    slack.add_user(USER, "UTC", 0, false);
    let fathom = FakeFathom::start(fathom_data()).await.unwrap();
    let ai = FakeAnthropic::start(AI_KEY).await.unwrap();
    let id = CredentialId::for_user(
        tenant.clone(),
        Provider::Fathom,
        UserId::parse(USER).unwrap(),
    );
    tenant::ports::update_credential(backend.credentials.as_ref(), &id, |slot| {
        *slot = Some(Credential::new(Secret::new(FATHOM_KEY)));
    })
    .await
    .unwrap();
    let urls = [
        ("FATHOM_API_URL", fathom.api_url()),
        ("ANTHROPIC_API_URL", ai.api_url()),
    ];
    let lookup = move |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let sessions: Arc<dyn followup::Sessions> =
        Arc::new(followup::testkit::MemorySessions::default());
    let followup = Followup::from_lookup(lookup, Some(Secret::new(AI_KEY)), Some(sessions))
        .unwrap()
        .unwrap();
    let web = slack::WebApi::new(&slack.api_base(), &slack.response_base()).unwrap();
    let worker = Worker::new(backend, web, Clock::system()).with_followup(followup);
    Setup {
        worker,
        tenant,
        slack,
        fathom,
        ai,
    }
}

/// One generation job (a fresh job id each time: a "Try again" of the same meeting).
fn job(tenant: &TenantId) -> String {
    let kind = JobKind::Generate(Generate {
        user: UserId::parse(USER).unwrap(),
        recording: RECORDING,
        day: Some(0),
        usage: None,
        meeting_started_at: None,
    });
    let slack = SlackContext {
        response_url: None,
        channel: None,
        user: Some(UserId::parse(USER).unwrap()),
    };
    let env = JobEnvelope::new(
        tenant.clone(),
        kind,
        slack,
        jiff::Timestamp::now().as_millisecond(),
    );
    serde_json::to_string(&env).unwrap()
}

async fn generate(setup: &Setup) {
    let outcome = setup.worker.process(&job(&setup.tenant), 1).await;
    assert!(matches!(outcome, Outcome::Done), "{outcome:?}");
}

fn calls(setup: &Setup) -> usize {
    setup.slack.calls().len() + setup.fathom.calls().len() + setup.ai.calls().len()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let setup = rt.block_on(setup());
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30)
        .configure_from_args();
    c.bench_function("generation", |b| {
        b.to_async(&rt).iter(|| generate(&setup));
    });

    const N: usize = 300;
    let before = calls(&setup);
    let times: Vec<Duration> = rt.block_on(async {
        let mut times = Vec::with_capacity(N);
        for _ in 0..N {
            let start = Instant::now();
            generate(&setup).await;
            times.push(start.elapsed());
        }
        times
    });
    let per_job = (calls(&setup) - before) as f64 / N as f64;
    // A loopback round trip to a fake: users.info, a small authenticated call with a JSON
    // answer, through the same reqwest client type the worker uses.
    let web = slack::WebApi::new(&setup.slack.api_base(), &setup.slack.response_base()).unwrap();
    let token = Secret::new(BOT_TOKEN);
    let user = UserId::parse(USER).unwrap();
    let trips: Vec<Duration> = rt.block_on(async {
        let mut trips = Vec::with_capacity(N);
        for _ in 0..N {
            let start = Instant::now();
            web.user_info(&token, &user).await.unwrap();
            trips.push(start.elapsed());
        }
        trips
    });
    let generation = median(times);
    let trip = median(trips);
    let fakes = trip.mul_f64(per_job);
    println!("\nper generation over {N} sequential jobs (in-memory backend, local fakes)");
    println!("  median generation          {generation:>10.2?}");
    println!("  HTTP calls to the fakes    {per_job:>10.1}");
    println!("  median loopback round trip {trip:>10.2?}");
    println!(
        "  the worker's own cost      {:>10.2?}  (generation - calls x round trip)",
        generation.saturating_sub(fakes)
    );
    c.final_summary();
}
