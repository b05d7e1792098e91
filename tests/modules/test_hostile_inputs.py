# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile and unusual inputs per module (issue 12): each either round-trips on real servers (the file loads after a
restart, AUTH works, the second run reports no change) or is refused before any change, naming the option."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from harness import PASSWORD, conn, overridden, role_of, sentinel_command, wait_until

NOT_A_HOST = ["['a']", 'a\nrequirepass x', 'a b', '', '127.0.0.1 6380']
ABSURD_SECONDS = ['nan', 'inf', '-inf', 1e308, 0]


# -- replicaof ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def pair(fleet):
    return fleet.redis(), fleet.redis()


def replicaof_args(replica, primary, **extra):
    return dict(conn(replica), primary_host='127.0.0.1', primary_port=primary.port, **extra)


@pytest.mark.parametrize('changes, option', [(dict(primary_host=host), 'primary_host') for host in NOT_A_HOST] + [
    (dict(primary_host=['a']), 'primary_host'),
    (dict(wait_timeout=2147483648), 'wait_timeout'),
] + [(dict(connect_timeout=value), 'connect_timeout') for value in ABSURD_SECONDS] + [
    (dict(command_timeout='nan'), 'command_timeout'),
])
def test_replicaof_refuses_before_any_change(pair, run_module, changes, option):
    replica, primary = pair
    before = replica.config_text()
    run = run_module('replicaof', overridden(replicaof_args(replica, primary), changes))
    assert run.failed and option in run['msg'], run.result
    assert run.get('commands', []) == [] and not run.get('changed')
    assert role_of(replica) == 'master' and replica.config_text() == before


def test_replicaof_refuses_a_sentinel_port(fleet, run_module):
    replica = fleet.redis()
    sentinel = fleet.sentinel(password=None)
    run = run_module('replicaof', dict(conn(replica), primary_host='127.0.0.1', primary_port=sentinel.port))
    assert run.failed and 'is a Sentinel, not a Redis data node' in run['msg'] and 'primary_port' in run['msg']
    assert role_of(replica) == 'master'


def test_replicaof_refuses_a_service_that_is_not_redis(fleet, run_module):
    replica = fleet.redis()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)
    listener.settimeout(60)

    def http_like():
        # Answers every connection as a web server would, then closes it.
        for _index in range(4):
            try:
                peer, _address = listener.accept()
            except OSError:
                return
            with peer:
                peer.settimeout(2)
                try:
                    peer.recv(4096)
                except OSError:
                    pass
                peer.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')

    server = threading.Thread(target=http_like, daemon=True)
    server.start()
    try:
        run = run_module('replicaof', dict(conn(replica), primary_host='127.0.0.1',
                                           primary_port=listener.getsockname()[1], connect_timeout=2, command_timeout=2))
    finally:
        listener.close()
    assert run.failed and 'does not answer like a Redis or Valkey server' in run['msg'], run.result
    assert role_of(replica) == 'master'


def test_replicaof_to_nothing_listening_warns_and_applies(fleet, run_module):
    replica = fleet.redis()
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    run = run_module('replicaof', dict(conn(replica), primary_host='127.0.0.1', primary_port=port))
    assert not run.failed and run['changed'] is True, run.result
    assert any('nothing answers' in warning for warning in run.get('warnings', []))


# -- sentinel_monitor ---------------------------------------------------------------------------------------------------
@pytest.fixture
def watched(fleet):
    return fleet.redis(), fleet.sentinel()


def monitor_args(sentinel, primary, **extra):
    return dict(conn(sentinel), name='mymaster', host='127.0.0.1', port=primary.port, quorum=1, **extra)


@pytest.mark.parametrize('changes, option', [
    (dict(name=''), 'name'),
    (dict(name='my master'), 'name'),
    (dict(name='new\nline'), 'name'),
    (dict(auth_pass='with space'), 'auth_pass'),
    (dict(auth_pass='quo"te'), 'auth_pass'),
    (dict(auth_pass="it's"), 'auth_pass'),
    (dict(auth_pass='new\nsentinel monitor evil 127.0.0.1 1 1'), 'auth_pass'),
    (dict(auth_user='a b', auth_pass='x'), 'auth_user'),
    (dict(parallel_syncs=2147483648), 'parallel_syncs'),
    (dict(quorum=2147483648), 'quorum'),
    (dict(down_after_milliseconds=-5), 'down_after_milliseconds'),
    (dict(failover_timeout=0), 'failover_timeout'),
] + [(dict(host=host), 'host') for host in NOT_A_HOST] + [
    (dict(connect_timeout=value), 'connect_timeout') for value in ABSURD_SECONDS])
def test_sentinel_monitor_refuses_before_any_change(watched, run_module, changes, option):
    primary, sentinel = watched
    before = sentinel.config_text()
    run = run_module('sentinel_monitor', overridden(monitor_args(sentinel, primary), changes))
    assert run.failed and option in run['msg'], run.result
    assert run.get('commands', []) == []
    assert sentinel_command(sentinel, 'MASTERS') == [] and sentinel.config_text() == before


