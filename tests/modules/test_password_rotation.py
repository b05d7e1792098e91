# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""password_rotation against a real primary, replica and Sentinel: the three phases keep the old password working
until drop, restart nothing, keep the links up, and leave files that start with the new password only."""

from __future__ import annotations

import hashlib
import os
import stat
import time

import pytest
import redis
import yaml
from harness import (MODULE_PYTHON, PASSWORD, SENTINEL_PASSWORD, Instance, conn, free_port, run_playbook_file, sentinel_command,
                     wait_until)

NEW = 'pw-new-71d3c2 with space#"q'
NEW_SENTINEL_SAFE = 'pw-new-71d3c2'


def client(instance, password) -> redis.Redis:
    return redis.Redis(host='127.0.0.1', port=instance.port, password=password, decode_responses=True,
                       socket_timeout=5)


def accepts(instance, password) -> bool:
    try:
        return client(instance, password).ping()
    except redis.AuthenticationError:
        return False


def link_up(replica) -> bool:
    return client(replica, PASSWORD).info('replication').get('master_link_status') == 'up'


@pytest.fixture
def trio(fleet):
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    wait_until(lambda: link_up(replica), 30, 'the replica to sync')
    sentinel = fleet.sentinel(monitor=primary)
    for instance in (primary, replica, sentinel):
        os.chmod(instance.config_path, 0o640)
    return primary, replica, sentinel


def phase(run_module, instance, step, login, password=NEW, check=False, **extra):
    args = dict(conn(instance, login_password=login), phase=step, password=password, **extra)
    if instance.kind == 'redis':
        args['previous_password'] = PASSWORD
    run = run_module('password_rotation', args, check=check)
    assert NEW not in run.stdout and NEW_SENTINEL_SAFE not in run.stdout, 'the new password leaked'
    return run


def test_check_mode_prints_the_plan_and_sends_nothing(trio, run_module):
    primary, _replica, _sentinel = trio
    run = phase(run_module, primary, 'add', PASSWORD, check=True)
    assert not run.failed, run.result
    assert run['changed'] is True and run['commands'] == []
    assert run['plan'] == ['give user default the new password next to its other(s)']
    assert run['diff'] == dict(before={'passwords of default': 'old'}, after={'passwords of default': 'old and new'})
    assert not accepts(primary, NEW)


def test_switch_before_add_is_refused(trio, run_module):
    primary, _replica, _sentinel = trio
    run = phase(run_module, primary, 'switch', PASSWORD)
    assert run.failed and 'run phase add on every instance first' in run['msg']
    assert client(primary, PASSWORD).config_get('masterauth')['masterauth'] == PASSWORD


def test_rotation_keeps_old_password_until_drop(trio, run_module):
    primary, replica, sentinel = trio
    pids = [instance.process.pid for instance in trio]
    old_client = client(primary, PASSWORD)
    data_nodes = (primary, replica)

    for node in data_nodes:
        run = phase(run_module, node, 'add', PASSWORD)
        assert not run.failed and run['changed'] and run['passwords'] == 2, run.result
        assert run['commands'] == ['ACL SETUSER default >********', 'CONFIG REWRITE']
    for node in data_nodes:
        assert accepts(node, PASSWORD) and accepts(node, NEW)
        assert stat.S_IMODE(os.stat(node.config_path).st_mode) == 0o640
    again = phase(run_module, primary, 'add', PASSWORD)
    assert again['changed'] is False and again['commands'] == []

    for node in data_nodes:
        run = phase(run_module, node, 'switch', NEW)
        assert not run.failed and run['changed'], run.result
        assert run['commands'] == ['CONFIG SET masterauth ********', 'CONFIG REWRITE']
    # Sentinel keeps auth-pass unquoted: a password with a space is refused there, before any change.
    spaced = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD)
    assert spaced.failed and 'white space' in spaced['msg']
    assert old_client.set('during', 'switch') and link_up(replica)
    # A new replication link (a reconnect) logs in with the new masterauth.
    client(replica, NEW).execute_command('CLIENT', 'KILL', 'TYPE', 'master')
    wait_until(lambda: link_up(replica), 30, 'the replica to reconnect with the new masterauth')

    for node in data_nodes:
        run = phase(run_module, node, 'drop', NEW)
        assert not run.failed and run['changed'] and run['passwords'] == 1, run.result
        assert run['commands'] == ['CONFIG SET requirepass ********', 'CONFIG REWRITE']
        assert not accepts(node, PASSWORD) and accepts(node, NEW)
        assert stat.S_IMODE(os.stat(node.config_path).st_mode) == 0o640
    assert phase(run_module, replica, 'drop', NEW)['changed'] is False
    assert [instance.process.pid for instance in trio] == pids
    assert link_up_with(replica, NEW)

    # The files now hold the new password only: a restart keeps the old one out.
    replica.password = NEW
    replica.stop()
    replica.start_from_file()
    assert not accepts(replica, PASSWORD) and accepts(replica, NEW)
    wait_until(lambda: link_up_with(replica, NEW), 30, 'the restarted replica to sync with the new masterauth')


def link_up_with(replica, password) -> bool:
    return client(replica, password).info('replication').get('master_link_status') == 'up'


def test_sentinel_switch_moves_auth_pass(fleet, run_module):
    primary = fleet.redis()
    sentinel = fleet.sentinel(monitor=primary)
    wait_until(lambda: sentinel_command(sentinel, 'MASTER', 'mymaster')['flags'] == 'master', 30,
               'Sentinel to see the primary')
    assert phase(run_module, primary, 'add', PASSWORD, password=NEW_SENTINEL_SAFE)['changed']
    check = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE, check=True)
    assert check['changed'] and check['commands'] == [] and 'auth-pass %s' % NEW_SENTINEL_SAFE not in sentinel.config_text()
    run = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)
    assert not run.failed and run['commands'] == ['SENTINEL SET mymaster auth-pass ********'], run.result
    assert run['diff'] == dict(before={'auth-pass': '(hidden)'}, after={'auth-pass': '(hidden, changed)'})
    assert 'sentinel auth-pass mymaster %s' % NEW_SENTINEL_SAFE in sentinel.config_text()
    assert phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)['changed'] is False
    assert phase(run_module, sentinel, 'add', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE)['changed'] is False
    wrong = phase(run_module, sentinel, 'switch', SENTINEL_PASSWORD, password=NEW_SENTINEL_SAFE, name='other')
    assert wrong.failed and 'does not monitor other' in wrong['msg']
    # After drop on the data node, Sentinel still sees the primary up: it logs in with the new auth-pass.
    assert phase(run_module, primary, 'drop', NEW_SENTINEL_SAFE, password=NEW_SENTINEL_SAFE)['changed']
    admin = client(primary, NEW_SENTINEL_SAFE)
    before = {entry['id'] for entry in admin.client_list()}
    # RESET drops Sentinel's links; Sentinel names a link (CLIENT SETNAME) only once its AUTH succeeded.
    sentinel.client().execute_command('SENTINEL', 'RESET', 'mymaster')
    wait_until(lambda: [entry for entry in admin.client_list()
                        if entry['id'] not in before and entry['name'].startswith('sentinel-')],
               30, 'Sentinel to log in again with the new auth-pass')
    assert accepts(primary, NEW_SENTINEL_SAFE) and not accepts(primary, PASSWORD)


def sentinel_accepts(sentinel, password) -> bool:
    try:
        return redis.Redis(host='127.0.0.1', port=sentinel.port, password=password, socket_timeout=5).ping()
    except redis.AuthenticationError:
        return False


def peers_up(sentinel, count) -> bool:
    """The Sentinel sees ``count`` other Sentinels, none flagged down: its logins to them work."""
    peers = sentinel_command(sentinel, 'SENTINELS', 'mymaster')
    return len(peers) == count and all('s_down' not in peer['flags'] and 'disconnected' not in peer['flags']
                                       for peer in peers)


def sentinel_file_matches(run_module, sentinel, password) -> bool:
    """Whether config_file finds the Sentinel's file equal to a rendered requirepass/sentinel-pass of ``password``."""
    run = run_module('config_file', dict(path=sentinel.config_path, strategy='merge', content='requirepass %s\n'
                                         'sentinel sentinel-pass %s\n' % (password, password)), check=True)
    assert not run.failed, run.result
    return not run['changed']


