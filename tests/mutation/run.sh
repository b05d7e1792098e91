#!/usr/bin/env bash
# make mutation: mutmut over plugins/module_utils/ and plugins/filter/ against the unit tests, plus the module
# tests that run module code in the test process (run_module_raw) where the unit tests cannot reach.
# Works in a copy (.build/mutation/) laid out as ansible_collections/redis_ops/replication, so the mutated
# files import under their real names. Prints the score and every surviving mutant; survivors kept on purpose
# are listed with a reason in tests/mutation/accepted.txt. Fails when more than MUTATION_MAX_SURVIVORS_PCT
# percent survive.
#
# Usage: tests/mutation/run.sh <venv>   (MUTATION_JOBS=n workers, default: the number of CPUs)
set -euo pipefail
venv=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
coll="$repo/.build/ansible_collections/redis_ops/replication"
work="$repo/.build/mutation"
[ -d "$coll/plugins" ] || { echo "run make collection first" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/ansible_collections/redis_ops/replication"
(cd "$coll" && tar cf - --exclude=.git plugins meta tests/unit tests/modules galaxy.yml) |
  tar xf - -C "$work/ansible_collections/redis_ops/replication"
cp "$repo/tests/mutation/setup.cfg" "$work/setup.cfg"

cd "$work"
# The harness of the module tests is imported from there; the directory must exist before Python starts.
mkdir -p mutants/ansible_collections/redis_ops/replication/tests/modules
echo "mutmut over plugins/module_utils and plugins/filter (log: $work/mutmut.log)"
status=0
PYTHONPATH="$work/mutants/ansible_collections/redis_ops/replication/tests/modules" \
  REDIS_OPS_MODULE_PYTHON="$venv/bin/python" PATH="$venv/bin:$PATH" \
  "$venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" > mutmut.log 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  tail -c 4000 mutmut.log; echo; echo "mutmut run failed ($status)"; exit "$status"
fi
"$venv/bin/mutmut" results --all true > results.txt
"$venv/bin/python" "$repo/tests/mutation/report.py" results.txt "$repo/tests/mutation/accepted.txt" \
  "${MUTATION_MAX_SURVIVORS_PCT:-15}"
