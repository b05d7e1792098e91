# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/results/latest.md and the plots, from the JSON files of the suites (whichever have run)."""

from __future__ import annotations

import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

from common import RESULTS_DIR, fmt, read_json, table  # noqa: E402  pylint: disable=wrong-import-position
from converge import growth  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE_PNG = 'converge-scale.png'
FAILOVER_PNG = 'failover-gap.png'


def machine_line(document: dict) -> str:
    m = document['machine']
    return '_Measured %s on %d vCPU, %s GiB, Redis %s; load average (1/5/15 min) at the end: %s%s._' % (
        m['at'], m['nproc'], m['mem_gib'], m['redis'], ' / '.join(str(v) for v in m['loadavg']),
        '; QUICK run (smallest sizes, one run)' if document.get('quick') else '')


def span(pair: list) -> str:
    return str(pair[0]) if pair[0] == pair[1] else '%d–%d' % tuple(pair)


def converge_section(doc: dict) -> list:
    res = doc['results']
    rows = []
    for mode, label in (('tuned', 'recommended: pipelining, forks ≥ hosts, jsonfile fact cache + smart gathering'),
                        ('default', "Ansible's defaults: no pipelining, 5 forks, no fact cache")):
        first, rerun = res[mode]['first'], res[mode]['rerun']
        floor = rerun.get('floor_seconds')
        rows.append([label, fmt(first['seconds']), fmt(rerun['seconds']), fmt(floor) if floor else 'not measured',
                     fmt(rerun['over_floor'], '×') if floor else '', span(first['tasks_per_host']),
                     span(first['modules_per_host']), span(rerun['tasks_per_host']), span(rerun['modules_per_host']),
                     ', '.join(str(c) for c in rerun['changed'])])
    ratio = res['default_over_tuned']
    return ['## 1. Converge: 3 hosts (1 primary, 2 replicas, 3 Sentinels)', '', machine_line(doc), '',
            table(['Ansible settings', 'first run', 'no-op re-run', 'ping floor', 're-run over floor',
                   'tasks/host (first)', 'module runs/host (first)',
                   'tasks/host (re-run)', 'module runs/host (re-run)', 're-run changed'], rows), '',
            'Default over recommended, pair by pair (same run, fresh containers each): first run %s, re-run %s.' % (
                fmt(ratio['first'], '×'), fmt(ratio['rerun'], '×')), '',
            'The first run starts on freshly booted Debian 12 systemd containers (podman, connection '
            '`containers.podman.podman`, not SSH) and includes: `apt-get update` and installing redis-server, '
            'redis-tools and python3-redis from the Debian mirror, the units, configuration, initial replication sync '
            'and the Sentinels with the final wait until every Sentinel sees the whole fleet. Container creation is '
            'not included. "module runs" counts executions on the host (loop items one by one; skipped tasks and '
            'controller-only actions such as `set_fact`/`assert` not counted). "ping floor" is `ansible all -m ping` '
            'on the same hosts with the same settings, run right after the re-run: one round trip per host, the least '
            'any run costs; "re-run over floor" is the ratio pair by pair. Cells: median (min–max).', ''] + \
        baseline_lines(res)


def baseline_lines(res: dict) -> list:
    """The simplest Redis role on the same kind of hosts, with the same settings, in the same run."""
    base = res.get('baseline')
    if not base:
        return []
    title = '### Against %s (same hosts, same settings, same run)' % base['name']
    if not any(mode in base for mode in ('tuned', 'default')):
        return [title, '', '%s: %s.' % (base['name'], base['source']), '']
    rows = []
    for mode, label in (('tuned', 'recommended'), ('default', "Ansible's defaults")):
        if mode not in base:
            continue
        entry = base[mode]
        rows.append([label, fmt(entry['first']), fmt(entry['rerun']), span(entry['tasks_per_host']),
                     span(entry['modules_per_host']), fmt(entry['first_ratio'], '×'), fmt(entry['rerun_ratio'], '×')])
    return [title, '', table(['Ansible settings', 'baseline first run', 'baseline no-op re-run', 'tasks/host (re-run)',
                              'module runs/host (re-run)', 'this collection over it: first run',
                              'this collection over it: no-op re-run'], rows), '',
            'The baseline is %s (%s): one primary and two replicas through `redis_extra_config` (`replicaof`, '
            '`masterauth`), `requirepass`, no Sentinel, facts gathered, on 3 fresh containers created right before '
            'each site.yml deployment with the same settings. Ratios are pair by pair.' % (
                base['name'], base['source']), '']


