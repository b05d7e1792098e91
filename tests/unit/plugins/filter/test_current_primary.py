# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule that decides the current primary (DESIGN decision 2)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.current_primary import FilterModule, current_primary


def node(host, address, role=None, primary=None, port=6379):
    facts = None
    if role == 'primary':
        facts = dict(role='primary')
    elif role == 'replica':
        facts = dict(role='replica', primary_host=primary[0], primary_port=primary[1])
    return dict(host=host, address=address, port=port, facts=facts)


def sentinel(host, address=None, port=6379):
    facts = dict(masters={'mymaster': dict(host=address, port=port)}) if address else None
    return dict(host=host, facts=facts)


A, B, C = '10.0.0.1', '10.0.0.2', '10.0.0.3'


def decided(host, address, source, port=6379, agreeing=0, configured=0):
    return dict(host=host, address=address, port=port, source=source, sentinels_agreeing=agreeing,
                sentinels_configured=configured)


def test_fresh_fleet_uses_the_inventory():
    nodes = [node('a', A), node('b', B), node('c', C)]
    assert current_primary(nodes, 'a') == decided('a', A, 'inventory')
    fresh_but_running = [node('a', A, 'primary'), node('b', B, 'primary')]
    assert current_primary(fresh_but_running, 'a')['source'] == 'inventory'


def test_replication_names_the_primary_after_a_manual_change():
    nodes = [node('a', A, 'replica', (B, 6379)), node('b', B, 'primary'), node('c', C, 'replica', (B, 6379))]
    assert current_primary(nodes, 'a') == decided('b', B, 'replication')


def test_sentinel_majority_wins_over_inventory_and_over_a_returning_old_primary():
    # 'a' came back as a primary without replicas; Sentinels already elected 'b'.
    nodes = [node('a', A, 'primary'), node('b', B, 'primary'), node('c', C, 'replica', (B, 6379))]
    sentinels = [sentinel('a', B), sentinel('b', B), sentinel('c', A)]
    assert current_primary(nodes, 'a', sentinels=sentinels) == decided('b', B, 'sentinel', agreeing=2, configured=3)


def test_a_majority_of_all_configured_sentinels_decides_although_some_did_not_answer():
    nodes = [node('a', A), node('b', B), node('c', C)]
    sentinels = [sentinel('s1'), sentinel('s2', B), sentinel('s3', B)]
    assert current_primary(nodes, 'a', sentinels=sentinels) == decided('b', B, 'sentinel', agreeing=2, configured=3)


def test_a_majority_of_the_answering_sentinels_only_is_not_enough():
    # 1 of 2 configured agrees: the answering one alone is no majority; the replication state decides and agrees.
    nodes = [node('a', A, 'replica', (B, 6379)), node('b', B, 'primary')]
    assert current_primary(nodes, 'a', sentinels=[sentinel('s1'), sentinel('s2', B)]) == decided('b', B, 'replication')
    # 2 of 4 configured (two did not answer, or do not monitor the name): no majority of all either.
    unmonitored = dict(host='s4', facts=dict(masters={}))
    sentinels = [sentinel('s1', B), sentinel('s2', B), sentinel('s3'), unmonitored]
    assert current_primary(nodes, 'a', sentinels=sentinels)['source'] == 'replication'


def test_answering_sentinels_too_few_to_decide_must_not_contradict_the_replication_state():
    nodes = [node('a', A, 'primary'), node('b', B, 'replica', (A, 6379))]
    with pytest.raises(AnsibleFilterError, match=r'only 1 of the 3 configured Sentinels name a primary of mymaster '
                                                 r'\(s2 says 10.0.0.2:6379\).*replication state names a \(10.0.0.1:6379\)'):
        current_primary(nodes, 'a', sentinels=[sentinel('s1'), sentinel('s2', B), sentinel('s3')])
    # Nor the inventory's primary on a fleet where nobody replicates yet.
    with pytest.raises(AnsibleFilterError, match=r'only 1 of the 2 .* inventory names a'):
        current_primary([node('a', A), node('b', B)], 'a', sentinels=[sentinel('s1'), sentinel('s2', B)])


# Unreachable data nodes: only a majority of all configured Sentinels, naming a reachable node, decides.

