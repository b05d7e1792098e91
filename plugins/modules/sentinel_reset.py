#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sentinel_reset
short_description: Make every Sentinel forget replicas and Sentinels that left the fleet, one Sentinel at a time
version_added: 0.1.0
description:
  - Sentinel never forgets a replica or another Sentinel by itself; only C(SENTINEL RESET) does, and it empties the
    Sentinel's lists until it re-learns them. A reset at the wrong moment leaves a failover without a candidate.
  - The module reads every Sentinel in O(sentinels) and finds, on each, the replicas and Sentinels it lists that are
    not among O(replicas) and O(sentinels) (stale entries). Only Sentinels holding stale entries are reset, so a
    healthy fleet reports no change.
  - Before each reset it checks, on every Sentinel, that no failover is running or about to start for O(name)
    (flags C(failover_in_progress), C(promoted), C(o_down), C(s_down) of the primary, or a C(failover-state)),
    that they all name the same primary, and that the Sentinels other than the one being reset are at least the
    quorum and a majority of O(sentinels). Otherwise it fails before sending anything more.
  - After each reset it waits, at most O(timeout) seconds, until that Sentinel lists exactly O(replicas) and the
    other O(sentinels), then saves its file with C(SENTINEL FLUSHCONFIG) and moves on to the next one. On timeout it
    fails naming the Sentinel and what it has not re-learned.
  - Run it once for the fleet (for example with C(run_once)); it connects to each Sentinel itself.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: Reads every Sentinel and reports which would be reset and why; sends nothing.
  diff_mode:
    support: full
    description: Shows the stale entries of each Sentinel before and after.
  platform:
    platforms: posix
    support: full
    description: Talks to the Sentinels over the network; runs wherever redis-py is installed.
options:
  login_host:
    description:
      - Not used; the module connects to each of O(sentinels). The other connection options (password, user, TLS,
        timeouts) apply to every Sentinel.
    type: str
    default: localhost
  login_port:
    description:
      - Port of the entries of O(sentinels) that give none.
    type: int
    default: 26379
  name:
    description:
      - Name of the monitored primary.
    type: str
    required: true
  sentinels:
    description:
      - Every Sentinel that should monitor O(name), as the other Sentinels see it (its announced address). All must
        answer; a Sentinel that is gone for good is left out, and the others forget it.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Address of the Sentinel.
        type: str
        required: true
      port:
        description: Its port; O(login_port) when not given.
        type: int
  replicas:
    description:
      - Every data node that should stay known as a replica, as the primary sees it (its announced address).
        Replicas the Sentinels list that are not here are stale.
      - The primary a Sentinel names is never expected among its replicas, so the list may hold every data node, the
        current primary included; that keeps the expected set right when a switchover moved the primary after it
        was computed.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Address of the replica.
        type: str
        required: true
      port:
        description: Its port.
        type: int
        default: 6379
  timeout:
    description:
      - Seconds to wait, for each Sentinel reset, until it lists every replica and Sentinel again. From 1 to 86400.
    type: float
    default: 60
seealso:
  - module: redis_ops.replication.sentinel_monitor
  - name: Removing Sentinels and replicas
    description: Redis Sentinel documentation on SENTINEL RESET.
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#adding-or-removing-sentinels
'''

EXAMPLES = r'''
- name: Forget the dead replica and Sentinel, one Sentinel at a time
  redis_ops.replication.sentinel_reset:
    login_user: default
    login_password: "{{ redis_sentinel_password }}"
    name: mymaster
    sentinels:
      - host: 10.0.0.2
      - host: 10.0.0.3
      - host: 10.0.0.4
    replicas:
      - host: 10.0.0.3
      - host: 10.0.0.4
  run_once: true
'''

RETURN = r'''
commands:
  description: Commands sent, each prefixed with the Sentinel it went to. Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["10.0.0.2:26379 SENTINEL RESET mymaster", "10.0.0.2:26379 SENTINEL FLUSHCONFIG"]
sentinels:
  description:
    - For each Sentinel of O(sentinels), in order, its address, the stale replicas and Sentinels it listed,
      whether it was reset (or would be, in check mode), and its C(num-slaves) and C(num-other-sentinels) after the run.
  returned: always
  type: list
  elements: dict
  sample: [{"sentinel": "10.0.0.2:26379", "stale_replicas": ["10.0.0.1:6379"], "stale_sentinels": ["10.0.0.1:26379"],
            "reset": true, "num_replicas": 2, "num_other_sentinels": 2}]
