# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict of playbooks/health.yml, on recorded replication_facts results."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.health_report import VIEW_VAR, FilterModule, health_report

A, B, C = '10.0.0.1', '10.0.0.2', '10.0.0.3'
DATA = ['a', 'b', 'c']
SENTINELS = ['s1', 's2', 's3']


def facts_result(key, facts):
    return dict(changed=False, failed=False, ansible_facts={key: facts})


def primary(*replicas, connected=None):
    """replicas: (ip, port, state, lag)."""
    entries = [dict(ip=ip, port=port, state=state, offset=100, lag=lag, offset_lag=0) for ip, port, state, lag in replicas]
    return dict(role='primary', connected_replicas=len(entries) if connected is None else connected, replicas=entries)


def replica(of, link='up', last_io=1, port=6379, since=None, syncing=False):
    return dict(role='replica', primary_host=of, primary_port=port, link_status=link, last_io_seconds_ago=last_io,
                link_down_since_seconds=since, sync_in_progress=syncing, connected_replicas=0, replicas=[])


def data_view(address, facts=None, port=6379, result=None):
    if result is None:
        result = facts_result('redis_replication', facts)
    return {VIEW_VAR: dict(address=address, data=dict(port=port, result=result),
                           sentinel=dict(port=26379, master_name='mymaster', result=dict(skipped=True)))}


def sentinel_facts(host, port=6379, ckquorum=True, flags='master', tilt=False, name='mymaster'):
    message = 'OK 3 usable Sentinels. Quorum and failover authorization can be reached' if ckquorum else \
        'NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master'
    return dict(tilt=tilt, masters={name: dict(host=host, port=port, quorum=2, flags=flags, num_replicas=2,
                                               num_other_sentinels=2, ckquorum=dict(ok=ckquorum, message=message))})


def sentinel_view(address, facts=None, result=None, port=26379):
    if result is None:
        result = facts_result('redis_sentinel', facts)
    return {VIEW_VAR: dict(address=address, data=dict(port=6379, result=dict(skipped=True)),
                           sentinel=dict(port=port, master_name='mymaster', result=result))}


def healthy(master=A):
    others = [address for address in (A, B, C) if address != master]
    hostvars = {}
    for host, address in zip(DATA, (A, B, C)):
        if address == master:
            hostvars[host] = data_view(address, primary(*[(other, 6379, 'online', 0) for other in others]))
        else:
            hostvars[host] = data_view(address, replica(master))
    for host, address in zip(SENTINELS, (A, B, C)):
        hostvars[host] = sentinel_view(address, sentinel_facts(master))
    return hostvars


def report(hostvars, **options):
    options.setdefault('inventory_primary', 'a')
    result = health_report(hostvars, DATA, SENTINELS, **options)
    json.dumps(result)  # plain data, fit for set_fact and set_stats
    return result


def only_problem(result, *words):
    assert len(result['problems']) == 1, result['problems']
    assert all(word in result['problems'][0] for word in words), result['problems'][0]
    assert result['ok'] is False and result['text'][0] == 'Redis health check FAILED, 1 problem:'
    assert result['text'][1] == '- ' + result['problems'][0]


def test_healthy_fleet():
    result = report(healthy())
    assert result['ok'] is True and result['problems'] == []
    summary = result['summary']
    assert summary['master'] == dict(host='a', address=A, port=6379)
    assert summary['master_is_inventory_master'] is True and summary['masters'] == ['a']
    assert [(r['host'], r['state'], r['lag'], r['link_status']) for r in summary['replicas']] == [
        ('b', 'online', 0, 'up'), ('c', 'online', 0, 'up')]
    assert summary['replicas_online'] == summary['replicas_expected'] == 2
    assert summary['sentinels']['agreed'] is True and summary['sentinels']['quorum_ok'] is True
    assert summary['sentinels']['address'] == '10.0.0.1:6379' and summary['sentinels']['answered'] == 3
    assert summary['sentinels']['views']['s2']['num_other_sentinels'] == 2
    assert summary['unreachable'] == []
    assert result['text'] == [
        'Redis health check OK: master a (10.0.0.1:6379)',
        'replicas: 2 of 2 expected online (lag limit 5s): b (10.0.0.2:6379) lag 0s, 0 bytes behind; '
        'c (10.0.0.3:6379) lag 0s, 0 bytes behind',
        'sentinels: 3 of 3 agree the master of mymaster is 10.0.0.1:6379; CKQUORUM OK on all',
    ]


