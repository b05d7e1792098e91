# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sentinel_failover: the branches no server on this machine reaches.

Valkey 9's coordinated failover (SENTINEL FAILOVER <name> COORDINATED) exists on no Debian release yet, so the
choice of method and the command sent for it are tested here with a recorded Sentinel; the pause and plain
methods run against real servers in tests/modules/test_sentinel_failover.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import ServerInfo
from ansible_collections.redis_ops.replication.plugins.modules import sentinel_failover
from ansible_collections.redis_ops.replication.plugins.modules.sentinel_failover import Switchover, SwitchoverError

PRIMARY = {'name': 'mymaster', 'ip': '10.0.0.1', 'port': '6379', 'flags': 'master'}
REPLICAS = [
    {'name': '10.0.0.2:6379', 'ip': '10.0.0.2', 'port': '6379', 'flags': 'slave', 'master-link-status': 'ok',
     'slave-priority': '100', 'slave-repl-offset': '900', 'run-id': 'b'},
    {'name': '10.0.0.3:6379', 'ip': '10.0.0.3', 'port': '6379', 'flags': 'slave', 'master-link-status': 'ok',
     'slave-priority': '100', 'slave-repl-offset': '1000', 'run-id': 'c'},
]


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = dict(name='mymaster', target_host=None, target_port=6379, current_primary_host=None,
                           current_primary_port=6379, data_user=None, data_password=None, method='auto',
                           pause_timeout=10.0, catch_up_timeout=5.0, timeout=60.0)
        self.params.update(params)


class RecordedClient:
    """Stands in for a RedisClient of a Sentinel or data node: records every call, answers from a table."""

    def __init__(self, target, flavor='redis', version=(7, 0, 15), mode='sentinel', role='master', priority='100'):
        self.target = target
        self._server = ServerInfo(flavor, version, mode, 'run', 26379, '/etc/sentinel.conf', '.'.join(map(str, version)))
        self.calls = []
        self.role = role
        self.priority = priority

    def server_info(self):
        return self._server

    def call(self, *args, **kwargs):
        self.calls.append(args)
        if args[:2] == ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME'):
            return ['10.0.0.1', '6379']
        if args == ('CONFIG', 'GET', 'replica-priority'):
            return ['replica-priority', self.priority]
        return 'OK'

    def info(self, section):
        self.calls.append(('INFO', section))
        return {'role': self.role}

    def close(self):
        pass


@pytest.mark.parametrize('flavor, version, method, expected', [
    ('redis', (7, 0, 15), 'auto', 'pause'),
    ('redis', (8, 0, 2), 'auto', 'pause'),
    ('valkey', (8, 1, 1), 'auto', 'pause'),
    ('valkey', (9, 0, 0), 'auto', 'coordinated'),
    ('valkey', (9, 1, 2), 'coordinated', 'coordinated'),
    ('valkey', (9, 0, 0), 'pause', 'pause'),
    ('redis', (7, 0, 15), 'plain', 'plain'),
])
def test_method_follows_what_the_sentinel_supports(flavor, version, method, expected):
    sentinel = RecordedClient('10.0.0.1:26379', flavor, version)
    assert Switchover(FakeModule(method=method), sentinel)._resolve_method() == expected


@pytest.mark.parametrize('flavor, version', [('redis', (7, 0, 15)), ('valkey', (8, 1, 1))])
def test_coordinated_where_it_does_not_exist_names_the_server(flavor, version):
    sentinel = RecordedClient('10.0.0.1:26379', flavor, version)
    with pytest.raises(SwitchoverError) as error:
        Switchover(FakeModule(method='coordinated'), sentinel)._resolve_method()
    message = error.value.message
    assert 'method=coordinated needs a Sentinel that supports SENTINEL FAILOVER ... COORDINATED' in message
    assert '10.0.0.1:26379 is %s %s' % (flavor, '.'.join(map(str, version))) in message
    assert message.endswith('Use method=pause')


@pytest.fixture
def valkey9(monkeypatch):
    """A Valkey 9 Sentinel monitoring 10.0.0.1 with replicas 10.0.0.2 and 10.0.0.3; data nodes answer PING."""
    sentinel = RecordedClient('10.0.0.1:26379', 'valkey', (9, 0, 0))
    nodes = {}

    def data_node(self, node):
        key = '%s:%s' % (node['host'], node['port'])
        return nodes.setdefault(key, RecordedClient(key, 'valkey', (9, 0, 0), 'standalone'))

    monkeypatch.setattr(sentinel_failover, 'require_sentinel', lambda client: None)
    monkeypatch.setattr(sentinel_failover, 'get_master', lambda client, name: dict(PRIMARY))
    monkeypatch.setattr(sentinel_failover, 'list_replicas', lambda client, name: [dict(r) for r in REPLICAS])
    monkeypatch.setattr(sentinel_failover, 'list_sentinels', lambda client, name: [])
    monkeypatch.setattr(Switchover, 'data_node', data_node)
    return sentinel, nodes


