# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one definition of the inventory's data nodes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.data_nodes import FilterModule, data_nodes


def test_primary_first_then_replicas_each_once():
    groups = dict(all=['a', 'b', 'c', 's'], redis_master=['a'], redis_replica=['b', 'a', 'c'], redis_sentinel=['s', 'a'])
    assert data_nodes(groups) == ['a', 'b', 'c']


def test_missing_groups_are_empty():
    assert data_nodes(dict(redis_replica=['b'])) == ['b']
    assert data_nodes(dict(redis_master=['a'], redis_replica=None)) == ['a']
    assert data_nodes({}) == []


def test_refuses_what_is_not_groups():
    with pytest.raises(AnsibleFilterError, match='expects the groups variable'):
        data_nodes(['a'])


def test_registered_under_its_name():
    assert FilterModule().filters()['data_nodes'] is data_nodes