def test_the_live_master_is_not_the_inventory_one():
    result = report(healthy(master=B))
    assert result['ok'] is True, result['problems']
    assert result['summary']['master']['host'] == 'b' and result['summary']['master_is_inventory_master'] is False
    assert result['text'][0] == ("Redis health check OK: master b (10.0.0.2:6379), not the inventory's redis_master a "
                                 "(the fleet failed over or was switched)")


def test_no_sentinels_in_the_inventory():
    hostvars = healthy()
    result = health_report(hostvars, DATA, [], inventory_primary='a')
    assert result['ok'] is True and result['text'][-1] == 'sentinels: none in the inventory'
    assert result['summary']['sentinels']['total'] == 0


def test_replica_link_down():
    hostvars = healthy()
    hostvars['c'] = data_view(C, replica(A, link='down', since=12, syncing=True))
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0)))
    result = report(hostvars)
    assert result['problems'] == [
        'replica c (10.0.0.3:6379): its link to a (10.0.0.1:6379) is down (for 12s), a full synchronisation is in progress',
        'the master a sees 1 replica online, 2 expected (not online there: c)',
    ]
    assert result['text'][0] == 'Redis health check FAILED, 2 problems:'


def test_replica_following_another_address():
    hostvars = healthy()
    hostvars['c'] = data_view(C, replica('10.9.9.9'))
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0)))
    result = report(hostvars, expected_replicas=1)
    only_problem(result, 'replica c (10.0.0.3:6379) replicates from 10.9.9.9:6379 (not a data node of the inventory), '
                         'not from the master a (10.0.0.1:6379)')


@pytest.mark.parametrize('lag, ok', [(5, True), (6, False)])
def test_lag_as_the_master_sees_it(lag, ok):
    hostvars = healthy()
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0), (C, 6379, 'online', lag)))
    result = report(hostvars)
    assert result['ok'] is ok
    if not ok:
        only_problem(result, 'replica c (10.0.0.3:6379) lags 6s behind the master a', 'maximum of 5s')


def test_threshold_from_extra_vars_is_a_string():
    hostvars = healthy()
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 2), (C, 6379, 'online', 0)))
    only_problem(report(hostvars, max_lag_seconds='1'), 'replica b (10.0.0.2:6379) lags 2s', 'maximum of 1s')
    assert report(hostvars, max_lag_seconds='1', expected_replicas='')['summary']['max_lag_seconds'] == 1


def test_idle_replica_last_io_is_not_lag():
    # An idle master pings its replicas every 10 seconds: a replica's own last_io_seconds_ago reaches 9.
    hostvars = healthy()
    hostvars['c'] = data_view(C, replica(A, last_io=14))
    assert report(hostvars)['ok'] is True
    # Without the master's view (not read), only silence longer than the ping period plus the maximum counts.
    hostvars['a'] = data_view(A, result=dict(failed=False, failed_when_result=False, msg='timed out'))
    assert not any('heard nothing' in p for p in report(hostvars)['problems'])
    hostvars['c'] = data_view(C, replica(A, last_io=16))
    assert 'replica c (10.0.0.3:6379) has heard nothing from its master 10.0.0.1:6379 for 16s' in report(hostvars)['problems']


def test_replica_the_master_does_not_list():
    # c was recorded with its default IPv4 address; the master sees it connect from 127.0.0.1.
    hostvars = healthy()
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0), ('127.0.0.1', 6379, 'online', 0)))
    only_problem(report(hostvars), 'replica c (10.0.0.3:6379) follows the master a, which does not list it among its '
                                   'replicas; it lists 127.0.0.1:6379: if that is c, set redis_host_address=127.0.0.1 for c')


def test_replica_not_online_on_the_master():
    hostvars = healthy()
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0), (C, 6379, 'wait_bgsave', 0)))
    result = report(hostvars)
    assert result['problems'] == [
        'replica c (10.0.0.3:6379): the master a sees it in state wait_bgsave, not online',
        'the master a sees 1 replica online, 2 expected (not online there: c)',
    ]


