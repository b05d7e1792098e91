# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""acl_users against real redis-server and redis-sentinel processes."""

from __future__ import annotations

import hashlib
import re

import pytest
import redis
from harness import conn, overridden

APP_PW = 'app-pw-5d1e'
APP_PW2 = 'app-pw-second-77aa'

APP = dict(name='app', passwords=[APP_PW], rules=['~app:*', '&*', '+@all', '-@scripting'])


def acl_list(instance) -> list:
    return sorted(instance.client().execute_command('ACL', 'LIST'))


def no_secret_in(run, *secrets_) -> None:
    text = run.stdout
    for secret in secrets_:
        assert secret not in text
        assert hashlib.sha256(secret.encode()).hexdigest() not in text


def test_check_mode_reports_and_changes_nothing(fleet, run_module):
    node = fleet.redis()
    before = acl_list(node)
    run = run_module('acl_users', dict(conn(node), users=[APP]), check=True)
    assert not run.failed, run.result
    assert run['changed'] is True and run['created'] == ['app'] and run['commands'] == []
    assert run['diff']['before'] == {'app': None}
    assert run['diff']['after']['app']['passwords'] == '1 password(s)'
    assert acl_list(node) == before, 'check mode left a user behind (the probe must be deleted too)'
    no_secret_in(run, APP_PW)


def test_create_persist_idempotent_and_enforced(fleet, run_module):
    node = fleet.redis()
    run = run_module('acl_users', dict(conn(node), users=[APP]))
    assert not run.failed, run.result
    assert run['changed'] and run['persisted'] == 'config_rewrite'
    no_secret_in(run, APP_PW)
    assert 'user app on' in node.config_text()
    app = redis.Redis(host='127.0.0.1', port=node.port, username='app', password=APP_PW, decode_responses=True)
    app.set('app:1', 'x')
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set('other:1', 'x')
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.eval('return 1', 0)
    again = run_module('acl_users', dict(conn(node), users=[APP]))
    assert not again.failed and again['changed'] is False and again['commands'] == []
    # the same rules written another way are the same to the server
    reordered = dict(APP, rules=['&*', '~app:*', '+@all', '-@scripting'])
    assert run_module('acl_users', dict(conn(node), users=[reordered]))['changed'] is False


def test_password_rotation_and_state_changes(fleet, run_module):
    node = fleet.redis()
    run_module('acl_users', dict(conn(node), users=[APP]))
    rotated = run_module('acl_users', dict(conn(node), users=[dict(APP, passwords=[APP_PW, APP_PW2])]))
    assert rotated['changed'] and rotated['updated'] == ['app']
    assert rotated['diff']['after']['app']['passwords'] == '2 password(s), changed'
    no_secret_in(rotated, APP_PW, APP_PW2)
    redis.Redis(host='127.0.0.1', port=node.port, username='app', password=APP_PW2).ping()
    disabled = run_module('acl_users', dict(conn(node), users=[dict(APP, enabled=False)]))
    assert disabled['changed'] and disabled['diff']['after']['app']['enabled'] is False
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host='127.0.0.1', port=node.port, username='app', password=APP_PW).ping()
    removed = run_module('acl_users', dict(conn(node), users=[dict(name='app', state='absent')]))
    assert removed['changed'] and removed['removed'] == ['app']
    assert not any(line.startswith('user app ') for line in acl_list(node))


def test_aclfile_saved_and_purge_keeps_declared_and_self(fleet, run_module, tmp_path):
    aclfile = tmp_path / 'users.acl'
    aclfile.write_text('user default on >%s ~* &* +@all\nuser stray on >stray-pw ~* +@read\n' % 'pw-admin-1')
    node = fleet.redis(['aclfile %s' % aclfile], password='pw-admin-1')
    options = dict(conn(node), purge=True, users=[APP])
    run = run_module('acl_users', options)
    assert not run.failed, run.result
    assert run['removed'] == ['stray'] and run['created'] == ['app'] and run['persisted'] == 'acl_save'
    saved = aclfile.read_text()
    assert re.search(r'^user app on .*#[0-9a-f]{64} ~app:\* ', saved, re.M), saved
    assert 'stray' not in saved and 'user default on' in saved
    assert APP_PW not in saved
    assert run_module('acl_users', options)['changed'] is False


