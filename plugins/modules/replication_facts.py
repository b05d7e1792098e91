#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: replication_facts
short_description: Report the live replication state of a Redis or Valkey node, or of a Sentinel, as facts
version_added: 0.1.0
description:
  - Pointed at a data node, sets C(ansible_facts.redis_replication) from C(INFO replication), with its role, the
    primary it replicates from and the state of that link, offsets, and each connected replica with its lag in
    seconds and in bytes.
  - Pointed at a Sentinel, sets C(ansible_facts.redis_sentinel), with every monitored primary (its address, quorum,
    flags, known replicas and Sentinels, the result of C(SENTINEL CKQUORUM)) and whether the Sentinel is in TILT mode.
  - The kind of server is detected from C(INFO server). The module never changes anything.
  - With O(max_lag_seconds) or O(min_replicas), problems are added to the task's warnings, as a health check would
    flag them.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to diff.
  facts:
    support: full
    description: Sets C(redis_replication) or C(redis_sentinel) in C(ansible_facts).
  platform:
    platforms: posix
    support: full
    description: Talks to the server over the network; runs wherever redis-py is installed.
options:
  max_lag_seconds:
    description:
      - Warn when a replica lags more than this many seconds behind its primary (or, on a replica,
        when it has heard nothing from its primary for longer). The setup guide's health check uses 5.
    type: int
  min_replicas:
    description:
      - On a primary, warn when fewer replicas than this are online.
    type: int
  names:
    description:
      - On a Sentinel, report only these monitored primaries. All by default.
    type: list
    elements: str
  gather_subset:
    description:
      - Also gather the facts of the machine the module runs on, of these subsets, with the collectors
        M(ansible.builtin.setup) uses for the same O(gather_subset), and return them in C(ansible_facts)
        beside the module's own. The collection's discovery gathers C(["!all", "network", "virtual"]) this way
        (addresses, virtualization, and the minimal facts such as C(os_family)), so its play needs no fact gathering
        of its own, one round trip fewer per host.
      - The facts come back whether or not the server could be read. Local facts (C(facts.d)) are not read.
    type: list
    elements: str
  packages:
    description:
      - Also report which of these packages are installed on the machine the module runs on, from dpkg's database
        (C(dpkg-query)), in RV(packages). The collection's discovery asks for the server's and Sentinel's packages,
        so that a converged host needs no separate package check.
      - The report comes back whether or not the server could be read (also when redis-py is missing, as on a host
        not yet installed). Without C(dpkg-query) (not a Debian-like host), or when it fails, RV(packages.manager)
        is null and nothing is known.
    type: list
    elements: str
  sentinel:
    description:
      - Also read a Sentinel on the same machine in the same module run, with the same O(login_host) and TLS
        settings but its own port and login. The collection's discovery reads a host that is a data node and a
        Sentinel this way, in one round trip instead of two.
      - Its facts come back in RV(sentinel), not in C(ansible_facts). A Sentinel that cannot be read does not fail
        the task; RV(sentinel) then says why. The data node is read as without this option; when it cannot be read
        the task fails, and RV(sentinel) is still returned with the failure.
    type: dict
    suboptions:
      login_port:
        description: The Sentinel's port.
        type: int
        default: 26379
      login_user:
        description: The Sentinel's user (C(default) with a password set by C(requirepass)); none by default.
        type: str
      login_password:
        description: The Sentinel's password.
        type: str
      names:
        description: Report only these monitored primaries. All by default.
        type: list
        elements: str
seealso:
  - module: redis_ops.replication.replicaof
  - module: redis_ops.replication.sentinel_monitor
'''

EXAMPLES = r'''
- name: Read the replication state of the local instance
  redis_ops.replication.replication_facts:
    login_password: "{{ redis_password }}"
    max_lag_seconds: 5

- name: Show the replicas the primary sees
  ansible.builtin.debug:
    msg: "{{ ansible_facts.redis_replication.replicas }}"

- name: Ask the local Sentinel who the primary is
  redis_ops.replication.replication_facts:
    login_port: 26379
    login_password: "{{ redis_sentinel_password }}"
    names: [mymaster]

