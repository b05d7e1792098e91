# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model of replication groups, what each Sentinel monitors, and the decision per group."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.current_primaries import current_primaries
from ansible_collections.redis_ops.replication.plugins.filter.groups_drift import groups_drift
from ansible_collections.redis_ops.replication.plugins.filter.replication_groups import replication_groups
from ansible_collections.redis_ops.replication.plugins.filter.sentinel_monitors import sentinel_monitors

DEFAULTS = dict(redis_sentinel_master_name='mymaster', redis_sentinel_quorum=2, redis_min_replicas_to_write=0,
                redis_acl_enabled=False, redis_acl_sentinel_user='redis-ops-sentinel', redis_acl_sentinel_password='',
                redis_sentinel_down_after_milliseconds=5000, redis_sentinel_failover_timeout=60000,
                redis_sentinel_parallel_syncs=1)


def two_groups(**extra):
    """cache on c1..c3 (primary c1), sessions on s1..s3 (primary s2), Sentinels x1..x3 in both Ansible groups."""
    hostvars = {name: dict(redis_sentinel_master_name='cache', redis_password='cache-pw') for name in ('c1', 'c2', 'c3')}
    hostvars.update({name: dict(redis_sentinel_master_name='sessions', redis_password='sessions-pw',
                                redis_sentinel_quorum=3) for name in ('s1', 's2', 's3')})
    # The Sentinels got one group's vars (as a host in both Ansible groups does): ignored with several groups.
    hostvars.update({name: dict(redis_sentinel_master_name='sessions', redis_password='sessions-pw')
                     for name in ('x1', 'x2', 'x3')})
    for host, variables in extra.items():
        hostvars[host].update(variables)
    groups = dict(redis_master=['c1', 's2'], redis_replica=['c2', 'c3', 's1', 's3'], redis_sentinel=['x1', 'x2', 'x3'])
    return hostvars, groups


def test_one_name_is_one_group_as_before():
    hostvars = {h: {} for h in ('a', 'b', 'c')}
    groups = dict(redis_master=['a'], redis_replica=['b', 'c'], redis_sentinel=['a', 'b', 'c'])
    model = replication_groups(hostvars, groups, defaults=DEFAULTS)
    assert model['multi'] is False and model['problems'] == []
    assert model['groups'] == [dict(master_name='mymaster', primary='a', data_nodes=['a', 'b', 'c'],
                                    sentinels=['a', 'b', 'c'], in_run=True)]


def test_data_nodes_grouped_by_master_name_each_with_its_primary_and_quorum():
    hostvars, groups = two_groups()
    model = replication_groups(hostvars, groups, defaults=DEFAULTS)
    assert model['multi'] is True and model['problems'] == []
    cache, sessions = model['groups']
    assert (cache['master_name'], cache['primary'], cache['data_nodes']) == ('cache', 'c1', ['c1', 'c2', 'c3'])
    assert (sessions['master_name'], sessions['primary'], sessions['data_nodes']) == ('sessions', 's2', ['s2', 's1', 's3'])
    assert cache['sentinels'] == sessions['sentinels'] == ['x1', 'x2', 'x3']


def test_play_hosts_choose_the_groups_in_the_run():
    hostvars, groups = two_groups()
    model = replication_groups(hostvars, groups, play_hosts=['s1', 's2', 's3', 'x1', 'x2', 'x3'], defaults=DEFAULTS)
    assert [g['in_run'] for g in model['groups']] == [False, True]


def test_a_sentinel_watches_the_groups_it_is_told():
    hostvars, groups = two_groups(x3=dict(redis_sentinel_master_names=['sessions']))
    cache, sessions = replication_groups(hostvars, groups, defaults=DEFAULTS)['groups']
    assert cache['sentinels'] == ['x1', 'x2'] and sessions['sentinels'] == ['x1', 'x2', 'x3']