def test_sentinel_own_password_rotates_with_its_peers_and_no_restart(fleet, run_module):
    primary = fleet.redis()
    sentinels = [fleet.sentinel(monitor=primary, quorum=2), fleet.sentinel(monitor=primary, quorum=2)]
    for sentinel in sentinels:
        wait_until(lambda sentinel=sentinel: peers_up(sentinel, 1), 30, 'the Sentinels to find each other')
    pids = [sentinel.process.pid for sentinel in sentinels]
    new = NEW_SENTINEL_SAFE

    def own(sentinel, step, login, password=new, check=False, **extra):
        return phase(run_module, sentinel, step, login, password=password, check=check, password_of='sentinel',
                     previous_password=SENTINEL_PASSWORD, **extra)

    plan = own(sentinels[0], 'add', SENTINEL_PASSWORD, check=True)
    assert plan['changed'] and plan['commands'] == [] and not sentinel_accepts(sentinels[0], new), plan.result
    assert plan['diff'] == dict(before={'passwords of default': 'old'}, after={'passwords of default': 'old and new'})
    early = own(sentinels[0], 'switch', SENTINEL_PASSWORD)
    assert early.failed and 'run phase add on every Sentinel first' in early['msg']
    spaced = own(sentinels[0], 'add', SENTINEL_PASSWORD, password='new with space')
    assert spaced.failed and 'white space' in spaced['msg']
    data_node = phase(run_module, primary, 'add', PASSWORD, password=new, password_of='sentinel')
    assert data_node.failed and 'is a data node' in data_node['msg']

    for sentinel in sentinels:
        run = own(sentinel, 'add', SENTINEL_PASSWORD)
        assert not run.failed and run['changed'] and run['passwords'] == 2, run.result
        assert run['commands'] == ['ACL SETUSER default >********', 'SENTINEL FLUSHCONFIG']
        assert sentinel_accepts(sentinel, SENTINEL_PASSWORD) and sentinel_accepts(sentinel, new)
    assert own(sentinels[0], 'add', new)['changed'] is False

    for sentinel in sentinels:
        run = own(sentinel, 'switch', new)
        assert not run.failed and run['commands'] == ['SENTINEL CONFIG SET sentinel-pass ********'], run.result
        assert 'sentinel sentinel-pass %s' % new in sentinel.config_text()
    assert own(sentinels[1], 'switch', new)['changed'] is False

    for sentinel in sentinels:
        run = own(sentinel, 'drop', new)
        assert not run.failed and run['passwords'] == 1, run.result
        assert run['commands'] == ['ACL SETUSER default resetpass >********', 'SENTINEL FLUSHCONFIG']
        assert not sentinel_accepts(sentinel, SENTINEL_PASSWORD) and sentinel_accepts(sentinel, new)
        sentinel.password = new
    assert own(sentinels[0], 'drop', new)['changed'] is False
    assert [sentinel.process.pid for sentinel in sentinels] == pids
    # Each logs in to the other with the new sentinel-pass: neither flags the other down past down-after (1 s).
    time.sleep(2.5)
    assert all(peers_up(sentinel, 1) for sentinel in sentinels)

    # The file keeps the requirepass Sentinel started with; the user line after it holds the new password only, and
    # config_file (what site.yml runs) finds the file equal to the new password's, not to the old one's.
    text = sentinels[0].config_text()
    assert 'requirepass "%s"' % SENTINEL_PASSWORD in text or 'requirepass %s' % SENTINEL_PASSWORD in text
    assert hashlib.sha256(SENTINEL_PASSWORD.encode()).hexdigest() not in text
    assert sentinel_file_matches(run_module, sentinels[0], new)
    assert not sentinel_file_matches(run_module, sentinels[0], SENTINEL_PASSWORD)

    # A restart from that file keeps the old password out and the peers talking.
    sentinels[1].stop()
    sentinels[1].start_from_file()
    assert not sentinel_accepts(sentinels[1], SENTINEL_PASSWORD) and sentinel_accepts(sentinels[1], new)
    wait_until(lambda: all(peers_up(sentinel, 1) for sentinel in sentinels), 30,
               'the restarted Sentinel and its peer to see each other again')


