#!/usr/bin/env bash
# Local AWS for tests: a Python venv with the dev tools, and moto_server on 127.0.0.1.
#
#   source scripts/aws-env.sh        # in a script or shell: exports AWS_* and stops moto on exit
#   scripts/aws-env.sh -- CMD ARGS   # runs CMD with the environment set, then stops moto
#
# Exports AWS_ENDPOINT_URL (moto), dummy AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
# AWS_REGION=us-east-1, MOTO_PID, and puts .venv/bin on PATH (cfn-lint, sam, cargo-lambda).
# The venv is created and requirements-dev.txt installed only when something is missing, so
# a second run costs a fraction of a second. Set SWITCHBOARD_SKIP_MOTO=1 to only set up the
# venv. Nothing here reaches beyond the package registries and 127.0.0.1.

_sb_aws_env() {
    local root venv req stamp
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="$root/.venv"
    req="$root/requirements-dev.txt"
    stamp="$venv/.requirements-dev.sha256"

    # Install only when the venv is missing or requirements-dev.txt changed since the last
    # successful install (its hash is the stamp).
    local want
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" || return 1
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "aws-env: installing $(basename "$req") into .venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" || return 1
        echo "$want" >"$stamp"
    fi
    export PATH="$venv/bin:$PATH"
    export SAM_CLI_TELEMETRY=0

    [ "${SWITCHBOARD_SKIP_MOTO:-0}" = "1" ] && return 0

    # A free loopback port: bind port 0 and read what the kernel chose.
    local port
    port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" || return 1
    local log="${TMPDIR:-/tmp}/switchboard-moto-$port.log"
    # moto with one request at a time, as atomic as the services it fakes (see the script).
    "$venv/bin/python" "$root/scripts/moto-server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    MOTO_PID=$!
    export MOTO_PID

    # Wait (at most ~30 s) until moto answers HTTP.
    local i ready=0
    for i in $(seq 1 150); do
        if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
            ready=1
            break
        fi
        if ! kill -0 "$MOTO_PID" 2>/dev/null; then
            echo "aws-env: moto_server exited; see $log" >&2
            return 1
        fi
        sleep 0.2
    done
    if [ "$ready" != 1 ]; then
        echo "aws-env: moto_server did not answer on 127.0.0.1:$port; see $log" >&2
        kill "$MOTO_PID" 2>/dev/null
        return 1
    fi

    export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
    export AWS_ACCESS_KEY_ID="testing"
    export AWS_SECRET_ACCESS_KEY="testing"
    export AWS_SESSION_TOKEN="testing"
    export AWS_REGION="us-east-1"
    export AWS_DEFAULT_REGION="us-east-1"
    # Never read a developer's real profile or config while pointed at moto.
    export AWS_CONFIG_FILE=/dev/null
    export AWS_SHARED_CREDENTIALS_FILE=/dev/null
    export AWS_EC2_METADATA_DISABLED=true

    # Stop moto when the shell that sourced this exits (chaining any EXIT trap already set).
    # The trap keeps the script's own exit status: under `set -e`, a bare `wait` on the killed
    # server (status 143) would otherwise turn a green run into a failure.
    local previous
    previous="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT\$/\\1/")"
    # shellcheck disable=SC2064
    trap "_sb_status=\$?; kill $MOTO_PID 2>/dev/null || true; wait $MOTO_PID 2>/dev/null || true; ${previous:-:}; exit \$_sb_status" EXIT
    echo "aws-env: moto_server on $AWS_ENDPOINT_URL (pid $MOTO_PID)" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Executed, not sourced: set up, then run the command after `--` (if any).
    set -euo pipefail
    _sb_aws_env
    [ "${1:-}" = "--" ] && shift
    if [ "$#" -gt 0 ]; then
        "$@"
    fi
else
    _sb_aws_env
fi
