# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sentinel_failover against real primaries, replicas and Sentinels, with a real Sentinel client writing."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.sentinel import Sentinel

from harness import FAST, PASSWORD, SENTINEL_PASSWORD, conn, overridden, role_of, sentinel_command, sentinel_primary_port, wait_until


class Writer(threading.Thread):
    """A Sentinel-aware client writing unique keys at a bounded rate; records every acknowledged key."""

    def __init__(self, sentinels, rate: int = 200, max_seconds: float = 60.0) -> None:
        super().__init__(daemon=True)
        self.sentinel = Sentinel([('127.0.0.1', s.port) for s in sentinels], socket_timeout=1,
                                 sentinel_kwargs=dict(password=SENTINEL_PASSWORD, socket_timeout=1))
        self.rate = rate
        self.max_seconds = max_seconds
        self.acknowledged: list = []
        self.errors = 0
        self.longest_gap = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        client = self.sentinel.master_for('mymaster', password=PASSWORD, socket_timeout=1, socket_connect_timeout=1)
        started = time.monotonic()
        last_ack = started
        index = 0
        while not self._halt.is_set() and time.monotonic() - started < self.max_seconds:
            key = 'w:%d' % index
            try:
                client.set(key, index)
                now = time.monotonic()
                self.longest_gap = max(self.longest_gap, now - last_ack)
                last_ack = now
                self.acknowledged.append(key)
                index += 1
            except redis.RedisError:
                self.errors += 1
            time.sleep(1.0 / self.rate)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)

    def missing_on(self, instance) -> list:
        client = instance.client()
        present = client.mget(self.acknowledged) if self.acknowledged else []
        return [key for key, value in zip(self.acknowledged, present) if value is None]


def options(sentinel, **extra) -> dict:
    return dict(conn(sentinel), name='mymaster', data_password=PASSWORD, **extra)


def test_check_mode_plans_without_touching_anything(cluster, run_module):
    primary, replicas, sentinels = cluster
    run = run_module('sentinel_failover', options(sentinels[0], target_host='127.0.0.1', target_port=replicas[1].port),
                     check=True)
    assert not run.failed, run.result
    assert run['changed'] is True and run['commands'] == []
    assert run['primary'] == dict(host='127.0.0.1', port=replicas[1].port)
    assert run['previous_primary'] == dict(host='127.0.0.1', port=primary.port)
    assert run['method'] == 'pause'
    assert run['diff'] == dict(before=dict(primary='127.0.0.1:%d' % primary.port),
                               after=dict(primary='127.0.0.1:%d' % replicas[1].port))
    assert role_of(primary) == 'master' and sentinel_primary_port(sentinels[0]) == primary.port
    assert all(r.client().config_get('replica-priority')['replica-priority'] == '100' for r in replicas)


def test_switchover_to_a_chosen_replica_loses_no_acknowledged_write(cluster, run_module):
    primary, replicas, sentinels = cluster
    target = replicas[1]
    writer = Writer(sentinels)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) > 100, 20, 'the writer to get going')
    run = run_module('sentinel_failover', options(sentinels[0], target_host='127.0.0.1', target_port=target.port))
    wait_until(lambda: len(writer.acknowledged) > 0 and target.client().exists(writer.acknowledged[-1]), 20,
               'the writer to write to the new primary')
    time.sleep(0.5)
    writer.stop()
    assert not run.failed, run.result
    print('switchover: writes paused %.3fs, client gap %.3fs, %d acknowledged, %d retried errors, %d lost' % (
        run['write_pause_seconds'], writer.longest_gap, len(writer.acknowledged), writer.errors,
        len(writer.missing_on(target))))
    assert run['changed'] is True and run['method'] == 'pause'
    assert run['primary'] == dict(host='127.0.0.1', port=target.port)
    assert any('CLIENT PAUSE' in command for command in run['commands'])
    assert any('SENTINEL FAILOVER mymaster' in command for command in run['commands'])
    assert writer.missing_on(target) == []
    assert all(sentinel_primary_port(s) == target.port for s in sentinels)
    assert role_of(target) == 'master' and role_of(primary) == 'slave'
    assert primary.client().info('replication')['master_port'] == target.port
    # The priority lowered to steer Sentinel is back.
    assert all(r.client().config_get('replica-priority')['replica-priority'] == '100' for r in (primary, replicas[0]))
    # ... in the config file too: Sentinel saved the 0 when it reconfigured the other replica, a restart would keep it.
    assert 'replica-priority 0' not in replicas[0].config_text()
    # The old primary saved its new role.
    assert 'replicaof 127.0.0.1 %d' % target.port in primary.config_text()

    again = run_module('sentinel_failover', options(sentinels[1], target_host='127.0.0.1', target_port=target.port))
    assert again['changed'] is False and again['commands'] == [], again.result
    assert again['method'] == 'none'


def test_current_primary_guard_makes_it_idempotent(cluster, run_module):
    primary, replicas, sentinels = cluster
    first = run_module('sentinel_failover', options(sentinels[0], current_primary_host='localhost',
                                                    current_primary_port=primary.port))
    assert not first.failed and first['changed'] is True, first.result
    new_port = first['primary']['port']
    assert new_port in (replicas[0].port, replicas[1].port)
    assert all(sentinel_primary_port(s) == new_port for s in sentinels)
    second = run_module('sentinel_failover', options(sentinels[2], current_primary_host='127.0.0.1',
                                                     current_primary_port=primary.port))
    assert second['changed'] is False and second['commands'] == []
    assert 'already 127.0.0.1:%d' % new_port in second['msg']


