# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: health_report
short_description: Judge the health of a replicated fleet from what every data node and Sentinel reported
version_added: 0.1.0
description:
  - Reads, for every data node and Sentinel, what C(playbooks/health.yml) recorded in the host variable
    C(_redis_health_view) (the address of the host and the registered results of
    M(redis_ops.replication.replication_facts)), and returns one verdict with every problem found, so that
    a health check can fail once with a readable list.
  - A problem is reported when a host could not be read (unreachable, server down, wrong password, not the
    kind of server expected); when not exactly one data node is a master; when a replica's link is down, or
    it replicates from another address than the master; when the master sees a replica in another state
    than C(online) or lagging more than O(max_lag_seconds) (the C(lag) of C(INFO replication), seconds since
    the replica's last acknowledgement, as the setup guide's check uses it); when the master sees fewer
    replicas online than O(expected_replicas); when the Sentinels disagree on the master's address, or agree
    on another address than the master's; and, per Sentinel, when it does not monitor the master name, is in
    TILT mode, flags the master down or fails C(SENTINEL CKQUORUM).
  - A replica's own C(master_last_io_seconds_ago) is not a lag measure on an idle master, which writes to its
    replicas only every C(repl-ping-replica-period) (10 seconds by default). It is used only when no single master
    could be read, and only above O(max_lag_seconds) plus O(ping_period).
  - A replica whose link is up to the master but that the master does not list (its address as the master sees it
    differs from the one recorded for the host) is reported too, with the address to record.
  - Addresses are compared the way Redis reports them (the master's address as the Sentinels and replicas
    name it, a replica's as the master sees it) with the address recorded for each host (C(redis_host_address),
    as in C(playbooks/site.yml)); a host name and the IP address it resolves to are the same address.
  - The inventory's C(redis_master) host is only reported for comparison; the live fleet decides who the
    master is.
author:
  - Redis Ops Team (@redis-ops)
