#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sentinel_failover
short_description: Planned switchover of a Sentinel-managed Redis or Valkey primary without losing acknowledged writes
version_added: 0.1.0
description:
  - Hands the primary role of the Sentinel-monitored primary O(name) to one of its replicas, through Sentinel, so that
    Sentinel, the replicas and the clients that ask Sentinel for the primary all follow.
  - A plain C(SENTINEL FAILOVER) loses writes, because the old primary keeps acknowledging them until Sentinel demotes it,
    seconds later, and they are gone when it resynchronises from the new primary. With O(method=pause) (the default
    where coordinated failover does not exist) the module instead
    1. makes Sentinel pick the chosen replica (other replicas get C(replica-priority 0) for the duration, restored after),
    2. pauses writes on the primary (C(CLIENT PAUSE WRITE), bounded by O(pause_timeout)),
    3. waits until the chosen replica has the primary's last replication offset (bounded by O(catch_up_timeout)),
    4. sends C(SENTINEL FAILOVER), waits until that Sentinel names the new primary, demotes the old primary to a
       replica of it (as Sentinel would, only sooner) and lifts the pause.
    Writes sent during the pause are not acknowledged by the old primary; they get a C(READONLY) error after the
    pause and a Sentinel-aware client retries them on the new primary. No acknowledged write is lost.
  - With O(method=coordinated) the module asks Sentinel for a coordinated failover (C(SENTINEL FAILOVER <name> COORDINATED),
    Valkey 9.0 and later), where the primary itself pauses writes and hands over. O(method=auto) uses it where the
    Sentinel supports it and O(method=pause) otherwise.
  - O(method=plain) sends only C(SENTINEL FAILOVER), the way C(redis-cli) users do it; it exists to measure what the
    other methods save.
  - Afterwards the module waits, bounded by O(timeout), until every reachable Sentinel names the new primary, no failover
    is in progress and the old primary replicates from the new one with its link up.
  - Idempotent when O(target_host) or O(current_primary_host) is given. Without either, every run moves the primary.
  - Run it where it reaches the Sentinel and the data nodes at the addresses Sentinel reports, for example on a
    Sentinel host or on the primary's host.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: Reads the state, checks that the switchover can happen and reports the plan; sends no command that changes anything.
  diff_mode:
    support: full
    description: Shows the primary before and after.
  platform:
    platforms: posix
    support: full
    description: Talks to the Sentinels and data nodes over the network; runs wherever redis-py is installed.
notes:
  - The connection options (O(login_host), O(login_port), O(login_password), TLS) address one Sentinel. The other Sentinels are found
    with C(SENTINEL SENTINELS) and reached with the same credentials and TLS settings; the data nodes with O(data_user)/O(data_password)
    and the same TLS settings.
  - Requires Redis 6.2 or later (or Valkey) on the data nodes for O(method=pause) (C(CLIENT PAUSE ... WRITE)).
  - The primary is moved to another node and stays there. Run the module again with O(target_host) to move it back.
