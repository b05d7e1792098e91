# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: announced_addresses
short_description: The addresses at which Sentinels know a list of hosts' replicas or Sentinels
version_added: 0.1.0
description:
  - For each inventory host, the address and port the other Sentinels see for its replica (O(kind=replica)) or
    its Sentinel (O(kind=sentinel)) - C(redis_replica_announce_ip) / C(redis_sentinel_announce_ip) and their ports
    when set, otherwise the address discovery recorded (C(redis_ops_address)) and the instance's port - as
    the O(redis_ops.replication.sentinel_reset#module:sentinels) and
    O(redis_ops.replication.sentinel_reset#module:replicas) options take them.
author:
  - Redis Ops Team (@redis-ops)
positional: hostvars, kind
options:
  _input:
    description: Inventory host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  kind:
    description: Whose address.
    type: str
    choices: [replica, sentinel]
    required: true
'''

EXAMPLES = r'''
- name: Where the Sentinels know the Sentinels
  ansible.builtin.debug:
    msg: "{{ groups['redis_sentinel'] | redis_ops.replication.announced_addresses(hostvars, 'sentinel') }}"
'''

RETURN = r'''
_value:
  description: One dict per host, with C(host) and C(port).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

_KEYS = {
    'replica': ('redis_replica_announce_ip', 'redis_replica_announce_port', 'redis_port', 6379),
    'sentinel': ('redis_sentinel_announce_ip', 'redis_sentinel_announce_port', 'redis_sentinel_port', 26379),
}


def _address(variables, host: str, kind: str) -> dict:
    announce_ip, announce_port, port_key, default_port = _KEYS[kind]
    address = str(variables.get(announce_ip) or '') or variables.get('redis_ops_address') or \
        variables.get('redis_host_address') or variables.get('ansible_host') or host
    port = int(variables.get(announce_port) or 0) or int(variables.get(port_key) or default_port)
    return dict(host=str(address), port=port)


def announced_addresses(hosts, hostvars, kind: str) -> list:
    if kind not in _KEYS:
        raise AnsibleFilterError('announced_addresses: kind must be replica or sentinel, got %r' % (kind,))
    return [_address(hostvars[host], host, kind) for host in hosts]


class FilterModule:
    def filters(self):
        return {'announced_addresses': announced_addresses}
