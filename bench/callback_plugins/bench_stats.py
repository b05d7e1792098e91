# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: per host, how many tasks ran and how many of them executed a module on the host.

Writes one JSON document to the file named by BENCH_STATS_FILE when the run ends.
"""

from __future__ import annotations

DOCUMENTATION = '''
name: bench_stats
type: aggregate
short_description: Count tasks and module invocations per host (redis_ops.replication bench only)
description:
  - Counts, per host, the task results and the module executions (loop items counted one by one; skipped
    tasks and actions that run only on the controller, such as set_fact or assert, not counted).
  - Writes them and the recap as JSON to the file named by the environment variable BENCH_STATS_FILE.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

# Actions that do their work in the controller process and send nothing to the host.
CONTROLLER_ONLY = frozenset(
    'ansible.builtin.' + name for name in (
        'set_fact', 'assert', 'debug', 'fail', 'meta', 'include_role', 'import_role', 'include_tasks',
        'import_tasks', 'include_vars', 'add_host', 'group_by', 'pause', 'set_stats', 'validate_argument_spec',
        'fetch_stats'))


def _fqcn(action: str) -> str:
    return action if '.' in action else 'ansible.builtin.' + action


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_stats'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hosts: dict = {}
        self.durations: dict = {}
        self.started = time.monotonic()
        self.task_started = (None, 0.0)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.task_started = (task.get_name(), time.monotonic())

    def _host(self, name: str) -> dict:
        return self.hosts.setdefault(name, dict(tasks=0, skipped=0, modules=0, changed=0))

    def _record(self, result, skipped: bool = False) -> None:
        name, started = self.task_started
        if name == result._task.get_name():
            self.durations[name] = round(time.monotonic() - started, 4)
        counts = self._host(result._host.get_name())
        counts['tasks'] += 1
        if skipped:
            counts['skipped'] += 1
            return
        if result._result.get('changed'):
            counts['changed'] += 1
        if _fqcn(result._task.action) in CONTROLLER_ONLY:
            return
        items = [item for item in result._result.get('results', []) if not item.get('skipped')]
        counts['modules'] += len(items) if 'results' in result._result else 1

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_STATS_FILE')
        if not path:
            return
        recap = {host: stats.summarize(host) for host in stats.processed}
        document = dict(hosts=self.hosts, recap=recap, durations=self.durations, seconds=round(time.monotonic() - self.started, 3))
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(document, handle)
