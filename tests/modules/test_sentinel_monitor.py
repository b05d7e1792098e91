# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sentinel_monitor against real redis-sentinel processes."""

from __future__ import annotations

import os

import pytest
from harness import PASSWORD, as_dict, conn, overridden, promotable_replicas, sentinel_command, sentinel_primary_port, wait_until


def sentinel_master(sentinel, name='mymaster'):
    return sentinel_command(sentinel, 'MASTER', name)


def replicas_known(sentinel, name='mymaster'):
    return sentinel_command(sentinel, 'REPLICAS', name)


def monitor_args(sentinel, primary, **extra):
    args = dict(conn(sentinel), name='mymaster', host='127.0.0.1', port=primary.port, quorum=1,
                auth_pass=PASSWORD, down_after_milliseconds=3000, failover_timeout=20000, parallel_syncs=1)
    args.update(extra)
    return args


@pytest.fixture
def setup(fleet):
    primary = fleet.redis()
    sentinel = fleet.sentinel()
    return primary, sentinel


def test_check_mode_sends_nothing(setup, run_module):
    primary, sentinel = setup
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary), check=True)
    assert not run.failed, run.result
    assert run['changed'] is True and run['commands'] == []
    assert run['diff']['before'] == {'state': 'absent'}
    assert run['diff']['after']['port'] == primary.port
    assert sentinel_command(sentinel, 'MASTERS') == []


def test_monitor_created_saved_and_idempotent(setup, run_module):
    primary, sentinel = setup
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary))
    assert not run.failed, run.result
    assert run['commands'] == [
        'SENTINEL MONITOR mymaster 127.0.0.1 %d 1' % primary.port,
        'SENTINEL SET mymaster down-after-milliseconds 3000',
        'SENTINEL SET mymaster failover-timeout 20000',
        'SENTINEL SET mymaster parallel-syncs 1',
        'SENTINEL SET mymaster auth-pass ********',
        'SENTINEL FLUSHCONFIG',
    ]
    master = sentinel_master(sentinel)
    assert master['port'] == str(primary.port) and master['quorum'] == '1'
    assert master['down-after-milliseconds'] == '3000' and master['failover-timeout'] == '20000'
    # Sentinel reaches the primary with the password: it discovers the primary's role.
    wait_until(lambda: sentinel_master(sentinel)['role-reported'] == 'master' and
               'disconnected' not in sentinel_master(sentinel)['flags'], 15, 'Sentinel to connect to the primary')
    saved = sentinel.config_text()
    assert 'sentinel monitor mymaster 127.0.0.1 %d 1' % primary.port in saved
    assert 'sentinel auth-pass mymaster %s' % PASSWORD in saved

    again = run_module('sentinel_monitor', monitor_args(sentinel, primary))
    assert again['changed'] is False and again['commands'] == [], again.result
    assert again['address_differs'] is False and again['current_port'] == primary.port
    assert run_module('sentinel_monitor', monitor_args(sentinel, primary), check=True)['changed'] is False


def test_only_differing_settings_are_sent(setup, run_module):
    primary, sentinel = setup
    run_module('sentinel_monitor', monitor_args(sentinel, primary))
    epoch_before = sentinel_master(sentinel)['config-epoch']
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary, quorum=2, parallel_syncs=2))
    assert run['commands'] == ['SENTINEL SET mymaster quorum 2', 'SENTINEL SET mymaster parallel-syncs 2',
                               'SENTINEL FLUSHCONFIG']
    assert run['diff']['before']['quorum'] == 1 and run['diff']['after']['quorum'] == 2
    master = sentinel_master(sentinel)
    assert master['quorum'] == '2' and master['parallel-syncs'] == '2'
    assert master['config-epoch'] == epoch_before


def test_changed_auth_pass_is_set_and_never_shown(setup, run_module):
    primary, sentinel = setup
    run_module('sentinel_monitor', monitor_args(sentinel, primary, auth_pass='an-old-password'))
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary))
    assert run['commands'] == ['SENTINEL SET mymaster auth-pass ********', 'SENTINEL FLUSHCONFIG']
    assert run['diff']['before']['auth_pass'] == '(hidden)'
    assert run['diff']['after']['auth_pass'] == '(hidden, new value)'
    assert 'an-old-password' not in run.stdout
    assert 'sentinel auth-pass mymaster %s' % PASSWORD in sentinel.config_text()


