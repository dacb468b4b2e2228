#!/usr/bin/env bash
# A real browser for the browser tests: Debian's Chromium and its WebDriver, and a colour emoji
# font so the demo's screenshot shows the app's emoji (✅, ⏳) instead of empty boxes.
#
#   source scripts/browser-env.sh        # in a script or shell: exports CHROMEDRIVER (and CHROME)
#   scripts/browser-env.sh -- CMD ARGS   # runs CMD with them set, e.g.
#   scripts/browser-env.sh -- cargo test -p switchboard-tests --test browser
#
# Installs the `chromium` and `chromium-driver` packages with apt-get only when a binary is
# missing (apt-get update first, quietly), so a second run costs nothing. Needs root (or sudo)
# for that one install. The test itself starts chromedriver on a free 127.0.0.1 port and drives
# headless Chromium; nothing here reaches beyond the Debian mirrors.

_sb_browser_env() {
    local emoji=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
    if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ] || [ ! -f "$emoji" ]; then
        local sudo=""
        if [ "$(id -u)" != 0 ]; then
            if command -v sudo >/dev/null 2>&1; then
                sudo="sudo"
            else
                echo "browser-env: chromium/chromium-driver/fonts-noto-color-emoji missing and not root; install them" >&2
                return 1
            fi
        fi
        echo "browser-env: installing chromium, chromium-driver and an emoji font with apt-get" >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver fonts-noto-color-emoji >/dev/null || return 1
    fi
    export CHROMEDRIVER=/usr/bin/chromedriver
    export CHROME=/usr/bin/chromium
    echo "browser-env: $("$CHROMEDRIVER" --version 2>/dev/null | head -n1)" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Executed, not sourced: set up, then run the command after `--` (if any).
    set -euo pipefail
    _sb_browser_env
    [ "${1:-}" = "--" ] && shift
    if [ "$#" -gt 0 ]; then
        "$@"
    fi
else
    _sb_browser_env
fi
