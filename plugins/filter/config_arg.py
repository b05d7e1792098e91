# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: config_arg
short_description: Write a value as arguments of a Redis or Sentinel configuration line
version_added: 0.1.0
description:
  - Returns the value the way Redis's own configuration parser reads it back, in C(redis.conf) and C(sentinel.conf)
    alike. A string without spaces, quotes, backslashes or C(#) stays as it is; any other string is written in
    double quotes with C(\\) and C(") escaped, so passwords with spaces, quotes, backslashes, C(#), leading or
    trailing spaces and non-ASCII characters load unchanged.
  - Booleans become C(yes) / C(no), numbers their decimal form, a list one argument per element.
  - Control characters (newline, tab, NUL, ...) and Unicode line or paragraph separators cannot be written
    safely and fail the templating with a message naming O(name).
author:
  - Redis Ops Team (@redis-ops)
positional: name, split
options:
  _input:
    description: The value.
    type: raw
    required: true
  name:
    description: What the value is (the variable's name), for the error message. The value itself is never shown.
    type: str
    default: value
  split:
    description: A string holds several arguments separated by spaces (C(save "900 1"), C(client-output-buffer-limit)).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: A password line
  ansible.builtin.debug:
    msg: "requirepass {{ redis_password | redis_ops.replication.config_arg('redis_password') }}"
'''

RETURN = r'''
_value:
  description: The arguments, quoted where needed, separated by single spaces.
  type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import quote_config_arg


def config_arg(value, name: str = 'value', split: bool = False) -> str:
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ' '.join(config_arg(item, '%s[%d]' % (name, index), False) for index, item in enumerate(value))
    if not isinstance(value, str):
        raise AnsibleFilterError('%s is a %s; expected a string, number, boolean or list' % (name, type(value).__name__))
    words = [word for word in value.split(' ') if word] if split else [value]
    try:
        return ' '.join(quote_config_arg(word) for word in words)
    except ValueError as exc:
        raise AnsibleFilterError('%s %s' % (name, exc)) from None


class FilterModule:
    def filters(self):
        return {'config_arg': config_arg}
