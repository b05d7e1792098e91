# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The head of RDB files as Redis and Valkey write it (the module tests read real snapshots; these cover the
encodings and formats a Debian 12 server does not write)."""

from __future__ import annotations

import hashlib
import struct

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.rdb import (
    RdbError,
    describe_file,
    keyspace_counts,
    read_head,
)


def rdb_string(value) -> bytes:
    if isinstance(value, int):
        if -128 <= value <= 127:
            return bytes([0xC0]) + struct.pack('<b', value)
        if -32768 <= value <= 32767:
            return bytes([0xC1]) + struct.pack('<h', value)
        return bytes([0xC2]) + struct.pack('<i', value)
    data = value.encode()
    if len(data) < 64:
        return bytes([len(data)]) + data
    if len(data) < 16384:
        return bytes([0x40 | (len(data) >> 8), len(data) & 0xFF]) + data
    return b'\x80' + struct.pack('>I', len(data)) + data


def aux(name, value) -> bytes:
    return b'\xfa' + rdb_string(name) + rdb_string(value)


HEAD = (b'REDIS0010' + aux('redis-ver', '7.0.15') + aux('redis-bits', 64) + aux('ctime', 1796371200)
        + aux('used-mem', 1183416) + aux('repl-stream-db', 0) + aux('repl-id', 'a' * 40) + aux('repl-offset', 183204)
        + aux('aof-base', 0) + b'\xfe\x00\xfb\x01\x00')


def test_version_and_auxiliary_fields_of_a_redis_7_snapshot():
    head = read_head(HEAD)
    assert head['magic'] == 'REDIS' and head['rdb_version'] == 10
    assert head['aux'] == {'redis-ver': '7.0.15', 'redis-bits': '64', 'ctime': '1796371200', 'used-mem': '1183416',
                           'repl-stream-db': '0', 'repl-id': 'a' * 40, 'repl-offset': '183204', 'aof-base': '0'}


def test_valkey_magic_long_strings_and_a_head_cut_short():
    head = read_head(b'VALKEY080' + aux('valkey-ver', '9.0.0') + aux('note', 'x' * 300) + aux('big', 'y' * 20000))
    assert head['magic'] == 'VALKEY' and head['rdb_version'] == 80
    assert head['aux']['note'] == 'x' * 300 and len(head['aux']['big']) == 20000
    # Only what was read: an auxiliary field cut in the middle ends the head.
    assert read_head(HEAD[:30])['aux'] == {'redis-ver': '7.0.15'}


@pytest.mark.parametrize('data', [b'', b'REDIS', b'RDB0010', b'\x00' * 20, b'redis0010'])
def test_what_is_not_an_rdb_file_is_refused(data):
    with pytest.raises(RdbError, match='does not start with REDIS or VALKEY'):
        read_head(data)


def test_describe_file_hashes_the_whole_file(tmp_path):
    path = tmp_path / 'dump.rdb'
    body = HEAD + b'\x00' * (3 * 1024 * 1024)
    path.write_bytes(body)
    described = describe_file(str(path))
    assert described['size'] == len(body) and described['sha256'] == hashlib.sha256(body).hexdigest()
    assert described['rdb_version'] == 10 and described['aux']['repl-offset'] == '183204'


def test_keyspace_counts_parsed_or_raw():
    assert keyspace_counts({'db0': {'keys': 3, 'expires': 1, 'avg_ttl': 5}, 'db12': 'keys=7,expires=0,avg_ttl=0',
                            'dbx': 'keys=1', 'other': 1}) == {'db0': {'keys': 3, 'expires': 1},
                                                              'db12': {'keys': 7, 'expires': 0}}