def test_coordinated_failover_asks_sentinel_and_pauses_nothing_itself(valkey9, monkeypatch):
    sentinel, nodes = valkey9
    picked = []
    monkeypatch.setattr(Switchover, '_make_sentinel_pick', lambda self, target, replicas: picked.append(target['ip']))
    monkeypatch.setattr(Switchover, '_wait_for_sentinel_switch',
                        lambda self, primary, timeout: dict(host='10.0.0.2', port=6379))
    monkeypatch.setattr(Switchover, '_wait_until_settled',
                        lambda self, primary, promoted, sentinels: [dict(address=sentinel.target, primary='10.0.0.2:6379')])
    result = Switchover(FakeModule(target_host='10.0.0.2'), sentinel).run()

    assert result['changed'] is True and result['method'] == 'coordinated'
    assert result['msg'] == 'switched mymaster from 10.0.0.1:6379 to 10.0.0.2:6379 (method coordinated)'
    assert picked == ['10.0.0.2']
    assert result['commands'] == ['10.0.0.1:26379 SENTINEL FAILOVER mymaster COORDINATED']
    assert ('SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED') in sentinel.calls
    # The server pauses and hands over by itself: the module sends no CLIENT PAUSE and no REPLICAOF.
    sent_to_nodes = [call for node in nodes.values() for call in node.calls]
    assert [call for call in sent_to_nodes if call[0] not in ('CONFIG', 'INFO') or call[1] not in ('GET', 'replication')] \
        == [('PING',), ('PING',)]
    assert result['write_pause_seconds'] == 0
    assert result['diff'] == dict(before=dict(primary='10.0.0.1:6379'), after=dict(primary='10.0.0.2:6379'))


def test_coordinated_failover_that_never_promotes_fails_with_the_commands_sent(valkey9, monkeypatch):
    sentinel, _nodes = valkey9
    restored = []
    monkeypatch.setattr(Switchover, '_make_sentinel_pick', lambda self, target, replicas: None)
    monkeypatch.setattr(Switchover, '_restore_priorities', lambda self: restored.append(True))
    monkeypatch.setattr(Switchover, '_wait_for_sentinel_switch', lambda self, primary, timeout: None)
    with pytest.raises(sentinel_failover.RedisOpsError) as error:
        Switchover(FakeModule(method='coordinated', timeout=3.0), sentinel).run()
    assert error.value.message == '10.0.0.1:26379 did not promote a replica within timeout=3.0s'
    assert error.value.details['commands'] == ['10.0.0.1:26379 SENTINEL FAILOVER mymaster COORDINATED']
    # The other replicas' replica-priority is put back even when the failover fails.
    assert restored == [True]


def test_check_mode_reports_the_coordinated_plan_and_sends_nothing(valkey9):
    sentinel, nodes = valkey9
    result = Switchover(FakeModule(check_mode=True), sentinel).run()
    # Without a target, the replica Sentinel would pick: the one with the highest offset.
    assert result['msg'] == 'would switch mymaster from 10.0.0.1:6379 to 10.0.0.3:6379 (method coordinated)'
    assert result['commands'] == []
    assert not [call for call in sentinel.calls if call[:2] == ('SENTINEL', 'FAILOVER')]
    # It read each replica's own replica-priority (not Sentinel's cached one) and changed nothing.
    calls = [call for node in nodes.values() for call in node.calls]
    assert sorted(set(calls)) == [('CONFIG', 'GET', 'replica-priority'), ('PING',)]


def test_a_stale_sentinel_priority_neither_refuses_nor_skips_pinning(valkey9, monkeypatch):
    """Sentinel still shows the 0 a previous switchover set on 10.0.0.2 and restored: the replicas' own values decide."""
    sentinel, nodes = valkey9
    stale = [dict(r, **{'slave-priority': '0'}) for r in REPLICAS]
    monkeypatch.setattr(sentinel_failover, 'list_replicas', lambda client, name: [dict(r) for r in stale])
    switchover = Switchover(FakeModule(target_host='10.0.0.2'), sentinel)
    replicas = sentinel_failover.list_replicas(sentinel, 'mymaster')
    target = switchover._choose_target(replicas, dict(host='10.0.0.1', port=6379))
    assert target['ip'] == '10.0.0.2'
    # Sentinel's next INFO shows the pin on 10.0.0.3 and the target's real 100.
    fresh = [dict(r, **{'slave-priority': '100' if r['ip'] == '10.0.0.2' else '0'}) for r in REPLICAS]
    monkeypatch.setattr(sentinel_failover, 'list_replicas', lambda client, name: [dict(r) for r in fresh])
    switchover._make_sentinel_pick(target, replicas)
    # 10.0.0.3 is pinned because it says 100 itself, though Sentinel's cache says 0.
    assert ('CONFIG', 'SET', 'replica-priority', '0') in nodes['10.0.0.3:6379'].calls
    assert switchover.commands == ['10.0.0.3:6379 CONFIG SET replica-priority 0']


