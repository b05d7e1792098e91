# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a Sentinel monitor a primary, keeping an address Sentinel moved by a failover (private API).

Shared by the sentinel_monitor and instance modules. ``SentinelMonitorManager(module, client, params).run()`` takes
the options of sentinel_monitor (name, state, host, port, quorum, auth_pass, auth_user, update_password, the timings,
the scripts, force_address, reset_stale) from ``params``.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    validate_host,
    validate_int,
    validate_port,
    validate_word,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import same_address
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    SETTABLE_FIELDS,
    flags_of,
    get_master,
    list_replicas,
    list_sentinels,
    read_master_auth_from_config,
    require_sentinel,
)

STALE_FLAGS = ('s_down', 'o_down', 'disconnected')
SECRET_HIDDEN = '(hidden)'
SECRET_NEW = '(hidden, new value)'
SECRET_UNSET = '(not set)'
SECRET_UNKNOWN = '(unknown)'


def describe_master(entry: dict | None) -> dict:
    if not entry:
        return {}
    described = dict(
        name=entry.get('name'), host=str(entry.get('ip')), port=entry.get('port'),
        flags=str(entry.get('flags', '')), num_replicas=entry.get('num-slaves'),
        num_other_sentinels=entry.get('num-other-sentinels'), config_epoch=entry.get('config-epoch'),
    )
    for field, option in SETTABLE_FIELDS.items():
        described[option] = entry.get(field, '' if option.endswith('script') else None)
    return described


