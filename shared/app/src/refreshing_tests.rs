use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use tenant::Secret;

use super::*;
use crate::secrets::{BoxFuture, SourceError};

const START: u64 = 1_700_000_000;
const OLD: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const NEW: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(START),
        )))
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Clock::from_fn(move || *inner.lock().unwrap())
    }
}

/// A source whose signing secret the test sets, or makes fail; counts its reads.
#[derive(Default)]
struct Scripted {
    signing: Mutex<Option<String>>,
    failing: AtomicBool,
    reads: AtomicUsize,
}

impl Scripted {
    fn with(value: Option<&str>) -> Arc<Self> {
        let source = Self::default();
        *source.signing.lock().unwrap() = value.map(str::to_owned);
        Arc::new(source)
    }
    fn set(&self, value: &str) {
        *self.signing.lock().unwrap() = Some(value.to_owned());
    }
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl SecretSource for Scripted {
    fn read(&self) -> BoxFuture<'_, Result<SecretValues, SourceError>> {
        Box::pin(async move {
            self.reads.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                return Err("Secrets Manager is unreachable".into());
            }
            Ok(SecretValues {
                signing_secret: self.signing.lock().unwrap().clone().map(Secret::new),
                ..SecretValues::default()
            })
        })
    }
}

/// Stands in for the events handler: answers 200 with the secret it was built with.
struct Echo(String);

impl HttpHandler for Echo {
    async fn handle(&self, _req: HttpRequest) -> HttpResponse {
        http_io::text(StatusCode::OK, self.0.clone())
    }
}

fn base() -> SlackSettings {
    SlackSettings {
        signing_secret: None,
        ..SlackSettings::from_env()
    }
}

/// What each function's `main` builds: the handler only with a usable signing secret.
async fn gated(
    source: Arc<Scripted>,
    clock: &TestClock,
    builds: Arc<AtomicUsize>,
) -> Refreshing<Result<Echo, NotConfigured>> {
    Refreshing::start(
        base(),
        Some(source as Arc<dyn SecretSource>),
        clock.clock(),
        RefreshPolicy::default(),
        move |slack| {
            builds.fetch_add(1, Ordering::SeqCst);
            let built = slack.verifier().map(|_| {
                // The test reads back which secret the handler was built with.
                Echo(slack.signing_secret.clone().unwrap_or_default())
            });
            gate("test", built)
        },
    )
    .await
}

fn request() -> HttpRequest {
    http::Request::new(Bytes::from_static(b"payload"))
}

async fn answer(handler: &impl HttpHandler) -> (StatusCode, String) {
    let res = handler.handle(request()).await;
    (res.status(), res.into_body())
}

#[tokio::test]
async fn a_placeholder_or_missing_secret_answers_every_request_503() {
    let clock = TestClock::new();
    for value in [Some("replace-me"), None] {
        let handler = gated(Scripted::with(value), &clock, Arc::default()).await;
        for _ in 0..3 {
            let (status, body) = answer(&handler).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{value:?}");
            assert!(!body.contains("replace-me"), "{body}");
        }
    }
}

#[tokio::test]
async fn a_rotated_secret_is_used_within_max_age_and_not_read_before() {
    let clock = TestClock::new();
    let source = Scripted::with(Some(OLD));
    let builds = Arc::new(AtomicUsize::new(0));
    let handler = gated(source.clone(), &clock, builds.clone()).await;
    assert_eq!(answer(&handler).await, (StatusCode::OK, OLD.to_owned()));
    assert_eq!(source.reads(), 1, "read once at cold start");

    source.set(NEW);
    clock.advance(Duration::from_secs(299));
    assert_eq!(
        answer(&handler).await.1,
        OLD,
        "still within max_age: no read"
    );
    assert_eq!(source.reads(), 1);

    clock.advance(Duration::from_secs(1));
    assert_eq!(
        answer(&handler).await.1,
        NEW,
        "the first request after max_age"
    );
    assert_eq!((source.reads(), builds.load(Ordering::SeqCst)), (2, 2));

    // An unchanged value is re-read but does not rebuild the handler.
    clock.advance(Duration::from_secs(300));
    assert_eq!(answer(&handler).await.1, NEW);
    assert_eq!((source.reads(), builds.load(Ordering::SeqCst)), (3, 2));
}

#[tokio::test]
async fn a_placeholder_replaced_by_a_real_secret_starts_serving_without_a_cold_start() {
    let clock = TestClock::new();
    let source = Scripted::with(Some("replace-me"));
    let handler = gated(source.clone(), &clock, Arc::default()).await;
    assert_eq!(answer(&handler).await.0, StatusCode::SERVICE_UNAVAILABLE);
    source.set(NEW);
    clock.advance(RefreshPolicy::default().max_age);
    assert_eq!(answer(&handler).await, (StatusCode::OK, NEW.to_owned()));
}

#[tokio::test]
async fn a_failed_read_keeps_the_old_value_and_retries_after_the_pause() {
    let clock = TestClock::new();
    let source = Scripted::with(Some(OLD));
    let handler = gated(source.clone(), &clock, Arc::default()).await;
    source.failing.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(300));
    assert_eq!(
        answer(&handler).await.1,
        OLD,
        "an outage keeps the old value"
    );
    assert_eq!(source.reads(), 2);
    clock.advance(Duration::from_secs(29));
    answer(&handler).await;
    assert_eq!(source.reads(), 2, "no read storm during the outage");
    source.failing.store(false, Ordering::SeqCst);
    source.set(NEW);
    clock.advance(Duration::from_secs(1));
    assert_eq!(answer(&handler).await.1, NEW);
    assert_eq!(source.reads(), 3);
}

#[tokio::test]
async fn an_unreadable_secret_at_cold_start_answers_503_then_recovers() {
    let clock = TestClock::new();
    let source = Scripted::with(Some(OLD));
    source.failing.store(true, Ordering::SeqCst);
    let handler = gated(source.clone(), &clock, Arc::default()).await;
    assert_eq!(answer(&handler).await.0, StatusCode::SERVICE_UNAVAILABLE);
    source.failing.store(false, Ordering::SeqCst);
    clock.advance(RefreshPolicy::default().retry_after);
    assert_eq!(answer(&handler).await, (StatusCode::OK, OLD.to_owned()));
}

#[tokio::test]
async fn fixed_settings_are_never_re_read() {
    let clock = TestClock::new();
    let mut settings = base();
    settings.signing_secret = Some(OLD.into());
    let handler = Refreshing::start(
        settings,
        None,
        clock.clock(),
        RefreshPolicy::default(),
        |s| gate("test", s.verifier().map(|_| Echo("fixed".into()))),
    )
    .await;
    clock.advance(Duration::from_secs(3600));
    assert_eq!(answer(&handler).await, (StatusCode::OK, "fixed".to_owned()));
}