def test_unreadable_config_warns_and_on_create_leaves_the_password_alone(setup, run_module):
    primary, sentinel = setup
    created = run_module('sentinel_monitor', monitor_args(sentinel, primary, update_password='on_create'))
    assert 'SENTINEL SET mymaster auth-pass ********' in created['commands'], created.result
    # The Sentinel's file is no longer where INFO says it is: the password cannot be read back.
    os.rename(sentinel.config_path, sentinel.config_path + '.elsewhere')
    always = run_module('sentinel_monitor', monitor_args(sentinel, primary))
    assert not always.failed and always['changed'] is True, always.result
    assert always['commands'] == ['SENTINEL SET mymaster auth-pass ********', 'SENTINEL FLUSHCONFIG']
    assert always['diff']['before']['auth_pass'] == '(unknown)'
    assert len(always['warnings']) == 1
    assert 'cannot be read back from the Sentinel at 127.0.0.1:%d' % sentinel.port in always['warnings'][0]
    assert 'update_password=on_create' in always['warnings'][0]
    os.remove(sentinel.config_path)  # FLUSHCONFIG wrote a new one; take it away again
    on_create = run_module('sentinel_monitor', monitor_args(sentinel, primary, auth_pass='a-new-password',
                                                            update_password='on_create'))
    assert not on_create.failed and on_create['changed'] is False and on_create['commands'] == [], on_create.result
    assert not on_create.get('warnings')


def test_module_itself_redacts_auth_pass_in_commands_and_errors(fleet, run_module_raw):
    """The module's own result (no_log masking would hide a leak from run_module), in success and in failure."""
    primary = fleet.redis()
    sentinel = fleet.sentinel(lines=['user ops on >ops-pw-5e ~* &* +@all -sentinel|set'])
    created = run_module_raw('sentinel_monitor', monitor_args(sentinel, primary))
    assert not created.get('failed'), created
    assert 'SENTINEL SET mymaster auth-pass ********' in created['commands']
    assert PASSWORD not in repr(created)
    # A login user that may not SENTINEL SET: the server's error names the command, which must stay redacted.
    failed = run_module_raw('sentinel_monitor', dict(monitor_args(sentinel, primary, auth_pass='changed-pw-e41'),
                                                     login_user='ops', login_password='ops-pw-5e'))
    assert failed['failed'] and 'SENTINEL SET mymaster auth-pass ********' in failed['msg'], failed
    assert 'changed-pw-e41' not in repr(failed)


def test_failed_over_address_is_kept_unless_forced(fleet, run_module):
    original = fleet.redis()
    current = fleet.redis()
    sentinel = fleet.sentinel(current)  # Sentinel already follows `current`, as after a failover
    run = run_module('sentinel_monitor', monitor_args(sentinel, original))
    assert not run.failed, run.result
    assert run['address_differs'] is True
    assert run['current_port'] == current.port
    assert 'SENTINEL MONITOR' not in ' '.join(run['commands'])
    assert sentinel_master(sentinel)['port'] == str(current.port)

    forced = run_module('sentinel_monitor', monitor_args(sentinel, original, force_address=True))
    assert forced['commands'][:2] == ['SENTINEL REMOVE mymaster',
                                      'SENTINEL MONITOR mymaster 127.0.0.1 %d 1' % original.port]
    assert forced['address_differs'] is False and forced['current_port'] == original.port
    assert sentinel_master(sentinel)['port'] == str(original.port)


def test_absent_removes_and_is_idempotent(setup, run_module):
    primary, sentinel = setup
    run_module('sentinel_monitor', monitor_args(sentinel, primary))
    check = run_module('sentinel_monitor', dict(conn(sentinel), name='mymaster', state='absent'), check=True)
    assert check['changed'] is True and check['commands'] == []
    assert len(sentinel_command(sentinel, 'MASTERS')) == 1
    run = run_module('sentinel_monitor', dict(conn(sentinel), name='mymaster', state='absent'))
    assert run['commands'] == ['SENTINEL REMOVE mymaster', 'SENTINEL FLUSHCONFIG']
    assert sentinel_command(sentinel, 'MASTERS') == []
    assert 'sentinel monitor mymaster' not in sentinel.config_text()
    again = run_module('sentinel_monitor', dict(conn(sentinel), name='mymaster', state='absent'))
    assert again['changed'] is False and again['commands'] == []


def test_reset_only_when_stale(fleet, run_module):
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(replica_of=primary)
    sentinel = fleet.sentinel(primary, down_after=1000)
    args = dict(conn(sentinel), name='mymaster', host='127.0.0.1', port=primary.port, quorum=1, reset_stale=True)
    wait_until(lambda: len(replicas_known(sentinel)) == 1, 20, 'Sentinel to discover the replica')
    healthy = run_module('sentinel_monitor', args)
    assert healthy['changed'] is False and healthy['reset'] is False, healthy.result

    replica.stop()
    wait_until(lambda: 's_down' in replicas_known(sentinel)[0]['flags'], 20,
               'Sentinel to flag the stopped replica s_down')
    stale = run_module('sentinel_monitor', args)
    assert stale['reset'] is True and 'SENTINEL RESET mymaster' in stale['commands']
    assert replicas_known(sentinel) == []
    after = run_module('sentinel_monitor', args)
    assert after['changed'] is False and after['reset'] is False


