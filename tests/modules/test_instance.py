# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance on the host's file system with a real redis-server, through ansible-playbook.

This host has no systemd, so systemctl and journalctl are stand-ins (fake_systemd/): they keep the units' states in
a file, log every call, and really run the unit's ExecStart (redis-server). The real systemd is exercised by every
Molecule scenario, where the roles converge each instance with this module.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal

import pytest
import redis
from harness import PASSWORD, SENTINEL_PASSWORD, free_port, wait_until

FAKE_BIN = str(pathlib.Path(__file__).parent / 'fake_systemd')
REDIS_SERVER = '/usr/bin/redis-server'


class FakeSystemd:
    def __init__(self, root: pathlib.Path) -> None:
        self.dir = root / 'systemd-state'
        self.unit_dir = root / 'units'
        self.dir.mkdir()
        self.unit_dir.mkdir()

    def set(self, unit: str, **state) -> None:
        current = self.state()
        current.setdefault(unit, {}).update(state)
        (self.dir / 'state.json').write_text(json.dumps(current))

    def state(self) -> dict:
        path = self.dir / 'state.json'
        return json.loads(path.read_text()) if path.exists() else {}

    def calls(self) -> list:
        path = self.dir / 'calls.log'
        calls = path.read_text().splitlines() if path.exists() else []
        path.write_text('')
        return [call for call in calls if not call.startswith('show ')]

    def stop_all(self) -> None:
        for unit in self.state().values():
            if unit.get('pid'):
                try:
                    os.kill(unit['pid'], signal.SIGTERM)
                except OSError:
                    pass


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    fake = FakeSystemd(tmp_path)
    monkeypatch.setenv('PATH', FAKE_BIN + os.pathsep + os.environ['PATH'])
    monkeypatch.setenv('FAKE_SYSTEMD_DIR', str(fake.dir))
    monkeypatch.setenv('FAKE_SYSTEMD_UNIT_DIR', str(fake.unit_dir))
    yield fake
    fake.stop_all()


def unit_text(conf: pathlib.Path, binary: str = REDIS_SERVER) -> str:
    return '[Unit]\nDescription=test\n\n[Service]\nExecStart=%s %s\n\n[Install]\nWantedBy=multi-user.target\n' % (
        binary, conf)


def config_text(port: int, data: pathlib.Path, maxmemory: str = '100mb', bind: str = '127.0.0.1',
                replicaof: int | None = None) -> str:
    lines = ['replicaof 127.0.0.1 %d' % replicaof] if replicaof else []
    lines += ['port %d' % port, 'bind %s' % bind, 'dir %s' % data, 'logfile ""', 'daemonize no', 'save ""',
              'appendonly no', 'requirepass %s' % PASSWORD, 'masterauth %s' % PASSWORD, 'maxmemory %s' % maxmemory]
    return '\n'.join(lines) + '\n'


def instance_args(tmp_path, systemd, port: int, **config) -> dict:
    conf_dir, data = tmp_path / 'etc' / str(port), tmp_path / 'lib' / str(port)
    return dict(
        unit='redis-%d.service' % port, unit_dir=str(systemd.unit_dir),
        unit_content=unit_text(conf_dir / 'redis.conf'),
        directories=[dict(path=str(conf_dir), mode='0750'), dict(path=str(data), mode='0750')],
        config=dict(path=str(conf_dir / 'redis.conf'), content=config_text(port, data, **config), mode='0640'),
        stop_units=['redis-server.service', 'absent.service'],
        login_port=port, login_password=PASSWORD)


def client(port: int) -> redis.Redis:
    return redis.Redis(port=port, password=PASSWORD, decode_responses=True, socket_timeout=2)


def answers(port: int) -> bool:
    try:
        return client(port).ping()
    except redis.ConnectionError:
        return False


