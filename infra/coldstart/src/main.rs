//! Cold-start benchmark for the function binaries.
//!
//! For each binary it starts a minimal Lambda Runtime API on 127.0.0.1 (the two routes a
//! runtime uses: `GET /2018-06-01/runtime/invocation/next` and
//! `POST /2018-06-01/runtime/invocation/{id}/response`), execs the binary as Lambda would
//! (`AWS_LAMBDA_RUNTIME_API`, function name, memory size, the AWS backend's settings pointed at
//! an address nothing listens on, so that any network call at init would show), hands it one
//! event that needs no network (url_verification, ssl_check, an SQS batch with one undecodable
//! record, the install page and admin API without credentials configured, a cancelled OAuth
//! redirect), and measures the time from exec to the response, the peak RSS (`VmHWM`) then, and
//! the binary's size. Each binary runs `--runs` times; the table shows the median and the worst.
//!
//! ```sh
//! cargo lambda build --release --bins   # or scripts/package
//! cargo run -p switchboard-coldstart --release -- --dir target/lambda events commands worker
//! # with Lambda's trust-store layout (one PEM bundle) rather than this machine's
//! cargo run -p switchboard-coldstart --release -- --trust-store /etc/ssl/certs/ca-certificates.crt events
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use tokio::sync::mpsc;

/// 32+ characters: the functions refuse shorter (or placeholder) signing secrets with 503.
const SECRET: &str = "coldstart-signing-secret-0123456789";

