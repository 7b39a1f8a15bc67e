#!/usr/bin/env bash
# Playwright cannot download its own browsers here (no network but the package registries), so the
# e2e tests use Debian's Chromium. Install it when missing; the machine runs as root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "Chromium is missing: installing Debian's chromium package (needs root, about a minute)..."
if [ "$(id -u)" -ne 0 ]; then
  echo "error: not root. Install Chromium yourself (apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
command -v chromium
