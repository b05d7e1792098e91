# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleet_views: what the discovery tasks registered, turned into current_primary's input; hosts left out by
--limit and unreachable hosts told apart."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.fleet_views import FilterModule, fleet_views


def read(address, port=6379, node=None, sentinel=None) -> dict:
    variables = dict(redis_ops_address=address, redis_ops_port=str(port))
    if node is not None:
        variables['_redis_discovered_node'] = dict(ansible_facts=dict(redis_replication=node))
    if sentinel is not None:
        variables['_redis_discovered_sentinel'] = dict(ansible_facts=dict(redis_sentinel=sentinel))
    return variables


# a, b, c are data nodes with a Sentinel each; s4 is a Sentinel-only host. c and s4 were not reached.
HOSTVARS = {
    'a': read('10.0.0.1', node=dict(role='primary'), sentinel=dict(masters={})),
    'b': read('10.0.0.2', node=dict(role='replica'), sentinel=dict(masters={})),
    'c': {},
    's4': {},
}
DATA, SENTINELS, PLAY = ['a', 'b', 'c'], ['a', 'b', 'c', 's4'], ['a', 'b', 'c', 's4']


def test_every_node_read():
    views = fleet_views(HOSTVARS, ['a', 'b'], ['a', 'b'], play_hosts=['a', 'b'])
    assert [n['host'] for n in views['nodes']] == ['a', 'b']
    assert views['nodes'][0] == dict(host='a', address='10.0.0.1', port=6379, facts=dict(role='primary'))
    assert views['unreachable'] == [] and views['unreachable_nodes'] == []


def test_unreachable_hosts_stop_the_play_unless_the_caller_accepts_them():
    with pytest.raises(AnsibleFilterError, match=r'the live state of c was not read \(hosts that are unreachable\); '
                                                 r'this playbook needs every data node'):
        fleet_views(HOSTVARS, DATA, SENTINELS, play_hosts=PLAY)
    views = fleet_views(HOSTVARS, DATA, SENTINELS, play_hosts=PLAY, unreachable_ok=True)
    assert [n['host'] for n in views['nodes']] == ['a', 'b']
    # The unreachable Sentinels stay in the list (they count as configured, not agreeing).
    assert [(s['host'], s['facts']) for s in views['sentinels']] == [
        ('a', dict(masters={})), ('b', dict(masters={})), ('c', None), ('s4', None)]
    assert views['unreachable'] == ['c', 's4'] and views['unreachable_nodes'] == ['c']


def test_a_limit_that_leaves_data_nodes_out_is_refused_even_when_unreachable_hosts_are_accepted():
    with pytest.raises(AnsibleFilterError, match=r'the live state of c was not read \(a --limit that leaves data nodes '
                                                 r'out\); the current primary cannot be decided without every data node'):
        fleet_views(HOSTVARS, DATA, SENTINELS, play_hosts=['a', 'b', 's4'], unreachable_ok=True)
    # Without the play's hosts every node not read counts as left out, as before.
    with pytest.raises(AnsibleFilterError, match=r'\(a --limit that leaves data nodes out, or hosts that are unreachable\)'):
        fleet_views(HOSTVARS, DATA, SENTINELS, unreachable_ok=True)
    # A Sentinel-only host left out by --limit is no data node: it is simply not an answering Sentinel.
    views = fleet_views(HOSTVARS, ['a', 'b'], SENTINELS, play_hosts=['a', 'b'], unreachable_ok=True)
    assert views['unreachable'] == [] and views['sentinels'][3] == dict(host='s4', facts=None)


def discovered(key, facts, **flags):
    return dict(flags, ansible_facts={key: facts})


