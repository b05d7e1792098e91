# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_file against files that real servers rewrote."""

from __future__ import annotations

import os

import pytest
from harness import PASSWORD, SENTINEL_PASSWORD, conn, sentinel_command


def wanted(instance, extra='', replica_of=None):
    """A configuration like the roles render: unquoted values, units, two save lines."""
    text = '\n'.join([
        '# managed by Ansible',
        'bind 127.0.0.1',
        'port %d' % instance.port,
        'protected-mode yes',
        'dir %s' % instance.dir,
        'logfile %s' % instance.log_path,
        'appendonly no',
        'save 900 1',
        'save 300 10',
        'requirepass %s' % PASSWORD,
        'masterauth %s' % PASSWORD,
        'repl-backlog-size 64mb',
        'repl-diskless-sync-delay 0',
        'maxmemory 0',
        'replica-priority 100',
    ]) + '\n' + extra
    if replica_of is not None:
        text += 'replicaof 127.0.0.1 %d\n' % replica_of.port
    return text


def args_for(instance, content, **extra):
    options = dict(conn(instance), path=instance.config_path, content=content)
    options.update(extra)
    return options


@pytest.fixture
def node(fleet):
    """A server started from exactly the wanted file, then rewritten by Redis itself."""
    instance = fleet.redis()
    with open(instance.config_path, 'w', encoding='utf-8') as handle:
        handle.write(wanted(instance))
    instance.stop()
    instance.start_from_file()
    instance.client().config_rewrite()
    return instance


def test_rewritten_file_is_equal_to_what_was_rendered(node, run_module):
    assert node.config_text() != wanted(node)  # Redis did reformat it
    run = run_module('config_file', args_for(node, wanted(node), apply_live=True))
    assert not run.failed, run.result
    assert run['changed'] is False and run['directives'] == [] and run['commands'] == []


def test_stable_across_promotion_and_demotion(fleet, node, run_module):
    other = fleet.redis()
    client = node.client()
    for replica_of in (other, None, other, None):  # what Sentinel does to a node over failovers
        client.execute_command('REPLICAOF', *(('127.0.0.1', other.port) if replica_of else ('NO', 'ONE')))
        client.config_rewrite()
        run = run_module('config_file', args_for(node, wanted(node, replica_of=replica_of), apply_live=True))
        assert run['changed'] is False, (replica_of, run.result, node.config_text())
    # The topology the file shows must match the rendered one.
    run = run_module('config_file', args_for(node, wanted(node, replica_of=other)), check=True)
    assert run['changed'] is True and run['directives'] == ['replicaof']


def test_live_setting_applied_without_restart(node, run_module):
    pid = node.client().info('server')['process_id']
    content = wanted(node).replace('maxmemory 0', 'maxmemory 100mb')
    check = run_module('config_file', args_for(node, content, apply_live=True), check=True)
    assert check['changed'] is True and check['commands'] == [] and check['restart_required'] is False
    assert node.client().config_get('maxmemory')['maxmemory'] == '0'

    run = run_module('config_file', args_for(node, content, apply_live=True))
    assert run['directives'] == ['maxmemory'] and run['applied_live'] == ['maxmemory']
    assert run['commands'] == ['CONFIG SET maxmemory 100mb'] and run['restart_required'] is False
    assert run['diff']['before'] == {'maxmemory': '0'} and run['diff']['after'] == {'maxmemory': '100mb'}
    assert node.client().config_get('maxmemory')['maxmemory'] == str(100 * 1024 * 1024)
    assert node.client().info('server')['process_id'] == pid
    assert 'maxmemory 100mb' in node.config_text()
    assert run_module('config_file', args_for(node, content, apply_live=True))['changed'] is False


def test_restart_directives_are_reported_not_applied(node, run_module):
    before = node.config_text()
    content = wanted(node).replace('port %d' % node.port, 'port %d' % (node.port + 1))
    run = run_module('config_file', args_for(node, content, apply_live=True, backup=True))
    assert run['changed'] is True and run['restart_required'] is True
    assert run['restart_directives'] == ['port'] and run['applied_live'] == []
    assert node.client().config_get('port')['port'] == str(node.port)
    lines = node.config_text().splitlines()
    assert 'port %d' % (node.port + 1) in lines and 'port %d' % node.port not in lines
    with open(run['backup_file'], encoding='utf-8') as handle:
        assert handle.read() == before
    assert os.path.dirname(run['backup_file']) == node.dir


