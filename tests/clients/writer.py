# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded Sentinel-aware writer, as an application writes: redis-py's Sentinel.master_for.

Writes unique keys at a fixed rate, retrying each write (bounded) across failovers, and records every
acknowledged key. It stops when --stop-file appears, after --max-seconds or after --max-writes, then
reads every acknowledged key back from the primary Sentinel names at that moment and writes one JSON
result: acknowledged, errors, gave_up, longest write gap, missing keys. While running it rewrites
--progress with the acknowledged count, so a caller can see that writing resumed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel


def parse_args(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sentinels', required=True, help='host:port,host:port,...')
    parser.add_argument('--name', default='mymaster')
    parser.add_argument('--password-env', default='REDIS_OPS_PASSWORD', help='environment variable with the data password')
    parser.add_argument('--sentinel-password-env', default='REDIS_OPS_SENTINEL_PASSWORD')
    parser.add_argument('--username-env', default='REDIS_OPS_USERNAME', help='environment variable with an ACL user name')
    parser.add_argument('--tls-ca', default='', help='CA file: connect to Sentinels and data nodes with TLS')
    parser.add_argument('--tls-cert', default='', help='client certificate (with --tls-ca)')
    parser.add_argument('--tls-key', default='', help='key of the client certificate')
    parser.add_argument('--rate', type=float, default=200.0, help='writes per second at most')
    parser.add_argument('--max-seconds', type=float, default=120.0)
    parser.add_argument('--max-writes', type=int, default=100000)
    parser.add_argument('--retry-seconds', type=float, default=30.0, help='how long one write is retried before giving up')
    parser.add_argument('--stop-file', default='')
    parser.add_argument('--progress', default='')
    parser.add_argument('--result', default='')
    parser.add_argument('--mark-file', default='', help='count the writes after this file appears apart')
    parser.add_argument('--keys-out', default='', help='write the acknowledged keys to this file, one a line')
    parser.add_argument('--check-keys', default='', help='write nothing: read the keys of this file back, report')
    return parser.parse_args(argv)


def sentinel_addresses(text: str) -> list:
    addresses = []
    for item in text.split(','):
        host, _sep, port = item.strip().rpartition(':')
        addresses.append((host.strip('[]'), int(port)))
    return addresses


def missing_keys(client, keys: list) -> list:
    """The keys of the list that the primary does not hold."""
    missing = []
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        values = client.mget(chunk)
        missing += [key for key, value in zip(chunk, values) if value is None]
    return missing


def check_keys(args: argparse.Namespace, sentinel: Sentinel, client) -> int:
    """Read the keys an earlier run acknowledged back from the current primary (bounded retries while it starts)."""
    with open(args.check_keys, encoding='utf-8') as handle:
        keys = [line.strip() for line in handle if line.strip()]
    started, error_log = time.monotonic(), []
    while True:
        try:
            missing = missing_keys(client, keys)
            host, port = sentinel.discover_master(args.name)
            break
        except redis.RedisError as exc:
            error_log.append('%.3fs %s: %s' % (time.monotonic() - started, type(exc).__name__, str(exc)[:200]))
            if time.monotonic() - started > args.retry_seconds:
                raise
            time.sleep(0.5)
    result = dict(client='redis-py %s' % redis.__version__, checked=len(keys), missing=len(missing),
                  missing_sample=missing[:5], primary='%s:%s' % (host, port), error_log=error_log[:20])
    text = json.dumps(result)
    if args.result:
        with open(args.result, 'w', encoding='utf-8') as handle:
            handle.write(text + '\n')
    print(text)
    return 0 if keys and not missing else 1


def partition_counts(acknowledged_index: list, missing_index: set, mark_index, refused_index) -> dict:
    """Writes acknowledged and lost before the mark, after it, and after it but before the first refusal."""
    mark = len(acknowledged_index) if mark_index is None else mark_index
    refusal = refused_index if refused_index is not None else float('inf')
    after = [index for index in acknowledged_index if index >= mark]
    window = [index for index in after if index < refusal]
    return dict(marked=mark_index is not None,
                acknowledged_after_mark=len(after), missing_after_mark=len(missing_index.intersection(after)),
                missing_before_mark=len([index for index in missing_index if index < mark]),
                acknowledged_before_refusal=len(window),
                missing_after_refusal=len([index for index in missing_index if index >= refusal]))


def main(argv: list) -> int:
    args = parse_args(argv)
    password = os.environ.get(args.password_env) or None
    sentinel_password = os.environ.get(args.sentinel_password_env) or None
    username = os.environ.get(args.username_env) or None
    tls = dict(ssl=True, ssl_ca_certs=args.tls_ca, ssl_certfile=args.tls_cert or None,
               ssl_keyfile=args.tls_key or None) if args.tls_ca else {}
    # A Sentinel on a host that is down costs a connect timeout on every discovery. redis-py retries each
    # Sentinel connection itself by default (and that nests inside the retries of the data connection and
    # of each command), which made one write wait about 45 s after a primary's host went down; with no
    # retry on the Sentinel connections, discovery moves on to the next Sentinel at once.
    sentinel = Sentinel(sentinel_addresses(args.sentinels), socket_timeout=0.5,
                        sentinel_kwargs=dict(password=sentinel_password, socket_timeout=0.5,
                                             socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0), **tls),
                        **tls)
    client = sentinel.master_for(args.name, username=username, password=password, socket_timeout=1.0,
                                 socket_connect_timeout=1.0)
    if args.check_keys:
        return check_keys(args, sentinel, client)
    prefix = 'writer:%s:' % uuid.uuid4().hex[:12]
    acknowledged, errors, gave_up = [], 0, 0
    error_log = []  # the first errors, with when they happened, to explain a long gap
    started = time.monotonic()
    last_ack = None
    longest_gap, gap_ended_at = 0.0, None
    last_progress = 0.0
    index = 0
    # Index of the first write started after --mark-file appeared, of the first write a primary refused for
    # lack of replicas after the mark, and how many refusals there were.
    mark_index, refused_index, refused = None, None, 0
    mark_at, refused_at = None, None
    acknowledged_index = []

    def write_progress():
        with open(args.progress + '.tmp', 'w', encoding='utf-8') as handle:
            json.dump(dict(acknowledged=len(acknowledged), errors=errors, gave_up=gave_up, refused=refused,
                           marked=mark_index is not None), handle)
        os.replace(args.progress + '.tmp', args.progress)

    while (index < args.max_writes and time.monotonic() - started < args.max_seconds
           and not (args.stop_file and os.path.exists(args.stop_file))):
        key = prefix + str(index)
        if mark_index is None and args.mark_file and os.path.exists(args.mark_file):
            mark_index, mark_at = index, time.monotonic()
        first_try = time.monotonic()
        while True:
            try:
                client.set(key, index)
                break
            except redis.RedisError as exc:
                errors += 1
                if str(exc).startswith('NOREPLICAS') and mark_index is not None:
                    refused += 1
                    if refused_index is None:
                        refused_index, refused_at = index, time.monotonic()
                if len(error_log) < 20:
                    error_log.append('%.3fs %s: %s' % (time.monotonic() - started, type(exc).__name__, str(exc)[:200]))
                if args.progress and time.monotonic() - last_progress > 0.25:
                    # Also while one write is retried: a caller waits for the refusals to show.
                    last_progress = time.monotonic()
                    write_progress()
                if time.monotonic() - first_try > args.retry_seconds:
                    gave_up += 1
                    key = None
                    break
                time.sleep(0.05)
        now = time.monotonic()
        if key is not None:
            if last_ack is not None and now - last_ack > longest_gap:
                longest_gap, gap_ended_at = now - last_ack, now - started
            last_ack = now
            acknowledged.append(key)
            acknowledged_index.append(index)
        index += 1
        if args.progress and now - last_progress > 0.25:
            last_progress = now
            write_progress()
        time.sleep(max(0.0, 1.0 / args.rate - (time.monotonic() - first_try)))

    # Read every acknowledged key back from whoever is primary now.
    missing = missing_keys(client, acknowledged)
    if args.keys_out:
        with open(args.keys_out, 'w', encoding='utf-8') as handle:
            handle.writelines(key + '\n' for key in acknowledged)
    host, port = sentinel.discover_master(args.name)
    result = dict(client='redis-py %s' % redis.__version__, acknowledged=len(acknowledged), errors=errors,
                  gave_up=gave_up, missing=len(missing), missing_sample=missing[:5],
                  longest_gap_seconds=round(longest_gap, 3),
                  gap_ended_after_seconds=round(gap_ended_at, 3) if gap_ended_at is not None else None,
                  seconds=round(time.monotonic() - started, 3), primary='%s:%s' % (host, port), error_log=error_log)
    if args.mark_file:
        result.update(partition_counts(acknowledged_index, set(int(key.rpartition(':')[2]) for key in missing),
                                       mark_index, refused_index), refused=refused,
                      refused_after_mark_seconds=round(refused_at - mark_at, 3) if refused_at is not None else None)
    text = json.dumps(result)
    if args.result:
        with open(args.result, 'w', encoding='utf-8') as handle:
            handle.write(text + '\n')
    print(text)
    return 0 if not missing and not gave_up else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
