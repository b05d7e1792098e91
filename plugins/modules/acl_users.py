#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: acl_users
short_description: Manage the ACL users of a Redis, Valkey or Sentinel instance, live and idempotently
version_added: 0.1.0
description:
  - Reads every declared user with C(ACL GETUSER) and sends C(ACL SETUSER) only for users whose state,
    passwords or permissions differ. Users are changed live; no restart is needed.
  - Rules are compared the way the server understands them, not as text. To learn the server's form of
    the wanted rules, the module creates a temporary, disabled user without passwords named
    C(redis-ops-probe-<random>), reads it back and deletes it in the same run (also in check mode).
  - Passwords are compared by their SHA-256 hashes. Neither the passwords nor their hashes appear in the
    result, the diff or the returned commands.
  - Users the server has and O(users) does not name are removed only when O(purge=true).
  - Persists what it changed, so a restart keeps it. On a Sentinel with C(SENTINEL FLUSHCONFIG), on a
    data node with C(ACL SAVE) when it has an C(aclfile), otherwise with C(CONFIG REWRITE).
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: Reports what would change; sends no command that changes a declared user (see the probe user above).
  diff_mode:
    support: full
    description: Shows, per user, whether it is enabled, how many passwords it has and its permissions. No secrets.
  platform:
    platforms: posix
    support: full
    description: Talks to the server over the network; runs wherever redis-py is installed.
options:
  users:
    description:
      - The users to manage.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name. V(default) is the user that clients without a user name authenticate as.
        type: str
        required: true
      state:
        description: V(absent) deletes the user.
        type: str
        choices: [present, absent]
        default: present
      enabled:
        description: Whether the user can log in (C(on) / C(off)).
        type: bool
        default: true
      passwords:
        description:
          - The user's passwords. Every other password of the user is removed.
          - Required for an enabled user unless O(users[].nopass=true).
        type: list
        elements: str
      nopass:
        description: The user logs in with any password. Refused together with O(users[].passwords).
        type: bool
        default: false
      rules:
        description:
          - ACL rules for keys, channels and commands, one rule per item, for example
            V(~app:*), V(&*), V(+@all), V(-@dangerous). Empty means no permissions.
          - Passwords and C(on)/C(off) do not belong here; use O(users[].passwords) and O(users[].enabled).
        type: list
        elements: str
        default: []
  purge:
    description:
      - Delete the users the server has and O(users) does not name.
      - The user the module logs in as (O(login_user), or V(default)) is never purged, nor is V(default). Declare it
        with O(users[].enabled=false) to disable it.
    type: bool
    default: false
  persist:
    description: Save the users so that a restart keeps them (see above).
    type: bool
    default: true
notes:
  - Changing the user the module logs in as to a state where that login no longer works is refused, before anything
    is changed. That covers its passwords, C(on)/C(off) and its rules. On Redis 7 and Valkey C(ACL DRYRUN) checks
    that the new rules still allow every command the module sends; older servers accept only rules that allow all
    commands for that user.
  - When a change fails midway, what was already changed is persisted (O(persist=true)) before the module fails, and
    the failure lists every command sent.
seealso:
  - name: Redis ACL documentation
    description: ACL rules and the ACL SETUSER command.
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/
'''

EXAMPLES = r'''
- name: A read-only application user that may not run scripts, and no anonymous access
  redis_ops.replication.acl_users:
    login_user: redis-ops-admin
    login_password: "{{ redis_acl_admin_password }}"
    users:
      - name: default
        enabled: false
      - name: reporting
        passwords: ["{{ reporting_password }}"]
        rules: ["~*", "&*", "+@read", "-@scripting"]

- name: Remove every user not declared here
  redis_ops.replication.acl_users:
    login_user: redis-ops-admin
    login_password: "{{ redis_acl_admin_password }}"
    purge: true
    users:
      - name: redis-ops-admin
        passwords: ["{{ redis_acl_admin_password }}"]
        rules: ["~*", "&*", "+@all"]
'''

RETURN = r'''
commands:
  description: Commands sent that change state, passwords and hashes masked. Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["ACL SETUSER app reset on ******** ~app:* +@all -@scripting", "ACL SAVE"]
created:
  description: Users created (or that would be).
  returned: always
  type: list
  elements: str
