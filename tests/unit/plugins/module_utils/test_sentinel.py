# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sentinel config-file reading, including the branches a live Sentinel cannot reach."""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import RedisOpsError
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import ServerInfo
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    ckquorum,
    failover_activity,
    flags_of,
    get_master,
    list_masters,
    list_replicas,
    list_sentinels,
    missing_entries,
    read_master_auth_from_config,
    require_sentinel,
    stale_entries,
)

MYID = 'a' * 40


class RecordedSentinel:
    """Stands in for a RedisClient: answers SENTINEL MYID and INFO server from recorded values."""

    def __init__(self, config_file, myid=MYID):
        self._server = ServerInfo('redis', (7, 0, 15), 'sentinel', 'run', 26379, config_file, '7.0.15')
        self._myid = myid

    def server_info(self):
        return self._server

    def call(self, *args, **kwargs):
        if args == ('SENTINEL', 'MYID'):
            if self._myid is None:
                raise RedisOpsError('unknown subcommand')
            return self._myid
        raise AssertionError('unexpected command %s' % (args,))


def write_config(tmp_path, body):
    path = tmp_path / 'sentinel.conf'
    path.write_text(body)
    return str(path)


def test_reads_auth_of_the_right_master(tmp_path):
    path = write_config(tmp_path, 'sentinel myid %s\nsentinel auth-pass other x\n'
                                  'sentinel auth-pass mymaster "p w"\nsentinel auth-user mymaster sentinel\n' % MYID)
    assert read_master_auth_from_config(RecordedSentinel(path), 'mymaster') == {'auth-pass': 'p w',
                                                                                'auth-user': 'sentinel'}
    assert read_master_auth_from_config(RecordedSentinel(path), 'third') == {'auth-pass': '', 'auth-user': ''}


def test_file_of_another_sentinel_is_not_trusted(tmp_path):
    path = write_config(tmp_path, 'sentinel myid %s\nsentinel auth-pass mymaster secret\n' % ('b' * 40))
    assert read_master_auth_from_config(RecordedSentinel(path), 'mymaster') is None


def test_unreadable_or_missing_file_or_no_myid(tmp_path):
    assert read_master_auth_from_config(RecordedSentinel(str(tmp_path / 'absent.conf')), 'mymaster') is None
    assert read_master_auth_from_config(RecordedSentinel(''), 'mymaster') is None
    path = write_config(tmp_path, 'sentinel auth-pass mymaster secret\n')
    assert read_master_auth_from_config(RecordedSentinel(path), 'mymaster') is None
    path = write_config(tmp_path, 'sentinel myid %s\n' % MYID)
    assert read_master_auth_from_config(RecordedSentinel(path, myid=None), 'mymaster') is None


class TableSentinel:
    """Stands in for a RedisClient of a Sentinel (or data node): answers from a table of recorded replies."""

    def __init__(self, replies, flavor='redis', version=(7, 0, 15), mode='sentinel'):
        self.target = '10.0.0.9:26379'
        self._server = ServerInfo(flavor, version, mode, 'run', 26379, '', '.'.join(map(str, version)))
        self.replies = replies
        self.calls = []

    def server_info(self):
        return self._server

    def call(self, *args, **_kwargs):
        self.calls.append(args)
        reply = self.replies[args]
        if isinstance(reply, Exception):
            raise reply
        return reply


REPLICA = ['name', '10.0.0.2:6379', 'ip', '10.0.0.2', 'port', '6379', 'flags', 'slave,s_down']


def test_listings_are_dicts_of_typed_values():
    replies = {('SENTINEL', 'MASTERS'): [['name', 'm', 'port', '6379']], ('SENTINEL', 'REPLICAS', 'm'): [REPLICA],
               ('SENTINEL', 'SENTINELS', 'm'): [['ip', '10.0.0.7', 'port', '26379']],
               ('SENTINEL', 'MASTER', 'm'): ['name', 'm', 'quorum', '2']}
    client = TableSentinel(replies)
    assert list_masters(client) == [{'name': 'm', 'port': 6379}]
    assert list_replicas(client, 'm') == [{'name': '10.0.0.2:6379', 'ip': '10.0.0.2', 'port': 6379, 'flags': 'slave,s_down'}]
    assert list_sentinels(client, 'm') == [{'ip': '10.0.0.7', 'port': 26379}]
    assert get_master(client, 'm') == {'name': 'm', 'quorum': 2}
    empty = TableSentinel({('SENTINEL', 'MASTERS'): None, ('SENTINEL', 'REPLICAS', 'm'): None,
                           ('SENTINEL', 'SENTINELS', 'm'): []})
    assert list_masters(empty) == [] and list_replicas(empty, 'm') == [] and list_sentinels(empty, 'm') == []