class SentinelMonitorManager:
    def __init__(self, module: AnsibleModule, client: RedisClient, params: dict) -> None:
        self.module = module
        self.client = client
        self.params = params
        self.name = params['name']
        self.commands: list = []

    def _check_inputs(self) -> None:
        validate_word(self.name, 'name', 'name of the monitored primary')
        require_sentinel(self.client)
        if self.params['state'] == 'absent':
            return
        validate_port(self.params['port'], 'port')
        validate_host(self.params['host'], 'host')
        for option in ('quorum', 'down_after_milliseconds', 'failover_timeout', 'parallel_syncs'):
            validate_int(self.params[option], option)
        validate_word(self.params['auth_pass'], 'auth_pass', 'password')
        validate_word(self.params['auth_user'], 'auth_user', 'user name')
        for option in ('notification_script', 'client_reconfig_script'):
            if self.params[option]:
                validate_word(self.params[option], option, 'script path')
        if self.params['auth_user'] is not None and self.params['auth_pass'] is None:
            raise RedisOpsError('auth_user is set but auth_pass is not: Sentinel needs the password of that ACL user')

    def run(self) -> dict:
        self._check_inputs()
        current = get_master(self.client, self.name)
        before = describe_master(current)
        if self.params['state'] == 'absent':
            plan = [('SENTINEL', 'REMOVE', self.name)] if current else []
            return self._finish(plan, before, {}, address_differs=False, reset=False)

        host, port = self.params['host'], self.params['port']
        address_differs = False
        created = False
        plan = []
        if current is None:
            plan.append(('SENTINEL', 'MONITOR', self.name, host, str(port), str(self.params['quorum'])))
            created = True
        elif not (same_address(str(current.get('ip')), host) and current.get('port') == port):
            if self.params['force_address']:
                plan.append(('SENTINEL', 'REMOVE', self.name))
                plan.append(('SENTINEL', 'MONITOR', self.name, host, str(port), str(self.params['quorum'])))
                created = True
            else:
                address_differs = True

        after = dict(before) if not created else dict(
            name=self.name, host=host, port=port, quorum=self.params['quorum'])
        plan += self._plan_settings(current if not created else None, after)
        plan += self._plan_auth(created, before, after)
        reset = False
        if self.params['reset_stale'] and current is not None and not created:
            reset = self._needs_reset(current)
            if reset:
                plan.append(('SENTINEL', 'RESET', self.name))
        return self._finish(plan, before, after, address_differs, reset)

    def _plan_settings(self, current: dict | None, after: dict) -> list:
        plan = []
        for field, option in SETTABLE_FIELDS.items():
            wanted = self.params[option]
            if wanted is None:
                continue
            have = None if current is None else current.get(field, '' if option.endswith('script') else None)
            if field == 'quorum' and current is None:
                continue  # set by SENTINEL MONITOR
            if have is None or str(have) != str(wanted):
                plan.append(('SENTINEL', 'SET', self.name, field, str(wanted)))
            after[option] = wanted
        return plan

    def _plan_auth(self, created: bool, before: dict, after: dict) -> list:
        wanted = {'auth-user': self.params['auth_user'], 'auth-pass': self.params['auth_pass']}
        wanted = {key: value for key, value in wanted.items() if value is not None}
        if not wanted:
            return []
        if created:
            for key in wanted:
                after[key.replace('-', '_')] = SECRET_HIDDEN
            return [self._set_auth(key, wanted[key]) for key in sorted(wanted, reverse=True)]
        known = read_master_auth_from_config(self.client, self.name)
        if known is None:
            if self.params['update_password'] == 'on_create':
                return []
            self.module.warn(
                'auth_pass/auth_user cannot be read back from the Sentinel at %s (its configuration file is not '
                'readable here), so they were set again and the task reports a change; run the module on the '
                "Sentinel's host with read access to its configuration file, or set update_password=on_create"
                % self.client.target)
            known = {}
        plan = []
        for key in sorted(wanted, reverse=True):
            option = key.replace('-', '_')
            before[option] = SECRET_UNKNOWN if key not in known else (SECRET_HIDDEN if known[key] else SECRET_UNSET)
            if known.get(key) == wanted[key]:
                after[option] = before[option]
                continue
            after[option] = SECRET_NEW
            plan.append(self._set_auth(key, wanted[key]))
        return plan

    def _set_auth(self, key: str, value: str) -> tuple:
        return ('SENTINEL', 'SET', self.name, key, value)

    def _needs_reset(self, current: dict) -> bool:
        if 'failover_in_progress' in flags_of(current) or 'promoted' in flags_of(current):
            self.module.warn('not resetting %s: a failover is in progress' % self.name)
            return False
        peers = list_replicas(self.client, self.name) + list_sentinels(self.client, self.name)
        return any(flag in STALE_FLAGS for peer in peers for flag in flags_of(peer))

    def _finish(self, plan: list, before: dict, after: dict, address_differs: bool, reset: bool) -> dict:
        changed = bool(plan)
        if changed and not self.module.check_mode:
            for args in plan:
                self._send(args)
            self._send(('SENTINEL', 'FLUSHCONFIG'))
        final = after
        if self.params['state'] == 'present':
            self._warn_unreachable_quorum()
        if not self.module.check_mode and self.params['state'] == 'present':
            final = describe_master(get_master(self.client, self.name))
        elif not self.module.check_mode:
            final = {}
        result = dict(
            changed=changed, commands=self.commands, master=final, address_differs=address_differs, reset=reset,
            current_host=final.get('host') if final else None, current_port=final.get('port') if final else None,
        )
        if changed and self.module._diff:
            result['diff'] = dict(before=self._diffable(before), after=self._diffable(after))
        return result

    def _warn_unreachable_quorum(self) -> None:
        """A quorum larger than the Sentinels that know the primary means no failover can ever be agreed."""
        known = 1
        if get_master(self.client, self.name) is not None:
            known += len(list_sentinels(self.client, self.name))
        if self.params['quorum'] > known:
            self.module.warn('quorum %d for %s is more than the %d Sentinel(s) that %s knows monitor it (itself '
                             'included): failover needs that many to agree. Right after the first deployment the '
                             'Sentinels may not have discovered each other yet; otherwise lower quorum or add Sentinels'
                             % (self.params['quorum'], self.name, known, self.client.target))

    @staticmethod
    def _diffable(state: dict) -> dict:
        keys = ('host', 'port', 'quorum', 'down_after_milliseconds', 'failover_timeout', 'parallel_syncs',
                'notification_script', 'client_reconfig_script', 'auth_user', 'auth_pass')
        return {key: state[key] for key in keys if key in state} if state else {'state': 'absent'}

    def _send(self, args: tuple) -> None:
        secret = (4,) if len(args) > 4 and args[3] == 'auth-pass' else ()
        try:
            self.client.call(*args, secret_positions=secret)
        except RedisOpsError as exc:
            raise RedisOpsError(self._hint(exc.message), changed=bool(self.commands),
                                commands=list(self.commands)) from exc
        self.commands.append(' '.join('********' if i in secret else str(a) for i, a in enumerate(args)))

    @staticmethod
    def _hint(message: str) -> str:
        upper = message.upper()
        if 'DENIED' in upper and 'SCRIPT' in upper:
            return message + ' (add "sentinel deny-scripts-reconfig no" to the Sentinel configuration to allow it)'
        if 'INVALID IP ADDRESS OR HOSTNAME' in upper:
            return message + ' (give an IP address in host, or run Sentinel with "sentinel resolve-hostnames yes")'
        return message