@pytest.mark.skipif(not os.path.exists(REDIS_SERVER), reason='needs redis-server (make deps-servers)')
def test_first_start_then_nothing_then_live_then_restart_required(tmp_path, systemd, run_module):
    port = free_port()
    args = instance_args(tmp_path, systemd, port)
    unit = args['unit']
    systemd.set('redis-server.service', loaded=True, active='active', file='enabled')

    checked = run_module('instance', args, check=True)
    assert not checked.failed and checked['changed'] is True, checked.result
    assert checked['was_active'] is False and checked['started'] is True and checked['enabled_now'] is True
    assert checked['stopped_units'] == ['redis-server.service'], checked.result
    assert systemd.calls() == [] and not (tmp_path / 'etc').exists(), 'check mode changed something'

    first = run_module('instance', args)
    assert not first.failed and first['changed'] is True, first.result
    assert first['started'] is True and first['daemon_reloaded'] is True and first['restart_required'] is False
    assert first['stopped_units'] == ['redis-server.service'] and first['config']['created'] is True
    assert systemd.calls() == ['daemon-reload', 'stop redis-server.service', 'disable redis-server.service',
                               'start %s' % unit, 'enable %s' % unit]
    wait_until(lambda: answers(port), 10, 'the started redis-server to answer')
    assert systemd.state()['redis-server.service']['file'] == 'disabled'

    again = run_module('instance', args)
    assert not again.failed and again['changed'] is False and again['was_active'] is True, again.result
    assert again['changed_paths'] == [] and again['config']['directives'] == [] and again['restart_required'] is False
    assert systemd.calls() == [], 'a converged instance was touched'

    live = run_module('instance', instance_args(tmp_path, systemd, port, maxmemory='200mb'))
    assert not live.failed and live['changed'] is True and live['restart_required'] is False, live.result
    assert live['config']['applied_live'] == ['maxmemory'] and live['started'] is False
    assert client(port).config_get('maxmemory')['maxmemory'] == str(200 * 1024 * 1024)
    assert systemd.calls() == []

    moved = instance_args(tmp_path, systemd, port, maxmemory='200mb', bind='127.0.0.1 ::1')
    checked = run_module('instance', moved, check=True)
    assert checked['restart_required'] is True and checked['restart_directives'] == ['bind'], checked.result
    assert (tmp_path / 'etc' / str(port) / 'redis.conf').read_text() == live_text(tmp_path, systemd, port)
    restart = run_module('instance', moved)
    assert restart['restart_required'] is True and restart['restart_directives'] == ['bind'], restart.result
    assert restart['started'] is False and systemd.calls() == [], 'a running instance was restarted'
    assert client(port).config_get('bind')['bind'] == '127.0.0.1', 'bind was applied live'

    new_unit = dict(moved, unit_content=unit_text(tmp_path / 'etc' / str(port) / 'redis.conf') + '# changed\n')
    reloaded = run_module('instance', new_unit)
    assert reloaded['unit_changed'] is True and reloaded['restart_required'] is True, reloaded.result
    assert reloaded['changed_paths'] == [str(systemd.unit_dir / unit)]
    assert systemd.calls() == ['daemon-reload']


def live_text(tmp_path, systemd, port: int) -> str:
    """The configuration file as the maxmemory step left it."""
    return config_text(port, tmp_path / 'lib' / str(port), maxmemory='200mb')


def test_a_unit_that_does_not_start_fails_with_its_journal(tmp_path, systemd, run_module):
    port = free_port()
    args = instance_args(tmp_path, systemd, port)
    args['unit_content'] = unit_text(tmp_path / 'etc' / str(port) / 'redis.conf', binary='/bin/cat --no-such-option')
    run = run_module('instance', args)
    assert run.failed and run['changed'] is True, run.result
    assert run['msg'].startswith('redis-%d.service did not start (systemctl start: rc 1, ' % port), run['msg']
    assert 'no-such-option' in run['msg'], 'the journal is not in the message: %s' % run['msg']
    assert (tmp_path / 'etc' / str(port) / 'redis.conf').exists(), 'the files were not written first'


def test_refusals_change_nothing(tmp_path, systemd, run_module):
    port = free_port()
    bad_unit = run_module('instance', dict(instance_args(tmp_path, systemd, port), unit='redis 6379'))
    assert bad_unit.failed and bad_unit['msg'] == "'redis 6379' is not a systemd unit name (such as " \
                                                  "redis-6379.service); nothing was changed", bad_unit.result

    args = instance_args(tmp_path, systemd, port)
    args['files'] = [dict(path=args['config']['path'], content='x\n')]
    twice = run_module('instance', args)
    assert twice.failed and 'is named as the configuration file and in directories, files' in twice['msg']
    assert not (tmp_path / 'etc').exists() and systemd.calls() == []

    args = instance_args(tmp_path, systemd, port)
    args['config']['content'] += 'maxmemory-policy "unbalanced\n'
    syntax = run_module('instance', args)
    assert syntax.failed and syntax['msg'].startswith('config.content: '), syntax.result
    assert not (tmp_path / 'etc').exists() and systemd.calls() == [], 'something was laid out or started'


