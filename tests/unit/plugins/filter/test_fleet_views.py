# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleet_views: what the discovery tasks registered, turned into current_primary's input."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.fleet_views import FilterModule, fleet_views


def discovered(key, facts, **flags):
    return dict(flags, ansible_facts={key: facts})


HOSTVARS = {
    'r1': dict(redis_ops_address='10.0.0.1', redis_ops_port='6379',
               _redis_discovered_node=discovered('redis_replication', {'role': 'primary'}),
               _redis_discovered_sentinel=discovered('redis_sentinel', {'masters': {'m': {}}})),
    'r2': dict(redis_ops_address='10.0.0.2', redis_ops_port=6380,
               _redis_discovered_node=discovered('redis_replication', {'role': 'replica'}, failed=True),
               _redis_discovered_sentinel=discovered('redis_sentinel', {'masters': {}}, skipped=True)),
    'r3': dict(redis_ops_address='10.0.0.3', redis_ops_port=6381, _redis_discovered_node='not a result',
               _redis_discovered_sentinel=dict(ansible_facts=None)),
    's4': dict(_redis_discovered_sentinel=dict(changed=False)),
    's5': {},
}


def test_nodes_and_sentinels_with_the_facts_of_the_tasks_that_worked():
    views = fleet_views(HOSTVARS, ['r1', 'r2', 'r3'], ['r1', 'r2', 'r3', 's4', 's5'])
    assert views == dict(
        nodes=[dict(host='r1', address='10.0.0.1', port=6379, facts={'role': 'primary'}),
               dict(host='r2', address='10.0.0.2', port=6380, facts=None),
               dict(host='r3', address='10.0.0.3', port=6381, facts=None)],
        sentinels=[dict(host='r1', facts={'masters': {'m': {}}}), dict(host='r2', facts=None),
                   dict(host='r3', facts=None), dict(host='s4', facts=None), dict(host='s5', facts=None)])
    assert fleet_views(HOSTVARS, ['r1'])['sentinels'] == []


def test_a_data_node_that_was_not_read_stops_the_play():
    with pytest.raises(AnsibleFilterError, match=r'^the live state of s4, s5 was not read \(a --limit'):
        fleet_views(HOSTVARS, ['r1', 's4', 's5'])


def test_registered_under_its_name():
    assert FilterModule().filters() == {'fleet_views': fleet_views}