'''

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    REDIS_IMPORT_ERROR,
    RedisClient,
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
    redis,
    validate_connection_params,
    validate_host,
    validate_port,
    validate_seconds,
    validate_word,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import format_address, same_address
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    failover_activity,
    get_master,
    list_replicas,
    list_sentinels,
    missing_entries,
    require_sentinel,
    stale_entries,
)

POLL_SECONDS = 0.5


class SentinelResetManager:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.name = module.params['name']
        self.commands: list = []
        self.clients: dict = {}

    def _check_inputs(self) -> None:
        validate_word(self.name, 'name', 'name of the monitored primary')
        validate_seconds(self.params['timeout'], 'timeout')
        if not self.params['sentinels']:
            raise RedisOpsError('sentinels is empty: give every Sentinel that should monitor %s' % self.name)
        for option in ('sentinels', 'replicas'):
            for entry in self.params[option]:
                validate_host(entry['host'], '%s.host' % option)
                validate_port(entry['port'], '%s.port' % option)
        if len(set(self.sentinel_addresses)) != len(self.sentinel_addresses):
            raise RedisOpsError('sentinels lists the same Sentinel twice: %s' % ', '.join(
                format_address(*address) for address in self.sentinel_addresses))

    @property
    def sentinel_addresses(self) -> list:
        return [(entry['host'], entry['port'] or self.params['login_port']) for entry in self.params['sentinels']]

    @property
    def replica_addresses(self) -> list:
        return [(entry['host'], entry['port']) for entry in self.params['replicas']]

    def expected_replicas(self, address: tuple) -> list:
        """O(replicas) without the primary this Sentinel names now (a switchover may have moved it)."""
        master = self.master(address)
        primary = (str(master.get('ip')), int(master.get('port', 0)))
        return [entry for entry in self.replica_addresses
                if not (int(entry[1]) == primary[1] and same_address(entry[0], primary[0]))]

    def client(self, address: tuple) -> RedisClient:
        if address not in self.clients:
            params = dict(self.params, login_host=address[0], login_port=address[1], login_unix_socket=None)
            self.clients[address] = RedisClient(params)
            require_sentinel(self.clients[address])
        return self.clients[address]

    def master(self, address: tuple) -> dict:
        master = get_master(self.client(address), self.name)
        if master is None:
            raise RedisOpsError('the Sentinel at %s does not monitor %s: converge it first (sentinel_monitor)' % (
                format_address(*address), self.name))
        return master

    def stale(self, address: tuple) -> dict:
        client = self.client(address)
        others = [other for other in self.sentinel_addresses if other != address]
        return dict(
            sentinel=format_address(*address),
            stale_replicas=stale_entries(list_replicas(client, self.name), self.expected_replicas(address), same_address),
            stale_sentinels=stale_entries(list_sentinels(client, self.name), others, same_address))

    def run(self) -> dict:
        self._check_inputs()
        report = []
        for address in self.sentinel_addresses:
            self.master(address)
            entry = self.stale(address)
            entry['reset'] = bool(entry['stale_replicas'] or entry['stale_sentinels'])
            report.append(entry)
        before = [dict(item) for item in report]
        if not self.module.check_mode:
            for address, entry in zip(self.sentinel_addresses, report):
                if entry['reset']:
                    self._reset(address)
        for address, entry in zip(self.sentinel_addresses, report):
            master = self.master(address)
            entry.update(num_replicas=int(master.get('num-slaves', 0)),
                         num_other_sentinels=int(master.get('num-other-sentinels', 0)))
            if not self.module.check_mode:
                entry.update({key: value for key, value in self.stale(address).items() if key.startswith('stale')})
        changed = any(entry['reset'] for entry in report)
        result = dict(changed=changed, commands=self.commands, sentinels=report)
        if changed and self.module._diff:
            result['diff'] = dict(before=self._diffable(before), after=self._diffable(
                [dict(entry, stale_replicas=[], stale_sentinels=[]) for entry in report] if self.module.check_mode
                else report))
        return result

    @staticmethod
    def _diffable(report: list) -> dict:
        return {entry['sentinel']: dict(stale_replicas=entry['stale_replicas'], stale_sentinels=entry['stale_sentinels'])
                for entry in report}

    def _safe_to_reset(self, address: tuple) -> None:
        """Refuse while a failover runs, when the Sentinels disagree, or when the others could not fail over."""
        target = format_address(*address)
        views, unusable = {}, []
        for other in self.sentinel_addresses:
            try:
                master = self.master(other)
            except RedisOpsError as exc:
                if other == address:
                    raise
                unusable.append('%s (%s)' % (format_address(*other), exc.message))
                continue
            activity = failover_activity(master)
            if activity:
                message = ('not resetting the Sentinel at %s: the Sentinel at %s reports %s for %s (a failover is running '
                           'or may start); run again once it is over' % (
                               target, format_address(*other), ', '.join(activity), self.name))
                raise RedisOpsError(message, changed=bool(self.commands), commands=list(self.commands))
            views[other] = (str(master.get('ip')), str(master.get('port')), int(master.get('quorum', 0)))
        primaries = {format_address(ip, port) for ip, port, _quorum in views.values()}
        if len(primaries) > 1:
            said = ', '.join('%s says %s' % (format_address(*other), format_address(*view[:2]))
                             for other, view in views.items())
            raise RedisOpsError('not resetting the Sentinel at %s: the Sentinels name different primaries for %s (%s)' % (
                target, self.name, said), changed=bool(self.commands), commands=list(self.commands))
        quorum = views[address][2]
        majority = len(self.sentinel_addresses) // 2 + 1
        ready = [other for other in views if other != address]
        if len(ready) < max(quorum, majority):
            raise RedisOpsError(
                'not resetting the Sentinel at %s: while it re-learns the fleet only %d other Sentinel(s) could act '
                '(%s), fewer than the quorum %d or a majority %d of the %d Sentinels; a failover could not be agreed '
                'or authorised meanwhile. Add or repair Sentinels first%s' % (
                    target, len(ready), ', '.join(format_address(*other) for other in ready) or 'none', quorum,
                    majority, len(self.sentinel_addresses),
                    ('; not usable: ' + '; '.join(unusable)) if unusable else ''),
                changed=bool(self.commands), commands=list(self.commands))

    def _reset(self, address: tuple) -> None:
        self._safe_to_reset(address)
        self._send(address, 'SENTINEL', 'RESET', self.name)
        self._wait_relearned(address)
        self._send(address, 'SENTINEL', 'FLUSHCONFIG')

    def _wait_relearned(self, address: tuple) -> None:
        client = self.client(address)
        others = [other for other in self.sentinel_addresses if other != address]
        deadline = time.monotonic() + self.params['timeout']
        attempts = int(self.params['timeout'] / POLL_SECONDS) + 1
        for _attempt in range(attempts):
            replicas, sentinels = list_replicas(client, self.name), list_sentinels(client, self.name)
            expected = self.expected_replicas(address)
            missing = missing_entries(replicas, expected, same_address) + missing_entries(
                sentinels, others, same_address)
            extra = stale_entries(replicas, expected, same_address) + stale_entries(
                sentinels, others, same_address)
            if not missing and not extra:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        raise RedisOpsError(
            'the Sentinel at %s was reset but after %gs it still %s; check that those nodes run and can reach each '
            'other (the Sentinel learns replicas from the primary and Sentinels from their hello messages)' % (
                format_address(*address), self.params['timeout'],
                ' and '.join(part for part in (
                    ('misses %s' % ', '.join(missing)) if missing else '',
                    ('lists %s' % ', '.join(extra)) if extra else '') if part)),
            changed=True, commands=list(self.commands))

    def _send(self, address: tuple, *args) -> None:
        try:
            self.client(address).call(*args)
        except RedisOpsError as exc:
            raise RedisOpsError(exc.message, changed=bool(self.commands), commands=list(self.commands)) from exc
        self.commands.append('%s %s' % (format_address(*address), ' '.join(args)))

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def main() -> None:
    argument_spec = connection_argument_spec(default_port=26379)
    argument_spec.update(
        name=dict(type='str', required=True),
        sentinels=dict(type='list', elements='dict', required=True, options=dict(
            host=dict(type='str', required=True), port=dict(type='int'))),
        replicas=dict(type='list', elements='dict', required=True, options=dict(
            host=dict(type='str', required=True), port=dict(type='int', default=6379))),
        timeout=dict(type='float', default=60.0),
    )
    module = AnsibleModule(**module_kwargs(argument_spec))
    if redis is None:
        module.fail_json(msg=missing_required_lib('redis (redis-py; python3-redis on Debian)'),
                         exception=REDIS_IMPORT_ERROR)
    manager = SentinelResetManager(module)
    try:
        validate_connection_params(module.params)
        result = manager.run()
    except RedisOpsError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    finally:
        manager.close()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