def seconds_added(value: float | None) -> str:
    return 'n/a (fewer than two points)' if value is None else '%+.1f s' % value


def scale_rows(points: list, key: str) -> list:
    return [[p[key], p['data_instances'], fmt(p['first']), fmt(p['rerun']), span(p['tasks_per_host']),
             p['modules_total'], ', '.join(str(c) for c in p['rerun_changed']), point_note(p)] if 'error' not in p
            else [p[key], '', 'failed: ' + failure(p), '', '', '', '', ''] for p in points]


def failure(point: dict) -> str:
    """The first failure message of a point that failed, shortened for a table cell."""
    text = point.get('error_cause') or point['error']
    for line in text.splitlines():
        if 'msg' in line:
            return line.split('"msg": ', 1)[-1].strip('"} ')[:160] + ' (see scale.json)'
    return 'see scale.json'


def point_note(point: dict) -> str:
    notes = ['from the converge suite'] if point.get('reused_from_converge') else []
    if point.get('load_at_end'):
        notes.append('load %s at the end' % point['load_at_end'][0])
    return '; '.join(notes)


def scale_section(doc: dict) -> list:
    res = doc['results']
    headers = ['data instances', 'first run', 'no-op re-run', 'tasks/host', 'module runs (all hosts)',
               're-run changed', 'note']
    per_host, per_instance = growth(res['by_hosts'], 'hosts'), growth(res['by_instances'], 'instances')
    return ['## 2. Scale (recommended settings)', '', machine_line(doc), '',
            table(['hosts (1 instance each)'] + headers, scale_rows(res['by_hosts'], 'hosts')), '',
            'Per added host: first run %s, re-run %s (medians, smallest to largest point measured in this suite).' % (
                seconds_added(per_host['first']), seconds_added(per_host['rerun'])), '',
            table(['instances on %d host(s)' % res['instance_hosts']] + headers,
                  scale_rows(res['by_instances'], 'instances')), '',
            'Per added instance: first run %s, re-run %s. The instances are extra inventory hosts on the same '
            'container with their own `redis_port` (one Sentinel per container, quorum 1 on one host).' % (
                seconds_added(per_instance['first']), seconds_added(per_instance['rerun'])), '',
            '![converge time vs hosts and instances](%s)' % CONVERGE_PNG, ''] + (
                ['Not measured in this run (interrupted or not selected): %s (hosts x instances).' % ', '.join(
                    res['not_measured']), ''] if res.get('not_measured') else [])


def failover_section(doc: dict) -> list:
    rows = []
    for key in sorted(doc['results'], key=int):
        row = doc['results'][key]
        rows.append([key, fmt(row['gap']), fmt(row['floor']), fmt(row['over_floor']), int(row['lost']['max']),
                     row['gap']['n']])
    return ['## 3. Failover gap after `kill -9` of the primary', '', machine_line(doc), '',
            table(['down-after-milliseconds', 'client write gap', 'floor: kill → Sentinel names the new primary',
                   'gap over floor', 'acknowledged writes lost (max)', 'runs'], rows), '',
            'Local redis-server/redis-sentinel processes on loopback (1 primary, 2 replicas, 3 Sentinels, quorum 2, '
            'no persistence, the killed primary does not come back); `tests/clients/writer.py` (redis-py '
            '`Sentinel.master_for`) writes unique keys at 200/s and reads every acknowledged key back from the new '
            'primary. The floor is `down-after-milliseconds` plus Sentinel\'s vote and promotion, polled every 5 ms.', '',
            '![failover gap vs down-after-milliseconds](%s)' % FAILOVER_PNG, '']


def switchover_section(doc: dict) -> list:
    res = doc['results']
    rows = [[label, fmt(res[key]['gap']), int(res[key]['lost']['median']), int(res[key]['lost']['max']),
             fmt(res[key]['settled'])]
            for key, label in (('collection', '`redis_ops.replication.sentinel_failover` (through ansible-playbook)'),
                               ('raw', 'raw `SENTINEL FAILOVER mymaster`'))]
    return ['## 4. Planned switchover', '', machine_line(doc), '',
            table(['method', 'client write gap', 'acknowledged writes lost (median)', '(max)',
                   'until every Sentinel agrees and the old primary streams'], rows), '',
            'Same local fleet and writer as above (down-after-milliseconds 5000), a fresh fleet for each measurement, '
            'both methods in every run (order alternating). The time to settle includes Ansible\'s start-up for the '
            'module.', '']


