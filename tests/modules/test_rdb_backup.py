# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rdb_backup against real servers: the snapshot of a replica is checked, copied and loads back into a new server with
every key; a snapshot that already runs is waited for and never doubled; bad input is refused before any BGSAVE."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat

import pytest
import redis
import yaml
from harness import PASSWORD, Instance, conn, free_port, wait_until


def fill(primary, count: int = 500) -> dict:
    """Keys in db0 (some with a TTL) and db1; returns {(db, key): value}."""
    written = {}
    for db in (0, 1):
        client = primary.client(db=db)
        pipe = client.pipeline()
        for index in range(count if db == 0 else count // 5):
            key, value = 'k:%d:%d' % (db, index), 'v %d "%d"' % (index, db)
            pipe.set(key, value, ex=3600 if db == 0 and index % 10 == 0 else None)
            written[(db, key)] = value
        pipe.execute()
    return written


def saves(instance) -> int:
    return int(instance.client().info('persistence')['rdb_saves'])


def pair(fleet, lines=None):
    primary = fleet.redis(['repl-diskless-sync-delay 0'] + list(lines or []))
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    wait_until(lambda: replica.client().info('replication').get('master_link_status') == 'up', 30,
               'the replica to sync')
    return primary, replica


def test_snapshot_of_a_replica_is_checked_copied_and_loads_back(fleet, run_module, tmp_path):
    primary, replica = pair(fleet)
    written = fill(primary)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    dest = str(tmp_path / 'replica.rdb')

    plan = run_module('rdb_backup', conn(replica, dest=dest), check=True)
    assert not plan.failed and plan['changed'] and plan['manifest'] == {} and plan['commands'] == [], plan.result
    assert not os.path.exists(dest) and saves(replica) == 0

    run = run_module('rdb_backup', conn(replica, dest=dest))
    assert not run.failed and run['changed'] and run['commands'] == ['BGSAVE'], run.result
    manifest = run['manifest']
    with open(dest, 'rb') as handle:
        data = handle.read()
    assert manifest['sha256'] == hashlib.sha256(data).hexdigest() and manifest['size'] == len(data)
    assert data.startswith(b'REDIS%04d' % manifest['rdb_version'])
    assert manifest['role'] == 'replica' and manifest['source'] == '127.0.0.1:%d' % replica.port
    assert manifest['server_version'] == replica.client().info('server')['redis_version']
    assert manifest['keyspace'] == {'db0': {'keys': 500, 'expires': 50}, 'db1': {'keys': 100, 'expires': 0}}
    assert manifest['keys_read'] == 600
    primary_repl = primary.client().info('replication')
    assert manifest['replication_id'] == primary_repl['master_replid']
    assert 0 < manifest['replication_offset'] <= primary_repl['master_repl_offset']
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600

    # Proven by a restore: a new server started on the copy has every key and value.
    restored = Instance(fleet.workdir, 'redis', free_port(), ['save ""', 'appendonly no', 'requirepass %s' % PASSWORD],
                        PASSWORD)
    shutil.copyfile(dest, os.path.join(restored.dir, 'dump.rdb'))
    fleet.instances.append(restored)
    restored.start()
    for (db, key), value in written.items():
        assert restored.client(db=db).get(key) == value, key
    assert restored.client().ttl('k:0:0') > 0 and restored.client().ttl('k:0:1') == -1


def backup_user_rules() -> list:
    """The ACL rules the roles give redis_acl_backup_user (roles/_common/vars/main.yml)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles', '_common', 'vars', 'main.yml')
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)['_redis_backup_acl_rules']


def test_the_backup_acl_user_takes_a_snapshot_and_can_read_or_change_nothing(fleet, run_module, tmp_path):
    """With redis_acl_backup_password, backup.yml snapshots as redis_acl_backup_user: the roles' rules for it are
    enough for the module, and nothing more: no key can be read, written or flushed with them."""
    primary, replica = pair(fleet)
    fill(primary, 50)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    password = 'backup "pw" with spaces'
    replica.client().execute_command('ACL', 'SETUSER', 'redis-ops-backup', 'on', '>' + password, *backup_user_rules())

    run = run_module('rdb_backup', conn(replica, dest=str(tmp_path / 'b.rdb'), login_user='redis-ops-backup',
                                        login_password=password))
    assert not run.failed and run['changed'] and run['manifest']['keys_read'] == 60, run.result

    as_backup = redis.Redis(host='127.0.0.1', port=replica.port, username='redis-ops-backup', password=password)
    for command in (('GET', 'k:0:1'), ('SET', 'x', '1'), ('KEYS', '*'), ('FLUSHALL',), ('CONFIG', 'SET', 'save', ''),
                    ('REPLICAOF', 'NO', 'ONE'), ('ACL', 'SETUSER', 'x', 'on'), ('SHUTDOWN',)):
        with pytest.raises(redis.exceptions.NoPermissionError):
            as_backup.execute_command(*command)
    as_backup.close()


def test_a_running_snapshot_is_waited_for_and_never_doubled(fleet, run_module, tmp_path):
    # 2 ms per key: a snapshot of 1000 keys takes about two seconds.
    primary = fleet.redis(['rdb-key-save-delay 2000'])
    fill(primary, 1000)
    primary.client().bgsave()
    assert int(primary.client().info('persistence')['rdb_bgsave_in_progress']) == 1
    run = run_module('rdb_backup', conn(primary, dest=str(tmp_path / 'primary.rdb')))
    assert not run.failed and run['waited_for_running_save'] is True, run.result
    assert run['commands'] == ['BGSAVE'] and run['manifest']['role'] == 'primary'
    assert saves(primary) == 2, 'the running snapshot and the module\'s own, one after the other'
    assert run['manifest']['keys_read'] == 1200


def test_bad_input_is_refused_before_any_snapshot(fleet, run_module, tmp_path):
    primary = fleet.redis()
    sentinel = fleet.sentinel(monitor=primary)
    missing = run_module('rdb_backup', conn(primary, dest=str(tmp_path / 'no' / 'such.rdb')))
    assert missing.failed and 'the directory of dest does not exist' in missing['msg']
    own = run_module('rdb_backup', conn(primary, dest=os.path.join(primary.dir, 'dump.rdb')))
    assert own.failed and "dest is the server's own snapshot file" in own['msg']
    checker = run_module('rdb_backup', conn(primary, dest=str(tmp_path / 'x.rdb'), check_command='/nonexistent/check'))
    assert checker.failed and 'is not installed on this host' in checker['msg']
    not_data = run_module('rdb_backup', conn(sentinel, dest=str(tmp_path / 'x.rdb')))
    assert not_data.failed and 'is a Sentinel, which keeps no data' in not_data['msg']
    assert saves(primary) == 0 and not os.path.exists(str(tmp_path / 'x.rdb'))

    gone = fleet.redis()
    gone.stop()
    unreachable = run_module('rdb_backup', dict(conn(gone, dest=str(tmp_path / 'x.rdb')), connect_timeout=1))
    assert unreachable.failed and unreachable['msg'].startswith('cannot connect to 127.0.0.1:%d' % gone.port)

    # A copy the checker refuses fails the module and stays for inspection (/bin/false: a checker that says no).
    refused = run_module('rdb_backup', conn(primary, dest=str(tmp_path / 'x.rdb'), check_command='/bin/false'))
    assert refused.failed and 'fails false (rc 1)' in refused['msg'] and 'kept there for inspection' in refused['msg']
    assert os.path.exists(str(tmp_path / 'x.rdb'))