def test_expected_replicas_and_unknown_replicas():
    hostvars = healthy()
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0), (C, 6379, 'online', 0), ('10.0.0.7', 6380, 'online', 0)))
    result = report(hostvars, expected_replicas=3)
    assert result['ok'] is True and result['summary']['replicas_online'] == 3
    assert result['summary']['replicas'][-1]['host'] is None
    assert '10.0.0.7:6380 lag 0s' in result['text'][1]
    only_problem(report(hostvars, expected_replicas=4), 'the master a sees 3 replicas online, 4 expected')


@pytest.mark.parametrize('result, expected', [
    (dict(unreachable=True, changed=False, msg='Failed to connect to the host via ssh: Connection refused'),
     'data node c (10.0.0.3:6379) is unreachable: Failed to connect to the host via ssh: Connection refused'),
    (dict(failed=False, failed_when_result=False, msg='cannot connect to localhost:6379: Connection refused'),
     'data node c (10.0.0.3:6379) cannot be read: cannot connect to localhost:6379: Connection refused'),
    (facts_result('redis_sentinel', sentinel_facts(A)),
     'data node c (10.0.0.3:6379) port 6379 answers as a Sentinel, not a data node'),
    (dict(skipped=True), 'data node c (10.0.0.3:6379) was not checked (the task was skipped)'),
])
def test_unreadable_data_node(result, expected):
    hostvars = healthy()
    hostvars['c'] = data_view(C, result=result)
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0)))
    outcome = report(hostvars)
    assert outcome['problems'] == [expected, 'the master a sees 1 replica online, 2 expected (not online there: c)']
    assert outcome['summary']['unreachable'] == ['c']


def test_host_never_read():
    hostvars = healthy()
    del hostvars['c'][VIEW_VAR]
    del hostvars['s3']
    result = report(hostvars, expected_replicas=1)
    assert result['problems'] == [
        'data node c was not checked (left out by --limit, or its play stopped before reading it)',
        'Sentinel s3 was not checked (left out by --limit, or its play stopped before reading it)',
    ]
    assert result['summary']['unreachable'] == ['c', 's3']


def test_no_master():
    hostvars = healthy()
    hostvars['a'] = data_view(A, result=dict(unreachable=True, msg='ssh: timeout'))
    hostvars['b'] = data_view(B, replica(A, link='down'))
    hostvars['c'] = data_view(C, replica(A, link='down'))
    result = report(hostvars)
    assert result['problems'][:2] == ['data node a (10.0.0.1:6379) is unreachable: ssh: timeout',
                                      'no data node is a master (1 node could not be read: a)']
    assert result['problems'][2] == 'replica b (10.0.0.2:6379): its link to a (10.0.0.1:6379) is down'
    assert result['summary']['master'] is None and result['summary']['replicas_online'] is None


def test_two_masters():
    hostvars = healthy()
    hostvars['c'] = data_view(C, primary())
    hostvars['a'] = data_view(A, primary((B, 6379, 'online', 0)))
    result = report(hostvars)
    assert result['problems'][0] == ('2 data nodes are masters, exactly one is expected: a (10.0.0.1:6379) with '
                                     '1 replica, c (10.0.0.3:6379) with 0 replicas')
    assert result['summary']['masters'] == ['a', 'c'] and result['summary']['master'] is None


def test_sentinels_disagree():
    hostvars = healthy()
    hostvars['s3'] = sentinel_view(C, sentinel_facts('10.9.9.9'))
    result = report(hostvars)
    only_problem(result, 'the Sentinels disagree on the master of mymaster: s1, s2 say 10.0.0.1:6379 (a, the master); '
                         's3 says 10.9.9.9:6379 (not a data node of the inventory)')
    assert result['summary']['sentinels']['agreed'] is False and result['summary']['sentinels']['address'] is None


def test_sentinels_agree_on_a_replica():
    hostvars = healthy()
    for host in SENTINELS:
        hostvars[host] = sentinel_view(A, sentinel_facts(B))
    only_problem(report(hostvars), 'the Sentinels (s1, s2, s3) say the master of mymaster is 10.0.0.2:6379 (b, role replica), '
                                   'but the master among the data nodes is a (10.0.0.1:6379)')