- name: Current primary of mymaster
  ansible.builtin.debug:
    msg: "{{ ansible_facts.redis_sentinel.masters.mymaster.host }}"

- name: Read the data node and the Sentinel of this host in one round trip
  redis_ops.replication.replication_facts:
    login_password: "{{ redis_password }}"
    sentinel:
      login_port: 26379
      login_user: default
      login_password: "{{ redis_sentinel_password }}"
      names: [mymaster]
  register: both

- name: Read the local instance, and whether the server's packages are installed
  redis_ops.replication.replication_facts:
    login_password: "{{ redis_password }}"
    packages: [redis-server, redis-tools, python3-redis]
  register: node
  failed_when: false

- name: The packages still to install
  ansible.builtin.debug:
    msg: "{{ node.packages.missing }}"

# In a play with gather_facts: false, the host's addresses and virtualization come with the read.
- name: Read the local instance and gather the network and virtualization facts in the same round trip
  redis_ops.replication.replication_facts:
    login_password: "{{ redis_password }}"
    gather_subset: ["!all", network, virtual]

- name: The address other hosts reach it on
  ansible.builtin.debug:
    msg: "{{ ansible_facts['default_ipv4']['address'] }}"

- name: Who the Sentinel names as the primary of mymaster
  ansible.builtin.debug:
    msg: "{{ both.sentinel.ansible_facts.redis_sentinel.masters.mymaster.host }}"
'''

RETURN = r'''
ansible_facts:
  description:
    - Facts about the server; with O(gather_subset), also the machine's facts of those subsets, named as
      M(ansible.builtin.setup) names them (C(default_ipv4), C(os_family), C(virtualization_type), ...).
  returned: always
  type: complex
  contains:
    redis_replication:
      description: Replication state of a data node. Set only when the server is a data node.
      returned: when the server is a data node
      type: dict
      sample:
        role: replica
        role_reported: slave
        primary_host: 10.0.0.1
        primary_port: 6379
        link_status: up
        last_io_seconds_ago: 1
        sync_in_progress: false
        link_down_since_seconds: null
        master_repl_offset: 5230
        replica_repl_offset: 5230
        replica_priority: 100
        replica_read_only: true
        connected_replicas: 0
        replicas: []
        min_replicas_good: null
        min_replicas_to_write: 0
        min_replicas_max_lag: 10
        server: {flavor: redis, version: 7.0.15, mode: standalone, run_id: "5d1c...", tcp_port: 6380}
      contains:
        role:
          description: V(primary) or V(replica).
          type: str
        role_reported:
          description: The role as the server names it (C(master) or C(slave)).
          type: str
        primary_host:
          description: On a replica, the primary it replicates from (null on a primary).
          type: str
        primary_port:
          description: On a replica, the primary's port.
          type: int
        link_status:
          description: On a replica, C(up) or C(down).
          type: str
        last_io_seconds_ago:
          description: On a replica, seconds since the last interaction with the primary.
          type: int
        sync_in_progress:
          description: On a replica, whether a full synchronisation is under way.
          type: bool
        master_repl_offset:
          description: Replication offset of this node's data stream.
          type: int
        replicas:
          description: On a primary, each connected replica.
          type: list
          elements: dict
          contains:
            ip:
              description: Address of the replica as the primary sees it (or as it announces itself).
              type: str
            port:
              description: Listening port of the replica.
              type: int
            state:
              description: C(online), C(wait_bgsave), C(send_bulk) ...
              type: str
            offset:
              description: Replication offset the replica acknowledged.
              type: int
            lag:
              description: Seconds since the replica's last acknowledgement.
              type: int
            offset_lag:
              description: Bytes of the primary's stream the replica has not acknowledged yet.
              type: int
        connected_replicas:
          description: Number of connected replicas.
          type: int
        min_replicas_good:
          description: Replicas counted as good for C(min-replicas-to-write) (null when that feature is off).
          type: int
        min_replicas_to_write:
          description: The C(min-replicas-to-write) setting.
          type: int
        min_replicas_max_lag:
          description: The C(min-replicas-max-lag) setting.
          type: int
        server:
          description: Flavor (redis or valkey), version, mode, run id and port of the server.
          type: dict
    redis_sentinel:
      description: State of a Sentinel. Set only when the server is a Sentinel.
      returned: when the server is a Sentinel
      type: dict
      sample:
        tilt: false
        server: {flavor: redis, version: 7.0.15, mode: sentinel, run_id: "9a0b...", tcp_port: 26379}
        masters:
          mymaster:
            host: 10.0.0.1
            port: 6379
            quorum: 2
            flags: master
            status: ok
            num_replicas: 2
            num_other_sentinels: 2
            config_epoch: 0
            ckquorum: {ok: true, message: "OK 3 usable Sentinels. Quorum and failover authorization can be reached"}
            replicas: [{ip: 10.0.0.2, port: 6379, flags: slave, link_status: ok, priority: 100}]
            sentinels: [{ip: 10.0.0.3, port: 26379, flags: sentinel, runid: "c3d4..."}]
      contains:
        tilt:
          description: Whether the Sentinel is in TILT mode (it then takes no action).
          type: bool
        masters:
          description: Each monitored primary, by name.
          type: dict
