# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host without redis-py gets Ansible's standard missing-library message from every module."""

from __future__ import annotations

import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIND_PYTHON = os.path.join(HERE, '..', '..', 'scripts', 'find-python.sh')


def python_without_redis():
    """A real interpreter of this machine without redis-py (pyenv's base 3.12: the venvs hold redis-py)."""
    found = subprocess.run(['bash', FIND_PYTHON, '3.12'], capture_output=True, text=True, check=False).stdout.strip()
    if not found or subprocess.run([found, '-c', 'import redis'], capture_output=True, check=False).returncode == 0:
        pytest.skip('no interpreter without redis-py on this machine')
    return found


@pytest.mark.parametrize('module, args', [
    ('replicaof', dict(primary_host='127.0.0.1')),
    ('sentinel_monitor', dict(name='mymaster', host='127.0.0.1', quorum=1)),
    ('replication_facts', dict()),
])
def test_missing_redis_py(run_module, module, args):
    run = run_module(module, args, python=python_without_redis())
    assert run.failed
    assert 'Failed to import the required Python library (redis (redis-py; python3-redis on Debian))' in run['msg']
