# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml refuses a wrong inventory before it touches any host, with a message naming the variable.

The fleet-wide checks run on the controller (assert), so the hosts here are SSH hosts on a closed loopback port:
a check that wrongly passed would make the next play fail as unreachable instead of changing anything.
"""

from __future__ import annotations

import json
import os

import pytest
from harness import free_port, run_playbook_file

PLAYBOOK = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks', 'site.yml'))
CHECK = 'Check the fleet'
SHAPE = 'Check the shape of the fleet'
HOST = "Check this host's inputs"
SPECS = "Check this host's inputs against the roles' argument specs"


def inventory(tmp_path, masters=('node1',), replicas=('node2', 'node3'), sentinels=('node1', 'node2', 'node3'),
              group_vars: dict | None = None, **variables) -> str:
    """An INI inventory; ``group_vars`` (any YAML value: newlines, lists, mappings) go to group_vars/all.json."""
    closed = free_port()
    names = sorted(set(masters) | set(replicas) | set(sentinels))
    # One loopback address per host: distinct machines, all with a closed SSH port.
    lines = ['[all]'] + ['%s ansible_host=127.0.0.%d ansible_port=%d ansible_connection=ssh' % (n, i, closed)
                         for i, n in enumerate(names, start=1)]
    lines += ['', '[redis_master]'] + list(masters)
    lines += ['', '[redis_replica]'] + list(replicas)
    lines += ['', '[redis_sentinel]'] + list(sentinels)
    settings = dict(redis_password='validation-data-pw', redis_sentinel_password='validation-sentinel-pw')
    settings.update(variables)
    lines += ['', '[all:vars]'] + ['%s=%s' % item for item in sorted(settings.items())]
    path = tmp_path / 'inventory.ini'
    path.write_text('\n'.join(lines) + '\n')
    if group_vars:
        (tmp_path / 'group_vars').mkdir()
        (tmp_path / 'group_vars' / 'all.json').write_text(json.dumps(group_vars))
    return str(path)


def shape(run) -> list:
    """The results of the fleet-shape task (its name carries the role's prefix)."""
    return [entry for entry in run.results or [] if entry['task'].endswith((SHAPE, HOST, SPECS))]


def passed(run, first: str = 'node1') -> bool:
    """Every check ran and passed: the fleet-wide ones on the play's first host (skipped on the others)."""
    entries = shape(run)
    ran = {entry['task'].split(' : ')[-1] for entry in entries if entry['status'] == 'ok'}
    return ran == {SHAPE, HOST, SPECS} and {entry['status'] for entry in entries} <= {'ok', 'skipped'} and \
        [entry['host'] for entry in entries if entry['task'].endswith(SHAPE) and entry['status'] == 'ok'] == [first]


def failed_checks(run) -> list:
    """The messages of the fleet checks that failed; asserts that the run stopped there."""
    assert run.rc != 0
    # The fleet checks and the per-host checks are one assert each: every failing check in its message, joined by '; '.
    failures = [entry['result']['msg'] for entry in shape(run) if entry['task'].endswith((SHAPE, HOST))
                and entry['status'] == 'failed' and entry['result'].get('evaluated_to') is False]
    failures += ['; '.join(item.get('argument_errors', [])) for entry in shape(run)
                 if entry['task'].endswith(SPECS) and entry['status'] == 'failed'
                 for item in entry['result'].get('results', []) if item.get('argument_errors')]
    assert failures, run.stdout[-3000:]
    # Nothing after the validation play ran: no host was contacted.
    assert not [entry for entry in run.results if entry['status'] == 'unreachable'], run.results
    return failures


@pytest.mark.parametrize('layout, variables, words', [
    (dict(masters=('node1', 'node2'), replicas=('node3',)), {},
     ['the inventory group redis_master must hold exactly one host', 'it holds 2: node1, node2']),
    (dict(masters=()), {}, ['the inventory group redis_master must hold exactly one host', 'it holds 0']),
    ({}, dict(redis_sentinel_quorum=4),
     ['redis_sentinel_quorum is 4 but must be between 1 and the number of Sentinels (3)']),
    ({}, dict(redis_sentinel_quorum=0), ['redis_sentinel_quorum is 0']),
    ({}, dict(redis_min_replicas_to_write=3),
     ['redis_min_replicas_to_write is 3 but the inventory has only 2 replica(s)']),
])
def test_wrong_fleet_stops_before_any_host_is_contacted(tmp_path, layout, variables, words):
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path, **layout, **variables))
    failures = failed_checks(run)
    assert any(all(word in message for word in words) for message in failures), failures


