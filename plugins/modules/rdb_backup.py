#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: rdb_backup
short_description: Take an RDB snapshot of a Redis or Valkey data node, check it, and copy it aside with its manifest
version_added: 0.1.0
description:
  - Sends C(BGSAVE) and waits until it has finished. A snapshot that already runs is waited for first, and a second
    one is never started next to it; while an AOF rewrite runs, the snapshot is scheduled behind it
    (C(BGSAVE SCHEDULE)).
  - Copies the file the server wrote (its C(dir) and C(dbfilename)) to O(dest) at once, so that a later save cannot
    replace it, checks the copy with C(redis-check-rdb) (C(valkey-check-rdb) on Valkey), and returns its manifest -
    RDB format version, the server's version, the time of the snapshot, the replication id and offset it holds, keys
    per database, size and SHA-256.
  - Runs on the data node's host, as it reads the server's data directory. The collection's C(playbooks/backup.yml)
    picks a replica (the primary only when no replica is healthy), runs the module there and fetches the copy to the
    controller.
  - Nothing is changed on the server but the snapshot file that C(BGSAVE) writes anyway.
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Checks the inputs, the server and the check tool, reports the plan, and sends no C(BGSAVE).
  diff_mode:
    support: none
    description: A snapshot has no before and after to show; RV(manifest) says what was taken.
  platform:
    platforms: posix
    support: full
    description: Reads the server's data directory and writes O(dest) on the host the module runs on.
  safe_file_operations:
    support: full
    description: The copy is written to a temporary file (mode C(0600)) next to O(dest) and renamed into place.
options:
  dest:
    description:
      - The file on the host the snapshot is copied to. Its directory must exist; it must not be the server's own
        snapshot file. Created with mode C(0600) unless O(mode) says otherwise.
    type: path
    required: true
  timeout:
    description:
      - Seconds to wait for a snapshot that already runs, and then for this one.
    type: int
    default: 600
  check:
    description:
      - Check the copy with O(check_command) before returning; a copy that fails is kept at O(dest) for inspection and
        the module fails.
    type: bool
    default: true
  check_command:
    description:
      - The RDB checker. Default C(valkey-check-rdb) on Valkey, C(redis-check-rdb) on Redis, from C(PATH).
    type: path
seealso:
  - module: redis_ops.replication.replication_facts
'''

EXAMPLES = r'''
- name: Snapshot this replica into /var/backups
  redis_ops.replication.rdb_backup:
    login_password: "{{ redis_password }}"
    dest: /var/backups/redis-6379.rdb
  register: snapshot

- name: Show where it comes from
  ansible.builtin.debug:
    msg: "{{ snapshot.manifest.replication_id }} at {{ snapshot.manifest.replication_offset }}"