def test_unreachable_old_primary_the_sentinels_have_replaced():
    # a's host is down: it is not among the nodes read; 2 of 3 Sentinels (a's own is down too) elected b.
    nodes = [node('b', B, 'primary'), node('c', C, 'replica', (B, 6379))]
    sentinels = [sentinel('a'), sentinel('b', B), sentinel('c', B)]
    assert current_primary(nodes, 'a', sentinels=sentinels, unreachable=['a']) == decided(
        'b', B, 'sentinel', agreeing=2, configured=3)


def test_unreachable_replica_with_the_sentinels_agreeing():
    nodes = [node('a', A, 'primary'), node('b', B, 'replica', (A, 6379))]
    sentinels = [sentinel('a', A), sentinel('b', A), sentinel('c')]
    assert current_primary(nodes, 'a', sentinels=sentinels, unreachable=['c'])['host'] == 'a'


def test_unreachable_node_without_a_majority_of_all_sentinels_stops_the_play():
    # The two answering Sentinels agree, but they are 2 of 5 configured.
    nodes = [node('a', A, 'primary'), node('b', B, 'replica', (A, 6379))]
    sentinels = [sentinel('a', A), sentinel('b', A), sentinel('c'), sentinel('d'), sentinel('e')]
    with pytest.raises(AnsibleFilterError, match=r'the live state of c was not read \(hosts that are unreachable\); the '
                                                 r'current primary cannot be decided without every data node unless a '
                                                 r'majority of all 5 configured Sentinels .* a says 10.0.0.1:6379, b says'):
        current_primary(nodes, 'a', sentinels=sentinels, unreachable=['c'])
    # Exactly half of all configured is not a majority either; no Sentinel at all cannot decide.
    with pytest.raises(AnsibleFilterError, match='majority of all 4 configured'):
        current_primary(nodes, 'a', sentinels=sentinels[:4], unreachable=['c'])
    with pytest.raises(AnsibleFilterError, match='majority of all 0 configured Sentinels.*none of them named one'):
        current_primary(nodes, 'a', unreachable=['c'])
    with pytest.raises(AnsibleFilterError, match='the live state of a, b was not read'):
        current_primary([], 'a', sentinels=[sentinel('a'), sentinel('b')], unreachable=['b', 'a'])
    # Rule 2 would name a here (b replicates from it), but it needs every data node: it is not used.
    with pytest.raises(AnsibleFilterError, match='was not read'):
        current_primary(nodes, 'a', sentinels=[sentinel('a'), sentinel('b'), sentinel('c')], unreachable=['c'])


def test_unreachable_primary_the_sentinels_still_name_stops_the_play():
    # The host of a went down before the Sentinels failed over: replicas must not be pointed at it.
    nodes = [node('b', B, 'replica', (A, 6379)), node('c', C, 'replica', (A, 6379))]
    sentinels = [sentinel('a'), sentinel('b', A), sentinel('c', A)]
    with pytest.raises(AnsibleFilterError, match=r'2 of the 3 configured Sentinels \(b, c\) agree that the primary of '
                                                 r'mymaster is 10.0.0.1:6379, which is none of the data nodes that could '
                                                 r'be reached; a is unreachable'):
        current_primary(nodes, 'a', sentinels=sentinels, unreachable=['a'])


def test_unreachable_nodes_and_disagreeing_sentinels_stop_the_play():
    nodes = [node('b', B, 'primary'), node('c', C, 'primary')]
    with pytest.raises(AnsibleFilterError, match='disagree'):
        current_primary(nodes, 'a', sentinels=[sentinel('a'), sentinel('b', B), sentinel('c', C)], unreachable=['a'])


def test_sentinels_decide_when_replication_says_otherwise():
    # Right after a failover: 'a' still has a replica, the Sentinels already promoted 'b'. Replication alone
    # would name 'a'; the Sentinels' majority is the rule that comes first.
    nodes = [node('a', A, 'primary'), node('b', B, 'primary'), node('c', C, 'replica', (A, 6379))]
    sentinels = [sentinel('s1', B), sentinel('s2', B), sentinel('s3', A)]
    assert current_primary(nodes, 'a', sentinels=sentinels) == decided('b', B, 'sentinel', agreeing=2, configured=3)
    assert current_primary(nodes, 'a')['host'] == 'a'


