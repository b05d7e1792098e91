# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of raw Redis / Valkey / Sentinel replies, and server differences.

This is a private API of the collection. Everything here is pure (no I/O
except name resolution in ``same_address`` and ``find_endpoint``), so it is unit-tested on
recorded replies as well as exercised against real servers.
"""

from __future__ import annotations

import functools
import hashlib
import socket


def _number(value: str):
    """'12' -> 12, '0.5' -> 0.5, anything else unchanged."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def parse_info(raw) -> dict:
    """Parse the text of an INFO reply into a flat dict.

    Numbers become int/float; ``slaveN`` lines (``ip=...,port=...``) become dicts.
    Section headers and blank lines are skipped.
    """
    if isinstance(raw, dict):  # already parsed by a client callback
        return raw
    if isinstance(raw, bytes):
        raw = raw.decode('utf-8', 'replace')
    result = {}
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or ':' not in line:
            continue
        key, value = line.split(':', 1)
        if _is_indexed(key, 'slave') or _is_indexed(key, 'master'):
            result[key] = parse_kv_list(value)
        else:
            result[key] = _number(value)
    return result


def _is_indexed(key: str, prefix: str) -> bool:
    """slave0, slave12 (data node) or master0 (Sentinel's INFO), but not master_host."""
    return key.startswith(prefix) and key[len(prefix):].isdigit()


def parse_kv_list(value: str) -> dict:
    """'ip=10.0.0.2,port=6380,state=online' -> {'ip': '10.0.0.2', 'port': 6380, 'state': 'online'}."""
    parsed = {}
    for item in value.split(','):
        if '=' in item:
            key, val = item.split('=', 1)
            parsed[key] = _number(val)
    return parsed


def pairs_to_dict(reply) -> dict:
    """A flat [k1, v1, k2, v2, ...] reply (RESP2) or a map (RESP3) into a dict of typed values."""
    if isinstance(reply, dict):
        return {str(k): _number(str(v)) if isinstance(v, (str, bytes)) else v for k, v in reply.items()}
    items = list(reply or [])
    return {str(items[i]): _number(str(items[i + 1])) for i in range(0, len(items) - 1, 2)}


def config_get_to_dict(reply) -> dict:
    """CONFIG GET reply (flat list or map) into a {name: value-as-string} dict."""
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    items = list(reply or [])
    return {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}


def password_hash(password: str) -> str:
    """The form ACL GETUSER shows a password in, and an ACL file's #<hash> holds (SHA-256 of the UTF-8, hex)."""
    return hashlib.sha256(password.encode('utf-8', errors='surrogateescape')).hexdigest()


