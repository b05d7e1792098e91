# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: sentinel_drift
short_description: Compare what each Sentinel knew at discovery with the fleet the inventory describes
version_added: 0.1.0
description:
  - Reads, for each Sentinel, the registered result C(_redis_discovered_sentinel) the collection's discovery tasks
    leave, and compares its view of O(master_name) with the inventory, address by address (a host name and the
    address it resolves to are the same machine).
  - A Sentinel is C(settled) when it was read, monitors O(primary), knows every other data node as a replica and
    every other Sentinel, holds no entry outside them, and its CKQUORUM passes. C(site.yml) skips its last reads
    (the reset of stale entries, the wait until the Sentinels settle) when nothing changed in the run and every
    Sentinel was settled already at discovery.
  - Names that do not resolve on the controller count as different machines, so an unsure answer is never
    C(settled) and never hides a stale entry; the playbook then reads and waits as it would without this filter.
author:
  - Redis Ops Team (@redis-ops)
positional: sentinel_hosts, master_name
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  sentinel_hosts:
    description: Inventory names of the Sentinels.
    type: list
    elements: str
    required: true
  master_name:
    description: The monitored primary's name (C(redis_sentinel_master_name)).
    type: str
    required: true
  primary:
    description: The current primary as discovery decided it (C(redis_primary)), with C(address) and C(port).
    type: dict
    required: true
  replicas:
    description:
      - Every data node as the Sentinels should list it, C(host) and C(port) each
        (P(redis_ops.replication.announced_addresses#filter) with kind C(replica)). The current primary may be
        among them; it is left out.
    type: list
    elements: dict
    required: true
  sentinels:
    description:
      - Every Sentinel as the others should list it, C(host) and C(port) each, in the order of O(sentinel_hosts)
        (P(redis_ops.replication.announced_addresses#filter) with kind C(sentinel)).
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Skip the wait when every Sentinel already knew the whole fleet
  ansible.builtin.debug:
    msg: "{{ drift.settled }}"
  vars:
    drift: >-
      {{ hostvars | redis_ops.replication.sentinel_drift(groups['redis_sentinel'], 'mymaster',
         primary=redis_primary,
         replicas=groups['redis_replica'] | redis_ops.replication.announced_addresses(hostvars, 'replica'),
         sentinels=groups['redis_sentinel'] | redis_ops.replication.announced_addresses(hostvars, 'sentinel')) }}
'''

RETURN = r'''
_value:
  description:
    - C(sentinels), one entry per Sentinel host with C(read) (bool), C(settled) (bool), C(stale) (addresses it lists
      that the inventory does not have) and C(missing) (addresses of the inventory it does not list); C(settled)
      (every Sentinel settled) and C(stale) (some Sentinel holds a stale entry, or one could not be read).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    cached_resolver,
    same_address,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    missing_entries,
    stale_entries,
)

_RESOLVE = cached_resolver()


def _same(host_a, host_b) -> bool:
    return same_address(host_a, host_b, _RESOLVE)


def _endpoints(entries, option: str) -> list:
    try:
        return [(str(entry['host']), int(entry['port'])) for entry in entries]
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('sentinel_drift: every entry of %s needs host and port (%s)' % (option, exc))


def _master(hostvars, host: str, master_name: str):
    result = hostvars[host].get('_redis_discovered_sentinel') if host in hostvars else None
    if not isinstance(result, dict) or result.get('skipped') or not result.get('ansible_facts'):
        return None
    return ((result['ansible_facts'].get('redis_sentinel') or {}).get('masters') or {}).get(master_name)


def _one(master, primary: tuple, replicas: list, others: list) -> dict:
    if not master:
        return dict(read=False, settled=False, stale=[], missing=[])
    monitors_primary = str(master.get('port')) == str(primary[1]) and _same(master.get('host'), primary[0])
    expected = [entry for entry in replicas if not (entry[1] == primary[1] and _same(entry[0], primary[0]))]
    stale = stale_entries(master.get('replicas') or [], expected, _same) + \
        stale_entries(master.get('sentinels') or [], others, _same)
    missing = missing_entries(master.get('replicas') or [], expected, _same) + \
        missing_entries(master.get('sentinels') or [], others, _same)
    quorum = bool((master.get('ckquorum') or {}).get('ok'))
    return dict(read=True, settled=monitors_primary and quorum and not stale and not missing, stale=stale,
                missing=missing)


def sentinel_drift(hostvars, sentinel_hosts, master_name, primary=None, replicas=None, sentinels=None):
    sentinel_hosts = list(sentinel_hosts or [])
    if not isinstance(primary, dict) or 'address' not in primary or 'port' not in primary:
        raise AnsibleFilterError('sentinel_drift: primary must be the redis_primary discovery set (address, port)')
    replica_list = _endpoints(replicas or [], 'replicas')
    sentinel_list = _endpoints(sentinels or [], 'sentinels')
    if len(sentinel_list) != len(sentinel_hosts):
        raise AnsibleFilterError('sentinel_drift: sentinels must have one address per host of sentinel_hosts '
                                 '(%d addresses for %d hosts)' % (len(sentinel_list), len(sentinel_hosts)))
    current = (str(primary['address']), int(primary['port']))
    views = {}
    for index, host in enumerate(sentinel_hosts):
        others = sentinel_list[:index] + sentinel_list[index + 1:]
        views[host] = _one(_master(hostvars, host, master_name), current, replica_list, others)
    return dict(sentinels=views, settled=all(view['settled'] for view in views.values()),
                stale=any(view['stale'] or not view['read'] for view in views.values()))


class FilterModule:
    def filters(self):
        return {'sentinel_drift': sentinel_drift}
