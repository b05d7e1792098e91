# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""announced_addresses: where the Sentinels know each host's replica and Sentinel."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.announced_addresses import announced_addresses

HOSTVARS = {
    'a': dict(redis_ops_address='10.0.0.1'),
    'b': dict(redis_ops_address='10.0.0.2', redis_port=6380, redis_sentinel_port='26380'),
    'c': dict(redis_ops_address='10.0.0.3', redis_replica_announce_ip='192.0.2.3', redis_replica_announce_port=7000,
              redis_sentinel_announce_ip='192.0.2.4', redis_sentinel_announce_port='0'),
    'd': dict(ansible_host='d.example', redis_replica_announce_ip=''),
}


def test_replicas_use_the_announced_address_else_the_discovered_one():
    assert announced_addresses(['a', 'b', 'c', 'd'], HOSTVARS, 'replica') == [
        dict(host='10.0.0.1', port=6379), dict(host='10.0.0.2', port=6380), dict(host='192.0.2.3', port=7000),
        dict(host='d.example', port=6379)]


def test_sentinels_use_the_announced_address_else_the_discovered_one():
    assert announced_addresses(['a', 'b', 'c'], HOSTVARS, 'sentinel') == [
        dict(host='10.0.0.1', port=26379), dict(host='10.0.0.2', port=26380), dict(host='192.0.2.4', port=26379)]


def test_unknown_kind_is_refused():
    with pytest.raises(AnsibleFilterError, match='kind must be replica or sentinel'):
        announced_addresses(['a'], HOSTVARS, 'primary')
