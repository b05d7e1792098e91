# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sentinel_drift: a Sentinel is settled only when it knew exactly the inventory's fleet at discovery; anything
unsure (not read, not monitoring the primary, a stale or a missing entry, CKQUORUM failing) keeps site.yml's reads."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.sentinel_drift import FilterModule, sentinel_drift

PRIMARY = dict(address='10.0.0.1', port=6379)
REPLICAS = [dict(host='10.0.0.1', port=6379), dict(host='10.0.0.2', port=6379), dict(host='10.0.0.3', port=6380)]
SENTINELS = [dict(host='10.0.0.1', port=26379), dict(host='10.0.0.2', port=26379), dict(host='10.0.0.3', port=26379)]
HOSTS = ['s1', 's2', 's3']


def view(own: int, master_name: str = 'cache', host: str = '10.0.0.1', port: int = 6379, quorum: bool = True,
         replicas=None, sentinels=None) -> dict:
    """What discovery registers for the Sentinel at SENTINELS[own], knowing the whole fleet by default."""
    replicas = [('10.0.0.2', 6379), ('10.0.0.3', 6380)] if replicas is None else replicas
    if sentinels is None:
        sentinels = [(entry['host'], entry['port']) for index, entry in enumerate(SENTINELS) if index != own]
    master = dict(host=host, port=port, ckquorum=dict(ok=quorum, message='OK' if quorum else 'NOQUORUM'),
                  replicas=[dict(ip=ip, port=p, flags='slave') for ip, p in replicas],
                  sentinels=[dict(ip=ip, port=p, flags='sentinel') for ip, p in sentinels])
    return dict(_redis_discovered_sentinel=dict(changed=False, ansible_facts=dict(
        redis_sentinel=dict(masters={master_name: master}))))


def hostvars(**overrides) -> dict:
    variables = {name: view(index) for index, name in enumerate(HOSTS)}
    variables.update(overrides)
    return variables


def drift(variables, master_name='cache', primary=None):
    return sentinel_drift(variables, HOSTS, master_name, primary=primary or PRIMARY, replicas=REPLICAS,
                          sentinels=SENTINELS)


def test_a_fleet_every_sentinel_knows_is_settled():
    result = drift(hostvars())
    assert result['settled'] is True
    assert result['stale'] is False
    assert all(entry == dict(read=True, settled=True, stale=[], missing=[]) for entry in result['sentinels'].values())


def test_a_replica_that_left_the_inventory_is_stale():
    result = drift(hostvars(s2=view(1, replicas=[('10.0.0.2', 6379), ('10.0.0.3', 6380), ('10.0.0.9', 6379)])))
    assert result['stale'] is True
    assert result['settled'] is False
    assert result['sentinels']['s2']['stale'] == ['10.0.0.9:6379']
    assert result['sentinels']['s1']['settled'] is True


def test_a_sentinel_that_left_the_inventory_is_stale():
    result = drift(hostvars(s3=view(2, sentinels=[('10.0.0.1', 26379), ('10.0.0.2', 26379), ('10.0.0.8', 26379)])))
    assert result['sentinels']['s3']['stale'] == ['10.0.0.8:26379']
    assert result['stale'] is True


def test_a_replaced_host_with_the_same_counts_is_seen():
    # One expected replica unknown and one unknown listed: the counts match, the addresses do not.
    result = drift(hostvars(s1=view(0, replicas=[('10.0.0.2', 6379), ('10.0.0.7', 6380)])))
    assert result['sentinels']['s1'] == dict(read=True, settled=False, stale=['10.0.0.7:6380'],
                                             missing=['10.0.0.3:6380'])


def test_a_new_replica_not_yet_known_is_not_settled_but_nothing_is_stale():
    result = drift(hostvars(s1=view(0, replicas=[('10.0.0.2', 6379)])))
    assert result['sentinels']['s1']['missing'] == ['10.0.0.3:6380']
    assert result['settled'] is False
    assert result['stale'] is False


def test_the_same_ip_on_another_port_is_another_instance():
    result = drift(hostvars(s1=view(0, replicas=[('10.0.0.2', 6379), ('10.0.0.3', 6379)])))
    assert result['sentinels']['s1']['stale'] == ['10.0.0.3:6379']


def test_a_sentinel_monitoring_another_primary_is_not_settled():
    # After a failover the replicas are listed against the new primary; the old one is among them.
    moved = view(0, host='10.0.0.2', replicas=[('10.0.0.1', 6379), ('10.0.0.3', 6380)])
    assert drift(hostvars(s1=moved))['sentinels']['s1']['settled'] is False
    # The same view is settled when discovery decided that primary.
    everyone = {name: view(index, host='10.0.0.2', replicas=[('10.0.0.1', 6379), ('10.0.0.3', 6380)])
                for index, name in enumerate(HOSTS)}
    assert drift(everyone, primary=dict(address='10.0.0.2', port=6379))['settled'] is True


def test_ckquorum_failing_is_not_settled():
    assert drift(hostvars(s3=view(2, quorum=False)))['sentinels']['s3']['settled'] is False


@pytest.mark.parametrize('registered', [
    None,
    dict(skipped=True, changed=False),
    dict(failed=False, msg='cannot connect to 10.0.0.3:26379: connection refused'),
    dict(ansible_facts=dict(redis_sentinel=dict(masters={}))),
])
def test_a_sentinel_not_read_or_not_monitoring_is_unsure(registered):
    variables = hostvars()
    if registered is None:
        del variables['s3']['_redis_discovered_sentinel']
    else:
        variables['s3'] = dict(_redis_discovered_sentinel=registered)
    result = drift(variables)
    assert result['sentinels']['s3'] == dict(read=False, settled=False, stale=[], missing=[])
    assert result['settled'] is False
    # Not read: it may hold stale entries, so the reset is not skipped.
    assert result['stale'] is True


def test_another_master_name_is_not_read():
    assert drift(hostvars(), master_name='sessions')['stale'] is True


def test_a_host_name_and_its_address_are_one_machine():
    variables = hostvars(s1=view(0, replicas=[('localhost', 6379), ('10.0.0.3', 6380)]))
    result = sentinel_drift(variables, HOSTS, 'cache', primary=PRIMARY,
                            replicas=[dict(host='10.0.0.1', port=6379), dict(host='127.0.0.1', port=6379),
                                      dict(host='10.0.0.3', port=6380)],
                            sentinels=SENTINELS)
    assert result['sentinels']['s1']['settled'] is True


@pytest.mark.parametrize('kwargs, message', [
    (dict(primary=None), 'primary must be'),
    (dict(primary=dict(address='10.0.0.1')), 'primary must be'),
    (dict(sentinels=SENTINELS[:2]), '2 addresses for 3 hosts'),
    (dict(replicas=[dict(host='10.0.0.2')]), 'every entry of replicas needs host and port'),
    (dict(replicas=[dict(host='10.0.0.2', port='x')]), 'every entry of replicas needs host and port'),
])
def test_bad_input_is_refused(kwargs, message):
    arguments = dict(primary=PRIMARY, replicas=REPLICAS, sentinels=SENTINELS)
    arguments.update(kwargs)
    with pytest.raises(AnsibleFilterError, match=message):
        sentinel_drift(hostvars(), HOSTS, 'cache', **arguments)


def test_input_is_not_modified():
    variables = hostvars()
    before = copy.deepcopy(variables)
    drift(variables)
    assert variables == before


def test_registered_name():
    assert FilterModule().filters()['sentinel_drift'] is sentinel_drift
