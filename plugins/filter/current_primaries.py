# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: current_primaries
short_description: Decide the current primary of every replication group in the run
version_added: 0.3.0
description:
  - For each group of the P(redis_ops.replication.replication_groups#filter) model that is in the run, reads what its
    data nodes and the Sentinels that watch it reported (P(redis_ops.replication.fleet_views#filter)) and applies the
    collection's rule (P(redis_ops.replication.current_primary#filter)) with the group's master name. A group decides
    on its own; the Sentinels of one group, or its failover, change nothing in another.
  - A problem in one group stops the play, naming the group when the inventory has several (nothing is changed
    anywhere; the fleet is converged as a whole or not at all).
  - Groups not in the run (C(--limit) to other groups) are not read and get no entry.
author:
  - Redis Ops Team (@redis-ops)
positional: hostvars
options:
  _input:
    description: The result of P(redis_ops.replication.replication_groups#filter).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  play_hosts:
    description: C(ansible_play_hosts_all), as for P(redis_ops.replication.fleet_views#filter).
    type: list
    elements: str
  unreachable_ok:
    description: As for P(redis_ops.replication.fleet_views#filter).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Decide the current primary of each group
  ansible.builtin.set_fact:
    redis_ops_primaries: "{{ (_model | redis_ops.replication.current_primaries(hostvars, play_hosts=ansible_play_hosts_all)).primaries }}"
'''

RETURN = r'''
_value:
  description: The decision.
  type: dict
  contains:
    primaries:
      description: Master name to what P(redis_ops.replication.current_primary#filter) returns for the group.
      type: dict
    unreachable:
      description: Hosts of the groups in the run that were in the play but not read (only with O(unreachable_ok)).
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.current_primary import current_primary
from ansible_collections.redis_ops.replication.plugins.filter.fleet_views import fleet_views


def current_primaries(model, hostvars, play_hosts=None, unreachable_ok=False):
    if not isinstance(model, dict) or 'groups' not in model:
        raise AnsibleFilterError('current_primaries expects the result of replication_groups')
    if model.get('problems'):
        raise AnsibleFilterError('; '.join(model['problems']))
    groups = [group for group in model['groups'] if group['in_run']]
    if not groups:
        raise AnsibleFilterError('no data node is in this run (a --limit that leaves every data node out); the '
                                 'current primary cannot be decided without them')
    primaries, unreachable = {}, set()
    for group in groups:
        try:
            views = fleet_views(hostvars, group['data_nodes'], group['sentinels'], play_hosts=play_hosts,
                                unreachable_ok=unreachable_ok)
            primaries[group['master_name']] = current_primary(
                views['nodes'], group['primary'], sentinels=views['sentinels'], master_name=group['master_name'],
                unreachable=views['unreachable_nodes'])
        except AnsibleFilterError as exc:
            if not model['multi']:
                raise
            raise AnsibleFilterError('replication group %s: %s' % (group['master_name'], exc.message))
        unreachable.update(views['unreachable'])
    return dict(primaries=primaries, unreachable=sorted(unreachable))


class FilterModule:
    def filters(self):
        return {'current_primaries': current_primaries}
