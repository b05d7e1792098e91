# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection layer shared by every module of redis_ops.replication.

This is a private API of the collection: other collections must not import it.

Every module builds its argument spec from ``connection_argument_spec()``,
opens a :class:`RedisClient` with ``connect()`` and sends commands through
``RedisClient.call()``, which turns every redis-py exception into a
:class:`RedisOpsError` carrying one message an operator can act on.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    ServerInfo,
    format_address,
    parse_info,
)

REDIS_IMPORT_ERROR = None
try:
    import redis
    from redis import exceptions as redis_exceptions
except ImportError:
    redis = None
    redis_exceptions = None
    REDIS_IMPORT_ERROR = traceback.format_exc()


class RedisOpsError(Exception):
    """An error with a message meant for the operator, ready for fail_json."""

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def connection_argument_spec(default_port: int = 6379) -> dict:
    """The connection options every module accepts (see the connection doc fragment)."""
    return dict(
        login_host=dict(type='str', default='localhost'),
        login_port=dict(type='int', default=default_port),
        login_unix_socket=dict(type='path'),
        login_user=dict(type='str'),
        login_password=dict(type='str', no_log=True),
        tls=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_certs=dict(type='path'),
        client_cert_file=dict(type='path'),
        client_key_file=dict(type='path'),
        connect_timeout=dict(type='float', default=5.0),
        command_timeout=dict(type='float', default=10.0),
    )


CONNECTION_REQUIRED_TOGETHER = [('client_cert_file', 'client_key_file')]


def module_kwargs(argument_spec: dict, **extra) -> dict:
    """Keyword arguments for AnsibleModule that every module of the collection shares."""
    kwargs = dict(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_together=list(CONNECTION_REQUIRED_TOGETHER) + list(extra.pop('required_together', [])),
    )
    kwargs.update(extra)
    return kwargs


# The largest value Redis and Sentinel keep in an int (parallel-syncs, quorum, ...).
INT32_MAX = 2147483647
# No wait of this collection is meant to be longer than a day; anything beyond is a typo (or 1e308).
MAX_SECONDS = 86400.0
_HOST_LABEL = r'[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
_HOSTNAME = re.compile(r'^%s(?:\.%s)*\.?$' % (_HOST_LABEL, _HOST_LABEL))


def validate_port(value, option: str) -> None:
    if value is not None and not 1 <= value <= 65535:
        raise RedisOpsError('%s must be a TCP port between 1 and 65535, got %s' % (option, value))


def validate_seconds(value, option: str, allow_zero: bool = False, maximum: float = MAX_SECONDS) -> None:
    """A finite number of seconds, above 0 (or 0 when allowed) and at most ``maximum``."""
    if value is None:
        return
    low_ok = value >= 0 if allow_zero else value > 0
    if not (math.isfinite(value) and low_ok and value <= maximum):
        raise RedisOpsError('%s must be %s (finite, at most %g), got %s' % (
            option, '0 or more seconds' if allow_zero else 'a positive number of seconds', maximum, value))


def validate_int(value, option: str, minimum: int = 1, maximum: int = INT32_MAX) -> None:
    if value is not None and not minimum <= value <= maximum:
        raise RedisOpsError('%s must be %s and at most %d, got %s' % (
            option, '0 or more' if minimum == 0 else 'at least %d' % minimum, maximum, value))


def validate_host(value, option: str) -> None:
    """A host name, an IPv4 or an IPv6 address: what Redis accepts in REPLICAOF and SENTINEL MONITOR."""
    if value is None:
        return
    text = str(value)
    try:
        ipaddress.ip_address(text)
        return
    except ValueError:
        pass
    if len(text) > 253 or not _HOSTNAME.match(text):
        raise RedisOpsError('%s must be a host name, an IPv4 or an IPv6 address, got %r' % (option, text))


def validate_word(value, option: str, what: str = 'value') -> None:
    """A value that Redis and Sentinel write back into their config files without quoting.

    Such a value round-trips only when it has no white space, no quote and no control character (Redis's config
    parser would split it, or find unbalanced quotes, after the server's own rewrite).
    """
    if value is None:
        return
    text = str(value)
    bad = [ch for ch in text if ch.isspace() or ch in '"\'' or not ch.isprintable()]
    if not text or bad:
        raise RedisOpsError('%s: the %s must be non-empty without white space, quotes or control characters, because '
                            'the server writes it back to its config file unquoted; got %s' % (
                                option, what, 'an empty value' if not text else 'one with %s' % ', '.join(
                                    sorted({repr(ch) for ch in bad}))))


