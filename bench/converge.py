# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measurements of playbooks/site.yml on podman systemd hosts (containers bench-*, network redis-ops-bench):
first run and no-op re-run with and without the recommended Ansible settings, scale in hosts and in instances,
and a live change under a writing client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from common import (DATA_PASSWORD, HOST_PYTHON, ROOT, SENTINEL_PASSWORD, VENV_BIN, WORK_DIR, ansible_env,
                    progress, summary)

IMAGE = 'localhost/redis-ops/debian:12'
NETWORK = 'redis-ops-bench'
LABEL = 'redis-ops-bench=1'
SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
DATA_PORT, SENTINEL_PORT = 6379, 26379


def podman(*args: str, timeout: float = 300, check: bool = True) -> str:
    proc = subprocess.run(['podman'] + list(args), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError('podman %s failed: %s' % (' '.join(args[:3]), proc.stderr.strip()[-1000:]))
    return proc.stdout


def cleanup() -> None:
    """Remove this bench's containers (name bench-*, with its label) and its network, from any earlier run."""
    names = podman('ps', '-a', '--filter', 'label=' + LABEL, '--format', '{{.Names}}').split()
    names = [name for name in names if name.startswith('bench-')]
    if names:
        podman('rm', '-f', '-t', '0', *names, timeout=600)
    if subprocess.run(['podman', 'network', 'exists', NETWORK], check=False).returncode == 0:
        podman('network', 'rm', '-f', NETWORK)


def create_hosts(count: int) -> list:
    """count fresh systemd containers on the bench network, booted."""
    cleanup()
    podman('network', 'create', '--label', LABEL, NETWORK)
    names = ['bench-%d' % i for i in range(1, count + 1)]
    for name in names:
        podman('run', '-d', '--name', name, '--hostname', name, '--network', NETWORK, '--label', LABEL,
               '--privileged', '--systemd', 'always', IMAGE, '/sbin/init')
    for name in names:
        deadline = time.monotonic() + 120
        while podman('exec', name, 'systemctl', 'is-system-running', check=False).strip() not in (
                'running', 'degraded'):
            if time.monotonic() > deadline:
                raise RuntimeError('%s did not boot' % name)
            time.sleep(0.5)
    return names


def inventory(names: list, instances: int) -> dict:
    """First container's 6379 is the first primary, every other instance a replica, a Sentinel per container.
    More instances per host are more inventory hosts on the same container with their own redis_port."""
    replicas, sentinels = {}, {}
    for index, name in enumerate(names):
        sentinels[name] = {}
        for offset in range(instances):
            entry = name if offset == 0 else '%s-%d' % (name, DATA_PORT + offset)
            if index == 0 and offset == 0:
                continue
            replicas[entry] = dict(ansible_host=name, redis_port=DATA_PORT + offset) if offset else {}
    all_vars = dict(ansible_connection='containers.podman.podman', ansible_python_interpreter=HOST_PYTHON,
                    redis_password=DATA_PASSWORD, redis_sentinel_password=SENTINEL_PASSWORD,
                    redis_limit_nofile=10000, redis_repl_diskless_sync_delay=0,
                    redis_sentinel_quorum=len(names) // 2 + 1)
    children = dict(redis_master=dict(hosts={names[0]: {}}), redis_sentinel=dict(hosts=sentinels))
    if replicas:
        children['redis_replica'] = dict(hosts=replicas)
    return dict(all=dict(vars=all_vars, children=children))


def settings_env(tuned: bool, inventory_hosts: int, cache_dir: str) -> dict:
    """tuned: pipelining, one fork per inventory host, facts cached in files (gathering=smart).
    Otherwise Ansible's defaults: no pipelining, 5 forks, facts gathered by every play that asks."""
    if not tuned:
        return dict(ANSIBLE_PIPELINING='False', ANSIBLE_FORKS='5', ANSIBLE_GATHERING='implicit',
                    ANSIBLE_CACHE_PLUGIN='memory')
    return dict(ANSIBLE_PIPELINING='True', ANSIBLE_FORKS=str(max(5, inventory_hosts)), ANSIBLE_GATHERING='smart',
                ANSIBLE_CACHE_PLUGIN='jsonfile', ANSIBLE_CACHE_PLUGIN_CONNECTION=cache_dir,
                ANSIBLE_CACHE_PLUGIN_TIMEOUT='86400')


# The simplest Redis role on Galaxy, measured on the same kind of hosts in the same run: the yardstick of the
# no-op re-run (issue: a converged fleet should cost no more than it). BENCH_BASELINE_ROLE names a checkout of
# https://github.com/geerlingguy/ansible-role-redis (a directory, or a git repository whose HEAD is used); unset,
# `ansible-galaxy role install geerlingguy.redis` is tried. Without either, the baseline is reported as not measured.
BASELINE_NAME = 'geerlingguy.redis'
BASELINE_PLAYBOOK = '''---
- name: Baseline, one primary and two replicas through redis_extra_config, no Sentinel
  hosts: redis
  gather_facts: true
  roles:
    - role: geerlingguy.redis
'''


def baseline_roles_dir() -> tuple:
    """(roles directory holding geerlingguy.redis, how it was found) or (None, why not)."""
    roles = os.path.join(WORK_DIR, 'baseline-roles')
    target = os.path.join(roles, BASELINE_NAME)
    source = os.environ.get('BENCH_BASELINE_ROLE', '')
    shutil.rmtree(roles, ignore_errors=True)
    os.makedirs(roles)
    if source:
        if os.path.isdir(os.path.join(source, 'tasks')):
            shutil.copytree(source, target)
            return roles, source
        archive = subprocess.run(['git', '--git-dir', source, 'archive', '--format=tar', 'HEAD'], capture_output=True,
                                 check=False)
        if archive.returncode != 0:
            archive = subprocess.run(['git', '-C', source, 'archive', '--format=tar', 'HEAD'], capture_output=True,
                                     check=False)
        if archive.returncode != 0:
            return None, 'BENCH_BASELINE_ROLE=%s is neither a role directory nor a git repository' % source
        os.makedirs(target)
        subprocess.run(['tar', '-x', '-C', target], input=archive.stdout, check=True)
        head = subprocess.run(['git', '--git-dir', source, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                              text=True, check=False).stdout.strip()
        return roles, '%s at %s' % (source, head or 'HEAD')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-galaxy'), 'role', 'install', '-p', roles, BASELINE_NAME],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode == 0 and os.path.isdir(target):
        return roles, 'ansible-galaxy role install %s' % BASELINE_NAME
    return None, ('not measured: set BENCH_BASELINE_ROLE to a checkout of github.com/geerlingguy/ansible-role-redis '
                  '(Ansible Galaxy did not answer)')


def baseline_inventory(names: list) -> dict:
    """The first container is the primary; the others replicate from it (replicaof and masterauth lines)."""
    hosts = {name: ({} if index == 0 else dict(
        redis_extra_config='replicaof %s %d\nmasterauth %s' % (names[0], DATA_PORT, DATA_PASSWORD)))
        for index, name in enumerate(names)}
    all_vars = dict(ansible_connection='containers.podman.podman', ansible_python_interpreter=HOST_PYTHON,
                    redis_requirepass=DATA_PASSWORD, redis_bind_interface='0.0.0.0')
    return dict(all=dict(vars=all_vars, children=dict(redis=dict(hosts=hosts))))


class Deployment:
    """A set of containers and its inventory; runs site.yml and records time, tasks and module invocations."""

    def __init__(self, hosts: int, instances: int, tuned: bool, baseline_roles: str | None = None) -> None:
        self.names = create_hosts(hosts)
        self.tuned = tuned
        self.dir = os.path.join(WORK_DIR, 'deploy')
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.inventory = os.path.join(self.dir, 'inventory.json')
        self.playbook, self.extra_env = SITE, {}
        if baseline_roles:
            document = baseline_inventory(self.names)
            self.playbook = os.path.join(self.dir, 'baseline.yml')
            with open(self.playbook, 'w', encoding='utf-8') as handle:
                handle.write(BASELINE_PLAYBOOK)
            self.extra_env = dict(ANSIBLE_ROLES_PATH=baseline_roles)
            self.inventory_hosts = len(self.names)
        else:
            document = inventory(self.names, instances)
            self.inventory_hosts = len(self._data_hosts(document))
        with open(self.inventory, 'w', encoding='utf-8') as handle:
            json.dump(document, handle)
        self.runs = 0

    @staticmethod
    def _data_hosts(document: dict) -> list:
        children = document['all']['children']
        return list(children['redis_master']['hosts']) + list(children.get('redis_replica', {}).get('hosts', {}))

    def site(self, extra_vars: dict | None = None) -> dict:
        self.runs += 1
        stats_file = os.path.join(self.dir, 'stats-%d.json' % self.runs)
        log = os.path.join(self.dir, 'site-%d.log' % self.runs)
        argv = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', self.inventory, self.playbook]
        if extra_vars:
            argv += ['-e', json.dumps(extra_vars)]
        env = ansible_env(BENCH_STATS_FILE=stats_file, **self.extra_env,
                          **settings_env(self.tuned, self.inventory_hosts, os.path.join(self.dir, 'facts')))
        started = time.monotonic()
        with open(log, 'w', encoding='utf-8') as handle:
            proc = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=3600, check=False)
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            with open(log, encoding='utf-8') as handle:
                fatal = [line[:400] for line in handle if line.startswith('fatal:')][:5]
            raise RuntimeError('%s failed (rc %d), see %s:\n%s' % (
                os.path.basename(self.playbook), proc.returncode, log, '\n'.join(fatal)))
        with open(stats_file, encoding='utf-8') as handle:
            stats = json.load(handle)
        return dict(seconds=round(seconds, 2), **counts(stats))

    def ping_floor(self) -> float:
        """Seconds of `ansible all -m ping` on the same hosts with the same settings: one module round trip per
        host, the least any playbook run can cost (the floor the no-op re-run is compared to)."""
        argv = [os.path.join(VENV_BIN, 'ansible'), 'all', '-i', self.inventory, '-m', 'ansible.builtin.ping']
        env = ansible_env(**settings_env(self.tuned, self.inventory_hosts, os.path.join(self.dir, 'facts')))
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            raise RuntimeError('ansible -m ping failed (rc %d): %s' % (proc.returncode, proc.stdout[-1000:]))
        return round(seconds, 2)

    def main_pids(self) -> dict:
        pids = {}
        for name in self.names:
            for unit in ('redis-%d.service' % DATA_PORT, 'redis-sentinel-%d.service' % SENTINEL_PORT):
                value = podman('exec', name, 'systemctl', 'show', '-p', 'MainPID', '--value', unit).strip()
                pids['%s/%s' % (name, unit)] = value
        return pids

    def addresses(self) -> list:
        document = json.loads(podman('inspect', *self.names))
        return [entry['NetworkSettings']['Networks'][NETWORK]['IPAddress'] for entry in document]


def counts(stats: dict) -> dict:
    """Tasks and module invocations per host (min and max over hosts), changed and failed over the run."""
    hosts = stats['hosts'].values()
    recap = stats['recap'].values()
    return dict(tasks_per_host=[min(h['tasks'] for h in hosts), max(h['tasks'] for h in hosts)],
                modules_per_host=[min(h['modules'] for h in hosts), max(h['modules'] for h in hosts)],
                modules_total=sum(h['modules'] for h in hosts),
                changed=sum(r['changed'] for r in recap), failed=sum(r['failures'] for r in recap))


def first_and_rerun(hosts: int, instances: int, tuned: bool, label: str, baseline_roles: str | None = None) -> tuple:
    progress('%s: creating %d containers' % (label, hosts))
    deployment = Deployment(hosts, instances, tuned, baseline_roles)
    progress('%s: first %s run (%d data instances, %s settings)' % (
        label, BASELINE_NAME if baseline_roles else 'site.yml', deployment.inventory_hosts,
        'tuned' if tuned else 'default'))
    first = deployment.site()
    progress('%s: first run %.1f s; no-op re-run' % (label, first['seconds']))
    rerun = deployment.site()
    rerun['floor_seconds'] = deployment.ping_floor()
    progress('%s: re-run %.1f s, changed=%d; ping floor %.1f s' % (
        label, rerun['seconds'], rerun['changed'], rerun['floor_seconds']))
    return deployment, dict(first=first, rerun=rerun)


def run_converge(runs: int) -> tuple:
    """3 hosts, tuned against default settings, alternating which goes first, and the baseline role on fresh hosts
    with the same settings right before each; the last deployment of site.yml stays up."""
    pairs, deployment = [], None
    baseline_roles, baseline_source = baseline_roles_dir()
    progress('baseline %s: %s' % (BASELINE_NAME, baseline_source))
    for run in range(runs):
        order = [True, False] if run % 2 else [False, True]
        pair = {}
        for tuned in order:
            mode = 'tuned' if tuned else 'default'
            if baseline_roles:
                try:
                    pair['baseline_' + mode] = first_and_rerun(3, 1, tuned, 'baseline run %d/%d' % (run + 1, runs),
                                                               baseline_roles)[1]
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    progress('baseline %s FAILED: %s' % (mode, str(exc)[-1000:]))
            deployment, measured = first_and_rerun(3, 1, tuned, 'converge run %d/%d' % (run + 1, runs))
            pair[mode] = measured
        pairs.append(pair)
    out = dict(baseline=dict(name=BASELINE_NAME, source=baseline_source))
    for mode in ('tuned', 'default'):
        measured = [p for p in pairs if 'baseline_' + mode in p]
        if not measured:
            continue
        base = [p['baseline_' + mode] for p in measured]
        out['baseline'][mode] = dict(
            first=summary([b['first']['seconds'] for b in base]), rerun=summary([b['rerun']['seconds'] for b in base]),
            floor_seconds=summary([b['rerun']['floor_seconds'] for b in base]),
            tasks_per_host=base[-1]['rerun']['tasks_per_host'], modules_per_host=base[-1]['rerun']['modules_per_host'],
            # This collection over the baseline, pair by pair (same settings, the same minutes).
            first_ratio=summary([p[mode]['first']['seconds'] / p['baseline_' + mode]['first']['seconds']
                                 for p in measured]),
            rerun_ratio=summary([p[mode]['rerun']['seconds'] / p['baseline_' + mode]['rerun']['seconds']
                                 for p in measured]))
    for mode in ('tuned', 'default'):
        out[mode] = {phase: dict(seconds=summary([p[mode][phase]['seconds'] for p in pairs]),
                                 tasks_per_host=pairs[-1][mode][phase]['tasks_per_host'],
                                 modules_per_host=pairs[-1][mode][phase]['modules_per_host'],
                                 changed=[p[mode][phase]['changed'] for p in pairs])
                     for phase in ('first', 'rerun')}
        # The no-op re-run over `ansible all -m ping` right after it (same hosts, same settings), pair by pair.
        out[mode]['rerun']['floor_seconds'] = summary([p[mode]['rerun']['floor_seconds'] for p in pairs])
        out[mode]['rerun']['over_floor'] = summary([p[mode]['rerun']['seconds'] / p[mode]['rerun']['floor_seconds']
                                                    for p in pairs])
    out['default_over_tuned'] = {phase: summary([p['default'][phase]['seconds'] / p['tuned'][phase]['seconds']
                                                 for p in pairs]) for phase in ('first', 'rerun')}
    out['pairs'] = pairs
    return out, deployment


def scale_point(hosts: int, instances: int, runs: int, converge: dict | None) -> dict:
    """One (hosts, instances) point with the recommended settings; 3 hosts x 1 instance reuses the converge runs."""
    reused = bool(converge) and (hosts, instances) == (3, 1)
    if reused:
        samples = [p['tuned'] for p in converge['pairs']]
    else:
        try:
            samples = [first_and_rerun(hosts, instances, True, 'scale %d hosts x %d instances (run %d/%d)' % (
                hosts, instances, run + 1, runs))[1] for run in range(runs)]
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            progress('scale %d hosts x %d instances FAILED: %s' % (hosts, instances, str(exc)[-1500:]))
            return dict(hosts=hosts, instances=instances, error=str(exc)[-1500:])
    return dict(hosts=hosts, instances=instances, data_instances=hosts * instances,
                first=summary([s['first']['seconds'] for s in samples]),
                rerun=summary([s['rerun']['seconds'] for s in samples]),
                tasks_per_host=samples[-1]['first']['tasks_per_host'],
                modules_total=samples[-1]['first']['modules_total'],
                rerun_changed=[s['rerun']['changed'] for s in samples], reused_from_converge=reused,
                load_at_end=[round(value, 1) for value in os.getloadavg()])


def growth(points: list, key: str) -> dict:
    """Seconds added per added host (or instance) between the smallest and the largest point, from the medians.
    Points reused from the converge suite (measured at another moment) are left out when two others exist."""
    points = [point for point in points if 'error' not in point]
    own = [point for point in points if not point.get('reused_from_converge')]
    points = own if len(own) >= 2 else points
    if len(points) < 2:
        return dict(first=None, rerun=None)
    low, high = points[0], points[-1]
    span = high[key] - low[key]
    return {phase: round((high[phase]['median'] - low[phase]['median']) / span, 2) if span else None
            for phase in ('first', 'rerun')}


def scale_document(measured: dict, hosts_list: list, instances_list: list, instance_hosts: int) -> dict:
    by_hosts = [measured[(h, 1)] for h in hosts_list if (h, 1) in measured]
    by_instances = [measured[(instance_hosts, i)] for i in instances_list if (instance_hosts, i) in measured]
    return dict(by_hosts=by_hosts, by_instances=by_instances, per_added_host=growth(by_hosts, 'hosts'),
                per_added_instance=growth(by_instances, 'instances'), instance_hosts=instance_hosts,
                not_measured=['%dx%d' % point for point in scale_order(hosts_list, instances_list, instance_hosts)
                              if point not in measured])


def scale_order(hosts_list: list, instances_list: list, instance_hosts: int) -> list:
    """Every point once, cheapest (fewest data instances) first."""
    points = {(h, 1) for h in hosts_list} | {(instance_hosts, i) for i in instances_list}
    return sorted(points, key=lambda point: (point[0] * point[1], point))


def run_scale(runs: int, hosts_list: list, instances_list: list, instance_hosts: int, converge: dict | None,
              save) -> dict:
    """Every point, cheapest first; save(document) after each, so an interrupted run keeps what it measured."""
    measured: dict = {}
    for point in scale_order(hosts_list, instances_list, instance_hosts):
        measured[point] = scale_point(point[0], point[1], runs, converge)
        save(scale_document(measured, hosts_list, instances_list, instance_hosts))
    return scale_document(measured, hosts_list, instances_list, instance_hosts)


def writer_for(deployment: Deployment, tag: str) -> tuple:
    """tests/clients/writer.py against the deployment's Sentinels, from the controller; returns (popen, files)."""
    files = {kind: os.path.join(WORK_DIR, 'live-%s.%s' % (tag, kind)) for kind in ('stop', 'progress', 'json')}
    for path in files.values():
        if os.path.exists(path):
            os.remove(path)
    sentinels = ','.join('%s:%d' % (address, SENTINEL_PORT) for address in deployment.addresses())
    env = dict(os.environ, REDIS_OPS_PASSWORD=DATA_PASSWORD, REDIS_OPS_SENTINEL_PASSWORD=SENTINEL_PASSWORD)
    argv = [os.path.join(VENV_BIN, 'python'), os.path.join(ROOT, 'tests', 'clients', 'writer.py'),
            '--sentinels', sentinels, '--rate', '100', '--max-seconds', '900', '--max-writes', '90000',
            '--stop-file', files['stop'], '--progress', files['progress'], '--result', files['json']]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), files


def live_change_once(deployment: Deployment, maxmemory: str) -> dict:
    popen, files = writer_for(deployment, maxmemory)
    deadline = time.monotonic() + 60
    while not os.path.exists(files['progress']):
        if time.monotonic() > deadline or popen.poll() is not None:
            raise RuntimeError('the writer did not start writing')
        time.sleep(0.2)
    before = deployment.main_pids()
    run = deployment.site(dict(redis_maxmemory=maxmemory))
    after = deployment.main_pids()
    with open(files['stop'], 'w', encoding='utf-8'):
        pass
    popen.wait(120)
    with open(files['json'], encoding='utf-8') as handle:
        writer = json.load(handle)
    restarts = sum(1 for unit, pid in before.items() if after.get(unit) != pid)
    return dict(maxmemory=maxmemory, seconds=run['seconds'], changed=run['changed'], restarts=restarts,
                units_checked=len(before), client_errors=writer['errors'], lost=writer['missing'],
                acknowledged=writer['acknowledged'], gap_seconds=writer['longest_gap_seconds'])


def run_live(runs: int, deployment: Deployment | None) -> dict:
    """maxmemory changed on a running 3-host fleet: restarts (MainPID of every server and Sentinel unit) and
    errors of a Sentinel client writing throughout."""
    if deployment is None or len(deployment.names) != 3:
        deployment = first_and_rerun(3, 1, True, 'live change: fresh fleet')[0]
    samples = []
    for run in range(runs):
        value = '%dmb' % (64 * (run + 1))
        progress('live change %d/%d: redis_maxmemory=%s under a writer' % (run + 1, runs, value))
        samples.append(live_change_once(deployment, value))
    return dict(seconds=summary([s['seconds'] for s in samples]), restarts=[s['restarts'] for s in samples],
                client_errors=[s['client_errors'] for s in samples], lost=[s['lost'] for s in samples],
                gap=summary([s['gap_seconds'] for s in samples]), samples=samples)
