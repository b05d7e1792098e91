# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: data_nodes
short_description: The data nodes of the inventory, each once
version_added: 0.2.0
description:
  - The hosts of the groups C(redis_master) and C(redis_replica), in that order and each once (a host in both is
    named once, where it comes first). Either group may be missing.
  - The one definition of "data node" that the roles and playbooks use, instead of a group expression repeated in
    each of them.
author:
  - Redis Ops Team (@redis-ops)
options:
  _input:
    description: The C(groups) magic variable.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Only on data nodes
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is a data node"
  when: inventory_hostname in groups | redis_ops.replication.data_nodes
'''

RETURN = r'''
_value:
  description: Inventory host names.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError

DATA_GROUPS = ('redis_master', 'redis_replica')


def data_nodes(groups) -> list:
    if not isinstance(groups, dict):
        raise AnsibleFilterError('data_nodes expects the groups variable (a dict of group names to hosts), got %s'
                                 % type(groups).__name__)
    hosts: list = []
    for group in DATA_GROUPS:
        for host in groups.get(group) or []:
            if host not in hosts:
                hosts.append(host)
    return hosts


class FilterModule:
    def filters(self):
        return {'data_nodes': data_nodes}