# One wrong role input per row: the run stops in the validation play, before any host is contacted, with a
# message that names the variable and says what is expected.
@pytest.mark.parametrize('variables, words', [
    (dict(redis_password="''"), ['redis_password is empty', 'expected a strong password']),
    (dict(redis_sentinel_password="''"), ['redis_sentinel_password is empty']),
    (dict(redis_port='63x9'), ['redis_port is 63x9', 'expected a TCP port number']),
    (dict(redis_port=70000), ['redis_port is 70000']),
    (dict(redis_sentinel_port='abc'), ['redis_sentinel_port is abc']),
    (dict(redis_flavor='keydb'), ['redis_flavor is keydb', 'expected redis or valkey']),
    (dict(redis_replica_priority=-1), ['redis_replica_priority is -1', 'expected 0']),
    (dict(redis_sentinel_quorum=5), ['redis_sentinel_quorum is 5']),
    (dict(redis_tls='true'), ['redis_tls is on but redis_tls_ca_file', 'expected all three paths']),
    (dict(redis_tls='true', redis_tls_ca_file='/ca', redis_tls_cert_file='/c', redis_tls_key_file='/k',
          redis_tls_keep_plain_port='true'), ['redis_tls_plain_port is 0']),
    (dict(redis_acl_disable_default='true'), ['redis_acl_disable_default is on but redis_acl_enabled is off']),
    (dict(redis_acl_enabled='true'), ['redis_acl_admin_password', 'expected a password for each']),
    (dict(redis_acl_enabled='true', redis_acl_admin_password='a', redis_acl_replication_password='r',
          redis_acl_sentinel_password='s', redis_acl_users='[{"name": "app", "rules": ["+@all"]}]'),
     ['redis_acl_users: app without', 'expected name and passwords']),
    (dict(redis_save='[]', redis_appendonly='false'), ['persistence is off', 'on the master']),
    (dict(redis_port=26379), ['redis_port and redis_sentinel_port are both 26379']),
    (dict(redis_acl_users='app'), ['redis_acl_users is not a list']),
    (dict(redis_exporter_enabled='true', redis_acl_enabled='true', redis_acl_admin_password='a',
          redis_acl_replication_password='r', redis_acl_sentinel_password='s'),
     ['redis_exporter_enabled and redis_acl_enabled are on but redis_acl_exporter_password is empty']),
    (dict(redis_exporter_listen='9121'), ["redis_exporter_listen is '9121'", 'expected empty (the default on 127.0.0.1) or address:port']),
    (dict(redis_sentinel_exporter_listen='10.0.0.5:http'), ["redis_sentinel_exporter_listen is '10.0.0.5:http'"]),
    (dict(redis_protected_mode='false', redis_password="''", redis_allow_empty_password='true'),
     ['redis_protected_mode is off and the server has no password']),
    (dict(redis_config_extra='{"unixsocket": "/run/redis/redis.sock", "unixsocketperm": 777}'),
     ['unixsocketperm 777', 'expected 660 or stricter']),
])
def test_wrong_role_input_stops_before_any_host_is_contacted(tmp_path, variables, words):
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path, **variables))
    failures = failed_checks(run)
    assert any(all(word in message for word in words) for message in failures), failures