packages:
  description:
    - With O(packages), which of them are installed, read from dpkg's database; also returned when the task fails.
  returned: when O(packages) is given
  type: dict
  contains:
    manager:
      description: C(dpkg) when the database was read; null when it could not be (the lists are then empty).
      type: str
      returned: always
    installed:
      description: The packages of O(packages) that are installed, in their order.
      type: list
      elements: str
      returned: always
    missing:
      description: The packages of O(packages) that are not installed (or not known), in their order.
      type: list
      elements: str
      returned: always
  sample:
    manager: dpkg
    installed: [redis-server, redis-tools, python3-redis]
    missing: []
sentinel:
  description:
    - With O(sentinel), what the Sentinel told. C(ansible_facts) holds C(redis_sentinel) as above when it was read;
      otherwise C(failed) is true and C(msg) says why (the Sentinel's warnings are the task's).
  returned: when O(sentinel) is given
  type: dict
  sample:
    ansible_facts: {redis_sentinel: {tilt: false, masters: {}}}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.facts import ansible_collector, default_collectors
from ansible.module_utils.facts.collector import CollectorNotFoundError, CycleFoundInFactDeps, UnresolvedFactDep
from ansible.module_utils.facts.namespace import PrefixFactNamespace

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    REDIS_IMPORT_ERROR,
    RedisClient,
    RedisOpsError,
    connection_argument_spec,
    module_kwargs,
    redis,
    run_module,
    validate_connection_params,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    config_get_to_dict,
    replication_status,
    replication_warnings,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.sentinel import (
    ckquorum,
    flags_of,
    list_masters,
    list_replicas,
    list_sentinels,
)


def data_node_facts(client: RedisClient, params: dict) -> tuple:
    status = replication_status(client.info('replication'))
    config = config_get_to_dict(client.call('CONFIG', 'GET', 'min-replicas-*'))
    status['min_replicas_to_write'] = int(config.get('min-replicas-to-write', 0) or 0)
    status['min_replicas_max_lag'] = int(config.get('min-replicas-max-lag', 0) or 0)
    status['server'] = client.server_info().as_dict()
    warnings = replication_warnings(status, params['max_lag_seconds'], params['min_replicas'])
    return {'redis_replication': status}, warnings


def sentinel_facts(client: RedisClient, params: dict) -> tuple:
    info = client.info('sentinel')
    statuses = {}
    for key, value in info.items():
        if key.startswith('master') and isinstance(value, dict):
            statuses[str(value.get('name'))] = str(value.get('status', ''))
    wanted = params['names']
    masters = {}
    warnings = []
    for entry in list_masters(client):
        name = str(entry.get('name'))
        if wanted and name not in wanted:
            continue
        masters[name] = describe_monitored(client, name, entry, statuses.get(name))
        warnings += sentinel_warnings(name, masters[name])
    for name in wanted or []:
        if name not in masters:
            warnings.append('this Sentinel does not monitor %s' % name)
    tilt = bool(int(info.get('sentinel_tilt', 0) or 0))
    if tilt:
        warnings.append('the Sentinel at %s is in TILT mode and will not act' % client.target)
    facts = dict(tilt=tilt, masters=masters, server=client.server_info().as_dict())
    return {'redis_sentinel': facts}, warnings


