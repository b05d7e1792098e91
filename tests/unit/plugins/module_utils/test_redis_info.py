# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of recorded replies, for servers this machine does not run (Valkey, Redis < 5)."""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    ServerInfo,
    pairs_to_dict,
    parse_info,
    parse_version,
    replication_status,
    replication_warnings,
    same_address,
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
    assert 'replica fe80::1:6380 is in state wait_bgsave' in warnings
    assert 'replica fe80::1:6380 lags 7s behind (more than max_lag_seconds=5)' in warnings
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
