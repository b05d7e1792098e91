# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Point a data node at its primary, idempotently (private API).

Shared by the replicaof and instance modules. ``ReplicaofManager(module, client, params).run()`` takes the options of
replicaof (state, primary_host, primary_port, primary_user, primary_auth, persist, wait_for_sync, wait_timeout and the
connection options) from ``params``.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import (
    group_directives,
    parse_directives,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    is_unreachable,
    validate_host,
    validate_int,
    validate_port,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    config_get_to_dict,
    format_address,
    replication_status,
    same_address,
)

HIDDEN_SET = '(hidden, set)'
HIDDEN_UNSET = '(not set)'
HIDDEN_NEW = '(hidden, new value)'


class ReplicaofManager:
    def __init__(self, module: AnsibleModule, client: RedisClient, params: dict) -> None:
        self.module = module
        self.client = client
        self.params = params
        self.commands: list = []
        self.changed = False
        self.diff_before: dict = {}
        self.diff_after: dict = {}

    # -- reading ---------------------------------------------------------
    def _config_value(self, name: str) -> str:
        values = config_get_to_dict(self.client.call('CONFIG', 'GET', name))
        return next(iter(values.values()), '')

    def _check_inputs(self, server) -> None:
        if server.is_sentinel:
            raise RedisOpsError('%s is a Sentinel, not a Redis data node: point login_host/login_port at the '
                                'redis-server instance to configure' % self.client.target)
        validate_port(self.params['primary_port'], 'primary_port')
        validate_host(self.params['primary_host'], 'primary_host')
        validate_int(self.params['wait_timeout'], 'wait_timeout', minimum=0, maximum=86400)

    def _is_self(self, server) -> bool:
        host, port = self.params['primary_host'], self.params['primary_port']
        if port == server.tcp_port and not self.params['login_unix_socket'] and \
                same_address(host, self.params['login_host']):
            return True
        if port != server.tcp_port:
            return False
        # Same port on another address: it may still be us (a public IP of this host).
        # Compare run ids when the target answers; if it does not, it is not us.
        probe_params = dict(self.params, login_host=host, login_port=port, login_unix_socket=None,
                            connect_timeout=min(self.params['connect_timeout'], 2.0))
        if self.params['primary_auth'] is not None:
            probe_params.update(login_user=self.params['primary_user'], login_password=self.params['primary_auth'])
        probe = RedisClient(probe_params)
        try:
            return probe.server_info().run_id == server.run_id
        except RedisOpsError:
            return False
        finally:
            probe.close()

    # -- planning and applying --------------------------------------------
    def run(self) -> dict:
        server = self.client.server_info()
        self._check_inputs(server)
        status = replication_status(self.client.info('replication'))
        self.diff_before = self._topology(status['role'], status['primary_host'], status['primary_port'])
        self.diff_after = dict(self.diff_before)

        # Plan everything (and refuse bad input) before sending anything;
        # credentials go first so the first sync with a new primary authenticates.
        plan = self._plan_config('primary_user', 'masteruser', secret=False)
        plan += self._plan_config('primary_auth', 'masterauth', secret=True)
        plan += self._plan_topology(status, server)
        unsaved = self._unsaved(server, status) if not plan and self.params['persist'] else []
        self.changed = bool(plan or unsaved)
        if unsaved:
            self.diff_before['config_file'] = 'lacks the live %s' % ', '.join(unsaved)
            self.diff_after['config_file'] = 'saved with CONFIG REWRITE'

        persisted = False
        if not self.module.check_mode:
            for args, secret_positions in plan:
                self._send(args, secret_positions)
            if (plan or unsaved) and self.params['persist']:
                self._send(('CONFIG', 'REWRITE'), failure=(
                    'the change was applied live but CONFIG REWRITE failed, so a restart would undo it; make the '
                    'config file writable by the server, or set persist=false to accept a live-only change'))
                persisted = True

        final = status
        if not self.module.check_mode:
            final = self._wait_for_sync() if self.params['wait_for_sync'] else \
                replication_status(self.client.info('replication'))
        return self._result(final, server, persisted)

    def _unsaved(self, server, status: dict) -> list:
        """What the live server has right but its config file lacks (an earlier CONFIG REWRITE failed).

        Only answerable where the module can read the server's file (it runs on the server's host); elsewhere the
        live state is all there is to compare.
        """
        path = server.config_file
        if not path or not os.path.isfile(path) or not os.access(path, os.R_OK):
            return []
        try:
            with open(path, encoding='utf-8', errors='surrogateescape') as handle:
                saved = group_directives(parse_directives(handle.read()))
        except OSError:
            return []
        lacking = []
        replicaof = saved.get('replicaof')
        if self.params['state'] == 'primary':
            if replicaof:
                lacking.append('role (the file still has replicaof %s)' % ' '.join(replicaof))
        elif not (replicaof and len(replicaof) == 2 and replicaof[1] == str(status['primary_port'])
                  and same_address(replicaof[0], status['primary_host'])):
            lacking.append('replicaof')
        if self.params['primary_auth'] and saved.get('masterauth') != (self.params['primary_auth'],):
            lacking.append('primary_auth')
        if self.params['primary_user'] and saved.get('masteruser') != (self.params['primary_user'],):
            lacking.append('primary_user')
        return lacking

    @staticmethod
    def _topology(role, host, port) -> dict:
        return dict(role=role, primary_host=host if role == 'replica' else None,
                    primary_port=port if role == 'replica' else None)

    def _plan_config(self, option: str, config_name: str, secret: bool) -> list:
        wanted = self.params[option]
        if wanted is None:
            return []
        current = self._config_value(config_name)
        if secret:
            self.diff_before[option] = HIDDEN_SET if current else HIDDEN_UNSET
            self.diff_after[option] = self.diff_before[option] if current == wanted else (
                HIDDEN_NEW if wanted else HIDDEN_UNSET)
        else:
            self.diff_before[option] = current
            self.diff_after[option] = wanted
        if current == wanted:
            return []
        return [(('CONFIG', 'SET', config_name, wanted), (3,) if secret else ())]

    def _plan_topology(self, status: dict, server) -> list:
        command = server.replicaof_command
        if self.params['state'] == 'primary':
            if status['role'] == 'primary':
                return []
            self.diff_after.update(self._topology('primary', None, None))
            return [((command, 'NO', 'ONE'), ())]
        host, port = self.params['primary_host'], self.params['primary_port']
        if status['role'] == 'replica' and status['primary_port'] == port and \
                same_address(status['primary_host'], host):
            return []
        if self._is_self(server):
            raise RedisOpsError('primary_host=%s primary_port=%s is this instance itself (%s); an instance cannot '
                                'replicate from itself' % (host, port, self.client.target))
        self._probe_primary(host, port)
        self.diff_after.update(self._topology('replica', host, port))
        return [((command, host, str(port)), ())]

    def _probe_primary(self, host: str, port: int) -> None:
        """Refuse a primary that answers but is no Redis data node (a Sentinel port, another TCP service).

        It logs in as the replica will (primary_user/primary_auth, else the replica's own masteruser/masterauth).
        Nothing listening yet is allowed (the replica retries); a refused login is a warning, since the server
        that refused it is a Redis.
        """
        user = self.params['primary_user'] if self.params['primary_user'] is not None else \
            (self._config_value('masteruser') or None)
        password = self.params['primary_auth'] if self.params['primary_auth'] is not None else \
            (self._config_value('masterauth') or None)
        probe = RedisClient(dict(self.params, login_host=host, login_port=port, login_unix_socket=None,
                                 login_user=user if password else None, login_password=password,
                                 connect_timeout=min(self.params['connect_timeout'], 5.0),
                                 command_timeout=min(self.params['command_timeout'], 5.0)),
                            'primary_user', 'primary_auth')
        where = format_address(host, port)
        try:
            try:
                server = probe.server_info()
            except RedisOpsError as exc:
                if not password or 'NO PASSWORD CONFIGURED' not in exc.message.upper():
                    raise
                # It has no password: ask again without one, to learn what it is.
                probe.close()
                probe = RedisClient(dict(probe.params, login_user=None, login_password=None))
                server = probe.server_info()
                self.module.warn('the primary %s has no password, but the replica will send one (primary_auth or '
                                 'its masterauth)' % where)
        except RedisOpsError as exc:
            upper = exc.message.upper()
            if 'NOPERM' in upper or 'LACKS THE PERMISSION' in upper:
                return  # a Redis with ACLs, where the replication user may not run INFO: nothing more to learn
            if is_unreachable(exc):
                self.module.warn('nothing answers at primary_host/primary_port %s yet (%s); the replica keeps trying'
                                 % (where, exc.message))
            elif 'AUTHENTICATION' in upper or 'NOAUTH' in upper or 'WRONGPASS' in upper:
                self.module.warn('the primary %s refused the login the replica will use: %s; the replica will not '
                                 'sync until primary_auth/primary_user match it' % (where, exc.message))
            else:
                raise RedisOpsError('primary_host/primary_port %s does not answer like a Redis or Valkey server: %s; '
                                    'nothing was changed' % (where, exc.message)) from exc
            return
        finally:
            probe.close()
        if server.is_sentinel:
            raise RedisOpsError('primary_host/primary_port %s is a Sentinel, not a Redis data node: give the port of '
                                'the primary redis-server; nothing was changed' % where)

    def _send(self, args: tuple, secret_positions: tuple = (), failure: str | None = None) -> None:
        try:
            self.client.call(*args, secret_positions=secret_positions)
        except RedisOpsError as exc:
            message = '%s: %s' % (failure, exc.message) if failure else exc.message
            raise RedisOpsError(message, changed=bool(self.commands), commands=list(self.commands)) from exc
        self.commands.append(' '.join('********' if i in secret_positions else str(a) for i, a in enumerate(args)))

    def _wait_for_sync(self) -> dict:
        deadline = time.monotonic() + self.params['wait_timeout']
        while True:
            status = replication_status(self.client.info('replication'))
            if self.params['state'] == 'primary' or (
                    status['role'] == 'replica' and status['link_status'] == 'up' and not status['sync_in_progress']):
                return status
            if time.monotonic() >= deadline:
                raise RedisOpsError(
                    'the replica did not finish syncing with %s:%s within wait_timeout=%ss: link %s, sync in '
                    'progress: %s; check that the primary is reachable from this host and that primary_auth is '
                    'right' % (self.params['primary_host'], self.params['primary_port'], self.params['wait_timeout'],
                               status['link_status'], status['sync_in_progress']),
                    changed=self.changed, commands=list(self.commands), link_status=status['link_status'])
            time.sleep(0.25)

    def _result(self, status: dict, server, persisted: bool) -> dict:
        if self.module.check_mode:
            role = self.diff_after['role']
            host, port = self.diff_after['primary_host'], self.diff_after['primary_port']
            link = status['link_status'] if role == 'replica' and not self.changed else None
        else:
            role, host, port, link = status['role'], status['primary_host'], status['primary_port'], status['link_status']
        result = dict(changed=self.changed, commands=self.commands, role=role, primary_host=host,
                      primary_port=port, link_status=link, persisted=persisted, server=server.as_dict())
        if self.changed and self.module._diff:
            result['diff'] = dict(before=self.diff_before, after=self.diff_after)
        return result