def test_sentinel_phases_redact_both_passwords_in_the_module_s_own_result(fleet, run_module_raw):
    """The module's own result (no_log masking would hide a leak from run_module), in success and in failure."""
    primary = fleet.redis()
    sentinel = fleet.sentinel(monitor=primary)
    base = dict(conn(sentinel), password_of='sentinel', password=NEW_SENTINEL_SAFE, previous_password=SENTINEL_PASSWORD)
    for step, login in (('add', SENTINEL_PASSWORD), ('switch', NEW_SENTINEL_SAFE), ('drop', NEW_SENTINEL_SAFE)):
        result = run_module_raw('password_rotation', dict(base, phase=step, login_password=login))
        assert not result.get('failed') and result['changed'], (step, result)
        assert NEW_SENTINEL_SAFE not in repr(result) and SENTINEL_PASSWORD not in repr(result), step
    assert not sentinel_accepts(sentinel, SENTINEL_PASSWORD) and sentinel_accepts(sentinel, NEW_SENTINEL_SAFE)
    refused = run_module_raw('password_rotation', dict(base, phase='switch', password='other-pw-5c1',
                                                       login_password=NEW_SENTINEL_SAFE))
    assert refused['failed'] and 'does not accept the new password yet' in refused['msg']
    assert 'other-pw-5c1' not in repr(refused) and NEW_SENTINEL_SAFE not in repr(refused)