@pytest.mark.skipif(not os.path.exists(REDIS_SERVER), reason='needs redis-server (make deps-servers)')
def test_a_replica_follows_its_primary_and_waits_for_the_sync(tmp_path, systemd, run_module, fleet):
    primary = fleet.redis()
    primary.client().set('before', 'sync')
    port = free_port()

    def replica_args(primary_port: int, wait_timeout: int = 30, **config) -> dict:
        # As the role does it: the file names the primary (a restarted replica comes back as one), and so does
        # replicaof.
        return dict(instance_args(tmp_path, systemd, port, replicaof=primary_port, **config),
                    replicaof=dict(host='127.0.0.1', port=primary_port, wait_timeout=wait_timeout))

    checked = run_module('instance', replica_args(primary.port), check=True)
    assert checked['started'] is True and checked['replication'] == {}, checked.result

    first = run_module('instance', replica_args(primary.port))
    assert not first.failed and first['started'] is True, first.result
    replication = first['replication']
    assert replication['role'] == 'replica' and replication['link_status'] == 'up', replication
    assert replication['changed'] is False and replication['commands'] == [], 'the file named the primary already'
    assert client(port).get('before') == 'sync', 'the task returned before the initial sync was over'
    systemd.calls()

    again = run_module('instance', replica_args(primary.port))
    assert not again.failed and again['changed'] is False and again['replication']['changed'] is False, again.result
    assert systemd.calls() == []

    client(port).replicaof('NO', 'ONE')  # by hand, not saved: the file still names the primary
    back = run_module('instance', replica_args(primary.port))
    assert not back.failed and back['changed'] is True and back['config']['directives'] == [], back.result
    assert back['replication']['commands'] == ['REPLICAOF 127.0.0.1 %d' % primary.port, 'CONFIG REWRITE']
    assert back['replication']['link_status'] == 'up' and client(port).role()[0] == 'slave'

    # A new primary alone is applied live (no restart); with a setting that needs a restart, the restart applies it:
    # CONFIG REWRITE now would write the running bind over the file's new one.
    other = fleet.redis()
    moved = run_module('instance', replica_args(other.port))
    assert not moved.failed and moved['restart_required'] is False and moved['config']['directives'] == ['replicaof']
    assert moved['replication']['commands'] == ['REPLICAOF 127.0.0.1 %d' % other.port, 'CONFIG REWRITE']
    conf = tmp_path / 'etc' / str(port) / 'redis.conf'
    both = run_module('instance', replica_args(primary.port, bind='127.0.0.1 ::1'))
    assert not both.failed and both['restart_required'] is True and both['replication_deferred'] is True, both.result
    assert both['restart_directives'] == ['bind'] and both['replication'] == {}
    assert 'bind 127.0.0.1 ::1' in conf.read_text(), 'the running settings were written over the new file'
    assert client(port).info('replication')['master_port'] == other.port

    nowhere = free_port()
    elsewhere = run_module('instance', replica_args(nowhere, wait_timeout=1, bind='127.0.0.1 ::1'))
    assert elsewhere.failed and elsewhere['msg'].startswith('replicaof: '), elsewhere.result
    assert elsewhere['changed'] is True, 'a replica pointed elsewhere must say it changed'
    assert client(port).info('replication')['master_port'] == nowhere


def sentinel_args(tmp_path, systemd, port: int, primary_port: int, extra: tuple = (), down_after: int = 5000) -> dict:
    conf_dir = tmp_path / 'etc' / ('sentinel-%d' % port)
    lines = ['port %d' % port, 'bind 127.0.0.1', 'dir %s' % conf_dir, 'logfile ""', 'daemonize no',
             'requirepass %s' % SENTINEL_PASSWORD] + list(extra)
    return dict(
        unit='sentinel-%d.service' % port, unit_dir=str(systemd.unit_dir),
        unit_content=unit_text(conf_dir / 'sentinel.conf', binary='/usr/bin/redis-sentinel'),
        directories=[dict(path=str(conf_dir), mode='0750')],
        config=dict(path=str(conf_dir / 'sentinel.conf'), content='\n'.join(lines) + '\n', strategy='merge'),
        apply_live=False,
        monitor=dict(name='cache', host='127.0.0.1', port=primary_port, quorum=1, auth_pass=PASSWORD,
                     down_after_milliseconds=down_after),
        login_port=port, login_user='default', login_password=SENTINEL_PASSWORD)


