# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read scaling with a real client, as an application uses it (the setup guide's pattern):
write through Sentinel's master_for, read the same keys back through slave_for from replicas,
and check that a replica refuses writes. Bounded: 200 keys, 30 s. Prints one JSON line.
The master name is REDIS_OPS_MASTER_NAME (default mymaster), the Sentinels' port REDIS_OPS_SENTINEL_PORT (26379)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

import redis
from redis.sentinel import Sentinel


def main() -> int:
    name = os.environ.get('REDIS_OPS_MASTER_NAME', 'mymaster')
    sentinels = [(host, int(os.environ.get('REDIS_OPS_SENTINEL_PORT', '26379'))) for host in sys.argv[1].split(',')]
    password, sentinel_password = sys.argv[2], sys.argv[3]
    # Optional: an ACL user name, and a directory with ca.crt, server.crt and server.key to use TLS.
    username = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    tls = {}
    if len(sys.argv) > 5:
        tls = dict(ssl=True, ssl_ca_certs=sys.argv[5] + '/ca.crt', ssl_certfile=sys.argv[5] + '/server.crt',
                   ssl_keyfile=sys.argv[5] + '/server.key')
    sentinel = Sentinel(sentinels, socket_timeout=1.0, sentinel_kwargs=dict(password=sentinel_password, **tls), **tls)
    master = sentinel.master_for(name, socket_timeout=1.0, username=username, password=password,
                                 decode_responses=True)
    replica = sentinel.slave_for(name, socket_timeout=1.0, username=username, password=password,
                                 decode_responses=True)
    prefix = 'read-scaling:%s:' % uuid.uuid4().hex
    keys = [prefix + str(i) for i in range(200)]
    for key in keys:
        master.set(key, key, ex=600)
    master.execute_command('WAIT', 2, 5000)
    deadline = time.monotonic() + 30
    missing = keys
    while missing and time.monotonic() < deadline:
        values = replica.mget(missing)
        missing = [key for key, value in zip(missing, values) if value != key]
        if missing:
            time.sleep(0.2)
    served_by = replica.connection_pool.get_master_address()  # the primary, to compare with
    replica_info = replica.info('replication')
    try:
        replica.set(prefix + 'write', '1')
        refused = False
    except redis.exceptions.ReadOnlyError:
        refused = True
    print(json.dumps(dict(master_name=name, written=len(keys), missing_on_replica=len(missing), replica_role=replica_info['role'],
                          primary=list(served_by), replica_refused_write=refused)))
    return 0 if not missing and refused and replica_info['role'] == 'slave' else 1


if __name__ == '__main__':
    sys.exit(main())
