# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of recorded replies, for servers this machine does not run (Valkey, Redis < 5)."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    ServerInfo,
    acl_getuser_fields,
    cached_resolver,
    config_get_to_dict,
    find_endpoint,
    pairs_to_dict,
    parse_info,
    parse_version,
    password_hash,
    replication_status,
    replication_warnings,
    same_address,
    tally,
)

PRIMARY_INFO = """# Replication\r
role:master\r
connected_slaves:2\r
min_slaves_good_slaves:2\r
slave0:ip=10.0.0.2,port=6379,state=online,offset=1000,lag=0\r
slave1:ip=fe80::1,port=6380,state=wait_bgsave,offset=0,lag=7\r
master_failover_state:no-failover\r
master_replid:8a7c3e1b\r
master_repl_offset:1200\r
"""

REPLICA_INFO = """# Replication
role:slave
master_host:10.0.0.1
master_port:6379
master_link_status:down
master_last_io_seconds_ago:-1
master_sync_in_progress:1
slave_read_repl_offset:1
slave_repl_offset:1
master_link_down_since_seconds:12
slave_priority:0
slave_read_only:1
replica_announced:1
connected_slaves:0
master_repl_offset:0
"""

VALKEY_SERVER = """# Server
redis_version:7.2.4
server_name:valkey
valkey_version:8.1.1
valkey_release_stage:ga
redis_mode:standalone
run_id:abc
tcp_port:6379
config_file:/etc/valkey/valkey.conf
"""


def test_primary_with_replicas():
    status = replication_status(parse_info(PRIMARY_INFO))
    assert status['role'] == 'primary' and status['role_reported'] == 'master'
    assert status['connected_replicas'] == 2 and status['min_replicas_good'] == 2
    assert status['replicas'][0] == dict(ip='10.0.0.2', port=6379, state='online', offset=1000, lag=0,
                                         offset_lag=200)
    assert status['replicas'][1]['ip'] == 'fe80::1' and status['replicas'][1]['offset_lag'] == 1200
    assert status['primary_host'] is None and status['link_status'] is None


def test_replica_in_full_sync():
    status = replication_status(parse_info(REPLICA_INFO))
    assert status['role'] == 'replica'
    assert (status['primary_host'], status['primary_port']) == ('10.0.0.1', 6379)
    assert status['link_status'] == 'down' and status['sync_in_progress'] is True
    assert status['replica_priority'] == 0 and status['replica_read_only'] is True
    assert status['link_down_since_seconds'] == 12


def test_warnings():
    primary = replication_status(parse_info(PRIMARY_INFO))
    warnings = replication_warnings(primary, max_lag_seconds=5, min_replicas=2)
    assert 'replica [fe80::1]:6380 is in state wait_bgsave' in warnings
    assert 'replica [fe80::1]:6380 lags 7s behind (more than max_lag_seconds=5)' in warnings
    assert '1 replica(s) online, fewer than min_replicas=2' in warnings
    replica = replication_status(parse_info(REPLICA_INFO))
    assert replication_warnings(replica) == ['replica link to 10.0.0.1:6379 is down']


def test_valkey_is_told_apart_from_redis():
    server = ServerInfo.from_info(parse_info(VALKEY_SERVER))
    assert server.flavor == 'valkey' and server.version == (8, 1, 1)
    assert server.replicaof_command == 'REPLICAOF' and not server.is_sentinel
    assert server.as_dict()['version'] == '8.1.1'


@pytest.mark.parametrize('version, command', [('4.0.14', 'SLAVEOF'), ('5.0.0', 'REPLICAOF'), ('7.0.15', 'REPLICAOF')])
def test_replicaof_command_by_version(version, command):
    server = ServerInfo.from_info(parse_info('redis_version:%s\nredis_mode:standalone\n' % version))
    assert server.flavor == 'redis' and server.replicaof_command == command


