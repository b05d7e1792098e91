# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench: run the selected suites, write bench/results/<suite>.json, then latest.md and the plots.

Environment (all optional):
  SUITES                comma-separated subset of: failover,switchover,modules,converge,live,scale (default: all)
  BENCH_RUNS            runs of the cheap measurements: local failover/switchover, module rounds, live changes (3)
  BENCH_CONVERGE_RUNS   pairs of fresh 3-host deployments, recommended vs default Ansible settings (2)
  BENCH_SCALE_RUNS      fresh deployments per scale point other than 3 hosts x 1 instance (1)
  BENCH_HOSTS           host counts of the scale suite (3,6,9); BENCH_INSTANCES instances on one host (1,4,16)
  BENCH_QUICK=1         one run of everything at the smallest sizes, to check that the bench works
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys

import converge
import local
import report
from common import machine, progress, read_json, write_json

ALL_SUITES = ('failover', 'switchover', 'modules', 'converge', 'live', 'scale')


def int_list(name: str, default: list) -> list:
    text = os.environ.get(name, '')
    return [int(item) for item in text.split(',') if item.strip()] if text else default


def settings() -> dict:
    quick = os.environ.get('BENCH_QUICK') == '1'
    runs = 1 if quick else int(os.environ.get('BENCH_RUNS', '3'))
    return dict(
        quick=quick, runs=runs,
        converge_runs=1 if quick else int(os.environ.get('BENCH_CONVERGE_RUNS', '2')),
        scale_runs=1 if quick else int(os.environ.get('BENCH_SCALE_RUNS', '1')),
        down_afters=[1000] if quick else [1000, 2000, 5000],
        module_calls=5 if quick else 20,
        hosts=[3] if quick else int_list('BENCH_HOSTS', [3, 6, 9]),
        instances=[1, 2] if quick else int_list('BENCH_INSTANCES', [1, 4, 16]),
        instance_hosts=1,
        suites=[s for s in os.environ.get('SUITES', ','.join(ALL_SUITES)).split(',') if s])


def cleanup() -> None:
    local.kill_leftovers()
    converge.cleanup()


def save(suite: str, options: dict, results: dict) -> None:
    document = dict(suite=suite, machine=machine(), quick=options['quick'], results=results)
    path = write_json(suite, document)
    progress('%s: written %s' % (suite, os.path.relpath(path)))


def run_suites(options: dict) -> list:
    """Every selected suite in order; a suite that fails is reported and the others still run."""
    failed, state = [], dict(deployment=None, converge=None)
    for suite in options['suites']:
        progress('== %s (load %s, %d cores)' % (suite, machine()['loadavg'], os.cpu_count()))
        try:
            run_suite(suite, options, state)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            progress('%s FAILED: %s' % (suite, str(exc)[-3000:]))
            failed.append(suite)
    return failed


def run_suite(suite: str, options: dict, state: dict) -> None:
    runs = options['runs']
    if suite == 'failover':
        save(suite, options, local.run_failover(runs, options['down_afters']))
    elif suite == 'switchover':
        save(suite, options, local.run_switchover(runs))
    elif suite == 'modules':
        save(suite, options, local.run_modules(runs, options['module_calls']))
    elif suite == 'converge':
        state['converge'], state['deployment'] = converge.run_converge(options['converge_runs'])
        save(suite, options, state['converge'])
    elif suite == 'live':
        save(suite, options, converge.run_live(runs, state['deployment']))
    elif suite == 'scale':
        state['deployment'] = None
        earlier = read_json('converge')
        reuse = state['converge'] or (earlier['results'] if earlier and not earlier['quick'] else None)
        converge.run_scale(options['scale_runs'], options['hosts'], options['instances'], options['instance_hosts'],
                           reuse, lambda document: save(suite, options, document))


def main() -> int:
    options = settings()
    progress('suites %s, runs %d, converge pairs %d, scale runs %d%s' % (
        ','.join(options['suites']), options['runs'], options['converge_runs'], options['scale_runs'],
        ' (quick)' if options['quick'] else ''))
    cleanup()
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    unknown = set(options['suites']) - set(ALL_SUITES)
    if unknown:
        raise SystemExit('unknown suite(s) %s; known: %s' % (', '.join(sorted(unknown)), ', '.join(ALL_SUITES)))
    failed = run_suites(options)
    print(report.write_report())
    if failed:
        progress('failed suites: %s (their earlier results, if any, are kept)' % ', '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
