# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml and health.yml run as AWX runs a job template: through ansible-runner, against the lab over SSH.

The private data directory is laid out as AWX lays it out for a job: project/ (the example project of
docs/awx/project), inventory/, env/extravars (the survey's answers: integer fields arrive as numbers, text and
multiple-choice fields as strings), the credential's extra vars in a separate file passed with -e @file, and the
collection installed from the built artifact into requirements_collections/, as a project update installs it.

Run by scripts/lab.sh test (make lab-test), which sets LAB_DIR to the running lab's .lab/ directory.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

import ansible_runner
import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
PROJECT = os.path.join(REPO, 'docs', 'awx', 'project')
HOSTS = {'lab1', 'lab2', 'lab3'}


@pytest.fixture(scope='module')
def lab() -> str:
    lab_dir = os.environ.get('LAB_DIR', '')
    if not os.path.isfile(os.path.join(lab_dir, 'inventory.yml')):
        pytest.fail('LAB_DIR must name a running lab (scripts/lab.sh create); got %r' % lab_dir)
    return lab_dir


@pytest.fixture(scope='module')
def passwords(lab) -> dict:
    with open(os.path.join(lab, 'group_vars', 'all.yml'), encoding='utf-8') as handle:
        secrets = yaml.safe_load(handle)
    return dict(redis_password=secrets['redis_password'], redis_sentinel_password=secrets['redis_sentinel_password'])


@pytest.fixture(scope='module')
def collections_dir(tmp_path_factory) -> str:
    """The built artifact installed the way AWX's project update installs collections."""
    artifacts = glob.glob(os.path.join(REPO, '.build', 'dist', 'redis_ops-replication-*.tar.gz'))
    assert len(artifacts) == 1, 'build the artifact first (make build): %s' % artifacts
    path = str(tmp_path_factory.mktemp('awx') / 'requirements_collections')
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'install', '--offline', '--force', '-p', path, artifacts[0]],
                   check=True, capture_output=True, text=True, timeout=120)
    return path


def job_dir(tmp_path, lab: str, collections: str, survey: dict, credential: dict) -> str:
    """A private data directory as AWX writes it for one job."""
    private = tmp_path / 'job'
    shutil.copytree(PROJECT, private / 'project')
    (private / 'inventory').mkdir()
    # The inventory without group_vars/: the passwords come from the credential only.
    shutil.copy(os.path.join(lab, 'inventory.yml'), private / 'inventory' / 'hosts.yml')
    (private / 'env').mkdir()
    (private / 'env' / 'extravars').write_text(json.dumps(survey))
    (private / 'env' / 'credential_extravars').write_text(json.dumps(credential))
    os.chmod(private / 'env' / 'credential_extravars', 0o600)
    (private / 'env' / 'envvars').write_text(json.dumps(dict(
        ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_FORCE_COLOR='false')))
    return str(private)


def run_job(private: str, playbook: str):
    return ansible_runner.run(
        private_data_dir=private, playbook=playbook, ident=playbook.split('.')[0], quiet=True,
        # AWX passes a credential's injected extra vars as a file of their own.
        cmdline='-e @%s' % os.path.join(private, 'env', 'credential_extravars'),
        timeout=900)


def changed_count(runner) -> int:
    """The changed count as AWX shows it, from the job's stats event, checked against the task events."""
    stats = [e['event_data'] for e in runner.events if e['event'] == 'playbook_on_stats']
    assert len(stats) == 1
    changed_tasks = [e for e in runner.events if e['event'] == 'runner_on_ok' and e['event_data']['res'].get('changed')]
    total = sum(stats[0]['changed'].values())
    assert bool(total) == bool(changed_tasks), changed_tasks
    return total


def assert_successful(runner):
    tail = runner.stdout.read()[-4000:] if runner.stdout else ''
    assert runner.status == 'successful', tail
    assert runner.rc == 0, tail
    assert HOSTS <= set(runner.stats['ok']), runner.stats
    assert not runner.stats['failures'] and not runner.stats['dark'], runner.stats


def assert_no_password_in_artifacts(private: str, passwords: dict):
    """Nothing the job leaves behind (stdout, job events, command line) shows a password."""
    artifacts = os.path.join(private, 'artifacts')
    checked = 0
    for folder, _dirs, files in os.walk(artifacts):
        for name in files:
            with open(os.path.join(folder, name), encoding='utf-8', errors='replace') as handle:
                text = handle.read()
            checked += 1
            for variable, secret in passwords.items():
                assert secret not in text, '%s appears in %s' % (variable, os.path.join(folder, name))
    assert checked > 10, 'expected stdout and job events under %s' % artifacts


def test_site_as_an_awx_job_changes_nothing_on_the_converged_lab(tmp_path, lab, passwords, collections_dir):
    # Survey answers: an integer field sends a number, a text field a string.
    survey = dict(redis_sentinel_quorum=2, redis_maxmemory_policy='noeviction', redis_sentinel_parallel_syncs='1')
    private = job_dir(tmp_path, lab, collections_dir, survey, passwords)
    runner = run_job(private, 'site.yml')
    assert_successful(runner)
    assert changed_count(runner) == 0
    assert_no_password_in_artifacts(private, passwords)


def test_health_as_a_scheduled_awx_job(tmp_path, lab, passwords, collections_dir):
    survey = dict(redis_health_max_lag_seconds='5', redis_health_expected_replicas=2)
    private = job_dir(tmp_path, lab, collections_dir, survey, passwords)
    runner = run_job(private, 'health.yml')
    assert_successful(runner)
    assert changed_count(runner) == 0
    # set_stats data is what AWX keeps as the job's artifacts.
    stats = [e['event_data'] for e in runner.events if e['event'] == 'playbook_on_stats'][0]
    health = stats['artifact_data']['redis_health']
    assert health['ok'] is True, health['problems']
    assert health['summary']['master']['host'] == 'lab1'
    assert sorted(r['host'] for r in health['summary']['replicas']) == ['lab2', 'lab3']
    assert health['summary']['replicas_expected'] == 2
    assert health['summary']['sentinels']['agreed'] is True and health['summary']['sentinels']['quorum_ok'] is True
    assert_no_password_in_artifacts(private, passwords)


def test_wrong_password_from_the_credential_fails_the_health_job(tmp_path, lab, passwords, collections_dir):
    wrong = dict(passwords, redis_password='not-the-lab-password')
    private = job_dir(tmp_path, lab, collections_dir, {}, wrong)
    runner = run_job(private, 'health.yml')
    assert runner.status == 'failed' and runner.rc != 0
    stats = [e['event_data'] for e in runner.events if e['event'] == 'playbook_on_stats'][0]
    health = stats['artifact_data']['redis_health']
    assert health['ok'] is False
    assert health['summary']['unreachable'], health
    assert_no_password_in_artifacts(private, dict(wrong, real=passwords['redis_password']))
