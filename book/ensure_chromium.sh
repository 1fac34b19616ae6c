#!/usr/bin/env bash
# Make sure Debian's chromium is installed at /usr/bin/chromium (headless browser tests).
# Idempotent: does nothing when it is already there. Runs `apt-get update` only when the
# package is not known to apt yet. Needs root (or sudo) and the Debian package mirror.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "ensure_chromium: $CHROMIUM present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: ERROR: $CHROMIUM is missing and apt-get is not available." >&2
    echo "  Install Chromium by hand, or set GEOMEM_SKIP_BROWSER=1 to skip the browser test." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure_chromium: ERROR: need root (or sudo) to apt-get install chromium." >&2
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
