#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sentinel_monitor
short_description: Make a Redis or Valkey Sentinel monitor a primary, without undoing its failovers
version_added: 0.1.0
description:
  - Connects to one Sentinel and ensures that the primary called O(name) is monitored with the given
    settings (O(state=present)), or not monitored (O(state=absent)).
  - A primary that is not monitored yet is added with C(SENTINEL MONITOR). Settings that differ are changed
    with C(SENTINEL SET), one per command; nothing is sent when everything matches.
  - When O(name) is already monitored at another address, that is almost always because Sentinel failed
    over to a replica. The module then keeps the address Sentinel knows (undoing the failover would demote
    the new primary), reports it in RV(current_host) and RV(current_port), and reports no change for the
    address. O(force_address=true) moves the monitor anyway.
  - Changes are saved with C(SENTINEL FLUSHCONFIG). State that Sentinel generated (its id, epochs, the
    replicas and Sentinels it discovered) is left alone, unless O(reset_stale=true) finds stale entries.
  - Refuses to run against a Redis data node.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: Reads the state and reports what would change; sends no command that changes anything.
  diff_mode:
    support: full
    description: Shows the monitored address and settings before and after; passwords are hidden.
  platform:
    platforms: posix
    support: full
    description: Talks to the Sentinel over the network; runs wherever redis-py is installed.
