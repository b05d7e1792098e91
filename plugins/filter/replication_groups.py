# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: replication_groups
short_description: The replication groups of the inventory, each with its data nodes, first primary and Sentinels
version_added: 0.3.0
description:
  - The one definition of the collection's inventory model. A replication group is a primary with its replicas, known
    to Sentinel by one master name. The data nodes (hosts of C(redis_master) and C(redis_replica)) are grouped by
    their C(redis_sentinel_master_name) (default C(mymaster)); an inventory whose data nodes all share one name is one
    group, as every inventory before 0.3.0 was.
  - Each group has exactly one data node in C(redis_master), its primary at first deployment.
  - A Sentinel (host of C(redis_sentinel)) watches the groups named in its C(redis_sentinel_master_names), or every
    group when that is not set; one Sentinel process monitors each of them under its master name.
  - With several groups, a Sentinel's own C(redis_sentinel_master_name) is not read (a host in the Ansible groups of
    two replication groups gets one of their values). With one group, a Sentinel whose inventory sets
    C(redis_sentinel_master_name) to another name than the data nodes' is a problem, not a second group.
  - A group is in the run when one of its data nodes is in O(play_hosts); the other groups are left alone, also by
    the Sentinels that watch them (C(--limit) to one group). The groups in the run must have every data node in the
    run, or else the current primary cannot be decided (P(redis_ops.replication.current_primaries#filter) says so).
author:
  - Redis Ops Team (@redis-ops)
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
  play_hosts:
    description: The hosts of the play (C(ansible_play_hosts_all)); without it every group is in the run.
    type: list
    elements: str
  defaults:
    description:
      - Values for the per-group settings that a group's first primary does not set in the inventory (the role's
        defaults), for C(redis_sentinel_master_name), C(redis_sentinel_quorum) and C(redis_min_replicas_to_write).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Name the groups
  ansible.builtin.debug:
    msg: "{{ item.master_name }}: primary {{ item.primary }}, replicas {{ item.data_nodes | difference([item.primary]) }}"
  loop: "{{ (hostvars | redis_ops.replication.replication_groups(groups)).groups }}"
'''

RETURN = r'''
_value:
  description: The model.
  type: dict
  contains:
    multi:
      description: Whether the inventory has more than one group.
      type: bool
    groups:
      description:
        - One entry per group, in the order of their first data node in C(redis_master) and C(redis_replica), with
          C(master_name), C(primary) (the inventory's first primary, or null when the group has none or several),
          C(data_nodes), C(sentinels) (the Sentinels that watch it), C(in_run).
      type: list
      elements: dict
    problems:
      description: What is wrong with the model, one message each; empty for a valid inventory.
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.data_nodes import data_nodes

DEFAULT_MASTER_NAME = 'mymaster'


def group_setting(hostvars, host: str, name: str, defaults: dict, fallback=None):
    """A variable as the inventory sets it for host, else its default (hostvars hold no role defaults)."""
    variables = hostvars[host] if host in hostvars else {}
    if name in variables:
        return variables[name]
    return defaults.get(name, fallback)


def settings_host(group: dict) -> str:
    """The host whose inventory variables are the group's settings: its first primary (or first data node)."""
    return group['primary'] or group['data_nodes'][0]


def groups_in_run(model, primaries, caller: str):
    """(group, its current primary) for each group of the model in the run; the model and primaries checked."""
    if not isinstance(model, dict) or 'groups' not in model:
        raise AnsibleFilterError('%s expects the result of replication_groups' % caller)
    for group in model['groups']:
        if not group['in_run']:
            continue
        if group['master_name'] not in (primaries or {}):
            raise AnsibleFilterError('%s: no current primary is known for %s (discovery sets redis_ops_primaries)'
                                     % (caller, group['master_name']))
        yield group, primaries[group['master_name']]


def _watched(hostvars, host: str):
    """The master names a Sentinel is told to watch, or None for every group."""
    variables = hostvars[host] if host in hostvars else {}
    if 'redis_sentinel_master_names' not in variables:
        return None
    names = variables['redis_sentinel_master_names']
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('%s: redis_sentinel_master_names is %r; expected a list of master names' % (host, names))
    return [str(name) for name in names]


def _int(value, what: str, problems: list):
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append('%s is %s; expected a whole number' % (what, value))
        return None


def _label(group: dict, multi: bool) -> str:
    return 'replication group %s: ' % group['master_name'] if multi else ''


def _shape_problems(group: dict, multi: bool, masters: list, hostvars, defaults: dict) -> list:
    problems, label = [], _label(group, multi)
    if len(masters) != 1:
        if multi:
            problems.append('%sexactly one of its data nodes must be in the inventory group redis_master (its primary '
                            'at first deployment); it has %d: %s' % (label, len(masters), ', '.join(masters) or 'none'))
        else:
            problems.append('the inventory group redis_master must hold exactly one host (the primary at first '
                            'deployment); it holds %d: %s' % (len(masters), ', '.join(masters)))
    source = settings_host(group)
    quorum = _int(group_setting(hostvars, source, 'redis_sentinel_quorum', defaults, 2),
                  '%sredis_sentinel_quorum' % label, problems)
    if quorum is not None and group['sentinels'] and not 1 <= quorum <= len(group['sentinels']):
        problems.append('%sredis_sentinel_quorum is %s but must be between 1 and the number of Sentinels (%d%s)'
                        % (label, quorum, len(group['sentinels']),
                           ' that watch it: %s' % ', '.join(group['sentinels']) if multi else ''))
    replicas = [host for host in group['data_nodes'] if host not in masters]
    minimum = _int(group_setting(hostvars, source, 'redis_min_replicas_to_write', defaults, 0),
                   '%sredis_min_replicas_to_write' % label, problems)
    if minimum is not None and minimum > len(replicas):
        problems.append('%sredis_min_replicas_to_write is %s but the inventory has only %d replica(s)%s: the primary '
                        'would refuse every write' % (label, minimum, len(replicas),
                                                      ' in this group' if multi else ''))
    return problems


def replication_groups(hostvars, groups, play_hosts=None, defaults=None):
    if not isinstance(groups, dict):
        raise AnsibleFilterError('replication_groups expects the groups variable, got %s' % type(groups).__name__)
    defaults = dict(defaults or {})
    default_name = str(defaults.get('redis_sentinel_master_name', DEFAULT_MASTER_NAME))
    in_play = set(play_hosts) if play_hosts is not None else None
    masters_group = set(groups.get('redis_master') or [])
    sentinels = list(dict.fromkeys(groups.get('redis_sentinel') or []))

    by_name: dict = {}
    for host in data_nodes(groups):
        name = str(group_setting(hostvars, host, 'redis_sentinel_master_name', defaults, default_name))
        by_name.setdefault(name, []).append(host)
    multi = len(by_name) > 1
    problems: list = []
    watched = {host: _watched(hostvars, host) for host in sentinels}
    known = list(by_name)
    for host, names in watched.items():
        unknown = [name for name in names or [] if name not in by_name]
        if unknown:
            problems.append('%s: redis_sentinel_master_names names %s, which no data node has as its '
                            'redis_sentinel_master_name (the groups are: %s)'
                            % (host, ', '.join(unknown), ', '.join(known) or 'none'))
        if names is not None and not names:
            problems.append('%s: redis_sentinel_master_names is empty; a Sentinel must watch at least one group '
                            '(leave it unset to watch every group)' % host)

    if not by_name:
        problems.append('the inventory group redis_master must hold exactly one host (the primary at first '
                        'deployment); it holds 0: ')
    elif not multi:
        name = known[0]
        differing = sorted(host for host in sentinels if host in hostvars and host not in by_name[name]
                           and 'redis_sentinel_master_name' in hostvars[host]
                           and str(hostvars[host]['redis_sentinel_master_name']) != name)
        if differing:
            problems.append('redis_sentinel_master_name is %s on the data nodes but %s on the Sentinel(s) %s; set one '
                            'name for the whole replication group (group_vars/all), or give each group of data '
                            'nodes its own name to have several groups'
                            % (name, ', '.join(sorted({str(hostvars[h]['redis_sentinel_master_name'])
                                                       for h in differing})), ', '.join(differing)))

    model = []
    for name, hosts in by_name.items():
        masters = [host for host in hosts if host in masters_group]
        group = dict(master_name=name, primary=masters[0] if len(masters) == 1 else None, data_nodes=hosts,
                     sentinels=[host for host in sentinels if watched[host] is None or name in watched[host]],
                     in_run=in_play is None or any(host in in_play for host in hosts))
        problems += _shape_problems(group, multi, masters, hostvars, defaults)
        model.append(group)
    return dict(multi=multi, groups=model, problems=problems)


class FilterModule:
    def filters(self):
        return {'replication_groups': replication_groups}