@pytest.mark.parametrize('flavor, version, sub', [
    ('redis', (6, 0, 16), 'SLAVES'), ('redis', (6, 2, 0), 'REPLICAS'), ('valkey', (1, 0, 0), 'REPLICAS'),
])
def test_replicas_are_asked_for_with_the_subcommand_the_server_knows(flavor, version, sub):
    client = TableSentinel({('SENTINEL', sub, 'm'): [REPLICA]}, flavor=flavor, version=version)
    assert list_replicas(client, 'm')[0]['port'] == 6379
    assert client.calls == [('SENTINEL', sub, 'm')]


def test_unknown_master_is_none_other_errors_are_raised():
    unknown = TableSentinel({('SENTINEL', 'MASTER', 'x'): RedisOpsError('ERR No such master with that name')})
    assert get_master(unknown, 'x') is None
    other = TableSentinel({('SENTINEL', 'MASTER', 'x'): RedisOpsError('timed out')})
    with pytest.raises(RedisOpsError, match='timed out'):
        get_master(other, 'x')


def test_flags_and_ckquorum():
    assert flags_of({'flags': 'slave,s_down,'}) == ['slave', 's_down']
    assert flags_of({}) == [] and flags_of({'flags': ''}) == []
    ok = TableSentinel({('SENTINEL', 'CKQUORUM', 'm'): 'OK 3 usable Sentinels'})
    assert ckquorum(ok, 'm') == dict(ok=True, message='OK 3 usable Sentinels')
    bad = TableSentinel({('SENTINEL', 'CKQUORUM', 'm'): RedisOpsError('NOQUORUM 1 usable Sentinels')})
    assert ckquorum(bad, 'm') == dict(ok=False, message='NOQUORUM 1 usable Sentinels')


def test_a_data_node_is_not_a_sentinel():
    require_sentinel(TableSentinel({}))
    with pytest.raises(RedisOpsError) as raised:
        require_sentinel(TableSentinel({}, flavor='valkey', version=(8, 1, 1), mode='standalone'))
    assert raised.value.message == ('10.0.0.9:26379 is a valkey data node (mode standalone), not a Sentinel: point '
                                    'login_host/login_port at the Sentinel (port 26379 by default)')


def _equal(host_a, host_b):
    return host_a == host_b


KNOWN = [dict(ip='10.0.0.2', port='6379', flags='slave'), dict(ip='10.0.0.9', port='6379', flags='slave,s_down'),
         dict(ip='10.0.0.3', port='6380', flags='slave')]


def test_stale_entries_are_those_outside_the_expected_addresses():
    assert stale_entries(KNOWN, [('10.0.0.2', 6379), ('10.0.0.3', 6380)], _equal) == ['10.0.0.9:6379']
    # The same address on another port is another instance.
    assert stale_entries(KNOWN, [('10.0.0.2', 6379), ('10.0.0.9', 6380), ('10.0.0.3', 6380)], _equal) == [
        '10.0.0.9:6379']
    assert stale_entries([dict(ip='::1', port='6379')], [], _equal) == ['[::1]:6379']


def test_missing_entries_are_the_expected_addresses_not_listed():
    assert missing_entries(KNOWN, [('10.0.0.2', 6379), ('10.0.0.4', 6379)], _equal) == ['10.0.0.4:6379']
    assert missing_entries(KNOWN, [], _equal) == []


@pytest.mark.parametrize('master, expected', [
    (dict(flags='master'), []),
    (dict(flags='master,failover_in_progress'), ['failover_in_progress']),
    (dict(flags='master,s_down,o_down'), ['s_down', 'o_down']),
    (dict(flags='master', **{'failover-state': 'wait_promotion'}), ['failover-state wait_promotion']),
    (dict(flags='master', **{'failover-state': 'none'}), []),
])
def test_failover_activity(master, expected):
    assert failover_activity(master) == expected
