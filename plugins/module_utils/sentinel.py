# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Sentinel: monitored masters, their replicas and peers, and its config file.

This is a private API of the collection.
"""

from __future__ import annotations

from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import split_config_args
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import format_address, pairs_to_dict

# SENTINEL MASTER field -> module option name, for the settings SENTINEL SET can change.
SETTABLE_FIELDS = {
    'quorum': 'quorum',
    'down-after-milliseconds': 'down_after_milliseconds',
    'failover-timeout': 'failover_timeout',
    'parallel-syncs': 'parallel_syncs',
    'notification-script': 'notification_script',
    'client-reconfig-script': 'client_reconfig_script',
}


def require_sentinel(client: RedisClient) -> None:
    server = client.server_info()
    if not server.is_sentinel:
        raise RedisOpsError('%s is a %s data node (mode %s), not a Sentinel: point login_host/login_port at the '
                            'Sentinel (port 26379 by default)' % (client.target, server.flavor, server.mode))


def get_master(client: RedisClient, name: str) -> dict | None:
    """SENTINEL MASTER <name> as a dict, or None when the name is not monitored."""
    try:
        return pairs_to_dict(client.call('SENTINEL', 'MASTER', name))
    except RedisOpsError as exc:
        if 'NO SUCH MASTER' in exc.message.upper():
            return None
        raise


def list_masters(client: RedisClient) -> list:
    return [pairs_to_dict(entry) for entry in client.call('SENTINEL', 'MASTERS') or []]


def list_replicas(client: RedisClient, name: str) -> list:
    server = client.server_info()
    sub = 'REPLICAS' if server.flavor == 'valkey' or server.version >= (6, 2, 0) else 'SLAVES'
    return [pairs_to_dict(entry) for entry in client.call('SENTINEL', sub, name) or []]


def list_sentinels(client: RedisClient, name: str) -> list:
    return [pairs_to_dict(entry) for entry in client.call('SENTINEL', 'SENTINELS', name) or []]


def flags_of(entry: dict) -> list:
    return [flag for flag in str(entry.get('flags', '')).split(',') if flag]


def ckquorum(client: RedisClient, name: str) -> dict:
    try:
        message = client.call('SENTINEL', 'CKQUORUM', name)
        return dict(ok=True, message=str(message))
    except RedisOpsError as exc:
        # The server's own explanation (NOQUORUM / NOAUTH ...) sits after the last colon of our message.
        return dict(ok=False, message=exc.message)


def read_master_auth_from_config(client: RedisClient, name: str) -> dict | None:
    """auth-pass / auth-user of a monitored master, read from the Sentinel's own config file.

    Sentinel never returns auth-pass over the wire. The module usually runs on
    the Sentinel's host, so the file is at hand; it is trusted only when its
    ``sentinel myid`` is the id of the Sentinel we are connected to. Returns
    None when that cannot be established (file elsewhere, unreadable, no myid).
    """
    path = client.server_info().config_file
    if not path:
        return None
    try:
        with open(path, 'r', encoding='utf-8', errors='surrogateescape') as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    found = {'auth-pass': '', 'auth-user': ''}
    file_id = None
    for line in lines:
        args = split_config_args(line)
        if len(args) >= 3 and args[0].lower() == 'sentinel' and args[1].lower() == 'myid':
            file_id = args[2]
        elif len(args) >= 4 and args[0].lower() == 'sentinel' and args[1].lower() in found and args[2] == name:
            found[args[1].lower()] = args[3]
    try:
        live_id = str(client.call('SENTINEL', 'MYID'))
    except RedisOpsError:
        return None
    if not file_id or file_id != live_id:
        return None
    return found


# Flags of a monitored primary under which a failover is running or about to start.
FAILOVER_FLAGS = ('failover_in_progress', 'promoted', 'o_down', 's_down')


def failover_activity(master: dict) -> list:
    """What in a SENTINEL MASTER reply says a failover is running or may start (empty when none)."""
    found = [flag for flag in flags_of(master) if flag in FAILOVER_FLAGS]
    state = str(master.get('failover-state', 'none') or 'none')
    if state not in ('none', 'SENTINEL_FAILOVER_STATE_NONE'):
        found.append('failover-state %s' % state)
    return found


def _listed(entry: dict, expected: list, same) -> bool:
    return any(str(entry.get('port')) == str(port) and same(str(entry.get('ip')), str(host)) for host, port in expected)


def stale_entries(known: list, expected: list, same) -> list:
    """Entries of SENTINEL REPLICAS / SENTINELS whose ip:port is none of ``expected`` [(host, port)], as addresses.

    ``same(host_a, host_b)`` decides whether two hosts are one (same_address, or plain equality in unit tests).
    """
    return [format_address(entry.get('ip'), entry.get('port')) for entry in known
            if not _listed(entry, expected, same)]


def missing_entries(known: list, expected: list, same) -> list:
    """Addresses of ``expected`` [(host, port)] that no entry of ``known`` has."""
    return [format_address(host, port) for host, port in expected
            if not any(_listed(entry, [(host, port)], same) for entry in known)]
