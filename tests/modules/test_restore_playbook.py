# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/restore.yml up to its first stop, on a real primary, replica and Sentinel with a backup taken by
backup.yml: bad input, a missing manifest, a damaged file and a fleet holding data are refused, and check mode
prints the plan; none of them changes anything (same processes, same data, no copy left on the primary's host).
The stops, the load and the resynchronisation need systemd units: the Molecule default scenario runs them."""

from __future__ import annotations

import glob
import os
import shutil

import pytest
from harness import run_playbook_file
from test_backup_playbook import PLAYBOOK as BACKUP, inventory, trio  # noqa: F401  pylint: disable=unused-import

PLAYBOOK = os.path.join(os.path.dirname(BACKUP), 'restore.yml')


@pytest.mark.long
@pytest.mark.oldest
def test_refusals_and_the_plan_change_nothing(trio, tmp_path, node_tmpdir):  # pylint: disable=redefined-outer-name
    primary, replica, sentinel = trio
    hosts = inventory(tmp_path, primary, [replica], sentinel)
    store = tmp_path / 'store'
    taken = run_playbook_file(BACKUP, hosts, dict(redis_backup_dir=str(store)))
    assert taken.rc == 0, taken.stdout[-3000:]
    backup = glob.glob(str(store / '*.rdb'))[0]
    pids = [instance.client().info('server')['process_id'] for instance in (primary, replica, sentinel)]
    # The primary's temporary directory (the primary is this machine): the copy made there must not stay.
    node_tmp = node_tmpdir

    def run(extra, check=False):
        return run_playbook_file(PLAYBOOK, hosts, extra, check=check, callback='default')

    relative = run(dict(redis_restore_file='backup.rdb'))
    assert relative.rc != 0 and 'redis_restore_file must be the absolute path of a backup' in relative.stdout
    missing = run(dict(redis_restore_file=str(store / 'none.rdb')))
    assert missing.rc != 0 and 'does not exist on the controller' in missing.stdout

    lonely = str(tmp_path / 'lonely.rdb')
    shutil.copyfile(backup, lonely)
    no_manifest = run(dict(redis_restore_file=lonely))
    assert no_manifest.rc != 0 and 'lonely.json is missing' in no_manifest.stdout

    damaged = str(tmp_path / 'damaged.rdb')
    shutil.copyfile(backup, damaged)
    shutil.copyfile(backup[:-4] + '.json', damaged[:-4] + '.json')
    with open(damaged, 'r+b') as handle:
        handle.seek(os.path.getsize(damaged) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    bad = run(dict(redis_restore_file=damaged, redis_restore_force=True))
    assert bad.rc != 0 and 'but its manifest says' in bad.stdout

    holding = run(dict(redis_restore_file=backup))
    assert holding.rc != 0 and 'the fleet holds data: 300 keys on node1, 300 keys on node2' in holding.stdout, \
        holding.stdout[-3000:]
    assert 'set redis_restore_force=true' in holding.stdout
    holding_check = run(dict(redis_restore_file=backup), check=True)
    assert holding_check.rc != 0 and 'the fleet holds data' in holding_check.stdout, holding_check.stdout[-3000:]

    plan = run(dict(redis_restore_file=backup, redis_restore_force=True), check=True)
    assert plan.rc == 0, plan.stdout[-5000:]
    for text in ('Restore %s (300 keys, RDB' % os.path.basename(backup), 'whose primary node1 runs redis',
                 'keys now: 300 on node1, 300 on node2', '1. stop the Sentinels s1',
                 '2. stop the replicas node2, then the primary node1', 'Check mode: nothing was changed.'):
        assert text in plan.stdout, (text, plan.stdout[-5000:])

    assert [instance.client().info('server')['process_id'] for instance in (primary, replica, sentinel)] == pids
    assert primary.client().dbsize() == 300 and replica.client().dbsize() == 300
    assert list(node_tmp.iterdir()) == [], 'the copy on the primary is removed, in check mode too'
