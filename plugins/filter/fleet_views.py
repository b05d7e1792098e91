# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_views
short_description: Collect what every node and Sentinel reported, as input for current_primary
version_added: 0.1.0
description:
  - Reads, for each data node, C(redis_ops_address), C(redis_ops_port) and what the collection's discovery tasks
    registered, and returns it in the shape P(redis_ops.replication.current_primary#filter) takes. It reads the
    result C(_redis_discovered) of a data node's read (the read of the Sentinel beside it under its key C(sentinel)), and
    for a host that is only a Sentinel the result C(_redis_discovered_sentinel_only). Where those are not set, the
    results kept apart as C(_redis_discovered_node) and C(_redis_discovered_sentinel) are read instead.
  - A data node whose state was not read stops the play with a message naming it, always when C(--limit) left it
    out (it is not in O(play_hosts)), and when it was unreachable (in O(play_hosts) but not read) unless
    O(unreachable_ok) is set.
  - A node or Sentinel that answered but refused the login (the inventory's password is not the server's, as after
    a password was changed in the inventory only) stops the play with a message naming the hosts and pointing at the
    rotation procedure (C(playbooks/rotate_passwords.yml)).
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
  play_hosts:
    description:
      - The hosts of the discovery play, C(ansible_play_hosts_all) (those C(--limit) left in, reachable or not).
        Without it every host not read is treated as left out.
    type: list
    elements: str
  unreachable_ok:
    description:
      - Return unreachable hosts in C(unreachable) and C(unreachable_nodes) instead of stopping; the caller then
        decides (P(redis_ops.replication.current_primary#filter) does, with its C(unreachable) option).
    type: bool
    default: false
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
  description:
    - C(nodes) (host, address, port, facts) of the data nodes read, C(sentinels) (host, facts; facts null when the
      Sentinel did not answer or was not reached), C(unreachable) (every host of the fleet that was not reached) and
      C(unreachable_nodes) (the data nodes among them).
  type: dict
'''


from ansible.errors import AnsibleFilterError


def _facts(result, key):
    if not isinstance(result, dict) or result.get('failed') or result.get('skipped'):
        return None
    return (result.get('ansible_facts') or {}).get(key)


def _not_read(hostvars, hosts) -> list:
    return [host for host in hosts if 'redis_ops_address' not in hostvars[host]]


def _refused_login(result) -> bool:
    """Whether a read failed because the server refused the inventory's credentials (not: nothing answered).

    The discovery tasks register with failed_when: false, which clears 'failed'; the module's message stays. A read
    that failed may still carry the host's own facts (replication_facts' gather_subset), never the server's.
    """
    if not isinstance(result, dict):
        return False
    facts = result.get('ansible_facts') or {}
    return 'redis_replication' not in facts and 'redis_sentinel' not in facts and \
        str(result.get('msg', '')).startswith('authentication to ')


def _node_result(variables):
    """The data node's read: the discovery task's registered result (its 'sentinel' key is the Sentinel's)."""
    if '_redis_discovered' in variables:
        return variables['_redis_discovered']
    return variables.get('_redis_discovered_node')


def _sentinel_result(variables, data_node: bool):
    """The Sentinel's read: beside a data node, in that read's result; on a host that is only a Sentinel, its own."""
    if data_node and '_redis_discovered' in variables:
        read = variables['_redis_discovered']
        if not isinstance(read, dict) or read.get('skipped'):
            return None
        return read.get('sentinel') or dict(failed=True, msg='not read: %s' % read.get('msg', ''))
    if not data_node and '_redis_discovered_sentinel_only' in variables:
        return variables['_redis_discovered_sentinel_only']
    return variables.get('_redis_discovered_sentinel')


def _refuse_changed_passwords(hostvars, data_hosts, sentinel_hosts, all_data_hosts) -> None:
    refused = [host for host in data_hosts if _refused_login(_node_result(hostvars[host]))]
    refused += ['%s (Sentinel)' % host for host in sentinel_hosts
                if _refused_login(_sentinel_result(hostvars[host], host in all_data_hosts))]
    if refused:
        raise AnsibleFilterError(
            'the servers on %s refused the password the inventory gives; nothing was changed. A changed '
            'redis_password is rotated with playbooks/rotate_passwords.yml (phases add, switch, drop with '
            'redis_password_previous: README "Rotating passwords"), not with this playbook (a changed '
            'redis_sentinel_password is not covered by it yet); otherwise check the inventory\'s passwords'
            % ', '.join(refused))


def fleet_views(hostvars, data_hosts, sentinel_hosts=None, play_hosts=None, unreachable_ok=False):
    sentinel_hosts = list(sentinel_hosts or [])
    in_play = set(play_hosts) if play_hosts is not None else set()
    unread = _not_read(hostvars, data_hosts)
    limited = [host for host in unread if host not in in_play]
    if limited:
        raise AnsibleFilterError(
            'the live state of %s was not read (%s); the current primary cannot be decided without every data node'
            % (', '.join(limited), 'a --limit that leaves data nodes out' if play_hosts is not None else
               'a --limit that leaves data nodes out, or hosts that are unreachable'))
    if unread and not unreachable_ok:
        raise AnsibleFilterError(
            'the live state of %s was not read (hosts that are unreachable); this playbook needs every data node: '
            'bring them back first (site.yml can converge the others meanwhile)' % ', '.join(unread))
    _refuse_changed_passwords(hostvars, [host for host in data_hosts if host not in unread],
                              [host for host in sentinel_hosts if host in hostvars], set(data_hosts))
    nodes = []
    for host in data_hosts:
        if host in unread:
            continue
        variables = hostvars[host]
        nodes.append(dict(host=host, address=str(variables['redis_ops_address']), port=int(variables['redis_ops_port']),
                          facts=_facts(_node_result(variables), 'redis_replication')))
    sentinels = [dict(host=host, facts=_facts(_sentinel_result(hostvars[host], host in data_hosts), 'redis_sentinel'))
                 for host in sentinel_hosts]
    fleet = list(dict.fromkeys(list(data_hosts) + sentinel_hosts))
    unreachable = sorted(host for host in _not_read(hostvars, fleet) if host in in_play)
    return dict(nodes=nodes, sentinels=sentinels, unreachable=unreachable, unreachable_nodes=sorted(unread))


class FilterModule:
    def filters(self):
        return {'fleet_views': fleet_views}
