#!/usr/bin/env bash
# Make sure a Chromium is available for the headless browser test (tests/test_browser.py).
#
# - GEOMEM_SKIP_BROWSER=1: nothing to do (the test skips, saying so).
# - GEOMEM_CHROMIUM=/path/to/chromium (or Chrome): used as is; an error if it is not executable.
# - /usr/bin/chromium present: nothing to do.
# - otherwise, where apt-get exists (Debian, Ubuntu, CI): installs Debian's chromium (root or sudo).
# - otherwise (macOS, no apt-get): says that the browser test will be skipped and how to run it;
#   exits 0, so that `make test` runs everything else.
# Idempotent. Runs `apt-get update` only when the package is not known to apt yet.
set -euo pipefail

if [ "${GEOMEM_SKIP_BROWSER:-}" = "1" ]; then
    echo "ensure_chromium: GEOMEM_SKIP_BROWSER=1: the browser test is skipped"
    exit 0
fi

if [ -n "${GEOMEM_CHROMIUM:-}" ]; then
    if [ -x "$GEOMEM_CHROMIUM" ]; then
        echo "ensure_chromium: using GEOMEM_CHROMIUM=$GEOMEM_CHROMIUM"
        exit 0
    fi
    echo "ensure_chromium: ERROR: GEOMEM_CHROMIUM=$GEOMEM_CHROMIUM is not an executable file." >&2
    exit 1
fi

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "ensure_chromium: $CHROMIUM present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no $CHROMIUM and no apt-get: the browser test will be SKIPPED."
    echo "  To run it, point GEOMEM_CHROMIUM at a Chromium or Chrome binary, e.g."
    echo "  GEOMEM_CHROMIUM=\"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome\" make test"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure_chromium: ERROR: need root (or sudo) to apt-get install chromium." >&2
        echo "  Or set GEOMEM_CHROMIUM=/path/to/chromium, or GEOMEM_SKIP_BROWSER=1 to skip the browser test." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Update the package lists only if apt does not know a chromium candidate yet.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "ensure_chromium: apt-get update"
    $SUDO apt-get update -q || { echo "ensure_chromium: ERROR: apt-get update failed (no access to the Debian mirror?)" >&2; exit 1; }
fi

echo "ensure_chromium: apt-get install chromium (about a minute)"
if ! $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; then
    echo "ensure_chromium: ERROR: apt-get install chromium failed." >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure_chromium: ERROR: installed the package but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null)"
