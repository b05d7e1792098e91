# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: sentinel_master
short_description: The current address of a primary, as the Sentinels report it
version_added: 0.1.0
description:
  - Asks each of the listed Sentinels C(SENTINEL GET-MASTER-ADDR-BY-NAME) for every master name given, and returns
    the address they agree on, so that configuration templates of applications point at the primary of now, not the
    one of the inventory.
  - Every Sentinel that answers must give the same address. When answering Sentinels disagree (a failover in
    progress, or a Sentinel that monitors another fleet under the same name), the lookup fails and says which
    Sentinel reported what; it never picks one.
  - O(require) sets how many of the listed Sentinels must answer. When fewer do, the lookup fails and names the
    Sentinels it could not ask and why (refused, timed out, wrong password, not a Sentinel, ...). When enough
    answered but some could not be asked, it warns and names them.
  - A Sentinel that does not monitor the name counts as an answer, "not monitored"; the lookup fails with that
    message when it is what the Sentinels agree on.
  - Runs on the controller, like every lookup.
author:
  - Redis Ops Team (@redis-ops)
requirements:
  - redis-py (the C(redis) Python package) in the Python that runs Ansible on the controller.
options:
  _terms:
    description: One or more master names, as the Sentinels monitor them (C(sentinel monitor <name> ...)).
    type: list
    elements: str
    required: true
  sentinels:
    description:
      - The Sentinels to ask, each as C(host) or C(host:port); the port defaults to V(26379).
      - Write an IPv6 address with a port in brackets, V([::1]:26379); a bare IPv6 address uses the default port.
      - A comma-separated string is accepted as a list.
    type: list
    elements: str
    required: true
  password:
    description:
      - The Sentinels' password (C(requirepass) of the Sentinels, not of the data nodes), or the password of
        O(username).
      - Never shown in error messages or warnings.
      - O(login_password) is the same option under the name the modules use.
    type: str
    aliases: [login_password]
  username:
    description:
      - ACL user on the Sentinels (Redis 6.2+, Valkey). Leave unset to authenticate as the C(default) user.
      - Requires O(password).
      - O(login_user) is the same option under the name the modules use.
    type: str
    aliases: [login_user]
  tls:
    description: Connect to the Sentinels with TLS.
    type: bool
    default: false
  validate_certs:
    description: Verify each Sentinel's certificate (and its host name) when O(tls=true).
    type: bool
    default: true
  ca_certs:
    description: CA bundle to verify the Sentinels' certificates with, when O(tls=true).
    type: path
  client_cert_file:
    description:
      - Client certificate for Sentinels that require one (C(tls-auth-clients yes)).
      - Requires O(client_key_file) and O(tls=true).
    type: path
  client_key_file:
    description: Key of O(client_cert_file).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the connection to each Sentinel, and for each of its replies.
      - The Sentinels are asked in parallel, so this is about the longest one lookup waits for an unreachable one.
    type: float
    default: 2.0
  require:
    description:
      - How many of the listed Sentinels must answer (all with the same address) for the lookup to succeed.
      - V(majority) - more than half of those listed (2 of 3, 3 of 5).
      - V(all) - every one of them.
      - V(any) - at least one.
      - Whatever the value, Sentinels that answer with different addresses fail the lookup.
    type: str
    choices: [any, majority, all]
    default: majority
  format:
    description:
      - V(dict) returns a dictionary per name (see RV(_raw)).
      - V(address) returns the string C(host:port) per name, with an IPv6 host in brackets (C([::1]:6379)).
    type: str
    choices: [dict, address]
    default: dict
notes:
  - Use C(query) (or C(lookup) with C(wantlist=true)) for several names, to get a list. C(lookup) returns a single
    result unwrapped, and joins several V(address) results with commas.
  - The address is the one Sentinel announces (C(sentinel announce-ip), or a host name with
    C(sentinel resolve-hostnames yes)), which is the address clients are meant to use.
seealso:
  - module: redis_ops.replication.replication_facts
    description: Everything one Sentinel knows about a primary, its replicas and its peers.
'''

EXAMPLES = r'''
- name: Point the application at the current primary
  ansible.builtin.template:
    src: app.conf.j2
    dest: /etc/app/app.conf
    mode: "0640"
  vars:
    redis_primary: >-
      {{ lookup('redis_ops.replication.sentinel_master', 'mymaster',
                sentinels=['10.0.0.1:26379', '10.0.0.2', '10.0.0.3'],
                password=redis_sentinel_password) }}
  # app.conf.j2:  redis_url = redis://{{ redis_primary.host }}:{{ redis_primary.port }}/0

