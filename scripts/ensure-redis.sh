#!/usr/bin/env bash
# The scale-out tests (several server processes sharing one swarm) start a real redis-server on a
# free loopback port. Installs Debian's redis-server package when missing and prints the binary's path.
set -euo pipefail
exec "$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server