def test_sentinels_without_majority_stop_the_play():
    nodes = [node('a', A), node('b', B)]
    with pytest.raises(AnsibleFilterError, match=r'disagree.*s1 says 10.0.0.1:6379, s2 says 10.0.0.2:6379'):
        current_primary(nodes, 'a', sentinels=[sentinel('s1', A), sentinel('s2', B)])


def test_sentinels_naming_an_unknown_node_stop_the_play():
    with pytest.raises(AnsibleFilterError, match='not a data node of this inventory'):
        current_primary([node('a', A)], 'a', sentinels=[sentinel('s1', '10.9.9.9')])


def test_split_fleet_stops_the_play():
    nodes = [node('a', A, 'primary'), node('b', B, 'replica', (A, 6379)),
             node('c', C, 'primary'), node('d', '10.0.0.4', 'replica', (C, 6379))]
    with pytest.raises(AnsibleFilterError, match=r'several nodes are primaries with replicas: a \(10.0.0.1:6379\), '
                                                 r'c \(10.0.0.3:6379\)'):
        current_primary(nodes, 'a')


def test_instances_told_apart_by_port():
    nodes = [node('m', A, 'primary', port=6379), node('r', A, 'replica', (A, 6379), port=6380)]
    assert current_primary(nodes, 'r') == decided('m', A, 'replication')


def test_an_inventory_of_host_names_matches_the_addresses_the_cluster_reports():
    # The inventory announces 'localhost'; Sentinels and replicas report the address it resolves to.
    nodes = [node('a', 'localhost', 'replica', ('127.0.0.1', 6380), port=6379),
             node('b', 'localhost', 'primary', port=6380)]
    assert current_primary(nodes, 'a')['host'] == 'b'
    sentinels = [sentinel('s1', '127.0.0.1', 6380), sentinel('s2', '127.0.0.1', 6380), sentinel('s3')]
    expected = decided('b', 'localhost', 'sentinel', port=6380, agreeing=2, configured=3)
    assert current_primary(nodes, 'a', sentinels=sentinels) == expected
    # Too few Sentinels to decide, naming the primary the replicas follow by its address: no contradiction.
    few = [sentinel('s1', '127.0.0.1', 6380), sentinel('s2'), sentinel('s3')]
    assert current_primary(nodes, 'a', sentinels=few)['host'] == 'b'


def test_messages_write_ipv6_addresses_in_brackets():
    nodes = [node('a', 'fe80::1'), node('b', 'fe80::2')]
    sentinels = [sentinel('s1', 'fe80::9'), sentinel('s2', 'fe80::9'), sentinel('s3')]
    with pytest.raises(AnsibleFilterError, match=r'is \[fe80::9\]:6379, which is not a data node'):
        current_primary(nodes, 'a', sentinels=sentinels)


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match='non-empty list'):
        current_primary([], 'a')
    with pytest.raises(AnsibleFilterError, match='inventory primary x is not among'):
        current_primary([node('a', A)], 'x')


def test_the_majority_is_counted_not_the_highest_address():
    nodes = [node('a', A, 'primary'), node('b', B), node('c', C)]
    sentinels = [sentinel('s1', A), sentinel('s2', A), sentinel('s3', C)]
    assert current_primary(nodes, 'b', sentinels=sentinels) == decided('a', A, 'sentinel', agreeing=2, configured=3)


def test_messages_name_the_nodes_exactly():
    with pytest.raises(AnsibleFilterError) as unknown:
        current_primary([node('a', A)], 'a', sentinels=[sentinel('s2', '10.9.9.9'), sentinel('s1', '10.9.9.9')])
    assert str(unknown.value) == ('the Sentinels (s1, s2) agree that the primary of mymaster is 10.9.9.9:6379, which '
                                  'is not a data node of this inventory')
    split = [node('a', A, 'primary'), node('b', B, 'primary'), node('c', C, 'replica', (A, 6379)),
             node('d', '10.0.0.4', 'replica', (B, 6379))]
    with pytest.raises(AnsibleFilterError) as both:
        current_primary(split, 'a')
    assert str(both.value) == ('several nodes are primaries with replicas: a (10.0.0.1:6379), b (10.0.0.2:6379); the '
                               'fleet is split, resolve it before running the playbook again')


def test_registered_under_its_name():
    assert FilterModule().filters() == {'current_primary': current_primary}
