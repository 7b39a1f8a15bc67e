#!/usr/bin/env bash
# The relay-only e2e test (e2e/turn.spec.ts) starts a real TURN server: coturn's `turnserver`.
# Installs Debian's coturn package when missing and prints the binary's path. Installing does not
# start the system service (the test runs its own turnserver on a free loopback port).
set -euo pipefail
exec "$(dirname "$0")/ensure-debian-package.sh" turnserver coturn
