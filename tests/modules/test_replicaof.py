# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""replicaof against real redis-server processes."""

from __future__ import annotations

import re

import pytest
from harness import PASSWORD, conn, overridden, role_of, wait_until

REPLICATION_USER = 'replicator'
REPLICATION_PW = 'repl-pw-3c9e71'

FAST_SYNC = ['repl-diskless-sync-delay 0']


@pytest.fixture
def pair(fleet):
    """A primary with one key, and a standalone node that is to become its replica."""
    primary = fleet.redis(FAST_SYNC)
    primary.client().set('seed', 'from-primary')
    node = fleet.redis(FAST_SYNC)
    return primary, node


def replica_args(node, primary, **extra):
    return dict(conn(node), primary_host='127.0.0.1', primary_port=primary.port, **extra)


def test_check_mode_predicts_change_and_sends_nothing(pair, run_module):
    primary, node = pair
    run = run_module('replicaof', replica_args(node, primary), check=True)
    assert not run.failed, run.result
    assert run['changed'] is True
    assert run['commands'] == []
    assert run['role'] == 'replica' and run['primary_port'] == primary.port
    assert run['diff']['before']['role'] == 'primary'
    assert run['diff']['after'] == dict(role='replica', primary_host='127.0.0.1', primary_port=primary.port)
    assert role_of(node) == 'master'
    assert 'replicaof' not in node.config_text()


def test_replica_applied_persisted_and_idempotent(pair, run_module):
    primary, node = pair
    run = run_module('replicaof', replica_args(node, primary, wait_for_sync=True, wait_timeout=30))
    assert not run.failed, run.result
    assert run['changed'] is True
    assert run['commands'] == ['REPLICAOF 127.0.0.1 %d' % primary.port, 'CONFIG REWRITE']
    assert run['link_status'] == 'up' and run['persisted'] is True
    info = node.client().info('replication')
    assert info['role'] == 'slave' and info['master_port'] == primary.port
    assert info['master_link_status'] == 'up'
    assert node.client().get('seed') == 'from-primary'
    assert 'replicaof 127.0.0.1 %d' % primary.port in node.config_text()

    again = run_module('replicaof', replica_args(node, primary, wait_for_sync=True))
    assert again['changed'] is False and again['commands'] == []
    check = run_module('replicaof', replica_args(node, primary), check=True)
    assert check['changed'] is False


@pytest.mark.parametrize('configured, given', [('localhost', '127.0.0.1'), ('127.0.0.1', 'localhost')])
def test_host_name_and_address_of_the_same_primary_are_equal(pair, run_module, configured, given):
    primary, node = pair
    node.client().execute_command('REPLICAOF', configured, primary.port)
    node.client().config_rewrite()  # saved, as the module does: a live-only state would be saved by the next run
    run = run_module('replicaof', dict(conn(node), primary_host=given, primary_port=primary.port))
    assert run['changed'] is False, run.result
    assert run['commands'] == []
    assert node.client().info('replication')['master_host'] == configured


def test_moves_to_another_primary(fleet, run_module):
    first = fleet.redis(FAST_SYNC)
    second = fleet.redis(FAST_SYNC)
    second.client().set('only-on-second', '1')
    node = fleet.redis(FAST_SYNC, replica_of=first)
    run = run_module('replicaof', replica_args(node, second, wait_for_sync=True))
    assert run['changed'] is True
    assert run['diff']['before']['primary_port'] == first.port
    assert run['diff']['after']['primary_port'] == second.port
    assert node.client().info('replication')['master_port'] == second.port
    assert node.client().get('only-on-second') == '1'