- name: The address as one string; IPv6 hosts come back in brackets
  ansible.builtin.debug:
    msg: >-
      {{ lookup('redis_ops.replication.sentinel_master', 'mymaster', format='address',
                sentinels=['[2001:db8::1]:26379', '[2001:db8::2]:26379', '[2001:db8::3]:26379'],
                password=redis_sentinel_password) }}

- name: Several names at once, each answered by every Sentinel of the inventory
  ansible.builtin.set_fact:
    primaries: >-
      {{ query('redis_ops.replication.sentinel_master', 'cache', 'sessions',
               sentinels=groups['redis_sentinel'] | map('extract', hostvars, 'ansible_host') | list,
               password=redis_sentinel_password, require='all', format='address') }}

- name: Over TLS, as an ACL user, accepting an answer from any one Sentinel
  ansible.builtin.debug:
    msg: >-
      {{ lookup('redis_ops.replication.sentinel_master', 'mymaster', require='any',
                sentinels=['sentinel1.example.com:26380', 'sentinel2.example.com:26380'],
                username='app', password=app_sentinel_password,
                tls=true, ca_certs='/etc/ssl/certs/redis-ca.pem') }}
'''

RETURN = r'''
_raw:
  description:
    - One entry per name, in the order of the names.
    - With O(format=address), the string C(host:port) (C([host]:port) for an IPv6 host).
    - With O(format=dict), a dictionary as described below.
  type: list
  elements: raw
  contains:
    host:
      description: Host (usually an IP address) of the current primary, as Sentinel reports it.
      type: str
      sample: 10.0.0.2
    port:
      description: Port of the current primary.
      type: int
      sample: 6379
    name:
      description: The master name that was looked up.
      type: str
      sample: mymaster
    sentinels_agreeing:
      description: How many Sentinels answered with this address.
      type: int
      sample: 3
    sentinels_asked:
      description: How many Sentinels were listed in O(sentinels).
      type: int
      sample: 3
