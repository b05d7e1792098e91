# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example execution environment renders a build context, and the collection's requirements reach it.

No image is built (no registry is reachable here). The second half runs the introspection script that
ansible-builder puts into the context, as the image build runs it, on the built artifact installed the way the
build's galaxy stage installs it: so meta/execution-environment.yml is read by the code that reads it in a build.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BIN = os.path.dirname(sys.executable)


def run(*command, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, '%s\n%s\n%s' % (' '.join(command), result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope='module')
def context(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('ee') / 'context')
    run(os.path.join(BIN, 'ansible-builder'), 'create', '-f', os.path.join(REPO, 'docs', 'execution-environment.yml'),
        '--context', path)
    return path


def test_create_renders_a_containerfile_that_installs_the_collection(context):
    with open(os.path.join(context, 'Containerfile'), encoding='utf-8') as handle:
        containerfile = handle.read()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile
    assert 'introspect.py introspect' in containerfile
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as handle:
        galaxy = yaml.safe_load(handle)
    assert [c['name'] for c in galaxy['collections']] == ['redis_ops.replication']


def test_the_build_finds_the_collections_python_and_system_requirements(context, tmp_path):
    artifacts = glob.glob(os.path.join(REPO, '.build', 'dist', 'redis_ops-replication-*.tar.gz'))
    assert len(artifacts) == 1, 'build the artifact first (make build): %s' % artifacts
    collections = str(tmp_path / 'collections')
    run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p', collections,
        artifacts[0])
    pip, bindep = str(tmp_path / 'requirements.txt'), str(tmp_path / 'bindep.txt')
    run(sys.executable, os.path.join(context, '_build', 'scripts', 'introspect.py'), 'introspect', collections,
        '--write-pip', pip, '--write-bindep', bindep)
    with open(pip, encoding='utf-8') as handle:
        python = [line.split('#')[0].strip() for line in handle if line.strip()]
    with open(bindep, encoding='utf-8') as handle:
        system = [line.split('#')[0].strip() for line in handle if line.strip()]
    assert python == ['redis']
    assert 'openssh-clients [platform:rpm]' in system and 'openssh-client [platform:dpkg]' in system
    # No pins and no upper bounds: the EE's other collections and the base image decide the versions.
    for line in python + system:
        assert not any(operator in line for operator in ('==', '<', '>', '~=')), line