# Values that reach redis.conf, sentinel.conf or users.acl and that Redis would not read back as given, numbers out
# of the range Redis accepts, and what only the roles' argument specs know (types, choices): each is refused in the
# validation play, with the variable's name, and a secret is never shown.
@pytest.mark.parametrize('group_vars, words', [
    (dict(redis_password='pw\nreplicaof 10.0.0.9 6379'),
     ['redis_password contains a control character U+000A at position 3', 'expected printable characters only']),
    (dict(redis_masterauth='pw\rx'), ['redis_masterauth contains a control character U+000D']),
    (dict(redis_sentinel_password='s\nprotected-mode no'), ['redis_sentinel_password contains a control character']),
    (dict(redis_exporter_enabled=True, redis_acl_enabled=True, redis_acl_admin_password='a',
          redis_acl_replication_password='r', redis_acl_sentinel_password='s', redis_acl_exporter_password='e\nx'),
     ['redis_acl_exporter_password contains a control character U+000A']),
    (dict(redis_acl_enabled=True, redis_acl_admin_password='a', redis_acl_replication_password='r',
          redis_acl_sentinel_password='s', redis_acl_backup_password='b\tx'),
     ['redis_acl_backup_password contains a control character U+0009']),
    (dict(redis_acl_enabled=True, redis_acl_admin_password='a\x00', redis_acl_replication_password='r',
          redis_acl_sentinel_password='s'), ['redis_acl_admin_password contains a control character U+0000']),
    # Sentinel rewrites sentinel-pass and auth-pass without quotes: no space or quote in the passwords it keeps.
    (dict(redis_password='data pw'), ['redis_password contains a space at position 5', 'Sentinel keeps this password']),
    (dict(redis_sentinel_password='s"pw'), ['redis_sentinel_password contains a double quote at position 2']),
    (dict(redis_acl_enabled=True, redis_acl_admin_password='a', redis_acl_replication_password='r',
          redis_acl_sentinel_password="it's"), ['redis_acl_sentinel_password contains a single quote']),
    (dict(redis_sentinel_master_name=''), ['redis_sentinel_master_name is ""', 'expected a non-empty name']),
    (dict(redis_sentinel_master_name='my master'), ['redis_sentinel_master_name is "my master"', 'without spaces']),
    (dict(redis_bind=['127.0.0.1\nprotected-mode no']),
     ['redis_bind[0] is "127.0.0.1\\nprotected-mode no"', 'expected a host name, an IPv4 or an IPv6 address']),
    (dict(redis_sentinel_bind=['10.0.0.1 10.0.0.2']), ['redis_sentinel_bind[0] is "10.0.0.1 10.0.0.2"']),
    (dict(redis_host_address='node 1'), ['redis_host_address is "node 1"']),
    (dict(redis_acl_enabled=True, redis_acl_admin_password='a', redis_acl_replication_password='r',
          redis_acl_sentinel_password='s', redis_acl_users=[dict(name='bad user', passwords=['p'], rules=['+@all'])]),
     ['redis_acl_users[0].name is "bad user"']),
    (dict(redis_acl_users=[dict(name='app', passwords=['p'], rules=['~app:* +@all'])]),
     ['redis_acl_users[0].rules[0] is "~app:* +@all"', 'expected one ACL rule']),
    (dict(redis_acl_replication_user='rep"l'), ['redis_acl_replication_user is "rep\\"l"']),
    (dict(redis_sentinel_down_after_milliseconds=-5),
     ['redis_sentinel_down_after_milliseconds is -5; expected a whole number from 1 to 2147483647']),
    (dict(redis_sentinel_down_after_milliseconds='abc'), ['redis_sentinel_down_after_milliseconds is "abc"']),
    (dict(redis_sentinel_parallel_syncs=0), ['redis_sentinel_parallel_syncs is 0; expected a whole number from 1']),
    (dict(redis_sentinel_parallel_syncs=2147483648), ['redis_sentinel_parallel_syncs is 2147483648']),
    (dict(redis_sentinel_failover_timeout=0), ['redis_sentinel_failover_timeout is 0']),
    (dict(redis_config_extra={'maxmemory-clients': '1\nprotected-mode no'}),
     ['redis_config_extra.maxmemory-clients contains a control character U+000A']),
    (dict(redis_config_extra={'bad key': 'x'}), ['redis_config_extra has the key "bad key"', 'expected a directive name']),
    (dict(redis_save=['900 1\nsave ""']), ['redis_save is', 'expected a list of "<seconds> <changes>" rules']),
    (dict(redis_maxmemory='1 gb'), ['redis_maxmemory is "1 gb"', 'expected a size in bytes']),
    # Only the roles' argument specs know these: the data nodes' and the Sentinels' entry points are both checked.
    (dict(redis_appendfsync='sometimes'), ['redis_appendfsync', 'always, everysec, no']),
    (dict(redis_systemd_restart='maybe'), ['redis_systemd_restart', 'always, on-failure, no']),
    (dict(redis_sync_timeout='soon'), ['redis_sync_timeout', 'int']),
])
def test_value_redis_would_not_read_back_stops_before_any_host_is_contacted(tmp_path, group_vars, words):
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path, group_vars=group_vars))
    failures = failed_checks(run)
    assert any(all(word in message for word in words) for message in failures), failures
    for name, value in group_vars.items():
        if 'password' in name and len(value) > 1:
            assert value not in run.stdout and value not in run.stderr, 'a password leaked'