options:
  login_port:
    description:
      - TCP port of the Sentinel.
    type: int
    default: 26379
  name:
    description:
      - Name of the monitored primary (the C(master-name) of C(sentinel monitor)).
    type: str
    required: true
  target_host:
    description:
      - Address of the replica to promote, as Sentinel reports it (an IP address, or a host name that resolves to it).
      - When the primary is already there, nothing is done.
      - When not set, the replica Sentinel would pick is used (lowest C(replica-priority) above 0, then the largest replication offset).
    type: str
  target_port:
    description:
      - Port of O(target_host).
    type: int
    default: 6379
  current_primary_host:
    description:
      - Move the primary away from this node only. When the primary is already elsewhere, nothing is done.
      - Use it to make a switchover idempotent when any replica may take over, as before restarting the primary.
    type: str
    aliases: [from_host]
  current_primary_port:
    description:
      - Port of O(current_primary_host).
    type: int
    default: 6379
    aliases: [from_port]
  data_user:
    description:
      - ACL user for the primary and the replicas. Needs C(CONFIG), C(CLIENT), C(REPLICAOF) and C(INFO).
    type: str
  data_password:
    description:
      - Password for the primary and the replicas (of O(data_user), or C(requirepass)). Never shown in output.
    type: str
  method:
    description:
      - How to switch, see the description. V(auto) picks V(coordinated) where the Sentinel supports it, otherwise V(pause).
    type: str
    choices: [auto, pause, coordinated, plain]
    default: auto
  pause_timeout:
    description:
      - Longest time, in seconds, that writes stay paused on the old primary. The pause also ends on its own after this time
        if the module is interrupted. Must cover the catch-up and Sentinel's promotion (about one second).
    type: float
    default: 10
  catch_up_timeout:
    description:
      - Longest time, in seconds, to wait with writes paused until the chosen replica has every write. When it does not catch up,
        the pause is lifted and the module fails without a switchover.
    type: float
    default: 5
  timeout:
    description:
      - Longest time, in seconds, for each wait outside the pause (Sentinel noticing changed priorities, every Sentinel agreeing
        afterwards, the old primary's link coming up).
    type: float
    default: 60
'''

EXAMPLES = r'''
- name: Move the primary to a chosen replica without losing writes
  redis_ops.replication.sentinel_failover:
    login_host: 10.0.0.11
    login_password: "{{ redis_sentinel_password }}"
    name: mymaster
    target_host: 10.0.0.12
    data_password: "{{ redis_password }}"

- name: Before restarting the primary, hand its role to the best replica (nothing happens if it is no longer primary)
  redis_ops.replication.sentinel_failover:
    login_password: "{{ redis_sentinel_password }}"
    name: mymaster
    current_primary_host: "{{ ansible_facts.default_ipv4.address }}"
    data_password: "{{ redis_password }}"
  register: switchover

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ switchover.previous_primary }} -> {{ switchover.primary }}, writes paused {{ switchover.write_pause_seconds }}s"
'''

RETURN = r'''
primary:
  description: The primary after the run (or, in check mode, the one the module would promote).
  returned: success
  type: dict
  contains:
    host:
      description: Address as Sentinel reports it.
      type: str
    port:
      description: Port.
      type: int
  sample: {host: 10.0.0.12, port: 6379}
previous_primary:
  description: The primary before the run.
  returned: success
  type: dict
  sample: {host: 10.0.0.11, port: 6379}
method:
  description: The method used (O(method=auto) resolved), or V(none) when nothing was to be done.
  returned: success
  type: str
  sample: pause
commands:
  description: Commands sent that change state, each prefixed with the address it went to. Empty in check mode and when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["10.0.0.11:6379 CLIENT PAUSE 10000 WRITE", "10.0.0.11:26379 SENTINEL FAILOVER mymaster"]
write_pause_seconds:
  description: How long writes were paused on the old primary (V(pause) method); 0 otherwise.
  returned: success
  type: float
  sample: 1.21
duration_seconds:
  description: Wall time of the switchover, from the first change to every Sentinel agreeing.
  returned: success
  type: float
  sample: 3.4
sentinels:
  description: Every Sentinel asked, with the primary address it reported at the end (or the error reaching it).
  returned: success
  type: list
  elements: dict
  sample: [{address: "10.0.0.11:26379", primary: "10.0.0.12:6379"}]
msg:
  description: What was done or why nothing was.
  returned: always
  type: str
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
    run_module,
    validate_host,
    validate_port,
    validate_seconds,
    validate_word,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    config_get_to_dict,
    format_address,
    same_address,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    flags_of,
    get_master,
    list_replicas,
    list_sentinels,
    require_sentinel,
)

UNAVAILABLE_FLAGS = ('s_down', 'o_down', 'disconnected')
BUSY_MASTER_FLAGS = ('s_down', 'o_down', 'failover_in_progress')
POLL_SECONDS = 0.05
# A replica's INFO as Sentinel last read it must be younger than this for a switchover to it (Sentinel's own limit is
# 3 INFO periods, 30 s, and it reads every 10 s).
INFO_FRESH_MS = 20000


def deadline_after(seconds: float) -> float:
    return time.monotonic() + seconds


class SwitchoverError(RedisOpsError):
    pass