# --- playbooks/rotate_passwords.yml on real processes (the Molecule scenarios run it over the converged fleet) ---

PLAYBOOKS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks'))
NEXT = 'rotated-9f04b1'
NEXT_SENTINEL = 'sentinel-rotated-5e2a'


def inventory(tmp_path, primary, replica, sentinels, password, previous=None, sentinel_previous=None) -> str:
    common = 'ansible_connection=local ansible_become=false ansible_python_interpreter=%s redis_host_address=127.0.0.1' \
        % MODULE_PYTHON
    sentinels = sentinels if isinstance(sentinels, (list, tuple)) else [sentinels]
    lines = ['[redis_master]', 'node1 redis_port=%d %s' % (primary.port, common),
             '[redis_replica]', 'node2 redis_port=%d %s' % (replica.port, common), '[redis_sentinel]']
    lines += ['s%d redis_sentinel_port=%d %s' % (number, sentinel.port, common)
              for number, sentinel in enumerate(sentinels, 1)]
    lines += ['[all:vars]', 'redis_password=%s' % password,
              'redis_sentinel_password=%s' % (NEXT_SENTINEL if sentinel_previous else SENTINEL_PASSWORD),
              'redis_sentinel_quorum=1']
    if previous:
        lines.append('redis_password_previous=%s' % previous)
    if sentinel_previous:
        lines.append('redis_sentinel_password_previous=%s' % sentinel_previous)
    path = tmp_path / 'inventory.ini'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def rotate(tmp_path, nodes, step, check=False):
    """The playbook on primary, replica and Sentinels, rotating redis_password and redis_sentinel_password at once."""
    run = run_playbook_file(os.path.join(PLAYBOOKS, 'rotate_passwords.yml'),
                            inventory(tmp_path, *nodes, NEXT, PASSWORD, sentinel_previous=SENTINEL_PASSWORD),
                            extra_vars=dict(redis_rotation_phase=step), check=check)
    for password in (NEXT, NEXT_SENTINEL, PASSWORD, SENTINEL_PASSWORD):
        assert password not in run.stdout and password not in run.stderr, 'a password leaked'
    return run


def changed_tasks(run) -> list:
    return sorted({(entry['task'], entry['host']) for entry in run.results if entry['result'].get('changed')})


def sentinel_sees_all_up(sentinel) -> bool:
    master = sentinel_command(sentinel, 'MASTER', 'mymaster')
    replicas = sentinel_command(sentinel, 'REPLICAS', 'mymaster')
    return master['flags'] == 'master' and replicas and all(r['flags'] == 'slave' for r in replicas)


