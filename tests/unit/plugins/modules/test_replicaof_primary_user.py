# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""replicaof's primary_user on the servers no machine here runs.

Redis knows the replication user as ``masteruser``; Valkey 8 renamed it ``primaryuser`` and keeps ``masteruser``
as an alias. The module sends ``masteruser``, the one name every supported server accepts: Redis 7.0 refuses
``primaryuser`` (tests/modules/test_replicaof.py proves the Redis side on a real server). Valkey is not packaged
for Debian 12, so the Valkey side is checked here on the planned commands, with a recorded server.
"""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import ServerInfo
from ansible_collections.redis_ops.replication.plugins.module_utils.replicaof import ReplicaofManager


class FakeModule:
    def __init__(self, **params):
        self.check_mode = False
        self._diff = True
        self.params = dict(state='replica', primary_host='10.0.0.1', primary_port=6390, primary_user=None,
                           primary_auth=None, persist=False, wait_for_sync=False, wait_timeout=60,
                           login_host='10.0.0.2', login_port=6379, login_unix_socket=None, connect_timeout=5.0)
        self.params.update(params)


class RecordedServer:
    """A standalone data node: answers CONFIG GET from its config table and records what is sent."""

    def __init__(self, flavor: str, version: tuple) -> None:
        self.target = '10.0.0.2:6379'
        self._server = ServerInfo(flavor, version, 'standalone', 'run', 6379, '/etc/redis.conf',
                                  '.'.join(map(str, version)))
        self.config = {'masteruser': '', 'masterauth': ''}
        self.sent = []

    def server_info(self):
        return self._server

    def info(self, _section):
        return dict(role='master', connected_slaves=0, master_repl_offset=0)

    def call(self, *args, **_kwargs):
        if args[:2] == ('CONFIG', 'GET'):
            return [args[2], self.config[args[2]]]
        self.sent.append(' '.join(args))
        return 'OK'


@pytest.mark.parametrize('flavor, version', [('redis', (7, 0, 15)), ('redis', (8, 0, 2)), ('valkey', (8, 1, 1))])
def test_primary_user_is_sent_as_masteruser_which_every_server_accepts(flavor, version, monkeypatch):
    # The probe of the primary (is it a Redis data node?) is proven on real servers in tests/modules.
    monkeypatch.setattr(ReplicaofManager, '_probe_primary', lambda self, host, port: None)
    server = RecordedServer(flavor, version)
    module = FakeModule(primary_user='replicator')
    result = ReplicaofManager(module, server, module.params).run()
    assert server.sent == ['CONFIG SET masteruser replicator', 'REPLICAOF 10.0.0.1 6390']
    assert result['commands'] == server.sent
    assert result['diff']['after']['primary_user'] == 'replicator'
