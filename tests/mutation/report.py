# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Score of a mutmut run: killed / all mutants, and every survivor (accepted ones with their reason).

A mutant no test reaches ("no tests") counts as a survivor. Exits 1 when the survivors are more than the
allowed percentage, or when the run left mutants unchecked.
"""

from __future__ import annotations

import collections
import fnmatch
import sys

PREFIX = 'ansible_collections.redis_ops.replication.plugins.'
DETECTED = ('killed', 'timeout', 'segfault', 'caught by type check')
SURVIVED = ('survived', 'no tests', 'suspicious')


def read_results(path: str) -> dict:
    results = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            name, sep, status = line.strip().rpartition(': ')
            if sep:
                results[name] = status
    return results


def read_accepted(path: str) -> dict:
    """{pattern: reason}; a pattern is a mutant name without the plugins prefix, shell wildcards allowed."""
    accepted = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith('#'):
                name, _sep, reason = line.partition(' ')
                accepted[name] = reason.strip()
    return accepted


def reason_for(name: str, accepted: dict) -> str | None:
    short = name[len(PREFIX):]
    return next((reason for pattern, reason in accepted.items() if fnmatch.fnmatchcase(short, pattern)), None)


def main(results_path: str, accepted_path: str, max_pct: float) -> int:
    results = read_results(results_path)
    accepted = read_accepted(accepted_path)
    counts = collections.Counter(results.values())
    total = len(results)
    survivors = sorted(name for name, status in results.items() if status in SURVIVED)
    unchecked = [name for name, status in results.items() if status not in DETECTED + SURVIVED]
    detected = sum(counts[status] for status in DETECTED)
    pct = 100.0 * len(survivors) / total if total else 100.0
    print('mutants: %d, %s' % (total, ', '.join('%s %d' % item for item in sorted(counts.items()))))
    by_folder = collections.Counter(name[len(PREFIX):].split('.')[0] for name in survivors)
    for folder in ('module_utils', 'filter'):
        in_folder = sum(1 for name in results if name[len(PREFIX):].startswith(folder + '.'))
        print('  plugins/%s: %d mutants, %d survive' % (folder, in_folder, by_folder[folder]))
    for name in survivors:
        reason = reason_for(name, accepted)
        print('  %-11s %s%s' % (results[name], name[len(PREFIX):], '  (accepted: %s)' % reason if reason else ''))
    print('mutation score: %.1f%% killed (%d of %d), %.1f%% survive (%d, %d of them accepted); limit %g%%' % (
        100.0 * detected / total if total else 0.0, detected, total, pct, len(survivors),
        sum(1 for name in survivors if reason_for(name, accepted)), max_pct))
    if unchecked:
        print('%d mutants were not checked (run interrupted?)' % len(unchecked))
        return 1
    return 0 if pct < max_pct else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