@pytest.mark.long
def test_playbook_rotates_in_three_phases_and_site_points_at_it(trio, fleet, tmp_path):
    primary, replica, sentinel = trio
    # Two Sentinels, so that their logins to each other (sentinel-pass) rotate too.
    sentinels = (sentinel, fleet.sentinel(monitor=primary, quorum=2))
    nodes = (primary, replica, sentinels)
    for each in sentinels:
        wait_until(lambda each=each: sentinel_sees_all_up(each) and peers_up(each, 1), 30,
                   'each Sentinel to see the primary, the replica and the other Sentinel')
    pids = [instance.process.pid for instance in (primary, replica) + sentinels]
    old_connection = client(primary, PASSWORD)
    assert old_connection.ping()

    # The inventory has the new password, the servers the old one: site.yml's discovery stops and says what to do.
    with open(os.path.join(PLAYBOOKS, 'site.yml'), encoding='utf-8') as handle:
        plays = [play for play in yaml.safe_load(handle) if play['name'] == 'Discover the live topology']
    site = tmp_path / 'site-discover.yml'
    site.write_text(yaml.safe_dump(plays))
    refused = run_playbook_file(str(site), inventory(tmp_path, primary, replica, sentinels, NEXT), callback='default')
    assert refused.rc != 0, refused.stdout[-4000:]
    assert 'the servers on node1, node2 refused the password the inventory gives' in refused.stdout
    assert 'playbooks/rotate_passwords.yml' in refused.stdout and NEXT not in refused.stdout

    plan = rotate(tmp_path, nodes, 'add', check=True)
    assert plan.rc == 0, plan.stdout[-3000:]
    assert changed_tasks(plan) == [("Bring this Sentinel's own users to the phase", 's1'),
                                   ("Bring this Sentinel's own users to the phase", 's2'),
                                   ("Bring this data node's users to the phase", 'node1'),
                                   ("Bring this data node's users to the phase", 'node2')]
    assert not accepts(primary, NEXT) and not accepts(replica, NEXT)
    assert not any(sentinel_accepts(each, NEXT_SENTINEL) for each in sentinels)

    too_early = rotate(tmp_path, nodes, 'drop')
    assert too_early.rc != 0 and accepts(primary, PASSWORD) and not accepts(primary, NEXT)

    for step in ('add', 'switch'):
        run = rotate(tmp_path, nodes, step)
        assert run.rc == 0, run.stdout[-3000:]
        for node in (primary, replica):
            assert accepts(node, PASSWORD) and accepts(node, NEXT), step
        for each in sentinels:
            assert sentinel_accepts(each, SENTINEL_PASSWORD) and sentinel_accepts(each, NEXT_SENTINEL), step
        assert old_connection.set('phase', step) and link_up_with(replica, NEXT)
    for each in sentinels:
        assert 'sentinel auth-pass mymaster %s' % NEXT in each.config_text()
        assert 'sentinel sentinel-pass %s' % NEXT_SENTINEL in each.config_text()
    assert client(replica, NEXT).config_get('masterauth')['masterauth'] == NEXT

    dropped = rotate(tmp_path, nodes, 'drop')
    assert dropped.rc == 0, dropped.stdout[-3000:]
    for node in (primary, replica):
        assert not accepts(node, PASSWORD) and accepts(node, NEXT)
        assert stat.S_IMODE(os.stat(node.config_path).st_mode) == 0o640
    for each in sentinels:
        assert not sentinel_accepts(each, SENTINEL_PASSWORD) and sentinel_accepts(each, NEXT_SENTINEL)
        each.password = NEXT_SENTINEL
    assert [instance.process.pid for instance in (primary, replica) + sentinels] == pids
    assert link_up_with(replica, NEXT)
    # Past down-after (1 s) on the new passwords only, every Sentinel still sees every node and its peer up.
    time.sleep(2.5)
    for each in sentinels:
        assert sentinel_sees_all_up(each) and peers_up(each, 1)
        assert 's_down' not in sentinel_command(each, 'MASTER', 'mymaster')['flags']
    assert 'only the new redis_password, redis_sentinel_password works' in dropped.stdout, dropped.stdout[-3000:]

    again = rotate(tmp_path, nodes, 'drop')
    assert again.rc == 0 and changed_tasks(again) == []


# --- the same playbook on a fleet with ACL users (redis_acl_enabled, the default user off, an aclfile) ---

