//! Latency of the two writes on the ingress path on the SQLite backend: a ledger claim (event
//! dedupe) and an enqueue. Criterion reports the mean/median per call; afterwards a plain loop
//! of single calls prints the median and p99, the figures the design's targets are stated in.
//!
//! `cargo bench -p switchboard-local --bench store`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use local::LocalBackend;
use tenant::Backend;
use tenant::ports::LedgerKey;
use tenant::testkit::{random_tenant, sample_job};

const LEASE: Duration = Duration::from_secs(30);
const TTL: Duration = Duration::from_secs(3600);

struct Fixture {
    _dir: tempfile::TempDir,
    backend: Backend,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = LocalBackend::open(dir.path()).expect("open").backend();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    Fixture {
        _dir: dir,
        backend,
        rt,
    }
}

fn claim(f: &Fixture, tenant: &tenant::TenantId, n: u64) {
    // A fresh event id each time: the path of a first delivery (insert + commit).
    let key = LedgerKey::Event(format!("Ev{n}"));
    let claimed =
        f.rt.block_on(
            f.backend
                .ledger
                .claim(tenant, &key, SystemTime::now(), LEASE, TTL),
        );
    black_box(claimed.expect("claim"));
}

fn enqueue(f: &Fixture, job: &tenant::JobEnvelope) {
    f.rt.block_on(f.backend.queue.enqueue(job))
        .expect("enqueue");
}

fn criterion_benches(c: &mut Criterion) {
    let f = fixture();
    let tenant = random_tenant();
    let mut n = 0_u64;
    c.bench_function("sqlite ledger claim (new event)", |b| {
        b.iter(|| {
            n += 1;
            claim(&f, &tenant, n);
        })
    });
    let job = sample_job(&tenant);
    c.bench_function("sqlite enqueue", |b| b.iter(|| enqueue(&f, &job)));
}

/// Median and p99 of `count` single calls, after a warm-up.
fn percentiles(name: &str, count: usize, mut call: impl FnMut(u64)) {
    for i in 0..1000 {
        call(u64::MAX - i);
    }
    let mut samples: Vec<Duration> = (0..count as u64)
        .map(|i| {
            let start = Instant::now();
            call(i);
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{name:<36} n={count} median={:?} p99={:?} max={:?}",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();

    let f = fixture();
    let tenant = random_tenant();
    percentiles("sqlite ledger claim (new event)", 20_000, |n| {
        claim(&f, &tenant, n)
    });
    let job = sample_job(&tenant);
    percentiles("sqlite enqueue", 20_000, |_| enqueue(&f, &job));
}
