//! Real TLS through both of Switchboard's HTTP clients, on 127.0.0.1.
//!
//! Every other test talks plain HTTP to local fakes, so this is the one place the TLS stack the
//! Lambda packages ship is exercised: rustls on `ring` under reqwest (the Slack Web API client,
//! built without a bundled crypto provider) and under the AWS SDK's hyper client
//! (`aws::https_client`, the SDK crates built without their default aws-lc client). A local
//! HTTPS server presents a certificate made for this run; the clients trust it only because
//! `SSL_CERT_FILE` names it, which is how both read the system's roots on Linux. A second
//! server with a certificate nobody trusts must be refused by both.
//!
//! One test in its own binary: it sets `SSL_CERT_FILE` for the process before any client
//! exists.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use slack::{Message, SlackApiError, WebApi};
use tenant::{ChannelId, Secret};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A TCP listener that completes a TLS handshake before handing the stream to axum. A failed
/// handshake (a client that refuses the certificate) is counted and skipped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    failed_handshakes: Arc<AtomicUsize>,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            match self.acceptor.accept(tcp).await {
                Ok(tls) => return (tls, addr),
                Err(_) => {
                    self.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A self-signed certificate for 127.0.0.1 and its PEM.
struct Identity {
    config: Arc<rustls::ServerConfig>,
    cert_pem: String,
}

fn identity() -> Identity {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("a self-signed certificate");
    let cert_der = certified.cert.der().clone();
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .expect("a PKCS#8 key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .expect("a server config");
    Identity {
        config: Arc::new(config),
        cert_pem: certified.cert.pem(),
    }
}

/// What the HTTPS server saw.
#[derive(Clone, Default)]
struct Seen {
    slack_calls: Arc<AtomicUsize>,
    sqs_calls: Arc<AtomicUsize>,
    failed_handshakes: Arc<AtomicUsize>,
}

/// An HTTPS server on a free loopback port with a fake chat.postMessage and a fake SQS
/// ListQueues (the JSON protocol: `X-Amz-Target: AmazonSQS.ListQueues`).
async fn https_server(config: Arc<rustls::ServerConfig>) -> (String, Seen) {
    let seen = Seen::default();
    let tcp = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("https://{}", tcp.local_addr().expect("its address"));
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(config),
        failed_handshakes: seen.failed_handshakes.clone(),
    };
    let slack = seen.slack_calls.clone();
    let sqs = seen.sqs_calls.clone();
    let app = Router::new()
        .route(
            "/api/chat.postMessage",
            post(move || async move {
                slack.fetch_add(1, Ordering::SeqCst);
                axum::Json(
                    serde_json::json!({"ok": true, "channel": "C0TLS", "ts": "1700000000.000100"}),
                )
            }),
        )
        .route(
            "/",
            post(move |headers: HeaderMap| async move {
                let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
                assert_eq!(target, Some("AmazonSQS.ListQueues"));
                let signed = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
                assert!(signed, "the SDK signs its requests");
                sqs.fetch_add(1, Ordering::SeqCst);
                (
                    [("content-type", "application/x-amz-json-1.0")],
                    r#"{"QueueUrls":["https://127.0.0.1/000000000000/jobs"]}"#,
                )
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, seen)
}

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tls-test"))
        .http_client(aws::https_client())
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

fn message() -> Message {
    Message {
        channel: Some(ChannelId::parse("C0TLS").expect("a channel id")),
        text: "over TLS".to_owned(),
        ..Message::default()
    }
}

#[tokio::test]
async fn slack_and_aws_clients_speak_tls_on_ring_and_refuse_an_untrusted_certificate() {
    let trusted = identity();
    let untrusted = identity();
    let roots = tempfile::NamedTempFile::new().expect("a temp file");
    std::fs::write(roots.path(), &trusted.cert_pem).expect("the trusted root written");
    // SAFETY: this binary's only test sets these before it starts a client or a server; the
    // tokio test runtime is single-threaded and nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", roots.path());
        std::env::remove_var("SSL_CERT_DIR");
    }

    let (base, seen) = https_server(trusted.config).await;
    let token = Secret::new("xoxb-tls-test");

    // The Slack client (reqwest, rustls on ring).
    let web = WebApi::new(&format!("{base}/api"), &base).expect("a Web API client");
    let posted = web
        .post_message(&token, &message())
        .await
        .expect("posted over TLS");
    assert_eq!(posted.ts, "1700000000.000100");
    assert_eq!(seen.slack_calls.load(Ordering::SeqCst), 1);

    // The AWS SDK client (hyper, rustls on ring).
    let queues = sqs_client(&base)
        .list_queues()
        .send()
        .await
        .expect("ListQueues over TLS");
    assert_eq!(queues.queue_urls().len(), 1);
    assert_eq!(seen.sqs_calls.load(Ordering::SeqCst), 1);
    assert_eq!(seen.failed_handshakes.load(Ordering::SeqCst), 0);

    // A server whose certificate is not among the roots: both clients refuse it, and no request
    // reaches its handlers.
    let (other, other_seen) = https_server(untrusted.config).await;
    let web = WebApi::new(&format!("{other}/api"), &other).expect("a Web API client");
    let refused = web.post_message(&token, &message()).await;
    assert!(
        matches!(refused, Err(SlackApiError::Transport(_))),
        "an untrusted certificate must fail the connection, got {refused:?}"
    );
    let refused = sqs_client(&other).list_queues().send().await;
    assert!(
        refused.is_err(),
        "the SDK must refuse an untrusted certificate"
    );
    assert_eq!(other_seen.slack_calls.load(Ordering::SeqCst), 0);
    assert_eq!(other_seen.sqs_calls.load(Ordering::SeqCst), 0);
    assert!(other_seen.failed_handshakes.load(Ordering::SeqCst) >= 2);
}
