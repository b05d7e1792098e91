#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: config_file
short_description: Keep a Redis, Valkey or Sentinel configuration file right without fighting the server's own rewrites
version_added: 0.1.0
description:
  - Compares the wanted configuration O(content) with the file at O(path) by what the directives mean, not byte by byte.
    Redis and Sentinel rewrite their own files (C(CONFIG REWRITE), failovers); they quote values, fold units, append
    lines they generate and move C(replicaof). Such a rewritten file is equal to the wanted content when every
    directive of O(content) has the same value in it, and C(replicaof) is present in both or in neither.
  - C(requirepass) is compared by the passwords the C(default) user gets when the server starts from the file. A
    C(user default) line decides over C(requirepass) (Redis applies it after), as Sentinel writes one on every rewrite
    while keeping the C(requirepass) it started with. A differing C(requirepass) is written into that line too.
  - Directives that only the live file has are left alone, so that what the server generated survives.
  - With O(strategy=replace) a differing file is replaced by O(content) (for C(redis.conf)). With O(strategy=merge)
    only the lines of the differing directives are replaced or added, and everything else in the file is kept
    (for C(sentinel.conf), where Sentinel keeps its id, epochs and discovered peers).
  - With O(apply_live=true) the differing directives are also set on the running server with C(CONFIG SET), so that
    no restart is needed for them. RV(restart_required) tells whether a directive could not be applied live
    (it is listed in O(restart_directives), or the server refuses to change it at runtime).
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Reports what would change and which directives would need a restart; writes and sends nothing.
  diff_mode:
    support: full
    description: Shows the values of the differing directives before and after; secret directives show as C((hidden)) before and
      C((hidden, changed)) or C((hidden, new)) after, never their value.
  platform:
    platforms: posix
    support: full
    description: Edits a file on the managed host.
  safe_file_operations:
    support: full
    description: The file is written to a temporary file and moved into place.
options:
  path:
    description:
      - The live configuration file. Its directory must exist (checked in check mode too).
      - A new file that holds a secret (C(requirepass), C(masterauth), C(user), C(sentinel auth-pass), ...) is created
        with mode C(0600) unless O(mode) is given.
    type: path
    required: true
  content:
    description:
      - The wanted configuration, usually rendered with P(ansible.builtin.template#lookup).
      - Never shown in output (it holds passwords).
    type: str
    required: true
  strategy:
    description:
      - V(replace) writes O(content) as the whole file when it differs.
      - V(merge) replaces or adds only the differing directives' lines and keeps all other lines.
    type: str
    choices: [replace, merge]
    default: replace
  apply_live:
    description:
      - Set the differing directives on the running server with C(CONFIG SET) (data nodes only).
      - The file is written first (atomically), then the directives are set. When the server refuses a value, the module
        fails with RV(commands) listing what was set, C(changed=true) and C(restart_required=true), since the file
        already says what is wanted.
      - When nothing listens at the address (not started yet), nothing is sent and RV(restart_required) is V(true)
        if the file changed. A server that answers but refuses the login (wrong O(login_password), missing
        permission, TLS mismatch) fails the module before anything is written.
    type: bool
    default: false
  restart_directives:
    description:
      - Directives never changed live; a difference in one of them makes RV(restart_required) V(true).
      - C(replicaof), C(user), C(include), C(rename-command), C(loadmodule) and Sentinel directives are never
        changed live by this module either.
    type: list
    elements: str
    default: [port, bind, tls-port, tls-cert-file, tls-key-file, tls-ca-cert-file, tls-ca-cert-dir, unixsocket,
              unixsocketperm, dir, dbfilename, appenddirname, supervised, daemonize, pidfile, logfile]
  backup:
    description:
      - Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
seealso:
  - module: redis_ops.replication.replicaof
  - module: ansible.builtin.template
'''

EXAMPLES = r'''
- name: Configure the instance on 6379, live where possible
  redis_ops.replication.config_file:
    path: /etc/redis/redis-6379.conf
    content: "{{ lookup('ansible.builtin.template', 'redis.conf.j2') }}"
    owner: redis
    group: redis
    mode: "0640"
    apply_live: true
    login_password: "{{ redis_password }}"
  register: redis_config

- name: Restart only when a setting needs it
  ansible.builtin.systemd_service:
    name: redis-6379.service
    state: restarted
  when: redis_config.restart_required

- name: Static part of sentinel.conf, keeping what Sentinel wrote
  redis_ops.replication.config_file:
    path: /etc/redis/sentinel-26379.conf
    content: "{{ lookup('ansible.builtin.template', 'sentinel.conf.j2') }}"
    strategy: merge
'''

RETURN = r'''
directives:
  description: Directives whose meaning differed (or that were missing), in the order of O(content).
  returned: always
  type: list
  elements: str
  sample: [maxmemory, port]
created:
  description: Whether the file did not exist and was created.
  returned: always
  type: bool
applied_live:
  description: Directives set on the running server with C(CONFIG SET) (empty in check mode).
  returned: always
  type: list
  elements: str
  sample: [maxmemory]
restart_required:
  description: Whether a differing directive was not (or, in check mode, would not be) applied live.
  returned: always
  type: bool
restart_directives:
  description: The differing directives that need a restart.
  returned: always
  type: list
  elements: str
  sample: [port]
commands:
  description: Commands sent to the server, secret values replaced by C(********). Empty in check mode.
  returned: always
  type: list
  elements: str
  sample: ["CONFIG SET maxmemory 1073741824"]
backup_file:
  description: The backup copy, when O(backup=true) and the file changed.
  returned: when a backup was made
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.redis_ops.replication.plugins.module_utils.config_apply import (
    DEFAULT_RESTART_DIRECTIVES,
    ConfigFileManager,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import ConfigSyntaxError
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
)


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        path=dict(type='path', required=True),
        content=dict(type='str', required=True, no_log=True),
        strategy=dict(type='str', choices=['replace', 'merge'], default='replace'),
        apply_live=dict(type='bool', default=False),
        restart_directives=dict(type='list', elements='str', default=list(DEFAULT_RESTART_DIRECTIVES)),
        backup=dict(type='bool', default=False),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, add_file_common_args=True))
    try:
        result = ConfigFileManager(module, module.params).run()
    except RedisOpsError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except ConfigSyntaxError as exc:
        module.fail_json(msg='content: %s; nothing was changed' % exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
