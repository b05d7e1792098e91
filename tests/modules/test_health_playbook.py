# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/health.yml against real redis-server / redis-sentinel processes on loopback.

Every inventory host runs with ansible_connection=local and talks to its own instance by port, as a host of the
fleet talks to its local instance.
"""

from __future__ import annotations

import os
import re

import pytest
from harness import MODULE_PYTHON, PASSWORD, SENTINEL_PASSWORD, free_port, run_playbook_file, sentinel_command, wait_until

# This copy of the collection's playbook (tests run from .build/ansible_collections/redis_ops/replication).
PLAYBOOK = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks', 'health.yml'))
FAST = ['repl-diskless-sync-delay 0']
JUDGE = 'Compare what every data node and Sentinel reported'
VERDICT = 'Check the health of the fleet'


def host_line(name: str, **variables) -> str:
    variables.setdefault('ansible_connection', 'local')
    variables.setdefault('ansible_python_interpreter', MODULE_PYTHON)
    variables.setdefault('redis_host_address', '127.0.0.1')
    return ' '.join([name] + ['%s=%s' % item for item in sorted(variables.items())])


def write_inventory(tmp_path, master: dict, replicas: dict, sentinels: dict | None = None, extra: dict | None = None):
    """master/replicas: {name: Instance}; sentinels: {name: Instance}; extra: {group: [raw host lines]}."""
    extra = extra or {}
    lines = ['[redis_master]'] + [host_line(n, redis_port=i.port) for n, i in master.items()] + extra.get('redis_master', [])
    lines += ['', '[redis_replica]'] + [host_line(n, redis_port=i.port) for n, i in replicas.items()]
    lines += extra.get('redis_replica', [])
    lines += ['', '[redis_sentinel]'] + [host_line(n, redis_sentinel_port=i.port) for n, i in (sentinels or {}).items()]
    lines += extra.get('redis_sentinel', [])
    lines += ['', '[all:vars]', 'redis_password=%s' % PASSWORD, 'redis_sentinel_password=%s' % SENTINEL_PASSWORD]
    path = tmp_path / 'inventory.ini'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def replication(instance) -> dict:
    return instance.client().info('replication')


def online_replicas(primary) -> list:
    info = replication(primary)
    return [info['slave%d' % i] for i in range(info['connected_slaves']) if info['slave%d' % i]['state'] == 'online']


def wait_for_replicas(primary, replicas):
    wait_until(lambda: len(online_replicas(primary)) == len(replicas) and all(
        replication(r)['master_link_status'] == 'up' for r in replicas), 20, 'the replicas to be online')


def start_sentinels(fleet, primary, count=3, quorum=2):
    sentinels = [fleet.sentinel(primary, quorum=quorum, down_after=5000) for _index in range(count)]
    if count > 1:
        wait_until(lambda: all(len(sentinel_command(s, 'SENTINELS', 'mymaster')) == count - 1 for s in sentinels),
                   30, 'the Sentinels to discover each other', interval=0.3)
    return {'s%d' % (index + 1): sentinel for index, sentinel in enumerate(sentinels)}


@pytest.fixture
def nodes(fleet):
    """node1 (the inventory's redis_master) is primary, node2 and node3 replicate from it."""
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST, replica_of=primary) for _index in range(2)]
    wait_for_replicas(primary, replicas)
    return {'node1': primary, 'node2': replicas[0], 'node3': replicas[1]}


def inventory_of(tmp_path, nodes, sentinels=None, extra=None, master='node1'):
    return write_inventory(tmp_path, {master: nodes[master]}, {n: i for n, i in nodes.items() if n != master},
                           sentinels, extra)


def health(run) -> dict:
    return run.task(JUDGE, 'localhost')[0]['result']['ansible_facts']['redis_health']


def verdict(run) -> dict:
    results = run.task(VERDICT, 'localhost')
    assert len(results) == 1, run.stdout[-3000:]
    return results[0]


def assert_failed_naming(run, *words):
    """The run failed on the final task, and one problem names every one of words."""
    final = verdict(run)
    assert run.rc != 0 and final['status'] == 'failed', final
    report = health(run)
    assert report['ok'] is False
    assert final['result']['msg'][0].startswith('Redis health check FAILED')
    assert final['result']['msg'][1:] == ['- %s' % problem for problem in report['problems']]
    matching = [p for p in report['problems'] if all(word in p for word in words)]
    assert matching, 'no problem names %s: %s' % (words, report['problems'])
    return report


def assert_nothing_changed(run):
    changed = [(entry['task'], entry['host']) for entry in run.results if entry['result'].get('changed')]
    assert not changed, changed


