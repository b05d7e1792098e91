#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: instance
short_description: Converge one Redis, Valkey or Sentinel instance (unit, directories, configuration, service) in one round trip
version_added: 0.3.0
description:
  - Does in a single module run on the host what a converge of one instance needs, in this order.
  - It reads whether the systemd unit O(unit) runs (RV(was_active)).
  - It lays out O(directories) and O(files) and writes the unit file from O(unit_content), as
    M(redis_ops.replication.instance_files) does (byte comparison, atomic write, owner, group, mode), before the
    configuration.
  - It writes the configuration file O(config) as M(redis_ops.replication.config_file) does (compared by meaning,
    Sentinel's own lines kept with O(config.strategy=merge)), and sets the differing directives on the running server
    with C(CONFIG SET) when O(apply_live=true) and the unit was running.
  - It reloads systemd when the unit file changed. When the unit did not run, it stops and disables O(stop_units)
    (the distribution's default units, which hold the default ports), then starts the unit. It enables the unit.
  - It never restarts a running instance. RV(restart_required) says whether a change needs one (the unit file, or a
    directive that cannot change live); the roles restart one node at a time, replicas first.
  - A converged instance costs one round trip, where the separate tasks cost five (state, files, configuration,
    service, and replication or monitor).
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
  - redis_ops.replication.instance_files
attributes:
  check_mode:
    support: full
    description: Reports what would be written, applied, started, stopped or enabled; changes nothing.
  diff_mode:
    support: full
    description: The files as M(redis_ops.replication.instance_files) shows them, the configuration as
      M(redis_ops.replication.config_file) shows it (secrets hidden), and the service's state before and after.
  platform:
    platforms: posix
    support: full
    description: Needs systemd (C(systemctl)) on the managed host.
  safe_file_operations:
    support: full
    description: Every file is written to a temporary file in its directory and renamed into place.
options:
  unit:
    description:
      - The systemd unit of the instance, such as C(redis-6379.service).
    type: str
    required: true
  unit_content:
    description:
      - The unit file, written to O(unit_dir)/O(unit) (owner and group C(root), mode C(0644)) after
        O(directories) and O(files). systemd is reloaded when it changes.
      - When not given, the unit must exist already (installed by a package, for example).
    type: str
  unit_dir:
    description: Where the unit file of O(unit_content) is written.
    type: path
    default: /etc/systemd/system
  config:
    description:
      - The instance's configuration file, kept as M(redis_ops.replication.config_file) keeps it. Left alone when not
        given.
    type: dict
    suboptions:
      path:
        description: The configuration file. Its directory must exist or be one of O(directories).
        type: path
        required: true
      content:
        description: The wanted configuration, usually rendered with P(ansible.builtin.template#lookup). Never shown.
        type: str
        required: true
      strategy:
        description: V(replace) for C(redis.conf), V(merge) for C(sentinel.conf); see M(redis_ops.replication.config_file).
        type: str
        choices: [replace, merge]
        default: replace
      owner:
        description: The file's owner; unchanged when not given.
        type: str
      group:
        description: The file's group; unchanged when not given.
        type: str
      mode:
        description: The file's mode, such as C("0640"); a new file that holds a secret gets C(0600) when not given.
        type: raw
      restart_directives:
        description: Directives never changed live; see M(redis_ops.replication.config_file).
        type: list
        elements: str
        default: [port, bind, tls-port, tls-cert-file, tls-key-file, tls-ca-cert-file, tls-ca-cert-dir, unixsocket,
                  unixsocketperm, dir, dbfilename, appenddirname, supervised, daemonize, pidfile, logfile]
  replicaof:
    description:
      - The primary this data node must replicate from, applied as M(redis_ops.replication.replicaof) applies it
        (nothing is sent when it replicates from there already; C(REPLICAOF) and C(CONFIG REWRITE) otherwise), after
        the unit runs. Left alone when not given (a primary, or a Sentinel).
      - Uses the connection options. C(masterauth) and C(masteruser) are not managed here; put them in O(config).
      - In check mode, while the unit does not run, nothing is asked and RV(replication) is empty.
      - A C(replicaof) line of O(config) that differs is not a reason to restart then (it is applied live).
      - Not applied while a restart is due (RV(restart_required)), because C(CONFIG REWRITE) would write the running
        settings over the file the restart is to read. RV(replication_deferred) is then V(true); the restarted
        server replicates from the primary its file names.
    type: dict
    suboptions:
      host:
        description: Host name or IP address of the primary.
        type: str
        required: true
      port:
        description: Port of the primary.
        type: int
        required: true
      wait_for_sync:
        description: Wait until the link to the primary is up and no sync is in progress.
        type: bool
        default: true
      wait_timeout:
        description: Seconds to wait for the sync; the module fails when it is not over by then.
        type: int
        default: 60
  monitor:
    description:
      - The primary this Sentinel must monitor, applied as M(redis_ops.replication.sentinel_monitor) applies it, after
        the unit runs. A primary that Sentinel moved to another address by a failover is kept (RV(monitor) says
        C(address_differs)); settings and C(auth-pass) are set where they differ. Left alone when not given.
      - Uses the connection options (those of the Sentinel).
      - In check mode, while the unit does not run, nothing is asked and RV(monitor) is empty.
      - Not applied while a restart is due (the unit ran and its unit file or O(config) changed), because Sentinel
        rewrites its file from what it runs on every change, which would undo the file its restart is to read.
        RV(monitor_deferred) is then V(true); apply it after the restart with M(redis_ops.replication.sentinel_monitor).
    type: dict
    suboptions:
      name:
        description: The name the primary is monitored under (C(sentinel monitor <name> ...)).
        type: str
        required: true
      host:
        description: Address of the primary, used when the name is not monitored yet.
        type: str
        required: true
      port:
        description: Port of the primary.
        type: int
        required: true
      quorum:
        description: Sentinels that must agree that the primary is down.
        type: int
        required: true
      auth_user:
        description: ACL user Sentinel logs in as on the data nodes (C(auth-user)); requires O(monitor.auth_pass).
        type: str
      auth_pass:
        description: Password Sentinel logs in with on the data nodes (C(auth-pass)). Never shown.
        type: str
      down_after_milliseconds:
        description: C(down-after-milliseconds); unchanged when not given.
        type: int
      failover_timeout:
        description: C(failover-timeout); unchanged when not given.
        type: int
      parallel_syncs:
        description: C(parallel-syncs); unchanged when not given.
        type: int
      notification_script:
        description: C(notification-script); unchanged when not given.
        type: str
      client_reconfig_script:
        description: C(client-reconfig-script); unchanged when not given.
        type: str
  monitors:
    description:
      - Several primaries this Sentinel must monitor, one entry per master name, each applied as O(monitor) is (a
        Sentinel that watches several replication groups). Masters the Sentinel monitors under other names are left
        alone.
      - Each entry takes the suboptions of O(monitor). Mutually exclusive with O(monitor) and O(replicaof).
    type: list
    elements: dict
    suboptions:
      name:
        description: The name the primary is monitored under (C(sentinel monitor <name> ...)).
        type: str
        required: true
      host:
        description: Address of the primary, used when the name is not monitored yet.
        type: str
        required: true
      port:
        description: Port of the primary.
        type: int
        required: true
      quorum:
        description: Sentinels that must agree that the primary is down.
        type: int
        required: true
      auth_user:
        description: ACL user Sentinel logs in as on the data nodes (C(auth-user)); requires O(monitors[].auth_pass).
        type: str
      auth_pass:
        description: Password Sentinel logs in with on the data nodes (C(auth-pass)). Never shown.
        type: str
      down_after_milliseconds:
        description: C(down-after-milliseconds); unchanged when not given.
        type: int
      failover_timeout:
        description: C(failover-timeout); unchanged when not given.
        type: int
      parallel_syncs:
        description: C(parallel-syncs); unchanged when not given.
        type: int
      notification_script:
        description: C(notification-script); unchanged when not given.
        type: str
      client_reconfig_script:
        description: C(client-reconfig-script); unchanged when not given.
        type: str
  apply_live:
    description:
      - Set the differing directives of O(config) on the running server with C(CONFIG SET) (data nodes), using the
        connection options. Only when the unit was running before this module run; a unit it starts reads the file.
      - V(false) for a Sentinel, whose static settings need a restart.
    type: bool
    default: true
  stop_units:
    description:
      - Units stopped and disabled before the unit is started, when it does not run yet; units that do not exist
        are skipped. The distribution's C(redis-server.service) and C(redis-sentinel.service) listen on the default
        ports, which this instance may use.
      - Left alone while the unit runs (it holds its port, so they do not).
    type: list
    elements: str
    default: []
  enabled:
    description: Whether the unit starts at boot.
    type: bool
    default: true
notes:
  - A path must not be named twice in O(directories), O(files), the unit file and O(config).
  - The unit is started, never restarted. Its start is reported as RV(started); a unit that fails to start fails the
    module with the last lines of its journal, after the files were written.
seealso:
  - module: redis_ops.replication.instance_files
  - module: redis_ops.replication.config_file
  - module: ansible.builtin.systemd_service
'''

EXAMPLES = r'''
- name: Converge the replica on 6379
  redis_ops.replication.instance:
    unit: redis-6379.service
    unit_content: "{{ lookup('ansible.builtin.template', 'server.service.j2') }}"
    directories:
      - {path: /etc/redis/6379, owner: redis, group: redis, mode: "0750"}
      - {path: /var/lib/redis/6379, owner: redis, group: redis, mode: "0750"}
    config:
      path: /etc/redis/6379/redis.conf
      content: "{{ lookup('ansible.builtin.template', 'redis.conf.j2') }}"
      owner: redis
      group: redis
      mode: "0640"
    stop_units: [redis-server.service]
    replicaof: {host: 10.0.0.1, port: 6379, wait_timeout: 120}
    login_port: 6379
    login_password: "{{ redis_password }}"
  register: instance

- name: Restart it when a setting needs it
  ansible.builtin.systemd_service:
    name: redis-6379.service
    state: restarted
  when: instance.restart_required

- name: Converge a Sentinel, keeping what it wrote into its file
  redis_ops.replication.instance:
    unit: redis-sentinel-26379.service
    unit_content: "{{ lookup('ansible.builtin.template', 'sentinel.service.j2') }}"
    directories:
      - {path: /etc/redis/sentinel-26379, owner: redis, group: redis, mode: "0750"}
    config:
      path: /etc/redis/sentinel-26379/sentinel.conf
      content: "{{ lookup('ansible.builtin.template', 'sentinel.conf.j2') }}"
      strategy: merge
      owner: redis
      group: redis
      mode: "0640"
    apply_live: false
    stop_units: [redis-sentinel.service]
    monitor:
      name: mymaster
      host: 10.0.0.1
      port: 6379
      quorum: 2
      auth_pass: "{{ redis_password }}"
    login_port: 26379
    login_user: default
    login_password: "{{ redis_sentinel_password }}"
'''

RETURN = r'''
was_active:
  description: Whether the unit was running when the module started.
  returned: always
  type: bool
unit_changed:
  description: Whether the unit file was created or rewritten (or would be, in check mode).
  returned: always
  type: bool
changed_paths:
  description: The directories and files, the unit file and the configuration file that were created, rewritten or
    given other attributes, in that order.
  returned: always
  type: list
  elements: str
  sample: [/etc/redis/6379/redis.conf]
created_paths:
  description: Those of RV(changed_paths) that did not exist before.
  returned: always
  type: list
  elements: str
  sample: []
config:
  description: What M(redis_ops.replication.config_file) returns for O(config) (C(directives), C(created),
    C(applied_live), C(restart_required), C(restart_directives), C(commands)); empty when O(config) is not given.
  returned: always
  type: dict
  sample: {directives: [maxmemory], created: false, applied_live: [maxmemory], restart_required: false,
           restart_directives: [], commands: ["CONFIG SET maxmemory 512mb"]}
restart_directives:
  description: The differing directives of O(config) that were not applied live (C(config.restart_directives)), less
    C(replicaof) when O(replicaof) is given.
  returned: always
  type: list
  elements: str
  sample: [port]
restart_required:
  description: Whether the unit was running and needs a restart for what changed (its unit file, or a directive of
    RV(restart_directives)).
  returned: always
  type: bool
daemon_reloaded:
  description: Whether systemd was (or would be) reloaded because the unit file changed.
  returned: always
  type: bool
started:
  description: Whether the unit was (or would be) started because it did not run.
  returned: always
  type: bool
enabled_now:
  description: Whether the unit was (or would be) enabled because it was not.
  returned: always
  type: bool
replication:
  description: What M(redis_ops.replication.replicaof) returns for O(replicaof) (C(changed), C(commands), C(role),
    C(primary_host), C(primary_port), C(link_status), C(persisted), C(server)); empty when O(replicaof) is not given,
    or in check mode while the unit does not run.
  returned: always
  type: dict
  sample: {changed: false, commands: [], role: replica, primary_host: 10.0.0.1, primary_port: 6379, link_status: up,
           persisted: false}
monitor:
  description: What M(redis_ops.replication.sentinel_monitor) returns for O(monitor) (C(changed), C(commands),
    C(current_host), C(current_port), C(address_differs), C(master), C(reset)); empty when O(monitor) is not given, or
    in check mode while the unit does not run.
  returned: always
  type: dict
  sample: {changed: false, commands: [], current_host: 10.0.0.2, current_port: 6379, address_differs: true,
           reset: false}
monitors:
  description: What M(redis_ops.replication.sentinel_monitor) returns for each entry of O(monitors) (or for
    O(monitor)), in their order; empty when neither is given, or in check mode while the unit does not run.
  returned: always
  type: list
  elements: dict
replication_deferred:
  description: Whether O(replicaof) was given but left to the restart that is due (see O(replicaof)).
  returned: always
  type: bool
monitor_deferred:
  description: Whether O(monitor) or O(monitors) was given but left for after the restart that is due (see O(monitor)).
  returned: always
  type: bool
stopped_units:
  description: The units of O(stop_units) that were (or would be) stopped or disabled.
  returned: always
  type: list
  elements: str
  sample: [redis-server.service]
'''

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.redis_ops.replication.plugins.module_utils.config_apply import (
    DEFAULT_RESTART_DIRECTIVES,
    ConfigFileManager,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import ConfigSyntaxError, parse_directives
from ansible_collections.redis_ops.replication.plugins.module_utils.instance_files import InstanceFiles, files_argument_spec
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    REDIS_IMPORT_ERROR,
    RedisClient,
    RedisOpsError,
    check_file_path,
    connection_argument_spec,
    is_unreachable,
    module_kwargs,
    validate_connection_params,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.replicaof import ReplicaofManager
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel_monitor import SentinelMonitorManager

UNIT_NAME = re.compile(r'^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|timer)$')
RUNNING = ('active', 'activating', 'reloading')


class Instance:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.systemctl = module.get_bin_path('systemctl', required=True)

    def run(self) -> dict:
        params, unit = self.params, self.params['unit']
        self._check_inputs()
        state = self._show(unit)
        was_active = state.get('ActiveState') == 'active'

        files = list(params['files'])
        unit_path = os.path.join(params['unit_dir'], unit)
        if params['unit_content'] is not None:
            files.append(dict(path=unit_path, content=params['unit_content'], owner='root', group='root', mode='0644'))
        laid_out = InstanceFiles(self.module, params['directories'], files).run()
        changed_paths, created_paths = list(laid_out['changed_paths']), list(laid_out['created_paths'])
        diffs = list(laid_out.get('diff', []))
        unit_changed = params['unit_content'] is not None and unit_path in changed_paths

        config = {}
        if params['config'] is not None:
            config = self._config(was_active)
            if config.pop('changed'):
                changed_paths.append(params['config']['path'])
                if config['created']:
                    created_paths.append(params['config']['path'])
            if 'diff' in config:
                diffs.append(dict(config.pop('diff'), before_header=params['config']['path'],
                                  after_header=params['config']['path']))

        stopped, started, enabled_now = [], False, False
        if unit_changed:
            self._systemctl('daemon-reload')
        if not was_active:
            for other in params['stop_units']:
                if self._stop_and_disable(other):
                    stopped.append(other)
            self._start(unit, state, changed=bool(changed_paths or stopped))
            started = True
        if params['enabled'] and state.get('UnitFileState') not in ('enabled', 'enabled-runtime', 'static', 'alias'):
            self._systemctl('enable', unit)
            enabled_now = True
        if started:
            diffs.append(dict(before_header=unit, after_header=unit, before=dict(state=state.get('ActiveState', '')),
                              after=dict(state='active')))

        # replicaof in the file is applied live below when replicaof is given: not a reason to restart.
        restart = [name for name in config.get('restart_directives', [])
                   if not (name == 'replicaof' and params['replicaof'] is not None)]
        restart_required = was_active and (unit_changed or bool(restart))

        replication = {}
        reachable = was_active or not self.module.check_mode
        # REPLICAOF is saved with CONFIG REWRITE, which writes the running settings over the new file that a due
        # restart is to read: with a restart due, the restart applies the file's replicaof instead.
        replication_deferred = params['replicaof'] is not None and restart_required
        if params['replicaof'] is not None and reachable and not replication_deferred:
            replication = self._replicate(changed=bool(changed_paths or stopped or started or enabled_now))
            if 'diff' in replication:
                diffs.append(dict(replication.pop('diff'), before_header='replication', after_header='replication'))
        # Sentinel rewrites its file from what it runs on every change: a MONITOR or SET now would undo the new file
        # that its restart is about to read. With a restart due, the monitor is left to the caller, after it.
        restart_due = was_active and (unit_changed or (params['config'] is not None and
                                                       params['config']['path'] in changed_paths))
        wanted_monitors = params['monitors'] if params['monitors'] is not None else (
            [params['monitor']] if params['monitor'] is not None else [])
        monitor_deferred = bool(wanted_monitors) and restart_due
        monitors = []
        if wanted_monitors and reachable and not restart_due:
            for wanted in wanted_monitors:
                applied = self._monitor(wanted, changed=bool(changed_paths or stopped or started or enabled_now or
                                                             any(m.get('changed') for m in monitors)))
                if 'diff' in applied:
                    header = 'monitor %s' % wanted['name'] if params['monitors'] is not None else 'monitor'
                    diffs.append(dict(applied.pop('diff'), before_header=header, after_header=header))
                monitors.append(applied)
        monitor = monitors[0] if monitors and params['monitors'] is None else {}

        result = dict(
            changed=bool(changed_paths or stopped or started or enabled_now or replication.get('changed') or
                         any(applied.get('changed') for applied in monitors)),
            was_active=was_active, unit_changed=unit_changed, changed_paths=changed_paths,
            created_paths=created_paths, config=config, restart_directives=restart,
            restart_required=restart_required, replication_deferred=replication_deferred,
            daemon_reloaded=unit_changed, started=started, enabled_now=enabled_now, stopped_units=stopped,
            replication=replication, monitor=monitor, monitors=monitors, monitor_deferred=monitor_deferred,
        )
        if self.module._diff and diffs:
            result['diff'] = diffs
        return result

    def _check_inputs(self) -> None:
        params = self.params
        names = [entry['name'] for entry in params['monitors'] or []]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            self.module.fail_json(msg='monitors names %s more than once; give each master name once; nothing was '
                                      'changed' % ', '.join(twice))
        for name in [params['unit']] + params['stop_units']:
            if not UNIT_NAME.match(name):
                self.module.fail_json(msg='%r is not a systemd unit name (such as redis-6379.service); nothing was '
                                          'changed' % name)
        if params['config'] is not None:
            planned = [os.path.normpath(entry['path']) for entry in params['directories']]
            if os.path.normpath(os.path.dirname(params['config']['path'])) not in planned:
                try:
                    check_file_path(params['config']['path'], 'config.path')
                except RedisOpsError as exc:
                    self.module.fail_json(msg=exc.message)
            named = [entry['path'] for entry in params['directories'] + params['files']]
            if params['unit_content'] is not None:
                named.append(os.path.join(params['unit_dir'], params['unit']))
            if os.path.normpath(params['config']['path']) in [os.path.normpath(path) for path in named]:
                self.module.fail_json(msg='%s is named as the configuration file and in directories, files or as the '
                                          'unit file; name each path once' % params['config']['path'])
            try:  # before anything is laid out
                parse_directives(params['config']['content'], strict=True)
            except ConfigSyntaxError as exc:
                self.module.fail_json(msg='config.content: %s; nothing was changed' % exc)

    def _config(self, was_active: bool) -> dict:
        wanted = self.params['config']
        if self.module.check_mode and not os.path.isdir(os.path.dirname(wanted['path'])):
            # Its directory is one of directories, which check mode did not create: the file would be new.
            names = [name for _index, name, _values in parse_directives(wanted['content'], strict=True)]
            return dict(changed=True, directives=list(dict.fromkeys(names)), created=True, applied_live=[],
                        restart_required=False, restart_directives=[], commands=[],
                        diff=dict(before=dict(state='absent'), after=dict(state='present')))
        options = {name: self.params[name] for name in connection_argument_spec()}
        options.update(wanted, apply_live=self.params['apply_live'] and was_active, backup=False,
                       unsafe_writes=False)
        try:
            return ConfigFileManager(self.module, options).run()
        except RedisOpsError as exc:
            self.module.fail_json(msg='config: %s' % exc.message, **exc.details)
        except ConfigSyntaxError as exc:
            self.module.fail_json(msg='config.content: %s; nothing was changed' % exc)
        return {}  # not reached: fail_json exits

    def _replicate(self, changed: bool) -> dict:
        """REPLICAOF as the replicaof module does it."""
        wanted = self.params['replicaof']
        options = {name: self.params[name] for name in connection_argument_spec()}
        options.update(state='replica', primary_host=wanted['host'], primary_port=wanted['port'], primary_user=None,
                       primary_auth=None, persist=True, wait_for_sync=wanted['wait_for_sync'],
                       wait_timeout=wanted['wait_timeout'])
        return self._manage('replicaof', ReplicaofManager, options, changed)

    def _monitor(self, wanted: dict, changed: bool) -> dict:
        """SENTINEL MONITOR and SET as the sentinel_monitor module does them, for one master name."""
        options = {name: self.params[name] for name in connection_argument_spec()}
        options.update(wanted, state='present', update_password='always', force_address=False, reset_stale=False)
        what = 'monitor %s' % wanted['name'] if self.params['monitors'] is not None else 'monitor'
        return self._manage(what, SentinelMonitorManager, options, changed)

    def _manage(self, what: str, manager, options: dict, changed: bool) -> dict:
        """Run one of the shared managers on the running unit, its failures prefixed with what."""
        if REDIS_IMPORT_ERROR is not None:
            missing = missing_required_lib('redis (redis-py; python3-redis on Debian)')
            self.module.fail_json(msg='%s: %s' % (what, missing), changed=changed)
        client = self._connect(what, options, changed)
        try:
            return manager(self.module, client, options).run()
        except RedisOpsError as exc:
            details = dict(exc.details)
            details['changed'] = changed or bool(details.get('changed'))
            self.module.fail_json(msg='%s: %s' % (what, exc.message), **details)
        finally:
            client.close()
        return {}  # not reached: fail_json exits

    def _connect(self, what: str, options: dict, changed: bool) -> RedisClient:
        """A client of the instance; one that was just started gets ten seconds to listen."""
        deadline = time.monotonic() + 10
        while True:
            try:
                validate_connection_params(options)
                client = RedisClient(options)
            except RedisOpsError as exc:
                self.module.fail_json(msg='%s: %s' % (what, exc.message), changed=changed)
            try:
                client.call('PING')
                return client
            except RedisOpsError as exc:
                client.close()
                if not (is_unreachable(exc) and time.monotonic() < deadline):
                    self.module.fail_json(msg='%s: %s' % (what, exc.message), changed=changed)
            time.sleep(0.2)

    def _show(self, unit: str) -> dict:
        rc, out, err = self.module.run_command([self.systemctl, 'show', unit,
                                                '--property=LoadState,ActiveState,UnitFileState'])
        if rc != 0:
            self.module.fail_json(msg='systemctl show %s failed (rc %d): %s; is systemd running on this host?'
                                      % (unit, rc, (err or out).strip()))
        return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)

    def _systemctl(self, *args) -> None:
        """A change to the units (check mode sends nothing); a failure comes after files were written: changed."""
        if self.module.check_mode:
            return
        rc, out, err = self.module.run_command([self.systemctl] + list(args))
        if rc != 0:
            self.module.fail_json(msg='systemctl %s failed (rc %d): %s' % (' '.join(args), rc, (err or out).strip()),
                                  changed=True)

    def _stop_and_disable(self, unit: str) -> bool:
        state = self._show(unit)
        if state.get('LoadState') == 'not-found':
            return False
        acted = False
        if state.get('ActiveState') in RUNNING:
            self._systemctl('stop', unit)
            acted = True
        if state.get('UnitFileState') in ('enabled', 'enabled-runtime'):
            self._systemctl('disable', unit)
            acted = True
        return acted

    def _start(self, unit: str, state: dict, changed: bool) -> None:
        if self.module.check_mode:
            return
        rc, out, err = self.module.run_command([self.systemctl, 'start', unit])
        if rc == 0:
            return
        journal = ''
        journalctl = self.module.get_bin_path('journalctl')
        if journalctl:
            _rc, journal, _err = self.module.run_command([journalctl, '--unit', unit, '--lines', '15', '--no-pager',
                                                          '--output', 'cat'])
        self.module.fail_json(
            msg='%s did not start (systemctl start: rc %d, %s); the files were written. Its journal ends with:\n%s'
                % (unit, rc, (err or out).strip() or 'no message', to_native(journal).strip() or '(empty)'),
            changed=changed, was_active=False, load_state=state.get('LoadState', ''))


def monitor_options() -> dict:
    return dict(
        name=dict(type='str', required=True),
        host=dict(type='str', required=True),
        port=dict(type='int', required=True),
        quorum=dict(type='int', required=True),
        auth_user=dict(type='str'),
        auth_pass=dict(type='str', no_log=True),
        down_after_milliseconds=dict(type='int'),
        failover_timeout=dict(type='int'),
        parallel_syncs=dict(type='int'),
        notification_script=dict(type='str'),
        client_reconfig_script=dict(type='str'),
    )


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(files_argument_spec())
    argument_spec.update(
        unit=dict(type='str', required=True),
        unit_content=dict(type='str'),
        unit_dir=dict(type='path', default='/etc/systemd/system'),
        config=dict(type='dict', options=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', required=True, no_log=True),
            strategy=dict(type='str', choices=['replace', 'merge'], default='replace'),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw'),
            restart_directives=dict(type='list', elements='str', default=list(DEFAULT_RESTART_DIRECTIVES)),
        )),
        replicaof=dict(type='dict', options=dict(
            host=dict(type='str', required=True),
            port=dict(type='int', required=True),
            wait_for_sync=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=60),
        )),
        monitor=dict(type='dict', options=monitor_options()),
        monitors=dict(type='list', elements='dict', options=monitor_options()),
        apply_live=dict(type='bool', default=True),
        stop_units=dict(type='list', elements='str', default=[]),
        enabled=dict(type='bool', default=True),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, mutually_exclusive=[('replicaof', 'monitor', 'monitors')]))
    module.exit_json(**Instance(module).run())


if __name__ == '__main__':
    main()
