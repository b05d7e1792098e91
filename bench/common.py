# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the bench: paths, the environment Ansible runs with, statistics, progress, machine state."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, 'results')
WORK_DIR = os.environ.get('BENCH_WORK_DIR', '/tmp/redis-ops-bench')
VENV_BIN = os.path.dirname(sys.executable)
HOST_PYTHON = '/usr/bin/python3'
DATA_PASSWORD = 'bench-data-pw-3e81'
SENTINEL_PASSWORD = 'bench-sentinel-pw-c47d'
STARTED = time.monotonic()


def progress(message: str) -> None:
    elapsed = int(time.monotonic() - STARTED)
    print('[bench %02d:%02d] %s' % (elapsed // 60, elapsed % 60, message), flush=True)


def machine() -> dict:
    """What the numbers were measured on, recorded next to every result."""
    load = os.getloadavg()
    return dict(nproc=os.cpu_count(), loadavg=[round(value, 2) for value in load],
                mem_gib=round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2 ** 30, 1),
                kernel=platform.release(), python=platform.python_version(), redis=redis_version(),
                at=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))


def redis_version() -> str:
    out = subprocess.run(['redis-server', '--version'], capture_output=True, text=True, check=False).stdout
    for word in out.split():
        if word.startswith('v='):
            return word[2:]
    return out.strip()


def summary(values: list) -> dict:
    """Median, min and max of the runs (None when nothing was measured)."""
    values = [value for value in values if value is not None]
    if not values:
        return dict(median=None, min=None, max=None, n=0)
    return dict(median=round(statistics.median(values), 3), min=round(min(values), 3),
                max=round(max(values), 3), n=len(values))


def ansible_env(**extra: str) -> dict:
    """Ansible with this checkout's collection (.build) and the ansible package's collections (community.general,
    containers.podman) from the venv, plus the bench's callback."""
    site = os.path.join(os.path.dirname(VENV_BIN), 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages')
    env = dict(os.environ)
    env.pop('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH', None)
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build') + ':' + site,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH_DIR, 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='bench_stats', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
               ANSIBLE_HOST_KEY_CHECKING='0', ANSIBLE_DEPRECATION_WARNINGS='0')
    env.update(extra)
    return env


def write_json(name: str, document: dict) -> str:
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, name + '.json')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write('\n')
    return path


def read_json(name: str) -> dict | None:
    path = os.path.join(RESULTS_DIR, name + '.json')
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def table(headers: list, rows: list) -> str:
    """A markdown table; printed as is on the terminal too."""
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)


def fmt(stat: dict, unit: str = 's') -> str:
    """'1.23 s (1.10–1.40)' from a summary()."""
    if not stat or stat.get('median') is None:
        return 'n/a'
    if stat['n'] == 1:
        return '%.2f %s' % (stat['median'], unit)
    return '%.2f %s (%.2f–%.2f)' % (stat['median'], unit, stat['min'], stat['max'])