def test_healthy_fleet_passes_and_changes_nothing(fleet, nodes, tmp_path):
    sentinels = start_sentinels(fleet, nodes['node1'])
    inventory = inventory_of(tmp_path, nodes, sentinels)
    run = run_playbook_file(PLAYBOOK, inventory)
    assert run.rc == 0, run.stdout[-3000:]
    assert_nothing_changed(run)
    report = health(run)
    assert report['ok'] is True and report['problems'] == []
    summary = report['summary']
    assert summary['master'] == dict(host='node1', address='127.0.0.1', port=nodes['node1'].port)
    assert summary['master_is_inventory_master'] is True
    assert sorted((r['host'], r['state']) for r in summary['replicas']) == [('node2', 'online'), ('node3', 'online')]
    assert all(r['lag'] <= 5 for r in summary['replicas'])
    assert summary['replicas_online'] == summary['replicas_expected'] == 2
    assert summary['sentinels']['agreed'] is True and summary['sentinels']['quorum_ok'] is True
    assert summary['sentinels']['address'] == '127.0.0.1:%d' % nodes['node1'].port
    assert summary['unreachable'] == []
    final = verdict(run)
    assert final['status'] == 'ok' and final['result']['msg'] == report['text']
    assert report['text'][0] == 'Redis health check OK: master node1 (127.0.0.1:%d)' % nodes['node1'].port

    # As an operator sees it, in check mode: every host changed=0, the summary names the master.
    check = run_playbook_file(PLAYBOOK, inventory, check=True, callback='default')
    assert check.rc == 0, check.stdout[-3000:]
    recap = dict(re.findall(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', check.stdout, re.MULTILINE))
    assert set(recap) == {'node1', 'node2', 'node3', 's1', 's2', 's3', 'localhost'}, check.stdout[-3000:]
    assert set(recap.values()) == {'0'}
    assert 'Redis health check OK: master node1 (127.0.0.1:%d)' % nodes['node1'].port in check.stdout


def test_replica_link_down_fails_naming_it(nodes, tmp_path):
    nowhere = free_port()
    nodes['node3'].client().execute_command('REPLICAOF', '127.0.0.1', nowhere)
    wait_until(lambda: len(online_replicas(nodes['node1'])) == 1, 10, 'the primary to drop node3')
    run = run_playbook_file(PLAYBOOK, inventory_of(tmp_path, nodes))
    report = assert_failed_naming(run, 'node3', 'link to 127.0.0.1:%d' % nowhere, 'is down')
    assert_failed_naming(run, 'sees 1 replica online, 2 expected', 'node3')
    assert not any('node2' in p for p in report['problems']), report['problems']
    assert_nothing_changed(run)


def test_lagging_replica_fails_naming_it(nodes, tmp_path):
    paused = nodes['node3']
    paused.pause()
    try:
        # A frozen replica stops acknowledging; the primary sees its lag grow.
        wait_until(lambda: any(r['port'] == paused.port and r['lag'] >= 2 for r in online_replicas(nodes['node1'])),
                   15, 'the primary to report a lag for node3', interval=0.3)
        run = run_playbook_file(PLAYBOOK, inventory_of(tmp_path, nodes),
                                extra_vars=dict(redis_health_max_lag_seconds=1, redis_health_timeout=1))
    finally:
        paused.resume()
    report = assert_failed_naming(run, 'replica node3', 'lags', 'behind the master node1', 'maximum of 1s')
    # Frozen, it does not answer either: recorded, and the run still reached the verdict.
    assert 'node3' in report['summary']['unreachable']
    assert not any('node2' in p for p in report['problems']), report['problems']


def test_sentinels_disagreeing_fail_naming_them(fleet, nodes, tmp_path):
    sentinels = {'s1': fleet.sentinel(nodes['node1']), 's2': fleet.sentinel(nodes['node1'])}
    stray = fleet.redis()
    sentinels['s3'] = fleet.sentinel(stray)  # the same name, another address
    run = run_playbook_file(PLAYBOOK, inventory_of(tmp_path, nodes, sentinels))
    report = assert_failed_naming(run, 'the Sentinels disagree on the master of mymaster',
                                  's1, s2 say 127.0.0.1:%d (node1, the master)' % nodes['node1'].port,
                                  's3 says 127.0.0.1:%d (not a data node of the inventory)' % stray.port)
    assert len(report['problems']) == 1, report['problems']
    assert report['summary']['sentinels']['agreed'] is False


def test_master_that_is_not_the_inventory_one_passes(fleet, nodes, tmp_path):
    # Switch by hand: node2 becomes the primary, node1 (still redis_master in the inventory) follows it.
    new = nodes['node2']
    new.client().execute_command('REPLICAOF', 'NO', 'ONE')
    for name in ('node1', 'node3'):
        nodes[name].client().execute_command('REPLICAOF', '127.0.0.1', new.port)
    wait_for_replicas(new, [nodes['node1'], nodes['node3']])
    sentinels = start_sentinels(fleet, new)
    run = run_playbook_file(PLAYBOOK, inventory_of(tmp_path, nodes, sentinels))
    assert run.rc == 0, health(run)['problems']
    report = health(run)
    assert report['summary']['master']['host'] == 'node2'
    assert report['summary']['master_is_inventory_master'] is False
    assert sorted(r['host'] for r in report['summary']['replicas']) == ['node1', 'node3']
    assert report['text'][0] == ("Redis health check OK: master node2 (127.0.0.1:%d), not the inventory's redis_master "
                                 "node1 (the fleet failed over or was switched)" % new.port)
    assert_nothing_changed(run)


def test_unreachable_hosts_are_recorded_and_fail_the_check(fleet, nodes, tmp_path):
    sentinels = {'s1': fleet.sentinel(nodes['node1'])}
    nodes['node3'].stop()
    # A Sentinel host Ansible cannot reach at all (ssh to a closed loopback port).
    ghost = host_line('s2', ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=free_port(),
                      redis_sentinel_port=26379)
    run = run_playbook_file(PLAYBOOK, inventory_of(tmp_path, nodes, sentinels, extra={'redis_sentinel': [ghost]}),
                            extra_vars=dict(redis_health_timeout=2))
    report = assert_failed_naming(run, 'data node node3 (127.0.0.1:%d) cannot be read' % nodes['node3'].port)
    assert_failed_naming(run, 'Sentinel s2', 'is unreachable')
    assert sorted(report['summary']['unreachable']) == ['node3', 's2']
    assert report['summary']['master']['host'] == 'node1'
