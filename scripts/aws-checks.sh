#!/usr/bin/env bash
# Offline checks of the deployment, all of them things cfn-lint and `sam validate` cannot see:
#
#   1. the SAM template lints clean (cfn-lint, `sam validate --lint`);
#   2. every function packages into a Lambda bootstrap (`scripts/package`, FAST profile here:
#      `scripts/package` without FAST=1 builds what you deploy);
#   3. `sam build` works as the README runs it (x86_64) and puts, for every function, the very
#      bootstrap scripts/package measured into .aws-sam/build (it reuses that release build:
#      cargo finds everything fresh, so this costs seconds, not another build);
#   4. every fixture in events/ gets one `cargo lambda invoke` against those same bootstraps
#      (on moto, under cargo-lambda's Runtime API emulator), signed fresh with `switchboard
#      sign`, and the answer is checked; a placeholder signing secret answers 503.
#
# Needs .venv and moto (scripts/aws-env.sh: scripts/test sources it first).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

FUNCTIONS=(install oauth events commands admin worker webhooks connect options)
since() { echo "    ($(($(date +%s) - $1)) s)"; }

echo "--> cfn-lint template.yaml"
cfn-lint template.yaml
echo "--> sam validate --lint"
AWS_REGION="${AWS_REGION:-us-east-1}" sam validate --lint --template-file template.yaml

echo "--> package every function (cargo lambda build --release, FAST profile)"
# Exported rather than passed to scripts/package alone: `sam build` below must see the same
# profile settings, or cargo would rebuild everything with the fat-LTO profile.
# FAST: no LTO, opt-level 0 (the hot crates keep their opt-level 3 overrides), 256 codegen
# units. The packaging step was 816 s of a 29-minute CI run with thin LTO at opt-level s, and
# 618 s of a 33-minute cold run at opt-level 1; at 0 it took 431 s (docs/performance.md).
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_OPT_LEVEL=0
t=$(date +%s)
FAST=1 scripts/package
since "$t"

echo "--> sam build --parameter-overrides Architecture=x86_64 (as the README says)"
t=$(date +%s)
rm -rf .aws-sam
AWS_REGION="${AWS_REGION:-us-east-1}" sam build --parameter-overrides Architecture=x86_64 >/tmp/switchboard-sam-build.log 2>&1 || {
  cat /tmp/switchboard-sam-build.log >&2
  exit 1
}
for f in "${FUNCTIONS[@]}"; do
  logical="$(python3 -c 'import sys; n=sys.argv[1]; print({"oauth": "OAuth"}.get(n, n.capitalize()) + "Function")' "$f")"
  built=".aws-sam/build/$logical/bootstrap"
  if [ ! -x "$built" ]; then
    echo "sam build produced no executable $built" >&2
    exit 1
  fi
  # What is deployed is what is measured: byte for byte the bootstrap scripts/package sized.
  if ! cmp -s "$built" "target/lambda/$f/bootstrap"; then
    echo "$built differs from target/lambda/$f/bootstrap (what scripts/package measures)" >&2
    exit 1
  fi
  printf '    %-16s %8d bytes, same as scripts/package\n' "$logical" "$(stat -c %s "$built")"
done
since "$t"

echo "--> cargo lambda invoke of every fixture in events/ (the packaged bootstraps, on moto)"
t=$(date +%s)
scripts/invoke-fixtures.sh
since "$t"
