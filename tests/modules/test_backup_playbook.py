# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml on a real primary, replica and Sentinel: the snapshot comes from the replica, reaches the
controller with a manifest that matches it, only the newest redis_backup_keep stay, check mode changes nothing, and
bad input stops the run before anything is done."""

from __future__ import annotations

import glob
import hashlib
import json
import os

import pytest
from harness import MODULE_PYTHON, PASSWORD, SENTINEL_PASSWORD, run_playbook_file, sentinel_command, wait_until

PLAYBOOK = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks',
                                        'backup.yml'))


def inventory(tmp_path, primary, replicas, sentinel) -> str:
    common = 'ansible_connection=local ansible_become=false ansible_python_interpreter=%s redis_host_address=127.0.0.1' \
        % MODULE_PYTHON
    lines = ['[redis_master]', 'node1 redis_port=%d %s' % (primary.port, common), '[redis_replica]']
    lines += ['node%d redis_port=%d %s' % (number, replica.port, common) for number, replica in enumerate(replicas, 2)]
    lines += ['[redis_sentinel]', 's1 redis_sentinel_port=%d %s' % (sentinel.port, common),
              '[all:vars]', 'redis_password=%s' % PASSWORD, 'redis_sentinel_password=%s' % SENTINEL_PASSWORD,
              'redis_sentinel_quorum=1']
    path = tmp_path / ('inventory-%d.ini' % len(replicas))
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def backups(directory) -> list:
    return sorted(os.path.basename(path) for path in glob.glob(os.path.join(str(directory), '*')))


@pytest.fixture
def trio(fleet):
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    wait_until(lambda: replica.client().info('replication').get('master_link_status') == 'up', 30,
               'the replica to sync')
    sentinel = fleet.sentinel(monitor=primary)
    wait_until(lambda: int(sentinel_command(sentinel, 'MASTER', 'mymaster')['num-slaves']) == 1, 30,
               'Sentinel to see the replica')
    for index in range(300):
        primary.client().set('key:%d' % index, 'value %d' % index)
    assert primary.client().execute_command('WAIT', 1, 5000) == 1
    return primary, replica, sentinel


@pytest.mark.long
@pytest.mark.oldest
def test_backup_from_the_replica_with_its_manifest_keeping_the_newest(trio, tmp_path, node_tmpdir):
    primary, replica, sentinel = trio
    # The node's temporary directory (the node is this machine): the copy made there is removed, in check mode too.
    node_tmp = node_tmpdir
    hosts = inventory(tmp_path, primary, [replica], sentinel)
    store = tmp_path / 'store'

    refused = run_playbook_file(PLAYBOOK, hosts, dict(redis_backup_keep=0, redis_backup_dir=str(store)),
                                callback='default')
    assert refused.rc != 0 and 'redis_backup_keep must be a whole number of backups, 1 or more' in refused.stdout
    no_dir = run_playbook_file(PLAYBOOK, hosts, callback='default')
    assert no_dir.rc != 0 and 'redis_backup_dir must name a directory on the controller' in no_dir.stdout
    saves_before = replica.client().info('persistence')['rdb_saves']
    plan = run_playbook_file(PLAYBOOK, hosts, dict(redis_backup_dir=str(store)), check=True, callback='default')
    assert plan.rc == 0, plan.stdout[-3000:]
    assert 'Snapshot of node2 (replica)' in plan.stdout and not store.exists()
    assert list(node_tmp.iterdir()) == [], 'check mode left its copy directory on the node'
    assert replica.client().info('persistence')['rdb_saves'] == saves_before

    for run_number in range(3):
        primary.client().set('run', run_number)
        assert primary.client().execute_command('WAIT', 1, 5000) == 1
        run = run_playbook_file(PLAYBOOK, hosts, dict(redis_backup_dir=str(store), redis_backup_keep=2))
        assert run.rc == 0, run.stdout[-3000:]
        wait_until(lambda: True, 1.1, 'the next second: one backup name per second')  # pylint: disable=cell-var-from-loop
    assert list(node_tmp.iterdir()) == [], 'a backup left its copy directory on the node'
    names = backups(store)
    assert len(names) == 4 and [name.endswith('.json') for name in names] == [True, False, True, False], names
    manifest = json.loads((store / names[-2]).read_text())
    data = (store / names[-1]).read_bytes()
    assert manifest['file'] == names[-1] and names[-1].startswith('mymaster-') and '-node2-%d.rdb' % replica.port in names[-1]
    assert manifest['sha256'] == hashlib.sha256(data).hexdigest() and manifest['size'] == len(data)
    assert manifest['role'] == 'replica' and manifest['host'] == 'node2' and manifest['primary'] == 'node1'
    assert manifest['keys_read'] == 301 and manifest['keyspace'] == {'db0': {'keys': 301, 'expires': 0}}
    assert manifest['replication_id'] == primary.client().info('replication')['master_replid']
    assert data.startswith(b'REDIS%04d' % manifest['rdb_version'])
    assert oct(os.stat(str(store / names[-1])).st_mode & 0o777) == '0o600'


def test_without_a_healthy_replica_the_primary_is_snapshotted_with_a_warning(trio, tmp_path):
    primary, replica, sentinel = trio
    # The replica is not in this inventory: there is no replica to take the snapshot on.
    hosts = inventory(tmp_path, primary, [], sentinel)
    run = run_playbook_file(PLAYBOOK, hosts, dict(redis_backup_dir=str(tmp_path / 'store')), callback='default')
    assert run.rc == 0, run.stdout[-3000:]
    assert 'Snapshot of node1 (primary)' in run.stdout and 'No healthy replica' in run.stdout
    names = backups(tmp_path / 'store')
    assert len(names) == 2 and '-node1-%d.rdb' % primary.port in names[1]
    assert replica.client().info('persistence')['rdb_saves'] == 0


def test_with_acl_users_the_snapshot_is_taken_as_the_backup_user(trio, tmp_path):
    """With redis_acl_enabled and redis_acl_backup_password, the fleet is read as the admin user and the snapshot taken
    as redis_acl_backup_user. Here the admin user may not send BGSAVE: the backup only works as the backup user."""
    primary, replica, sentinel = trio
    admin_password, backup_password = 'admin pw "a"', 'backup pw \'b\''
    for node in (primary, replica):
        node.client().execute_command('ACL', 'SETUSER', 'redis-ops-admin', 'on', '>' + admin_password, '~*', '&*',
                                      '+@all', '-bgsave')
        node.client().execute_command('ACL', 'SETUSER', 'redis-ops-backup', 'on', '>' + backup_password, '-@all',
                                      '+ping', '+info', '+config|get', '+bgsave', '+lastsave')
    hosts = inventory(tmp_path, primary, [replica], sentinel)
    acl = dict(redis_acl_enabled=True, redis_acl_admin_password=admin_password, redis_acl_replication_password='r',
               redis_acl_sentinel_password='s', redis_backup_dir=str(tmp_path / 'store'))
    as_admin = run_playbook_file(PLAYBOOK, hosts, acl, callback='default')
    assert as_admin.rc != 0 and "the user connected to localhost:%d lacks the permission while running BGSAVE" \
        % replica.port in as_admin.stdout, as_admin.stdout[-3000:]

    run = run_playbook_file(PLAYBOOK, hosts, dict(acl, redis_acl_backup_password=backup_password), callback='default')
    assert run.rc == 0, run.stdout[-3000:]
    names = backups(tmp_path / 'store')
    assert len(names) == 2 and '-node2-%d.rdb' % replica.port in names[1], names
    assert json.loads((tmp_path / 'store' / names[0]).read_text())['keys_read'] == 300
