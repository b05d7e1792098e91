# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: config_problems
short_description: Check the role variables that reach Redis and Sentinel configuration files
version_added: 0.1.0
description:
  - Takes a mapping of the roles' variables (name to value) and returns one message per value that Redis would not
    read back as given, each naming the variable and what is allowed. Secrets are never shown.
  - Passwords may hold any printable character (spaces, quotes, backslashes, C(#), leading or trailing spaces,
    non-ASCII); control characters such as a newline, and Unicode line separators, are refused.
  - Names (Sentinel master name, ACL user names) and ACL rules are printable ASCII without spaces or quotes;
    hosts are a host name, an IPv4 or an IPv6 address; C(bind) addresses may also be C(*) and start with C(-);
    C(redis_config_extra) keys are directive names; numbers are checked against the range Redis accepts.
  - Variables the filter does not know are ignored.
author:
  - Redis Ops Team (@redis-ops)
options:
  _input:
    description: Variable name to value.
    type: dict
    required: true
  sentinel_stored:
    description:
      - Names of the password variables that Sentinel stores in C(sentinel.conf) (C(sentinel auth-pass),
        C(sentinel sentinel-pass)). Sentinel rewrites them without quotes, so these may not hold a space or a quote.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Refuse what Redis would not read back
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | join('; ') }}"
  vars:
    _problems: "{{ dict(redis_password=redis_password, redis_bind=redis_bind) | redis_ops.replication.config_problems }}"
'''

RETURN = r'''
_value:
  description: The messages, empty when every value is fine.
  type: list
  elements: str
