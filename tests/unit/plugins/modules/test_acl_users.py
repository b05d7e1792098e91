# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""acl_users: the lock-out guard on a server without ACL DRYRUN (Redis 6.x), which no server on this machine is.

On Redis 7 the guard asks ACL DRYRUN; tests/modules/test_module_honesty.py proves that against a real server.
"""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import RedisOpsError
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import ServerInfo
from ansible_collections.redis_ops.replication.plugins.modules.acl_users import AclUsersManager


class FakeModule:
    check_mode = False

    def __init__(self):
        self.params = dict(users=[], purge=False, persist=True, login_user='admin', login_password='pw')


class Redis6Client:
    """A Redis 6.2 data node: ACL DRYRUN is an unknown subcommand there."""

    target = '10.0.0.1:6379'

    def __init__(self):
        self.calls = []

    def server_info(self):
        return ServerInfo('redis', (6, 2, 14), 'standalone', 'run', 6379, '/etc/redis.conf', '6.2.14')

    def call(self, *args, **kwargs):
        self.calls.append(args)
        if args[:2] == ('ACL', 'DRYRUN'):
            raise RedisOpsError("10.0.0.1:6379 answered with an error while running %s: ERR Unknown subcommand or "
                                "wrong number of arguments for 'DRYRUN'" % ' '.join(args))
        if args == ('CONFIG', 'GET', 'aclfile'):
            return ['aclfile', '']
        return 'OK'


def normalized(commands: str) -> dict:
    return dict(flags=['off'], passwords=[], commands=commands, keys='~*', channels='&*', selectors='')


@pytest.mark.parametrize('commands', ['+@all', '+@all +acl'])
def test_without_dryrun_rules_that_allow_everything_pass(commands):
    client = Redis6Client()
    AclUsersManager(FakeModule(), client)._refuse_lockout('admin', 'probe', ['+@all'], normalized(commands))
    assert [call[:2] for call in client.calls].count(('ACL', 'DRYRUN')) == 1


@pytest.mark.parametrize('commands', ['+@all -flushall', '+ping', '-@all +@admin +acl', ''])
def test_without_dryrun_anything_less_than_all_commands_is_refused(commands):
    with pytest.raises(RedisOpsError) as error:
        AclUsersManager(FakeModule(), Redis6Client())._refuse_lockout('admin', 'probe', commands.split(),
                                                                      normalized(commands))
    message = error.value.message
    assert message.startswith('users: admin is the user this module logs in as, and this server cannot check')
    assert 'give it +@all' in message and 'CONFIG REWRITE' in message
