# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: groups_drift
short_description: P(redis_ops.replication.sentinel_drift#filter) for every replication group in the run
version_added: 0.3.0
description:
  - For each group of the P(redis_ops.replication.replication_groups#filter) model that is in the run, compares what
    the Sentinels that watch it knew at discovery with the group's data nodes and Sentinels
    (P(redis_ops.replication.sentinel_drift#filter), with the addresses of
    P(redis_ops.replication.announced_addresses#filter)), and folds the answers per Sentinel.
author:
  - Redis Ops Team (@redis-ops)
positional: hostvars, primaries
options:
  _input:
    description: The result of P(redis_ops.replication.replication_groups#filter).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  primaries:
    description: The current primary of each group by master name (C(redis_ops_primaries)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Skip the wait when every Sentinel already knew its groups
  ansible.builtin.debug:
    msg: "{{ (redis_ops_groups | redis_ops.replication.groups_drift(hostvars, redis_ops_primaries)).settled }}"
'''

RETURN = r'''
_value:
  description: The comparison.
  type: dict
  contains:
    groups:
      description: Master name to what P(redis_ops.replication.sentinel_drift#filter) returns for the group.
      type: dict
    sentinels:
      description: Sentinel to C(settled), true when it is settled in every group in the run it watches.
      type: dict
    settled:
      description: Whether every Sentinel is settled in every group.
      type: bool
    stale:
      description: Whether any group has a Sentinel that holds a stale entry or could not be read.
      type: bool
'''

from ansible_collections.redis_ops.replication.plugins.filter.announced_addresses import announced_addresses
from ansible_collections.redis_ops.replication.plugins.filter.replication_groups import groups_in_run
from ansible_collections.redis_ops.replication.plugins.filter.sentinel_drift import sentinel_drift


def groups_drift(model, hostvars, primaries):
    groups, sentinels = {}, {}
    for group, primary in groups_in_run(model, primaries, 'groups_drift'):
        name = group['master_name']
        drift = sentinel_drift(hostvars, group['sentinels'], name, primary=primary,
                               replicas=announced_addresses(group['data_nodes'], hostvars, 'replica'),
                               sentinels=announced_addresses(group['sentinels'], hostvars, 'sentinel'))
        groups[name] = drift
        for host, view in drift['sentinels'].items():
            sentinels[host] = dict(settled=sentinels.get(host, {}).get('settled', True) and view['settled'])
    return dict(groups=groups, sentinels=sentinels,
                settled=all(drift['settled'] for drift in groups.values()),
                stale=any(drift['stale'] for drift in groups.values()))


class FilterModule:
    def filters(self):
        return {'groups_drift': groups_drift}