def test_sentinel_mode_and_sentinel_info():
    info = parse_info('redis_mode:sentinel\nsentinel_tilt:0\n'
                      'master0:name=mymaster,status=ok,address=10.0.0.1:6379,slaves=2,sentinels=3\n')
    assert ServerInfo.from_info(info).is_sentinel
    assert info['master0'] == dict(name='mymaster', status='ok', address='10.0.0.1:6379', slaves=2, sentinels=3)


def test_version_strings():
    assert parse_version('7.2.4') == (7, 2, 4)
    assert parse_version('8.0') == (8, 0, 0)
    assert parse_version('255.255.255-rc1') == (255, 255, 255)


def test_pairs_from_resp2_list_and_resp3_map():
    assert pairs_to_dict(['name', 'mymaster', 'port', '6379']) == {'name': 'mymaster', 'port': 6379}
    assert pairs_to_dict({'name': 'mymaster', 'port': '6379'}) == {'name': 'mymaster', 'port': 6379}


def test_same_address():
    assert same_address('localhost', '127.0.0.1')
    assert same_address('127.0.0.1', '127.0.0.1')
    assert same_address('[::1]', '::1')
    assert not same_address('127.0.0.1', '127.0.0.2')
    assert not same_address('127.0.0.1', None)


def test_same_address_takes_a_resolver():
    calls = []

    def resolve(host):
        calls.append(host)
        return {'10.0.0.1'} if host in ('db1', '10.0.0.1') else {host}

    assert same_address('db1', '10.0.0.1', resolve)
    assert not same_address('db2', '10.0.0.1', resolve)
    assert calls  # the resolver given was used, not the system's
    assert same_address('DB1', 'db1', resolve=lambda host: pytest.fail('equal spellings need no resolver'))


def test_cached_resolver_asks_once_per_name():
    resolve = cached_resolver()
    assert resolve('localhost') == resolve('localhost')
    assert resolve.cache_info().misses == 1 and resolve.cache_info().hits == 1


def test_find_endpoint_prefers_the_same_spelling_then_resolves():
    entries = [dict(address='localhost', port=6379, name='by-name'), dict(address='127.0.0.1', port=6380, name='other-port'),
               dict(address='127.0.0.1', port='6379', name='by-address')]
    assert find_endpoint(entries, '127.0.0.1', 6379)['name'] == 'by-address'
    assert find_endpoint(entries[:2], '127.0.0.1', 6379)['name'] == 'by-name'
    assert find_endpoint(entries, '127.0.0.2', 6379) is None
    assert find_endpoint(entries, 'localhost', 6381) is None
    sentinel_replies = [dict(ip='::1', port=26379)]
    assert find_endpoint(sentinel_replies, '[::1]', '26379', host_key='ip') is sentinel_replies[0]


def test_tally_counts_the_most_held_value_first_and_keeps_ties_in_order():
    votes = [('s1', ('10.0.0.1', 6379)), ('s2', ('10.0.0.2', 6379)), ('s3', ('10.0.0.2', 6379))]
    assert tally(votes) == [(('10.0.0.2', 6379), ['s2', 's3']), (('10.0.0.1', 6379), ['s1'])]
    assert tally([('a', 'x'), ('b', 'y')]) == [('x', ['a']), ('y', ['b'])]
    assert tally(iter([])) == []


def test_primary_status_in_full():
    status = replication_status(parse_info(PRIMARY_INFO))
    assert status == dict(
        role='primary', role_reported='master', master_repl_offset=1200, connected_replicas=2,
        replicas=[dict(ip='10.0.0.2', port=6379, state='online', offset=1000, lag=0, offset_lag=200),
                  dict(ip='fe80::1', port=6380, state='wait_bgsave', offset=0, lag=7, offset_lag=1200)],
        primary_host=None, primary_port=None, link_status=None, last_io_seconds_ago=None, sync_in_progress=False,
        replica_repl_offset=None, replica_priority=None, replica_read_only=None, link_down_since_seconds=None,
        min_replicas_good=2)