def test_another_node_won_fails_with_changed_the_commands_and_the_real_primary(valkey9, monkeypatch):
    sentinel, nodes = valkey9
    monkeypatch.setattr(Switchover, '_make_sentinel_pick', lambda self, target, replicas: None)
    monkeypatch.setattr(Switchover, '_wait_for_sentinel_switch',
                        lambda self, primary, timeout: dict(host='10.0.0.3', port=6379))
    monkeypatch.setattr(Switchover, '_wait_until_settled',
                        lambda self, primary, promoted, sentinels: [dict(address=sentinel.target, primary='10.0.0.3:6379')])
    nodes['10.0.0.2:6379'] = RecordedClient('10.0.0.2:6379', 'valkey', (9, 0, 0), 'standalone', role='slave')
    with pytest.raises(sentinel_failover.RedisOpsError) as error:
        Switchover(FakeModule(target_host='10.0.0.2'), sentinel).run()
    assert 'went to 10.0.0.3:6379, not to the requested 10.0.0.2:6379' in error.value.message
    assert error.value.details['changed'] is True
    assert error.value.details['primary'] == dict(host='10.0.0.3', port=6379)
    assert error.value.details['commands'] == ['10.0.0.1:26379 SENTINEL FAILOVER mymaster COORDINATED']


def test_sentinel_naming_a_node_that_is_no_primary_is_not_success(valkey9, monkeypatch):
    sentinel, nodes = valkey9
    monkeypatch.setattr(Switchover, '_make_sentinel_pick', lambda self, target, replicas: None)
    monkeypatch.setattr(Switchover, '_wait_for_sentinel_switch',
                        lambda self, primary, timeout: dict(host='10.0.0.2', port=6379))
    monkeypatch.setattr(Switchover, '_wait_until_settled',
                        lambda self, primary, promoted, sentinels: [dict(address=sentinel.target, primary='10.0.0.2:6379')])
    nodes['10.0.0.2:6379'] = RecordedClient('10.0.0.2:6379', 'valkey', (9, 0, 0), 'standalone', role='slave')
    with pytest.raises(sentinel_failover.RedisOpsError) as error:
        Switchover(FakeModule(target_host='10.0.0.2'), sentinel).run()
    assert 'says role:slave' in error.value.message and error.value.details['changed'] is True


def _pick_with_sentinel_views(monkeypatch, views, timeout):
    """Run _make_sentinel_pick for 10.0.0.2 with Sentinel's REPLICAS answering each of ``views`` in turn (the last
    one from then on); the other replica is at priority 0 already. Returns the number of REPLICAS reads."""
    sentinel = RecordedClient('10.0.0.1:26379')
    reads = []

    def list_replicas(client, name):
        reads.append(name)
        return [dict(r) for r in views[min(len(reads), len(views)) - 1]]

    monkeypatch.setattr(sentinel_failover, 'list_replicas', list_replicas)
    monkeypatch.setattr(Switchover, 'data_node', lambda self, node: RecordedClient('%s:%s' % (node['host'], node['port']),
                                                                                   mode='standalone', priority='0'))
    switchover = Switchover(FakeModule(timeout=timeout), sentinel)
    target = dict(REPLICAS[0])
    switchover._make_sentinel_pick(target, [target, dict(REPLICAS[1])])
    return len(reads)


def _view(target_refresh):
    target, other = dict(REPLICAS[0]), dict(REPLICAS[1], **{'slave-priority': '0'})
    target['info-refresh'] = str(target_refresh)
    return [target, other]


def test_the_switchover_waits_for_a_recent_info_of_the_target(monkeypatch):
    """A replica Sentinel has just learned from the primary's INFO has no INFO of its own yet (info-refresh counts from
    0, the epoch) and SENTINEL FAILOVER would answer NOGOODSLAVE: the module waits until Sentinel has read it."""
    never = 1764835200000
    assert _pick_with_sentinel_views(monkeypatch, [_view(never), _view(never), _view(350)], timeout=5) == 3


def test_a_target_sentinel_never_reads_is_refused_naming_why(monkeypatch):
    with pytest.raises(SwitchoverError) as error:
        _pick_with_sentinel_views(monkeypatch, [_view(45000)], timeout=0.3)
    assert error.value.message == ('10.0.0.1:26379 has read no INFO from 10.0.0.2:6379 for 45000 ms (info-refresh); '
                                   'Sentinel would not promote it (NOGOODSLAVE). Check that Sentinel reaches it; '
                                   'nothing was switched')