class Switchover:
    def __init__(self, module: AnsibleModule, sentinel: RedisClient) -> None:
        self.module = module
        self.params = module.params
        self.sentinel = sentinel
        self.name = module.params['name']
        self.commands: list = []
        self._clients: dict = {}
        self._restore_priority: dict = {}

    # -- connections ------------------------------------------------------------------------------------------
    def _client(self, host: str, port: int, data: bool) -> RedisClient:
        key = (host, int(port), data)
        if key not in self._clients:
            params = dict(self.params, login_host=host, login_port=int(port), login_unix_socket=None)
            if data:
                params.update(login_user=self.params['data_user'], login_password=self.params['data_password'])
                self._clients[key] = RedisClient(params, 'data_user', 'data_password')
            else:
                self._clients[key] = RedisClient(params)
        return self._clients[key]

    def data_node(self, node: dict) -> RedisClient:
        return self._client(node['host'], node['port'], data=True)

    def send(self, client: RedisClient, *args):
        self.commands.append('%s %s' % (client.target, ' '.join(str(arg) for arg in args)))
        return client.call(*args)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    # -- reading ----------------------------------------------------------------------------------------------
    def _master(self) -> dict:
        entry = get_master(self.sentinel, self.name)
        if entry is None:
            raise SwitchoverError('%s does not monitor a primary called %s; check name (SENTINEL MASTERS lists them)'
                                  % (self.sentinel.target, self.name))
        return entry

    def _primary_address_by(self, client: RedisClient) -> dict | None:
        reply = client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', self.name)
        if not reply:
            return None
        return dict(host=str(reply[0]), port=int(reply[1]))

    def _sentinel_clients(self) -> list:
        clients = [self.sentinel]
        for peer in list_sentinels(self.sentinel, self.name):
            clients.append(self._client(str(peer['ip']), int(peer['port']), data=False))
        return clients

    def _sentinel_views(self, clients: list) -> list:
        views = []
        for client in clients:
            try:
                primary = self._primary_address_by(client)
                views.append(dict(address=client.target, primary=format_address(primary['host'], primary['port']) if primary else None))
            except RedisOpsError as exc:
                views.append(dict(address=client.target, error=exc.message))
        return views

    @staticmethod
    def _is_eligible(replica: dict) -> str | None:
        """None when Sentinel could promote this replica, else the reason it cannot."""
        bad = [flag for flag in flags_of(replica) if flag in UNAVAILABLE_FLAGS]
        if bad:
            return 'Sentinel flags it %s' % ','.join(bad)
        if str(replica.get('master-link-status', 'ok')) != 'ok':
            return 'its link to the primary is %s' % replica.get('master-link-status')
        return None

    def _live_priority(self, replica: dict) -> int:
        """replica-priority as the replica itself has it now.

        Sentinel's slave-priority comes from an INFO up to 10 s old: right after a switchover it still shows the 0 that
        the previous run set and restored, so it is never trusted for a decision.
        """
        client = self.data_node(dict(host=str(replica['ip']), port=int(replica['port'])))
        value = config_get_to_dict(client.call('CONFIG', 'GET', 'replica-priority')).get('replica-priority')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SwitchoverError('%s did not report its replica-priority (CONFIG GET replica-priority answered %r)'
                                  % (client.target, value))

    def _choose_target(self, replicas: list, primary: dict) -> dict:
        if self.params['target_host']:
            wanted = [r for r in replicas if int(r['port']) == self.params['target_port']
                      and same_address(str(r['ip']), self.params['target_host'])]
            if not wanted:
                known = ', '.join(format_address(r['ip'], r['port']) for r in replicas) or 'none'
                raise SwitchoverError('%s is not a replica of %s that Sentinel knows (its replicas: %s)' % (
                    format_address(self.params['target_host'], self.params['target_port']), self.name, known))
            reason = self._is_eligible(wanted[0])
            if reason:
                raise SwitchoverError('cannot promote %s: %s' % (format_address(wanted[0]['ip'], wanted[0]['port']), reason))
            if self._live_priority(wanted[0]) == 0:
                raise SwitchoverError('cannot promote %s: its replica-priority is 0 (Sentinel never promotes it)'
                                      % format_address(wanted[0]['ip'], wanted[0]['port']))
            return wanted[0]
        candidates = []
        for replica in replicas:
            if self._is_eligible(replica) is not None:
                continue
            priority = self._live_priority(replica)
            if priority > 0:
                candidates.append((priority, -int(replica.get('slave-repl-offset', 0)), str(replica.get('run-id', '')), replica))
        if not candidates:
            raise SwitchoverError('no replica of %s at %s can be promoted (each is down, disconnected or has replica-priority 0)'
                                  % (self.name, format_address(primary['host'], primary['port'])))
        return sorted(candidates, key=lambda candidate: candidate[:3])[0][3]

    def _resolve_method(self) -> str:
        method = self.params['method']
        server = self.sentinel.server_info()
        coordinated = server.flavor == 'valkey' and server.version >= (9, 0, 0)
        if method == 'coordinated' and not coordinated:
            raise SwitchoverError('method=coordinated needs a Sentinel that supports SENTINEL FAILOVER ... COORDINATED '
                                  '(Valkey 9.0 or later); %s is %s %s. Use method=pause' % (
                                      self.sentinel.target, server.flavor, '.'.join(str(n) for n in server.version)))
        if method == 'auto':
            return 'coordinated' if coordinated else 'pause'
        return method

    # -- changing ---------------------------------------------------------------------------------------------
    def _make_sentinel_pick(self, target: dict, replicas: list) -> None:
        """Give every other replica that could be promoted replica-priority 0, and wait until Sentinel sees it and
        has a recent INFO of the target (without one it refuses the failover).

        Which replicas could be promoted is read from each replica itself, never from Sentinel's cached slave-priority.
        """
        others = []
        for replica in replicas:
            if replica is target:
                continue
            client = self.data_node(dict(host=str(replica['ip']), port=int(replica['port'])))
            try:
                current = config_get_to_dict(client.call('CONFIG', 'GET', 'replica-priority')).get('replica-priority')
            except RedisOpsError as exc:
                if self._is_eligible(replica) is not None:
                    continue  # Sentinel cannot promote it either (down or disconnected).
                raise SwitchoverError('cannot make sure that Sentinel promotes %s and not %s: %s' % (
                    format_address(target['ip'], target['port']), client.target, exc.message))
            if str(current) == '0':
                continue
            others.append(replica)
            self._restore_priority[(str(replica['ip']), int(replica['port']))] = current
            self.send(client, 'CONFIG', 'SET', 'replica-priority', '0')
        end = deadline_after(self.params['timeout'])
        wanted = {(str(r['ip']), int(r['port'])) for r in others}
        target_key = (str(target['ip']), int(target['port']))
        while True:
            entries = {(str(r['ip']), int(r['port'])): r for r in list_replicas(self.sentinel, self.name)}
            priorities = {key: int(r.get('slave-priority', 100)) for key, r in entries.items()}
            seen = {key for key, priority in priorities.items() if priority == 0}
            # Sentinel promotes only a replica whose own INFO it has read lately (within 3 INFO periods, 30 s); one
            # it has just learned from the primary's INFO has none yet, and SENTINEL FAILOVER answers NOGOODSLAVE.
            refresh = int(entries.get(target_key, {}).get('info-refresh', 0) or 0)
            fresh = refresh < INFO_FRESH_MS
            if wanted <= seen and priorities.get(target_key, 0) > 0 and fresh:
                return
            if time.monotonic() > end:
                late = sorted(wanted - seen)
                if not late and priorities.get(target_key, 0) > 0:
                    raise SwitchoverError('%s has read no INFO from %s for %s ms (info-refresh); Sentinel would not promote '
                                          'it (NOGOODSLAVE). Check that Sentinel reaches it; nothing was switched' % (
                                              self.sentinel.target, format_address(*target_key), refresh))
                raise SwitchoverError('%s did not notice the replica-priority of %s within %ss' % (
                    self.sentinel.target, ', '.join(['%s (0)' % format_address(*key) for key in late]
                                                    + ([] if priorities.get(target_key, 0) > 0 else
                                                       ['%s (above 0)' % format_address(*target_key)])),
                    self.params['timeout']))
            time.sleep(0.2)

    def _restore_priorities(self) -> None:
        for (host, port), value in self._restore_priority.items():
            try:
                client = self.data_node(dict(host=host, port=port))
                self.send(client, 'CONFIG', 'SET', 'replica-priority', value)
                # Sentinel rewrites the config file of each replica it reconfigures (CONFIG REWRITE), which saved
                # the 0 there: without a rewrite now, the replica would come back from its next restart with
                # priority 0 and never be promoted.
                self._persist(client)
            except RedisOpsError as exc:
                self.module.warn('could not restore replica-priority %s on %s: %s; it stays 0 until the next restart or '
                                 'site.yml run' % (value, format_address(host, port), exc.message))
        self._restore_priority = {}

    def _wait_for_sentinel_switch(self, old: dict, seconds: float) -> dict | None:
        end = deadline_after(seconds)
        while time.monotonic() < end:
            now = self._primary_address_by(self.sentinel)
            if now and not (now['port'] == old['port'] and same_address(now['host'], old['host'])):
                return now
            time.sleep(POLL_SECONDS)
        return None

    def _paused_failover(self, primary: dict, target: dict) -> tuple:
        old = self.data_node(primary)
        new = self.data_node(target)
        server = old.server_info()
        if server.flavor == 'redis' and server.version < (6, 2, 0):
            raise SwitchoverError('method=pause needs CLIENT PAUSE ... WRITE (Redis 6.2 or later); %s runs %s. Use method=plain'
                                  % (old.target, '.'.join(str(n) for n in server.version)))
        pause_ms = int(self.params['pause_timeout'] * 1000)
        self.send(old, 'CLIENT', 'PAUSE', str(pause_ms), 'WRITE')
        paused_at = time.monotonic()
        try:
            goal = int(old.info('replication')['master_repl_offset'])
            end = deadline_after(self.params['catch_up_timeout'])
            seen = 'unknown'
            while True:
                try:
                    info = new.info('replication')
                    seen = info.get('slave_repl_offset')
                    if info.get('master_link_status') == 'up' and int(info.get('slave_repl_offset', -1)) >= goal:
                        break
                except RedisOpsError as exc:
                    seen = 'unknown: %s' % exc.message
                if time.monotonic() > end:
                    raise SwitchoverError('%s did not catch up with the primary (offset %s of %s) within catch_up_timeout=%ss; '
                                          'writes were resumed and nothing was switched' % (
                                              new.target, seen, goal, self.params['catch_up_timeout']))
                time.sleep(0.01)
            self.send(self.sentinel, 'SENTINEL', 'FAILOVER', self.name)
            remaining = self.params['pause_timeout'] - (time.monotonic() - paused_at) - 0.2
            promoted = self._wait_for_sentinel_switch(primary, max(remaining, 0.1))
            if promoted is None:
                raise SwitchoverError('%s did not promote a replica within pause_timeout=%ss; writes were resumed on %s. '
                                      'Sentinel may still finish the failover: check SENTINEL MASTER %s' % (
                                          self.sentinel.target, self.params['pause_timeout'], old.target, self.name))
            # Sentinel would demote the old primary a few seconds from now; doing it while writes are held means that
            # no write the old primary acknowledges is lost. Its held clients get READONLY and retry elsewhere.
            self.send(old, old.server_info().replicaof_command, promoted['host'], str(promoted['port']))
            self._persist(old)
            return promoted, time.monotonic() - paused_at
        finally:
            try:
                self.send(old, 'CLIENT', 'UNPAUSE')
            except RedisOpsError as exc:
                self.module.warn('could not lift the write pause on %s (%s); it ends on its own after %ss'
                                 % (old.target, exc.message, self.params['pause_timeout']))

    def _persist(self, client: RedisClient) -> None:
        try:
            self.send(client, 'CONFIG', 'REWRITE')
        except RedisOpsError as exc:
            self.module.warn('%s could not save its new role with CONFIG REWRITE (%s); Sentinel rewrites it again '
                             'when it reconfigures the node' % (client.target, exc.message))

    def _wait_until_settled(self, primary: dict, promoted: dict, sentinels: list) -> list:
        """Every reachable Sentinel names the new primary, no failover runs, the old primary follows it."""
        end = deadline_after(self.params['timeout'])
        old = self.data_node(primary)
        want = format_address(promoted['host'], promoted['port'])
        while True:
            views = self._sentinel_views(sentinels)
            agreed = all(view.get('primary') == want for view in views if 'error' not in view)
            master = self._master()
            settled = not [flag for flag in flags_of(master) if flag.startswith('failover_')]
            try:
                info = old.info('replication')
                following = (info.get('role') == 'slave' and info.get('master_link_status') == 'up'
                             and int(info.get('master_port', 0)) == promoted['port']
                             and same_address(str(info.get('master_host')), promoted['host']))
            except RedisOpsError:
                following = False
            if agreed and settled and following:
                return views
            if time.monotonic() > end:
                raise SwitchoverError(
                    'the switchover to %s did not settle within timeout=%ss: Sentinels %s, failover flags %s, old primary %s %s' % (
                        want, self.params['timeout'], views, master.get('flags'), old.target,
                        'follows it' if following else 'does not follow it with its link up yet'))
            time.sleep(0.2)

    # -- the run ----------------------------------------------------------------------------------------------
    def _check_inputs(self) -> None:
        validate_word(self.name, 'name', 'name of the monitored primary')
        validate_port(self.params['target_port'], 'target_port')
        validate_port(self.params['current_primary_port'], 'current_primary_port')
        validate_host(self.params['target_host'], 'target_host')
        validate_host(self.params['current_primary_host'], 'current_primary_host')
        for option in ('pause_timeout', 'catch_up_timeout', 'timeout'):
            validate_seconds(self.params[option], option)
        if self.params['data_user'] is not None and self.params['data_password'] is None:
            raise SwitchoverError('data_user is set but data_password is not: an ACL user always needs its password')
        if self.params['catch_up_timeout'] >= self.params['pause_timeout']:
            raise SwitchoverError('catch_up_timeout (%ss) must be shorter than pause_timeout (%ss): the catch-up happens while '
                                  'writes are paused' % (self.params['catch_up_timeout'], self.params['pause_timeout']))
        require_sentinel(self.sentinel)

    def _result(self, changed: bool, msg: str, primary: dict, previous: dict, **extra) -> dict:
        result = dict(changed=changed, msg=msg, commands=self.commands, primary=primary, previous_primary=previous,
                      method=extra.pop('method', 'none'), write_pause_seconds=extra.pop('write_pause_seconds', 0.0),
                      duration_seconds=extra.pop('duration_seconds', 0.0), sentinels=extra.pop('sentinels', []))
        if changed:
            result['diff'] = dict(before=dict(primary=format_address(previous['host'], previous['port'])),
                                  after=dict(primary=format_address(primary['host'], primary['port'])))
        result.update(extra)
        return result

    def run(self) -> dict:
        try:
            return self._run()
        except RedisOpsError as exc:
            details = {k: v for k, v in exc.details.items() if k != 'commands'}
            # Once a command that changes state went out, the run changed something, whatever failed later.
            details.setdefault('changed', bool(self.commands))
            raise RedisOpsError(exc.message, commands=self.commands, **details) from exc
        finally:
            self.close()

    def _run(self) -> dict:
        self._check_inputs()
        master = self._master()
        primary = dict(host=str(master['ip']), port=int(master['port']))
        busy = [flag for flag in flags_of(master) if flag in BUSY_MASTER_FLAGS]
        if busy:
            raise SwitchoverError('%s reports %s for %s at %s: a failover is under way or the primary is down; wait for '
                                  'Sentinel to finish instead of switching over' % (
                                      self.sentinel.target, ','.join(busy), self.name, format_address(primary['host'], primary['port'])))
        if self.params['current_primary_host'] and not (
                primary['port'] == self.params['current_primary_port']
                and same_address(primary['host'], self.params['current_primary_host'])):
            return self._result(False, 'the primary of %s is already %s, not %s' % (
                self.name, format_address(primary['host'], primary['port']),
                format_address(self.params['current_primary_host'], self.params['current_primary_port'])), primary, primary)
        if self.params['target_host'] and primary['port'] == self.params['target_port'] and same_address(
                primary['host'], self.params['target_host']):
            return self._result(False, '%s is already the primary of %s' % (format_address(primary['host'], primary['port']), self.name),
                                primary, primary)

        replicas = list_replicas(self.sentinel, self.name)
        target_entry = self._choose_target(replicas, primary)
        target = dict(host=str(target_entry['ip']), port=int(target_entry['port']))
        method = self._resolve_method()
        sentinels = self._sentinel_clients()
        views = self._sentinel_views(sentinels)
        disagree = [view for view in views if 'error' not in view and view['primary'] != format_address(primary['host'], primary['port'])]
        if disagree:
            raise SwitchoverError('the Sentinels do not agree on the primary of %s (%s says %s; %s): let them settle first' % (
                self.name, self.sentinel.target, format_address(primary['host'], primary['port']),
                ', '.join('%s says %s' % (view['address'], view['primary']) for view in disagree)))
        unreachable = [view for view in views if 'error' in view]
        if len(unreachable) * 2 >= len(views):
            raise SwitchoverError('only %d of %d Sentinels answer (%s); a switchover needs a majority' % (
                len(views) - len(unreachable), len(views), '; '.join(view['error'] for view in unreachable)))
        for view in unreachable:
            self.module.warn('Sentinel %s did not answer: %s' % (view['address'], view['error']))
        # Prove the data nodes answer before touching anything.
        for node in (primary, target):
            self.data_node(node).call('PING')

        plan = 'switch %s from %s to %s (method %s)' % (self.name, format_address(primary['host'], primary['port']),
                                                        format_address(target['host'], target['port']), method)
        if self.module.check_mode:
            return self._result(True, 'would ' + plan, target, primary, method=method, sentinels=views)

        started = time.monotonic()
        pause_seconds = 0.0
        try:
            self._make_sentinel_pick(target_entry, replicas)
            if method == 'pause':
                promoted, pause_seconds = self._paused_failover(primary, target)
            else:
                self.send(self.sentinel, 'SENTINEL', 'FAILOVER', self.name, *(['COORDINATED'] if method == 'coordinated' else []))
                promoted = self._wait_for_sentinel_switch(primary, self.params['timeout'])
                if promoted is None:
                    raise SwitchoverError('%s did not promote a replica within timeout=%ss' % (self.sentinel.target, self.params['timeout']))
            views = self._wait_until_settled(primary, promoted, sentinels)
        finally:
            self._restore_priorities()
        actual = self._live_primary(promoted, primary, target)
        if not (actual['port'] == target['port'] and same_address(actual['host'], target['host'])):
            raise SwitchoverError('the switchover of %s went to %s, not to the requested %s: the primary is now %s' % (
                self.name, format_address(actual['host'], actual['port']), format_address(target['host'], target['port']),
                format_address(actual['host'], actual['port'])), changed=True, primary=actual, previous_primary=primary,
                sentinels=views)
        return self._result(True, 'switched ' + plan.split(' ', 1)[1], actual, primary, method=method,
                            write_pause_seconds=round(pause_seconds, 3),
                            duration_seconds=round(time.monotonic() - started, 3), sentinels=views)

    def _live_primary(self, promoted: dict, primary: dict, target: dict) -> dict:
        """The primary as the data nodes themselves say, after the Sentinels agreed on ``promoted``.

        Sentinel's word is not the outcome: the node it names must say role:master, and the requested target must
        either be that node or replicate from it.
        """
        info = self.data_node(promoted).info('replication')
        if info.get('role') != 'master':
            raise SwitchoverError('the Sentinels name %s as the primary of %s, but it says role:%s; the primary before '
                                  'was %s' % (format_address(promoted['host'], promoted['port']), self.name, info.get('role'),
                                              format_address(primary['host'], primary['port'])),
                                  changed=True, primary=promoted, previous_primary=primary)
        if not (promoted['port'] == target['port'] and same_address(promoted['host'], target['host'])):
            target_info = self.data_node(target).info('replication')
            if target_info.get('role') == 'master':
                raise SwitchoverError('both %s (named by the Sentinels) and the requested %s say role:master for %s' % (
                    format_address(promoted['host'], promoted['port']), format_address(target['host'], target['port']), self.name),
                    changed=True, primary=promoted, previous_primary=primary)
        return promoted


def main() -> None:
    argument_spec = connection_argument_spec(default_port=26379)
    argument_spec.update(
        name=dict(type='str', required=True),
        target_host=dict(type='str'),
        target_port=dict(type='int', default=6379),
        current_primary_host=dict(type='str', aliases=['from_host']),
        current_primary_port=dict(type='int', default=6379, aliases=['from_port']),
        data_user=dict(type='str'),
        data_password=dict(type='str', no_log=True),
        method=dict(type='str', choices=['auto', 'pause', 'coordinated', 'plain'], default='auto'),
        pause_timeout=dict(type='float', default=10.0),
        catch_up_timeout=dict(type='float', default=5.0),
        timeout=dict(type='float', default=60.0),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, mutually_exclusive=[('target_host', 'current_primary_host')]))
    run_module(module, lambda client: Switchover(module, client).run())


if __name__ == '__main__':
    main()