@pytest.mark.parametrize('extra, words', [
    (dict(c1=dict(redis_sentinel_master_name='sessions')), ['replication group sessions', 'it has 2: c1, s2']),
    (dict(c1=dict(redis_sentinel_master_name='sessions')), ['replication group cache', 'it has 0: none']),
    (dict(x1=dict(redis_sentinel_master_names=['queue'])), ['x1: redis_sentinel_master_names names queue',
                                                            'the groups are: cache, sessions']),
    (dict(x1=dict(redis_sentinel_master_names=[])), ['x1: redis_sentinel_master_names is empty']),
    (dict(s2=dict(redis_sentinel_quorum=4)), ['replication group sessions: redis_sentinel_quorum is 4',
                                              'number of Sentinels (3 that watch it: x1, x2, x3)']),
    (dict(c1=dict(redis_min_replicas_to_write=3)), ['replication group cache: redis_min_replicas_to_write is 3',
                                                    'only 2 replica(s) in this group']),
])
def test_problems_name_the_group(extra, words):
    hostvars, groups = two_groups(**extra)
    problems = replication_groups(hostvars, groups, defaults=DEFAULTS)['problems']
    assert any(all(word in problem for word in words) for problem in problems), problems


def test_a_group_without_a_first_primary_is_a_problem():
    hostvars, groups = two_groups()
    groups['redis_master'] = ['c1']
    groups['redis_replica'] += ['s2']
    problems = replication_groups(hostvars, groups, defaults=DEFAULTS)['problems']
    assert problems == ['replication group sessions: exactly one of its data nodes must be in the inventory group '
                        'redis_master (its primary at first deployment); it has 0: none']


def test_one_group_with_a_sentinel_of_another_name_is_refused_not_taken_for_two():
    hostvars = {h: dict(redis_sentinel_master_name='cache') for h in ('a', 'b', 'c')}
    hostvars['x'] = dict(redis_sentinel_master_name='mymaster')
    groups = dict(redis_master=['a'], redis_replica=['b', 'c'], redis_sentinel=['a', 'x'])
    model = replication_groups(hostvars, groups, defaults=DEFAULTS)
    assert model['multi'] is False
    assert model['problems'] == ['redis_sentinel_master_name is cache on the data nodes but mymaster on the '
                                 'Sentinel(s) x; set one name for the whole replication group (group_vars/all), or '
                                 'give each group of data nodes its own name to have several groups']


def test_the_single_group_messages_are_those_of_before():
    hostvars = {h: {} for h in ('a', 'b', 'c')}
    groups = dict(redis_master=['a', 'b'], redis_replica=['c'], redis_sentinel=['a', 'b', 'c'])
    assert replication_groups(hostvars, groups, defaults=DEFAULTS)['problems'] == [
        'the inventory group redis_master must hold exactly one host (the primary at first deployment); it holds 2: a, b']
    assert 'it holds 0' in replication_groups({}, dict(redis_sentinel=['a']), defaults=DEFAULTS)['problems'][0]


def test_monitors_take_each_groups_settings_from_its_first_primary():
    hostvars, groups = two_groups(s2=dict(redis_acl_enabled='true', redis_acl_sentinel_password='s-acl'))
    model = replication_groups(hostvars, groups, defaults=DEFAULTS)
    primaries = dict(cache=dict(address='10.0.0.1', port=6379), sessions=dict(address='10.0.0.2', port='6380'))
    own = dict(DEFAULTS, redis_sentinel_quorum=1, redis_password='own', redis_sentinel_notification_script='/n')
    cache, sessions = sentinel_monitors(model, hostvars, 'x1', primaries, own=own, defaults=DEFAULTS)
    assert cache == dict(name='cache', host='10.0.0.1', port=6379, quorum=2, auth_user=None, auth_pass='cache-pw',
                         down_after_milliseconds=5000, failover_timeout=60000, parallel_syncs=1,
                         notification_script='/n', client_reconfig_script=None)
    assert (sessions['port'], sessions['quorum'], sessions['auth_user'], sessions['auth_pass']) == \
        (6380, 3, 'redis-ops-sentinel', 's-acl')


