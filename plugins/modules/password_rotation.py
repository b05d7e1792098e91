#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: password_rotation
short_description: One phase of a restart-free password rotation on a Redis, Valkey or Sentinel instance
version_added: 0.1.0
description:
  - Rotates the password of an ACL user of a data node (the C(default) user, whose password is C(requirepass), unless
    O(user) says otherwise) and the password the instance uses for others (C(masterauth) on a data node,
    C(sentinel auth-pass) on a Sentinel), in three phases that keep every client, replication link and Sentinel
    working until the last one. Run each phase on every instance of the fleet before the next phase
    (the collection's C(playbooks/rotate_passwords.yml) does that, with checks between the phases).
  - V(add) gives O(user) the new O(password) next to the passwords it has (Redis 6+ users hold several). Clients,
    replicas and Sentinels on the old password keep working; so do those on the new one.
  - V(switch) makes the instance use the new password towards others - C(masterauth) on a data node (live with
    C(CONFIG SET)), C(sentinel auth-pass) of the monitored primary O(name) on a Sentinel (C(SENTINEL SET)).
  - V(drop) leaves O(user) the new password only (for the C(default) user without an C(aclfile) with
    C(CONFIG SET requirepass), so that the server's C(requirepass) says the same). Clients on the old password are
    refused from then on.
  - On a data node every change is saved with C(CONFIG REWRITE), a user's passwords with C(ACL SAVE) instead when the
    server uses an C(aclfile), so a restart between or after the phases keeps what was done; the configuration file
    keeps its mode and owner.
  - With O(password_of=sentinel) it rotates a Sentinel's own password instead (the C(default) user's, which clients
    and the modules log in with, and the user Sentinels log in to each other as). V(add) gives O(user) the new
    password next to its others, V(switch) makes the Sentinel log in to the other Sentinels with it
    (C(SENTINEL CONFIG SET sentinel-pass)), V(drop) leaves O(user) the new password only. Each change is saved with
    C(SENTINEL FLUSHCONFIG). Sentinel has no C(CONFIG SET requirepass), so its file keeps the C(requirepass) it started
    with, and the C(user default) line it writes after it holds the passwords that apply
    (M(redis_ops.replication.config_file) compares them by that meaning). C(SENTINEL CONFIG SET) saves the file
    itself. Needs Redis 7.0+ or Valkey.
  - The module changes nothing when the instance is already in the phase's state, and never restarts anything.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: Reports the plan (RV(plan)) and whether it would change; sends no change.
  diff_mode:
    support: full
    description: Shows the passwords' state before and after as descriptions (C(old only), C(old and new),
      C(new only)), never a password.
  platform:
    platforms: posix
    support: full
    description: Talks to the instance over the network; restoring the mode of the file C(CONFIG REWRITE) wrote needs
      the module on the instance's host (it is skipped otherwise).
options:
  phase:
    description:
      - The phase to bring this instance to; see the description.
    type: str
    choices: [add, switch, drop]
    required: true
  password:
    description:
      - The new password.
      - Never shown in output. Refused when empty, or when it contains white space or quotes on a Sentinel
        (Sentinel writes C(auth-pass) and C(sentinel-pass) back into its file unquoted).
    type: str
    required: true
  previous_password:
    description:
      - The old password, only used to say in the diff whether O(user) still has it. V(drop) removes every password
        of O(user) but O(password), whether given or not.
      - Never shown in output.
    type: str
  user:
    description:
      - The ACL user whose password rotates, of a data node, or with O(password_of=sentinel) of a Sentinel. Ignored on
        a Sentinel otherwise.
    type: str
    default: default
  password_of:
    description:
      - V(data) rotates the data nodes' password (a data node's O(user), C(masterauth); a Sentinel's C(auth-pass)).
      - V(sentinel) rotates a Sentinel's own password (O(user) of the Sentinel and C(sentinel-pass)); refused on a
        data node.
    type: str
    choices: [data, sentinel]
    default: data
  name:
    description:
      - The primary the Sentinel monitors, whose C(auth-pass) V(switch) changes. Ignored on a data node.
    type: str
    default: mymaster
  persist:
    description:
      - Save a change on a data node with C(CONFIG REWRITE) (a user's passwords with C(ACL SAVE) when the server has
        an C(aclfile)). A Sentinel saves its file itself.
    type: bool
    default: true
