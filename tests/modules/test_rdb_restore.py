# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rdb_restore against real servers: a backup taken by rdb_backup, a FLUSHALL, then checked, placed and loaded brings
every key back, with the AOF on (a fresh AOF written live, which a restart then loads) and off; a damaged file, a
file of a newer RDB format, a running server and a wrong key count are refused, the first three before any change."""

from __future__ import annotations

import os
import shutil

from harness import conn, wait_until
from test_rdb_backup import fill, pair


def backup_of(replica, run_module, tmp_path) -> tuple:
    dest = str(tmp_path / 'backup.rdb')
    run = run_module('rdb_backup', conn(replica, dest=dest))
    assert not run.failed, run.result
    return dest, run['manifest']


def aof_on(instance) -> None:
    client = instance.client()
    client.config_set('appendonly', 'yes')
    wait_until(lambda: int(client.info('persistence')['aof_rewrite_in_progress']) == 0
               and int(client.info('persistence')['aof_rewrite_scheduled']) == 0, 30, 'the first AOF rewrite')
    client.config_rewrite()


def set_line(instance, name: str, value: str) -> None:
    lines = [line for line in instance.config_text().splitlines() if not line.startswith(name + ' ')]
    with open(instance.config_path, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines + ['%s %s' % (name, value)]) + '\n')


def all_back(instance, written: dict) -> bool:
    for (db, key), value in written.items():
        if instance.client(db=db).get(key) != value:
            return False
    return True


def restore(primary, run_module, src: str, manifest: dict, check_first: bool = False) -> dict:
    """checked, stop, placed, start (appendonly no), loaded: what restore.yml does on the primary."""
    checked = run_module('rdb_restore', conn(primary, state='checked', src=src, sha256=manifest['sha256']))
    assert not checked.failed and not checked['changed'], checked.result
    files, backup = checked['files'], checked['backup']
    assert backup['sha256'] == manifest['sha256'] and backup['rdb_version'] == manifest['rdb_version']
    assert backup['keys_read'] == manifest['keys_read'] and files['dir'] == primary.dir
    assert files['config_file'] == primary.config_path
    primary.stop()
    placed_args = conn(primary, state='placed', src=src, sha256=manifest['sha256'], data_dir=files['dir'],
                       dbfilename=files['dbfilename'], aof_dirname=files['appenddirname'] or 'appendonlydir')
    if check_first:
        plan = run_module('rdb_restore', placed_args, check=True)
        assert not plan.failed and plan['changed'] and plan['moved_aside'] == [] and plan['placed'] is None
        assert not os.path.isdir(os.path.join(primary.dir, 'before-restore'))
    placed = run_module('rdb_restore', placed_args)
    assert not placed.failed and placed['changed'], placed.result
    assert placed['placed'] == os.path.join(primary.dir, files['dbfilename'])
    if files['appendonly']:
        set_line(primary, 'appendonly', 'no')
    primary.start_from_file()
    loaded = run_module('rdb_restore', conn(primary, state='loaded', expect_count=backup['keys_read'],
                                            expect_expires=backup['expires'], appendonly=files['appendonly']))
    assert not loaded.failed and loaded['key_count'] == backup['keys_read'], loaded.result
    return dict(checked=checked, placed=placed, loaded=loaded)


def test_backup_flushall_restore_with_the_aof_on(fleet, run_module, tmp_path):
    primary, replica = pair(fleet)
    aof_on(primary)
    written = fill(primary)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    src, manifest = backup_of(replica, run_module, tmp_path)

    primary.client().flushall()  # the disaster, replicated at once
    wait_until(lambda: replica.client().dbsize() == 0, 10, 'the FLUSHALL to reach the replica')

    steps = restore(primary, run_module, src, manifest, check_first=True)
    assert steps['checked']['files']['appendonly'] is True and steps['checked']['key_count'] == 0
    aside = os.path.join(primary.dir, 'before-restore')
    assert 'appendonlydir' in os.listdir(aside), 'the AOF of the flushed data set is kept aside'
    loaded = steps['loaded']
    assert loaded['changed'] and loaded['aof_rewritten'] and loaded['commands'] == ['CONFIG SET appendonly yes']
    assert all_back(primary, written)
    assert primary.client().ttl('k:0:0') > 0

    # The replica follows the restored primary by a full resynchronisation.
    wait_until(lambda: replica.client().dbsize() == 500 and all_back(replica, written), 30,
               'the replica to hold the restored data')

    # The fresh AOF holds the data: restarted with appendonly yes, the primary loads it, not the snapshot.
    set_line(primary, 'appendonly', 'yes')
    os.unlink(os.path.join(primary.dir, 'dump.rdb'))
    primary.stop()
    primary.start_from_file()
    wait_until(lambda: int(primary.client().info('persistence')['loading']) == 0, 30, 'the AOF to load')
    assert primary.client().config_get('appendonly') == {'appendonly': 'yes'}
    assert all_back(primary, written)

    again = run_module('rdb_restore', conn(primary, state='loaded', expect_count=manifest['keys_read'],
                                           appendonly=True))
    assert not again.failed and not again['changed'] and again['commands'] == [], again.result


def test_backup_flushall_restore_with_the_aof_off(fleet, run_module, tmp_path):
    primary, replica = pair(fleet)
    written = fill(primary, 200)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    src, manifest = backup_of(replica, run_module, tmp_path)
    primary.client().flushall()
    primary.client().save()  # the flushed data set on disk, as after a shutdown with save points

    steps = restore(primary, run_module, src, manifest)
    assert steps['checked']['files']['appendonly'] is False
    assert os.listdir(os.path.join(primary.dir, 'before-restore')) == ['dump.rdb']
    assert not steps['loaded']['changed'] and steps['loaded']['commands'] == []
    assert all_back(primary, written)


def test_damaged_newer_and_unsafe_restores_are_refused(fleet, run_module, tmp_path):
    primary, replica = pair(fleet)
    fill(primary, 100)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    src, manifest = backup_of(replica, run_module, tmp_path)
    checked_args = dict(conn(primary, state='checked', sha256=manifest['sha256']))
    version = primary.client().info('server')['redis_version']

    # One byte changed in transit: the checksum refuses it.
    damaged = str(tmp_path / 'damaged.rdb')
    shutil.copyfile(src, damaged)
    with open(damaged, 'r+b') as handle:
        handle.seek(os.path.getsize(damaged) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    bad_sum = run_module('rdb_restore', dict(checked_args, src=damaged))
    assert bad_sum.failed and 'its manifest says %s' % manifest['sha256'] in bad_sum['msg'], bad_sum.result
    assert 'nothing was changed' in bad_sum['msg']

    # Damaged before its manifest was written: the checksum agrees, the server's own checker does not.
    no_sum = run_module('rdb_restore', conn(primary, state='checked', src=damaged))
    assert no_sum.failed and 'fails redis-check-rdb' in no_sum['msg'] and 'It is damaged' in no_sum['msg'], \
        no_sum.result

    # Written by a newer server (RDB 12, Redis 7.4+): the file's and the server's versions are named.
    newer = str(tmp_path / 'newer.rdb')
    with open(newer, 'wb') as handle:
        handle.write(b'REDIS0012\xfa\x09redis-ver\x057.4.2\xff' + b'\0' * 8)
    too_new = run_module('rdb_restore', conn(primary, state='checked', src=newer))
    assert too_new.failed and 'RDB format version 12, written by redis 7.4.2' in too_new['msg'], too_new.result
    assert 'redis %s on this node cannot load it' % version in too_new['msg']

    missing = run_module('rdb_restore', conn(primary, state='checked', src=str(tmp_path / 'none.rdb')))
    assert missing.failed and 'does not exist on this host' in missing['msg']
    not_rdb = str(tmp_path / 'text.rdb')
    with open(not_rdb, 'w', encoding='utf-8') as handle:
        handle.write('not a snapshot\n')
    not_an_rdb = run_module('rdb_restore', conn(primary, state='checked', src=not_rdb))
    assert not_an_rdb.failed and 'is not an RDB file' in not_an_rdb['msg']
    sentinel = fleet.sentinel(monitor=primary)
    on_sentinel = run_module('rdb_restore', conn(sentinel, state='checked'))
    assert on_sentinel.failed and 'is a Sentinel, which keeps no data' in on_sentinel['msg']

    # Files are never replaced under a running server.
    running = run_module('rdb_restore', conn(primary, state='placed', src=src, data_dir=primary.dir))
    assert running.failed and 'a server still answers on 127.0.0.1:%d' % primary.port in running['msg']
    names = run_module('rdb_restore', conn(primary, state='placed', data_dir=primary.dir, aside='../x'))
    assert names.failed and 'aside must be a plain file name' in names['msg']
    assert not os.path.exists(os.path.join(primary.dir, 'before-restore'))
    assert primary.client().dbsize() == 100

    # A server that did not load the backup (its file still said appendonly yes) fails the last step.
    loaded = run_module('rdb_restore', conn(primary, state='loaded', expect_count=5000))
    assert loaded.failed and 'holds 120 keys after the restore, but the backup holds 5000' in loaded['msg']
