#!/usr/bin/env bash
# The char-lm task's text: Jane Austen's novels from Debian's r-cran-janeaustenr package, unpacked
# under .data/sources/ without installing R (apt-get download + dpkg-deb -x; no dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
target=.data/sources/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb
if [ -f /usr/lib/R/site-library/janeaustenr/data/Rdata.rdb ] || [ -f "$target" ]; then
  echo "austen: text present"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && (apt-get download r-cran-janeaustenr >/dev/null 2>&1 || (apt-get update -qq && apt-get download r-cran-janeaustenr)))
mkdir -p .data/sources
dpkg-deb -x "$tmp"/r-cran-janeaustenr_*.deb .data/sources
test -f "$target"
echo "austen: unpacked into .data/sources"