def describe_monitored(client: RedisClient, name: str, entry: dict, status: str | None) -> dict:
    replicas = [dict(ip=str(r.get('ip')), port=r.get('port'), flags=str(r.get('flags', '')),
                     link_status=str(r.get('master-link-status', '')), priority=r.get('slave-priority'),
                     repl_offset=r.get('slave-repl-offset'))
                for r in list_replicas(client, name)]
    sentinels = [dict(ip=str(s.get('ip')), port=s.get('port'), flags=str(s.get('flags', '')),
                      runid=str(s.get('runid', '')))
                 for s in list_sentinels(client, name)]
    return dict(
        host=str(entry.get('ip')), port=entry.get('port'), quorum=entry.get('quorum'),
        flags=str(entry.get('flags', '')), status=status, num_replicas=entry.get('num-slaves'),
        num_other_sentinels=entry.get('num-other-sentinels'), config_epoch=entry.get('config-epoch'),
        down_after_milliseconds=entry.get('down-after-milliseconds'),
        failover_timeout=entry.get('failover-timeout'), parallel_syncs=entry.get('parallel-syncs'),
        ckquorum=ckquorum(client, name), replicas=replicas, sentinels=sentinels,
    )


def sentinel_warnings(name: str, master: dict) -> list:
    warnings = []
    flags = flags_of(master)
    down = [flag for flag in flags if flag in ('s_down', 'o_down')]
    if down:
        warnings.append('%s (%s:%s) is flagged %s' % (name, master['host'], master['port'], ','.join(down)))
    if not master['ckquorum']['ok']:
        warnings.append('CKQUORUM for %s failed: %s' % (name, master['ckquorum']['message']))
    for replica in master['replicas']:
        if any(flag in ('s_down', 'disconnected') for flag in flags_of(replica)):
            warnings.append('%s: replica %s:%s is flagged %s' % (name, replica['ip'], replica['port'], replica['flags']))
    return warnings


def gather(module: AnsibleModule, client: RedisClient) -> dict:
    for option in ('max_lag_seconds', 'min_replicas'):
        if module.params[option] is not None and module.params[option] < 0:
            raise RedisOpsError('%s must be 0 or more, got %s' % (option, module.params[option]))
    if client.server_info().is_sentinel:
        facts, warnings = sentinel_facts(client, module.params)
    else:
        facts, warnings = data_node_facts(client, module.params)
    for warning in warnings:
        module.warn(warning)
    return dict(changed=False, ansible_facts=facts)


def read(params: dict, read_facts) -> tuple:
    """Connect with ``params``, run ``read_facts(client)``; (facts, warnings), or RedisOpsError."""
    validate_connection_params(params)
    client = RedisClient(params)
    try:
        client.call('PING')
        return read_facts(client)
    finally:
        client.close()


def read_sentinel(params: dict) -> dict:
    """The Sentinel of the ``sentinel`` option, through the main connection's host and TLS settings: its facts,
    or failed and why (never an exception: the data node's read goes on)."""
    sub = params['sentinel']
    sentinel_params = dict(params, login_port=sub['login_port'], login_user=sub['login_user'],
                           login_password=sub['login_password'], login_unix_socket=None, names=sub['names'])

    def facts_of(client: RedisClient) -> tuple:
        server = client.server_info()
        if not server.is_sentinel:
            raise RedisOpsError('%s is a %s data node, not a Sentinel: point sentinel.login_port at the Sentinel'
                                % (client.target, server.flavor))
        return sentinel_facts(client, sentinel_params)

    try:
        facts, warnings = read(sentinel_params, facts_of)
    except RedisOpsError as exc:
        return dict(failed=True, msg=exc.message)
    return dict(ansible_facts=facts, warnings=warnings)


