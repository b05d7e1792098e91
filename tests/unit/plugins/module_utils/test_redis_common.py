# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error explanations for redis-py exceptions that real servers here cannot easily produce."""

from __future__ import annotations

import pytest
import yaml
from redis import exceptions

from ansible_collections.redis_ops.replication.plugins.doc_fragments.connection import ModuleDocFragment

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    CONNECTION_REQUIRED_TOGETHER,
    RedisClient,
    RedisOpsError,
    _redact,
    connection_argument_spec,
    connection_kwargs,
    describe_target,
    explain_redis_error,
    module_kwargs,
    validate_connection_params,
)

BASE = dict(login_host='10.0.0.1', login_port=6379, login_unix_socket=None, login_user=None, login_password=None,
            tls=False, validate_certs=True, ca_certs=None, client_cert_file=None, client_key_file=None,
            connect_timeout=5.0, command_timeout=10.0)


@pytest.mark.parametrize('exc, expected', [
    (exceptions.TimeoutError('Timeout reading from socket'), 'timed out after 10s talking to h:1 while running INFO'),
    (exceptions.AuthenticationWrongNumberOfArgsError('wrong number of arguments for AUTH'),
     'login_password was given but h:1 has no password configured'),
    (exceptions.AuthenticationError('Authentication required.'), 'h:1 requires authentication'),
    (exceptions.AuthenticationError('HELLO must be called with the client already authenticated, otherwise the '
                                    'HELLO <proto> AUTH <user> <pass> option can be used'),
     'h:1 requires authentication'),
    (exceptions.AuthenticationError('invalid username-password pair'), 'authentication to h:1 failed'),
    (exceptions.NoPermissionError("this user has no permissions to run the 'info' command"),
     'lacks the permission while running INFO'),
    (exceptions.ResponseError("unknown command 'SENTINEL'"), 'h:1 does not support while running INFO'),
    (exceptions.ConnectionError('Connection refused'), 'cannot connect to h:1: Connection refused'),
    (exceptions.ResponseError('LOADING Redis is loading the dataset in memory'), 'h:1 answered with an error'),
])
def test_every_error_gets_an_actionable_message(exc, expected):
    assert expected in explain_redis_error(exc, 'h:1', 'INFO', 10.0)


def test_targets():
    assert describe_target(BASE) == '10.0.0.1:6379'
    assert describe_target(dict(BASE, login_host='::1')) == '[::1]:6379'
    assert describe_target(dict(BASE, login_unix_socket='/run/redis.sock')) == 'unix socket /run/redis.sock'


@pytest.mark.parametrize('change, message', [
    (dict(login_port=0), 'login_port must be a TCP port between 1 and 65535'),
    (dict(connect_timeout=0), 'connect_timeout must be a positive number'),
    (dict(login_user='app'), 'login_user is set but login_password is not'),
    # a file that exists: the check that fails is the one named
    (dict(client_cert_file=__file__), 'client_cert_file is only used with tls=true'),
])
def test_bad_connection_parameters(change, message):
    with pytest.raises(RedisOpsError, match=message):
        validate_connection_params(dict(BASE, **change))
    validate_connection_params(dict(BASE, tls=True, **{k: v for k, v in change.items() if k.endswith('_file')}))


def test_tls_files_must_be_readable(tmp_path):
    with pytest.raises(RedisOpsError, match='ca_certs is .*missing.pem, which is not a readable file'):
        validate_connection_params(dict(BASE, tls=True, ca_certs=str(tmp_path / 'missing.pem')))
    with pytest.raises(RedisOpsError, match='client_key_file is .*, which is not a readable file'):
        validate_connection_params(dict(BASE, tls=True, client_key_file=str(tmp_path)))


def test_a_failed_command_names_the_command_with_its_secrets_masked():
    assert _redact(('CONFIG', 'SET', 'masterauth', 's3cret', 7), (3,)) == 'CONFIG SET masterauth ******** 7'
    assert _redact(('SENTINEL', 'SET', 'm', 'auth-pass', 's3cret'), (4,)) == 'SENTINEL SET m auth-pass ********'
    assert _redact(('PING',), ()) == 'PING'
    # Nothing listens on port 1 of the loopback: a real refusal, whose details carry the masked command.
    client = RedisClient(dict(BASE, login_host='127.0.0.1', login_port=1, connect_timeout=1.0))
    with pytest.raises(RedisOpsError) as raised:
        client.call('CONFIG', 'SET', 'masterauth', 's3cret-value', secret_positions=(3,))
    assert raised.value.details['command'] == 'CONFIG SET masterauth ********'
    assert 's3cret-value' not in raised.value.message
    with pytest.raises(RedisOpsError) as plain:
        client.call('CONFIG', 'SET', 'maxmemory', '1gb')
    assert plain.value.details['command'] == 'CONFIG SET maxmemory 1gb'