'''

import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import connection_kwargs
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import format_address, tally

try:
    import redis
    from redis import exceptions as redis_exceptions
except ImportError:
    redis = None
    redis_exceptions = None

display = Display()

DEFAULT_SENTINEL_PORT = 26379
NOT_MONITORED = 'not monitored'


@dataclass(frozen=True)
class Sentinel:
    host: str
    port: int

    @property
    def label(self) -> str:
        return format_address(self.host, self.port)


@dataclass(frozen=True)
class Reply:
    """What one Sentinel said about one name: an address, NOT_MONITORED, or an error (it could not be asked)."""

    host: str | None = None
    port: int | None = None
    not_monitored: bool = False
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        return NOT_MONITORED if self.not_monitored else format_address(self.host, self.port)


def _parse_port(text: str, entry: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise AnsibleError("sentinels entry '%s' is not host[:port]: '%s' is not a TCP port (1-65535)" % (entry, text))
    return int(text)


def parse_sentinel(entry) -> Sentinel:
    """'host', 'host:port', '[v6]', '[v6]:port' or a bare IPv6 address -> Sentinel."""
    if not isinstance(entry, str):
        raise AnsibleError('sentinels entries must be strings like host or host:port, got %r (%s)'
                           % (entry, type(entry).__name__))
    text = entry.strip()
    if not text:
        raise AnsibleError('sentinels has an empty entry; give host or host:port')
    if text.startswith('['):
        host, sep, rest = text[1:].partition(']')
        if not sep or not host:
            raise AnsibleError("sentinels entry '%s' is not [ipv6]:port: the bracket is not closed or empty" % entry)
        if rest and not rest.startswith(':'):
            raise AnsibleError("sentinels entry '%s' is not [ipv6]:port: unexpected '%s' after ']'" % (entry, rest))
        port = _parse_port(rest[1:], entry) if rest else DEFAULT_SENTINEL_PORT
    elif text.count(':') > 1:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise AnsibleError("sentinels entry '%s' is neither host:port nor an IPv6 address; write an IPv6 "
                               "address with a port as [address]:port" % entry) from None
        host, port = text, DEFAULT_SENTINEL_PORT
    elif ':' in text:
        host, _sep, port_text = text.partition(':')
        if not host:
            raise AnsibleError("sentinels entry '%s' has no host before the ':'" % entry)
        port = _parse_port(port_text, entry)
    else:
        host, port = text, DEFAULT_SENTINEL_PORT
    if any(ch.isspace() or ch in '/@' for ch in host):
        raise AnsibleError("sentinels entry '%s' is not host[:port]: '%s' is not a host name or address" % (entry, host))
    return Sentinel(host, port)


def parse_sentinels(entries) -> list:
    if isinstance(entries, str):
        entries = [part for part in entries.split(',') if part.strip()]
    if not entries:
        raise AnsibleError('sentinels is required: list the Sentinels to ask, as host or host:port')
    sentinels = []
    for entry in entries:
        sentinel = parse_sentinel(entry)
        if sentinel in sentinels:
            raise AnsibleError("sentinels lists %s twice; each Sentinel may count only once towards 'require'"
                               % sentinel.label)
        sentinels.append(sentinel)
    return sentinels


def required_answers(require: str, count: int) -> int:
    return {'any': 1, 'majority': count // 2 + 1, 'all': count}[require]


def _join(labels: list) -> str:
    return labels[0] if len(labels) == 1 else '%s and %s' % (', '.join(labels[:-1]), labels[-1])


def decide(name: str, sentinels: list, replies: dict, require: str) -> tuple:
    """The address the Sentinels agree on, as (Reply, ['sentinel (why it could not be asked)', ...]).

    ``replies`` maps each Sentinel to its Reply. Raises AnsibleError when they disagree, when fewer
    than ``require`` answered, or when what they agree on is that the name is not monitored.
    """
    failed = ['%s (%s)' % (sentinel.label, replies[sentinel].error) for sentinel in sentinels
              if not replies[sentinel].answered]
    by_value = dict(tally((sentinel.label, replies[sentinel].describe()) for sentinel in sentinels
                          if replies[sentinel].answered))
    unreachable = '; could not ask %s' % '; '.join(failed) if failed else ''
    if len(by_value) > 1:
        said = '; '.join('%s %s %s' % (_join(labels), 'says' if len(labels) == 1 else 'say', value)
                         for value, labels in by_value.items())
        raise AnsibleError("the Sentinels disagree on the address of '%s': %s%s. A failover may be in progress, or a "
                           "Sentinel monitors another primary under this name; compare SENTINEL MASTER %s on each"
                           % (name, said, unreachable, name))
    answered = sum(len(labels) for labels in by_value.values())
    needed = required_answers(require, len(sentinels))
    if answered < needed:
        so_far = ''
        if by_value:
            so_far = ' (%s %s %s)' % (_join(next(iter(by_value.values()))), 'says' if answered == 1 else 'say',
                                      next(iter(by_value)))
        raise AnsibleError("only %d of the %d Sentinels listed answered for '%s'%s, require=%s needs %d: could not "
                           "ask %s" % (answered, len(sentinels), name, so_far, require, needed, '; '.join(failed)))
    agreed = next(replies[s] for s in sentinels if replies[s].answered)
    if agreed.not_monitored:
        raise AnsibleError("'%s' is not monitored by %s: check the master name (SENTINEL MASTERS lists the names a "
                           "Sentinel monitors)%s" % (name, _join(by_value[NOT_MONITORED]), unreachable))
    return agreed, failed


def _error_text(exc: Exception, secret: str | None) -> str:
    """The library's own text of an error, with the password masked should it ever appear in it."""
    text = str(exc).strip() or exc.__class__.__name__
    return text.replace(secret, '********') if secret else text


def explain_error(exc: Exception, timeout: float, secret: str | None = None) -> str:
    """Why a Sentinel could not be asked, in a few words that say what to fix."""
    text = _error_text(exc, secret)
    upper = text.upper()
    if isinstance(exc, redis_exceptions.TimeoutError):
        return 'timed out after %gs: %s' % (timeout, text)
    if isinstance(exc, redis_exceptions.AuthenticationWrongNumberOfArgsError) or 'WITHOUT ANY PASSWORD CONFIGURED' in upper:
        return 'a password was given but this Sentinel has none configured for this user: %s' % text
    if 'NOAUTH' in upper or 'AUTHENTICATION REQUIRED' in upper or 'ALREADY AUTHENTICATED' in upper:
        return 'it requires a password: set password (and username for an ACL user)'
    if 'WRONGPASS' in upper or 'INVALID PASSWORD' in upper or isinstance(exc, redis_exceptions.AuthenticationError):
        return 'authentication failed: password (or username) is wrong or the user is disabled: %s' % text
    if 'NOPERM' in upper or isinstance(exc, getattr(redis_exceptions, 'NoPermissionError', ())):
        return 'the user lacks the permission to run SENTINEL GET-MASTER-ADDR-BY-NAME: %s' % text
    if 'UNKNOWN COMMAND' in upper or 'UNKNOWN SUBCOMMAND' in upper:
        return 'not a Sentinel (a Redis data node?): %s' % text
    if isinstance(exc, redis_exceptions.ConnectionError):
        return 'cannot connect: %s' % text
    return 'error: %s' % text


def parse_reply(reply) -> Reply:
    """A GET-MASTER-ADDR-BY-NAME reply: [host, port] or nil."""
    if reply is None:
        return Reply(not_monitored=True)
    if isinstance(reply, (list, tuple)) and len(reply) == 2:
        host, port = (item.decode('utf-8', 'replace') if isinstance(item, bytes) else str(item) for item in reply)
        if port.isdigit():
            return Reply(host=host, port=int(port))
    return Reply(error='unexpected reply to SENTINEL GET-MASTER-ADDR-BY-NAME: %r' % (reply,))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if redis is None:
            raise AnsibleError('the redis_ops.replication.sentinel_master lookup needs redis-py on the controller: '
                               'install the redis Python package (pip install redis) in the Python that runs Ansible')
        self.set_options(var_options=variables, direct=kwargs)
        names = self._names(terms)
        settings = self._settings()
        sentinels = parse_sentinels(self.get_option('sentinels'))
        with ThreadPoolExecutor(max_workers=min(len(sentinels), 16)) as pool:
            per_sentinel = dict(zip(sentinels, pool.map(lambda s: self._ask(s, names, settings), sentinels)))
        results = []
        for name in names:
            replies = {sentinel: per_sentinel[sentinel][name] for sentinel in sentinels}
            agreed, failed = decide(name, sentinels, replies, settings['require'])
            if failed:
                display.warning("sentinel_master: '%s' is at %s according to %d of the %d Sentinels listed; could not "
                                "ask %s" % (name, agreed.describe(), len(sentinels) - len(failed), len(sentinels),
                                            '; '.join(failed)))
            if settings['format'] == 'address':
                results.append(format_address(agreed.host, agreed.port))
            else:
                results.append(dict(host=agreed.host, port=agreed.port, name=name,
                                    sentinels_agreeing=len(sentinels) - len(failed), sentinels_asked=len(sentinels)))
        return results

    @staticmethod
    def _names(terms) -> list:
        names = []
        for term in terms:
            if not isinstance(term, str) or not term.strip():
                raise AnsibleError('each term must be a master name (a non-empty string), got %r' % (term,))
            names.append(term.strip())
        if not names:
            raise AnsibleError('give at least one master name, e.g. lookup(..., "mymaster", sentinels=[...])')
        return names

    def _settings(self) -> dict:
        settings = {option: self.get_option(option) for option in (
            'password', 'username', 'tls', 'validate_certs', 'ca_certs', 'client_cert_file', 'client_key_file',
            'connect_timeout', 'require', 'format')}
        if settings['require'] not in ('any', 'majority', 'all'):
            raise AnsibleError("require must be any, majority or all, got '%s'" % settings['require'])
        if settings['format'] not in ('dict', 'address'):
            raise AnsibleError("format must be dict or address, got '%s'" % settings['format'])
        if settings['connect_timeout'] is None or settings['connect_timeout'] <= 0:
            raise AnsibleError('connect_timeout must be a positive number of seconds, got %s' % settings['connect_timeout'])
        if settings['username'] and settings['password'] is None:
            raise AnsibleError('username is set but password is not: an ACL user always needs its password')
        if bool(settings['client_cert_file']) != bool(settings['client_key_file']):
            raise AnsibleError('client_cert_file and client_key_file go together: set both or neither')
        if not settings['tls']:
            for option in ('ca_certs', 'client_cert_file', 'client_key_file'):
                if settings[option]:
                    raise AnsibleError('%s is only used with tls=true; set tls=true or remove %s' % (option, option))
        return settings

    @staticmethod
    def _client(sentinel: Sentinel, settings: dict):
        """A client built as the modules build theirs (module_utils.redis_common.connection_kwargs)."""
        params = dict(login_host=sentinel.host, login_port=sentinel.port, login_user=settings['username'] or None,
                      login_password=settings['password'], connect_timeout=settings['connect_timeout'],
                      command_timeout=settings['connect_timeout'], tls=settings['tls'],
                      validate_certs=settings['validate_certs'], ca_certs=settings['ca_certs'],
                      client_cert_file=settings['client_cert_file'], client_key_file=settings['client_key_file'])
        return redis.Redis(**connection_kwargs(params))

    def _ask(self, sentinel: Sentinel, names: list, settings: dict) -> dict:
        """{name: Reply} from one Sentinel; any error means it could not be asked about any name."""
        replies = {}
        client = None
        try:
            client = self._client(sentinel, settings)
            for name in names:
                # Sent as separate words and without a response callback: the raw reply on every redis-py version.
                replies[name] = parse_reply(client.execute_command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name))
        except Exception as exc:  # pylint: disable=broad-except
            if isinstance(exc, redis_exceptions.RedisError):
                reason = explain_error(exc, settings['connect_timeout'], settings['password'])
            else:
                reason = 'error: %s' % _error_text(exc, settings['password'])
            replies = {name: Reply(error=reason) for name in names}
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception:  # pylint: disable=broad-except
                    pass
        return replies
