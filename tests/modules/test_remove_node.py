# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/remove_node.yml against real redis-server / redis-sentinel processes on loopback.

The playbook's own plays run, except the validation (tested with site.yml) and the one that stops systemd units,
which a kill of the process stands in for; the Molecule ``failover`` scenario runs the whole playbook.
"""

from __future__ import annotations

import os

import pytest
import yaml
from harness import run_playbook_file, sentinel_command
from test_site_unreachable import PLAYBOOKS, fleet_of_three, write_inventory  # noqa: F401 pylint: disable=unused-import

RESET = 'Reset the Sentinels that still list it'
PLAN = 'Show the plan'


def remove_part(tmp_path) -> str:
    with open(os.path.join(PLAYBOOKS, 'remove_node.yml'), encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    names = [play['name'] for play in plays]
    assert names[0] == 'Validate the inventory' and names[3] == 'Stop and disable the units of the host removed'
    stand_in = dict(name='Stand-in for stopping the units', hosts=plays[3]['hosts'], gather_facts=False, tasks=[dict(
        name='Kill the process', when='not ansible_check_mode and inventory_hostname == redis_remove_host',
        **{'ansible.builtin.command': 'kill {{ redis_remove_pid }}'})])
    path = tmp_path / 'remove-part.yml'
    path.write_text(yaml.safe_dump(plays[1:3] + [stand_in] + plays[4:]))
    return str(path)


def counts(sentinel) -> tuple:
    master = sentinel_command(sentinel, 'MASTER', 'mymaster')
    return int(master['num-slaves']), int(master['num-other-sentinels'])


def failure(run) -> str:
    failed = [entry for entry in run.results if entry['status'] == 'failed']
    assert run.rc != 0 and failed, run.stdout[-3000:]
    return failed[0]['result']['msg']


@pytest.mark.long
@pytest.mark.oldest
def test_remove_node_refuses_the_primary_and_too_few_sentinels_then_removes_a_replica(fleet_of_three, tmp_path):
    nodes, sentinels = fleet_of_three
    inventory = write_inventory(tmp_path, nodes, sentinels)
    playbook = remove_part(tmp_path)

    run = run_playbook_file(playbook, inventory, dict(redis_remove_host='node1', redis_remove_pid=0))
    assert failure(run).startswith('node1 is the current primary (127.0.0.1:%d); switch over first' % nodes['node1'].port)

    run = run_playbook_file(playbook, inventory, dict(redis_remove_host='s3', redis_remove_pid=0))
    assert failure(run).startswith('removing s3 would leave 2 Sentinel(s) (s1, s2) with quorum 2: at least 3 are needed')
    assert all(counts(sentinel) == (2, 2) for sentinel in sentinels.values())

    pid = nodes['node3'].process.pid
    check = run_playbook_file(playbook, inventory, dict(redis_remove_host='node3', redis_remove_pid=pid), check=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert check.task(PLAN)[0]['result']['msg'][0] == (
        'Remove node3 (data node): stop and disable its units, then reset the Sentinels that still list it, one at a '
        'time: s1, s2, s3.')
    reset = check.task(RESET)[0]['result']
    assert reset['changed'] is True and reset['commands'] == []
    assert [entry['stale_replicas'] for entry in reset['sentinels']] == [['127.0.0.1:%d' % nodes['node3'].port]] * 3
    assert nodes['node3'].process.poll() is None and all(counts(s) == (2, 2) for s in sentinels.values())

    run = run_playbook_file(playbook, inventory, dict(redis_remove_host='node3', redis_remove_pid=pid))
    assert run.rc == 0, run.stdout[-3000:]
    assert len(run.task(RESET)[0]['result']['commands']) == 6
    assert all(counts(sentinel) == (1, 2) for sentinel in sentinels.values())
    assert 'Now delete it from the inventory' in run.task('Tell the operator what is left to do')[0]['result']['msg']
