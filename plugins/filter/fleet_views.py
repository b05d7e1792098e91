# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_views
short_description: Collect what every node and Sentinel reported, as input for current_primary
version_added: 0.1.0
description:
  - Reads, for each data node, C(redis_ops_address), C(redis_ops_port) and the registered result
    C(_redis_discovered_node), and for each Sentinel the registered result C(_redis_discovered_sentinel),
    as the collection's discovery tasks leave them, and returns them in the shape
    P(redis_ops.replication.current_primary#filter) takes.
author:
  - Redis Ops Team (@redis-ops)
positional: data_hosts, sentinel_hosts
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  data_hosts:
    description: Inventory names of the data nodes.
    type: list
    elements: str
    required: true
  sentinel_hosts:
    description: Inventory names of the Sentinels.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Decide the current primary
  ansible.builtin.set_fact:
    redis_primary: "{{ views.nodes | redis_ops.replication.current_primary('redis1', sentinels=views.sentinels) }}"
  vars:
    views: "{{ hostvars | redis_ops.replication.fleet_views(['redis1', 'redis2'], ['redis1', 'redis2']) }}"
'''

RETURN = r'''
_value:
  description: C(nodes) (host, address, port, facts) and C(sentinels) (host, facts).
  type: dict
'''


from ansible.errors import AnsibleFilterError


def _facts(result, key):
    if not isinstance(result, dict) or result.get('failed') or result.get('skipped'):
        return None
    return (result.get('ansible_facts') or {}).get(key)


def fleet_views(hostvars, data_hosts, sentinel_hosts=None):
    unread = [host for host in data_hosts if 'redis_ops_address' not in hostvars[host]]
    if unread:
        raise AnsibleFilterError(
            'the live state of %s was not read (a --limit that leaves data nodes out, or hosts that are '
            'unreachable); the current primary cannot be decided without every data node' % ', '.join(unread))
    nodes = []
    for host in data_hosts:
        variables = hostvars[host]
        nodes.append(dict(host=host, address=str(variables['redis_ops_address']), port=int(variables['redis_ops_port']),
                          facts=_facts(variables.get('_redis_discovered_node'), 'redis_replication')))
    sentinels = [dict(host=host, facts=_facts(hostvars[host].get('_redis_discovered_sentinel'), 'redis_sentinel'))
                 for host in sentinel_hosts or []]
    return dict(nodes=nodes, sentinels=sentinels)


class FilterModule:
    def filters(self):
        return {'fleet_views': fleet_views}
