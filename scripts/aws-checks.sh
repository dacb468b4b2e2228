#!/usr/bin/env bash
# Offline checks of the deployment: the SAM template lints clean with cfn-lint and
# `sam validate --lint`, and every function packages into a Lambda bootstrap (FAST profile in
# tests; `scripts/package` without FAST=1 builds what you deploy). Needs .venv (scripts/aws-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

echo "--> cfn-lint template.yaml"
cfn-lint template.yaml
echo "--> sam validate --lint"
AWS_REGION="${AWS_REGION:-us-east-1}" sam validate --lint --template-file template.yaml
echo "--> package every function (cargo lambda build --release)"
FAST=1 scripts/package