struct Runtime {
    event: String,
    handed_out: AtomicBool,
    done: mpsc::Sender<String>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
    if rt.handed_out.swap(true, Ordering::SeqCst) {
        // One invocation per cold start: park the runtime's next poll until we kill it.
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        "lambda-runtime-aws-request-id",
        "coldstart-1".parse().unwrap(),
    );
    let deadline = std::time::SystemTime::now() + Duration::from_secs(30);
    let ms = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    headers.insert(
        "lambda-runtime-deadline-ms",
        ms.to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:coldstart"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    (headers, rt.event.clone())
}

async fn response(
    State(rt): State<Arc<Runtime>>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> &'static str {
    let _ = rt.done.send(body).await;
    "{}"
}

async fn error(
    State(rt): State<Arc<Runtime>>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> &'static str {
    let _ = rt.done.send(format!("ERROR {body}")).await;
    "{}"
}

/// The one event each function gets: work that completes without any network call.
fn event_for(binary: &str) -> String {
    let verifier = slack::Verifier::new(SECRET).expect("secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let get = |path: &str, query: &str| {
        serde_json::json!({
            "version": "2.0",
            "routeKey": format!("GET {path}"),
            "rawPath": path,
            "rawQueryString": query,
            "headers": {"accept": "text/html"},
            "requestContext": {
                "accountId": "000000000000", "apiId": "coldstart", "domainName": "coldstart.local",
                "domainPrefix": "coldstart", "requestId": "cold-1", "routeKey": format!("GET {path}"),
                "stage": "$default", "time": "24/Nov/2026:00:00:00 +0000", "timeEpoch": now * 1000,
                "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "Mozilla/5.0"}
            },
            "isBase64Encoded": false
        })
        .to_string()
    };
    let apigw = |path: &str, body: &str, content_type: &str| {
        serde_json::json!({
            "version": "2.0",
            "routeKey": format!("POST {path}"),
            "rawPath": path,
            "rawQueryString": "",
            "headers": {
                "content-type": content_type,
                "x-slack-request-timestamp": now.to_string(),
                "x-slack-signature": verifier.sign(now, body.as_bytes()),
            },
            "requestContext": {
                "accountId": "000000000000", "apiId": "coldstart", "domainName": "coldstart.local",
                "domainPrefix": "coldstart", "requestId": "cold-1", "routeKey": format!("POST {path}"),
                "stage": "$default", "time": "24/Nov/2026:00:00:00 +0000", "timeEpoch": now * 1000,
                "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "Slackbot 1.0"}
            },
            "body": body,
            "isBase64Encoded": false
        })
        .to_string()
    };
    match binary {
        "events" => apigw(
            "/slack/events",
            r#"{"token":"x","challenge":"coldstart","type":"url_verification"}"#,
            "application/json",
        ),
        "commands" => apigw(
            "/slack/commands",
            "ssl_check=1&token=x",
            "application/x-www-form-urlencoded",
        ),
        "worker" => serde_json::json!({"Records": [{
            "messageId": "cold-1", "receiptHandle": "r", "body": "not a job",
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:jobs", "awsRegion": "us-east-1"
        }]})
        .to_string(),
        // No OAuth client configured here: the install page answers "not configured" without
        // touching storage. The cancelled-install page and the admin API without a key likewise.
        "install" => get("/slack/install", ""),
        "oauth" => get("/slack/oauth_redirect", "error=access_denied&state=x"),
        "admin" => get("/admin/tenants", ""),
        // No registration named: refused (401) before any storage is read.
        "webhooks" => apigw("/webhooks/fathom", "{}", "application/json"),
        // No link key or Google client here: "not configured", without touching storage.
        "connect" => get("/connect/google", "link=x"),
        // Unsigned: refused (401) before any storage or CRM is reached.
        "options" => apigw(
            "/slack/options",
            "payload=%7B%7D",
            "application/x-www-form-urlencoded",
        ),
        other => panic!("no cold-start event for {other}"),
    }
}

struct Run {
    elapsed: Duration,
    peak_rss_kib: u64,
    answer: String,
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Where the child finds its TLS trust roots. `System` leaves it to the platform probe: here
/// Debian's layout, the bundle plus `/etc/ssl/certs` with one file per root, so each loader
/// (the AWS SDK's client and `tls::client_config`) reads about 150 files at init. `Bundle`
/// mimics Amazon Linux 2023, what Lambda runs: `SSL_CERT_FILE` is the bundle, and
/// `SSL_CERT_DIR` a directory holding a link to it (skipped: already read) and one more full
/// copy, standing in for `/etc/pki/tls/certs/ca-bundle.trust.crt` (the trust-flagged twin of
/// the bundle, which the loader also reads).
enum TrustStore {
    System,
    Bundle { file: PathBuf, dir: PathBuf },
}

impl TrustStore {
    fn bundle(file: PathBuf) -> Self {
        let dir = std::env::temp_dir().join(format!("coldstart-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let file = std::fs::canonicalize(&file)
            .unwrap_or_else(|e| panic!("trust store {}: {e}", file.display()));
        let _ = std::os::unix::fs::symlink(&file, dir.join("ca-bundle.crt"));
        std::fs::copy(&file, dir.join("ca-bundle.trust.crt")).expect("copy of the bundle");
        TrustStore::Bundle { file, dir }
    }

    fn apply(&self, command: &mut tokio::process::Command) {
        if let TrustStore::Bundle { file, dir } = self {
            command.env("SSL_CERT_FILE", file).env("SSL_CERT_DIR", dir);
        }
    }
}

impl Drop for TrustStore {
    fn drop(&mut self) {
        if let TrustStore::Bundle { dir, .. } = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn run_once(binary: &Path, name: &str, trust: &TrustStore) -> Run {
    let (tx, mut rx) = mpsc::channel(1);
    let rt = Arc::new(Runtime {
        event: event_for(name),
        handed_out: AtomicBool::new(false),
        done: tx,
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .with_state(rt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let data_dir = std::env::temp_dir().join(format!("coldstart-{name}-{}", std::process::id()));
    let start = Instant::now();
    let mut command = tokio::process::Command::new(binary);
    trust.apply(command.env_clear());
    let mut child = command
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "coldstart")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "coldstart")
        .env("AWS_SECRET_ACCESS_KEY", "coldstart")
        // Nothing listens here: a network call at init would fail or hang visibly.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("TABLE_NAME", "coldstart")
        .env("AUDIT_TABLE_NAME", "coldstart-audit")
        .env("QUEUE_URL", "http://127.0.0.1:9/000000000000/coldstart")
        .env("KMS_KEY_ID", "alias/coldstart")
        .env("AUDIT_KEY_ID", "alias/coldstart-audit")
        .env("SECRET_PREFIX", "coldstart")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SWITCHBOARD_DATA_DIR", &data_dir)
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot exec {}: {e}", binary.display()));
    let answer = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "NO RESPONSE".into());
    let elapsed = start.elapsed();
    let peak = child.id().map(peak_rss_kib).unwrap_or(0);
    let _ = child.kill().await;
    server.abort();
    let _ = std::fs::remove_dir_all(&data_dir);
    Run {
        elapsed,
        peak_rss_kib: peak,
        answer,
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: coldstart [--runs N] [--dir DIR] [--trust-store PEM_BUNDLE] BINARY...   (DIR/BINARY/bootstrap or DIR/BINARY)"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut runs, mut dir, mut names) = (20usize, PathBuf::from("target/lambda"), Vec::new());
    let mut trust = TrustStore::System;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--dir" => dir = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--trust-store" => {
                trust =
                    TrustStore::bundle(args.next().map(PathBuf::from).unwrap_or_else(|| usage()))
            }
            "-h" | "--help" => usage(),
            _ => names.push(arg),
        }
    }
    if names.is_empty() {
        usage();
    }
    println!(
        "| function | binary (MiB) | zip (MiB) | cold start median | worst of {runs} | peak RSS (MiB) |"
    );
    println!("|---|---|---|---|---|---|");
    for name in names {
        let bootstrap = dir.join(&name).join("bootstrap");
        let binary = if bootstrap.exists() {
            bootstrap
        } else {
            dir.join(&name)
        };
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        let zip = std::fs::metadata(dir.join(&name).join("bootstrap.zip"))
            .map(|m| m.len())
            .ok();
        let mut results = Vec::with_capacity(runs);
        for _ in 0..runs {
            results.push(run_once(&binary, &name, &trust).await);
        }
        if let Some(bad) = results
            .iter()
            .find(|r| r.answer.starts_with("ERROR") || r.answer == "NO RESPONSE")
        {
            eprintln!("{name}: bad answer: {}", bad.answer);
            std::process::exit(1);
        }
        results.sort_by_key(|r| r.elapsed);
        let peak = results.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "| {name} | {:.2} | {} | {:.1} ms | {:.1} ms | {:.1} |",
            mib(size),
            zip.map(|z| format!("{:.2}", mib(z)))
                .unwrap_or_else(|| "-".into()),
            results[results.len() / 2].elapsed.as_secs_f64() * 1e3,
            results[results.len() - 1].elapsed.as_secs_f64() * 1e3,
            peak as f64 / 1024.0
        );
    }
}