def test_sentinel_problems():
    hostvars = healthy()
    hostvars['s1'] = sentinel_view(A, sentinel_facts(A, ckquorum=False))
    hostvars['s2'] = sentinel_view(B, sentinel_facts(A, flags='master,s_down', tilt=True))
    hostvars['s3'] = sentinel_view(C, sentinel_facts(A, name='other'))
    result = report(hostvars)
    assert result['problems'] == [
        'Sentinel s1 (10.0.0.1:26379): CKQUORUM mymaster failed: NOQUORUM 1 usable Sentinels. Not enough available '
        'Sentinels to reach the specified quorum for this master',
        'Sentinel s2 (10.0.0.2:26379) is in TILT mode and will not fail over',
        'Sentinel s2 (10.0.0.2:26379) flags the master of mymaster (10.0.0.1:6379) as s_down',
        'Sentinel s3 (10.0.0.3:26379) does not monitor mymaster',
    ]
    assert result['summary']['sentinels']['quorum_ok'] is False


@pytest.mark.parametrize('result, expected', [
    (dict(unreachable=True, msg='Failed to connect'), 'Sentinel s2 (10.0.0.2:26379) is unreachable: Failed to connect'),
    (dict(failed=False, msg='authentication to localhost:26379 failed'),
     'Sentinel s2 (10.0.0.2:26379) cannot be read: authentication to localhost:26379 failed'),
    (facts_result('redis_replication', replica(A)), 'Sentinel s2 (10.0.0.2:26379) port 26379 answers as a data node, not a Sentinel'),
])
def test_unreadable_sentinel(result, expected):
    hostvars = healthy()
    hostvars['s2'] = sentinel_view(B, result=result)
    outcome = report(hostvars)
    only_problem(outcome, expected)
    assert outcome['summary']['unreachable'] == ['s2'] and outcome['summary']['sentinels']['answered'] == 2


def test_host_name_and_its_address_are_the_same():
    hostvars = {
        'a': data_view('localhost', primary(('127.0.0.1', 6380, 'online', 0)), port=6379),
        'b': data_view('127.0.0.1', replica('127.0.0.1', port=6379), port=6380),
        's1': sentinel_view('127.0.0.1', sentinel_facts('127.0.0.1')),
    }
    result = health_report(hostvars, ['a', 'b'], ['s1'], inventory_primary='a')
    assert result['ok'] is True, result['problems']
    assert result['summary']['replicas'][0]['host'] == 'b'


def test_ports_templated_as_strings():
    hostvars = healthy()
    hostvars['a'][VIEW_VAR]['data']['port'] = '6379'
    result = report(hostvars)
    assert result['ok'] is True and result['summary']['master']['port'] == 6379


def test_instances_told_apart_by_port():
    hostvars = {
        'm': data_view(A, primary((A, 6380, 'online', 0)), port=6379),
        'r': data_view(A, replica(A, port=6379), port=6380),
    }
    result = health_report(hostvars, ['m', 'r'], inventory_primary='r')
    assert result['ok'] is True and result['summary']['master']['host'] == 'm'


