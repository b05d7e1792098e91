#!/usr/bin/env bash
# Prove that the tests keep Ansible's and Molecule's state in the checkout, not in the user's home.
#   scripts/check-home-clean.sh VENV [STAMP]
# 1. Molecule's prerun (ansible-compat) installs the collection under test into its cache directory. Run a Molecule
#    command that performs it (molecule syntax: no containers) with a throwaway HOME and fail when anything of
#    Ansible's or Molecule's appears there. Without the Makefile's ANSIBLE_HOME this finds
#    <HOME>/.ansible/collections/ansible_collections/redis_ops.
# 2. With STAMP (a file touched when make test started): fail when ~/.ansible/collections/ansible_collections/redis_ops
#    was created or refreshed after it, i.e. by this test run.
set -euo pipefail
venv=${1:?usage: check-home-clean.sh VENV [STAMP]}
stamp=${2:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
home=$(mktemp -d /tmp/redis-ops-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
log=$home.log
if ! HOME=$home ANSIBLE_COLLECTIONS_PATH="$repo/.build:$site" "$venv/bin/molecule" syntax -s default >"$log" 2>&1; then
  cat "$log"; rm -f "$log"; echo "home-check: molecule syntax failed" >&2; exit 1
fi
rm -f "$log"
left=$(cd "$home" && find . -mindepth 1 \( -path ./.ansible -o -path ./.cache/molecule -o -path ./.cache/ansible-compat \) -print)
if [ -n "$left" ]; then
  echo "home-check: a Molecule run wrote Ansible/Molecule state into the (throwaway) home directory:" >&2
  (cd "$home" && find ./.ansible ./.cache -maxdepth 4 2>/dev/null | head -20) >&2
  exit 1
fi
echo "home-check: molecule left nothing in a throwaway HOME (ANSIBLE_HOME=${ANSIBLE_HOME:-unset})"
if [ -n "$stamp" ]; then
  copy="$HOME/.ansible/collections/ansible_collections/redis_ops"
  if [ -e "$copy" ] && [ -n "$(find "$copy" -maxdepth 2 -newer "$stamp" -print -quit)" ]; then
    echo "home-check: this test run installed or refreshed $copy" >&2
    exit 1
  fi
  echo "home-check: this test run left nothing in ${copy%/redis_ops}"
fi
