# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""replication_facts against real data nodes and Sentinels."""

from __future__ import annotations

import pytest
from harness import conn, overridden, wait_until

FAST_SYNC = ['repl-diskless-sync-delay 0']


@pytest.fixture
def cluster(fleet):
    primary = fleet.redis(FAST_SYNC + ['min-replicas-to-write 1', 'min-replicas-max-lag 10'])
    replicas = [fleet.redis(FAST_SYNC, replica_of=primary), fleet.redis(FAST_SYNC, replica_of=primary)]
    wait_until(lambda: primary.client().info('replication')['connected_slaves'] == 2 and all(
        r.client().info('replication')['master_link_status'] == 'up' for r in replicas), 20, 'both replicas online')
    primary.client().set('k', 'v')
    return primary, replicas


def test_primary_facts(cluster, run_module):
    primary, replicas = cluster
    wait_until(lambda: all(r.client().info('replication')['slave_repl_offset'] ==
                           primary.client().info('replication')['master_repl_offset'] for r in replicas),
               10, 'replicas to catch up')
    # A frozen replica does not acknowledge the next write: its lag is positive, so a wrong sign cannot pass.
    frozen = replicas[1]
    frozen.pause()
    try:
        primary.client().set('after-freeze', 'x' * 100)
        run = run_module('replication_facts', conn(primary))
    finally:
        frozen.resume()
    assert not run.failed and run['changed'] is False, run.result
    facts = run['ansible_facts']['redis_replication']
    assert facts['role'] == 'primary' and facts['role_reported'] == 'master'
    assert facts['connected_replicas'] == 2
    assert sorted(r['port'] for r in facts['replicas']) == sorted(r.port for r in replicas)
    assert all(r['state'] == 'online' and r['ip'] == '127.0.0.1' for r in facts['replicas'])
    assert all(r['offset_lag'] == facts['master_repl_offset'] - r['offset'] >= 0 for r in facts['replicas'])
    lag_of = {r['port']: r['offset_lag'] for r in facts['replicas']}
    assert lag_of[frozen.port] > 100, facts['replicas']
    assert facts['min_replicas_to_write'] == 1 and facts['min_replicas_max_lag'] == 10
    assert facts['min_replicas_good'] == 2
    assert facts['server']['flavor'] == 'redis' and facts['server']['tcp_port'] == primary.port
    assert facts['master_repl_offset'] == primary.client().info('replication')['master_repl_offset']
    assert not run.get('warnings')


def test_replica_facts_also_in_check_mode(cluster, run_module):
    primary, replicas = cluster
    for check in (False, True):
        run = run_module('replication_facts', conn(replicas[0]), check=check)
        facts = run['ansible_facts']['redis_replication']
        assert facts['role'] == 'replica' and facts['primary_port'] == primary.port
        assert facts['primary_host'] == '127.0.0.1' and facts['link_status'] == 'up'
        assert facts['sync_in_progress'] is False and facts['replica_read_only'] is True
        assert facts['replica_priority'] == 100 and facts['replicas'] == []


def test_thresholds_warn_about_lag_and_missing_replicas(cluster, run_module):
    primary, replicas = cluster
    assert 'warnings' not in run_module('replication_facts', dict(conn(primary), max_lag_seconds=5,
                                                                  min_replicas=2)).result
    # A frozen replica stops acknowledging: the primary sees its lag grow.
    replicas[1].pause()
    try:
        wait_until(lambda: any(int(v['lag']) >= 3 for k, v in primary.client().info('replication').items()
                               if k.startswith('slave')), 20, 'the frozen replica to lag 3 s', interval=0.5)
        run = run_module('replication_facts', dict(conn(primary), max_lag_seconds=2, min_replicas=3))
    finally:
        replicas[1].resume()
    warnings = ' | '.join(run['warnings'])
    assert 'replica 127.0.0.1:%d lags' % replicas[1].port in warnings
    assert 'more than max_lag_seconds=2' in warnings
    assert 'fewer than min_replicas=3' in warnings


