#!/usr/bin/env bash
# Playwright cannot download its own browsers here (no network but the package registries), so the
# e2e tests use Debian's Chromium. Install it when missing (or set CHROMIUM_PATH).
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
exec "$(dirname "$0")/ensure-debian-package.sh" chromium chromium "needs root, about a minute"
