# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml with hosts unreachable, against real redis-server / redis-sentinel processes on loopback.

The plays that decide and wait are taken from playbooks/site.yml itself (its discovery, the wait for the
Sentinels to settle and the closing summary); the converge plays in between install packages and units, which the
Molecule ``failover`` scenario runs. A host Ansible cannot reach is an SSH host on a closed loopback port.
"""

from __future__ import annotations

import os

import pytest
import yaml
from harness import MODULE_PYTHON, PASSWORD, SENTINEL_PASSWORD, free_port, run_playbook_file, sentinel_command, wait_until

PLAYBOOKS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks'))
SITE_PLAYS = ('Discover the live topology', 'Wait until every Sentinel sees the whole fleet', 'Name the hosts left untouched')
DECIDE = 'Decide the current primary from the live cluster'
WAIT = 'Wait for all replicas, all other Sentinels and a reachable quorum'
SUMMARY = 'Say which hosts could not be reached'
PROBE = 'Show what discovery decided'
FAST = ['repl-diskless-sync-delay 0']


def site_part(tmp_path) -> str:
    """site.yml's discovery, Sentinel wait and summary plays, with a probe of the decision after discovery."""
    with open(os.path.join(PLAYBOOKS, 'site.yml'), encoding='utf-8') as handle:
        plays = {play['name']: play for play in yaml.safe_load(handle)}
    probe = dict(name='Probe', hosts='redis_master:redis_replica:redis_sentinel', gather_facts=False, tasks=[dict(
        name=PROBE, run_once=True, **{'ansible.builtin.debug': dict(msg=dict(
            primary='{{ redis_primary }}', unreachable='{{ redis_ops_unreachable }}',
            replicas="{{ groups['redis_ops_current_replicas'] | default([]) }}",
            primaries="{{ groups['redis_ops_current_primary'] | default([]) }}"))})])
    path = tmp_path / 'site-part.yml'
    path.write_text(yaml.safe_dump([plays[SITE_PLAYS[0]], probe, plays[SITE_PLAYS[1]], plays[SITE_PLAYS[2]]]))
    return str(path)


def host_line(name: str, unreachable: bool = False, **variables) -> str:
    if unreachable:
        variables.update(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=free_port())
    variables.setdefault('ansible_connection', 'local')
    variables.setdefault('ansible_python_interpreter', MODULE_PYTHON)
    variables.setdefault('redis_host_address', '127.0.0.1')
    return ' '.join([name] + ['%s=%s' % item for item in sorted(variables.items())])


def write_inventory(tmp_path, nodes: dict, sentinels: dict, unreachable=()) -> str:
    lines = ['[redis_master]', host_line('node1', 'node1' in unreachable, redis_port=nodes['node1'].port)]
    lines += ['', '[redis_replica]'] + [host_line(n, n in unreachable, redis_port=i.port)
                                        for n, i in nodes.items() if n != 'node1']
    lines += ['', '[redis_sentinel]'] + [host_line(n, n in unreachable, redis_sentinel_port=i.port)
                                         for n, i in sentinels.items()]
    lines += ['', '[all:vars]', 'redis_password=%s' % PASSWORD, 'redis_sentinel_password=%s' % SENTINEL_PASSWORD,
              'redis_sentinel_quorum=2']
    path = tmp_path / 'inventory.ini'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def task(run, name) -> list:
    return [entry for entry in run.results if entry['task'].endswith(name)]


def master_of(sentinel) -> tuple:
    host, port = sentinel.client().execute_command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')
    return host, int(port)


@pytest.fixture
def fleet_of_three(fleet):
    """node1 primary, node2 and node3 its replicas, three Sentinels (quorum 2) that know each other."""
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST, replica_of=primary) for _index in range(2)]
    wait_until(lambda: primary.client().info('replication')['connected_slaves'] == 2, 20, 'the replicas to connect')
    sentinels = {'s%d' % i: fleet.sentinel(primary, quorum=2, down_after=1000) for i in (1, 2, 3)}
    wait_until(lambda: all(len(sentinel_command(s, 'SENTINELS', 'mymaster')) == 2 and
                           len(sentinel_command(s, 'REPLICAS', 'mymaster')) == 2 for s in sentinels.values()),
               30, 'the Sentinels to know each other and the replicas', interval=0.3)
    return dict(node1=primary, node2=replicas[0], node3=replicas[1]), sentinels