@pytest.mark.parametrize('options, message', [
    (dict(max_lag_seconds='five'), 'max_lag_seconds must be a whole number'),
    (dict(max_lag_seconds=-1), 'max_lag_seconds must be 0 or more'),
    (dict(expected_replicas=-2), 'expected_replicas must be 0 or more'),
    (dict(max_lag_seconds=None), 'max_lag_seconds is required'),
])
def test_bad_options(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        report(healthy(), **options)
    with pytest.raises(AnsibleFilterError, match='data_hosts must be a list'):
        health_report(healthy(), 'a,b')


def test_empty_inventory():
    result = health_report({}, [], [])
    assert result['problems'] == ['the inventory has no data node (groups redis_master and redis_replica are empty)']


def test_a_wrong_recorded_address_of_the_master_gets_a_hint():
    # The master's address was taken from its default IPv4 address, but the fleet talks over 10.0.1.1.
    hostvars = {
        'a': data_view(A, primary((B, 6379, 'online', 0))),
        'b': data_view(B, replica('10.0.1.1')),
        's1': sentinel_view(B, sentinel_facts('10.0.1.1')),
    }
    result = health_report(hostvars, ['a', 'b'], ['s1'], inventory_primary='a')
    assert result['problems'] == [
        'replica b (10.0.0.2:6379) replicates from 10.0.1.1:6379 (not a data node of the inventory), not from the master '
        'a (10.0.0.1:6379); if that is a, set redis_host_address=10.0.1.1 for a',
        'the Sentinels (s1) say the master of mymaster is 10.0.1.1:6379 (not a data node of the inventory), but the master '
        'among the data nodes is a (10.0.0.1:6379); if that is a, set redis_host_address=10.0.1.1 for a',
    ]


def test_replicas_summary_and_problems_in_full():
    """Every field of the replica summary and every message, for a master that lists a lagging replica and a
    replica from outside the inventory, and a replica whose link was never established."""
    hostvars = healthy()
    hostvars['b'] = data_view(B, replica(A, last_io=3))
    hostvars['c'] = data_view(C, replica(A, link=None, since=-1, last_io=None))
    listed = primary((B, 6379, 'online', 7), ('10.0.0.7', 6380, 'wait_bgsave', None))
    listed['replicas'][0]['offset_lag'] = 40
    hostvars['a'] = data_view(A, listed)
    result = report(hostvars)
    assert result['problems'] == [
        'replica c (10.0.0.3:6379): its link to a (10.0.0.1:6379) is not established',
        'replica b (10.0.0.2:6379) lags 7s behind the master a (its last acknowledgement), more than the maximum of 5s',
        'replica 10.0.0.7:6380 (a replica not in the inventory): the master a sees it in state wait_bgsave, not online',
        'the master a sees 1 replica online, 2 expected (not online there: c)',
    ]
    assert result['summary']['replicas'] == [
        dict(host='b', address=B, port=6379, state='online', lag=7, offset_lag=40, link_status='up', last_io_seconds_ago=3),
        dict(host=None, address='10.0.0.7', port=6380, state='wait_bgsave', lag=None, offset_lag=0, link_status=None,
             last_io_seconds_ago=None),
        dict(host='c', address=C, port=6379, state=None, lag=None, offset_lag=None, link_status=None,
             last_io_seconds_ago=None),
    ]
    assert result['summary']['replicas_online'] == 1


def test_sentinel_summary_and_problems_in_full():
    hostvars = healthy()
    hostvars['s2'] = sentinel_view(B, sentinel_facts(A, ckquorum=False, flags='master,s_down,o_down', tilt=True))
    hostvars['s3'] = sentinel_view(C, sentinel_facts(B))
    result = report(hostvars)
    assert result['problems'] == [
        'Sentinel s2 (10.0.0.2:26379) is in TILT mode and will not fail over',
        'Sentinel s2 (10.0.0.2:26379) flags the master of mymaster (10.0.0.1:6379) as s_down,o_down',
        'Sentinel s2 (10.0.0.2:26379): CKQUORUM mymaster failed: NOQUORUM 1 usable Sentinels. Not enough available '
        'Sentinels to reach the specified quorum for this master',
        'the Sentinels disagree on the master of mymaster: s1, s2 say 10.0.0.1:6379 (a, the master); '
        's3 says 10.0.0.2:6379 (b, role replica)',
    ]
    view = dict(address='10.0.0.1:6379', ckquorum=True, num_other_sentinels=2, num_replicas=2, tilt=False)
    assert result['summary']['sentinels'] == dict(
        master_name='mymaster', total=3, answered=3, agreed=False, address=None, quorum_ok=False,
        views=dict(s1=view, s2=dict(view, ckquorum=False, tilt=True), s3=dict(view, address='10.0.0.2:6379')))
    agreeing = report(healthy())['summary']['sentinels']
    assert agreeing['agreed'] is True and agreeing['address'] == '10.0.0.1:6379' and agreeing['quorum_ok'] is True


def test_registered_under_its_name():
    assert FilterModule().filters() == {'health_report': health_report}