def test_monitors_of_one_group_are_the_sentinels_own_settings():
    hostvars = {h: dict(redis_password='data-pw') for h in ('a', 'b')}
    model = replication_groups(hostvars, dict(redis_master=['a'], redis_replica=['b'], redis_sentinel=['a']),
                               defaults=DEFAULTS)
    own = dict(DEFAULTS, redis_sentinel_quorum='1', redis_password='own-pw')
    (monitor,) = sentinel_monitors(model, hostvars, 'a', dict(mymaster=dict(address='h', port=1)), own=own)
    assert (monitor['quorum'], monitor['auth_pass']) == (1, 'own-pw')


def test_monitors_leave_out_groups_outside_the_run_and_need_their_primary():
    hostvars, groups = two_groups()
    model = replication_groups(hostvars, groups, play_hosts=['c1', 'c2', 'c3', 'x1'], defaults=DEFAULTS)
    monitors = sentinel_monitors(model, hostvars, 'x1', dict(cache=dict(address='h', port=1)), defaults=DEFAULTS)
    assert [m['name'] for m in monitors] == ['cache']
    with pytest.raises(AnsibleFilterError, match='no current primary is known for cache'):
        sentinel_monitors(model, hostvars, 'x1', {}, defaults=DEFAULTS)


def _read(address, port, role, primary=None, sentinel_masters=None):
    variables = dict(redis_ops_address=address, redis_ops_port=port)
    facts = dict(role=role)
    if primary:
        facts.update(primary_host=primary[0], primary_port=primary[1])
    variables['_redis_discovered_node'] = dict(ansible_facts=dict(redis_replication=facts))
    if sentinel_masters is not None:
        variables['_redis_discovered_sentinel'] = dict(ansible_facts=dict(redis_sentinel=dict(masters=sentinel_masters)))
    return variables


def test_each_group_decides_its_own_primary():
    hostvars, groups = two_groups()
    # cache failed over to c2 (its Sentinels say so); sessions still has its first primary s2.
    masters = dict(cache=dict(host='10.0.1.2', port=6379), sessions=dict(host='10.0.2.2', port=6380))
    for index, name in enumerate(('c1', 'c2', 'c3'), start=1):
        hostvars[name].update(_read('10.0.1.%d' % index, 6379, 'primary' if index == 2 else 'replica',
                                    None if index == 2 else ('10.0.1.2', 6379)))
    for index, name in enumerate(('s1', 's2', 's3'), start=1):
        hostvars[name].update(_read('10.0.2.%d' % index, 6380, 'primary' if index == 2 else 'replica',
                                    None if index == 2 else ('10.0.2.2', 6380)))
    for index, name in enumerate(('x1', 'x2', 'x3'), start=1):
        hostvars[name].update(dict(redis_ops_address='10.0.3.%d' % index, redis_ops_port=6379,
                                   _redis_discovered_sentinel=dict(ansible_facts=dict(
                                       redis_sentinel=dict(masters=masters)))))
    model = replication_groups(hostvars, groups, play_hosts=list(hostvars), defaults=DEFAULTS)
    decision = current_primaries(model, hostvars, play_hosts=list(hostvars))
    assert decision['primaries']['cache']['host'] == 'c2' and decision['primaries']['cache']['source'] == 'sentinel'
    assert decision['primaries']['sessions']['host'] == 's2'
    assert decision['unreachable'] == []


def test_a_limit_that_splits_a_group_names_the_group_and_the_hosts_left_out():
    hostvars, groups = two_groups()
    play = ['c1', 'c2', 'x1']
    for name in play:
        hostvars[name].update(redis_ops_address=name, redis_ops_port=6379)
    model = replication_groups(hostvars, groups, play_hosts=play, defaults=DEFAULTS)
    expected = r'^replication group cache: the live state of c3 was not read \(a --limit that leaves data nodes out\)'
    with pytest.raises(AnsibleFilterError, match=expected):
        current_primaries(model, hostvars, play_hosts=play)


