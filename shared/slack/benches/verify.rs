//! Signature verification of a typical signed event body (the ingress floor: one HMAC).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue};
use slack::Verifier;

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW: i64 = 1_531_420_618;
const EVENT: &str = r#"{"token":"ZZZZZZWSxiZZZ2yIvs3peJ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U123ABC456","text":"What is the hour of the pearl, <@U0LAN0Z89>?","ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522.000016"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1515449522,"authorizations":[{"enterprise_id":null,"team_id":"T123ABC456","user_id":"U123ABC456","is_bot":false,"is_enterprise_install":false}],"is_ext_shared_channel":false,"context_team_id":"T123ABC456","context_enterprise_id":null}"#;

fn bench_verify(c: &mut Criterion) {
    let verifier = Verifier::new(SECRET).expect("non-empty secret");
    let mut headers = HeaderMap::new();
    headers.insert("x-slack-request-timestamp", HeaderValue::from(NOW));
    let signature = verifier.sign(NOW, EVENT.as_bytes());
    headers.insert(
        "x-slack-signature",
        HeaderValue::from_str(&signature).expect("hex is a valid header"),
    );
    assert!(verifier.verify_at(&headers, EVENT.as_bytes(), NOW).is_ok());

    c.bench_function("verify_event_body", |b| {
        b.iter(|| verifier.verify_at(black_box(&headers), black_box(EVENT.as_bytes()), NOW))
    });
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