def acl_getuser_fields(reply) -> dict:
    """ACL GETUSER's reply (flat list in RESP2, map in RESP3; None for no such user) as a dict, values as sent."""
    if reply is None:
        return {}
    if isinstance(reply, dict):
        return {str(key): value for key, value in reply.items()}
    items = list(reply)
    return {str(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


class ServerInfo:
    """What kind of server answers: Redis or Valkey, which version, data node or Sentinel."""

    def __init__(self, flavor: str, version: tuple, mode: str, run_id: str, tcp_port: int,
                 config_file: str, version_string: str) -> None:
        self.flavor = flavor
        self.version = version
        self.mode = mode
        self.run_id = run_id
        self.tcp_port = tcp_port
        self.config_file = config_file
        self.version_string = version_string

    @classmethod
    def from_info(cls, info: dict) -> 'ServerInfo':
        if str(info.get('server_name', '')).lower() == 'valkey' or 'valkey_version' in info:
            flavor = 'valkey'
            version_string = str(info.get('valkey_version', info.get('redis_version', '0')))
        else:
            flavor = 'redis'
            version_string = str(info.get('redis_version', '0'))
        mode = str(info.get('server_mode') or info.get('redis_mode') or 'standalone')
        return cls(
            flavor=flavor,
            version=parse_version(version_string),
            mode=mode,
            run_id=str(info.get('run_id', '')),
            tcp_port=int(info.get('tcp_port', 0) or 0),
            config_file=str(info.get('config_file', '') or ''),
            version_string=version_string,
        )

    @property
    def is_sentinel(self) -> bool:
        return self.mode == 'sentinel'

    @property
    def replicaof_command(self) -> str:
        """REPLICAOF exists since Redis 5.0 and in every Valkey; SLAVEOF before that."""
        if self.flavor == 'valkey' or self.version >= (5, 0, 0):
            return 'REPLICAOF'
        return 'SLAVEOF'

    def as_dict(self) -> dict:
        return dict(flavor=self.flavor, version=self.version_string, mode=self.mode,
                    run_id=self.run_id, tcp_port=self.tcp_port)


def parse_version(text: str) -> tuple:
    parts = []
    for piece in str(text).split('.')[:3]:
        digits = ''
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def replication_status(info: dict) -> dict:
    """Normalise INFO replication into the collection's replication facts.

    Works on Redis (``slaveN``/``master_*``) and Valkey 8 alike; the keys
    returned use the inclusive terms (primary/replica) next to ``role``
    as the server reports it (``master`` or ``slave``).
    """
    role = str(info.get('role', 'unknown'))
    is_replica = role in ('slave', 'replica')
    master_offset = int(info.get('master_repl_offset', 0) or 0)
    status = dict(
        role='replica' if is_replica else ('primary' if role == 'master' else role),
        role_reported=role,
        master_repl_offset=master_offset,
        connected_replicas=int(info.get('connected_slaves', 0) or 0),
        replicas=[],
        primary_host=None,
        primary_port=None,
        link_status=None,
        last_io_seconds_ago=None,
        sync_in_progress=False,
        replica_repl_offset=None,
        replica_priority=None,
        replica_read_only=None,
        link_down_since_seconds=None,
        min_replicas_good=info.get('min_slaves_good_slaves'),
    )
    if is_replica:
        status.update(
            primary_host=_str_or_none(info.get('master_host')),
            primary_port=_int_or_none(info.get('master_port')),
            link_status=_str_or_none(info.get('master_link_status')),
            last_io_seconds_ago=_int_or_none(info.get('master_last_io_seconds_ago')),
            sync_in_progress=bool(int(info.get('master_sync_in_progress', 0) or 0)),
            replica_repl_offset=_int_or_none(info.get('slave_repl_offset')),
            replica_priority=_int_or_none(info.get('slave_priority', info.get('replica_priority'))),
            replica_read_only=bool(int(info.get('slave_read_only', info.get('replica_read_only', 1)) or 0)),
            link_down_since_seconds=_int_or_none(info.get('master_link_down_since_seconds')),
        )
    for index in range(status['connected_replicas'] + 32):
        entry = info.get('slave%d' % index)
        if entry is None:
            if index >= status['connected_replicas']:
                break
            continue
        if isinstance(entry, str):
            entry = parse_kv_list(entry)
        offset = int(entry.get('offset', 0) or 0)
        status['replicas'].append(dict(
            ip=str(entry.get('ip', '')),
            port=_int_or_none(entry.get('port')),
            state=str(entry.get('state', '')),
            offset=offset,
            lag=_int_or_none(entry.get('lag')),
            offset_lag=max(master_offset - offset, 0),
        ))
    return status


def _int_or_none(value):
    if value is None or value == '':
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value):
    return None if value is None else str(value)


def resolve_addresses(host: str) -> set:
    """Every IP address a host name (or literal address) resolves to; the name itself if it does not resolve."""
    host = str(host).strip('[]')
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return {host.lower()}


def format_address(host, port) -> str:
    """host:port, with an IPv6 address in brackets ([::1]:6379): how every message of the collection names an endpoint."""
    host = str(host)
    return '[%s]:%s' % (host, port) if ':' in host else '%s:%s' % (host, port)


def same_address(host_a: str, host_b: str, resolve=resolve_addresses) -> bool:
    """True when two host names or addresses name the same machine (hostname vs IP tolerated).

    ``resolve`` maps a name to its addresses; controller-side plugins pass a cached one (cached_resolver)."""
    if host_a is None or host_b is None:
        return False
    if str(host_a).strip('[]').lower() == str(host_b).strip('[]').lower():
        return True
    return bool(set(resolve(host_a)) & set(resolve(host_b)))


def cached_resolver(size: int = 256):
    """resolve_addresses that asks the resolver once per name (for plugins comparing many pairs in one run)."""
    @functools.lru_cache(maxsize=size)
    def resolve(host) -> frozenset:
        return frozenset(resolve_addresses(host))
    return resolve


def find_endpoint(entries, host, port, resolve=resolve_addresses, host_key: str = 'address', port_key: str = 'port'):
    """The entry (a dict) at host:port, or None: the same spelling of the host first, then a name or address that
    resolves to the same machine. Ports are compared as numbers or strings alike."""
    candidates = [entry for entry in entries if str(entry.get(port_key)) == str(port)]
    spelled = str(host).strip('[]').lower()
    for entry in candidates:
        if str(entry.get(host_key)).strip('[]').lower() == spelled:
            return entry
    for entry in candidates:
        if same_address(entry.get(host_key), host, resolve):
            return entry
    return None


def tally(votes) -> list:
    """What voters say, counted: ``[(value, [voter, ...]), ...]`` from ``(voter, value)`` pairs, the value most voters
    hold first (a tie: the value said first). How every part of the collection counts what Sentinels agree on (the
    current-primary rule, the health report, the sentinel_master lookup); each then applies its own rule to it."""
    groups: dict = {}
    for voter, value in votes:
        groups.setdefault(value, []).append(voter)
    return sorted(groups.items(), key=lambda item: -len(item[1]))


def replication_warnings(status: dict, max_lag_seconds=None, min_replicas=None) -> list:
    """Health warnings for one data node, as the setup guide's lag check flags them."""
    warnings = []
    if status['role'] == 'replica':
        if status['link_status'] != 'up':
            warnings.append('replica link to %s is %s' % (
                format_address(status['primary_host'], status['primary_port']), status['link_status']))
        elif max_lag_seconds is not None and (status['last_io_seconds_ago'] or 0) > max_lag_seconds:
            warnings.append('no data from the primary for %ss (more than max_lag_seconds=%s)' % (
                status['last_io_seconds_ago'], max_lag_seconds))
    if status['role'] == 'primary':
        for replica in status['replicas']:
            where = format_address(replica['ip'], replica['port'])
            if replica['state'] != 'online':
                warnings.append('replica %s is in state %s' % (where, replica['state']))
            if max_lag_seconds is not None and replica['lag'] is not None and replica['lag'] > max_lag_seconds:
                warnings.append('replica %s lags %ss behind (more than max_lag_seconds=%s)' % (
                    where, replica['lag'], max_lag_seconds))
        if min_replicas is not None:
            online = len([r for r in status['replicas'] if r['state'] == 'online'])
            if online < min_replicas:
                warnings.append('%d replica(s) online, fewer than min_replicas=%d' % (online, min_replicas))
    return warnings