def test_replica_with_a_broken_link_warns(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    replica = fleet.redis(FAST_SYNC, replica_of=primary)
    wait_until(lambda: replica.client().info('replication')['master_link_status'] == 'up', 20, 'link up')
    primary.stop()
    wait_until(lambda: replica.client().info('replication')['master_link_status'] == 'down', 20, 'link down')
    run = run_module('replication_facts', conn(replica))
    assert run['ansible_facts']['redis_replication']['link_status'] == 'down'
    assert 'replica link to 127.0.0.1:%d is down' % primary.port in ' '.join(run['warnings'])


def test_sentinel_facts(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    replica = fleet.redis(FAST_SYNC, replica_of=primary)
    sentinel = fleet.sentinel(primary, quorum=1)
    wait_until(lambda: len(sentinel.client().execute_command('SENTINEL', 'REPLICAS', 'mymaster')) == 1, 20,
               'Sentinel to discover the replica')
    run = run_module('replication_facts', dict(conn(sentinel), names=['mymaster']))
    assert not run.failed, run.result
    facts = run['ansible_facts']['redis_sentinel']
    assert facts['tilt'] is False and facts['server']['mode'] == 'sentinel'
    master = facts['masters']['mymaster']
    assert master['host'] == '127.0.0.1' and master['port'] == primary.port and master['quorum'] == 1
    assert master['flags'] == 'master' and master['status'] == 'ok'
    assert master['ckquorum']['ok'] is True and 'OK' in master['ckquorum']['message']
    assert [r['port'] for r in master['replicas']] == [replica.port]
    assert master['num_replicas'] == 1 and master['num_other_sentinels'] == 0
    assert 'redis_replication' not in run['ansible_facts']

    unknown = run_module('replication_facts', dict(conn(sentinel), names=['nosuchmaster']))
    assert unknown['ansible_facts']['redis_sentinel']['masters'] == {}
    assert 'does not monitor nosuchmaster' in ' '.join(unknown['warnings'])


def test_sentinel_quorum_unreachable_is_reported(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel(primary, quorum=2)  # quorum 2 with a single Sentinel can never be reached
    run = run_module('replication_facts', conn(sentinel))
    master = run['ansible_facts']['redis_sentinel']['masters']['mymaster']
    assert master['ckquorum']['ok'] is False and 'NOQUORUM' in master['ckquorum']['message']
    assert 'CKQUORUM for mymaster failed' in ' '.join(run['warnings'])


@pytest.mark.parametrize('args, expected', [
    (dict(max_lag_seconds=-1), 'max_lag_seconds must be 0 or more'),
    (dict(min_replicas='many'), 'min_replicas'),
    (dict(login_password='not-the-password'), 'authentication to 127.0.0.1'),
])
def test_bad_input(cluster, run_module, args, expected):
    primary, _replicas = cluster
    run = run_module('replication_facts', overridden(conn(primary), args))
    assert run.failed and expected in run['msg'], run.result


def test_unreachable(fleet, run_module):
    gone = fleet.redis()
    gone.stop()
    run = run_module('replication_facts', dict(conn(gone), connect_timeout=1))
    assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port)


def sentinel_option(sentinel, **extra) -> dict:
    """The sentinel option for a Sentinel of the fleet (the discovery of a host that is a data node and a Sentinel)."""
    options = dict(login_port=sentinel.port, login_user='default', login_password=sentinel.password,
                   names=['mymaster'])
    options.update(extra)
    return options


def test_data_node_and_sentinel_in_one_run(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    replica = fleet.redis(FAST_SYNC, replica_of=primary)
    sentinel = fleet.sentinel(primary, quorum=1)
    wait_until(lambda: len(sentinel.client().execute_command('SENTINEL', 'REPLICAS', 'mymaster')) == 1, 20,
               'Sentinel to discover the replica')
    run = run_module('replication_facts', dict(conn(replica), max_lag_seconds=5, sentinel=sentinel_option(sentinel)))
    assert not run.failed, run.result
    # The data node's facts are the task's, as without the option; the Sentinel's come apart.
    facts = run['ansible_facts']
    assert facts['redis_replication']['role'] == 'replica' and facts['redis_replication']['primary_port'] == primary.port
    assert 'redis_sentinel' not in facts
    master = run['sentinel']['ansible_facts']['redis_sentinel']['masters']['mymaster']
    assert master['port'] == primary.port and [r['port'] for r in master['replicas']] == [replica.port]
    assert master['ckquorum']['ok'] is True
    assert not run['sentinel'].get('failed')
    # The password given for the Sentinel is hidden like login_password.
    assert sentinel.password not in run.stdout


def test_a_sentinel_that_cannot_be_read_does_not_fail_the_data_node(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    sentinel = fleet.sentinel(primary, quorum=1)
    wrong = run_module('replication_facts', dict(conn(primary), sentinel=sentinel_option(
        sentinel, login_password='not-the-password')))
    assert not wrong.failed, wrong.result
    assert wrong['ansible_facts']['redis_replication']['role'] == 'primary'
    assert wrong['sentinel']['failed'] is True
    # The same words as a Sentinel read on its own: discovery tells a refused login from a Sentinel that is down.
    assert wrong['sentinel']['msg'].startswith('authentication to 127.0.0.1:%d' % sentinel.port), wrong['sentinel']
    assert 'ansible_facts' not in wrong['sentinel']

    not_a_sentinel = run_module('replication_facts', dict(conn(primary), sentinel=sentinel_option(
        sentinel, login_port=primary.port, login_user=None, login_password=primary.password)))
    assert not not_a_sentinel.failed
    assert 'is a redis data node, not a Sentinel' in not_a_sentinel['sentinel']['msg']

    sentinel.stop()
    down = run_module('replication_facts', dict(conn(primary), connect_timeout=1, sentinel=sentinel_option(sentinel)))
    assert not down.failed and down['sentinel']['failed'] is True
    assert down['sentinel']['msg'].startswith('cannot connect to 127.0.0.1:%d' % sentinel.port), down['sentinel']


def test_a_data_node_down_fails_and_still_tells_what_the_sentinel_knows(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    sentinel = fleet.sentinel(primary, quorum=1)
    gone = fleet.redis(FAST_SYNC)
    gone.stop()
    run = run_module('replication_facts', dict(conn(gone), connect_timeout=1, sentinel=sentinel_option(sentinel)))
    assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port), run.result
    assert run['sentinel']['ansible_facts']['redis_sentinel']['masters']['mymaster']['port'] == primary.port


# The packages option (discovery asks dpkg in the same module run; the install tasks then skip their own query).
# redis-server is installed on the machine the tests run on: they start its redis-server.
ABSENT_PACKAGE = 'redis-ops-test-no-such-package'


def test_packages_are_reported_from_dpkg(cluster, run_module):
    primary, _replicas = cluster
    for check in (False, True):
        run = run_module('replication_facts', dict(conn(primary), packages=[ABSENT_PACKAGE, 'redis-server']),
                         check=check)
        assert not run.failed, run.result
        assert run['packages'] == dict(manager='dpkg', installed=['redis-server'], missing=[ABSENT_PACKAGE])
        assert run['ansible_facts']['redis_replication']['role'] == 'primary'
    assert 'packages' not in run_module('replication_facts', conn(primary)).result


def test_packages_are_reported_when_the_server_cannot_be_read(fleet, run_module):
    sentinel = fleet.sentinel(fleet.redis(FAST_SYNC), quorum=1)
    gone = fleet.redis()
    gone.stop()
    for extra in ({}, dict(sentinel=sentinel_option(sentinel))):
        run = run_module('replication_facts', dict(conn(gone), connect_timeout=1, packages=['redis-server'], **extra))
        assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port), run.result
        assert run['packages'] == dict(manager='dpkg', installed=['redis-server'], missing=[])


HOST_SUBSET = ['!all', 'network', 'virtual']


def test_host_facts_come_with_the_read(cluster, run_module):
    primary, _replicas = cluster
    run = run_module('replication_facts', dict(conn(primary), gather_subset=HOST_SUBSET))
    assert not run.failed, run.result
    facts = run['ansible_facts']
    # setup's names (Ansible strips the ansible_ prefix): network, virtual and the minimal subset, and the read.
    assert 'lo' in facts['ansible_interfaces'] and facts['ansible_lo']['ipv4']['address'] == '127.0.0.1'
    assert 'ansible_virtualization_type' in facts and 'ansible_virtualization_role' in facts
    assert facts['ansible_os_family'] == 'Debian' and facts['module_setup'] is True
    assert facts['redis_replication']['role'] == 'primary'
    # Nothing else was gathered: no hardware facts.
    assert 'ansible_memtotal_mb' not in facts and 'ansible_processor' not in facts
    assert not any(key.startswith('ansible_') for key in run_module('replication_facts', conn(primary))['ansible_facts'])


def test_host_facts_come_when_the_server_cannot_be_read(fleet, run_module):
    gone = fleet.redis()
    gone.stop()
    run = run_module('replication_facts', dict(conn(gone), connect_timeout=1, gather_subset=HOST_SUBSET,
                                               packages=['redis-server']))
    assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port), run.result
    assert run['ansible_facts']['ansible_os_family'] == 'Debian' and 'ansible_interfaces' in run['ansible_facts']
    assert run['packages']['installed'] == ['redis-server']


def test_a_subset_that_does_not_exist_is_refused(cluster, run_module):
    primary, _replicas = cluster
    run = run_module('replication_facts', dict(conn(primary), gather_subset=['!all', 'networkk']))
    assert run.failed and run['msg'].startswith("gather_subset ['!all', 'networkk'] cannot be gathered:"), run.result