def test_replica_status_in_full_and_with_fields_missing():
    status = replication_status(parse_info(REPLICA_INFO))
    assert status == dict(
        role='replica', role_reported='slave', master_repl_offset=0, connected_replicas=0, replicas=[],
        primary_host='10.0.0.1', primary_port=6379, link_status='down', last_io_seconds_ago=-1,
        sync_in_progress=True, replica_repl_offset=1, replica_priority=0, replica_read_only=True,
        link_down_since_seconds=12, min_replicas_good=None)
    # Valkey names, and a replica that reports only the basics
    valkey = replication_status(dict(role='replica', master_host='h', master_port='6390', replica_priority='5',
                                     replica_read_only=0, master_sync_in_progress=0))
    assert valkey['role'] == 'replica' and valkey['role_reported'] == 'replica'
    assert (valkey['primary_host'], valkey['primary_port']) == ('h', 6390)
    assert valkey['replica_priority'] == 5 and valkey['replica_read_only'] is False
    assert valkey['sync_in_progress'] is False and valkey['link_status'] is None
    assert valkey['last_io_seconds_ago'] is None and valkey['replica_repl_offset'] is None
    assert valkey['master_repl_offset'] == 0 and valkey['connected_replicas'] == 0
    bare = replication_status(dict(role='slave'))
    assert bare['replica_read_only'] is True and bare['primary_port'] is None and bare['primary_host'] is None
    assert bare['link_down_since_seconds'] is None and bare['replica_priority'] is None
    assert replication_status({})['role'] == 'unknown' and replication_status({})['role_reported'] == 'unknown'
    assert replication_status(dict(role='sentinel'))['role'] == 'sentinel'


def test_replica_lines_as_text_with_gaps_and_offsets_ahead():
    info = dict(role='master', connected_slaves='2', master_repl_offset='50',
                slave1='ip=10.0.0.3,port=6379,state=online,offset=60,lag=1', slave2='ip=x,port=1,state=online',
                slave4='ip=y,port=2')
    replicas = replication_status(info)['replicas']
    # slave0 is missing (a replica that just left): the listing goes on; an offset ahead of the primary is no lag
    assert replicas[0] == dict(ip='10.0.0.3', port=6379, state='online', offset=60, lag=1, offset_lag=0)
    assert replicas[1] == dict(ip='x', port=1, state='online', offset=0, lag=None, offset_lag=50)
    assert len(replicas) == 2
    # a replica line the count does not include yet is listed too; the first gap after the count ends the list
    assert replication_status(dict(role='master', connected_slaves=0, slave0='ip=a,port=1'))['replicas'] == [
        dict(ip='a', port=1, state='', offset=0, lag=None, offset_lag=0)]
    empty = replication_status(dict(role='master', connected_slaves='', master_repl_offset=''))
    assert empty['connected_replicas'] == 0 and empty['master_repl_offset'] == 0


def test_parse_info_types_and_skipped_lines():
    raw = '# Server\r\n\r\nredis_version:7.0.15\r\nuptime:12\r\nratio:0.5\r\nno colon here\r\n' \
          'master_host:10.0.0.1\r\nslave12:ip=a,port=1\r\nmaster0:name=m,status=ok\r\nslaves:x=1\r\n' \
          'url:http://h:1\r\n'
    assert parse_info(raw) == {'redis_version': '7.0.15', 'uptime': 12, 'ratio': 0.5, 'master_host': '10.0.0.1',
                               'slave12': {'ip': 'a', 'port': 1}, 'master0': {'name': 'm', 'status': 'ok'},
                               'slaves': 'x=1', 'url': 'http://h:1'}
    assert parse_info(raw.encode()) == parse_info(raw)
    assert parse_info({'already': 'parsed'}) == {'already': 'parsed'}
    assert parse_info('slave:ip=a\nmasterx:1\n') == {'slave': 'ip=a', 'masterx': 1}