options:
  login_port:
    description:
      - TCP port of the Sentinel.
    type: int
    default: 26379
  name:
    description:
      - Name of the monitored primary (the C(master-name) of C(sentinel monitor)).
      - Non-empty, without white space, quotes or control characters, because Sentinel writes it into its file unquoted.
    type: str
    required: true
  state:
    description:
      - V(present) makes the Sentinel monitor O(name); V(absent) removes it (C(SENTINEL REMOVE)).
    type: str
    choices: [present, absent]
    default: present
  host:
    description:
      - Address of the primary to monitor when O(name) is not monitored yet (or with O(force_address=true)).
      - An IP address, unless the Sentinel runs with C(sentinel resolve-hostnames yes). Anything that is not a host name,
        an IPv4 or an IPv6 address is refused before any change.
      - Required with O(state=present).
    type: str
    aliases: [primary_host, master_host]
  port:
    description:
      - Port of that primary.
    type: int
    default: 6379
    aliases: [primary_port, master_port]
  quorum:
    description:
      - Number of Sentinels that must agree that the primary is down before a failover starts. From 1 to 2147483647.
      - When it is larger than the number of Sentinels this Sentinel knows to monitor O(name) (itself included),
        the module warns, because such a quorum is never reached.
      - Required with O(state=present).
    type: int
  auth_pass:
    description:
      - Password Sentinel uses to connect to the primary and its replicas (C(sentinel auth-pass)).
      - Sentinel never reveals this value, so the module compares it with the Sentinel's configuration file when it
        can read it and prove it is that Sentinel's file (by its C(sentinel myid)); otherwise see O(update_password).
      - Never shown in output or diff.
      - Sentinel writes it back into its configuration file unquoted (C(SENTINEL FLUSHCONFIG), every failover), so a
        password with white space, a quote or a control character would stop Sentinel from starting again; such a
        password is refused before any change. Every other printable character, C(#) and backslashes included, is kept.
    type: str
  auth_user:
    description:
      - ACL user Sentinel uses to connect to the primary and its replicas (C(sentinel auth-user)).
      - Compared like O(auth_pass), and refused with white space or quotes like it.
    type: str
  update_password:
    description:
      - What to do with O(auth_pass) and O(auth_user) when the current values cannot be read back
        (the module runs away from the Sentinel's host, or may not read its configuration file).
      - V(always) sets them on every run, and reports a change with a warning.
      - V(on_create) sets them only when the monitor is created (or moved with O(force_address)).
    type: str
    choices: [always, on_create]
    default: always
  down_after_milliseconds:
    description:
      - Milliseconds without a valid reply after which Sentinel considers the primary down. From 1 to 2147483647.
    type: int
  failover_timeout:
    description:
      - Failover timeout in milliseconds (C(sentinel failover-timeout)). From 1 to 2147483647.
    type: int
  parallel_syncs:
    description:
      - Number of replicas that resynchronise with the new primary at the same time after a failover.
        From 1 to 2147483647.
    type: int
  notification_script:
    description:
      - Script Sentinel runs on every warning-level event. An empty string removes it.
      - Since Redis 6.2, Sentinel refuses to change scripts at runtime unless its configuration has
        C(sentinel deny-scripts-reconfig no).
    type: str
  client_reconfig_script:
    description:
      - Script Sentinel runs when the primary changes after a failover. An empty string removes it.
      - The same runtime restriction as O(notification_script) applies.
    type: str
  force_address:
    description:
      - When O(name) is monitored at an address other than O(host):O(port), remove and re-add the monitor
        at O(host):O(port). This undoes a failover that Sentinel made; use it only to move a monitor on purpose.
      - Settings not given in this task return to Sentinel's defaults, because the monitor is re-created.
    type: bool
    default: false
  reset_stale:
    description:
      - Send C(SENTINEL RESET) for O(name) when this Sentinel lists replicas or other Sentinels that are down or
        disconnected, so that it forgets nodes removed from the fleet. Nothing is sent when all are healthy,
        or while a failover is in progress.
    type: bool
    default: false
    aliases: [reset]
seealso:
  - module: redis_ops.replication.replication_facts
  - module: redis_ops.replication.replicaof
  - name: Redis Sentinel
    description: High availability with Redis Sentinel.
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
'''

EXAMPLES = r'''
- name: Monitor the primary (first run), keep whatever primary Sentinel elected (later runs)
  redis_ops.replication.sentinel_monitor:
    login_password: "{{ redis_sentinel_password }}"
    name: mymaster
    host: 10.0.0.1
    port: 6379
    quorum: 2
    auth_pass: "{{ redis_password }}"
    down_after_milliseconds: 5000
    failover_timeout: 60000
    parallel_syncs: 1

- name: Stop monitoring a primary
  redis_ops.replication.sentinel_monitor:
    name: oldmaster
    state: absent

- name: Forget replicas that were removed from the fleet
  redis_ops.replication.sentinel_monitor:
    name: mymaster
    host: 10.0.0.1
    quorum: 2
    reset_stale: true
'''

RETURN = r'''
commands:
  description: Commands sent that change state, in order; passwords are replaced by C(********). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["SENTINEL MONITOR mymaster 10.0.0.1 6379 2", "SENTINEL SET mymaster auth-pass ********", "SENTINEL FLUSHCONFIG"]
current_host:
  description: Address of the primary that the Sentinel monitors under O(name) after the run (null when absent).
  returned: always
  type: str
  sample: 10.0.0.2
current_port:
  description: Port of that primary (null when absent).
  returned: always
  type: int
  sample: 6379
address_differs:
  description:
    - True when O(name) is monitored at an address other than O(host):O(port) and the module kept it,
      normally because Sentinel failed over.
  returned: always
  type: bool
master:
  description: Settings of the monitored primary after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  sample: {"name": "mymaster", "host": "10.0.0.2", "port": 6379, "quorum": 2, "down_after_milliseconds": 5000,
           "failover_timeout": 60000, "parallel_syncs": 1, "flags": "master", "num_replicas": 2,
           "num_other_sentinels": 2, "config_epoch": 1}
reset:
  description: Whether C(SENTINEL RESET) was sent (or would be, in check mode) because of stale entries.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    connection_argument_spec,
    module_kwargs,
    run_module,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel_monitor import SentinelMonitorManager


def main() -> None:
    argument_spec = connection_argument_spec(default_port=26379)
    argument_spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        host=dict(type='str', aliases=['primary_host', 'master_host']),
        port=dict(type='int', default=6379, aliases=['primary_port', 'master_port']),
        quorum=dict(type='int'),
        auth_pass=dict(type='str', no_log=True),
        auth_user=dict(type='str'),
        update_password=dict(type='str', choices=['always', 'on_create'], default='always', no_log=False),
        down_after_milliseconds=dict(type='int'),
        failover_timeout=dict(type='int'),
        parallel_syncs=dict(type='int'),
        notification_script=dict(type='str'),
        client_reconfig_script=dict(type='str'),
        force_address=dict(type='bool', default=False),
        reset_stale=dict(type='bool', default=False, aliases=['reset']),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, required_if=[('state', 'present', ['host', 'quorum'])]))
    run_module(module, lambda client: SentinelMonitorManager(module, client, module.params).run())


if __name__ == '__main__':
    main()
