# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules never report what did not happen (issue 12, class 2), against real servers."""

from __future__ import annotations

import pytest

from harness import PASSWORD, conn, role_of, sentinel_command, wait_until

FAST = ['repl-diskless-sync-delay 0']


@pytest.fixture
def cluster(fleet):
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST, replica_of=primary) for _index in range(2)]
    sentinels = [fleet.sentinel(primary, quorum=2, down_after=2000) for _index in range(3)]
    wait_until(lambda: all(len(sentinel_command(s, 'SENTINELS', 'mymaster')) == 2 and
                           len(sentinel_command(s, 'REPLICAS', 'mymaster')) == 2 for s in sentinels),
               30, 'the Sentinels to discover each other and both replicas', interval=0.5)
    return primary, replicas, sentinels


def sentinel_primary_port(sentinel) -> int:
    return int(sentinel.client().execute_command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')[1])


def test_two_switchovers_back_to_back_end_on_the_requested_node(cluster, run_module):
    """Right after a switchover Sentinel still caches the replica-priority 0 the module set and restored.

    The second switchover must neither refuse the replica for that stale 0 nor leave it unpinned: the node asked for
    is the primary afterwards, or the module fails saying which node is.
    """
    primary, (first, second), sentinels = cluster
    for target in (first, second):
        run = run_module('sentinel_failover', dict(conn(sentinels[0]), name='mymaster', data_password=PASSWORD,
                                                    target_host='127.0.0.1', target_port=target.port, timeout=30))
        nodes = (primary, first, second)
        actual = [node for node in nodes if role_of(node) == 'master']
        assert len(actual) == 1
        if run.failed:
            # Honest failure: it says it changed something, what it sent, and who is primary.
            assert run['changed'] is True and run['commands'], run.result
            assert run['primary'] == dict(host='127.0.0.1', port=actual[0].port), run.result
            pytest.fail('the switchover to %d went to %d: %s' % (target.port, actual[0].port, run['msg']))
        assert run['changed'] is True, run.result
        assert run['primary'] == dict(host='127.0.0.1', port=target.port)
        assert actual == [target]
        assert all(sentinel_primary_port(s) == target.port for s in sentinels)
        # The pinned replicas got their own priority back.
        assert all(node.client().config_get('replica-priority')['replica-priority'] == '100' for node in nodes)