def test_old_primary_host_down_after_failover_converges_the_others_and_names_it(fleet_of_three, tmp_path):
    nodes, sentinels = fleet_of_three
    # The primary's host goes down, with its Sentinel; the two others fail over.
    nodes['node1'].stop()
    sentinels['s1'].stop()
    old = ('127.0.0.1', nodes['node1'].port)
    wait_until(lambda: master_of(sentinels['s2']) != old and master_of(sentinels['s2']) == master_of(sentinels['s3']),
               60, 'the two remaining Sentinels to fail over', interval=0.3)
    new_port = master_of(sentinels['s2'])[1]
    new = next(name for name, instance in nodes.items() if instance.port == new_port)
    other = ({'node2', 'node3'} - {new}).pop()
    wait_until(lambda: nodes[other].client().info('replication').get('master_port') == new_port and
               nodes[other].client().info('replication').get('master_link_status') == 'up', 30,
               'the other replica to follow the new primary', interval=0.3)

    run = run_playbook_file(site_part(tmp_path), write_inventory(tmp_path, nodes, sentinels, ('node1', 's1')))

    # Ansible fails the run for the unreachable hosts (exit code 4), and for nothing else.
    assert run.rc == 4, run.stdout[-3000:]
    assert {entry['host'] for entry in run.results if entry['status'] == 'unreachable'} == {'node1', 's1'}
    assert not [entry for entry in run.results if entry['status'] == 'failed'], run.stdout[-3000:]
    decided = task(run, PROBE)[0]['result']['msg']
    assert decided['primary'] == dict(host=new, address='127.0.0.1', port=new_port, source='sentinel',
                                      sentinels_agreeing=2, sentinels_configured=3)
    assert decided['primaries'] == [new] and decided['replicas'] == [other]
    assert decided['unreachable'] == ['node1', 's1']
    # The reachable Sentinels settled without waiting for the ones that are down (which they still know).
    assert sorted(entry['host'] for entry in task(run, WAIT) if entry['status'] == 'ok') == ['s2', 's3']
    assert len(sentinel_command(sentinels['s2'], 'SENTINELS', 'mymaster')) == 2
    summary = task(run, SUMMARY)
    assert len(summary) == 1 and summary[0]['status'] == 'ok', run.stdout[-3000:]
    assert summary[0]['result']['msg'] == [
        'Converged the reachable hosts against the primary %s (127.0.0.1:%d), which 2 of the 3 configured Sentinels '
        'agree on.' % (new, new_port),
        'Left untouched, not reachable: node1, s1. Ansible counts them as unreachable and the run fails; run site.yml '
        'again once they are back.']


def test_without_a_majority_of_all_sentinels_an_unreachable_replica_stops_the_play(fleet_of_three, tmp_path):
    nodes, sentinels = fleet_of_three
    # node3 and two Sentinels cannot be reached (they still run): the one Sentinel answering is 1 of 3.
    run = run_playbook_file(site_part(tmp_path), write_inventory(tmp_path, nodes, sentinels, ('node3', 's2', 's3')))
    assert run.rc != 0
    failed = [entry for entry in task(run, DECIDE) if entry['status'] == 'failed']
    assert {entry['host'] for entry in failed} == {'node1', 'node2', 's1'}, run.stdout[-3000:]
    assert ('the live state of node3 was not read (hosts that are unreachable); the current primary cannot be decided '
            'without every data node unless a majority of all 3 configured Sentinels agree on a reachable primary, and '
            'only these answered: s1 says 127.0.0.1:%d' % nodes['node1'].port) in failed[0]['result']['msg']
    assert not task(run, PROBE) and not task(run, WAIT) and not task(run, SUMMARY)


def test_unreachable_primary_the_sentinels_still_name_stops_and_switchover_refuses_a_host_down(fleet_of_three, tmp_path):
    nodes, sentinels = fleet_of_three
    # node1's host cannot be reached, but its server runs: the Sentinels rightly still name it.
    run = run_playbook_file(site_part(tmp_path), write_inventory(tmp_path, nodes, sentinels, ('node1',)))
    failed = [entry for entry in task(run, DECIDE) if entry['status'] == 'failed']
    assert run.rc != 0 and failed, run.stdout[-3000:]
    assert ('3 of the 3 configured Sentinels (s1, s2, s3) agree that the primary of mymaster is 127.0.0.1:%d, which '
            'is none of the data nodes that could be reached; node1 is unreachable' % nodes['node1'].port
            ) in failed[0]['result']['msg']
    assert not task(run, PROBE)

    # A switchover with a data node down refuses before any change.
    run = run_playbook_file(os.path.join(PLAYBOOKS, 'switchover.yml'),
                            write_inventory(tmp_path, nodes, sentinels, ('node3',)))
    failed = [entry for entry in task(run, DECIDE) if entry['status'] == 'failed']
    assert run.rc != 0 and failed, run.stdout[-3000:]
    assert ('the live state of node3 was not read (hosts that are unreachable); this playbook needs every data node'
            in failed[0]['result']['msg'])
    assert not [entry for entry in run.results if entry['result'].get('changed')]
    assert master_of(sentinels['s1']) == ('127.0.0.1', nodes['node1'].port)


def test_a_sentinel_that_does_not_settle_is_named_with_what_it_lacks(fleet_of_three, tmp_path):
    """The wait at the end of site.yml gives up after redis_sentinel_settle_timeout and says, per Sentinel, what it
    knows against what the inventory expects. Here a third Sentinel runs that the inventory does not list (and these
    plays do not include the one that would forget it): each listed Sentinel knows one Sentinel too many."""
    nodes, sentinels = fleet_of_three
    inventory = write_inventory(tmp_path, nodes, {name: sentinels[name] for name in ('s1', 's2')})
    run = run_playbook_file(site_part(tmp_path), inventory, dict(redis_sentinel_settle_timeout=4), callback='default')
    output = ' '.join(run.stdout.split())
    assert run.rc != 0, run.stdout[-3000:]
    for name in ('s1', 's2'):
        assert ('the Sentinel on %s (port %d) did not settle within 4 s' % (name, sentinels[name].port)) in output, \
            run.stdout[-3000:]
    assert 'it knows 2 replica(s) of mymaster where 2 are expected (node2, node3), 2 other Sentinel(s) where 1 are ' \
        'expected, and CKQUORUM says: OK' in output, run.stdout[-3000:]