def sentinel_client(port: int) -> redis.Redis:
    return redis.Redis(port=port, password=SENTINEL_PASSWORD, decode_responses=True, socket_timeout=2)


@pytest.mark.skipif(not os.path.exists('/usr/bin/redis-sentinel'), reason='needs redis-sentinel (make deps-servers)')
def test_a_sentinel_monitors_once_and_not_before_its_restart(tmp_path, systemd, run_module, fleet):
    primary = fleet.redis()
    port = free_port()

    first = run_module('instance', sentinel_args(tmp_path, systemd, port, primary.port))
    assert not first.failed and first['started'] is True, first.result
    assert first['monitor']['changed'] is True and first['monitor_deferred'] is False, first['monitor']
    assert first['monitor']['commands'][0] == 'SENTINEL MONITOR cache 127.0.0.1 %d 1' % primary.port
    master = sentinel_client(port).sentinel_master('cache')
    assert master['port'] == primary.port and master['down-after-milliseconds'] == 5000
    systemd.calls()

    again = run_module('instance', sentinel_args(tmp_path, systemd, port, primary.port))
    assert not again.failed and again['changed'] is False, again.result
    assert again['monitor']['changed'] is False and again['config']['directives'] == [] and systemd.calls() == []

    # A static setting (needs the restart the caller makes) and a monitor setting in the same run: the monitor waits,
    # because Sentinel would write its running settings over the new file.
    conf = tmp_path / 'etc' / ('sentinel-%d' % port) / 'sentinel.conf'
    both = run_module('instance', sentinel_args(tmp_path, systemd, port, primary.port,
                                                extra=('sentinel announce-hostnames yes',), down_after=7000))
    assert not both.failed and both['restart_required'] is True and both['monitor_deferred'] is True, both.result
    assert 'sentinel announce-hostnames yes' in conf.read_text(), 'Sentinel wrote its running settings over the file'
    assert both['monitor'] == {} and systemd.calls() == []
    assert sentinel_client(port).sentinel_master('cache')['down-after-milliseconds'] == 5000

    moved = run_module('sentinel_monitor', dict(name='cache', host='127.0.0.1', port=primary.port, quorum=1,
                                                auth_pass=PASSWORD, down_after_milliseconds=7000, login_port=port,
                                                login_user='default', login_password=SENTINEL_PASSWORD))
    assert not moved.failed and moved['changed'] is True, moved.result
    assert sentinel_client(port).sentinel_master('cache')['down-after-milliseconds'] == 7000


@pytest.mark.skipif(not os.path.exists('/usr/bin/redis-sentinel'), reason='needs redis-sentinel (make deps-servers)')
def test_a_sentinel_of_several_groups_monitors_each_and_leaves_other_masters_alone(
        tmp_path, systemd, run_module, fleet):
    cache, sessions, other = fleet.redis(), fleet.redis(), fleet.redis()
    port = free_port()
    args = sentinel_args(tmp_path, systemd, port, cache.port)
    group = args.pop('monitor')
    args['monitors'] = [group, dict(group, name='sessions', port=sessions.port, quorum=1, down_after_milliseconds=6000)]

    first = run_module('instance', args)
    assert not first.failed and first['changed'] is True, first.result
    assert [m['commands'][0] for m in first['monitors']] == [
        'SENTINEL MONITOR cache 127.0.0.1 %d 1' % cache.port, 'SENTINEL MONITOR sessions 127.0.0.1 %d 1' % sessions.port]
    assert first['monitor'] == {}
    assert sentinel_client(port).sentinel_master('sessions')['down-after-milliseconds'] == 6000
    # A master of a group this run leaves out (--limit) stays as it is.
    sentinel_client(port).sentinel_monitor('queue', '127.0.0.1', other.port, 1)

    again = run_module('instance', args)
    assert not again.failed and again['changed'] is False, again.result
    assert [m['changed'] for m in again['monitors']] == [False, False]
    assert set(sentinel_client(port).sentinel_masters()) == {'cache', 'sessions', 'queue'}

    twice = run_module('instance', dict(args, monitors=[group, group]))
    assert twice.failed and twice['msg'] == 'monitors names cache more than once; give each master name once; ' \
                                            'nothing was changed', twice.result