positional: data_hosts, sentinel_hosts
options:
  _input:
    description:
      - C(hostvars). For each host the filter reads C(_redis_health_view), a dict with C(address) and, on a data
        node, C(data) (C(port), C(result)), on a Sentinel, C(sentinel) (C(port), C(master_name), C(result)), where
        C(result) is the registered result of M(redis_ops.replication.replication_facts) (it may be failed,
        unreachable or skipped). A host without it is reported as not checked.
    type: dict
    required: true
  data_hosts:
    description: Inventory names of the data nodes (groups C(redis_master) and C(redis_replica)).
    type: list
    elements: str
    required: true
  sentinel_hosts:
    description: Inventory names of the Sentinels (group C(redis_sentinel)). None skips the Sentinel checks.
    type: list
    elements: str
    default: []
  max_lag_seconds:
    description: Largest C(lag) (seconds since the replica's last acknowledgement) the master may report for a replica.
    type: int
    default: 5
  expected_replicas:
    description: Replicas the master must see online. Null means the number of data hosts minus one.
    type: int
  master_name:
    description: Name the Sentinels monitor the master under, for Sentinels whose view names none.
    type: str
    default: mymaster
  inventory_primary:
    description: The inventory's C(redis_master) host, reported next to the live master for comparison.
    type: str
  ping_period:
    description:
      - C(repl-ping-replica-period) of the fleet, in seconds. Added to O(max_lag_seconds) before a replica's own
        C(master_last_io_seconds_ago) counts as lag (only when no single master could be read).
    type: int
    default: 10
'''

EXAMPLES = r'''
- name: Judge the fleet from what every host recorded
  ansible.builtin.set_fact:
    redis_health: >-
      {{ hostvars | redis_ops.replication.health_report(
           groups['redis_master'] + groups['redis_replica'], groups['redis_sentinel'],
           max_lag_seconds=5, master_name='mymaster', inventory_primary=groups['redis_master'][0]) }}

- name: Fail with every problem, or show the summary
  ansible.builtin.assert:
    that: redis_health.ok
    fail_msg: "{{ redis_health.text }}"
    success_msg: "{{ redis_health.text }}"
'''

RETURN = r'''
_value:
  description: The verdict.
  type: dict
  contains:
    ok:
      description: True when no problem was found.
      type: bool
    problems:
      description: One sentence per problem, each naming the hosts concerned.
      type: list
      elements: str
    text:
      description: A short readable report, a headline followed by the problems or by the master, replicas and Sentinels.
      type: list
      elements: str
    summary:
      description: The state the verdict is based on.
      type: dict
      contains:
        master:
          description: The single data node that is a master (C(host), C(address), C(port)), or null.
          type: dict
        inventory_master:
          description: The inventory's C(redis_master) host, as given in O(inventory_primary).
          type: str
        master_is_inventory_master:
          description: Whether the live master is the inventory's C(redis_master) host.
          type: bool
        masters:
          description: Inventory names of every data node that reports the master role.
          type: list
          elements: str
        replicas:
          description:
            - Each replica, as the master sees it (C(host) or null when not in the inventory, C(address), C(port),
              C(state), C(lag) seconds, C(offset_lag) bytes) and as it reports itself (C(link_status),
              C(last_io_seconds_ago)); replicas the master does not list have C(state) null.
          type: list
          elements: dict
        replicas_online:
          description: Replicas the master sees in state C(online) (null without a single master).
          type: int
        replicas_expected:
          description: Replicas expected online.
          type: int
        max_lag_seconds:
          description: The lag threshold applied.
          type: int
        sentinels:
          description:
            - C(master_name), C(total) (Sentinels in the inventory), C(answered), C(agreed) (all that answered name
              one address), C(address) (that address, C(host:port)), C(quorum_ok) (CKQUORUM passed on every Sentinel
              that answered), and C(views), by Sentinel, C(address), C(ckquorum), C(num_other_sentinels),
              C(num_replicas), C(tilt).
          type: dict
        unreachable:
          description: Hosts that could not be read (data nodes and Sentinels).
          type: list
          elements: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import (
    cached_resolver,
    find_endpoint,
    format_address,
    tally,
)

VIEW_VAR = '_redis_health_view'


# Each name is resolved once per run: the report compares many pairs.
_RESOLVE = cached_resolver()


def _port(value):
    """A port as an int (templated values can arrive as strings on older ansible-core)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _int_option(value, name: str, allow_none: bool = False):
    if value is None or value == '':
        if allow_none:
            return None
        raise AnsibleFilterError('health_report: %s is required' % name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError('health_report: %s must be a whole number, got %r' % (name, value)) from None
    if number < 0:
        raise AnsibleFilterError('health_report: %s must be 0 or more, got %s' % (name, number))
    return number


def _read(result, key: str, other_key: str, other_kind: str, port):
    """(facts, error) from a registered replication_facts result."""
    if not isinstance(result, dict):
        return None, 'was not checked (no result recorded)'
    message = str(result.get('msg') or '').strip()
    if result.get('unreachable'):
        return None, 'is unreachable: %s' % (message or 'Ansible could not connect')
    if result.get('skipped'):
        return None, 'was not checked (the task was skipped)'
    facts = result.get('ansible_facts') or {}
    if facts.get(key):
        return facts[key], None
    if facts.get(other_key):
        return None, 'port %s answers as a %s' % (port, other_kind)
    return None, 'cannot be read: %s' % (message or 'replication_facts returned nothing')


class _Fleet:
    """What the data nodes reported, and how to name an address."""

    def __init__(self, nodes: list) -> None:
        self.nodes = nodes

    def at(self, address, port) -> dict | None:
        if address is None or port is None:
            return None
        return find_endpoint(self.nodes, address, port, _RESOLVE)

    def name(self, address, port) -> str:
        """'node3 (10.0.0.3:6379)' for a data node, '10.0.0.9:6379 (not a data node of the inventory)' otherwise."""
        node = self.at(address, port)
        if node is None:
            return '%s (not a data node of the inventory)' % format_address(address, port)
        return _label(node)


def _hint(fleet: _Fleet, address, port, master) -> str:
    """When an address is unknown but has the master's port, the master's recorded address is likely wrong."""
    if master is None or fleet.at(address, port) is not None or str(port) != str(master['port']):
        return ''
    return '; if that is %s, set redis_host_address=%s for %s' % (master['host'], address, master['host'])


def _label(node: dict) -> str:
    return '%s (%s)' % (node['host'], format_address(node['address'], node['port']))


def _plural(count: int, word: str) -> str:
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def _views(hostvars, hosts) -> dict:
    views = {}
    for host in hosts:
        try:
            variables = hostvars[host]
        except KeyError:
            variables = {}
        view = variables.get(VIEW_VAR) if hasattr(variables, 'get') else None
        views[host] = view if isinstance(view, dict) else None
    return views


def _data_nodes(hostvars, data_hosts, problems) -> list:
    nodes = []
    for host, view in _views(hostvars, data_hosts).items():
        if view is None or not isinstance(view.get('data'), dict):
            node = dict(host=host, address=None, port=None, facts=None,
                        error='was not checked (left out by --limit, or its play stopped before reading it)')
        else:
            port = _port(view['data'].get('port'))
            facts, error = _read(view['data'].get('result'), 'redis_replication', 'redis_sentinel', 'Sentinel, not a data node',
                                 port)
            node = dict(host=host, address=view.get('address'), port=port, facts=facts, error=error)
        if node['error']:
            where = ' (%s)' % format_address(node['address'], node['port']) if node['address'] is not None else ''
            problems.append('data node %s%s %s' % (host, where, node['error']))
        nodes.append(node)
    return nodes


def _check_masters(nodes: list, problems) -> dict | None:
    masters = [n for n in nodes if n['facts'] and n['facts'].get('role') == 'primary']
    if len(masters) == 1:
        return masters[0]
    if not masters:
        unread = [n['host'] for n in nodes if not n['facts']]
        problems.append('no data node is a master%s' % (
            ' (%s could not be read: %s)' % (_plural(len(unread), 'node'), ', '.join(unread)) if unread else ''))
    else:
        problems.append('%d data nodes are masters, exactly one is expected: %s' % (len(masters), ', '.join(
            '%s with %s' % (_label(n), _plural(int(n['facts'].get('connected_replicas') or 0), 'replica'))
            for n in masters)))
    return None


def _check_replicas(fleet: _Fleet, master, max_lag: int, ping_period: int, expected: int, problems) -> tuple:
    """Replica links first, then the master's view of its replicas (state, lag) and their number."""
    replicas = []
    covered = set()
    online = None
    seen_by_master = []
    if master is not None:
        online = 0
        online_hosts = set()
        for entry in master['facts'].get('replicas') or []:
            node = fleet.at(entry.get('ip'), entry.get('port'))
            name = _label(node) if node else '%s (a replica not in the inventory)' % format_address(entry.get('ip'), entry.get('port'))
            if node:
                covered.add(node['host'])
            facts = (node or {}).get('facts') or {}
            replicas.append(dict(host=node['host'] if node else None, address=str(entry.get('ip')), port=entry.get('port'),
                                 state=entry.get('state'), lag=entry.get('lag'), offset_lag=entry.get('offset_lag'),
                                 link_status=facts.get('link_status'), last_io_seconds_ago=facts.get('last_io_seconds_ago')))
            if entry.get('state') == 'online':
                online += 1
                if node:
                    online_hosts.add(node['host'])
            else:
                seen_by_master.append('replica %s: the master %s sees it in state %s, not online' % (
                    name, master['host'], entry.get('state')))
            if entry.get('lag') is not None and int(entry['lag']) > max_lag:
                seen_by_master.append('replica %s lags %ss behind the master %s (its last acknowledgement), more than '
                                      'the maximum of %ss' % (name, entry['lag'], master['host'], max_lag))
        if online < expected:
            missing = [n['host'] for n in fleet.nodes if n is not master and n['host'] not in online_hosts]
            seen_by_master.append('the master %s sees %s online, %d expected%s' % (
                master['host'], _plural(online, 'replica'), expected,
                ' (not online there: %s)' % ', '.join(missing) if missing else ''))

    for node in fleet.nodes:
        facts = node['facts']
        if not facts or facts.get('role') != 'replica':
            continue
        primary = (facts.get('primary_host'), facts.get('primary_port'))
        if facts.get('link_status') != 'up':
            since = facts.get('link_down_since_seconds')
            problems.append('replica %s: its link to %s is %s%s%s' % (
                _label(node), fleet.name(*primary), facts.get('link_status') or 'not established',
                ' (for %ss)' % since if isinstance(since, int) and since >= 0 else '',
                ', a full synchronisation is in progress' if facts.get('sync_in_progress') else ''))
        elif master is not None and fleet.at(*primary) is not master:
            problems.append('replica %s replicates from %s, not from the master %s%s' % (
                _label(node), fleet.name(*primary), _label(master), _hint(fleet, primary[0], primary[1], master)))
        elif master is not None and node['host'] not in covered:
            unknown = [r for r in replicas if r['host'] is None and str(r['port']) == str(node['port'])]
            problems.append('replica %s follows the master %s, which does not list it among its replicas%s' % (
                _label(node), master['host'], '; it lists %s: if that is %s, set redis_host_address=%s for %s' % (
                    format_address(unknown[0]['address'], unknown[0]['port']), node['host'], unknown[0]['address'],
                    node['host']) if len(unknown) == 1 else ''))
        elif master is None and (facts.get('last_io_seconds_ago') or 0) > max_lag + ping_period:
            problems.append('replica %s has heard nothing from its master %s for %ss' % (
                _label(node), format_address(*primary), facts['last_io_seconds_ago']))
        if node['host'] not in covered:
            replicas.append(dict(host=node['host'], address=node['address'], port=node['port'], state=None, lag=None,
                                 offset_lag=None, link_status=facts.get('link_status'),
                                 last_io_seconds_ago=facts.get('last_io_seconds_ago')))
    problems.extend(seen_by_master)
    return replicas, online


def _check_sentinels(hostvars, sentinel_hosts, fleet: _Fleet, master, master_name: str, problems) -> tuple:
    views = {}
    unread = []
    votes = []
    names = set()
    for host, view in _views(hostvars, sentinel_hosts).items():
        record = dict(address=None, ckquorum=None, num_other_sentinels=None, num_replicas=None, tilt=None)
        views[host] = record
        sentinel = view.get('sentinel') if view else None
        if not isinstance(sentinel, dict):
            unread.append(host)
            problems.append('Sentinel %s was not checked (left out by --limit, or its play stopped before reading it)' % host)
            continue
        name = str(sentinel.get('master_name') or master_name)
        names.add(name)
        label = '%s (%s)' % (host, format_address(view.get('address'), sentinel.get('port')))
        facts, error = _read(sentinel.get('result'), 'redis_sentinel', 'redis_replication', 'data node, not a Sentinel',
                             sentinel.get('port'))
        if error:
            unread.append(host)
            problems.append('Sentinel %s %s' % (label, error))
            continue
        record['tilt'] = bool(facts.get('tilt'))
        if record['tilt']:
            problems.append('Sentinel %s is in TILT mode and will not fail over' % label)
        monitored = (facts.get('masters') or {}).get(name)
        if not monitored:
            problems.append('Sentinel %s does not monitor %s' % (label, name))
            continue
        address = format_address(monitored.get('host'), monitored.get('port'))
        record.update(address=address, ckquorum=bool((monitored.get('ckquorum') or {}).get('ok')),
                      num_other_sentinels=monitored.get('num_other_sentinels'), num_replicas=monitored.get('num_replicas'))
        votes.append((host, (str(monitored.get('host')), str(monitored.get('port')))))
        down = [flag for flag in str(monitored.get('flags') or '').split(',') if flag in ('s_down', 'o_down')]
        if down:
            problems.append('Sentinel %s flags the master of %s (%s) as %s' % (label, name, address, ','.join(down)))
        if not record['ckquorum']:
            problems.append('Sentinel %s: CKQUORUM %s failed: %s' % (
                label, name, (monitored.get('ckquorum') or {}).get('message') or 'no reason given'))

    says = dict(tally(votes))
    shown_name = ', '.join(sorted(names)) or master_name

    def described(address):
        node = fleet.at(*address)
        if node is None:
            return '%s (not a data node of the inventory)' % format_address(*address)
        role = (node['facts'] or {}).get('role')
        what = 'the master' if node is master else ('role %s' % role if role else 'not read')
        return '%s (%s, %s)' % (format_address(*address), node['host'], what)

    if len(says) > 1:
        problems.append('the Sentinels disagree on the master of %s: %s' % (shown_name, '; '.join(
            '%s %s %s' % (', '.join(hosts), 'says' if len(hosts) == 1 else 'say', described(address))
            for address, hosts in sorted(says.items(), key=lambda item: (-len(item[1]), item[1])))))
    elif len(says) == 1 and master is not None:
        address, hosts = next(iter(says.items()))
        if fleet.at(*address) is not master:
            problems.append('the Sentinels (%s) say the master of %s is %s, but the master among the data nodes is %s%s' % (
                ', '.join(hosts), shown_name, described(address), _label(master), _hint(fleet, address[0], address[1], master)))
    answered = [record for record in views.values() if record['address'] is not None]
    summary = dict(
        master_name=shown_name, total=len(views), answered=len(answered),
        agreed=len(says) == 1,
        address=format_address(*next(iter(says))) if len(says) == 1 else None,
        quorum_ok=bool(answered) and all(record['ckquorum'] for record in answered),
        views=views,
    )
    return summary, unread


def _text(ok: bool, problems: list, summary: dict) -> list:
    if not ok:
        return ['Redis health check FAILED, %s:' % _plural(len(problems), 'problem')] + ['- %s' % p for p in problems]
    master = summary['master']
    lines = ['Redis health check OK: master %s%s' % (
        _label(master),
        '' if summary['master_is_inventory_master'] or not summary['inventory_master'] else
        ", not the inventory's redis_master %s (the fleet failed over or was switched)" % summary['inventory_master'])]
    replicas = summary['replicas']
    lines.append('replicas: %d of %d expected online (lag limit %ss): %s' % (
        summary['replicas_online'], summary['replicas_expected'], summary['max_lag_seconds'],
        '; '.join('%s lag %ss, %s bytes behind' % (
            '%s (%s)' % (r['host'], format_address(r['address'], r['port'])) if r['host'] else format_address(r['address'], r['port']),
            r['lag'], r['offset_lag']) for r in replicas) or 'none'))
    sentinels = summary['sentinels']
    if not sentinels['total']:
        lines.append('sentinels: none in the inventory')
    else:
        lines.append('sentinels: %d of %d agree the master of %s is %s; CKQUORUM OK on %s' % (
            sentinels['answered'], sentinels['total'], sentinels['master_name'], sentinels['address'],
            'all' if sentinels['answered'] != 1 else 'it'))
    return lines


def health_report(hostvars, data_hosts, sentinel_hosts=None, max_lag_seconds=5, expected_replicas=None,
                  master_name='mymaster', inventory_primary=None, ping_period=10):
    if not isinstance(data_hosts, (list, tuple)):
        raise AnsibleFilterError('health_report: data_hosts must be a list of inventory names')
    max_lag = _int_option(max_lag_seconds, 'max_lag_seconds')
    ping = _int_option(ping_period, 'ping_period')
    expected = _int_option(expected_replicas, 'expected_replicas', allow_none=True)
    if expected is None:
        expected = max(len(data_hosts) - 1, 0)
    master_name = str(master_name or 'mymaster')
    problems = []
    if not data_hosts:
        problems.append('the inventory has no data node (groups redis_master and redis_replica are empty)')
    nodes = _data_nodes(hostvars, list(data_hosts), problems)
    fleet = _Fleet(nodes)
    master = _check_masters(nodes, problems) if nodes else None
    replicas, online = _check_replicas(fleet, master, max_lag, ping, expected, problems)
    sentinels, unread_sentinels = _check_sentinels(hostvars, list(sentinel_hosts or []), fleet, master, master_name,
                                                   problems)
    summary = dict(
        master=dict(host=master['host'], address=master['address'], port=master['port']) if master else None,
        inventory_master=inventory_primary,
        master_is_inventory_master=bool(master) and master['host'] == inventory_primary,
        masters=[n['host'] for n in nodes if n['facts'] and n['facts'].get('role') == 'primary'],
        replicas=replicas,
        replicas_online=online,
        replicas_expected=expected,
        max_lag_seconds=max_lag,
        sentinels=sentinels,
        unreachable=[n['host'] for n in nodes if n['error']] + unread_sentinels,
    )
    ok = not problems
    return dict(ok=ok, problems=problems, summary=summary, text=_text(ok, problems, summary))


class FilterModule:
    def filters(self):
        return {'health_report': health_report}
