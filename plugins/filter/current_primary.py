# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: current_primary
short_description: Decide which data node is the primary now, from the live state of the fleet
version_added: 0.1.0
description:
  - Applies the collection's rule for the current primary, in this order
  - 1. the primary that a majority of the Sentinels that answered agree on;
  - 2. otherwise the single node that reports C(role:master) and that another node replicates from;
  - 3. otherwise (a fresh fleet) the inventory's primary.
  - Sentinels that disagree with no majority, or two nodes that both are primaries with replicas, are an error
    that names the nodes; the filter never guesses.
author:
  - Redis Ops Team (@redis-ops)
positional: inventory_primary
options:
  _input:
    description:
      - One entry per data node, each with C(host) (inventory name), C(address), C(port) and C(facts)
        (its C(redis_replication) facts, or null when the node did not answer).
    type: list
    elements: dict
    required: true
  inventory_primary:
    description: The inventory name of the primary at first deployment (the host in group C(redis_master)).
    type: str
    required: true
  sentinels:
    description:
      - One entry per Sentinel, each with C(host) and C(facts) (its C(redis_sentinel) facts, or null).
    type: list
    elements: dict
    default: []
  master_name:
    description: The name the Sentinels monitor the primary under.
    type: str
    default: mymaster
'''

EXAMPLES = r'''
- name: Decide the current primary
  ansible.builtin.set_fact:
    redis_current_primary: "{{ nodes | redis_ops.replication.current_primary(groups['redis_master'][0],
                               sentinels=sentinel_views, master_name='mymaster') }}"
'''

RETURN = r'''
_value:
  description: The current primary.
  type: dict
  contains:
    host:
      description: Inventory name of the primary.
      type: str
    address:
      description: Address replicas and Sentinels use for it.
      type: str
    port:
      description: Its port.
      type: int
    source:
      description: How it was decided, V(sentinel), V(replication) or V(inventory).
      type: str
'''

from ansible.errors import AnsibleFilterError


def _node_at(nodes: list, address: str, port) -> dict | None:
    for node in nodes:
        if str(node.get('address')) == str(address) and int(node.get('port')) == int(port):
            return node
    return None


def _result(node: dict, source: str) -> dict:
    return dict(host=node['host'], address=str(node['address']), port=int(node['port']), source=source)


def _from_sentinels(nodes: list, sentinels: list, master_name: str) -> dict | None:
    views = {}
    for sentinel in sentinels:
        facts = sentinel.get('facts') or {}
        master = (facts.get('masters') or {}).get(master_name)
        if master:
            views[sentinel['host']] = (str(master['host']), int(master['port']))
    if not views:
        return None
    votes: dict = {}
    for view in views.values():
        votes[view] = votes.get(view, 0) + 1
    best, count = max(votes.items(), key=lambda item: item[1])
    if count * 2 <= len(views):
        raise AnsibleFilterError(
            'the Sentinels disagree on the primary of %s and no majority exists: %s; resolve this before running '
            'the playbook again' % (master_name, ', '.join(
                '%s says %s:%s' % (host, view[0], view[1]) for host, view in sorted(views.items()))))
    node = _node_at(nodes, *best)
    if node is None:
        raise AnsibleFilterError(
            'the Sentinels (%s) agree that the primary of %s is %s:%s, which is not a data node of this inventory'
            % (', '.join(sorted(views)), master_name, best[0], best[1]))
    return _result(node, 'sentinel')


def _from_replication(nodes: list) -> dict | None:
    followed = set()
    for node in nodes:
        facts = node.get('facts') or {}
        if facts.get('role') == 'replica' and facts.get('primary_host') is not None:
            followed.add((str(facts['primary_host']), int(facts['primary_port'])))
    primaries = [node for node in nodes
                 if (node.get('facts') or {}).get('role') == 'primary' and
                 (str(node['address']), int(node['port'])) in followed]
    if len(primaries) > 1:
        raise AnsibleFilterError(
            'several nodes are primaries with replicas: %s; the fleet is split, resolve it before running the '
            'playbook again' % ', '.join('%s (%s:%s)' % (n['host'], n['address'], n['port']) for n in primaries))
    return _result(primaries[0], 'replication') if primaries else None


def current_primary(nodes, inventory_primary, sentinels=None, master_name='mymaster'):
    if not isinstance(nodes, list) or not nodes:
        raise AnsibleFilterError('current_primary expects a non-empty list of data nodes')
    found = _from_sentinels(nodes, sentinels or [], master_name) or _from_replication(nodes)
    if found:
        return found
    for node in nodes:
        if node['host'] == inventory_primary:
            return _result(node, 'inventory')
    raise AnsibleFilterError('the inventory primary %s is not among the data nodes' % inventory_primary)


class FilterModule:
    def filters(self):
        return {'current_primary': current_primary}