def test_no_data_node_in_the_run_is_refused():
    hostvars, groups = two_groups()
    model = replication_groups(hostvars, groups, play_hosts=['x1'], defaults=DEFAULTS)
    with pytest.raises(AnsibleFilterError, match='no data node is in this run'):
        current_primaries(model, hostvars, play_hosts=['x1'])


def test_model_problems_stop_the_decision():
    hostvars, groups = two_groups(x1=dict(redis_sentinel_master_names=['queue']))
    with pytest.raises(AnsibleFilterError, match='names queue'):
        current_primaries(replication_groups(hostvars, groups, defaults=DEFAULTS), hostvars)


def _sentinel_view(own: int, groups: dict) -> dict:
    """What discovery registers for Sentinel x<own+1>: per master name (primary, replicas), knowing the other two."""
    others = [dict(ip='10.0.3.%d' % i, port=26379, flags='sentinel') for i in (1, 2, 3) if i != own + 1]
    masters = {name: dict(host=primary[0], port=primary[1], ckquorum=dict(ok=True, message='OK'), sentinels=others,
                          replicas=[dict(ip=ip, port=port, flags='slave') for ip, port in replicas])
               for name, (primary, replicas) in groups.items()}
    return dict(redis_ops_address='10.0.3.%d' % (own + 1), redis_sentinel_port=26379,
                _redis_discovered_sentinel=dict(ansible_facts=dict(redis_sentinel=dict(masters=masters))))


def test_drift_is_judged_per_group_and_folded_per_sentinel():
    hostvars, groups = two_groups()
    for index, name in enumerate(('c1', 'c2', 'c3'), start=1):
        hostvars[name].update(redis_ops_address='10.0.1.%d' % index, redis_port=6379)
    for index, name in enumerate(('s1', 's2', 's3'), start=1):
        hostvars[name].update(redis_ops_address='10.0.2.%d' % index, redis_port=6380)
    cache = (('10.0.1.1', 6379), [('10.0.1.2', 6379), ('10.0.1.3', 6379)])
    sessions = (('10.0.2.2', 6380), [('10.0.2.1', 6380), ('10.0.2.3', 6380)])
    # x1 knows both groups exactly; x2 still lists a sessions replica that left; x3 misses a cache replica.
    hostvars['x1'].update(_sentinel_view(0, dict(cache=cache, sessions=sessions)))
    hostvars['x2'].update(_sentinel_view(1, dict(cache=cache, sessions=(sessions[0], sessions[1] + [('10.0.2.9', 6380)]))))
    hostvars['x3'].update(_sentinel_view(2, dict(cache=(cache[0], cache[1][:1]), sessions=sessions)))
    model = replication_groups(hostvars, groups, defaults=DEFAULTS)
    primaries = dict(cache=dict(address='10.0.1.1', port=6379), sessions=dict(address='10.0.2.2', port=6380))
    drift = groups_drift(model, hostvars, primaries)
    assert drift['sentinels'] == dict(x1=dict(settled=True), x2=dict(settled=False), x3=dict(settled=False))
    assert drift['groups']['sessions']['stale'] is True and drift['groups']['cache']['stale'] is False
    assert drift['groups']['cache']['sentinels']['x3']['missing'] == ['10.0.1.3:6379']
    assert drift['stale'] is True and drift['settled'] is False
    # A group outside the run is not judged; its primary is then not needed either.
    limited = replication_groups(hostvars, groups, play_hosts=['c1', 'c2', 'c3', 'x1'], defaults=DEFAULTS)
    only_cache = groups_drift(limited, hostvars, dict(cache=primaries['cache']))
    assert list(only_cache['groups']) == ['cache'] and only_cache['stale'] is False
    with pytest.raises(AnsibleFilterError, match='groups_drift: no current primary is known for sessions'):
        groups_drift(model, hostvars, dict(cache=primaries['cache']))
