# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the head of an RDB file: its format version and the auxiliary fields the server wrote (private API).

An RDB file starts with a magic (``REDIS``, or ``VALKEY`` in Valkey's own formats) and a version of four (or three)
digits, then auxiliary fields (opcode 0xFA, a name and a value, both RDB strings): the server's version
(``redis-ver``/``valkey-ver``), the time of the snapshot (``ctime``), and on a snapshot for a replica or from BGSAVE
the replication id and offset it continues from (``repl-id``, ``repl-offset``). Only that head is read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct

_MAGIC = re.compile(rb'^(REDIS|VALKEY)(\d{3,4})')
_OPCODE_AUX = 0xFA
_HEAD_BYTES = 64 * 1024


class RdbError(ValueError):
    """A file that does not start like an RDB file."""


def _length(data: bytes, pos: int) -> tuple:
    """(value, is_encoded, next position) of an RDB length at ``pos``."""
    if pos >= len(data):
        raise RdbError('the file ends inside its header')
    first = data[pos]
    kind = first >> 6
    if kind == 0:
        return first & 0x3F, False, pos + 1
    if kind == 1:
        if pos + 1 >= len(data):
            raise RdbError('the file ends inside its header')
        return ((first & 0x3F) << 8) | data[pos + 1], False, pos + 2
    if kind == 2:
        if first == 0x80:
            return struct.unpack('>I', data[pos + 1:pos + 5])[0], False, pos + 5
        if first == 0x81:
            return struct.unpack('>Q', data[pos + 1:pos + 9])[0], False, pos + 9
        raise RdbError('unknown length encoding 0x%02x' % first)
    return first & 0x3F, True, pos + 1


def _string(data: bytes, pos: int) -> tuple:
    """(text, next position) of an RDB string at ``pos`` (integers as their decimal text)."""
    value, encoded, pos = _length(data, pos)
    if not encoded:
        if pos + value > len(data):
            raise RdbError('the file ends inside its header')
        return data[pos:pos + value].decode('utf-8', 'replace'), pos + value
    sizes = {0: ('<b', 1), 1: ('<h', 2), 2: ('<i', 4)}
    if value in sizes:
        fmt, size = sizes[value]
        if pos + size > len(data):
            raise RdbError('the file ends inside its header')
        return str(struct.unpack(fmt, data[pos:pos + size])[0]), pos + size
    if value == 3:  # LZF-compressed: not expected in the auxiliary fields; skipped
        compressed, _encoded, pos = _length(data, pos)
        _plain, _encoded, pos = _length(data, pos)
        return '', pos + compressed
    raise RdbError('unknown string encoding %d' % value)


def read_head(data: bytes) -> dict:
    """{'magic', 'rdb_version', 'aux': {name: value}} from the first bytes of an RDB file."""
    match = _MAGIC.match(data)
    if not match:
        raise RdbError('it does not start with REDIS or VALKEY and a format version')
    pos = match.end()
    aux = {}
    while pos < len(data) and data[pos] == _OPCODE_AUX:
        try:
            name, pos = _string(data, pos + 1)
            value, pos = _string(data, pos)
        except (RdbError, struct.error):
            break  # a head cut short by _HEAD_BYTES: what was read is enough
        aux[name] = value
    return dict(magic=match.group(1).decode('ascii'), rdb_version=int(match.group(2)), aux=aux)


def describe_file(path: str) -> dict:
    """The head of the RDB file at ``path`` plus its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    head = b''
    with open(path, 'rb') as handle:
        while True:
            chunk = handle.read(1024 * 1024)
            if not chunk:
                break
            if len(head) < _HEAD_BYTES:
                head += chunk[:_HEAD_BYTES - len(head)]
            digest.update(chunk)
            size += len(chunk)
    result = read_head(head)
    result.update(size=size, sha256=digest.hexdigest())
    return result


def keyspace_counts(info: dict) -> dict:
    """{'db0': {'keys': n, 'expires': m}} from an INFO keyspace reply (parsed by the client or not)."""
    counts = {}
    for name, value in info.items():
        if not (name.startswith('db') and name[2:].isdigit()):
            continue
        if isinstance(value, str):
            value = dict(item.split('=', 1) for item in value.split(',') if '=' in item)
        counts[name] = dict(keys=int(value.get('keys', 0)), expires=int(value.get('expires', 0)))
    return counts


def find_checker(flavor: str, command: str | None = None) -> str | None:
    """The path of the RDB checker: ``command``, or the flavor's own (``valkey-check-rdb``, ``redis-check-rdb``) from
    PATH; None when it is not installed. It is the server's own binary (a link to it), so it loads what the server
    loads."""
    wanted = command or ('valkey-check-rdb' if flavor == 'valkey' else 'redis-check-rdb')
    if os.path.isabs(wanted):
        return wanted if os.access(wanted, os.X_OK) else None
    return shutil.which(wanted)


def _count(pattern: str, text: str) -> int | None:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else None


def run_checker(run_command, checker: str, path: str) -> dict:
    """Run ``checker`` on ``path`` with ``run_command`` (AnsibleModule.run_command).

    Returns ``ok``, ``rc``, the counts it prints (``keys_read``, ``expires``, ``already_expired``), the last lines as
    ``summary``, and ``unsupported_version``: the RDB format version the checker (and so its server) cannot handle,
    or None.
    """
    rc, out, err = run_command([checker, path])
    text = '%s\n%s' % (out, err)
    return dict(
        ok=rc == 0 and 'looks ok' in text.lower(),
        rc=rc,
        keys_read=_count(r'(\d+) keys read', text),
        expires=_count(r'(\d+) expires', text),
        already_expired=_count(r'(\d+) already expired', text),
        unsupported_version=_count(r"Can't handle RDB format version (\d+)", text),
        summary=' | '.join(line.strip() for line in text.strip().splitlines()[-4:]),
    )