def check_file_path(path: str, option: str, nothing: str = 'nothing was changed') -> None:
    """Refuse a path that cannot name a file to write (not a file name, or its directory missing), before anything is
    sent or written; ``nothing`` ends the message."""
    if not path or path.endswith('/') or os.path.isdir(path):
        raise RedisOpsError('%s must name a file, got %r; %s' % (option, path, nothing))
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        raise RedisOpsError('the directory of %s does not exist: %s; %s' % (option, directory, nothing))


def validate_connection_params(params: dict) -> None:
    validate_port(params['login_port'], 'login_port')
    if not params.get('login_unix_socket'):
        validate_host(params['login_host'], 'login_host')
    for option in ('connect_timeout', 'command_timeout'):
        validate_seconds(params[option], option)
    if params['login_user'] is not None and params['login_password'] is None:
        raise RedisOpsError('login_user is set but login_password is not: an ACL user always needs its password')
    tls_files = ('ca_certs', 'client_cert_file', 'client_key_file')
    if not params['tls']:
        for option in tls_files:
            if params.get(option):
                raise RedisOpsError('%s is only used with tls=true; set tls=true or remove %s' % (option, option))
        return
    for option in tls_files:
        path = params.get(option)
        if path and not (os.path.isfile(path) and os.access(path, os.R_OK)):
            raise RedisOpsError('%s is %s, which is not a readable file on the host that runs the module' % (option, path))


def describe_target(params: dict) -> str:
    if params.get('login_unix_socket'):
        return 'unix socket %s' % params['login_unix_socket']
    return format_address(params['login_host'], params['login_port'])


def explain_redis_error(exc: Exception, target: str, command: str | None = None,
                        timeout: float | None = None, user_option: str = 'login_user',
                        password_option: str = 'login_password') -> str:
    """Turn a redis-py exception into one sentence that says what to fix.

    ``user_option``/``password_option`` are the module options the credentials came from (data_password, ...).
    """
    return _explain(exc, target, command, timeout).replace('login_user', user_option).replace(
        'login_password', password_option)


def _explain(exc: Exception, target: str, command: str | None, timeout: float | None) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    upper = text.upper()
    doing = ' while running %s' % command if command else ''
    if isinstance(exc, redis_exceptions.TimeoutError):
        return 'timed out after %gs talking to %s%s; check that the server is up and not blocked (%s)' % (
            timeout, target, doing, text)
    if isinstance(exc, redis_exceptions.AuthenticationWrongNumberOfArgsError) or 'WITHOUT ANY PASSWORD CONFIGURED' in upper:
        return 'login_password was given but %s has no password configured for this user; remove login_password or set one on the server (%s)' % (
            target, text)
    if 'NOAUTH' in upper or 'AUTHENTICATION REQUIRED' in upper or 'ALREADY AUTHENTICATED' in upper:
        # NOAUTH from the server; redis-py 4 says "Authentication required", redis-py 8 (HELLO) the last one.
        return '%s requires authentication: set login_password (and login_user for an ACL user) (%s)' % (target, text)
    if 'WRONGPASS' in upper or 'INVALID PASSWORD' in upper or isinstance(exc, redis_exceptions.AuthenticationError):
        return 'authentication to %s failed: login_user/login_password are wrong or the user is disabled (%s)' % (target, text)
    if 'NOPERM' in upper or isinstance(exc, getattr(redis_exceptions, 'NoPermissionError', ())):
        return 'the user connected to %s lacks the permission%s; grant it in the ACL or use another login_user (%s)' % (
            target, doing, text)
    if 'UNKNOWN COMMAND' in upper or 'UNKNOWN SUBCOMMAND' in upper:
        return '%s does not support%s; it may be the wrong kind of server (a Sentinel instead of a data node, or the reverse) or too old (%s)' % (
            target, doing or ' a command this module needs', text)
    if isinstance(exc, redis_exceptions.ConnectionError) and ('SSL' in upper or 'CERTIFICATE' in upper or 'TLS' in upper):
        return ('the TLS connection to %s failed: %s; check tls, ca_certs (the CA that signed the server), '
                'client_cert_file/client_key_file (the server may require a client certificate) and that the '
                'certificate names login_host' % (target, text))
    if isinstance(exc, redis_exceptions.ConnectionError):
        return 'cannot connect to %s: %s; check login_host/login_port (or login_unix_socket), the bind address and the firewall' % (
            target, text)
    if isinstance(exc, redis_exceptions.ResponseError):
        return '%s answered with an error%s: %s' % (target, doing, text)
    return 'unexpected error from %s%s: %s' % (target, doing, text)