def test_server_info_in_full():
    redis = ServerInfo.from_info(parse_info('redis_version:7.0.15\nredis_mode:standalone\nrun_id:r1\n'
                                            'tcp_port:6380\nconfig_file:/etc/redis/redis.conf\n'))
    assert vars(redis) == dict(flavor='redis', version=(7, 0, 15), mode='standalone', run_id='r1', tcp_port=6380,
                               config_file='/etc/redis/redis.conf', version_string='7.0.15')
    assert redis.as_dict() == dict(flavor='redis', version='7.0.15', mode='standalone', run_id='r1', tcp_port=6380)
    valkey = ServerInfo.from_info(parse_info(VALKEY_SERVER))
    assert vars(valkey) == dict(flavor='valkey', version=(8, 1, 1), mode='standalone', run_id='abc', tcp_port=6379,
                                config_file='/etc/valkey/valkey.conf', version_string='8.1.1')
    # Valkey 8 also says server_mode; a Valkey without valkey_version falls back to redis_version
    named = ServerInfo.from_info(dict(server_name='Valkey', redis_version='7.2.4', server_mode='sentinel'))
    assert (named.flavor, named.version_string, named.mode, named.is_sentinel) == ('valkey', '7.2.4', 'sentinel', True)
    empty = ServerInfo.from_info({})
    assert vars(empty) == dict(flavor='redis', version=(0, 0, 0), mode='standalone', run_id='', tcp_port=0,
                               config_file='', version_string='0')
    assert ServerInfo.from_info(dict(tcp_port='', config_file=None)).tcp_port == 0


def test_config_get_from_list_and_map():
    assert config_get_to_dict(['maxmemory', 0, 'save', '']) == {'maxmemory': '0', 'save': ''}
    assert config_get_to_dict({'maxmemory': 0}) == {'maxmemory': '0'}
    assert config_get_to_dict(None) == {} and config_get_to_dict(['odd']) == {}


def test_every_warning_and_none_when_healthy():
    healthy = replication_status(dict(role='master', connected_slaves=1, slave0='ip=a,port=1,state=online,lag=5'))
    assert replication_warnings(healthy, max_lag_seconds=5, min_replicas=1) == []
    assert replication_warnings(healthy) == []
    assert replication_warnings(healthy, max_lag_seconds=4) == ['replica a:1 lags 5s behind (more than max_lag_seconds=4)']
    assert replication_warnings(healthy, min_replicas=2) == ['1 replica(s) online, fewer than min_replicas=2']
    no_lag = replication_status(dict(role='master', connected_slaves=1, slave0='ip=a,port=1,state=online'))
    assert replication_warnings(no_lag, max_lag_seconds=0) == []
    quiet = replication_status(dict(role='slave', master_host='p', master_port=1, master_link_status='up',
                                    master_last_io_seconds_ago=9))
    assert replication_warnings(quiet) == [] and replication_warnings(quiet, max_lag_seconds=9) == []
    assert replication_warnings(quiet, max_lag_seconds=8) == [
        'no data from the primary for 9s (more than max_lag_seconds=8)']
    unknown_io = replication_status(dict(role='slave', master_link_status='up'))
    assert replication_warnings(unknown_io, max_lag_seconds=0) == []
    assert replication_warnings(replication_status(dict(role='slave', master_host='p', master_port=1,
                                                        master_link_status='up')), min_replicas=1) == []


def test_password_hash_is_what_acl_getuser_shows():
    new = 'néw "pw"'
    assert password_hash(new) == hashlib.sha256(new.encode('utf-8')).hexdigest()
    assert len(password_hash('')) == 64
    # A password Ansible read from bytes that are not UTF-8 carries surrogates: hashed as those bytes, not an error.
    assert password_hash('a\udcff') == hashlib.sha256(b'a\xff').hexdigest()


@pytest.mark.parametrize('reply', [
    ['flags', ['on'], 'passwords', ['a', 'b'], 'commands', '+@all'],
    {'flags': ['on'], 'passwords': ['a', 'b'], 'commands': '+@all'},
])
def test_acl_getuser_fields_keeps_lists_in_resp2_and_resp3(reply):
    fields = acl_getuser_fields(reply)
    assert fields['passwords'] == ['a', 'b'] and fields['flags'] == ['on'] and fields['commands'] == '+@all'


def test_acl_getuser_fields_of_no_such_user():
    assert acl_getuser_fields(None) == {}