'''

import ipaddress
import json
import re

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import refused_character

INT_MAX = 2147483647
SECRETS = ('redis_password', 'redis_masterauth', 'redis_sentinel_password', 'redis_acl_admin_password',
           'redis_acl_replication_password', 'redis_acl_sentinel_password', 'redis_acl_exporter_password',
           'redis_acl_backup_password')
NAMES = ('redis_sentinel_master_name', 'redis_acl_admin_user', 'redis_acl_replication_user',
         'redis_acl_sentinel_user', 'redis_acl_sentinel_peer_user', 'redis_acl_exporter_user',
         'redis_acl_backup_user')
HOSTS = ('redis_host_address', 'redis_replica_announce_ip', 'redis_sentinel_announce_ip')
OPTIONAL_HOSTS = ('redis_replica_announce_ip', 'redis_sentinel_announce_ip')
BINDS = ('redis_bind', 'redis_sentinel_bind')
# name: (lowest, highest)
NUMBERS = {
    'redis_sentinel_down_after_milliseconds': (1, INT_MAX),
    'redis_sentinel_failover_timeout': (1, INT_MAX),
    'redis_sentinel_parallel_syncs': (1, INT_MAX),
    'redis_repl_backlog_ttl': (0, INT_MAX),
    'redis_repl_diskless_sync_delay': (0, INT_MAX),
    'redis_min_replicas_to_write': (0, INT_MAX),
    'redis_min_replicas_max_lag': (0, INT_MAX),
    'redis_replica_announce_port': (0, 65535),
    'redis_sentinel_announce_port': (0, 65535),
}
MEMORY = ('redis_maxmemory', 'redis_repl_backlog_size')
_MEMORY = re.compile(r'^[0-9]+([kmg]b?)?$', re.IGNORECASE)
_SAVE_RULE = re.compile(r'^[0-9]+ +[0-9]+$')
# Printable ASCII without space, quotes, backslash or '#': what Redis and Sentinel write back bare.
_NAME = re.compile(r'^[A-Za-z0-9!$%&()*+,\-./:;<=>?@\[\]^_`{|}~]+$')
# ACL rules may also hold '#' (password hashes) and '\'.
_RULE = re.compile(r'^[!#-&(-~]+$')
_DIRECTIVE = re.compile(r'^[A-Za-z][A-Za-z0-9-]*$')
_HOSTNAME = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
                       r'(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$')

SECRET_RULE = 'expected printable characters only (spaces, quotes, backslashes and # are fine)'
# Sentinel writes auth-pass and sentinel-pass back into sentinel.conf without quoting (checked on Redis 7.0 and in
# the sources of later versions): there a space or a quote makes the next start fail with Unbalanced quotes.
SENTINEL_RULE = ('Sentinel keeps this password in sentinel.conf and rewrites that file without quoting it, so '
                 'expected no spaces or quotes there (any other printable character is fine)')
_SENTINEL_REFUSED = {' ': 'space', '"': 'double quote', "'": 'single quote'}
NAME_RULE = 'expected a non-empty name of printable ASCII characters without spaces, quotes, backslashes or #'
HOST_RULE = 'expected a host name, an IPv4 or an IPv6 address'


def shown(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def sentinel_secret_problem(name: str, value) -> str | None:
    if not isinstance(value, str):
        return None
    for position, char in enumerate(value):
        if char in _SENTINEL_REFUSED:
            return '%s contains a %s at position %d; %s' % (name, _SENTINEL_REFUSED[char], position + 1, SENTINEL_RULE)
    return None


def secret_problem(name: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None  # a number-like password that the templating turned into a number
    if not isinstance(value, str):
        return '%s is not a string; %s' % (name, SECRET_RULE)
    problem = refused_character(value)
    return '%s contains a %s; %s' % (name, problem, SECRET_RULE) if problem else None


def name_problem(name: str, value) -> str | None:
    if isinstance(value, str) and _NAME.match(value):
        return None
    return '%s is %s; %s' % (name, shown(value), NAME_RULE)


def is_host(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_HOSTNAME.match(value)) and not re.match(r'^[0-9.]+$', value)


def host_problem(name: str, value, optional: bool) -> str | None:
    if (optional and value == '') or is_host(value):
        return None
    return '%s is %s; %s' % (name, shown(value), HOST_RULE)


def bind_problems(name: str, value) -> list:
    if not isinstance(value, (list, tuple)):
        return ['%s is %s; expected a list of addresses' % (name, shown(value))]
    problems = []
    for index, address in enumerate(value):
        bare = address[1:] if isinstance(address, str) and address.startswith('-') else address
        if bare != '*' and not is_host(bare):
            problems.append('%s[%d] is %s; %s, or * (any), optionally after - (skip when unavailable)' % (
                name, index, shown(address), HOST_RULE))
    return problems


def number_problem(name: str, value, lowest: int, highest: int) -> str | None:
    try:
        number = int(value) if not isinstance(value, (bool, float)) else None
    except (TypeError, ValueError):
        number = None
    if number is not None and lowest <= number <= highest:
        return None
    return '%s is %s; expected a whole number from %d to %d' % (name, shown(value), lowest, highest)


def extra_problems(value) -> list:
    name = 'redis_config_extra'
    if not isinstance(value, dict):
        return ['%s is %s; expected a mapping of directive to value' % (name, shown(value))]
    problems = []
    for key, setting in value.items():
        if not isinstance(key, str) or not _DIRECTIVE.match(key):
            problems.append('%s has the key %s; expected a directive name (letters, digits and -, starting with a '
                            'letter)' % (name, shown(key)))
            continue
        items = setting if isinstance(setting, (list, tuple)) else [setting]
        for item in items:
            if isinstance(item, (bool, int, float)):
                continue
            if not isinstance(item, str):
                problems.append('%s.%s holds a %s; expected a string, number, boolean or a list of them' % (
                    name, key, type(item).__name__))
            elif refused_character(item):
                problems.append('%s.%s contains a %s; expected printable characters only' % (
                    name, key, refused_character(item)))
    return problems


def acl_user_problems(value) -> list:
    name = 'redis_acl_users'
    if not isinstance(value, (list, tuple)):
        return []  # said by the shape checks
    problems = []
    for index, user in enumerate(value):
        if not isinstance(user, dict):
            problems.append('%s[%d] is not a mapping; expected name, passwords and rules' % (name, index))
            continue
        where = '%s[%d]' % (name, index)
        if 'name' in user:
            problem = name_problem('%s.name' % where, user['name'])
            if problem:
                problems.append(problem)
        for number, password in enumerate(user.get('passwords') or []):
            problem = secret_problem('%s.passwords[%d]' % (where, number), password)
            if problem:
                problems.append(problem)
        for number, rule in enumerate(user.get('rules') or []):
            if not (isinstance(rule, str) and _RULE.match(rule)):
                problems.append('%s.rules[%d] is %s; expected one ACL rule of printable ASCII characters without '
                                'spaces or quotes' % (where, number, shown(rule)))
    return problems


def config_problems(variables: dict, sentinel_stored: list | None = None) -> list:
    problems = []
    for name, value in variables.items():
        if name in SECRETS:
            problems.append(secret_problem(name, value) or
                            (sentinel_secret_problem(name, value) if name in (sentinel_stored or []) else None))
        elif name in NAMES:
            problems.append(name_problem(name, value))
        elif name in HOSTS:
            problems.append(host_problem(name, value, name in OPTIONAL_HOSTS))
        elif name in BINDS:
            problems.extend(bind_problems(name, value))
        elif name in NUMBERS:
            problems.append(number_problem(name, value, *NUMBERS[name]))
        elif name in MEMORY and not (isinstance(value, (str, int)) and not isinstance(value, bool)
                                     and _MEMORY.match(str(value))):
            problems.append('%s is %s; expected a size in bytes, optionally with k, kb, m, mb, g or gb' % (
                name, shown(value)))
        elif name == 'redis_save':
            if not isinstance(value, (list, tuple)) or not all(isinstance(rule, str) and _SAVE_RULE.match(rule)
                                                               for rule in value):
                problems.append('redis_save is %s; expected a list of "<seconds> <changes>" rules, or []' % shown(value))
        elif name == 'redis_config_extra':
            problems.extend(extra_problems(value))
        elif name == 'redis_acl_users':
            problems.extend(acl_user_problems(value))
    return [problem for problem in problems if problem]


class FilterModule:
    def filters(self):
        return {'config_problems': config_problems}
