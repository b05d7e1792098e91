# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""password_rotation against a real primary, replica and Sentinel: the three phases keep the old password working
until drop, restart nothing, keep the links up, and leave files that start with the new password only."""

from __future__ import annotations

import os
import stat

import pytest
import redis
from harness import PASSWORD, SENTINEL_PASSWORD, conn, sentinel_command, wait_until

NEW = 'pw-new-71d3c2 with space#"q'
NEW_SENTINEL_SAFE = 'pw-new-71d3c2'


def client(instance, password) -> redis.Redis:
    return redis.Redis(host='127.0.0.1', port=instance.port, password=password, decode_responses=True,
                       socket_timeout=5)


def accepts(instance, password) -> bool:
    try:
        return client(instance, password).ping()
    except redis.AuthenticationError:
        return False


def link_up(replica) -> bool:
    return client(replica, PASSWORD).info('replication').get('master_link_status') == 'up'


@pytest.fixture
def trio(fleet):
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    wait_until(lambda: link_up(replica), 30, 'the replica to sync')
    sentinel = fleet.sentinel(monitor=primary)
    for instance in (primary, replica, sentinel):
        os.chmod(instance.config_path, 0o640)
    return primary, replica, sentinel


def phase(run_module, instance, step, login, password=NEW, check=False, **extra):
    args = dict(conn(instance, login_password=login), phase=step, password=password, **extra)
    if instance.kind == 'redis':
        args['previous_password'] = PASSWORD
    run = run_module('password_rotation', args, check=check)
    assert NEW not in run.stdout and NEW_SENTINEL_SAFE not in run.stdout, 'the new password leaked'
    return run


def test_check_mode_prints_the_plan_and_sends_nothing(trio, run_module):
    primary, _replica, _sentinel = trio
    run = phase(run_module, primary, 'add', PASSWORD, check=True)
    assert not run.failed, run.result
    assert run['changed'] is True and run['commands'] == []
    assert run['plan'] == ['give user default the new password next to its other(s)']
    assert run['diff'] == dict(before={'passwords of default': 'old'}, after={'passwords of default': 'old and new'})
    assert not accepts(primary, NEW)


def test_switch_before_add_is_refused(trio, run_module):
    primary, _replica, _sentinel = trio
    run = phase(run_module, primary, 'switch', PASSWORD)
    assert run.failed and 'run phase add on every instance first' in run['msg']
    assert client(primary, PASSWORD).config_get('masterauth')['masterauth'] == PASSWORD


def test_rotation_keeps_old_password_until_drop(trio, run_module):
    primary, replica, sentinel = trio
    pids = [instance.process.pid for instance in trio]
    old_client = client(primary, PASSWORD)
    data_nodes = (primary, replica)

    for node in data_nodes:
        run = phase(run_module, node, 'add', PASSWORD)
        assert not run.failed and run['changed'] and run['passwords'] == 2, run.result
        assert run['commands'] == ['ACL SETUSER default >********', 'CONFIG REWRITE']
    for node in data_nodes:
        assert accepts(node, PASSWORD) and accepts(node, NEW)
        assert stat.S_IMODE(os.stat(node.config_path).st_mode) == 0o640
    again = phase(run_module, primary, 'add', PASSWORD)
    assert again['changed'] is False and again['commands'] == []

    for node in data_nodes:
        run = phase(run_module, node, 'switch', NEW)
        assert not run.failed and run['changed'], run.result
        assert run['commands'] == ['CONFIG SET masterauth ********', 'CONFIG REWRITE']
    # Sentinel keeps auth-pass unquoted: a password with a space is refused there, before any change.
    spaced = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD)
    assert spaced.failed and 'white space' in spaced['msg']
    assert old_client.set('during', 'switch') and link_up(replica)
    # A new replication link (a reconnect) logs in with the new masterauth.
    client(replica, NEW).execute_command('CLIENT', 'KILL', 'TYPE', 'master')
    wait_until(lambda: link_up(replica), 30, 'the replica to reconnect with the new masterauth')

    for node in data_nodes:
        run = phase(run_module, node, 'drop', NEW)
        assert not run.failed and run['changed'] and run['passwords'] == 1, run.result
        assert run['commands'] == ['CONFIG SET requirepass ********', 'CONFIG REWRITE']
        assert not accepts(node, PASSWORD) and accepts(node, NEW)
        assert stat.S_IMODE(os.stat(node.config_path).st_mode) == 0o640
    assert phase(run_module, replica, 'drop', NEW)['changed'] is False
    assert [instance.process.pid for instance in trio] == pids
    assert link_up_with(replica, NEW)

    # The files now hold the new password only: a restart keeps the old one out.
    replica.password = NEW
    replica.stop()
    replica.start_from_file()
    assert not accepts(replica, PASSWORD) and accepts(replica, NEW)
    wait_until(lambda: link_up_with(replica, NEW), 30, 'the restarted replica to sync with the new masterauth')


def link_up_with(replica, password) -> bool:
    return client(replica, password).info('replication').get('master_link_status') == 'up'


def test_sentinel_switch_moves_auth_pass(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel(monitor=primary)
    wait_until(lambda: sentinel_command(sentinel, 'MASTER', 'mymaster')['flags'] == 'master', 30,
               'Sentinel to see the primary')
    assert phase(run_module, primary, 'add', PASSWORD, password=NEW_SENTINEL_SAFE)['changed']
    check = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE, check=True)
    assert check['changed'] and check['commands'] == [] and 'auth-pass %s' % NEW_SENTINEL_SAFE not in sentinel.config_text()
    run = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)
    assert not run.failed and run['commands'] == ['SENTINEL SET mymaster auth-pass ********'], run.result
    assert run['diff'] == dict(before={'auth-pass': '(hidden)'}, after={'auth-pass': '(hidden, changed)'})
    assert 'sentinel auth-pass mymaster %s' % NEW_SENTINEL_SAFE in sentinel.config_text()
    assert phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)['changed'] is False
    assert phase(run_module, sentinel, 'add', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)['changed'] is False
    wrong = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE, name='other')
    assert wrong.failed and 'does not monitor other' in wrong['msg']
    # After drop on the data node, Sentinel still sees the primary up: it logs in with the new auth-pass.
    assert phase(run_module, primary, 'drop', NEW_SENTINEL_SAFE, password=NEW_SENTINEL_SAFE)['changed']
    admin = client(primary, NEW_SENTINEL_SAFE)
    before = {entry['id'] for entry in admin.client_list()}
    # RESET drops Sentinel's links; Sentinel names a link (CLIENT SETNAME) only once its AUTH succeeded.
    sentinel.client().execute_command('SENTINEL', 'RESET', 'mymaster')
    wait_until(lambda: [entry for entry in admin.client_list()
                        if entry['id'] not in before and entry['name'].startswith('sentinel-')],
               30, 'Sentinel to log in again with the new auth-pass')
    assert accepts(primary, NEW_SENTINEL_SAFE) and not accepts(primary, PASSWORD)
