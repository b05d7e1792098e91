#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: config_file
short_description: Keep a Redis, Valkey or Sentinel configuration file right without fighting the server's own rewrites
version_added: 0.1.0
description:
  - Compares the wanted configuration O(content) with the file at O(path) by what the directives mean, not byte by byte.
    Redis and Sentinel rewrite their own files (C(CONFIG REWRITE), failovers); they quote values, fold units, append
    lines they generate and move C(replicaof). Such a rewritten file is equal to the wanted content when every
    directive of O(content) has the same value in it, and C(replicaof) is present in both or in neither.
  - C(requirepass) is compared by the passwords the C(default) user gets when the server starts from the file. A
    C(user default) line decides over C(requirepass) (Redis applies it after), as Sentinel writes one on every rewrite
    while keeping the C(requirepass) it started with. A differing C(requirepass) is written into that line too.
  - Directives that only the live file has are left alone, so that what the server generated survives.
  - With O(strategy=replace) a differing file is replaced by O(content) (for C(redis.conf)). With O(strategy=merge)
    only the lines of the differing directives are replaced or added, and everything else in the file is kept
    (for C(sentinel.conf), where Sentinel keeps its id, epochs and discovered peers).
  - With O(apply_live=true) the differing directives are also set on the running server with C(CONFIG SET), so that
    no restart is needed for them. RV(restart_required) tells whether a directive could not be applied live
    (it is listed in O(restart_directives), or the server refuses to change it at runtime).
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Reports what would change and which directives would need a restart; writes and sends nothing.
  diff_mode:
    support: full
    description: Shows the values of the differing directives before and after; secret directives show as C((hidden)) before and
      C((hidden, changed)) or C((hidden, new)) after, never their value.
  platform:
    platforms: posix
    support: full
    description: Edits a file on the managed host.
  safe_file_operations:
    support: full
    description: The file is written to a temporary file and moved into place.
options:
  path:
    description:
      - The live configuration file. Its directory must exist (checked in check mode too).
      - A new file that holds a secret (C(requirepass), C(masterauth), C(user), C(sentinel auth-pass), ...) is created
        with mode C(0600) unless O(mode) is given.
    type: path
    required: true
  content:
    description:
      - The wanted configuration, usually rendered with P(ansible.builtin.template#lookup).
      - Never shown in output (it holds passwords).
    type: str
    required: true
  strategy:
    description:
      - V(replace) writes O(content) as the whole file when it differs.
      - V(merge) replaces or adds only the differing directives' lines and keeps all other lines.
    type: str
    choices: [replace, merge]
    default: replace
  apply_live:
    description:
      - Set the differing directives on the running server with C(CONFIG SET) (data nodes only).
      - The file is written first (atomically), then the directives are set. When the server refuses a value, the module
        fails with RV(commands) listing what was set, C(changed=true) and C(restart_required=true), since the file
        already says what is wanted.
      - When nothing listens at the address (not started yet), nothing is sent and RV(restart_required) is V(true)
        if the file changed. A server that answers but refuses the login (wrong O(login_password), missing
        permission, TLS mismatch) fails the module before anything is written.
    type: bool
    default: false
  restart_directives:
    description:
      - Directives never changed live; a difference in one of them makes RV(restart_required) V(true).
      - C(replicaof), C(user), C(include), C(rename-command), C(loadmodule) and Sentinel directives are never
        changed live by this module either.
    type: list
    elements: str
    default: [port, bind, tls-port, tls-cert-file, tls-key-file, tls-ca-cert-file, tls-ca-cert-dir, unixsocket,
              unixsocketperm, dir, dbfilename, appenddirname, supervised, daemonize, pidfile, logfile]
  backup:
    description:
      - Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
seealso:
  - module: redis_ops.replication.replicaof
  - module: ansible.builtin.template
'''

EXAMPLES = r'''
- name: Configure the instance on 6379, live where possible
  redis_ops.replication.config_file:
    path: /etc/redis/redis-6379.conf
    content: "{{ lookup('ansible.builtin.template', 'redis.conf.j2') }}"
    owner: redis
    group: redis
    mode: "0640"
    apply_live: true
    login_password: "{{ redis_password }}"
  register: redis_config

- name: Restart only when a setting needs it
  ansible.builtin.systemd_service:
    name: redis-6379.service
    state: restarted
  when: redis_config.restart_required

- name: Static part of sentinel.conf, keeping what Sentinel wrote
  redis_ops.replication.config_file:
    path: /etc/redis/sentinel-26379.conf
    content: "{{ lookup('ansible.builtin.template', 'sentinel.conf.j2') }}"
    strategy: merge
'''

RETURN = r'''
directives:
  description: Directives whose meaning differed (or that were missing), in the order of O(content).
  returned: always
  type: list
  elements: str
  sample: [maxmemory, port]
created:
  description: Whether the file did not exist and was created.
  returned: always
  type: bool
applied_live:
  description: Directives set on the running server with C(CONFIG SET) (empty in check mode).
  returned: always
  type: list
  elements: str
  sample: [maxmemory]
restart_required:
  description: Whether a differing directive was not (or, in check mode, would not be) applied live.
  returned: always
  type: bool
restart_directives:
  description: The differing directives that need a restart.
  returned: always
  type: list
  elements: str
  sample: [port]
commands:
  description: Commands sent to the server, secret values replaced by C(********). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["CONFIG SET maxmemory 1073741824"]
backup_file:
  description: The backup copy, when O(backup=true) and the file changed.
  returned: when a backup was made
  type: str
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import (
    ConfigSyntaxError,
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
    connection_argument_spec,
    module_kwargs,
    is_unreachable,
    validate_connection_params,
)

NEVER_LIVE = ('replicaof', 'user', 'include', 'rename-command', 'loadmodule')
REFUSED_LIVE = ('IMMUTABLE', 'UNSUPPORTED CONFIG', 'UNKNOWN OPTION', 'PROTECTED CONFIG')


class ConfigFileManager:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
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


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        path=dict(type='path', required=True),
        content=dict(type='str', required=True, no_log=True),
        strategy=dict(type='str', choices=['replace', 'merge'], default='replace'),
        apply_live=dict(type='bool', default=False),
        restart_directives=dict(type='list', elements='str', default=[
            'port', 'bind', 'tls-port', 'tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'tls-ca-cert-dir',
            'unixsocket', 'unixsocketperm', 'dir', 'dbfilename', 'appenddirname', 'supervised', 'daemonize',
            'pidfile', 'logfile']),
        backup=dict(type='bool', default=False),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, add_file_common_args=True))
    try:
        result = ConfigFileManager(module).run()
    except RedisOpsError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except ConfigSyntaxError as exc:
        module.fail_json(msg='content: %s; nothing was changed' % exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