def test_hostile_but_valid_values_pass_the_checks(tmp_path):
    # Everything Redis reads back as given is accepted: any printable password, unusual but valid names and addresses.
    # With ACL users Sentinel logs in as its own user, so redis_password is not kept by Sentinel either.
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path, group_vars=dict(
        redis_password=' p w"\'#\\x caf\u00e9 \U0001F511 ', redis_sentinel_password='#s\\caf\u00e9\u00a0x',
        redis_acl_enabled=True, redis_acl_admin_password=' a"#', redis_acl_replication_password="r' \\",
        redis_acl_sentinel_password='#\\x', redis_sentinel_master_name='cache.prod-1:a@b',
        redis_bind=['-::1', '127.0.0.1', '*', 'redis-1.example.org'], redis_sentinel_bind=['::', '0.0.0.0'],
        redis_host_address='fe80::1', redis_replica_announce_ip='10.0.0.7',
        redis_config_extra={'client-output-buffer-limit': 'replica 256mb 64mb 60', 'notify-keyspace-events': 'Ex',
                            'lazyfree-lazy-eviction': True, 'hz': 20, 'logfile': ['/var/log/redis/a b.log']},
        redis_acl_users=[dict(name='app.user@x', passwords=['p w "q"'], rules=['~app:*', '&*', '+@all', '-debug'])],
        redis_sentinel_parallel_syncs=2147483647)))
    assert passed(run), run.stdout[-3000:]
    assert len([entry for entry in run.results if entry['task'].endswith(SPECS)]) == 3, run.stdout[-3000:]
    assert [entry for entry in run.results if entry['status'] == 'unreachable']
    assert 'caf\u00e9' not in run.stdout and 'caf\\u00e9' not in run.stdout


def test_same_port_twice_on_one_machine_is_refused(tmp_path):
    path = inventory(tmp_path)
    # node1-again is on node1's machine (the same ansible_host) with the same redis_port.
    text = open(path).read().replace('[redis_replica]\n', '[redis_replica]\nnode1-again ansible_host=127.0.0.1\n')
    open(path, 'w').write(text)
    run = run_playbook_file(PLAYBOOK, path)
    failures = failed_checks(run)
    assert any('redis_port 6379 is used by more than one inventory host on 127.0.0.1' in m for m in failures), failures


def test_valid_fleet_passes_the_checks(tmp_path):
    # The checks pass; the next play then tries to reach the hosts, which do not exist.
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path))
    assert passed(run), run.stdout[-3000:]
    assert run.task(CHECK)
    assert [entry for entry in run.results if entry['status'] == 'unreachable']
    assert 'Sentinel(s): use at least 3' not in run.stdout


def two_groups(tmp_path, cache_masters=('c1',), sessions_masters=('s1',), **sentinel_vars) -> str:
    """Two replication groups (cache: c1..c3, sessions: s1..s3 on port 6380) and three Sentinels x1..x3."""
    path = inventory(tmp_path, masters=cache_masters + sessions_masters,
                     replicas=tuple(h for h in ('c1', 'c2', 'c3', 's1', 's2', 's3')
                                    if h not in cache_masters + sessions_masters),
                     sentinels=('x1', 'x2', 'x3'))
    lines = []
    for line in open(path).read().splitlines():
        name = line.split(' ')[0]
        if ' ansible_host=' in line and name.startswith(('c', 's')):
            line += ' redis_sentinel_master_name=%s' % ('cache' if name.startswith('c') else 'sessions')
            line += ' redis_port=6380' if name.startswith('s') else ''
        if ' ansible_host=' in line and name in sentinel_vars:
            line += ' ' + sentinel_vars[name]
        lines.append(line)
    open(path, 'w').write('\n'.join(lines) + '\n')
    return path