def gather_both(module: AnsibleModule) -> None:
    """The data node as without the option, and the Sentinel beside it; each one's failure told apart."""
    if redis is None:
        module.fail_json(msg=missing_required_lib('redis (redis-py; python3-redis on Debian)'),
                         exception=REDIS_IMPORT_ERROR)
    sentinel = read_sentinel(module.params)
    for warning in sentinel.pop('warnings', []):
        module.warn('Sentinel: %s' % warning)
    try:
        result = read(module.params, lambda client: (gather(module, client), []))[0]
    except RedisOpsError as exc:
        module.fail_json(msg=exc.message, sentinel=sentinel, **exc.details)
    module.exit_json(sentinel=sentinel, **result)


def package_report(module: AnsibleModule, names: list) -> dict:
    """Which of ``names`` dpkg's database has installed; manager None when it cannot be read."""
    unknown = dict(manager=None, installed=[], missing=[])
    dpkg_query = module.get_bin_path('dpkg-query')
    if dpkg_query is None:
        return unknown
    # dpkg-query exits 1 when a package is not installed or not known; it still prints the others.
    rc, out, dummy = module.run_command([dpkg_query, '--show', '--showformat=${Package} ${db:Status-Status}\\n']
                                        + list(names))
    if rc not in (0, 1):
        return unknown
    installed = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] == 'installed':
            installed.add(fields[0])
    return dict(manager='dpkg', installed=[name for name in names if name in installed],
                missing=[name for name in names if name not in installed])


# What M(ansible.builtin.setup) gathers whatever the subset (its minimal_gather_subset).
MINIMAL_GATHER_SUBSET = frozenset(['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips',
                                   'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr',
                                   'ssh_pub_keys', 'user'])


def host_facts(module: AnsibleModule, subset: list) -> dict:
    """The machine's facts of ``subset``, prefixed ansible_ as setup returns them (Ansible strips the prefix)."""
    try:
        collector = ansible_collector.get_ansible_collector(
            all_collector_classes=default_collectors.collectors,
            namespace=PrefixFactNamespace(namespace_name='ansible', prefix='ansible_'),
            filter_spec=[], gather_subset=subset, gather_timeout=10, minimal_gather_subset=MINIMAL_GATHER_SUBSET)
    except (TypeError, ValueError, CollectorNotFoundError, CycleFoundInFactDeps, UnresolvedFactDep) as exc:
        module.fail_json(msg='gather_subset %s cannot be gathered: %s' % (subset, exc))
    return collector.collect(module=module)


def report_host_facts_with_every_result(module: AnsibleModule) -> None:
    """Gather the machine's facts first, and add them to whatever the module returns, success or failure."""
    facts = host_facts(module, module.params['gather_subset'])
    exit_json, fail_json = module.exit_json, module.fail_json

    def merged(kwargs: dict) -> dict:
        return dict(kwargs, ansible_facts=dict(facts, **(kwargs.get('ansible_facts') or {})))

    module.exit_json = lambda *args, **kwargs: exit_json(*args, **merged(kwargs))
    module.fail_json = lambda *args, **kwargs: fail_json(*args, **merged(kwargs))


def report_packages_with_every_result(module: AnsibleModule) -> None:
    """Read the packages first, and add the report to whatever the module returns, success or failure."""
    report = package_report(module, module.params['packages'])
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda *args, **kwargs: exit_json(*args, packages=report, **kwargs)
    module.fail_json = lambda *args, **kwargs: fail_json(*args, packages=report, **kwargs)


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        max_lag_seconds=dict(type='int'),
        min_replicas=dict(type='int'),
        names=dict(type='list', elements='str'),
        gather_subset=dict(type='list', elements='str'),
        packages=dict(type='list', elements='str'),
        sentinel=dict(type='dict', options=dict(
            login_port=dict(type='int', default=26379),
            login_user=dict(type='str'),
            login_password=dict(type='str', no_log=True),
            names=dict(type='list', elements='str'),
        )),
    )
    module = AnsibleModule(**module_kwargs(argument_spec))
    if module.params['gather_subset']:
        report_host_facts_with_every_result(module)
    if module.params['packages']:
        report_packages_with_every_result(module)
    if module.params['sentinel'] is not None:
        gather_both(module)
    run_module(module, lambda client: gather(module, client))


if __name__ == '__main__':
    main()
