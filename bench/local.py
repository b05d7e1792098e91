# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measurements on local redis-server / redis-sentinel processes on loopback (ports 27000-27099):
failover gap after kill -9, planned switchover against raw SENTINEL FAILOVER, module call time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import redis

from common import (DATA_PASSWORD, HOST_PYTHON, ROOT, SENTINEL_PASSWORD, VENV_BIN, WORK_DIR, ansible_env,
                    progress, summary)

LOCAL_DIR = os.path.join(WORK_DIR, 'local')
BASE_PORT = 27000
WRITER = os.path.join(ROOT, 'tests', 'clients', 'writer.py')
WRITE_RATE = 200


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (redis.RedisError, OSError):
            pass
        time.sleep(interval)
    raise RuntimeError('timed out after %ss waiting for %s' % (timeout, what))


class Process:
    """One redis-server or redis-sentinel on 127.0.0.1 with its own directory, config and pidfile."""

    def __init__(self, kind: str, port: int, lines: list) -> None:
        self.kind, self.port = kind, port
        self.dir = os.path.join(LOCAL_DIR, '%s-%d' % (kind, port))
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, kind + '.conf')
        password = SENTINEL_PASSWORD if kind == 'sentinel' else DATA_PASSWORD
        self.password = password
        base = ['port %d' % port, 'bind 127.0.0.1', 'dir ' + self.dir, 'pidfile %s/pid' % self.dir,
                'logfile %s/log' % self.dir, 'requirepass ' + password]
        with open(self.config, 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(base + lines) + '\n')
        binary = shutil.which('redis-sentinel' if kind == 'sentinel' else 'redis-server')
        self.popen = subprocess.Popen([binary, self.config], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: self.client().ping(), 10, '%s on %d' % (kind, port))

    def client(self, timeout: float = 2.0) -> redis.Redis:
        return redis.Redis(host='127.0.0.1', port=self.port, password=self.password, decode_responses=True,
                           socket_timeout=timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)


def kill_leftovers() -> None:
    """Processes an earlier, interrupted bench run left behind (found by their pidfiles under LOCAL_DIR)."""
    if not os.path.isdir(LOCAL_DIR):
        return
    for name in os.listdir(LOCAL_DIR):
        pidfile = os.path.join(LOCAL_DIR, name, 'pid')
        try:
            with open(pidfile, encoding='utf-8') as handle:
                pid = int(handle.read().strip())
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                ours = LOCAL_DIR.encode() in handle.read()
        except (OSError, ValueError):
            continue
        if ours:
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(LOCAL_DIR, ignore_errors=True)


class Fleet:
    """A primary, two replicas and three Sentinels (quorum 2), all on loopback."""

    def __init__(self, down_after_ms: int) -> None:
        kill_leftovers()
        data = ['save ""', 'appendonly no', 'masterauth ' + DATA_PASSWORD, 'repl-diskless-sync-delay 0']
        self.primary = Process('redis', BASE_PORT, data)
        self.replicas = [Process('redis', BASE_PORT + i, data + ['replicaof 127.0.0.1 %d' % BASE_PORT])
                         for i in (1, 2)]
        monitor = ['sentinel monitor mymaster 127.0.0.1 %d 2' % BASE_PORT,
                   'sentinel down-after-milliseconds mymaster %d' % down_after_ms,
                   'sentinel failover-timeout mymaster 20000', 'sentinel auth-pass mymaster ' + DATA_PASSWORD,
                   'sentinel sentinel-pass ' + SENTINEL_PASSWORD]
        self.sentinels = [Process('sentinel', BASE_PORT + 10 + i, monitor) for i in range(3)]
        wait_for(self._settled, 30, 'Sentinels to see 2 replicas and 2 other Sentinels', 0.2)

    def _settled(self) -> bool:
        for sentinel in self.sentinels:
            info = sentinel.client().execute_command('SENTINEL', 'MASTER', 'mymaster')
            fields = dict(zip(info[::2], info[1::2])) if isinstance(info, list) else info
            if int(fields['num-slaves']) != 2 or int(fields['num-other-sentinels']) != 2:
                return False
        return all(r.client().info('replication').get('master_link_status') == 'up' for r in self.replicas)

    def primary_port(self, sentinel_index: int = 0) -> int:
        reply = self.sentinels[sentinel_index].client().execute_command(
            'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')
        return int(reply[1])

    def all_agree_on_new_primary(self, old_port: int) -> bool:
        ports = {self.primary_port(i) for i in range(3)}
        if len(ports) != 1 or old_port in ports:
            return False
        new = ports.pop()
        for process in [self.primary] + self.replicas:
            if process.port == new or process.popen.poll() is not None:
                continue
            replication = process.client().info('replication')
            if replication.get('master_port') != new or replication.get('master_link_status') != 'up':
                return False
        return True

    def stop(self) -> None:
        for process in self.sentinels + self.replicas + [self.primary]:
            process.kill()
        shutil.rmtree(LOCAL_DIR, ignore_errors=True)