def test_automatic_target_is_the_replica_with_the_lowest_priority(fleet, run_module):
    """Sentinel promotes the lowest replica-priority above 0; the module must choose the same one.

    The preferred replica is started last, and the other one has a higher priority than the default, so neither
    start order nor a tie-break on offsets or run ids can pick the right one by luck.
    """
    primary = fleet.redis(FAST)
    other = fleet.redis(FAST + ['replica-priority 200'], replica_of=primary)
    preferred = fleet.redis(FAST + ['replica-priority 10'], replica_of=primary)
    sentinel = fleet.sentinel(primary, quorum=1)
    # Sentinel (and the module) skip a replica whose link to the primary is not up yet: wait for both links too, or
    # the preferred one, started last, may still be syncing and the module rightly picks the other.
    wait_until(lambda: {int(r['port']): (r['slave-priority'], r['master-link-status'])
                        for r in sentinel_command(sentinel, 'REPLICAS', 'mymaster')}
               == {preferred.port: ('10', 'ok'), other.port: ('200', 'ok')}, 30,
               'the Sentinel to discover both replicas with their links up', interval=0.2)
    run = run_module('sentinel_failover', options(sentinel), check=True)
    assert not run.failed, run.result
    assert run['primary'] == dict(host='127.0.0.1', port=preferred.port)
    assert role_of(primary) == 'master'


def test_plain_sentinel_failover_for_comparison(cluster, run_module):
    """The raw path: loss is measured and printed, not asserted (it depends on timing); what is asserted is
    that Sentinel moved the primary and that a Sentinel client goes on writing to the new one."""
    primary, replicas, sentinels = cluster
    writer = Writer(sentinels)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) > 100, 20, 'the writer to get going')
    run = run_module('sentinel_failover', options(sentinels[0], method='plain', target_host='127.0.0.1',
                                                  target_port=replicas[0].port))
    acknowledged_at_switch = len(writer.acknowledged)
    wait_until(lambda: len(writer.acknowledged) > acknowledged_at_switch + 10 and
               replicas[0].client().exists(writer.acknowledged[-1]), 20, 'the writer to write to the new primary')
    writer.stop()
    assert not run.failed, run.result
    assert run['method'] == 'plain' and run['write_pause_seconds'] == 0
    assert not any('CLIENT PAUSE' in command for command in run['commands'])
    print('plain SENTINEL FAILOVER: client gap %.3fs, %d acknowledged, %d lost' % (
        writer.longest_gap, len(writer.acknowledged), len(writer.missing_on(replicas[0]))))
    assert all(sentinel_primary_port(s) == replicas[0].port for s in sentinels)


@pytest.mark.parametrize('changes, message', [
    (dict(name='nosuch'), 'does not monitor a primary called nosuch'),
    (dict(target_host='127.0.0.1', target_port=1), 'is not a replica of mymaster that Sentinel knows'),
    (dict(catch_up_timeout=10, pause_timeout=5), 'catch_up_timeout (10.0s) must be shorter than pause_timeout'),
    (dict(timeout=0), 'timeout must be a positive number'),
    (dict(target_port=70000, target_host='127.0.0.1'), 'target_port must be a TCP port'),
    (dict(data_password='wrong'), 'authentication to 127.0.0.1:'),
    (dict(method='coordinated'), 'needs a Sentinel that supports SENTINEL FAILOVER ... COORDINATED'),
    (dict(target_host='127.0.0.1', current_primary_host='127.0.0.1'), 'mutually exclusive'),
])
def test_bad_input_fails_before_any_change(cluster, run_module, changes, message):
    primary, replicas, sentinels = cluster
    run = run_module('sentinel_failover', overridden(options(sentinels[0]), changes))
    assert run.failed and message in run['msg'], run.result
    assert run.get('commands', []) == []
    assert role_of(primary) == 'master' and all(sentinel_primary_port(s) == primary.port for s in sentinels)


def test_data_node_instead_of_sentinel_is_refused(cluster, run_module):
    primary, _replicas, _sentinels = cluster
    run = run_module('sentinel_failover', options(primary))
    assert run.failed and 'not a Sentinel' in run['msg']


def test_a_replica_that_cannot_catch_up_aborts_and_resumes_writes(cluster, run_module):
    primary, replicas, sentinels = cluster
    target, other = replicas
    primary.client().set('moved-on', 1)

    def freeze_target_when_steering_starts():
        # The module lowers the other replica's priority right before it pauses writes: freeze the
        # target then, so that it has answered the module's checks but cannot catch up.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if other.client().config_get('replica-priority')['replica-priority'] == '0':
                target.pause()
                return
            time.sleep(0.005)

    freezer = threading.Thread(target=freeze_target_when_steering_starts, daemon=True)
    freezer.start()
    try:
        run = run_module('sentinel_failover', options(sentinels[0], target_host='127.0.0.1', target_port=target.port,
                                                      catch_up_timeout=1.5, pause_timeout=4, timeout=20,
                                                      command_timeout=0.5))
    finally:
        freezer.join(30)
        target.resume()
    assert run.failed and 'did not catch up' in run['msg'], run.result
    assert 'writes were resumed' in run['msg']
    assert any('CLIENT UNPAUSE' in command for command in run['commands'])
    assert not any('SENTINEL FAILOVER' in command for command in run['commands'])
    assert role_of(primary) == 'master' and all(sentinel_primary_port(s) == primary.port for s in sentinels)
    primary.client().set('writable-again', 1)
    assert other.client().config_get('replica-priority')['replica-priority'] == '100'