def modules_section(doc: dict) -> list:
    res = doc['results']
    rows = [['`redis_ops.replication.replication_facts`', fmt(res['replication_facts'])],
            ['`community.general.redis_info`', fmt(res['redis_info'])],
            ['ratio replication_facts / redis_info (round by round)', fmt(res['ratio'], '×')]]
    return ['## 5. Modules: time per call', '', machine_line(doc), '',
            table(['module', 'seconds per call'], rows), '',
            'Both against the same local redis-server in the same playbook, %d calls per round, rounds alternating '
            'which module goes first; local connection, `/usr/bin/python3` with Debian\'s python3-redis. A call is '
            'the whole task execution as Ansible runs it (module packaging, Python start-up, connect, commands).' % (
                res['calls_per_round']), '']


def live_section(doc: dict) -> list:
    res = doc['results']
    rows = [[s['maxmemory'], '%.1f s' % s['seconds'], s['changed'], '%d of %d' % (s['restarts'], s['units_checked']),
             s['client_errors'], s['lost'], '%.2f s' % s['gap_seconds']] for s in res['samples']]
    return ['## 6. Live change on a running 3-host fleet', '', machine_line(doc), '',
            table(['new redis_maxmemory', 'site.yml run', 'changed', 'units restarted', 'client errors',
                   'acknowledged writes lost', 'client longest gap'], rows), '',
            '`site.yml -e redis_maxmemory=...` with the recommended settings while `tests/clients/writer.py` writes '
            'through the Sentinels at 100/s from the controller; restarts are counted from the `MainPID` of every '
            'server and Sentinel unit before and after.', '']


SECTIONS = (('converge', converge_section), ('scale', scale_section), ('failover', failover_section),
            ('switchover', switchover_section), ('modules', modules_section), ('live', live_section))


def plot_scale(doc: dict, path: str) -> None:
    res = doc['results']
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, points, key, label in ((axes[0], res['by_hosts'], 'hosts', 'hosts (1 instance each)'),
                                     (axes[1], res['by_instances'], 'instances',
                                      'instances on %d host' % res['instance_hosts'])):
        points = [p for p in points if 'error' not in p]
        xs = [p[key] for p in points]
        if not xs:
            continue
        for phase, name in (('first', 'first run'), ('rerun', 'no-op re-run')):
            med = [p[phase]['median'] for p in points]
            err = [[m - p[phase]['min'] for m, p in zip(med, points)], [p[phase]['max'] - m for m, p in zip(med, points)]]
            axis.errorbar(xs, med, yerr=err, marker='o', capsize=3, label=name)
        axis.set_xlabel(label)
        axis.set_ylabel('site.yml wall time (s)')
        axis.set_xticks(xs)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend()
    fig.suptitle('site.yml converge time (median, min–max)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_failover(doc: dict, path: str) -> None:
    keys = sorted(doc['results'], key=int)
    xs = [int(k) / 1000 for k in keys]
    fig, axis = plt.subplots(figsize=(6, 4))
    for field, name in (('gap', 'client write gap'), ('floor', 'floor: Sentinel names the new primary')):
        stats = [doc['results'][k][field] for k in keys]
        med = [s['median'] for s in stats]
        err = [[m - s['min'] for m, s in zip(med, stats)], [s['max'] - m for m, s in zip(med, stats)]]
        axis.errorbar(xs, med, yerr=err, marker='o', capsize=3, label=name)
    axis.plot(xs, xs, linestyle=':', color='grey', label='down-after alone')
    axis.set_xlabel('down-after-milliseconds (s)')
    axis.set_ylabel('seconds')
    axis.set_xticks(xs)
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title('kill -9 of the primary (median, min–max)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report() -> str:
    documents = {name: read_json(name) for name, _section in SECTIONS}
    lines = ['# redis_ops.replication bench results', '',
             'Produced by `make bench` (`bench/run.py`); each suite\'s JSON in this directory has every sample. '
             'Timings are wall-clock on a shared, noisy machine: read them as orders of magnitude, and compare the '
             'ratios, which are computed pair by pair within one run.', '']
    for name, section in SECTIONS:
        if documents[name]:
            lines += section(documents[name])
    if documents['scale']:
        plot_scale(documents['scale'], os.path.join(RESULTS_DIR, CONVERGE_PNG))
    if documents['failover']:
        plot_failover(documents['failover'], os.path.join(RESULTS_DIR, FAILOVER_PNG))
    text = '\n'.join(lines)
    with open(os.path.join(RESULTS_DIR, 'latest.md'), 'w', encoding='utf-8') as handle:
        handle.write(text)
    return text