def test_sentinel_monitor_auth_pass_with_hash_and_backslash_survives_a_restart(fleet, run_module):
    password = 'p#ss\\w0rd!%&*()=+[]{}|;:,.<>?/~`^$@'
    primary = fleet.redis(password=password)
    sentinel = fleet.sentinel()
    args = monitor_args(sentinel, primary, auth_pass=password, down_after_milliseconds=1000)
    run = run_module('sentinel_monitor', args)
    assert not run.failed and run['changed'] is True, run.result
    sentinel.stop()
    sentinel.start_from_file()  # Sentinel reads back the file it rewrote itself
    # Sentinel logs in to the primary with the password from its own file: INFO replies arrive.
    wait_until(lambda: int(sentinel_command(sentinel, 'MASTER', 'mymaster')['info-refresh']) < 5000, 20,
               'Sentinel to get INFO from the primary with the restored auth-pass')
    assert 's_down' not in sentinel_command(sentinel, 'MASTER', 'mymaster')['flags']
    again = run_module('sentinel_monitor', args)
    assert again['changed'] is False and again['commands'] == [], again.result


def test_sentinel_monitor_warns_when_quorum_exceeds_the_sentinels(watched, run_module):
    primary, sentinel = watched
    run = run_module('sentinel_monitor', dict(monitor_args(sentinel, primary), quorum=3))
    assert not run.failed, run.result
    assert any('quorum 3 for mymaster is more than the 1 Sentinel(s)' in warning for warning in run.get('warnings', []))


# -- sentinel_failover --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('changes, option', [
    (dict(name='my master'), 'name'),
    (dict(target_host="['a']"), 'target_host'),
    (dict(target_host=None, current_primary_host='a\nb'), 'current_primary_host'),
    (dict(timeout='nan'), 'timeout'),
    (dict(pause_timeout='inf'), 'pause_timeout'),
    (dict(catch_up_timeout=1e308), 'catch_up_timeout'),
])
def test_sentinel_failover_refuses_before_any_change(watched, run_module, changes, option):
    primary, sentinel = watched
    run_module('sentinel_monitor', monitor_args(sentinel, primary))
    args = dict(conn(sentinel), name='mymaster', target_host='127.0.0.1', target_port=primary.port + 1,
                data_password=PASSWORD)
    run = run_module('sentinel_failover', overridden(args, changes))
    assert run.failed and option in run['msg'], run.result
    assert run.get('commands', []) == [] and not run.get('changed')


def test_sentinel_failover_names_data_password_when_it_is_wrong(fleet, run_module):
    primary = fleet.redis()
    replica = fleet.redis(replica_of=primary)
    sentinel = fleet.sentinel(primary)
    wait_until(lambda: [r for r in sentinel_command(sentinel, 'REPLICAS', 'mymaster') if r['master-link-status'] == 'ok'],
               30, 'Sentinel to find the replica with its link up')
    run = run_module('sentinel_failover', dict(conn(sentinel), name='mymaster', target_host='127.0.0.1',
                                               target_port=replica.port, data_password='wrong-data-password'))
    assert run.failed and 'data_password' in run['msg'] and 'login_password' not in run['msg'], run.result
    assert run.get('commands', []) == [] and role_of(primary) == 'master'


# -- config_file --------------------------------------------------------------------------------------------------------
def test_config_file_refuses_an_empty_path_and_leaves_no_temp_file(tmp_path, run_module, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = run_module('config_file', dict(path='', content='requirepass %s\n' % PASSWORD))
    assert run.failed and 'path' in run['msg'], run.result
    assert os.listdir(str(tmp_path)) == [p for p in os.listdir(str(tmp_path)) if p.startswith('play-')]


def test_config_file_check_mode_predicts_a_missing_directory(tmp_path, run_module):
    path = str(tmp_path / 'missing' / 'redis.conf')
    for check in (True, False):
        run = run_module('config_file', dict(path=path, content='port 6379\n'), check=check)
        assert run.failed and 'the directory of path does not exist' in run['msg'], (check, run.result)


@pytest.mark.parametrize('content, mode, expected', [
    ('port 6379\nrequirepass %s\n' % PASSWORD, None, 0o600),
    ('port 26379\nsentinel auth-pass mymaster %s\n' % PASSWORD, None, 0o600),
    ('port 6379\nrequirepass %s\n' % PASSWORD, '0640', 0o640),
])
def test_config_file_new_files_with_secrets_are_private(tmp_path, run_module, content, mode, expected):
    path = str(tmp_path / 'new.conf')
    args = dict(path=path, content=content)
    if mode:
        args['mode'] = mode
    run = run_module('config_file', args)
    assert run['changed'] is True and run['created'] is True, run.result
    assert os.stat(path).st_mode & 0o777 == expected
    assert run_module('config_file', args)['changed'] is False


def test_config_file_diff_says_a_secret_changed_without_showing_it(tmp_path, run_module):
    path = tmp_path / 'redis.conf'
    path.write_text('port 6379\nrequirepass old-secret-1\n')
    run = run_module('config_file', dict(path=str(path), content='port 6379\nrequirepass %s\n' % PASSWORD))
    assert run['diff'] == dict(before={'requirepass': '(hidden)'}, after={'requirepass': '(hidden, changed)'})
    assert 'old-secret-1' not in run.stdout