def test_argument_spec_is_the_documented_one():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = connection_argument_spec()
    assert list(spec) == list(documented)
    for name, option in spec.items():
        doc = documented[name]
        assert set(option) <= {'type', 'default', 'no_log'}, name
        assert option['type'] == doc['type'], name
        assert option.get('default') == doc.get('default'), name
        assert type(option.get('default')) is type(doc.get('default')) or option['type'] == 'float', name
    assert [name for name, option in spec.items() if option.get('no_log')] == ['login_password']
    assert spec['login_password']['no_log'] is True
    assert connection_argument_spec(default_port=26379)['login_port'] == dict(type='int', default=26379)


def test_module_kwargs_add_check_mode_and_the_connection_rules():
    kwargs = module_kwargs({'name': {}}, required_together=[('a', 'b')], required_if=[('x', 1, ['y'])])
    assert kwargs == dict(argument_spec={'name': {}}, supports_check_mode=True,
                          required_together=[('client_cert_file', 'client_key_file'), ('a', 'b')],
                          required_if=[('x', 1, ['y'])])
    assert module_kwargs({})['required_together'] == CONNECTION_REQUIRED_TOGETHER
    assert module_kwargs({})['required_together'] is not CONNECTION_REQUIRED_TOGETHER


def test_connection_keywords_for_tcp_unix_socket_and_tls():
    assert connection_kwargs(dict(BASE, login_user='ops', login_password='pw')) == dict(
        username='ops', password='pw', socket_connect_timeout=5.0, socket_timeout=10.0, decode_responses=True,
        host='10.0.0.1', port=6379)
    assert connection_kwargs(dict(BASE, login_unix_socket='/run/redis.sock')) == dict(
        username=None, password=None, socket_connect_timeout=5.0, socket_timeout=10.0, decode_responses=True,
        unix_socket_path='/run/redis.sock')
    tls = dict(BASE, tls=True, ca_certs='/ca.crt', client_cert_file='/c.crt', client_key_file='/c.key')
    expected = dict(username=None, password=None, socket_connect_timeout=5.0, socket_timeout=10.0,
                    decode_responses=True, host='10.0.0.1', port=6379, ssl=True, ssl_cert_reqs='required',
                    ssl_ca_certs='/ca.crt', ssl_certfile='/c.crt', ssl_keyfile='/c.key')
    assert connection_kwargs(tls) == expected
    assert connection_kwargs(dict(tls, validate_certs=False)) == dict(
        expected, ssl_cert_reqs='none', ssl_check_hostname=False)


@pytest.mark.parametrize('exc, expected', [
    (exceptions.TimeoutError('Timeout reading from socket'),
     'timed out after 10s talking to h:1 while running INFO; check that the server is up and not blocked '
     '(Timeout reading from socket)'),
    (exceptions.AuthenticationError('invalid username-password pair'),
     'authentication to h:1 failed: login_user/login_password are wrong or the user is disabled '
     '(invalid username-password pair)'),
    (exceptions.NoPermissionError("this user has no permissions to run the 'info' command"),
     "the user connected to h:1 lacks the permission while running INFO; grant it in the ACL or use another "
     "login_user (this user has no permissions to run the 'info' command)"),
    (exceptions.ResponseError("unknown command 'SENTINEL'"),
     "h:1 does not support while running INFO; it may be the wrong kind of server (a Sentinel instead of a data "
     "node, or the reverse) or too old (unknown command 'SENTINEL')"),
    (exceptions.ConnectionError('Connection refused'),
     'cannot connect to h:1: Connection refused; check login_host/login_port (or login_unix_socket), the bind '
     'address and the firewall'),
    (exceptions.ConnectionError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'),
     'the TLS connection to h:1 failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed; check tls, '
     'ca_certs (the CA that signed the server), client_cert_file/client_key_file (the server may require a client '
     'certificate) and that the certificate names login_host'),
    (exceptions.ResponseError('LOADING Redis is loading the dataset in memory'),
     'h:1 answered with an error while running INFO: LOADING Redis is loading the dataset in memory'),
    (exceptions.RedisError(''), 'unexpected error from h:1 while running INFO: RedisError'),
    (exceptions.AuthenticationError('NOAUTH Authentication required.'),
     'h:1 requires authentication: set login_password (and login_user for an ACL user) (NOAUTH Authentication '
     'required.)'),
])
def test_error_messages_in_full(exc, expected):
    assert explain_redis_error(exc, 'h:1', 'INFO', 10.0) == expected


def test_error_message_without_a_command():
    assert explain_redis_error(exceptions.ResponseError('unknown command'), 'h:1') == (
        'h:1 does not support a command this module needs; it may be the wrong kind of server (a Sentinel instead '
        'of a data node, or the reverse) or too old (unknown command)')
    assert explain_redis_error(exceptions.ResponseError('ERR x'), 'h:1') == 'h:1 answered with an error: ERR x'