seealso:
  - module: redis_ops.replication.acl_users
  - module: redis_ops.replication.sentinel_monitor
'''

EXAMPLES = r'''
- name: Phase add on a data node (log in with the old password)
  redis_ops.replication.password_rotation:
    phase: add
    password: "{{ redis_password }}"
    previous_password: "{{ redis_password_previous }}"
    login_password: "{{ redis_password_previous }}"

- name: Phase switch on a Sentinel (every data node accepts the new password by now)
  redis_ops.replication.password_rotation:
    phase: switch
    login_port: 26379
    login_password: "{{ redis_sentinel_password }}"
    name: mymaster
    password: "{{ redis_password }}"

- name: Phase switch of the Sentinels' own password (every Sentinel accepts the new one by now)
  redis_ops.replication.password_rotation:
    phase: switch
    password_of: sentinel
    login_port: 26379
    login_password: "{{ redis_sentinel_password }}"
    password: "{{ redis_sentinel_password }}"

- name: Phase drop on a data node
  redis_ops.replication.password_rotation:
    phase: drop
    password: "{{ redis_password }}"
    previous_password: "{{ redis_password_previous }}"
    login_password: "{{ redis_password }}"
'''

RETURN = r'''
plan:
  description: What the phase does (or, in check mode, would do) on this instance, in words; empty when nothing is to
    be done.
  returned: always
  type: list
  elements: str
  sample: ["give user default the new password next to its others", "save with CONFIG REWRITE"]
commands:
  description: Commands sent that change the server, passwords replaced by C(********). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["ACL SETUSER default >********", "CONFIG REWRITE"]
passwords:
  description: How many passwords O(user) has after the phase (before it in check mode); on a Sentinel V(0) unless
    O(password_of=sentinel).
  returned: always
  type: int
  sample: 2
server:
  description: Flavor, version and mode of the instance.
  returned: always
  type: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
    run_module,
    validate_word,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    acl_getuser_fields,
    config_get_to_dict,
    password_hash,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    get_master,
    read_master_auth_from_config,
)


def describe_passwords(hashes: list, new: str, old: str | None) -> str:
    """Say which of the old and new passwords a user has, never a password."""
    has_new = password_hash(new) in hashes
    has_old = old is not None and password_hash(old) in hashes
    others = len(hashes) - int(has_new) - int(has_old)
    words = [word for word, present in (('old', has_old), ('new', has_new)) if present]
    text = ' and '.join(words) if words else 'neither old nor new'
    if others:
        text += ' and %d other(s)' % others
    return text


