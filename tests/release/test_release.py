# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release hygiene: galaxy-importer accepts the built artifact, and ansible-doc shows every role option.

Run by make docs-check after make build (the artifact in .build/dist) with the collection in .build/.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BIN = os.path.dirname(sys.executable)
PUBLIC_ROLES = ('redis_master', 'redis_replica', 'redis_sentinel')


def artifact() -> str:
    found = glob.glob(os.path.join(REPO, '.build', 'dist', 'redis_ops-replication-*.tar.gz'))
    assert len(found) == 1, 'build the artifact first (make build): %s' % found
    return found[0]


def test_galaxy_importer_accepts_the_artifact(tmp_path):
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=os.path.join(REPO, 'tests', 'release', 'galaxy-importer.cfg'),
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    # The importer installs the artifact itself; the checkout's copy must not stand in for it.
    for name in ('ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'):
        env.pop(name, None)
    result = subprocess.run([sys.executable, '-m', 'galaxy_importer.main', artifact()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0 and 'Importer processing completed successfully' in log, log[-5000:]
    assert 'ERROR' not in log, log[-5000:]
    imported = json.loads((tmp_path / 'importer_result.json').read_text())
    contents = {(c['content_type'], c['name']) for c in imported['contents']}
    modules = {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py'))}
    assert {('module', m) for m in modules} <= contents, contents
    assert {('role', r) for r in PUBLIC_ROLES} <= contents, contents
    assert ('lookup', 'sentinel_master') in contents, contents
    assert imported['docs_blob']['collection_readme']['html'], 'README.md was not rendered'


@pytest.mark.parametrize('role', PUBLIC_ROLES)
def test_ansible_doc_shows_every_option_of_the_role(role):
    with open(os.path.join(REPO, 'roles', role, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    result = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', '-j', 'redis_ops.replication.%s' % role],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)['redis_ops.replication.%s' % role]['entry_points']
    assert set(shown) == set(specs)
    for entry, spec in specs.items():
        assert set(shown[entry]['options']) == set(spec['options']), entry
        assert all(option.get('description') for option in shown[entry]['options'].values()), entry


def test_role_readmes_are_generated_from_the_argument_specs():
    result = subprocess.run([sys.executable, os.path.join(REPO, 'scripts', 'role-docs.py'), '--check'],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for role in PUBLIC_ROLES:
        with open(os.path.join(REPO, 'roles', role, 'README.md'), encoding='utf-8') as handle:
            text = handle.read()
        with open(os.path.join(REPO, 'roles', role, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            options = yaml.safe_load(handle)['argument_specs']['main']['options']
        assert all('| `%s` |' % name in text for name in options), role