@pytest.mark.parametrize('args, expected', [
    (dict(quorum=0), 'quorum must be at least 1'),
    (dict(quorum='two'), 'quorum'),
    (dict(down_after_milliseconds=0), 'down_after_milliseconds must be at least 1'),
    (dict(port=0), 'port must be a TCP port between 1 and 65535'),
    (dict(host=None), 'state is present but all of the following are missing: host'),
    (dict(auth_user='sentinel-user', auth_pass=None), 'auth_user is set but auth_pass is not'),
    (dict(login_password='not-the-password'), 'authentication to 127.0.0.1'),
])
def test_bad_input_is_refused_and_changes_nothing(setup, run_module, args, expected):
    primary, sentinel = setup
    run = run_module('sentinel_monitor', overridden(monitor_args(sentinel, primary), args))
    assert run.failed and expected in run['msg'], run.result
    assert sentinel_command(sentinel, 'MASTERS') == []


def test_refuses_a_data_node(setup, run_module):
    primary, _sentinel = setup
    run = run_module('sentinel_monitor', monitor_args(primary, primary))
    assert run.failed and 'is a redis data node (mode standalone), not a Sentinel' in run['msg'], run.result


def test_unreachable_sentinel(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel()
    sentinel.stop()
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary, connect_timeout=1))
    assert run.failed and run['msg'].startswith('cannot connect to 127.0.0.1:%d' % sentinel.port)


def test_scripts_refused_at_runtime_get_a_hint(setup, run_module):
    primary, sentinel = setup
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary, notification_script='/bin/true'))
    assert run.failed and 'sentinel deny-scripts-reconfig no' in run['msg'], run.result


def test_a_failover_runs_the_scripts_with_the_documented_arguments(fleet, run_module, tmp_path):
    """notification_script and client_reconfig_script set by the module are what Sentinel runs on a failover:
    the reconfig script with <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>, the notification
    script with <event-type> <event-description> for warning-level events such as +switch-master."""
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    wait_until(lambda: replica.client().info('replication').get('master_link_status') == 'up', 30,
               'the replica to sync')
    sentinel = fleet.sentinel(lines=['sentinel deny-scripts-reconfig no'])
    calls = tmp_path / 'calls'
    scripts = {}
    for kind in ('notify', 'reconfig'):
        script = tmp_path / ('%s.sh' % kind)
        # Sentinel runs scripts with no shell; a script must exit 0 quickly (1 = retried, 2+ = not retried).
        script.write_text('#!/bin/sh\nprintf "%s %%s\\n" "$*" >> %s\nexit 0\n' % (kind, calls))
        script.chmod(0o755)
        scripts[kind] = str(script)
    run = run_module('sentinel_monitor', monitor_args(sentinel, primary, notification_script=scripts['notify'],
                                                      client_reconfig_script=scripts['reconfig']))
    assert not run.failed and run['changed'], run.result
    master = as_dict(sentinel_command(sentinel, 'MASTER', 'mymaster'))
    assert master['notification-script'] == scripts['notify']
    assert master['client-reconfig-script'] == scripts['reconfig']
    wait_until(lambda: len(promotable_replicas(sentinel)) == 1, 30, 'the Sentinel to accept the replica for a promotion')

    assert sentinel.client().execute_command('SENTINEL', 'FAILOVER', 'mymaster')
    wait_until(lambda: sentinel_primary_port(sentinel) == replica.port, 30, 'the failover')

    def lines(kind):
        return [line.split(' ', 1)[1] for line in (calls.read_text().splitlines() if calls.exists() else [])
                if line.startswith(kind + ' ')]

    expected_reconfig = 'mymaster leader start 127.0.0.1 %d 127.0.0.1 %d' % (primary.port, replica.port)
    wait_until(lambda: expected_reconfig in lines('reconfig'), 30, 'the reconfig script to run as the failover starts')
    expected_switch = '+switch-master mymaster 127.0.0.1 %d 127.0.0.1 %d' % (primary.port, replica.port)
    wait_until(lambda: expected_switch in lines('notify'), 30, 'the notification script to run on +switch-master')
    assert all(line.split(' ')[:2] == ['mymaster', 'leader'] for line in lines('reconfig')), lines('reconfig')
