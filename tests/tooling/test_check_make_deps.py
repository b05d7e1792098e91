# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/check-make-deps.py finds a public target that runs a Debian command before installing it
(on small Makefiles made here), and passes on this repository's own Makefile."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
SCRIPT = os.path.join(REPO, 'scripts', 'check-make-deps.py')
spec = importlib.util.spec_from_file_location('check_make_deps', SCRIPT)
check_make_deps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_make_deps)

pytestmark = pytest.mark.skipif(not shutil.which('make'), reason='needs make')


def make_repo(tmp_path, makefile: str, scripts: dict) -> str:
    (tmp_path / 'requirements').mkdir()
    (tmp_path / 'scripts').mkdir()
    shutil.copy(os.path.join(REPO, 'requirements', 'debian.txt'), tmp_path / 'requirements')
    shutil.copy(os.path.join(REPO, 'scripts', 'base-commands.txt'), tmp_path / 'scripts')
    shutil.copy(os.path.join(REPO, 'scripts', 'debian-deps.sh'), tmp_path / 'scripts')
    (tmp_path / 'Makefile').write_text(textwrap.dedent(makefile).replace('        ', '\t'))
    for name, text in scripts.items():
        (tmp_path / 'scripts' / name).write_text(text)
    return str(tmp_path)


def run(repo: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, '--repo', repo], capture_output=True, text=True, timeout=120,
                          check=False)


LAB = '#!/usr/bin/env bash\nset -e\nhost=$(podman ps -q --filter name=lab1)  # podman in $(...)\nssh-keygen -A\n'


def test_a_target_that_uses_a_command_before_installing_it_fails(tmp_path):
    repo = make_repo(tmp_path, '''
        #   make demo   the lab
        demo: collection deps-lab
        collection:
                scripts/lab.sh
        deps-lab:
                scripts/debian-deps.sh lab containers
        ''', {'lab.sh': LAB})
    result = run(repo)
    assert result.returncode == 1, result.stdout
    assert 'make demo: `scripts/lab.sh` runs podman before it is installed: Debian package podman' in result.stdout
    assert 'runs ssh-keygen before it is installed: Debian package openssh-client' in result.stdout


def test_the_same_target_installing_first_passes(tmp_path):
    repo = make_repo(tmp_path, '''
        #   make demo   the lab
        demo: deps-lab collection
        collection:
                scripts/lab.sh
        deps-lab:
                scripts/debian-deps.sh lab containers
        ''', {'lab.sh': LAB})
    result = run(repo)
    assert result.returncode == 0, result.stdout


def test_pytest_on_the_module_tests_needs_the_servers(tmp_path):
    repo = make_repo(tmp_path, '''
        #   make modules   module tests
        modules:
                python -m pytest -q tests/modules
        ''', {})
    result = run(repo)
    assert result.returncode == 1
    assert 'needs scripts/debian-deps.sh servers first' in result.stdout


def test_an_executable_that_a_fresh_machine_lacks_is_named(tmp_path):
    # The interpreter running this test is an executable that no fresh machine's base list has.
    tool = os.path.basename(sys.executable)
    if tool in check_make_deps.read_lines(os.path.join(REPO, 'scripts', 'base-commands.txt')):
        pytest.skip('%s is in the base list' % tool)
    repo = make_repo(tmp_path, '''
        #   make copy   a copy
        copy:
                scripts/copy.sh
        ''', {'copy.sh': 'set -e\nPATH=%s:$PATH\n%s -c pass | cat\n' % (os.path.dirname(sys.executable), tool)})
    os.environ['PATH'] = os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH']
    result = run(repo)
    assert result.returncode == 1
    assert 'runs %s before it is installed: no target installs it and a fresh machine lacks it' % tool in result.stdout


@pytest.mark.parametrize('text, expected', [
    ('a=$(podman ps) && echo "not $(date) ssh" | tee x', ['podman', 'echo', 'date', 'tee']),
    ("echo 'podman ssh'; # podman\n", ['echo']),
    ('case "$1" in\n  create) create ;;\n  demo) run x ;;\nesac\n', ['case', 'create', 'run', 'esac']),
    ('HOSTS=(lab1 lab2)\nFOO=${BAR:-podman} ssh -o x', ['ssh']),
    ('command -v ssh >/dev/null || apt-get install ssh', ['apt-get']),
    ('cat <<EOF\npodman run\nEOF\nfind .', ['cat', 'find']),
])
def test_commands_of(text, expected):
    assert check_make_deps.commands_of(text) == expected


def test_this_repository_passes():
    result = run(REPO)
    assert result.returncode == 0, result.stdout
