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
  - 1. the primary that a majority of B(all configured) Sentinels agree on (a Sentinel that did not answer, or
    that does not monitor O(master_name), counts as not agreeing);
  - 2. otherwise the single node that reports C(role:master) and that another node replicates from;
  - 3. otherwise (a fresh fleet) the inventory's primary.
  - Sentinels that disagree with no majority, or two nodes that both are primaries with replicas, are an error
    that names the nodes; the filter never guesses. So is a view of the answering Sentinels that is not a majority
    of all configured and contradicts rule 2 or 3.
  - With O(unreachable) data nodes only rule 1 can decide, and only for a primary among the nodes that answered;
    otherwise the filter stops with a message naming the unreachable nodes.
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
  unreachable:
    description:
      - Inventory names of the data nodes whose host could not be reached (they are not in the input list).
    type: list
    elements: str
    default: []
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
    sentinels_agreeing:
      description: How many Sentinels named this primary (0 unless C(source) is V(sentinel)).
      type: int
    sentinels_configured:
      description: How many Sentinels are configured (the input O(sentinels)).
      type: int
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    cached_resolver,
    find_endpoint,
    format_address,
    same_address,
    tally,
)

# Sentinels and replicas report addresses, the inventory may hold names: each name is resolved once per run.
_RESOLVE = cached_resolver()


def _node_at(nodes: list, address: str, port) -> dict | None:
    return find_endpoint(nodes, address, int(port), _RESOLVE)


def _same_endpoint(a: tuple, b: tuple) -> bool:
    return int(a[1]) == int(b[1]) and same_address(a[0], b[0], _RESOLVE)


def _result(node: dict, source: str, agreeing: int = 0, configured: int = 0) -> dict:
    return dict(host=node['host'], address=str(node['address']), port=int(node['port']), source=source,
                sentinels_agreeing=agreeing, sentinels_configured=configured)


def _sentinel_views(sentinels: list, master_name: str) -> dict:
    """{sentinel host: (address, port)} of the Sentinels that answered and monitor master_name."""
    views = {}
    for sentinel in sentinels:
        facts = sentinel.get('facts') or {}
        master = (facts.get('masters') or {}).get(master_name)
        if master:
            views[sentinel['host']] = (str(master['host']), int(master['port']))
    return views


def _described(views: dict) -> str:
    return ', '.join('%s says %s' % (host, format_address(*view)) for host, view in sorted(views.items()))


def _leading_view(views: dict, master_name: str) -> tuple:
    """The view most answering Sentinels hold and how many hold it; an error when no majority of them agrees."""
    best, voters = tally(views.items())[0]
    count = len(voters)
    if count * 2 <= len(views):
        raise AnsibleFilterError(
            'the Sentinels disagree on the primary of %s and no majority exists: %s; resolve this before running '
            'the playbook again' % (master_name, _described(views)))
    return best, count


def _from_sentinels(nodes: list, sentinels: list, master_name: str, unreachable: list) -> dict | None:
    """Rule 1: the primary a majority of all configured Sentinels agree on; None when there is no such majority."""
    views = _sentinel_views(sentinels, master_name)
    if not views:
        return None
    best, count = _leading_view(views, master_name)
    if count * 2 <= len(sentinels):
        return None
    node = _node_at(nodes, *best)
    if node is None and unreachable:
        raise AnsibleFilterError(
            '%d of the %d configured Sentinels (%s) agree that the primary of %s is %s, which is none of the '
            'data nodes that could be reached; %s unreachable, so nothing is converged: bring the primary\'s host '
            'back, or wait until the Sentinels fail over to a reachable node'
            % (count, len(sentinels), ', '.join(sorted(h for h, v in views.items() if v == best)), master_name,
               format_address(*best), ', '.join(sorted(unreachable)) + (' is' if len(unreachable) == 1 else ' are')))
    if node is None:
        raise AnsibleFilterError(
            'the Sentinels (%s) agree that the primary of %s is %s, which is not a data node of this inventory'
            % (', '.join(sorted(views)), master_name, format_address(*best)))
    return _result(node, 'sentinel', count, len(sentinels))


def _from_replication(nodes: list) -> dict | None:
    followed = []
    for node in nodes:
        facts = node.get('facts') or {}
        if facts.get('role') == 'replica' and facts.get('primary_host') is not None:
            followed.append(dict(address=str(facts['primary_host']), port=int(facts['primary_port'])))
    primaries = [node for node in nodes
                 if (node.get('facts') or {}).get('role') == 'primary' and
                 find_endpoint(followed, node['address'], int(node['port']), _RESOLVE) is not None]
    if len(primaries) > 1:
        raise AnsibleFilterError(
            'several nodes are primaries with replicas: %s; the fleet is split, resolve it before running the '
            'playbook again' % ', '.join('%s (%s)' % (n['host'], format_address(n['address'], n['port'])) for n in primaries))
    return _result(primaries[0], 'replication') if primaries else None


def _from_inventory(nodes: list, inventory_primary: str) -> dict:
    for node in nodes:
        if node['host'] == inventory_primary:
            return _result(node, 'inventory')
    raise AnsibleFilterError('the inventory primary %s is not among the data nodes' % inventory_primary)


def _check_minority(found: dict, sentinels: list, master_name: str) -> None:
    """Answering Sentinels that are too few to decide must not contradict what rules 2 and 3 found."""
    views = _sentinel_views(sentinels, master_name)
    if not views:
        return
    best, count = _leading_view(views, master_name)
    if not _same_endpoint(best, (found['address'], found['port'])):
        raise AnsibleFilterError(
            'only %d of the %d configured Sentinels name a primary of %s (%s), not a majority of all of them, and '
            'the %s names %s (%s) instead; the current primary is not certain: bring the other Sentinels back '
            'or resolve the difference before running the playbook again'
            % (count, len(sentinels), master_name, _described(views),
               'replication state' if found['source'] == 'replication' else 'inventory', found['host'],
               format_address(found['address'], found['port'])))


def current_primary(nodes, inventory_primary, sentinels=None, master_name='mymaster', unreachable=None):
    unreachable = list(unreachable or [])
    if not isinstance(nodes, list) or not (nodes or unreachable):
        raise AnsibleFilterError('current_primary expects a non-empty list of data nodes')
    sentinels = sentinels or []
    found = _from_sentinels(nodes, sentinels, master_name, unreachable)
    if found:
        return found
    if unreachable:
        views = _sentinel_views(sentinels, master_name)
        raise AnsibleFilterError(
            'the live state of %s was not read (hosts that are unreachable); the current primary cannot be decided '
            'without every data node unless a majority of all %d configured Sentinels agree on a reachable primary, '
            'and %s' % (', '.join(sorted(unreachable)), len(sentinels),
                        ('only these answered: %s' % _described(views)) if views else 'none of them named one'))
    found = _from_replication(nodes) or _from_inventory(nodes, inventory_primary)
    _check_minority(found, sentinels, master_name)
    return found


class FilterModule:
    def filters(self):
        return {'current_primary': current_primary}
