# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a configuration file compared by meaning and apply its changes live (private API).

Shared by the config_file and instance modules. ``ConfigFileManager(module, params).run()`` takes the options of
config_file (path, content, strategy, apply_live, restart_directives, backup, the file attributes and the connection
options) from ``params``, which the instance module builds from its own.
"""

from __future__ import annotations

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import (
    describe,
    differing_directives,
    is_secret,
    live_value,
    merge,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    REDIS_IMPORT_ERROR,
    RedisClient,
    RedisOpsError,
    check_file_path,
    is_unreachable,
    validate_connection_params,
)

NEVER_LIVE = ('replicaof', 'user', 'include', 'rename-command', 'loadmodule')
# What config_file's restart_directives defaults to: settings a running server cannot take over CONFIG SET.
DEFAULT_RESTART_DIRECTIVES = [
    'port', 'bind', 'tls-port', 'tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'tls-ca-cert-dir',
    'unixsocket', 'unixsocketperm', 'dir', 'dbfilename', 'appenddirname', 'supervised', 'daemonize',
    'pidfile', 'logfile']
REFUSED_LIVE = ('IMMUTABLE', 'UNSUPPORTED CONFIG', 'UNKNOWN OPTION', 'PROTECTED CONFIG')


class ConfigFileManager:
    def __init__(self, module: AnsibleModule, params: dict) -> None:
        self.module = module
        self.params = params
        self.commands: list = []
        self.applied: list = []

    def run(self) -> dict:
        path, content = self.params['path'], self.params['content']
        check_file_path(path, 'path')  # in check mode too
        if not content.endswith('\n'):
            content += '\n'
        created = not os.path.exists(path)
        live = '' if created else self._read(path)
        names = differing_directives(content, live)
        file_changed = created or bool(names)

        client = self._client() if names and not created and self.params['apply_live'] else None
        try:
            if client is not None:
                self._refuse_unknown_directives(client, names)
            live_names, restart = self._plan_live(content, names, reachable=client is not None) \
                if names and not created else ([], [])
            backup_file = None
            if file_changed and not self.module.check_mode:
                new_text = content if created or self.params['strategy'] == 'replace' else merge(content, live, names)
                if self.params['backup'] and not created:
                    backup_file = self.module.backup_local(path)
                # The file first: when the server refuses a value below, the file still says what is wanted and a
                # restart applies it; the reverse order left a changed server behind a file that was never written.
                self._write(path, new_text)
            if client is not None and not self.module.check_mode:
                restart += self._apply_live(client, content, live_names)
        finally:
            if client is not None:
                client.close()
        file_args = self.module.load_file_common_arguments(self.params)
        if created and file_args.get('mode') is None and any(is_secret(name) for name in differing_directives(content, '')):
            file_args['mode'] = '0600'  # a new file that holds a password is readable by its owner only
        changed = self.module.set_fs_attributes_if_different(file_args, file_changed)

        restart = [name for name in names if name in restart]
        result = dict(changed=changed, directives=names, created=created, applied_live=self.applied,
                      restart_required=bool(restart), restart_directives=restart, commands=self.commands)
        if backup_file:
            result['backup_file'] = backup_file
        if file_changed and self.module._diff:
            result['diff'] = self._diff(content, live, names, created)
        return result

    @staticmethod
    def _diff(content: str, live: str, names: list, created: bool) -> dict:
        before = {'state': 'absent'} if created else describe(live, names)
        after = describe(content, names) if names else {'state': 'present'}
        for name in names:
            # Both sides of a secret read "(hidden)": say that it changed, never what it is.
            if is_secret(name) and after.get(name) is not None:
                after[name] = '(hidden, changed)' if before.get(name) else '(hidden, new)'
        return dict(before=before, after=after)

    def _read(self, path: str) -> str:
        try:
            with open(path, 'r', encoding='utf-8', errors='surrogateescape') as handle:
                return handle.read()
        except OSError as exc:
            raise RedisOpsError('cannot read %s: %s' % (path, exc)) from exc

    def _write(self, path: str, text: str) -> None:
        directory = os.path.dirname(path) or '.'
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
        except OSError as exc:
            raise RedisOpsError('cannot write %s: %s; nothing was changed' % (path, exc)) from exc
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(to_bytes(text, errors='surrogate_or_strict'))
        except (OSError, UnicodeError) as exc:
            os.unlink(tmp)
            raise RedisOpsError('cannot write %s: %s; nothing was changed' % (path, exc)) from exc
        self.module.atomic_move(tmp, path, unsafe_writes=self.params['unsafe_writes'])

    def _plan_live(self, content: str, names: list, reachable: bool) -> tuple:
        """(directives to CONFIG SET, directives that need a restart) for the differing ones."""
        restart_policy = set(self.params['restart_directives'])
        needs_restart = [name for name in names if name in restart_policy or name in NEVER_LIVE or
                         name.startswith('sentinel ') or live_value(content, name) is None]
        live_candidates = [name for name in names if name not in needs_restart]
        if not (self.params['apply_live'] and reachable):
            return [], list(names)
        return live_candidates, needs_restart

    def _apply_live(self, client: RedisClient, content: str, names: list) -> list:
        """CONFIG SET each directive; return those the server refuses to change at runtime."""
        refused = []
        for name in names:
            value = live_value(content, name)
            try:
                client.call('CONFIG', 'SET', name, value, secret_positions=(3,) if is_secret(name) else ())
            except RedisOpsError as exc:
                if any(marker in exc.message.upper() for marker in REFUSED_LIVE):
                    refused.append(name)
                    continue
                raise RedisOpsError('the file was written, but CONFIG SET %s failed: %s; the server keeps its old '
                                    'value until it is restarted' % (name, exc.message), commands=self.commands,
                                    changed=True, restart_required=True, applied_live=self.applied) from exc
            self.applied.append(name)
            shown = '********' if is_secret(name) else value
            self.commands.append('CONFIG SET %s %s' % (name, shown))
        return refused

    def _refuse_unknown_directives(self, client: RedisClient, names: list) -> None:
        """Ask the running server whether it knows each directive, before anything is written."""
        candidates = [name for name in names if name not in NEVER_LIVE and name not in ('save',) and
                      not name.startswith('sentinel ')]
        unknown = [name for name in candidates if not client.call('CONFIG', 'GET', name)]
        if unknown:
            raise RedisOpsError('the server does not know the directive(s) %s; nothing was changed (check the '
                                'spelling, e.g. in redis_config_extra)' % ', '.join(unknown))

    def _client(self) -> RedisClient | None:
        """A client of the running server, or None when it does not run (yet): then a restart applies the file.

        Only a server that cannot be reached counts as not running. A wrong password, a missing permission or a TLS
        mismatch fails the module: treating them as "not running" would ask for a restart of a running server.
        """
        if REDIS_IMPORT_ERROR is not None:
            self.module.warn('redis-py is missing, so nothing was applied live; a restart is needed')
            return None
        validate_connection_params(self.params)
        client = RedisClient(self.params)
        try:
            client.call('PING')
        except RedisOpsError as exc:
            client.close()
            if not is_unreachable(exc):
                raise RedisOpsError('apply_live: %s; nothing was changed' % exc.message) from exc
            self.module.warn('the server is not reachable (%s), so nothing was applied live' % exc.message)
            return None
        return client
