# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a real Sentinel failover, the modules follow the live cluster, not the inventory."""

from __future__ import annotations

from harness import PASSWORD, conn, sentinel_command, wait_until

FAST = ['repl-diskless-sync-delay 0']


def test_modules_respect_a_sentinel_failover(fleet, run_module):
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST + ['replica-priority %d' % prio], replica_of=primary) for prio in (10, 20)]
    sentinels = [fleet.sentinel(primary, quorum=2, down_after=1000) for _index in range(3)]
    wait_until(lambda: all(len(sentinel_command(s, 'SENTINELS', 'mymaster')) == 2 and
                           len(sentinel_command(s, 'REPLICAS', 'mymaster')) == 2 for s in sentinels),
               30, 'the Sentinels to discover each other and both replicas', interval=0.5)
    primary.client().set('before-failover', 'kept')

    primary.kill()
    # SENTINEL MASTER, not GET-MASTER-ADDR-BY-NAME: the leader answers the latter with the promoted replica while
    # its failover still runs and SENTINEL MASTER still holds the old address. Sentinel usually promotes the
    # replica with the lower replica-priority, but skips one whose state it has not refreshed recently enough.
    ports = {str(replica.port) for replica in replicas}
    views = []

    def settled():
        views[:] = [(sentinel_command(s, 'MASTER', 'mymaster')['port'], sentinel_command(s, 'MASTER', 'mymaster')['flags'])
                    for s in sentinels]
        return (len({port for port, _flags in views}) == 1 and views[0][0] in ports
                and all('failover' not in flags for _port, flags in views))
    try:
        wait_until(settled, 40, 'every Sentinel to finish the failover to one of the replicas', interval=0.5)
    finally:
        print('Sentinels (port, flags): %s; replicas %s, old primary %d' % (views, sorted(ports), primary.port))
    promoted, other = sorted(replicas, key=lambda replica: str(replica.port) != views[0][0])

    # The inventory still names the old primary: the module keeps what Sentinel decided.
    for sentinel in sentinels:
        run = run_module('sentinel_monitor', dict(conn(sentinel), name='mymaster', host='127.0.0.1',
                                                  port=primary.port, quorum=2, auth_pass=PASSWORD))
        assert not run.failed, run.result
        assert run['changed'] is False and run['commands'] == [], run.result
        assert run['address_differs'] is True and run['current_port'] == promoted.port
        assert sentinel_command(sentinel, 'MASTER', 'mymaster')['port'] == str(promoted.port)

    # A replica that a losing Sentinel had promoted first is a master until Sentinel converts it back.
    wait_until(lambda: other.client().info('replication').get('master_port') == promoted.port and
               other.client().info('replication').get('master_link_status') == 'up', 30,
               'the other replica to follow the promoted one')
    facts = run_module('replication_facts', dict(conn(promoted), min_replicas=1))
    state = facts['ansible_facts']['redis_replication']
    assert state['role'] == 'primary'
    assert [(r['port'], r['state']) for r in state['replicas']] == [(other.port, 'online')]
    assert promoted.client().get('before-failover') == 'kept'

    # replicaof pointed at the current primary is a no-op on the replica Sentinel reconfigured.
    follow = run_module('replicaof', dict(conn(other), primary_host='127.0.0.1', primary_port=promoted.port))
    assert follow['changed'] is False and follow['commands'] == []

    sentinel_facts = run_module('replication_facts', dict(conn(sentinels[0]), names=['mymaster']))
    master = sentinel_facts['ansible_facts']['redis_sentinel']['masters']['mymaster']
    assert master['port'] == promoted.port and master['ckquorum']['ok'] is True