updated:
  description: Existing users whose state, passwords or permissions changed (or would).
  returned: always
  type: list
  elements: str
removed:
  description: Users deleted (or that would be).
  returned: always
  type: list
  elements: str
persisted:
  description: How the change was saved (V(acl_save), V(config_rewrite), V(sentinel_flushconfig)), or V(none).
  returned: always
  type: str
'''

import secrets

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
    run_module,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    acl_getuser_fields,
    config_get_to_dict,
    password_hash,
)

_COMPARED = ('commands', 'keys', 'channels', 'selectors')
_STATE_FLAGS = ('on', 'off', 'nopass')


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ' '.join(_text(item) for item in value)
    return '' if value is None else str(value)


def parse_getuser(reply) -> dict | None:
    """ACL GETUSER's reply as a dict of comparable values; None for an unknown user.

    The reply is a flat list (redis-py 4), or a dict that newer redis-py has already parsed, with the
    command rules split into ``categories`` and ``commands``. Both sides of a comparison come from the
    same redis-py, so either form compares consistently.
    """
    if reply is None:
        return None
    fields = acl_getuser_fields(reply)
    if 'categories' in fields:
        fields['commands'] = ' '.join(filter(None, (_text(fields['categories']), _text(fields.get('commands')))))
    flags = [str(flag) for flag in fields.get('flags') or []]
    return dict(
        flags=sorted(flags),
        passwords=sorted(str(p) for p in fields.get('passwords') or []),
        **{name: _text(fields.get(name)) for name in _COMPARED},
    )


class AclUsersManager:
    def __init__(self, module: AnsibleModule, client: RedisClient) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.commands: list = []
        self.result = dict(created=[], updated=[], removed=[])
        self.before: dict = {}
        self.after: dict = {}

    # -- inputs ----------------------------------------------------------
    def _check_inputs(self) -> None:
        names = [user['name'] for user in self.params['users']]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise RedisOpsError('users: %s declared more than once' % ', '.join(repeated))
        me = self.params['login_user'] or 'default'
        for user in self.params['users']:
            name = user['name']
            if not name or any(ch.isspace() for ch in name):
                raise RedisOpsError('users: user name %r is empty or contains white space' % name)
            if user['state'] == 'absent':
                if name == me:
                    raise RedisOpsError('users: %s is the user this module logs in as; it cannot remove itself' % name)
                continue
            if user['nopass'] and user['passwords']:
                raise RedisOpsError('users: %s has both nopass and passwords; choose one' % name)
            if user['enabled'] and not user['nopass'] and not user['passwords']:
                raise RedisOpsError('users: %s is enabled but has no passwords: give passwords (or nopass: true, '
                                    'which lets anyone log in as that user)' % name)
            if any(not password for password in user['passwords'] or []):
                raise RedisOpsError('users: %s has an empty password' % name)
            bad = [rule for rule in user['rules'] if rule.lower() in ('on', 'off', 'nopass', 'resetpass', 'reset')
                   or rule[:1] in ('>', '<', '#', '!')]
            if bad:
                raise RedisOpsError('users: the rules of %s hold %s: passwords and on/off go in passwords/enabled/'
                                    'nopass, not in rules' % (name, ', '.join(repr(r[:1] + '...') for r in bad)))
            if name == me and (not user['enabled'] or (self.params['login_password'] and not user['nopass']
                                                       and self.params['login_password'] not in user['passwords'])):
                raise RedisOpsError('users: %s is the user this module logs in as; the change would lock it out '
                                    '(disabled, or login_password not among its passwords)' % name)

    # -- reading ---------------------------------------------------------
    def _getuser(self, name: str) -> dict | None:
        return parse_getuser(self.client.call('ACL', 'GETUSER', name))

    def _normalized_rules(self, rules: list, login_user: str | None = None) -> dict:
        """The server's own form of ``rules``, learnt from a temporary disabled user.

        For the user the module logs in as, the same probe answers whether those rules still allow every command
        the module sends (see _refuse_lockout), before anything is changed.
        """
        probe = 'redis-ops-probe-%s' % secrets.token_hex(6)
        try:
            self.client.call('ACL', 'SETUSER', probe, 'reset', 'off', *rules)
        except RedisOpsError as exc:
            raise RedisOpsError('the server refused the ACL rules %s: %s' % (' '.join(rules), exc.message)) from exc
        try:
            normalized = self._getuser(probe)
            if login_user is not None:
                self._refuse_lockout(login_user, probe, rules, normalized)
            return normalized
        finally:
            self.client.call('ACL', 'DELUSER', probe)

    def _needed_commands(self) -> list:
        """Every command this module sends as its login user, with arguments of the same shape."""
        needed = [('PING',), ('INFO', 'server'), ('ACL', 'GETUSER', 'x'), ('ACL', 'SETUSER', 'x'),
                  ('ACL', 'DELUSER', 'x'), ('ACL', 'USERS')]
        if self.params['persist']:
            if self.client.server_info().is_sentinel:
                needed.append(('SENTINEL', 'FLUSHCONFIG'))
            else:
                needed.append(('CONFIG', 'GET', 'aclfile'))
                aclfile = config_get_to_dict(self.client.call('CONFIG', 'GET', 'aclfile')).get('aclfile')
                needed.append(('ACL', 'SAVE') if aclfile else ('CONFIG', 'REWRITE'))
        return needed

    def _refuse_lockout(self, login_user: str, probe: str, rules: list, normalized: dict) -> None:
        """Refuse rules for the login user that would take from it a command this module needs.

        Redis 7 and Valkey answer exactly with ACL DRYRUN on the probe user that holds the wanted rules. Older servers
        have no DRYRUN: there only rules that allow every command (+@all, and no command taken away) are accepted.
        """
        denied = []
        for command in self._needed_commands():
            try:
                reply = self.client.call('ACL', 'DRYRUN', probe, *command)
            except RedisOpsError as exc:
                if 'UNKNOWN SUBCOMMAND' in exc.message.upper() or 'UNKNOWN COMMAND' in exc.message.upper():
                    allowed = normalized['commands'].split()
                    if '+@all' in allowed and not [rule for rule in allowed if rule.startswith('-')]:
                        return
                    raise RedisOpsError(
                        'users: %s is the user this module logs in as, and this server cannot check (no ACL DRYRUN) '
                        'that the rules %s leave it the commands it needs (%s); give it +@all, or log in as '
                        'another user' % (login_user, ' '.join(rules) or '(none)',
                                          ', '.join(' '.join(c[:2]) for c in self._needed_commands()))) from exc
                raise
            if reply is not True and str(reply).upper() != 'OK':
                denied.append(' '.join(command[:2]))
        if denied:
            raise RedisOpsError('users: %s is the user this module logs in as; the rules %s would take from it %s, '
                                'which this module needs, and lock it out of later runs; nothing was changed'
                                % (login_user, ' '.join(rules) or '(none)', ', '.join(denied)))

    def _wanted(self, user: dict, probe: dict) -> dict:
        flags = [flag for flag in probe['flags'] if flag not in _STATE_FLAGS]
        flags.append('on' if user['enabled'] else 'off')
        if user['nopass']:
            flags.append('nopass')
        hashes = [] if user['nopass'] else sorted({password_hash(p) for p in user['passwords'] or []})
        return dict(probe, flags=sorted(flags), passwords=hashes)

    @staticmethod
    def _shown(state: dict | None, changed_passwords: bool = False) -> dict | None:
        if state is None:
            return None
        count = 'nopass' if 'nopass' in state['flags'] else '%d password(s)' % len(state['passwords'])
        shown = dict(enabled='on' in state['flags'], passwords=count + (', changed' if changed_passwords else ''))
        shown.update((name, state[name]) for name in _COMPARED if state[name])
        return shown

    # -- acting ----------------------------------------------------------
    def _send(self, args: tuple, shown: str, secret_positions: tuple = ()) -> None:
        if self.module.check_mode:
            return
        try:
            self.client.call(*args, secret_positions=secret_positions)
        except RedisOpsError as exc:
            raise RedisOpsError('%s failed: %s' % (shown, exc.message), changed=bool(self.commands),
                                commands=list(self.commands)) from exc
        self.commands.append(shown)

    def _setuser(self, user: dict) -> None:
        state = ['on' if user['enabled'] else 'off']
        secret = ['nopass'] if user['nopass'] else ['#' + password_hash(p) for p in sorted(set(user['passwords'] or []))]
        shown_secret = ['nopass'] if user['nopass'] else ['********'] * len(secret)
        args = ('ACL', 'SETUSER', user['name'], 'reset', *state, *secret, *user['rules'])
        shown = ' '.join(('ACL', 'SETUSER', user['name'], 'reset', *state, *shown_secret, *user['rules']))
        first = 4 + len(state)
        self._send(args, shown, () if user['nopass'] else tuple(range(first, first + len(secret))))

    def _persist(self) -> str:
        if self.module.check_mode or not self.params['persist']:
            return 'none'
        server = self.client.server_info()
        if server.is_sentinel:
            self._send(('SENTINEL', 'FLUSHCONFIG'), 'SENTINEL FLUSHCONFIG')
            return 'sentinel_flushconfig'
        if config_get_to_dict(self.client.call('CONFIG', 'GET', 'aclfile')).get('aclfile'):
            self._send(('ACL', 'SAVE'), 'ACL SAVE')
            return 'acl_save'
        self._send(('CONFIG', 'REWRITE'), 'CONFIG REWRITE')
        return 'config_rewrite'

    def run(self) -> dict:
        self._check_inputs()
        try:
            return self._run()
        except RedisOpsError as exc:
            if not self.commands or self.module.check_mode or not self.params['persist']:
                raise
            # Failed midway: save what was already changed, so that the file and the server agree.
            done = list(self.commands)
            try:
                self._persist()
                note = 'what was changed before the failure was saved (%s)' % self.commands[-1]
            except RedisOpsError as persist_exc:
                note = 'saving what was changed before the failure failed too: %s' % persist_exc.message
            raise RedisOpsError('%s; %s' % (exc.message, note), changed=True, commands=list(self.commands),
                                changed_before_failure=done) from exc

    def _run(self) -> dict:
        # Plan every user first (reading, probing, the lock-out check), then change: a refusal changes nothing.
        declared = set()
        plan = []
        for user in self.params['users']:
            name = user['name']
            declared.add(name)
            live = self._getuser(name)
            if user['state'] == 'absent':
                if live is not None:
                    self.before[name], self.after[name] = self._shown(live), None
                    plan.append((lambda name=name: self._send(('ACL', 'DELUSER', name), 'ACL DELUSER %s' % name)))
                    self.result['removed'].append(name)
                continue
            me = self.params['login_user'] or 'default'
            wanted = self._wanted(user, self._normalized_rules(user['rules'], login_user=name if name == me else None))
            if live == wanted:
                continue
            self.before[name] = self._shown(live)
            self.after[name] = self._shown(wanted, live is not None and live['passwords'] != wanted['passwords'])
            plan.append((lambda user=user: self._setuser(user)))
            self.result['created' if live is None else 'updated'].append(name)
        if self.params['purge']:
            plan += self._plan_purge(declared)
        for step in plan:
            step()
        changed = any(self.result.values())
        persisted = self._persist() if changed else 'none'
        result = dict(changed=changed, commands=self.commands, persisted=persisted, **self.result)
        if changed and self.module._diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result

    def _plan_purge(self, declared: set) -> list:
        me = self.params['login_user'] or 'default'
        plan = []
        for name in sorted(str(n) for n in self.client.call('ACL', 'USERS')):
            # default is never purged implicitly: deleting it is refused by the server, and disabling it is a choice
            # to state (users: [{name: default, enabled: false}]).
            if name in declared or name in (me, 'default'):
                continue
            self.before[name], self.after[name] = self._shown(self._getuser(name)), None
            plan.append((lambda name=name: self._send(('ACL', 'DELUSER', name), 'ACL DELUSER %s' % name)))
            self.result['removed'].append(name)
        return plan


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        users=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            enabled=dict(type='bool', default=True),
            passwords=dict(type='list', elements='str', no_log=True),
            nopass=dict(type='bool', default=False),
            rules=dict(type='list', elements='str', default=[]),
        )),
        purge=dict(type='bool', default=False),
        persist=dict(type='bool', default=True),
    )
    module = AnsibleModule(**module_kwargs(argument_spec))
    run_module(module, lambda client: AclUsersManager(module, client).run())


if __name__ == '__main__':
    main()