def is_unreachable(exc: RedisOpsError) -> bool:
    """Whether an error from RedisClient.call means that nothing answers (refused, no route, no such socket).

    Authentication, permission and TLS errors are not: something answered and refused.
    """
    cause = exc.__cause__
    if redis_exceptions is None or not isinstance(cause, redis_exceptions.ConnectionError):
        return False
    if isinstance(cause, redis_exceptions.AuthenticationError):
        return False
    return exc.message.startswith('cannot connect to ')


def _redact(args: tuple, secret_positions: tuple) -> str:
    shown = []
    for index, arg in enumerate(args):
        shown.append('********' if index in secret_positions else str(arg))
    return ' '.join(shown)


def connection_kwargs(params: dict) -> dict:
    """redis.Redis keyword arguments for the connection options (modules and the sentinel_master lookup)."""
    kwargs = dict(
        username=params.get('login_user'),
        password=params.get('login_password'),
        socket_connect_timeout=params['connect_timeout'],
        socket_timeout=params['command_timeout'],
        decode_responses=True,
    )
    if params.get('login_unix_socket'):
        kwargs['unix_socket_path'] = params['login_unix_socket']
    else:
        kwargs['host'] = params['login_host']
        kwargs['port'] = params['login_port']
    if params['tls']:
        kwargs.update(
            ssl=True,
            ssl_cert_reqs='required' if params['validate_certs'] else 'none',
            ssl_ca_certs=params.get('ca_certs'),
            ssl_certfile=params.get('client_cert_file'),
            ssl_keyfile=params.get('client_key_file'),
        )
        if not params['validate_certs']:
            kwargs['ssl_check_hostname'] = False
    return kwargs


class RedisClient:
    """A redis-py client whose every call raises RedisOpsError on failure.

    Replies are kept raw (no redis-py response callbacks), so that the
    collection parses them the same way on every redis-py version from
    Debian 12's 4.3 on.
    """

    def __init__(self, params: dict, user_option: str = 'login_user', password_option: str = 'login_password') -> None:
        self.params = params
        self.target = describe_target(params)
        self.credential_options = (user_option, password_option)
        self._client = redis.Redis(**connection_kwargs(params))
        self._client.set_response_callback('INFO', lambda response, **options: response)
        self._server_info: ServerInfo | None = None

    def call(self, *args, secret_positions: tuple = ()):
        """Send one command; raise RedisOpsError with an explanation on failure."""
        try:
            return self._client.execute_command(*args)
        except redis_exceptions.RedisError as exc:
            command = _redact(args, secret_positions)
            raise RedisOpsError(explain_redis_error(exc, self.target, command, self.params['command_timeout'],
                                                    *self.credential_options), command=command) from exc

    def info(self, section: str) -> dict:
        return parse_info(self.call('INFO', section))

    def server_info(self, refresh: bool = False) -> ServerInfo:
        if self._server_info is None or refresh:
            self._server_info = ServerInfo.from_info(self.info('server'))
        return self._server_info

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # pylint: disable=broad-except
            pass


def connect(module) -> RedisClient:
    """Check the library and the parameters, open a client and prove it works with PING.

    Fails the module with a clear message on any problem.
    """
    if redis is None:
        module.fail_json(msg=missing_required_lib('redis (redis-py; python3-redis on Debian)'),
                         exception=REDIS_IMPORT_ERROR)
    try:
        validate_connection_params(module.params)
        client = RedisClient(module.params)
        client.call('PING')
    except RedisOpsError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    return client


def run_module(module, action) -> None:
    """Connect, run ``action(client)`` which returns the result dict, and exit.

    A RedisOpsError raised by the action fails the module with its message;
    the partial result it carries (commands sent so far, changed) is kept.
    """
    client = connect(module)
    try:
        result = action(client)
    except RedisOpsError as exc:
        details = dict(exc.details)
        module.fail_json(msg=exc.message, **details)
    finally:
        client.close()
    module.exit_json(**result)