class Writer:
    """tests/clients/writer.py (redis-py Sentinel.master_for) writing unique keys at a fixed rate, bounded."""

    def __init__(self, fleet: Fleet, tag: str) -> None:
        self.stop_file = os.path.join(WORK_DIR, 'writer-%s.stop' % tag)
        self.progress = os.path.join(WORK_DIR, 'writer-%s.progress' % tag)
        self.result = os.path.join(WORK_DIR, 'writer-%s.json' % tag)
        for path in (self.stop_file, self.progress, self.result):
            if os.path.exists(path):
                os.remove(path)
        sentinels = ','.join('127.0.0.1:%d' % s.port for s in fleet.sentinels)
        env = dict(os.environ, REDIS_OPS_PASSWORD=DATA_PASSWORD, REDIS_OPS_SENTINEL_PASSWORD=SENTINEL_PASSWORD)
        argv = [os.path.join(VENV_BIN, 'python'), WRITER, '--sentinels', sentinels, '--rate', str(WRITE_RATE),
                '--max-seconds', '90', '--max-writes', '20000', '--retry-seconds', '30',
                '--stop-file', self.stop_file, '--progress', self.progress, '--result', self.result]
        self.popen = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def acknowledged(self) -> int:
        try:
            with open(self.progress, encoding='utf-8') as handle:
                return json.load(handle)['acknowledged']
        except (OSError, ValueError, KeyError):
            return 0

    def wait_for_writes(self, more_than: int, timeout: float = 60) -> int:
        return wait_for(lambda: self.acknowledged() > more_than and self.acknowledged(), timeout, 'writes')

    def finish(self) -> dict:
        with open(self.stop_file, 'w', encoding='utf-8'):
            pass
        self.popen.wait(120)
        with open(self.result, encoding='utf-8') as handle:
            return json.load(handle)