def test_secret_change_is_applied_and_hidden(node, run_module_raw):
    # The module's own result: AnsibleModule would mask content (no_log) before run_module could see a leak.
    content = wanted(node).replace('masterauth %s' % PASSWORD, 'masterauth %s' % SENTINEL_PASSWORD)
    run = run_module_raw('config_file', args_for(node, content, apply_live=True))
    assert SENTINEL_PASSWORD not in repr(run)
    assert run['commands'] == ['CONFIG SET masterauth ********']
    assert run['diff']['before'] == {'masterauth': '(hidden)'} and run['diff']['after'] == {'masterauth': '(hidden, changed)'}
    assert node.client().config_get('masterauth')['masterauth'] == SENTINEL_PASSWORD


def test_creates_missing_file_with_attributes(fleet, tmp_path, run_module):
    instance = fleet.redis()
    path = str(tmp_path / 'new.conf')
    run = run_module('config_file', dict(path=path, content=wanted(instance), mode='0640'))
    assert run['changed'] is True and run['created'] is True and run['restart_required'] is False
    with open(path, encoding='utf-8') as handle:
        assert handle.read() == wanted(instance)
    assert oct(os.stat(path).st_mode & 0o777) == '0o640'
    assert run_module('config_file', dict(path=path, content=wanted(instance), mode='0640'))['changed'] is False
    assert run_module('config_file', dict(path=path, content=wanted(instance), mode='0600'))['changed'] is True


def test_merge_keeps_what_sentinel_generated(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel(primary, lines=['sentinel resolve-hostnames no'])
    sentinel.client().execute_command('SENTINEL', 'FLUSHCONFIG')
    generated = sentinel.config_text()
    assert 'sentinel myid' in generated
    static = '\n'.join(['port %d' % sentinel.port, 'bind 127.0.0.1', 'dir %s' % sentinel.dir,
                        'requirepass %s' % SENTINEL_PASSWORD, 'sentinel sentinel-pass %s' % SENTINEL_PASSWORD,
                        'sentinel resolve-hostnames no']) + '\n'
    same = run_module('config_file', dict(path=sentinel.config_path, content=static, strategy='merge'))
    assert same['changed'] is False, same.result

    run = run_module('config_file', dict(path=sentinel.config_path, strategy='merge',
                                         content=static.replace('resolve-hostnames no', 'resolve-hostnames yes')))
    assert run['directives'] == ['sentinel resolve-hostnames'] and run['restart_required'] is True
    text = sentinel.config_text()
    assert 'sentinel resolve-hostnames yes' in text and 'sentinel resolve-hostnames no' not in text
    for line in generated.splitlines():
        if line.startswith(('sentinel myid', 'sentinel monitor', 'sentinel auth-pass', 'sentinel current-epoch')):
            assert line in text
    sentinel.stop()
    sentinel.start_from_file()
    assert sentinel_command(sentinel, 'MASTER', 'mymaster')['port'] == str(primary.port)


def test_no_password_in_output_when_content_changes(node, run_module):
    content = wanted(node).replace('requirepass %s' % PASSWORD, 'requirepass %s' % SENTINEL_PASSWORD)
    run = run_module('config_file', args_for(node, content))
    assert run['changed'] is True and run['restart_required'] is True
    assert run['directives'] == ['requirepass']


def test_unknown_directive_is_refused_before_writing(node, run_module):
    before = node.config_text()
    run = run_module('config_file', args_for(node, wanted(node, extra='maxmemroy 1gb\n'), apply_live=True))
    assert run.failed and 'does not know the directive(s) maxmemroy' in run['msg'], str(run.result)
    assert node.config_text() == before


def test_repeated_directives_are_compared_as_a_set(tmp_path, run_module):
    """rename-command and Sentinel's per-master lines in another order mean the same; another set does not."""
    path = str(tmp_path / 'repeated.conf')
    lines = ['port 7001', 'rename-command FLUSHALL ""', 'rename-command KEYS ""',
             'sentinel known-replica mymaster 127.0.0.1 7002', 'sentinel known-replica mymaster 127.0.0.1 7003']
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')
    reordered = '\n'.join([lines[0], lines[2], lines[1], lines[4], lines[3]]) + '\n'
    run = run_module('config_file', dict(path=path, content=reordered, strategy='merge'))
    assert not run.failed and run['changed'] is False and run['directives'] == [], run.result
    fewer = '\n'.join([lines[0], lines[2], lines[4]]) + '\n'
    check = run_module('config_file', dict(path=path, content=fewer, strategy='merge'), check=True)
    assert check['directives'] == ['rename-command', 'sentinel known-replica mymaster'] and check['restart_required'] is True
