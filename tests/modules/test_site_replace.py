# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml replacing a dead host, against real redis-server / redis-sentinel processes on loopback.

As in test_site_unreachable, site.yml's own discovery, reset, wait and summary plays run; the role's converge
(packages, units) is stood in for by a REPLICAOF of the replicas towards the primary discovery decided, which the
Molecule ``failover`` scenario runs for real.
"""

from __future__ import annotations

import os

import pytest
import yaml
from harness import PASSWORD, SENTINEL_PASSWORD, promotable_replicas, run_playbook_file, sentinel_command, wait_until
from test_site_unreachable import PLAYBOOKS, PROBE, WAIT, fleet_of_three, master_of, task, write_inventory  # noqa: F401 pylint: disable=unused-import

RESET = 'Reset the Sentinels that hold stale entries'
CONVERGE = 'Stand in for the converge of the replicas'
MONITOR = 'Monitor the current primary'
SITE_PLAYS = ('Discover the live topology', 'Forget replicas and Sentinels that left the inventory, one Sentinel at a time',
              'Wait until every Sentinel sees the whole fleet', 'Name the hosts left untouched')


def only_group(entry) -> dict:
    """The reset task's result for the inventory's one replication group (the task loops over the groups)."""
    results = entry['result']['results']
    assert len(results) == 1, results
    return results[0]


def site_part(tmp_path, monitor: bool = False) -> str:
    with open(os.path.join(PLAYBOOKS, 'site.yml'), encoding='utf-8') as handle:
        plays = {play['name']: play for play in yaml.safe_load(handle)}
    probe = dict(name='Probe', hosts='redis_master:redis_replica:redis_sentinel', gather_facts=False, tasks=[dict(
        name=PROBE, run_once=True, **{'ansible.builtin.debug': dict(msg=dict(
            primary='{{ redis_primary }}', replicas="{{ groups['redis_ops_current_replicas'] | default([]) }}"))})])
    converge = dict(name='Converge stand-in', hosts='redis_ops_current_replicas', gather_facts=False, tasks=[dict(
        name=CONVERGE, **{'redis_ops.replication.replicaof': dict(
            login_port='{{ redis_port }}', login_password=PASSWORD, primary_host='{{ redis_primary.address }}',
            primary_port='{{ redis_primary.port }}', primary_auth=PASSWORD, wait_for_sync=True)})])
    # The Sentinel role's sentinel_monitor task, with the same arguments (roles/_common/tasks/sentinel.yml).
    sentinels = dict(name='Sentinel stand-in', hosts='redis_sentinel', gather_facts=False, tasks=[dict(
        name=MONITOR, **{'redis_ops.replication.sentinel_monitor': dict(
            login_port='{{ redis_sentinel_port }}', login_user='default', login_password=SENTINEL_PASSWORD,
            name='mymaster', host='{{ redis_primary.address }}', port='{{ redis_primary.port | int }}',
            quorum='{{ redis_sentinel_quorum }}', auth_pass=PASSWORD)})])
    path = tmp_path / 'site-part.yml'
    path.write_text(yaml.safe_dump([plays[SITE_PLAYS[0]], probe, converge] + ([sentinels] if monitor else []) +
                                   [plays[name] for name in SITE_PLAYS[1:]]))
    return str(path)


def counts(sentinel) -> tuple:
    master = sentinel_command(sentinel, 'MASTER', 'mymaster')
    return int(master['num-slaves']), int(master['num-other-sentinels'])


@pytest.mark.long(3)
def test_a_new_host_replaces_the_dead_primary_host_and_the_sentinels_forget_it(fleet_of_three, fleet, tmp_path):
    nodes, sentinels = fleet_of_three
    # The primary's host dies for good, with its Sentinel; the two others fail over.
    nodes['node1'].kill()
    sentinels['s1'].kill()
    old, old_sentinel = ('127.0.0.1', nodes['node1'].port), sentinels['s1'].port
    wait_until(lambda: master_of(sentinels['s2']) != old and master_of(sentinels['s2']) == master_of(sentinels['s3']),
               60, 'the two remaining Sentinels to fail over', interval=0.3)
    new_port = master_of(sentinels['s2'])[1]
    new = next(name for name, instance in nodes.items() if instance.port == new_port)
    # A new host with a new address takes node1's place in the inventory (in redis_master, which no longer says who
    # is primary): a fresh server that replicates from nobody, and a Sentinel the role set to monitor the primary.
    nodes['node1'] = fleet.redis(['repl-diskless-sync-delay 0'])
    sentinels['s1'] = fleet.sentinel(nodes[new], quorum=2, down_after=1000)
    inventory = write_inventory(tmp_path, nodes, sentinels)

    # Check mode: the plan names what each Sentinel would forget, and nothing is sent.
    check = run_playbook_file(site_part(tmp_path), inventory, check=True)
    planned = task(check, RESET)
    assert len(planned) == 1 and planned[0]['result']['changed'] is True, check.stdout[-3000:]
    assert only_group(planned[0])['commands'] == []
    dead = '127.0.0.1:%d' % old_sentinel
    assert [entry['stale_sentinels'] for entry in only_group(planned[0])['sentinels']] == [[], [dead], [dead]]
    assert str(old_sentinel) in [entry['port'] for entry in sentinel_command(sentinels['s2'], 'SENTINELS', 'mymaster')]

    run = run_playbook_file(site_part(tmp_path), inventory)
    assert run.rc == 0, run.stdout[-3000:]
    decided = task(run, PROBE)[0]['result']['msg']
    assert decided['primary']['host'] == new and decided['primary']['source'] == 'sentinel'
    assert sorted(decided['replicas']) == sorted({'node1', 'node2', 'node3'} - {new})
    assert nodes['node1'].client().info('replication')['master_port'] == new_port
    reset = task(run, RESET)
    assert len(reset) == 1 and reset[0]['result']['changed'] is True, run.stdout[-3000:]
    assert [entry['reset'] for entry in only_group(reset[0])['sentinels']] == [False, True, True]
    assert all(counts(sentinel) == (2, 2) for sentinel in sentinels.values())
    assert sorted(entry['host'] for entry in task(run, WAIT) if entry['status'] == 'ok') == ['s1', 's2', 's3']

    again = run_playbook_file(site_part(tmp_path), inventory)
    assert again.rc == 0, again.stdout[-3000:]
    assert [entry['result']['changed'] for entry in task(again, RESET)] == [False]
    assert not [entry for entry in again.results if entry['result'].get('changed')], again.stdout[-3000:]


def test_growing_sentinels_from_three_to_five_monitors_the_current_primary(fleet_of_three, fleet, tmp_path):
    nodes, sentinels = fleet_of_three
    # The primary is no longer the inventory's redis_master.
    wait_until(lambda: promotable_replicas(sentinels['s1']), 30, 'a replica Sentinel would promote')
    sentinels['s1'].client().execute_command('SENTINEL', 'FAILOVER', 'mymaster')
    wait_until(lambda: all(master_of(s) != ('127.0.0.1', nodes['node1'].port) for s in sentinels.values()) and
               len({master_of(s) for s in sentinels.values()}) == 1, 30, 'the switchover', interval=0.3)
    current = master_of(sentinels['s1'])
    sentinels.update(s4=fleet.sentinel(), s5=fleet.sentinel())
    inventory = write_inventory(tmp_path, nodes, sentinels)
    with open(inventory, encoding='utf-8') as handle:
        text = handle.read().replace('redis_sentinel_quorum=2', 'redis_sentinel_quorum=3')
    with open(inventory, 'w', encoding='utf-8') as handle:
        handle.write(text)

    run = run_playbook_file(site_part(tmp_path, monitor=True), inventory)
    assert run.rc == 0, run.stdout[-3000:]
    assert sorted(entry['host'] for entry in task(run, MONITOR) if entry['result']['changed']) == ['s1', 's2', 's3',
                                                                                                   's4', 's5']
    assert [entry['result']['changed'] for entry in task(run, RESET)] == [False]
    for sentinel in sentinels.values():
        master = sentinel_command(sentinel, 'MASTER', 'mymaster')
        assert (master['ip'], int(master['port'])) == current
        assert (master['quorum'], master['num-other-sentinels'], master['num-slaves']) == ('3', '4', '2')