def failover_once(down_after_ms: int) -> dict:
    """kill -9 of the primary under a writer: Sentinel's promotion time (floor) and the client's longest gap."""
    fleet = Fleet(down_after_ms)
    try:
        writer = Writer(fleet, 'failover')
        before = writer.wait_for_writes(WRITE_RATE)
        killed_at = time.monotonic()
        fleet.primary.kill()
        wait_for(lambda: fleet.primary_port() != BASE_PORT, down_after_ms / 1000 + 60, 'promotion', 0.005)
        floor = time.monotonic() - killed_at
        writer.wait_for_writes(writer.acknowledged() + WRITE_RATE // 2)
        time.sleep(1)
        result = writer.finish()
    finally:
        fleet.stop()
    return dict(down_after_ms=down_after_ms, floor_seconds=round(floor, 3), gap_seconds=result['longest_gap_seconds'],
                acknowledged=result['acknowledged'], lost=result['missing'], errors=result['errors'],
                gave_up=result['gave_up'], acknowledged_before_kill=before)


def run_failover(runs: int, down_afters: list) -> dict:
    measured = {str(d): [] for d in down_afters}
    for run in range(runs):
        for down_after in down_afters:
            progress('failover: run %d/%d, down-after-milliseconds %d' % (run + 1, runs, down_after))
            measured[str(down_after)].append(failover_once(down_after))
    rows = {}
    for key, samples in measured.items():
        rows[key] = dict(gap=summary([s['gap_seconds'] for s in samples]),
                         floor=summary([s['floor_seconds'] for s in samples]),
                         over_floor=summary([s['gap_seconds'] - s['floor_seconds'] for s in samples]),
                         lost=summary([s['lost'] for s in samples]), samples=samples)
    return rows


def collection_switchover(fleet: Fleet) -> None:
    args = dict(login_host='127.0.0.1', login_port=fleet.sentinels[0].port, login_password=SENTINEL_PASSWORD,
                name='mymaster', current_primary_host='127.0.0.1', current_primary_port=BASE_PORT,
                data_password=DATA_PASSWORD)
    outcome = run_inline_playbook([{'redis_ops.replication.sentinel_failover': args}], 'switchover')
    if outcome['rc'] != 0:
        raise RuntimeError('sentinel_failover failed: %s' % outcome['output'][-2000:])


def raw_switchover(fleet: Fleet) -> None:
    fleet.sentinels[0].client().execute_command('SENTINEL', 'FAILOVER', 'mymaster')


def switchover_once(method: str) -> dict:
    fleet = Fleet(5000)
    try:
        writer = Writer(fleet, 'switchover')
        writer.wait_for_writes(WRITE_RATE)
        started = time.monotonic()
        (collection_switchover if method == 'collection' else raw_switchover)(fleet)
        wait_for(lambda: fleet.all_agree_on_new_primary(BASE_PORT), 60, 'the switchover to settle', 0.02)
        settled = time.monotonic() - started
        writer.wait_for_writes(writer.acknowledged() + WRITE_RATE // 2)
        time.sleep(1)
        result = writer.finish()
    finally:
        fleet.stop()
    return dict(method=method, gap_seconds=result['longest_gap_seconds'], lost=result['missing'],
                acknowledged=result['acknowledged'], errors=result['errors'], settled_seconds=round(settled, 3))


def run_switchover(runs: int) -> dict:
    pairs = []
    for run in range(runs):
        order = ['collection', 'raw'] if run % 2 == 0 else ['raw', 'collection']
        pair = {}
        for method in order:
            progress('switchover: run %d/%d, %s' % (run + 1, runs, method))
            pair[method] = switchover_once(method)
        pairs.append(pair)
    out = {}
    for method in ('collection', 'raw'):
        out[method] = dict(gap=summary([p[method]['gap_seconds'] for p in pairs]),
                           lost=summary([p[method]['lost'] for p in pairs]),
                           settled=summary([p[method]['settled_seconds'] for p in pairs]))
    out['pairs'] = pairs
    return out


def run_inline_playbook(tasks: list, tag: str, stats: bool = False) -> dict:
    """Run tasks on localhost (local connection, the host's /usr/bin/python3 with Debian's python3-redis)."""
    os.makedirs(WORK_DIR, exist_ok=True)
    playbook = os.path.join(WORK_DIR, 'play-%s.yml' % tag)
    stats_file = os.path.join(WORK_DIR, 'stats-%s.json' % tag)
    with open(playbook, 'w', encoding='utf-8') as handle:
        json.dump([dict(hosts='localhost', gather_facts=False, tasks=tasks)], handle)
    argv = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=' + HOST_PYTHON, playbook]
    proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(BENCH_STATS_FILE=stats_file),
                          timeout=900, check=False)
    outcome = dict(rc=proc.returncode, output=proc.stdout + proc.stderr)
    if stats and proc.returncode == 0:
        with open(stats_file, encoding='utf-8') as handle:
            outcome['stats'] = json.load(handle)
    return outcome


def run_modules(runs: int, calls: int) -> dict:
    """replication_facts against community.general.redis_info on one server: time per call, ratio per round."""
    kill_leftovers()
    server = Process('redis', BASE_PORT + 20, ['save ""', 'appendonly no'])
    login = dict(login_host='127.0.0.1', login_port=server.port, login_password=DATA_PASSWORD)
    tasks = []
    for run in range(runs):
        loop = '{{ range(%d) | list }}' % calls
        tasks.append(dict(name='replication_facts %d' % run, loop=loop,
                          **{'redis_ops.replication.replication_facts': login}))
        tasks.append(dict(name='redis_info %d' % run, loop=loop,
                          **{'community.general.redis_info': dict(login, tls=False)}))
        if run % 2:
            tasks[-2], tasks[-1] = tasks[-1], tasks[-2]
    try:
        progress('modules: %d rounds of %d calls of each module' % (runs, calls))
        outcome = run_inline_playbook(tasks, 'modules', stats=True)
    finally:
        server.kill()
        shutil.rmtree(LOCAL_DIR, ignore_errors=True)
    if outcome['rc'] != 0:
        raise RuntimeError('module timing playbook failed: %s' % outcome['output'][-3000:])
    durations = outcome['stats']['durations']
    facts = [durations['replication_facts %d' % run] / calls for run in range(runs)]
    info = [durations['redis_info %d' % run] / calls for run in range(runs)]
    return dict(calls_per_round=calls, replication_facts=summary(facts), redis_info=summary(info),
                ratio=summary([f / i for f, i in zip(facts, info)]),
                rounds=[dict(replication_facts=round(f, 4), redis_info=round(i, 4)) for f, i in zip(facts, info)])