ADMIN, REPL, SENT = 'redis-ops-admin', 'redis-ops-replica', 'redis-ops-sentinel'
ACL_OLD = {ADMIN: 'adm-old-"q" 1', REPL: 'repl old \\ 2', SENT: 'sent-old-3'}
# Sentinel writes auth-pass back unquoted: the Sentinel user's password has neither spaces nor quotes.
ACL_NEW = {ADMIN: "adm new 'q' 4", REPL: 'repl-new # 5', SENT: 'sent-new-6'}
ACL_RULES = {ADMIN: '~* &* +@all', REPL: '+psync +replconf +ping',
             SENT: 'allchannels +multi +exec +slaveof +replicaof +ping +subscribe +publish +config|rewrite +config|get '
                   '+role +info +client|setname +client|kill +script|kill'}


def acl_login(instance, user, password) -> redis.Redis:
    return redis.Redis(host='127.0.0.1', port=instance.port, username=user, password=password, decode_responses=True,
                       socket_timeout=5)


def acl_accepts(instance, user, password) -> bool:
    try:
        return acl_login(instance, user, password).ping()
    except redis.AuthenticationError:
        return False


def acl_node(fleet, index, replica_of=None):
    """A data node whose users live in its own aclfile, the default user off, replicating as the replication user."""
    aclfile = os.path.join(fleet.workdir, 'users-%d.acl' % index)
    with open(aclfile, 'w', encoding='utf-8') as handle:
        handle.write('user default off resetpass -@all\n')
        for user, rules in ACL_RULES.items():
            handle.write('user %s on #%s %s\n' % (user, hashlib.sha256(ACL_OLD[user].encode()).hexdigest(), rules))
    lines = ['repl-diskless-sync-delay 0', 'save ""', 'appendonly no', 'aclfile %s' % aclfile,
             'masteruser %s' % REPL, 'masterauth "%s"' % ACL_OLD[REPL].replace('\\', '\\\\')]
    if replica_of is not None:
        lines.append('replicaof 127.0.0.1 %d' % replica_of.port)
    node = Instance(fleet.workdir, 'redis', free_port(), lines, None)
    node.aclfile = aclfile
    node.admin_password = ACL_OLD[ADMIN]
    # The harness pings and stops through client(): as the admin user, with the password the node has now.
    node.client = lambda **kwargs: acl_login(node, ADMIN, node.admin_password)
    fleet.instances.append(node)
    return node.start()


def acl_sentinel(fleet, primary):
    lines = ['requirepass %s' % SENTINEL_PASSWORD, 'sentinel sentinel-pass %s' % SENTINEL_PASSWORD,
             'sentinel monitor mymaster 127.0.0.1 %d 1' % primary.port,
             'sentinel down-after-milliseconds mymaster 1000', 'sentinel failover-timeout mymaster 10000',
             'sentinel auth-user mymaster %s' % SENT, 'sentinel auth-pass mymaster %s' % ACL_OLD[SENT]]
    sentinel = Instance(fleet.workdir, 'sentinel', free_port(), lines, SENTINEL_PASSWORD)
    fleet.instances.append(sentinel)
    return sentinel.start()


def acl_inventory(tmp_path, primary, replica, sentinel, **extra) -> str:
    common = dict(ansible_connection='local', ansible_become=False, ansible_python_interpreter=MODULE_PYTHON,
                  redis_host_address='127.0.0.1')
    fleet_vars = dict(redis_password='unused-default-off-7', redis_sentinel_password=SENTINEL_PASSWORD,
                      redis_sentinel_quorum=1, redis_acl_enabled=True, redis_acl_disable_default=True,
                      redis_acl_admin_password=ACL_NEW[ADMIN], redis_acl_admin_password_previous=ACL_OLD[ADMIN],
                      redis_acl_replication_password=ACL_NEW[REPL],
                      redis_acl_replication_password_previous=ACL_OLD[REPL],
                      redis_acl_sentinel_password=ACL_NEW[SENT], redis_acl_sentinel_password_previous=ACL_OLD[SENT])
    fleet_vars.update(extra)
    fleet_vars = {key: value for key, value in fleet_vars.items() if value is not None}
    data = dict(all=dict(vars=fleet_vars, children=dict(
        redis_master=dict(hosts=dict(node1=dict(common, redis_port=primary.port))),
        redis_replica=dict(hosts=dict(node2=dict(common, redis_port=replica.port))),
        redis_sentinel=dict(hosts=dict(s1=dict(common, redis_sentinel_port=sentinel.port))))))
    path = tmp_path / 'inventory-acl.yml'
    path.write_text(yaml.safe_dump(data))
    return str(path)