def test_primary_auth_set_live_hidden_and_idempotent(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    node = fleet.redis(FAST_SYNC, masterauth=False)
    run = run_module('replicaof', replica_args(node, primary, primary_auth=PASSWORD, wait_for_sync=True,
                                               wait_timeout=30))
    assert not run.failed, run.result
    assert run['commands'][0] == 'CONFIG SET masterauth ********'
    assert run['diff']['before']['primary_auth'] == '(not set)'
    assert run['diff']['after']['primary_auth'] == '(hidden, new value)'
    assert node.client().config_get('masterauth')['masterauth'] == PASSWORD
    assert node.client().info('replication')['master_link_status'] == 'up'
    assert 'masterauth' in node.config_text()
    again = run_module('replicaof', replica_args(node, primary, masterauth=PASSWORD))
    assert again['changed'] is False and again['commands'] == []


def test_promote_to_primary(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    node = fleet.redis(FAST_SYNC, replica_of=primary)
    wait_until(lambda: node.client().info('replication')['master_link_status'] == 'up', 20, 'replica link up')
    check = run_module('replicaof', dict(conn(node), state='primary'), check=True)
    assert check['changed'] is True and check['commands'] == [] and role_of(node) == 'slave'
    run = run_module('replicaof', dict(conn(node), state='primary'))
    assert run['commands'] == ['REPLICAOF NO ONE', 'CONFIG REWRITE']
    assert run['role'] == 'primary' and run['primary_host'] is None
    assert role_of(node) == 'master'
    assert 'replicaof' not in node.config_text()
    node.client().set('writable', 'yes')
    again = run_module('replicaof', dict(conn(node), state='primary'))
    assert again['changed'] is False


def test_persist_failure_is_reported_and_persist_false_accepts_live_change(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    node = fleet.redis(FAST_SYNC, use_config_file=False)
    run = run_module('replicaof', replica_args(node, primary))
    assert run.failed
    assert 'CONFIG REWRITE failed' in run['msg'] and 'persist=false' in run['msg']
    assert run['commands'] == ['REPLICAOF 127.0.0.1 %d' % primary.port]
    node.client().execute_command('REPLICAOF', 'NO', 'ONE')
    live = run_module('replicaof', replica_args(node, primary, persist=False))
    assert not live.failed and live['changed'] is True and live['persisted'] is False
    assert live['commands'] == ['REPLICAOF 127.0.0.1 %d' % primary.port]


def test_wait_for_sync_is_bounded(fleet, run_module):
    node = fleet.redis(FAST_SYNC)
    nobody = fleet.redis()
    nobody.stop()
    run = run_module('replicaof', dict(conn(node), primary_host='127.0.0.1', primary_port=nobody.port,
                                       wait_for_sync=True, wait_timeout=2))
    assert run.failed
    assert 'did not finish syncing' in run['msg'] and 'wait_timeout=2s' in run['msg']
    assert run['changed'] is True


def test_refuses_to_replicate_from_itself(pair, run_module):
    _primary, node = pair
    for host in ('127.0.0.1', 'localhost'):
        run = run_module('replicaof', dict(conn(node), primary_host=host, primary_port=node.port))
        assert run.failed and 'is this instance itself' in run['msg'], run.result
    assert role_of(node) == 'master'


@pytest.mark.parametrize('args, expected', [
    (dict(primary_port='not-a-port'), "primary_port"),
    (dict(primary_port=70000), 'primary_port must be a TCP port between 1 and 65535'),
    (dict(state='secondary'), 'value of state must be one of: replica, primary'),
    (dict(primary_host=None), 'state is replica but all of the following are missing: primary_host'),
    (dict(wait_timeout=-1), 'wait_timeout must be 0 or more'),
    (dict(login_port=0), 'login_port must be a TCP port'),
    (dict(login_user='app', login_password=None), 'login_user is set but login_password is not'),
    (dict(ca_certs='/etc/ssl/certs/ca-certificates.crt'), 'ca_certs is only used with tls=true'),
])
def test_bad_input_is_refused_and_changes_nothing(pair, run_module, args, expected):
    primary, node = pair
    run = run_module('replicaof', overridden(replica_args(node, primary), args))
    assert run.failed and expected in run['msg'], run.result
    assert role_of(node) == 'master'


def test_unreachable_server(fleet, run_module):
    gone = fleet.redis()
    gone.stop()
    run = run_module('replicaof', dict(conn(gone), primary_host='127.0.0.1', primary_port=6379,
                                       connect_timeout=1))
    assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port)


def test_wrong_and_missing_password(pair, run_module):
    primary, node = pair
    wrong = run_module('replicaof', dict(replica_args(node, primary), login_password='not-the-password'))
    assert wrong.failed and 'authentication to 127.0.0.1:%d failed' % node.port in wrong['msg']
    missing = replica_args(node, primary)
    del missing['login_password']
    run = run_module('replicaof', missing)
    assert run.failed and 'requires authentication: set login_password' in run['msg']
    assert role_of(node) == 'master'


def test_refuses_a_sentinel(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel(primary)
    run = run_module('replicaof', dict(conn(sentinel), primary_host='127.0.0.1', primary_port=primary.port))
    assert run.failed and 'is a Sentinel, not a Redis data node' in run['msg']


def test_unix_socket(fleet, run_module):
    primary = fleet.redis(FAST_SYNC)
    node = fleet.redis(FAST_SYNC + ['unixsocket /tmp/redis-ops-test-%d.sock' % primary.port,
                                    'unixsocketperm 700'])
    options = dict(login_unix_socket='/tmp/redis-ops-test-%d.sock' % primary.port, login_password=PASSWORD,
                   primary_host='127.0.0.1', primary_port=primary.port)
    run = run_module('replicaof', options)
    assert not run.failed and run['changed'] is True, run.result
    info = node.client().info('replication')
    assert info['role'] == 'slave' and info['master_host'] == '127.0.0.1' and info['master_port'] == primary.port
    assert run_module('replicaof', options)['changed'] is False


def replication_user_primary(fleet):
    """A primary whose replicas must authenticate as an ACL user that may do nothing but replicate."""
    return fleet.redis(FAST_SYNC + ['user %s on >%s +psync +replconf +ping' % (REPLICATION_USER, REPLICATION_PW)])


def test_primary_user_is_sent_as_the_name_the_server_accepts(fleet, run_module):
    """Redis 7.0 knows masteruser (Valkey 8 calls it primaryuser and keeps masteruser as an alias):
    the server accepts the name, the replica syncs as the ACL user, and the primary sees that user."""
    primary = replication_user_primary(fleet)
    node = fleet.redis(FAST_SYNC, masterauth=False)
    args = replica_args(node, primary, primary_user=REPLICATION_USER, primary_auth=REPLICATION_PW,
                        wait_for_sync=True, wait_timeout=30)
    run = run_module('replicaof', args)
    assert not run.failed, run.result
    assert run['commands'] == ['CONFIG SET masteruser %s' % REPLICATION_USER, 'CONFIG SET masterauth ********',
                               'REPLICAOF 127.0.0.1 %d' % primary.port, 'CONFIG REWRITE']
    assert run['diff']['before']['primary_user'] == '' and run['diff']['after']['primary_user'] == REPLICATION_USER
    assert run['link_status'] == 'up'
    assert node.client().config_get('masteruser')['masteruser'] == REPLICATION_USER
    replica_clients = [entry for entry in primary.client().client_list() if 'S' in entry['flags']]
    assert [entry['user'] for entry in replica_clients] == [REPLICATION_USER]
    assert re.search(r'^masteruser "?%s"?$' % REPLICATION_USER, node.config_text(), re.M), node.config_text()
    again = run_module('replicaof', args)
    assert not again.failed and again['changed'] is False and again['commands'] == [], again.result


def test_primary_user_that_cannot_replicate_leaves_the_link_down(fleet, run_module):
    """The same setup with a user the primary does not know: the real server refuses the sync."""
    primary = replication_user_primary(fleet)
    node = fleet.redis(FAST_SYNC, masterauth=False)
    run = run_module('replicaof', replica_args(node, primary, primary_user='nobody', primary_auth=REPLICATION_PW,
                                               wait_for_sync=True, wait_timeout=2))
    assert run.failed and 'did not finish syncing' in run['msg'], run.result
    assert run['link_status'] == 'down'


def test_module_itself_redacts_primary_auth_in_commands_and_errors(fleet, run_module_raw):
    """The module's own result (no_log masking would hide a leak from run_module), in success and in failure."""
    primary = replication_user_primary(fleet)
    node = fleet.redis(FAST_SYNC, masterauth=False)
    result = run_module_raw('replicaof', replica_args(node, primary, primary_user=REPLICATION_USER,
                                                      primary_auth=REPLICATION_PW, persist=False))
    assert not result.get('failed'), result
    assert result['commands'][1] == 'CONFIG SET masterauth ********'
    assert REPLICATION_PW not in repr(result)

    # A login user that may not CONFIG SET: the server's error names the command, which must stay redacted.
    limited = fleet.redis(FAST_SYNC + ['user ops on >ops-pw-81 ~* &* +@all -config|set'], masterauth=False)
    failed = run_module_raw('replicaof', dict(conn(limited, login_user='ops', login_password='ops-pw-81'),
                                              primary_host='127.0.0.1', primary_port=primary.port,
                                              primary_auth=REPLICATION_PW))
    assert failed['failed'] and 'CONFIG SET masterauth ********' in failed['msg'], failed
    assert 'NOPERM' in failed['msg'] or 'no permissions' in failed['msg']
    assert REPLICATION_PW not in repr(failed)