class PasswordRotation:
    def __init__(self, module: AnsibleModule, client: RedisClient) -> None:
        self.module = module
        self.params = module.params
        self.client = client
        self.plan: list = []
        self.commands: list = []
        self.before: dict = {}
        self.after: dict = {}

    def run(self) -> dict:
        if not self.params['password']:
            raise RedisOpsError('password must not be empty; nothing was changed')
        server = self.client.server_info()
        own = self.params['password_of'] == 'sentinel'
        if own and not server.is_sentinel:
            raise RedisOpsError('password_of=sentinel rotates a Sentinel\'s own password, but %s is a data node; '
                                'nothing was changed' % self.client.target)
        if own:
            steps = self._plan_sentinel_own()
        else:
            steps = self._plan_sentinel() if server.is_sentinel else self._plan_data_node()
        if steps and not self.module.check_mode:
            for args, secret_positions, shown in steps:
                self._send(args, secret_positions, shown)
            if not server.is_sentinel and self.params['persist']:
                self._persist(acl_changed=any(args[0] == 'ACL' for args, _positions, _shown in steps),
                              config_changed=any(args[0] == 'CONFIG' for args, _positions, _shown in steps))
        passwords = len(self._hashes()) if own or not server.is_sentinel else 0
        result = dict(changed=bool(steps), plan=self.plan, commands=self.commands, passwords=passwords,
                      server=server.as_dict())
        if steps and self.module._diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result

    def _send(self, args: tuple, secret_positions: tuple, shown: str) -> None:
        try:
            self.client.call(*args, secret_positions=secret_positions)
        except RedisOpsError as exc:
            raise RedisOpsError('%s; sent before: %s' % (exc.message, self.commands or 'nothing'),
                                changed=bool(self.commands), commands=self.commands, plan=self.plan) from exc
        self.commands.append(shown)

    # --- data nodes -----------------------------------------------------------------------------------------------

    def _hashes(self) -> list:
        try:
            reply = acl_getuser_fields(self.client.call('ACL', 'GETUSER', self.params['user']))
        except RedisOpsError as exc:
            raise RedisOpsError('cannot read the ACL user %s of %s: %s; nothing was changed%s' % (
                self.params['user'], self.client.target, exc.message,
                ' (a Sentinel has ACL users from Redis 6.2 on)' if 'unknown command' in exc.message.lower() else '')
            ) from exc
        if not reply:
            raise RedisOpsError('the server has no ACL user %s; nothing was changed (create it with site.yml first)'
                                % self.params['user'])
        return [str(item) for item in reply.get('passwords') or []]

    def _uses_aclfile(self) -> bool:
        return bool(self._config('aclfile'))

    def _config(self, name: str) -> str:
        return config_get_to_dict(self.client.call('CONFIG', 'GET', name)).get(name, '')

    def _plan_data_node(self) -> list:
        user, new, old = self.params['user'], self.params['password'], self.params['previous_password']
        phase = self.params['phase']
        hashes = self._hashes()
        self.before['passwords of %s' % user] = describe_passwords(hashes, new, old)
        if phase == 'add':
            if password_hash(new) in hashes:
                return []
            self.plan.append('give user %s the new password next to its other(s)' % user)
            self.after['passwords of %s' % user] = describe_passwords(hashes + [password_hash(new)], new, old)
            return [(('ACL', 'SETUSER', user, '>' + new), (3,), 'ACL SETUSER %s >********' % user)]
        if password_hash(new) not in hashes:
            raise RedisOpsError('user %s of %s does not accept the new password yet: run phase add on every instance '
                                'first; nothing was changed' % (user, self.client.target))
        if phase == 'switch':
            if self._config('masterauth') == new:
                return []
            self.plan.append('use the new password for the replication link (masterauth)')
            self.before['masterauth'] = '(hidden)'
            self.after['masterauth'] = '(hidden, changed)'
            return [(('CONFIG', 'SET', 'masterauth', new), (3,), 'CONFIG SET masterauth ********')]
        return self._plan_drop(user, new, old, hashes)

    def _plan_drop(self, user: str, new: str, old: str | None, hashes: list) -> list:
        requirepass_owner = user == 'default' and not self._uses_aclfile()
        if requirepass_owner:
            if hashes == [password_hash(new)] and self._config('requirepass') == new:
                return []
            self.plan.append('leave user default the new password only (requirepass)')
            self.after['passwords of %s' % user] = 'new'
            # CONFIG SET requirepass replaces all of default's passwords, and keeps requirepass (which CONFIG REWRITE
            # writes) the same as the user's password.
            return [(('CONFIG', 'SET', 'requirepass', new), (3,), 'CONFIG SET requirepass ********')]
        if hashes == [password_hash(new)]:
            return []
        self.plan.append('leave user %s the new password only' % user)
        self.after['passwords of %s' % user] = 'new'
        return [(('ACL', 'SETUSER', user, 'resetpass', '>' + new), (4,), 'ACL SETUSER %s resetpass >********' % user)]

    def _persist(self, acl_changed: bool, config_changed: bool) -> None:
        """Save what was sent, so that a restart keeps it, and keep the file's mode and owner.

        With an aclfile the users are saved there (ACL SAVE) and the configuration file keeps no user; a CONFIG SET
        (masterauth, requirepass) still goes into the configuration file. Without one, CONFIG REWRITE saves both.
        """
        if acl_changed and self._uses_aclfile():
            self.plan.append('save with ACL SAVE')
            self._send(('ACL', 'SAVE'), (), 'ACL SAVE')
            if not config_changed:
                return
        path = self.client.server_info().config_file
        stat = os.stat(path) if path and os.path.isfile(path) else None
        self.plan.append('save with CONFIG REWRITE')
        self._send(('CONFIG', 'REWRITE'), (), 'CONFIG REWRITE')
        if stat is not None and os.path.isfile(path):
            # CONFIG REWRITE writes a new file with the server's umask: keep what the operator (or the role) chose.
            current = os.stat(path)
            if (current.st_mode & 0o7777) != (stat.st_mode & 0o7777):
                os.chmod(path, stat.st_mode & 0o7777)
            if (current.st_uid, current.st_gid) != (stat.st_uid, stat.st_gid):
                os.chown(path, stat.st_uid, stat.st_gid)

    # --- Sentinels ------------------------------------------------------------------------------------------------

    def _plan_sentinel(self) -> list:
        new, name = self.params['password'], self.params['name']
        if self.params['phase'] != 'switch':
            # Sentinel's own password is not rotated here: Sentinel (7.0) has no CONFIG SET and writes the requirepass
            # it started with back into its file; the data nodes' passwords are what add and drop change.
            return []
        validate_word(new, 'password', 'password')
        if get_master(self.client, name) is None:
            raise RedisOpsError('the Sentinel at %s does not monitor %s; nothing was changed (check name)'
                                % (self.client.target, name))
        known = read_master_auth_from_config(self.client, name)
        if known is None:
            raise RedisOpsError('the auth-pass of %s cannot be read back from the Sentinel at %s (its configuration '
                                'file is not on this host or not readable): run the module on the Sentinel\'s host; '
                                'nothing was changed' % (name, self.client.target))
        if known['auth-pass'] == new:
            return []
        self.plan.append('use the new password for %s and its replicas (sentinel auth-pass)' % name)
        self.before['auth-pass'] = '(hidden)' if known['auth-pass'] else '(none)'
        self.after['auth-pass'] = '(hidden, changed)'
        return [(('SENTINEL', 'SET', name, 'auth-pass', new), (4,), 'SENTINEL SET %s auth-pass ********' % name)]

    def _plan_sentinel_own(self) -> list:
        """The Sentinel's own password: O(user) of the Sentinel, and sentinel-pass towards the other Sentinels."""
        user, new, old, phase = self.params['user'], self.params['password'], self.params['previous_password'], \
            self.params['phase']
        validate_word(new, 'password', 'password')
        hashes = self._hashes()
        self.before['passwords of %s' % user] = describe_passwords(hashes, new, old)
        flush = (('SENTINEL', 'FLUSHCONFIG'), (), 'SENTINEL FLUSHCONFIG')
        if phase == 'add':
            if password_hash(new) in hashes:
                return []
            self.plan.append('give user %s the new password next to its other(s)' % user)
            self.after['passwords of %s' % user] = describe_passwords(hashes + [password_hash(new)], new, old)
            return [(('ACL', 'SETUSER', user, '>' + new), (3,), 'ACL SETUSER %s >********' % user), flush]
        if password_hash(new) not in hashes:
            raise RedisOpsError('user %s of the Sentinel at %s does not accept the new password yet: run phase add on '
                                'every Sentinel first; nothing was changed' % (user, self.client.target))
        if phase == 'switch':
            current = self._sentinel_pass()
            if current == new:
                return []
            self.plan.append('log in to the other Sentinels with the new password (sentinel-pass)')
            self.before['sentinel-pass'] = '(hidden)' if current else '(none)'
            self.after['sentinel-pass'] = '(hidden, changed)'
            # SENTINEL CONFIG SET saves the file itself.
            return [(('SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', new), (4,),
                     'SENTINEL CONFIG SET sentinel-pass ********')]
        if hashes == [password_hash(new)]:
            return []
        self.plan.append('leave user %s the new password only' % user)
        self.after['passwords of %s' % user] = 'new'
        return [(('ACL', 'SETUSER', user, 'resetpass', '>' + new), (4,), 'ACL SETUSER %s resetpass >********' % user),
                flush]

    def _sentinel_pass(self) -> str:
        try:
            reply = self.client.call('SENTINEL', 'CONFIG', 'GET', 'sentinel-pass')
        except RedisOpsError as exc:
            raise RedisOpsError('cannot read sentinel-pass from the Sentinel at %s: %s; nothing was changed (Sentinel '
                                'has SENTINEL CONFIG from Redis 7.0 on)' % (self.client.target, exc.message)) from exc
        return str(config_get_to_dict(reply).get('sentinel-pass') or '')


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        phase=dict(type='str', choices=['add', 'switch', 'drop'], required=True),
        password=dict(type='str', required=True, no_log=True),
        previous_password=dict(type='str', no_log=True),
        user=dict(type='str', default='default'),
        password_of=dict(type='str', choices=['data', 'sentinel'], default='data'),
        name=dict(type='str', default='mymaster'),
        persist=dict(type='bool', default=True),
    )
    module = AnsibleModule(**module_kwargs(argument_spec))
    run_module(module, lambda client: PasswordRotation(module, client).run())


if __name__ == '__main__':
    main()