'''

RETURN = r'''
manifest:
  description: What the snapshot is; empty in check mode.
  returned: always
  type: dict
  contains:
    source:
      description: The server the snapshot was taken on, as C(host:port) of the connection.
      type: str
    role:
      description: Its role then, C(primary) or C(replica).
      type: str
    server_flavor:
      description: C(redis) or C(valkey).
      type: str
    server_version:
      description: The version of the server that wrote the file.
      type: str
    rdb_version:
      description: The RDB format version from the file's header (C(10) for Redis 7.0, C(12) for Redis 7.4+).
      type: int
    created:
      description: When the server wrote the snapshot, UTC, ISO 8601 (from the file's C(ctime)).
      type: str
    created_epoch:
      description: The same in seconds since the epoch.
      type: int
    replication_id:
      description: The replication id the snapshot continues (the primary's), from the file (C(repl-id)) or, when the
        file has none, from C(INFO replication).
      type: str
    replication_offset:
      description: The replication offset the snapshot holds the data up to, from the same place.
      type: int
    keyspace:
      description: Keys and keys with an expiry per database, from C(INFO keyspace) when the snapshot started.
      type: dict
    keys_read:
      description: Keys the checker read from the copy (all databases); null without O(check).
      type: int
    size:
      description: Bytes.
      type: int
    sha256:
      description: SHA-256 of the copy.
      type: str
  sample:
    source: 10.0.0.12:6379
    role: replica
    server_flavor: redis
    server_version: 7.0.15
    rdb_version: 10
    created: "2026-12-04T08:00:00Z"
    created_epoch: 1796371200
    replication_id: 2f0c5c5e7e7d4b1f9a0a1b2c3d4e5f60718293a4
    replication_offset: 183204
    keyspace: {db0: {keys: 1000, expires: 10}}
    keys_read: 1000
    size: 48211
    sha256: 4f1e...
path:
  description: O(dest).
  returned: always
  type: str
waited_for_running_save:
  description: Whether a snapshot that already ran was waited for first.
  returned: always
  type: bool
plan:
  description: What the module does (or would do in check mode), in words.
  returned: always
  type: list
  elements: str
commands:
  description: Commands sent that make the server do something (C(BGSAVE)); empty in check mode.
  returned: always
  type: list
  elements: str
'''

import os
import shutil
import tempfile
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.redis_ops.replication.plugins.module_utils.rdb import (
    RdbError,
    describe_file,
    find_checker,
    keyspace_counts,
    run_checker,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisClient,
    RedisOpsError,
    check_file_path,
    connection_argument_spec,
    module_kwargs,
    run_module,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import config_get_to_dict

POLL = 0.1


class RdbBackup:
    def __init__(self, module: AnsibleModule, client: RedisClient) -> None:
        self.module = module
        self.params = module.params
        self.client = client
        self.commands: list = []
        self.plan: list = []
        self.deadline = 0.0

    def run(self) -> dict:
        server = self.client.server_info()
        if server.is_sentinel:
            raise RedisOpsError('%s is a Sentinel, which keeps no data: point the module at a data node; nothing was '
                                'done' % self.client.target)
        dest = self.params['dest']
        timeout = self.params['timeout']
        if timeout < 1:
            raise RedisOpsError('timeout must be at least 1 second, got %d; nothing was done' % timeout)
        source = self._source_path()
        self._check_dest(dest, source)
        checker = self._checker(server.flavor) if self.params['check'] else None

        self.plan.append('snapshot %s with BGSAVE (after any snapshot that runs already)' % self.client.target)
        self.plan.append('copy %s to %s' % (source, dest))
        if checker:
            self.plan.append('check the copy with %s' % os.path.basename(checker))
        result = dict(changed=True, path=dest, plan=self.plan, commands=self.commands, manifest={},
                      waited_for_running_save=False)
        if self.module.check_mode:
            return result

        self.deadline = time.monotonic() + timeout
        result['waited_for_running_save'] = self._wait_idle('a snapshot that was already running')
        keys = keyspace_counts(self.client.info('keyspace'))
        self._bgsave()
        replication = self.client.info('replication')
        self._copy(source, dest)
        try:
            described = describe_file(dest)
        except (OSError, RdbError) as exc:
            raise RedisOpsError('the copy %s of the snapshot cannot be read as an RDB file: %s; it is kept there for '
                                'inspection' % (dest, exc), changed=True, commands=self.commands) from exc
        keys_read = self._check_copy(checker, dest) if checker else None
        result['manifest'] = self._manifest(server, described, replication, keys, keys_read)
        result['changed'] = self.module.set_fs_attributes_if_different(self._file_args(), True)
        return result

    # --- before anything is sent ------------------------------------------------------------------------------------

    def _source_path(self) -> str:
        config = config_get_to_dict(self.client.call('CONFIG', 'GET', 'dir'))
        config.update(config_get_to_dict(self.client.call('CONFIG', 'GET', 'dbfilename')))
        return os.path.join(config.get('dir', ''), config.get('dbfilename', 'dump.rdb'))

    @staticmethod
    def _check_dest(dest: str, source: str) -> None:
        check_file_path(dest, 'dest', 'nothing was done')
        if os.path.realpath(dest) == os.path.realpath(source):
            raise RedisOpsError('dest is the server\'s own snapshot file %s: give another path; nothing was done'
                                % source)

    def _checker(self, flavor: str) -> str:
        found = find_checker(flavor, self.params['check_command'])
        if not found:
            wanted = self.params['check_command'] or ('valkey-check-rdb' if flavor == 'valkey' else 'redis-check-rdb')
            raise RedisOpsError('the RDB checker %s is not installed on this host (Debian: redis-tools or valkey-tools);'
                                ' install it, or set check=false; nothing was done' % wanted)
        return found

    # --- the snapshot -----------------------------------------------------------------------------------------------

    def _persistence(self) -> dict:
        return self.client.info('persistence')

    def _wait_idle(self, what: str) -> bool:
        """Wait while a snapshot runs; True when one did."""
        waited = False
        while int(self._persistence().get('rdb_bgsave_in_progress', 0)):
            waited = True
            self._sleep_or_fail('%s on %s to finish' % (what, self.client.target))
        return waited

    def _sleep_or_fail(self, what: str) -> None:
        if time.monotonic() >= self.deadline:
            raise RedisOpsError('timed out after %d s waiting for %s; nothing was copied' % (self.params['timeout'], what),
                                changed=bool(self.commands), commands=self.commands)
        time.sleep(POLL)

    def _bgsave(self) -> None:
        before = self._persistence()
        saves = before.get('rdb_saves')
        last = self._lastsave()
        if saves is None:
            # Servers before 7.0 count no saves: LASTSAVE (whole seconds) must be able to move.
            while int(time.time()) <= last:
                time.sleep(POLL)
        for _attempt in range(3):
            try:
                self.client.call('BGSAVE')
                self.commands.append('BGSAVE')
                break
            except RedisOpsError as exc:
                message = exc.message.lower()
                if 'append only' in message or 'aof' in message:
                    self.client.call('BGSAVE', 'SCHEDULE')
                    self.commands.append('BGSAVE SCHEDULE')
                    break
                if 'already in progress' not in message:
                    raise
                # An automatic save started since the check: wait for it, then take ours.
                self._wait_idle('an automatic snapshot')
        else:
            raise RedisOpsError('%s kept starting other snapshots; BGSAVE was not accepted' % self.client.target)
        while True:
            state = self._persistence()
            done = not int(state.get('rdb_bgsave_in_progress', 0))
            moved = (int(state.get('rdb_saves', 0)) > int(saves)) if saves is not None else \
                self._lastsave() > last
            if done and moved:
                break
            self._sleep_or_fail('the snapshot (BGSAVE) on %s to finish' % self.client.target)
        if str(state.get('rdb_last_bgsave_status', 'ok')) != 'ok':
            raise RedisOpsError('the snapshot (BGSAVE) on %s failed (rdb_last_bgsave_status: %s): see the server\'s '
                                'log, e.g. a full disk or a data directory it cannot write; nothing was copied'
                                % (self.client.target, state.get('rdb_last_bgsave_status')),
                                changed=True, commands=self.commands)

    def _lastsave(self) -> int:
        reply = self.client.call('LASTSAVE')
        # redis-py turns the reply into a datetime.
        return int(reply.timestamp()) if isinstance(reply, datetime) else int(reply)

    def _copy(self, source: str, dest: str) -> None:
        directory = os.path.dirname(dest) or '.'
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(dest))
            os.close(fd)
            os.chmod(tmp, 0o600)
            # The server replaces its file by rename: this reads one whole snapshot, ours or a newer one.
            shutil.copyfile(source, tmp)
            # os.replace keeps the 0600 of the temporary file; the wanted owner and mode are set after the check.
            os.replace(tmp, dest)
        except OSError as exc:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            raise RedisOpsError('cannot copy the snapshot %s to %s: %s (run the module on the server\'s host, with '
                                'the rights to read its data directory)' % (source, dest, exc),
                                changed=True, commands=self.commands) from exc

    def _check_copy(self, checker: str, dest: str) -> int | None:
        checked = run_checker(self.module.run_command, checker, dest)
        if not checked['ok']:
            raise RedisOpsError('the snapshot copied to %s fails %s (rc %d): %s; it is kept there for inspection'
                                % (dest, os.path.basename(checker), checked['rc'], checked['summary']),
                                changed=True, commands=self.commands)
        return checked['keys_read']

    def _manifest(self, server, described: dict, replication: dict, keys: dict, keys_read: int | None) -> dict:
        aux = described['aux']
        created = int(aux.get('ctime') or time.time())
        role = 'replica' if str(replication.get('role')) == 'slave' else 'primary'
        if aux.get('repl-id'):
            repl_id, repl_offset = aux['repl-id'], int(aux.get('repl-offset') or 0)
        else:
            repl_id = str(replication.get('master_replid', ''))
            repl_offset = int(replication.get('slave_repl_offset', replication.get('master_repl_offset', 0)) or 0)
        return dict(
            source=self.client.target, role=role, server_flavor=server.flavor,
            server_version=server.version_string, rdb_version=described['rdb_version'],
            created=datetime.fromtimestamp(created, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
            created_epoch=created, replication_id=repl_id, replication_offset=repl_offset, keyspace=keys,
            keys_read=keys_read, size=described['size'], sha256=described['sha256'])

    def _file_args(self) -> dict:
        file_args = self.module.load_file_common_arguments(self.params)
        if file_args.get('mode') is None:
            file_args['mode'] = '0600'
        return file_args


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        dest=dict(type='path', required=True),
        timeout=dict(type='int', default=600),
        check=dict(type='bool', default=True),
        check_command=dict(type='path'),
    )
    module = AnsibleModule(**module_kwargs(argument_spec, add_file_common_args=True))
    run_module(module, lambda client: RdbBackup(module, client).run())


if __name__ == '__main__':
    main()
