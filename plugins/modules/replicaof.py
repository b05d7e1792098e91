#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: replicaof
short_description: Make a Redis or Valkey instance a replica of a primary, or a primary itself
version_added: 0.1.0
description:
  - Reads C(INFO replication) and sends C(REPLICAOF) (or C(SLAVEOF) on servers older than Redis 5.0)
    only when the instance does not already replicate from the wanted primary.
    A primary named by host name while the instance reports an IP address (or the reverse) counts as
    the same primary.
  - Sets C(masterauth) and C(masteruser) live with C(CONFIG SET) when they differ, before
    switching the primary, so the first sync already authenticates.
  - Persists what it changed with C(CONFIG REWRITE), so a restart keeps it.
  - Can wait, bounded by O(wait_timeout), until the link to the primary is up and the initial
    synchronisation is over.
  - Refuses to make an instance a replica of itself, and refuses to run against a Sentinel.
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
    description: Shows role, primary address and (hidden) authentication before and after.
  platform:
    platforms: posix
    support: full
    description: Talks to the server over the network; runs wherever redis-py is installed.
options:
  state:
    description:
      - V(replica) makes the instance replicate from O(primary_host):O(primary_port).
      - V(primary) makes it a primary (C(REPLICAOF NO ONE)). It keeps its data.
    type: str
    choices: [replica, primary]
    default: replica
  primary_host:
    description:
      - Host name or IP address of the primary to replicate from. Required with O(state=replica).
      - A host name, an IPv4 or an IPv6 address; anything else (a list, a value with white space or a newline) is
        refused before any change.
      - Before pointing the replica at it, the module connects to it as the replica will. A Sentinel or a service
        that does not speak the Redis protocol there is refused; nothing listening yet is a warning.
    type: str
    aliases: [master_host]
  primary_port:
    description:
      - Port of the primary.
    type: int
    default: 6379
    aliases: [master_port]
  primary_user:
    description:
      - ACL user the replica authenticates as on the primary (C(masteruser), C(primaryuser) in Valkey).
      - Set live when it differs; leave unset to not manage it.
    type: str
    aliases: [masteruser, primaryuser]
  primary_auth:
    description:
      - Password the replica authenticates with on the primary (C(masterauth), C(primaryauth) in Valkey).
      - Set live when it differs; leave unset to not manage it. Never shown in output or diff.
    type: str
    aliases: [masterauth, primaryauth]
  persist:
    description:
      - Run C(CONFIG REWRITE) after a change, so that the configuration file keeps it.
      - When the server cannot rewrite its file (it runs without one, or the file is not writable),
        the module fails after the live change and says so; set V(false) to accept a live-only change.
      - Where the module can read the server's config file (it runs on the server's host), a live state that the file
        lacks (an earlier C(CONFIG REWRITE) failed) is saved with C(CONFIG REWRITE) too, and the run reports a change.
    type: bool
    default: true
  wait_for_sync:
    description:
      - With O(state=replica), wait until C(master_link_status) is C(up) and no sync is in progress.
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait_for_sync=true). The module fails when the link is not up by then.
    type: int
    default: 60
seealso:
  - module: redis_ops.replication.replication_facts
  - module: redis_ops.replication.sentinel_monitor
  - name: Redis replication
    description: How Redis replication works.
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/replication/
notes:
  - When Sentinel monitors the instance, Sentinel also reconfigures replication during a failover.
    Point this module at the primary that is current now (see M(redis_ops.replication.replication_facts)),
    never at the one an inventory named first, or it undoes the failover.
'''

EXAMPLES = r'''
- name: Replicate from the current primary and wait for the initial sync
  redis_ops.replication.replicaof:
    login_password: "{{ redis_password }}"
    primary_host: 10.0.0.1
    primary_port: 6379
    primary_auth: "{{ redis_password }}"
    wait_for_sync: true
    wait_timeout: 120

- name: Replica on port 6380 of the same host, through the unix socket
  redis_ops.replication.replicaof:
    login_unix_socket: /run/redis-6380/redis-server.sock
    login_password: "{{ redis_password }}"
    master_host: redis1.example.com
    master_port: 6379

- name: Promote this instance to a primary
  redis_ops.replication.replicaof:
    login_password: "{{ redis_password }}"
    state: primary
'''

RETURN = r'''
commands:
  description: Commands sent that change state, in order; passwords are replaced by C(********). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["CONFIG SET masterauth ********", "REPLICAOF 10.0.0.1 6379", "CONFIG REWRITE"]
role:
  description: Role of the instance after the run (predicted in check mode).
  returned: always
  type: str
  sample: replica
primary_host:
  description: Primary the instance replicates from after the run, as the server reports it (null for a primary).
  returned: always
  type: str
  sample: 10.0.0.1
primary_port:
  description: Port of that primary (null for a primary).
  returned: always
  type: int
  sample: 6379
link_status:
  description: C(master_link_status) after the run (null for a primary, or in check mode when the role changes).
  returned: always
  type: str
  sample: up
persisted:
  description: Whether C(CONFIG REWRITE) ran and succeeded.
  returned: always
  type: bool
server:
  description: The server that answered.
  returned: always
  type: dict
  sample: {"flavor": "redis", "version": "7.0.15", "mode": "standalone", "run_id": "3f2a...", "tcp_port": 6380}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    connection_argument_spec,
    module_kwargs,
    run_module,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.replicaof import ReplicaofManager


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        state=dict(type='str', choices=['replica', 'primary'], default='replica'),
        primary_host=dict(type='str', aliases=['master_host']),
        primary_port=dict(type='int', default=6379, aliases=['master_port']),
        primary_user=dict(type='str', aliases=['masteruser', 'primaryuser']),
        primary_auth=dict(type='str', no_log=True, aliases=['masterauth', 'primaryauth']),
        persist=dict(type='bool', default=True),
        wait_for_sync=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=60),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, required_if=[('state', 'replica', ['primary_host'])]))
    run_module(module, lambda client: ReplicaofManager(module, client, module.params).run())


if __name__ == '__main__':
    main()