def test_two_groups_pass_the_checks(tmp_path):
    run = run_playbook_file(PLAYBOOK, two_groups(tmp_path))
    assert passed(run, first='c1'), run.stdout[-3000:]
    assert [entry for entry in run.results if entry['status'] == 'unreachable']


@pytest.mark.parametrize('layout, words', [
    (dict(sessions_masters=()), ['replication group sessions: exactly one of its data nodes must be in the inventory '
                                 'group redis_master', 'it has 0: none']),
    (dict(cache_masters=('c1', 'c2')), ['replication group cache:', 'it has 2: c1, c2']),
    (dict(x2="redis_sentinel_master_names='[\"queue\"]'"),
     ['x2: redis_sentinel_master_names names queue', 'the groups are: cache, sessions']),
])
def test_a_wrong_group_stops_before_any_host_is_contacted(tmp_path, layout, words):
    failures = failed_checks(run_playbook_file(PLAYBOOK, two_groups(tmp_path, **layout)))
    assert any(all(word in message for word in words) for message in failures), failures


@pytest.mark.parametrize('sentinels', [('node1', 'node2'), ('node1', 'node2', 'node3', 'node4')])
def test_too_few_or_an_even_number_of_sentinels_is_warned_about(tmp_path, sentinels):
    run = run_playbook_file(PLAYBOOK, inventory(tmp_path, replicas=('node2', 'node3', 'node4'), sentinels=sentinels,
                                                redis_sentinel_quorum=2))
    warned = [entry for entry in run.results if entry['task'].endswith('Warn about a Sentinel count that cannot survive a '
                                                                       'failure well') and entry['status'] == 'ok']
    assert len(warned) == 1, run.stdout[-3000:]
    assert warned[0]['result']['msg'].startswith('WARNING: %d Sentinel(s): use at least 3, and an odd number' % len(sentinels))


# ansible-core 2.21: a run_once task in a play that gathered no facts made the hosts share one facts dictionary,
# and every host then took the facts the last one gathered: with 4 Sentinels (the warning above ran once) site.yml
# saw one default_ipv4 address for the whole fleet (ansible/ansible#87415). The shared validation play must leave each
# host its own facts: here each host records a fact of its own after it, which must stay its own.
@pytest.mark.parametrize('sentinels', [('node1', 'node2', 'node3'), ('node1', 'node2', 'node3', 'node4')])
def test_the_validation_play_leaves_each_host_its_own_facts(tmp_path, sentinels):
    hosts = 'redis_master:redis_replica:redis_sentinel'
    plays = [
        dict(name='The validation play of site.yml', hosts=hosts, any_errors_fatal=True, gather_facts=False,
             tasks=[{'name': 'Check the fleet', 'ansible.builtin.include_role': dict(
                 name='redis_ops.replication._common', tasks_from='validate')}]),
        dict(name='Each host records a fact', hosts=hosts, gather_facts=False,
             tasks=[{'name': 'Record', 'ansible.builtin.set_fact': dict(probe='{{ inventory_hostname }}', cacheable=True)}]),
        dict(name='Read them back', hosts='localhost', gather_facts=False,
             tasks=[{'name': 'Each host kept its own', 'ansible.builtin.assert': dict(
                 that=["groups['all'] | map('extract', hostvars, ['ansible_facts', 'probe']) | list == groups['all']"],
                 fail_msg="{{ groups['all'] | map('extract', hostvars, ['ansible_facts', 'probe']) | list }}")}]),
    ]
    playbook = tmp_path / 'facts.yml'
    playbook.write_text(json.dumps(plays))
    run = run_playbook_file(str(playbook), inventory(tmp_path, replicas=('node2', 'node3', 'node4'), sentinels=sentinels,
                                                     redis_sentinel_quorum=2))
    checked = [entry for entry in run.results if entry['task'] == 'Each host kept its own']
    assert run.rc == 0 and [entry['status'] for entry in checked] == ['ok'], \
        [entry['result'].get('msg') for entry in checked] or run.stdout[-3000:]
