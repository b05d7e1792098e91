# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback: prints every task result as one JSON document at the end."""

from __future__ import annotations

DOCUMENTATION = '''
name: results_json
type: stdout
short_description: Print task results as JSON (tests of redis_ops.replication only)
description:
  - Collects each task's result per host and prints them as one JSON list when the run ends.
'''

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'results_json'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = []

    def _record(self, result, status):
        data = dict(result._result)
        data.setdefault('failed', status == 'failed')
        self.results.append(dict(task=result._task.get_name(), host=result._host.get_name(), status=status,
                                 result=data))

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_playbook_on_stats(self, stats):
        self._display.display(json.dumps(self.results, default=str))
