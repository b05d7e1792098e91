# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules never report what did not happen (issue 12, class 2), against real servers."""

from __future__ import annotations

import pytest

from harness import PASSWORD, conn, role_of, sentinel_primary_port


def test_two_switchovers_back_to_back_end_on_the_requested_node(cluster, run_module):
    """Right after a switchover Sentinel still caches the replica-priority 0 the module set and restored.

    The second switchover must neither refuse the replica for that stale 0 nor leave it unpinned: the node asked for
    is the primary afterwards, or the module fails saying which node is.
    """
    primary, (first, second), sentinels = cluster
    for target in (first, second):
        args = dict(conn(sentinels[0]), name='mymaster', data_password=PASSWORD, target_host='127.0.0.1',
                    target_port=target.port, timeout=30)
        run = run_module('sentinel_failover', args)
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


# -- config_file with apply_live ---------------------------------------------------------------------------------------
def rendered(instance, extra: str = '') -> str:
    """A redis.conf as the roles render it for this instance."""
    return '\n'.join(['bind 127.0.0.1', 'port %d' % instance.port, 'dir %s' % instance.dir,
                      'logfile %s' % instance.log_path, 'protected-mode yes', 'save ""', 'appendonly no',
                      'requirepass %s' % PASSWORD, 'masterauth %s' % PASSWORD, 'maxmemory 0', extra]) + '\n'


@pytest.fixture
def node(fleet):
    instance = fleet.redis()
    with open(instance.config_path, 'w', encoding='utf-8') as handle:
        handle.write(rendered(instance))
    return instance


def test_config_file_writes_the_file_before_config_set_and_reports_what_was_sent(node, run_module):
    """A value the server refuses: the file already says what is wanted, the failure lists the CONFIG SET sent."""
    content = rendered(node, 'maxmemory-policy no-such-policy').replace('maxmemory 0', 'maxmemory 100mb')
    run = run_module('config_file', dict(conn(node), path=node.config_path, content=content, apply_live=True))
    assert run.failed and 'CONFIG SET maxmemory-policy failed' in run['msg'], run.result
    assert 'Traceback (most recent call last)' not in run.stdout and 'module_stderr' not in run.result
    assert run['changed'] is True and run['restart_required'] is True
    assert run['commands'] == ['CONFIG SET maxmemory 100mb']
    assert 'maxmemory-policy no-such-policy' in node.config_text() and 'maxmemory 100mb' in node.config_text()
    assert node.client().config_get('maxmemory')['maxmemory'] == str(100 * 1024 * 1024)


def test_config_file_with_a_wrong_login_password_fails_and_writes_nothing(node, run_module):
    before = node.config_text()
    content = rendered(node).replace('maxmemory 0', 'maxmemory 100mb')
    run = run_module('config_file', dict(conn(node, login_password='not-the-password'), path=node.config_path,
                                         content=content, apply_live=True))
    assert run.failed and 'login_password' in run['msg'], run.result
    assert run.get('changed') is not True and run.get('restart_required') is not True
    assert node.config_text() == before
    assert node.client().config_get('maxmemory')['maxmemory'] == '0'


def test_config_file_with_nothing_listening_writes_the_file_and_asks_for_a_restart(node, run_module):
    node.stop()
    content = rendered(node).replace('maxmemory 0', 'maxmemory 100mb')
    run = run_module('config_file', dict(conn(node), path=node.config_path, content=content, apply_live=True))
    assert not run.failed and run['changed'] is True and run['restart_required'] is True, run.result
    assert run['commands'] == [] and 'maxmemory 100mb' in node.config_text()


# -- replicaof persist ---------------------------------------------------------------------------------------------------
def test_replicaof_saves_a_live_state_its_file_lacks(fleet, run_module):
    """A change that reached the server but not its file (CONFIG REWRITE failed, or persist=false) is saved next run."""
    primary = fleet.redis()
    replica = fleet.redis()
    options = dict(conn(replica), primary_host='127.0.0.1', primary_port=primary.port, primary_auth=PASSWORD)
    live_only = run_module('replicaof', dict(options, persist=False))
    assert live_only['changed'] is True and live_only['persisted'] is False, live_only.result
    assert 'replicaof' not in replica.config_text()

    check = run_module('replicaof', options, check=True)
    assert check['changed'] is True and check['commands'] == [], check.result
    run = run_module('replicaof', options)
    assert run['changed'] is True and run['persisted'] is True, run.result
    assert run['commands'] == ['CONFIG REWRITE']
    assert 'replicaof 127.0.0.1 %d' % primary.port in replica.config_text()
    again = run_module('replicaof', options)
    assert again['changed'] is False and again['commands'] == [], again.result


# -- acl_users ----------------------------------------------------------------------------------------------------------
ADMIN = dict(name='admin', passwords=['admin-pw-0c4f'], rules=['~*', '&*', '+@all'])
APP = dict(name='app', passwords=['app-pw-5d1e'], rules=['~app:*', '+@read'])


def acl_list(instance) -> list:
    return sorted(instance.client().execute_command('ACL', 'LIST'))


@pytest.fixture
def acl_node(fleet, run_module):
    node = fleet.redis()
    assert not run_module('acl_users', dict(conn(node), users=[ADMIN])).failed
    return node, conn(node, login_user='admin', login_password='admin-pw-0c4f')


@pytest.mark.parametrize('rules', [['+ping'], ['~*', '+@all', '-acl'], ['~*', '+@all', '-config']])
def test_acl_users_refuses_rules_that_lock_the_login_user_out(acl_node, run_module, rules):
    node, as_admin = acl_node
    before = acl_list(node)
    run = run_module('acl_users', dict(as_admin, users=[APP, dict(ADMIN, rules=rules)]))
    assert run.failed and 'admin is the user this module logs in as' in run['msg'], run.result
    assert run.get('commands', []) == []
    assert acl_list(node) == before
    # The login still works for the next run.
    assert not run_module('acl_users', dict(as_admin, users=[ADMIN])).failed


def test_acl_users_purge_keeps_default_and_the_login_user(acl_node, run_module):
    node, as_admin = acl_node
    node.client().execute_command('ACL', 'SETUSER', 'stray', 'on', '>stray-pw', '+@read')
    run = run_module('acl_users', dict(as_admin, purge=True, users=[APP]))
    assert not run.failed, run.result
    assert run['removed'] == ['stray'] and run['created'] == ['app']
    users = node.client().execute_command('ACL', 'USERS')
    assert 'default' in users and 'admin' in users and 'stray' not in users
    assert 'user stray' not in node.config_text() and 'user app' in node.config_text()


def test_acl_users_failing_midway_persists_what_it_changed(acl_node, run_module):
    node, as_admin = acl_node
    # The server refuses to delete default: app is created first, then the run fails.
    run = run_module('acl_users', dict(as_admin, users=[APP, dict(name='default', state='absent')]))
    assert run.failed and run['changed'] is True, run.result
    assert run['commands'][0].startswith('ACL SETUSER app') and run['commands'][-1] == 'CONFIG REWRITE'
    assert 'saved' in run['msg']
    assert 'user app on' in node.config_text()
