# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sentinel config-file reading, including the branches a live Sentinel cannot reach."""

from __future__ import annotations

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import RedisOpsError
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import ServerInfo
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    read_master_auth_from_config,
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