def test_default_user_disabled_by_admin(fleet, run_module):
    node = fleet.redis()
    admin = dict(name='admin', passwords=['admin-pw-0c4f'], rules=['~*', '&*', '+@all'])
    run_module('acl_users', dict(conn(node), users=[admin]))
    as_admin = conn(node, login_user='admin', login_password='admin-pw-0c4f')
    run = run_module('acl_users', dict(as_admin, users=[admin, dict(name='default', enabled=False)]))
    assert not run.failed, run.result
    assert run['updated'] == ['default']
    # The server's own refusal (WRONGPASS: the user is disabled), not any error such as a refused connection.
    with pytest.raises(redis.exceptions.AuthenticationError, match='invalid username-password pair or user is disabled'):
        redis.Redis(host='127.0.0.1', port=node.port, password=node.password).set('k', 'v')


def test_refused_setuser_shows_neither_passwords_nor_their_hashes(fleet, run_module):
    """The server refuses a user name with a NUL byte only at ACL SETUSER, after the probe user passed.

    The hash of a password is not a no_log value, so Ansible would not mask it: only the module can keep it out.
    """
    node = fleet.redis()
    before = acl_list(node)
    run = run_module('acl_users', dict(conn(node), users=[dict(APP, name='app\x00x', passwords=[APP_PW, APP_PW2])]))
    assert run.failed, run.result
    assert "Usernames can't contain spaces or null characters" in run['msg'], run['msg']
    assert 'ACL SETUSER' in run['msg'] and '******** ********' in run['msg']
    no_secret_in(run, APP_PW, APP_PW2)
    assert acl_list(node) == before


def test_module_itself_redacts_passwords_in_commands(fleet, run_module_raw):
    """Read the result as the module built it: AnsibleModule's no_log masking would hide a leak from run_module."""
    node = fleet.redis()
    result = run_module_raw('acl_users', dict(conn(node), users=[dict(APP, passwords=[APP_PW, APP_PW2])]))
    assert not result.get('failed'), result
    assert result['commands'][0] == 'ACL SETUSER app reset on ******** ******** ~app:* &* +@all -@scripting'
    text = repr(result)
    for secret in (APP_PW, APP_PW2):
        assert secret not in text and hashlib.sha256(secret.encode()).hexdigest() not in text


def test_sentinel_users_persisted_with_flushconfig(fleet, run_module):
    sentinel = fleet.sentinel()
    peer = dict(name='sentinel-peer', passwords=['peer-pw-12ab'], rules=['allchannels', '+@all'])
    run = run_module('acl_users', dict(conn(sentinel), users=[peer]))
    assert not run.failed, run.result
    assert run['persisted'] == 'sentinel_flushconfig'
    assert 'user sentinel-peer on' in sentinel.config_text()
    assert run_module('acl_users', dict(conn(sentinel), users=[peer]))['changed'] is False
    # the peer can log in to the Sentinel with its user
    redis.Redis(host='127.0.0.1', port=sentinel.port, username='sentinel-peer', password='peer-pw-12ab').ping()


@pytest.mark.parametrize('change, message', [
    (dict(users=[dict(name='app', rules=['+@all'])]), 'app is enabled but has no passwords'),
    (dict(users=[dict(name='app', passwords=[''])]), 'app has an empty password'),
    (dict(users=[dict(name='app', passwords=['x'], nopass=True)]), 'both nopass and passwords'),
    (dict(users=[dict(name='app', passwords=['x'], rules=['>secret', '+@all'])]), 'not in rules'),
    (dict(users=[dict(name='app', passwords=['x']), dict(name='app', passwords=['y'])]), 'more than once'),
    (dict(users=[dict(name='app', passwords=['x'], rules=['+no-such-command'])]), 'refused the ACL rules'),
    (dict(users=[dict(name='default', enabled=False)]), 'would lock it out'),
    (dict(users=[dict(name='default', state='absent')]), 'cannot remove itself'),
    (dict(users=[dict(name='bad name', passwords=['x'])]), 'white space'),
])
def test_bad_input_is_refused_before_any_change(fleet, run_module, change, message):
    node = fleet.redis()
    before = acl_list(node)
    run = run_module('acl_users', overridden(conn(node), change))
    assert run.failed and message in run['msg'], run.result
    assert acl_list(node) == before


def test_unreachable_server_is_a_clear_error(run_module):
    run = run_module('acl_users', dict(login_host='127.0.0.1', login_port=1, users=[APP]))
    assert run.failed and 'cannot connect to 127.0.0.1:1' in run['msg']
