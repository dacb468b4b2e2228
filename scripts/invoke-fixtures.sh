#!/usr/bin/env bash
# One `cargo lambda invoke` of every fixture in events/, against the Lambda bootstraps that
# scripts/package built (what `sam build` deploys), so the fixtures, `switchboard sign` and the
# binaries' Lambda wiring stay working. The bootstraps run as on Lambda: AWS backend (moto,
# resources from switchboard-bootstrap), each function given only its own secret's ARN as
# template.yaml does, polling cargo-lambda's Runtime API emulator (`cargo lambda watch
# --only-lambda-apis`, which compiles nothing). Signed fixtures are copied and signed fresh;
# events/ is left untouched. One more events instance, with the template's placeholder signing
# secret, must answer a request signed with that placeholder 503.
#
# Needs moto (scripts/aws-env.sh) and target/lambda/<function>/bootstrap (scripts/package).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AWS_ENDPOINT_URL:?start moto first: scripts/aws-env.sh -- scripts/invoke-fixtures.sh}"
export PATH="$PWD/.venv/bin:$PATH"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for f in install oauth events commands admin worker options; do
  [ -x "target/lambda/$f/bootstrap" ] || { echo "no target/lambda/$f/bootstrap: run scripts/package" >&2; exit 1; }
done

# The CLI (sign) and bootstrap binaries; the test step has built their dependencies already.
cargo build -q --locked -p switchboard -p switchboard-bootstrap
cli=target/debug/switchboard

secret="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
client_id=1000000001.2000000002
# Resources on moto under a fresh prefix; the signing secret is stored where events and
# commands read it (SIGNING_SECRET_ARN), so the Secrets Manager path is what runs.
eval "$(target/debug/switchboard-bootstrap --prefix "inv-$$-$(date +%s)" \
  --signing-secret "$secret" --client-id "$client_id" \
  --client-secret "ci-client-secret-$(python3 -c 'import secrets; print(secrets.token_hex(8))')")"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" >"$work/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done

# start NAME BINARY [VAR=VALUE...]: the bootstrap polling the emulator as function NAME, with
# only the app-secret ARN template.yaml gives it.
start() {
  local name=$1 binary=$2
  shift 2
  env -u SIGNING_SECRET_ARN -u CLIENT_SECRET_ARN -u ADMIN_KEY_ARN \
    AWS_LAMBDA_FUNCTION_NAME="$name" AWS_LAMBDA_FUNCTION_VERSION=1 \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/$name" \
    RUST_LOG=warn "$@" "target/lambda/$binary/bootstrap" >>"$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}
start events events SIGNING_SECRET_ARN="$SIGNING_SECRET_ARN"
events_pid=$last_pid
start commands commands SIGNING_SECRET_ARN="$SIGNING_SECRET_ARN"
start install install SLACK_CLIENT_ID="$client_id" PUBLIC_BASE_URL=http://127.0.0.1:3000
start oauth oauth SLACK_CLIENT_ID="$client_id" PUBLIC_BASE_URL=http://127.0.0.1:3000 \
  CLIENT_SECRET_ARN="$CLIENT_SECRET_ARN" SLACK_API_URL=http://127.0.0.1:9/api
# No CRM is reached: the fixture's workspace is not installed on this backend.
start options options SIGNING_SECRET_ARN="$SIGNING_SECRET_ARN"
start worker worker CLIENT_SECRET_ARN="$CLIENT_SECRET_ARN" SLACK_CLIENT_ID="$client_id" \
  SLACK_API_URL=http://127.0.0.1:9/api

sign() { SLACK_SIGNING_SECRET="$2" "$cli" sign "$1" >/dev/null 2>&1; }

# check FUNCTION FIXTURE EXPECT: one invoke; EXPECT is a status code (HTTP functions) or
# `batch` (the worker's partial-batch answer).
failures=0
check() {
  local function=$1 fixture=$2 expect=$3 out
  if ! out="$(cargo lambda invoke "$function" --invoke-address 127.0.0.1 --invoke-port "$port" \
    --data-file "$fixture" 2>&1)"; then
    echo "    FAIL $function $(basename "$fixture"): invoke failed: $out" >&2
    failures=$((failures + 1))
    return
  fi
  if python3 - "$expect" "$out" <<'EOF'; then
import json, sys
expect, raw = sys.argv[1], sys.argv[2]
answer = json.loads(raw)
if expect == "batch":
    ok = answer.get("batchItemFailures") == []
elif expect.endswith("xx"):
    ok = str(answer.get("statusCode", "")).startswith(expect[0])
else:
    ok = str(answer.get("statusCode")) == expect
sys.exit(0 if ok else 1)
EOF
    printf '    ok   %-18s %-34s %s\n' "$function" "$(basename "$fixture")" "$expect"
  else
    echo "    FAIL $function $(basename "$fixture"): expected $expect, got: $out" >&2
    failures=$((failures + 1))
  fi
}

cp events/*.json "$work/"
for fixture in events-url-verification events-app-mention commands-followup-ping interactions-block-actions options-block-suggestion; do
  sign "$work/$fixture.json" "$secret"
done
cp events/events-url-verification.json "$work/placeholder-signed.json"
sign "$work/placeholder-signed.json" replace-me

check events "$work/events-url-verification.json" 200
check events "$work/events-app-mention.json" 200
check commands "$work/commands-followup-ping.json" 200
check commands "$work/interactions-block-actions.json" 200
# A workspace this backend does not serve: empty options, 200 (never an error to Slack).
check options "$work/options-block-suggestion.json" 200
check install "$work/install.json" 200
# An unknown state: refused before any call to Slack.
check oauth "$work/oauth-redirect.json" 4xx
check worker "$work/sqs-job.json" batch
# The events function again, now with the template's placeholder as its signing secret: a
# request signed with that placeholder is still refused, 503 (and one line in its log says why).
kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
start events events SLACK_SIGNING_SECRET=replace-me
check events "$work/placeholder-signed.json" 503

if [ "$failures" -gt 0 ]; then
  for log in "$work"/*.log; do
    echo "----- $(basename "$log")" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
fi
