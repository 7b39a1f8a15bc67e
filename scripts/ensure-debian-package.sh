#!/usr/bin/env bash
# Usage: ensure-debian-package.sh COMMAND PACKAGE [WHY]
# Tests that need a real service (Chromium, coturn, redis-server) install it themselves: the network
# here reaches only the npm registry and Debian's packages, and the machine runs as root. Installs
# PACKAGE with apt-get when COMMAND is not on the PATH (nor in /usr/sbin, /usr/bin); prints its path.
set -euo pipefail
cmd="$1"
pkg="$2"
why="${3:-}"
find_cmd() {
  command -v "$cmd" 2>/dev/null || { for d in /usr/bin /usr/sbin /usr/local/bin; do [ -x "$d/$cmd" ] && { echo "$d/$cmd"; return 0; }; done; return 1; }
}
if find_cmd; then
  exit 0
fi
echo "$cmd is missing: installing Debian's $pkg package${why:+ ($why)}..." >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "error: not root. Install it yourself: apt-get install $pkg" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Two test set-ups may install at once: apt's own lock makes the second wait, not fail.
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$pkg" >/dev/null
find_cmd
