# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client side of the default scenario's backup -> FLUSHALL -> restore step, through Sentinel as an application:

  restore_client.py write|flush|check SENTINELS COUNT      (passwords in REDIS_PW and REDIS_SENTINEL_PW)

write: COUNT strings in db0 (every tenth with a TTL of an hour), COUNT/10 hashes in db0 and COUNT/10 strings in db1,
values with spaces, quotes and bytes above 127; the primary waits until every replica has them.
flush: FLUSHALL on the primary, then waits until every replica is empty.
check: every key and value written is back on the primary and on every replica Sentinel knows.
Bounded: at most 60 s of waiting. Prints one JSON line; exits 1 when a check fails."""

from __future__ import annotations

import json
import os
import sys
import time

from redis import Redis
from redis.sentinel import Sentinel


def expected(count: int) -> dict:
    data = {}
    for index in range(count):
        data[(0, 'restore:s:%d' % index)] = 'value %d "quoted" \u00e9\u00e8 %d' % (index, index * 7)
    for index in range(count // 10):
        data[(0, 'restore:h:%d' % index)] = {'field a': str(index), 'b': 'x' * (index % 50)}
        data[(1, 'restore:db1:%d' % index)] = str(index)
    return data


def read(client_for, data: dict) -> int:
    missing = 0
    for (db, key), value in data.items():
        client = client_for(db)
        got = client.hgetall(key) if isinstance(value, dict) else client.get(key)
        missing += got != value
    return missing


def main() -> int:
    mode, hosts, count = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3])
    password, sentinel_password = os.environ['REDIS_PW'], os.environ['REDIS_SENTINEL_PW']
    sentinel = Sentinel([(host, 26379) for host in hosts], socket_timeout=2.0,
                        sentinel_kwargs=dict(password=sentinel_password))
    primary_address = sentinel.discover_master('mymaster')
    replica_addresses = sentinel.discover_slaves('mymaster')

    def node(address, db=0):
        return Redis(host=address[0], port=address[1], db=db, password=password, socket_timeout=5,
                     decode_responses=True)

    data = expected(count)
    deadline = time.monotonic() + 60
    result = dict(mode=mode, primary=list(primary_address), replicas=len(replica_addresses))
    if mode == 'write':
        for db in (0, 1):
            pipe = node(primary_address, db).pipeline(transaction=False)
            for (key_db, key), value in data.items():
                if key_db != db:
                    continue
                if isinstance(value, dict):
                    pipe.hset(key, mapping=value)
                else:
                    pipe.set(key, value, ex=3600 if key.endswith('0') else None)
            pipe.execute()
        acknowledged = node(primary_address).execute_command('WAIT', len(replica_addresses), 10000)
        result.update(written=len(data), acknowledged_by=acknowledged)
        ok = acknowledged == len(replica_addresses)
    elif mode == 'flush':
        node(primary_address).flushall()
        while time.monotonic() < deadline and any(node(a).dbsize() or node(a, 1).dbsize() for a in replica_addresses):
            time.sleep(0.2)
        result['keys_left'] = [node(a).dbsize() + node(a, 1).dbsize() for a in [primary_address] + replica_addresses]
        ok = sum(result['keys_left']) == 0
    else:
        missing = {}
        for address in [primary_address] + replica_addresses:
            missing['%s:%d' % tuple(address)] = read(lambda db, a=address: node(a, db), data)
            while missing['%s:%d' % tuple(address)] and time.monotonic() < deadline:
                time.sleep(0.5)
                missing['%s:%d' % tuple(address)] = read(lambda db, a=address: node(a, db), data)
        ttl = node(primary_address).ttl('restore:s:10')
        result.update(expected=len(data), missing=missing, ttl_kept=0 < ttl <= 3600)
        ok = not any(missing.values()) and result['ttl_kept'] and len(missing) == 1 + len(replica_addresses)
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
