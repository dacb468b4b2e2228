//! `switchboard sign FILE`: gives an API Gateway HTTP API (payload 2.0) event fixture a fresh
//! Slack signature, so `cargo lambda invoke --data-file events/…` passes verification (which
//! refuses timestamps more than five minutes old).
//!
//! The signature is computed over the body exactly as the function will see it: the decoded
//! bytes when API Gateway marked the body `isBase64Encoded`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use serde_json::{Map, Value};
use slack::Verifier;
use slack::verify::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use tenant::Secret;

use crate::clock;

/// `switchboard sign`
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// The event fixture to re-sign in place (e.g. events/events-app-mention.json).
    pub file: PathBuf,
    /// The environment variable (or `.env` entry) holding the Slack signing secret.
    #[arg(long, default_value = "SLACK_SIGNING_SECRET")]
    pub secret_env: String,
}

/// Why a fixture could not be signed. No variant carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{0} is not set: put the app's signing secret in the environment or in .env")]
    SecretUnset(String),
    #[error("the signing secret in {0} is not usable")]
    BadSecret(String, #[source] slack::VerifyError),
    #[error("could not read {}", .0.display())]
    Read(PathBuf, #[source] std::io::Error),
    #[error("{} is not JSON", .0.display())]
    NotJson(PathBuf, #[source] serde_json::Error),
    #[error("not an API Gateway HTTP API event: {0}")]
    NotAnEvent(&'static str),
    #[error("the body is marked isBase64Encoded but is not valid base64")]
    BadBase64(#[source] base64::DecodeError),
    #[error("could not write {}", .0.display())]
    Write(PathBuf, #[source] std::io::Error),
}

/// Reads the secret from `args.secret_env` and re-signs `args.file` at the current time.
pub fn run(args: &SignArgs) -> Result<(), SignError> {
    let secret = std::env::var(&args.secret_env)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(Secret::new)
        .ok_or_else(|| SignError::SecretUnset(args.secret_env.clone()))?;
    let verifier = Verifier::new(secret.expose())
        .map_err(|e| SignError::BadSecret(args.secret_env.clone(), e))?;
    sign_file(&args.file, &verifier, clock::now())
}

/// Re-signs the event in `path` at `now` and rewrites it as pretty JSON. The file is replaced
/// atomically, so a failure leaves the original intact.
pub fn sign_file(path: &Path, verifier: &Verifier, now: i64) -> Result<(), SignError> {
    let raw = std::fs::read(path).map_err(|e| SignError::Read(path.to_owned(), e))?;
    let mut event: Value =
        serde_json::from_slice(&raw).map_err(|e| SignError::NotJson(path.to_owned(), e))?;
    sign_event(&mut event, verifier, now)?;
    let mut pretty =
        serde_json::to_string_pretty(&event).map_err(|e| SignError::NotJson(path.to_owned(), e))?;
    pretty.push('\n');

    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "event.json".to_owned());
    let temp = path.with_file_name(format!(".{file_name}.signing"));
    let write_error = |e| SignError::Write(path.to_owned(), e);
    std::fs::write(&temp, pretty).map_err(write_error)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        write_error(e)
    })
}

/// The raw body bytes the function will verify: `body`, base64-decoded if so marked.
pub fn raw_body(event: &Value) -> Result<Vec<u8>, SignError> {
    let body = match event.get("body") {
        Some(Value::String(body)) => body,
        Some(Value::Null) | None => return Err(SignError::NotAnEvent("it has no body to sign")),
        Some(_) => return Err(SignError::NotAnEvent("its body is not a string")),
    };
    if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        BASE64.decode(body).map_err(SignError::BadBase64)
    } else {
        Ok(body.as_bytes().to_vec())
    }
}

/// Sets `x-slack-request-timestamp` to `now` and `x-slack-signature` over the raw body,
/// replacing any existing spelling of those headers, and moves `requestContext.timeEpoch` to
/// `now` so the event reads as one request.
pub fn sign_event(event: &mut Value, verifier: &Verifier, now: i64) -> Result<(), SignError> {
    let body = raw_body(event)?;
    let signature = verifier.sign(now, &body);
    let Some(object) = event.as_object_mut() else {
        return Err(SignError::NotAnEvent("it is not a JSON object"));
    };
    let headers = object
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(headers) = headers.as_object_mut() else {
        return Err(SignError::NotAnEvent("its headers are not an object"));
    };
    // Header names are case-insensitive; leave exactly one of each.
    headers.retain(|name, _| {
        !name.eq_ignore_ascii_case(TIMESTAMP_HEADER) && !name.eq_ignore_ascii_case(SIGNATURE_HEADER)
    });
    headers.insert(TIMESTAMP_HEADER.to_owned(), Value::String(now.to_string()));
    headers.insert(SIGNATURE_HEADER.to_owned(), Value::String(signature));

    if let Some(context) = object
        .get_mut("requestContext")
        .and_then(Value::as_object_mut)
    {
        if context.contains_key("timeEpoch") {
            context.insert("timeEpoch".to_owned(), Value::from(now * 1000));
        }
        if context.contains_key("time") {
            context.insert("time".to_owned(), Value::String(apigw_time(now)));
        }
    }
    Ok(())
}

/// API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`.
fn apigw_time(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss) = clock::civil(unix);
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    format!("{d:02}/{month}/{y:04}:{hh:02}:{mm:02}:{ss:02} +0000")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    use aws_lambda_events::sqs::SqsEvent;
    use http::HeaderMap;

    use super::*;

    /// The secret the committed fixtures are signed with (Slack's documented example secret).
    const FIXTURE_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const FIXTURE_TIMESTAMP: i64 = 1_531_420_618;

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
    }

    fn fixtures() -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(events_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
    }

    fn read(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The headers of an API Gateway event, as the function's `http::HeaderMap`.
    fn header_map(request: &ApiGatewayV2httpRequest) -> HeaderMap {
        request.headers.clone()
    }

    fn verifies(path: &Path, now: i64) -> Result<(), slack::VerifyError> {
        let event = read(path);
        let body = raw_body(&event).unwrap();
        let request: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
        Verifier::new(FIXTURE_SECRET)
            .unwrap()
            .verify_at(&header_map(&request), &body, now)
    }

    #[test]
    fn every_fixture_parses_as_the_lambda_event_it_stands_for() {
        let all = fixtures();
        assert!(all.len() >= 7, "fixtures missing: {all:?}");
        for path in all {
            let event = read(&path);
            if event.get("Records").is_some() {
                let sqs: SqsEvent = serde_json::from_value(event).unwrap();
                assert_eq!(sqs.records.len(), 1, "{}", path.display());
                let body = sqs.records[0].body.as_deref().unwrap();
                let job = tenant::JobEnvelope::from_json(body).unwrap();
                assert_eq!(job.kind, tenant::JobKind::Ping);
                assert_eq!(
                    job.to_json(),
                    body,
                    "the fixture is what JobEnvelope::to_json writes"
                );
            } else {
                let request: ApiGatewayV2httpRequest = serde_json::from_value(event)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(
                    request.version.as_deref(),
                    Some("2.0"),
                    "{}",
                    path.display()
                );
                assert_eq!(request.request_context.stage.as_deref(), Some("$default"));
                let method = request.request_context.http.method.as_str();
                let path_ = request.raw_path.as_deref().unwrap();
                assert_eq!(
                    request.route_key.as_deref(),
                    Some(format!("{method} {path_}").as_str())
                );
                assert!(
                    request
                        .headers
                        .keys()
                        .all(|k| k.as_str() == k.as_str().to_lowercase())
                );
            }
        }
    }

    #[test]
    fn committed_post_fixtures_are_signed_with_the_documented_fixture_secret() {
        let posts: Vec<PathBuf> = fixtures()
            .into_iter()
            .filter(|p| read(p).get("body").is_some_and(Value::is_string))
            .collect();
        assert!(posts.len() >= 4, "{posts:?}");
        for path in posts {
            assert_eq!(
                verifies(&path, FIXTURE_TIMESTAMP),
                Ok(()),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn signing_a_fixture_makes_it_verify_now_including_base64_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let verifier = Verifier::new(FIXTURE_SECRET).unwrap();
        for name in ["events-app-mention.json", "interactions-block-actions.json"] {
            let copy = dir.path().join(name);
            std::fs::copy(events_dir().join(name), &copy).unwrap();
            let now = clock::now();
            assert_eq!(
                verifies(&copy, now),
                Err(slack::VerifyError::Stale),
                "stale before"
            );

            sign_file(&copy, &verifier, now).unwrap();
            assert_eq!(verifies(&copy, now), Ok(()), "{name}");
            let signed = read(&copy);
            assert_eq!(signed["requestContext"]["timeEpoch"], now * 1000);
            assert_eq!(
                signed["body"],
                read(&events_dir().join(name))["body"],
                "body untouched"
            );
            let text = std::fs::read_to_string(&copy).unwrap();
            assert!(
                text.contains("\n  \"") && text.ends_with('\n'),
                "pretty JSON"
            );
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp file left"
        );
    }

    #[test]
    fn sign_replaces_headers_of_any_case_and_a_wrong_secret_does_not_verify() {
        let mut event = serde_json::json!({
            "body": "a=b",
            "headers": {"X-Slack-Signature": "v0=old", "X-Slack-Request-Timestamp": "1"},
        });
        sign_event(&mut event, &Verifier::new("other-secret").unwrap(), 100).unwrap();
        let headers = event["headers"].as_object().unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[TIMESTAMP_HEADER], "100");
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str().unwrap().parse().unwrap(),
            );
        }
        let fixture_verifier = Verifier::new(FIXTURE_SECRET).unwrap();
        assert_eq!(
            fixture_verifier.verify_at(&map, b"a=b", 100),
            Err(slack::VerifyError::Mismatch)
        );
    }

    #[test]
    fn events_without_a_string_body_or_with_bad_base64_are_refused() {
        let verifier = Verifier::new(FIXTURE_SECRET).unwrap();
        let mut get = read(&events_dir().join("install.json"));
        assert!(matches!(
            sign_event(&mut get, &verifier, 1),
            Err(SignError::NotAnEvent(_))
        ));
        let mut bad = serde_json::json!({"body": "***", "isBase64Encoded": true});
        assert!(matches!(
            sign_event(&mut bad, &verifier, 1),
            Err(SignError::BadBase64(_))
        ));
    }

    #[test]
    fn run_fails_clearly_when_the_secret_variable_is_unset() {
        let args = SignArgs {
            file: events_dir().join("events-app-mention.json"),
            secret_env: "SWITCHBOARD_TEST_SECRET_THAT_IS_NEVER_SET".to_owned(),
        };
        let err = run(&args).unwrap_err();
        assert!(matches!(err, SignError::SecretUnset(_)));
        assert!(
            err.to_string()
                .contains("SWITCHBOARD_TEST_SECRET_THAT_IS_NEVER_SET is not set")
        );
    }

    #[test]
    fn apigw_time_uses_the_api_gateway_format() {
        assert_eq!(apigw_time(FIXTURE_TIMESTAMP), "12/Jul/2018:18:36:58 +0000");
    }
}