def acl_rotate(tmp_path, nodes, step, **extra):
    run = run_playbook_file(os.path.join(PLAYBOOKS, 'rotate_passwords.yml'), acl_inventory(tmp_path, *nodes, **extra),
                            extra_vars=dict(redis_rotation_phase=step), callback='default')
    for password in list(ACL_OLD.values()) + list(ACL_NEW.values()):
        assert password not in run.stdout and password not in run.stderr, 'a password leaked into the output'
    return run


@pytest.mark.long
@pytest.mark.oldest
def test_playbook_rotates_the_acl_users_and_their_links(fleet, tmp_path):
    primary = acl_node(fleet, 1)
    replica = acl_node(fleet, 2, replica_of=primary)
    sentinel = acl_sentinel(fleet, primary)
    nodes = (primary, replica, sentinel)
    wait_until(lambda: acl_login(replica, ADMIN, ACL_OLD[ADMIN]).info('replication')['master_link_status'] == 'up',
               30, 'the replica to sync as the replication user')
    wait_until(lambda: sentinel_sees_all_up(sentinel), 30, 'Sentinel to see the primary and the replica')
    pids = [instance.process.pid for instance in nodes]

    # Refused before any change: nothing to rotate, and a default user that is off.
    nothing = acl_rotate(tmp_path, nodes, 'add', redis_acl_admin_password_previous=None,
                         redis_acl_replication_password_previous=None, redis_acl_sentinel_password_previous=None)
    assert nothing.rc != 0 and 'redis_acl_admin_password_previous, redis_acl_replication_password_previous' in nothing.stdout
    default_off = acl_rotate(tmp_path, nodes, 'add', redis_password_previous='some-old-8')
    assert default_off.rc != 0 and 'the default user is off' in default_off.stdout
    assert acl_rotate(tmp_path, nodes, 'drop').rc != 0, 'drop before switch must be refused'
    for node in (primary, replica):
        assert all(acl_accepts(node, user, ACL_OLD[user]) and not acl_accepts(node, user, ACL_NEW[user])
                   for user in ACL_OLD)

    for step in ('add', 'switch'):
        run = acl_rotate(tmp_path, nodes, step)
        assert run.rc == 0, run.stdout[-4000:]
        for node in (primary, replica):
            for user in ACL_OLD:
                assert acl_accepts(node, user, ACL_OLD[user]) and acl_accepts(node, user, ACL_NEW[user]), (step, user)
    for node in (primary, replica):
        node.admin_password = ACL_NEW[ADMIN]
        assert node.client().config_get('masterauth')['masterauth'] == ACL_NEW[REPL]
    assert 'sentinel auth-pass mymaster %s' % ACL_NEW[SENT] in sentinel.config_text()

    dropped = acl_rotate(tmp_path, nodes, 'drop')
    assert dropped.rc == 0, dropped.stdout[-4000:]
    for node in (primary, replica):
        for user in ACL_OLD:
            assert not acl_accepts(node, user, ACL_OLD[user]) and acl_accepts(node, user, ACL_NEW[user]), user
        saved = open(node.aclfile, encoding='utf-8').read()
        assert all(hashlib.sha256(ACL_OLD[user].encode()).hexdigest() not in saved for user in ACL_OLD), saved
    assert [instance.process.pid for instance in nodes] == pids
    assert sentinel_sees_all_up(sentinel)
    assert 'only the new redis_acl_admin_password, redis_acl_replication_password, redis_acl_sentinel_password works' \
        in dropped.stdout, dropped.stdout[-3000:]

    again = acl_rotate(tmp_path, nodes, 'drop')
    assert again.rc == 0 and 'changed=0' in again.stdout and 'changed=1' not in again.stdout, again.stdout[-3000:]

    # masterauth went into redis.conf next to the aclfile: a restarted replica replicates with the new password.
    replica.stop()
    replica.start_from_file()
    wait_until(lambda: replica.client().info('replication')['master_link_status'] == 'up', 30,
               'the restarted replica to sync with the new replication password')