RECORDED = {
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
    views = fleet_views(RECORDED, ['r1', 'r2', 'r3'], ['r1', 'r2', 'r3', 's4', 's5'])
    assert views == dict(
        nodes=[dict(host='r1', address='10.0.0.1', port=6379, facts={'role': 'primary'}),
               dict(host='r2', address='10.0.0.2', port=6380, facts=None),
               dict(host='r3', address='10.0.0.3', port=6381, facts=None)],
        sentinels=[dict(host='r1', facts={'masters': {'m': {}}}), dict(host='r2', facts=None),
                   dict(host='r3', facts=None), dict(host='s4', facts=None), dict(host='s5', facts=None)],
        unreachable=[], unreachable_nodes=[])
    assert fleet_views(RECORDED, ['r1'])['sentinels'] == []


def test_a_data_node_that_was_not_read_stops_the_play():
    with pytest.raises(AnsibleFilterError, match=r'^the live state of s4, s5 was not read \(a --limit'):
        fleet_views(RECORDED, ['r1', 's4', 's5'])


def test_registered_under_its_name():
    assert FilterModule().filters() == {'fleet_views': fleet_views}


def refused(address, sentinel=False) -> dict:
    key = '_redis_discovered_sentinel' if sentinel else '_redis_discovered_node'
    message = ('authentication to localhost:6379 failed: login_user/login_password are wrong or the user is '
               'disabled (invalid username-password pair)')
    return {'redis_ops_address': address, 'redis_ops_port': '6379', key: dict(failed=False, msg=message)}


def test_a_refused_password_points_at_the_rotation_procedure():
    hostvars = {'a': read('10.0.0.1', node=dict(role='primary')), 'b': refused('10.0.0.2'),
                's': {'_redis_discovered_sentinel': refused('x', sentinel=True)['_redis_discovered_sentinel']}}
    with pytest.raises(AnsibleFilterError, match=r'the servers on b, s \(Sentinel\) refused the password the inventory '
                                                 r'gives; nothing was changed\. A changed redis_password is rotated '
                                                 r'with playbooks/rotate_passwords\.yml'):
        fleet_views(hostvars, ['a', 'b'], ['s'], play_hosts=['a', 'b', 's'])
    # Nothing listening is not a refused password: that stays the unreachable/down handling.
    down = dict(hostvars, b=dict(read('10.0.0.2'), _redis_discovered_node=dict(
        failed=True, msg='cannot connect to localhost:6379: Connection refused')), s={})
    views = fleet_views(down, ['a', 'b'], ['s'], play_hosts=['a', 'b', 's'], unreachable_ok=True)
    assert [n['host'] for n in views['nodes']] == ['a', 'b']


# What discovery registers (roles/_common/tasks/discover.yml): a data node's read with the Sentinel beside it under
# 'sentinel', a Sentinel-only host's own read. The results kept apart (_redis_discovered_node/_sentinel) are those of
# an earlier discovery in the same run here, and must not be read.
STALE = dict(_redis_discovered_node=discovered('redis_replication', {'role': 'replica'}),
             _redis_discovered_sentinel=discovered('redis_sentinel', {'masters': {'old': {}}}))
REGISTERED = {
    'a': dict(STALE, redis_ops_address='10.0.0.1', redis_ops_port='6379',
              _redis_discovered=dict(discovered('redis_replication', {'role': 'primary'}), changed=False,
                                     sentinel=discovered('redis_sentinel', {'masters': {'m': {}}})),
              _redis_discovered_sentinel_only=dict(skipped=True, changed=False)),
    # The data node did not answer: the module read nothing else, and says why.
    'b': dict(STALE, redis_ops_address='10.0.0.2', redis_ops_port='6380',
              _redis_discovered=dict(failed=False, msg='cannot connect to 10.0.0.2:6380: Connection refused'),
              _redis_discovered_sentinel_only=dict(skipped=True, changed=False)),
    's': dict(STALE, redis_ops_address='10.0.0.9', redis_ops_port='6379', _redis_discovered=dict(skipped=True, changed=False),
              _redis_discovered_sentinel_only=discovered('redis_sentinel', {'masters': {'n': {}}})),
}


def test_the_registered_reads_are_read_not_the_results_kept_apart_by_an_earlier_discovery():
    views = fleet_views(REGISTERED, ['a', 'b'], ['a', 'b', 's'], play_hosts=['a', 'b', 's'])
    assert views == dict(
        nodes=[dict(host='a', address='10.0.0.1', port=6379, facts={'role': 'primary'}),
               dict(host='b', address='10.0.0.2', port=6380, facts=None)],
        sentinels=[dict(host='a', facts={'masters': {'m': {}}}), dict(host='b', facts=None),
                   dict(host='s', facts={'masters': {'n': {}}})],
        unreachable=[], unreachable_nodes=[])


def test_a_refused_password_in_a_registered_read_is_named():
    message = 'authentication to 10.0.0.1:26379 failed: login_user/login_password are wrong'
    hostvars = dict(REGISTERED, a=dict(REGISTERED['a'], _redis_discovered=dict(
        discovered('redis_replication', {'role': 'primary'}), sentinel=dict(failed=False, msg=message))),
        s=dict(REGISTERED['s'], _redis_discovered_sentinel_only=dict(failed=False, msg=message.replace('.1:', '.9:'))))
    with pytest.raises(AnsibleFilterError, match=r'the servers on a \(Sentinel\), s \(Sentinel\) refused the password'):
        fleet_views(hostvars, ['a', 'b'], ['a', 'b', 's'], play_hosts=['a', 'b', 's'])


def test_a_refused_password_is_named_when_the_read_gathered_the_host_facts():
    # site.yml's discovery gathers the host's facts in the read: they come back with a refused login too.
    message = 'authentication to 10.0.0.1:6379 failed: login_user/login_password are wrong'
    host_facts = {'ansible_os_family': 'Debian', 'module_setup': True}
    hostvars = dict(REGISTERED, a=dict(REGISTERED['a'], _redis_discovered=dict(
        failed=False, msg=message, ansible_facts=host_facts, sentinel=discovered('redis_sentinel', {'masters': {}}))))
    with pytest.raises(AnsibleFilterError, match=r'the servers on a refused the password'):
        fleet_views(hostvars, ['a', 'b'], ['a', 'b', 's'], play_hosts=['a', 'b', 's'])
