#!/usr/bin/env bash
# Build the collection artifact and prove it ships the collection and nothing of the
# development tree (tests, molecule, CI, venvs, build output).
set -euo pipefail
galaxy=${1:?usage: check-build.sh ANSIBLE_GALAXY}
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/.build/dist"
rm -rf "$out" && mkdir -p "$out"
cd "$repo"
"$galaxy" collection build --force --output-path "$out" . >/dev/null
artifact=$(ls "$out"/redis_ops-replication-*.tar.gz)
listing=$(tar -tzf "$artifact")
for required in MANIFEST.json FILES.json README.md LICENSE meta/runtime.yml \
    plugins/modules/replicaof.py plugins/modules/sentinel_monitor.py plugins/modules/replication_facts.py \
    plugins/module_utils/redis_common.py plugins/doc_fragments/connection.py \
    monitoring/prometheus/redis_ops.rules.yml; do
  grep -qx "$required" <<<"$listing" || { echo "artifact lacks $required"; exit 1; }
done
if forbidden=$(grep -E '^(tests|molecule|bench|scripts|requirements|\.ci|\.build|\.venv[^/]*|\.git)(/|$)|^Makefile$' <<<"$listing"); then
  echo "artifact contains development files:"; echo "$forbidden"; exit 1
fi
echo "artifact ok: $(basename "$artifact") ($(wc -l <<<"$listing") entries)"
