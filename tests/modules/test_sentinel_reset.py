# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sentinel_reset against real redis-server / redis-sentinel processes: staggered SENTINEL RESET."""

from __future__ import annotations

import pytest
from harness import SENTINEL_PASSWORD, promotable_replicas, sentinel_command, wait_until

FAST = ['repl-diskless-sync-delay 0']


def counts(sentinel) -> tuple:
    master = sentinel_command(sentinel, 'MASTER', 'mymaster')
    return int(master['num-slaves']), int(master['num-other-sentinels'])


def reset_args(sentinels, replicas, **extra) -> dict:
    args = dict(login_password=SENTINEL_PASSWORD, name='mymaster', timeout=30,
                sentinels=[dict(host='127.0.0.1', port=s.port) for s in sentinels],
                replicas=[dict(host='127.0.0.1', port=r.port) for r in replicas])
    args.update(extra)
    return args


def settled(sentinels, replicas: int, others: int):
    wait_until(lambda: all(counts(s) == (replicas, others) for s in sentinels), 30,
               'the Sentinels to know %d replicas and %d other Sentinels' % (replicas, others), interval=0.2)


@pytest.fixture
def fleet_of_three(fleet):
    """A primary, two replicas and three Sentinels (quorum 2) that know each other."""
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST, replica_of=primary) for _index in range(2)]
    sentinels = [fleet.sentinel(primary, quorum=2, down_after=5000) for _index in range(3)]
    settled(sentinels, 2, 2)
    return fleet, primary, replicas, sentinels


def test_healthy_fleet_is_left_alone(fleet_of_three, run_module):
    _fleet, _primary, replicas, sentinels = fleet_of_three
    ids = [sentinel_command(s, 'MASTER', 'mymaster')['runid'] for s in sentinels]
    run = run_module('sentinel_reset', reset_args(sentinels, replicas))
    assert not run.failed, run.result
    assert run['changed'] is False and run['commands'] == []
    assert [(e['reset'], e['num_replicas'], e['num_other_sentinels']) for e in run['sentinels']] == [(False, 2, 2)] * 3
    assert [sentinel_command(s, 'MASTER', 'mymaster')['runid'] for s in sentinels] == ids


@pytest.mark.long
def test_dead_replica_and_sentinel_replaced_leave_exact_counts_everywhere(fleet_of_three, run_module):
    fleet, primary, replicas, sentinels = fleet_of_three
    # A host dies for good (its replica and its Sentinel); a new host with a new address takes its place.
    replicas[1].kill()
    sentinels[2].kill()
    live_replicas = [replicas[0], fleet.redis(FAST, replica_of=primary)]
    live_sentinels = [sentinels[0], sentinels[1], fleet.sentinel(primary, quorum=2, down_after=5000)]
    wait_until(lambda: all(counts(s) == (3, 3) for s in sentinels[:2]) and counts(live_sentinels[2]) == (2, 2), 30,
               'the old Sentinels to know the new nodes besides the dead ones', interval=0.2)
    dead_replica, dead_sentinel = '127.0.0.1:%d' % replicas[1].port, '127.0.0.1:%d' % sentinels[2].port

    check = run_module('sentinel_reset', reset_args(live_sentinels, live_replicas), check=True)
    assert not check.failed, check.result
    assert check['changed'] is True and check['commands'] == []
    assert [(e['reset'], e['stale_replicas'], e['stale_sentinels']) for e in check['sentinels']] == [
        (True, [dead_replica], [dead_sentinel]), (True, [dead_replica], [dead_sentinel]), (False, [], [])]
    assert counts(sentinels[0]) == (3, 3)

    run = run_module('sentinel_reset', reset_args(live_sentinels, live_replicas))
    assert not run.failed, run.result
    assert run['changed'] is True
    assert run['commands'] == ['127.0.0.1:%d %s' % (s.port, command) for s in live_sentinels[:2]
                               for command in ('SENTINEL RESET mymaster', 'SENTINEL FLUSHCONFIG')]
    assert [counts(s) for s in live_sentinels] == [(2, 2)] * 3
    assert all(not e['stale_replicas'] and not e['stale_sentinels'] for e in run['sentinels'])
    assert str(replicas[1].port) not in sentinels[0].config_text()

    again = run_module('sentinel_reset', reset_args(live_sentinels, live_replicas))
    assert not again.failed and again['changed'] is False and again['commands'] == []


def test_refuses_when_the_others_could_not_reach_quorum(fleet_of_three, run_module):
    _fleet, _primary, replicas, sentinels = fleet_of_three
    sentinels[2].kill()
    run = run_module('sentinel_reset', reset_args(sentinels[:2], replicas))
    assert run.failed
    assert run['msg'].startswith('not resetting the Sentinel at 127.0.0.1:%d: while it re-learns the fleet only 1 '
                                 'other Sentinel(s) could act (127.0.0.1:%d), fewer than the quorum 2 or a majority 2 '
                                 'of the 2 Sentinels' % (sentinels[0].port, sentinels[1].port)), run['msg']
    assert run['commands'] == [] and run.get('changed') is False
    assert counts(sentinels[0]) == (2, 2)


def test_refuses_during_a_failover(fleet_of_three, run_module):
    _fleet, _primary, replicas, sentinels = fleet_of_three
    replicas[1].kill()
    # The replicas stop answering right after Sentinel chose one: the failover waits for its promotion.
    replicas[0].pause()
    sentinel_command_raw = sentinels[0].client().execute_command
    sentinel_command_raw('SENTINEL', 'SET', 'mymaster', 'failover-timeout', '60000')
    sentinel_command_raw('SENTINEL', 'FAILOVER', 'mymaster')
    assert 'failover_in_progress' in sentinel_command(sentinels[0], 'MASTER', 'mymaster')['flags']
    run = run_module('sentinel_reset', reset_args(sentinels, replicas[:1]))
    assert run.failed
    assert ('the Sentinel at 127.0.0.1:%d reports failover_in_progress' % sentinels[0].port) in run['msg'], run['msg']
    assert run['commands'] == []
    assert counts(sentinels[1])[0] == 2


@pytest.mark.long
def test_every_data_node_may_be_listed_the_primary_a_sentinel_names_is_never_expected(fleet_of_three, run_module):
    """site.yml passes every data node, the current primary included: after a switchover made during the run (a
    primary restart) nothing looks stale, and a reset for a dead replica waits for the live replicas only."""
    _fleet, primary, replicas, sentinels = fleet_of_three
    data_nodes = [primary] + replicas
    wait_until(lambda: promotable_replicas(sentinels[0]), 30, 'a replica Sentinel would promote')
    sentinel_command(sentinels[0], 'FAILOVER', 'mymaster')
    wait_until(lambda: all(int(sentinel_command(s, 'MASTER', 'mymaster')['port']) != primary.port for s in sentinels)
               and all(counts(s) == (2, 2) for s in sentinels), 60,
               'every Sentinel to name the new primary with two replicas', interval=0.5)
    run = run_module('sentinel_reset', reset_args(sentinels, data_nodes))
    assert not run.failed, run.result
    assert run['changed'] is False and run['commands'] == []

    new_primary_port = int(sentinel_command(sentinels[0], 'MASTER', 'mymaster')['port'])
    dead = next(node for node in data_nodes if node.port != new_primary_port)
    dead.kill()
    live = [node for node in data_nodes if node is not dead]
    run = run_module('sentinel_reset', reset_args(sentinels, live))
    assert not run.failed, run.result
    assert run['changed'] is True
    assert [counts(s) for s in sentinels] == [(1, 2)] * 3
