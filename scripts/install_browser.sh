#!/usr/bin/env bash
# Installs what the browser tests (tests/test_preview_browser.py) drive: Chromium from the
# system's packages (Debian/Ubuntu: apt-get). Playwright itself is a Python package of the
# `test` extra; its own browser download (`playwright install`) is never used.
# Exit 0 when a Chromium is there (already or now), 1 when none can be installed here.
set -euo pipefail

for candidate in "${OFFRES_CHROMIUM:-}" /usr/bin/chromium "$(command -v chromium || true)" \
                 "$(command -v chromium-browser || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "chromium: $candidate"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: no apt-get on this system; install Chromium and set OFFRES_CHROMIUM" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_browser: Chromium is missing; as root: apt-get install -y chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y chromium \
  || { apt-get update && apt-get install -y chromium; }
[ -x /usr/bin/chromium ] && echo "chromium: /usr/bin/chromium"
