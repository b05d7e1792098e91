# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the cluster as playbooks/health.yml saw it, from its output with the ansible.posix.json callback.

usage: lab-summary.py HEALTH_JSON  (exit status 1 when the health check did not pass or could not be read)
"""

from __future__ import annotations

import json
import sys

JUDGE = 'Compare what every data node and Sentinel reported'
SENTINEL = 'Read what the Sentinel knows'


def task_results(output: dict, name: str) -> dict:
    """{host: result} of the task called name, over every play."""
    found = {}
    for play in output.get('plays', []):
        for task in play.get('tasks', []):
            if task['task']['name'] == name:
                found.update(task['hosts'])
    return found


def sentinel_lines(output: dict, health: dict) -> list:
    master_name = health['summary']['sentinels'].get('master_name') or 'mymaster'
    lines = []
    for host, result in sorted(task_results(output, SENTINEL).items()):
        facts = (result.get('ansible_facts') or {}).get('redis_sentinel') or {}
        monitored = (facts.get('masters') or {}).get(master_name)
        if not monitored:
            lines.append('  sentinel  %-5s could not be read: %s' % (host, result.get('msg', 'no answer')))
            continue
        lines.append('  sentinel  %-5s says master %s:%s, quorum %s, sees %s replicas and %s other sentinels; %s' % (
            host, monitored.get('host'), monitored.get('port'), monitored.get('quorum'), monitored.get('num_replicas'),
            monitored.get('num_other_sentinels'), (monitored.get('ckquorum') or {}).get('message', '')))
    return lines


def main(path: str) -> int:
    try:
        with open(path, encoding='utf-8') as handle:
            output = json.load(handle)
        judged = task_results(output, JUDGE)['localhost']
        health = judged['ansible_facts']['redis_health']
    except (OSError, ValueError, KeyError) as error:
        print('lab summary: no health report in %s (%s)' % (path, error), file=sys.stderr)
        return 1
    summary = health['summary']
    master = summary['master']
    print('')
    print('Cluster (read by playbooks/health.yml over SSH)')
    if master:
        print('  master    %-5s %s:%s' % (master['host'], master['address'], master['port']))
    for replica in sorted(summary['replicas'], key=lambda r: str(r['host'])):
        print('  replica   %-5s %s:%s  %s, lag %ss, %s bytes behind' % (
            replica['host'] or '?', replica['address'], replica['port'], replica['state'], replica['lag'],
            replica['offset_lag']))
    for line in sentinel_lines(output, health):
        print(line)
    sentinels = summary['sentinels']
    print('  sentinels agree: %s (%s of %s answered, master of %s at %s); quorum reachable: %s' % (
        'yes' if sentinels['agreed'] else 'NO', sentinels['answered'], sentinels['total'], sentinels['master_name'],
        sentinels['address'], 'yes' if sentinels['quorum_ok'] else 'NO'))
    print('')
    for line in health['text']:
        print(line)
    return 0 if health['ok'] else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
