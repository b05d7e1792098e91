#!/usr/bin/env bash
# Install the Debian packages of the given groups (requirements/debian.txt) that are missing.
#   scripts/debian-deps.sh servers containers ...
# Quiet when everything is there; apt-get update runs only when something must be installed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
list="$repo/requirements/debian.txt"
[ $# -gt 0 ] || { echo "usage: debian-deps.sh GROUP..." >&2; exit 2; }
missing=()
for group in "$@"; do
  rows=$(awk -v g="$group" '!/^#/ && NF >= 2 && $2 == g' "$list")
  [ -n "$rows" ] || { echo "debian-deps: no group '$group' in $list" >&2; exit 2; }
  while read -r package _ commands; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' && continue
    # A package whose commands are all on PATH counts as present (e.g. Node.js and npm from another source).
    if [ -n "$commands" ]; then
      found=1
      for c in $commands; do command -v "$c" >/dev/null || { found=0; break; }; done
      [ "$found" = 1 ] && continue
    fi
    missing+=("$package")
  done <<<"$rows"
done
[ ${#missing[@]} -gt 0 ] || exit 0
command -v apt-get >/dev/null || { echo "debian-deps: missing ${missing[*]}, and no apt-get to install them" >&2; exit 1; }
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "debian-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
