#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: rdb_restore
short_description: Check an RDB backup against a Redis or Valkey data node, put it in place, and load it
version_added: 0.1.0
description:
  - The three steps of a restore on one data node, run by the collection's C(playbooks/restore.yml) around stopping
    and starting the node's unit.
  - O(state=checked), with the server running, changes nothing. It reads where the server keeps its files (C(dir),
    C(dbfilename), C(appendonly), C(appenddirname), its configuration file) and the keys it holds. Given O(src), it
    checks the backup file's SHA-256 against O(sha256), reads its RDB format version, and runs the server's own
    checker (C(redis-check-rdb), C(valkey-check-rdb) on Valkey) on it. The checker is the server's binary, so a
    backup whose RDB format this server cannot load is refused, naming the file's RDB version and the server's
    version; no table of versions is involved.
  - O(state=placed), with the server stopped, moves the node's snapshot file and AOF directory aside into
    O(aside) under the data directory (replacing what an earlier restore left there) and, given O(src), puts the
    backup in place as the server's snapshot file, owned like the data directory, mode C(0600). A server that still
    answers on its port is refused.
  - O(state=loaded), with the server started again, waits until it has loaded its data, checks the keys it holds
    against O(expect_count), and with O(appendonly=true) turns the AOF on live (C(CONFIG SET appendonly yes)) and
    waits until the server has written a fresh AOF from the loaded data. A server with C(appendonly yes) in its file
    loads its AOF, not the snapshot, which is why the playbook starts the restored primary with C(appendonly no).
author:
  - Redis Ops Team (@redis-ops)
extends_documentation_fragment:
  - redis_ops.replication.connection
attributes:
  check_mode:
    support: full
    description: O(state=checked) runs in full, as it changes nothing; the other states report their plan only.
  diff_mode:
    support: none
    description: RV(plan) says which files are moved and placed, and which commands are sent.
  platform:
    platforms: posix
    support: full
    description: Reads and writes the server's data directory on the host the module runs on.
options:
  state:
    description:
      - V(checked) reads the server and checks O(src) (server running, nothing changed).
      - V(placed) moves the data files aside and puts O(src) in place (server stopped).
      - V(loaded) waits for the loaded data and turns the AOF on if asked (server running).
    type: str
    required: true
    choices: [checked, placed, loaded]
  src:
    description:
      - The backup file (an RDB file) on the host the module runs on. With O(state=checked) it is checked; with
        O(state=placed) it becomes the server's snapshot file. Leave it out on nodes that get their data from the
        primary (their files are only moved aside).
    type: path
  sha256:
    description:
      - The SHA-256 the backup must have (from its manifest). Checked with O(state=checked) and again after the copy
        with O(state=placed); a mismatch fails before anything is changed.
    type: str
  check_command:
    description:
      - The RDB checker. Default C(valkey-check-rdb) on Valkey, C(redis-check-rdb) on Redis, from C(PATH).
    type: path
  data_dir:
    description:
      - The server's data directory (RV(files.dir) of O(state=checked)). Required with O(state=placed).
    type: path
  dbfilename:
    description:
      - The server's snapshot file name in O(data_dir) (RV(files.dbfilename)).
    type: str
    default: dump.rdb
  aof_dirname:
    description:
      - The server's AOF directory name in O(data_dir) (RV(files.appenddirname)); moved aside with the snapshot.
    type: str
    default: appendonlydir
  aside:
    description:
      - Name of the directory in O(data_dir) that keeps the files the node had before the restore. An earlier one
        of that name is replaced.
    type: str
    default: before-restore
  expect_count:
    description:
      - With O(state=loaded), the keys the backup holds (the checker's count, RV(backup.keys_read)). The server must
        hold that many, fewer only by keys with an expiry (O(expect_expires)) that expired meanwhile.
    type: int
  expect_expires:
    description:
      - With O(state=loaded), how many of O(expect_count) carry an expiry (RV(backup.expires)).
    type: int
    default: 0
  appendonly:
    description:
      - With O(state=loaded), turn the AOF on live and wait until the server has written a fresh AOF of the loaded
        data. Nothing is sent when it is on already.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for the data to load and for the AOF rewrite.
    type: int
    default: 600
seealso:
  - module: redis_ops.replication.rdb_backup
'''

EXAMPLES = r'''
- name: Check the backup against the server that will load it
  redis_ops.replication.rdb_restore:
    state: checked
    login_password: "{{ redis_password }}"
    src: /tmp/restore/backup.rdb
    sha256: "{{ manifest.sha256 }}"
  register: checked

- name: Stop the server
  ansible.builtin.systemd_service:
    name: redis-6379.service
    state: stopped

- name: Put the backup in place
  redis_ops.replication.rdb_restore:
    state: placed
    src: /tmp/restore/backup.rdb
    sha256: "{{ manifest.sha256 }}"
    data_dir: "{{ checked.files.dir }}"
    dbfilename: "{{ checked.files.dbfilename }}"
    aof_dirname: "{{ checked.files.appenddirname }}"

- name: Start the server (with appendonly no in its file), then turn the AOF on
  redis_ops.replication.rdb_restore:
    state: loaded
    login_password: "{{ redis_password }}"
    expect_count: "{{ checked.backup.keys_read }}"
    expect_expires: "{{ checked.backup.expires }}"
    appendonly: "{{ checked.files.appendonly }}"
'''

RETURN = r'''
server:
  description: The server read (O(state=checked) and O(state=loaded)); empty with O(state=placed).
  returned: always
  type: dict
  contains:
    flavor:
      description: C(redis) or C(valkey).
      type: str
    version:
      description: Its version.
      type: str
    role:
      description: C(primary) or C(replica).
      type: str
  sample: {flavor: redis, version: 7.0.15, role: primary}
files:
  description: Where the server keeps its data (O(state=checked)); empty otherwise.
  returned: always
  type: dict
  contains:
    dir:
      description: The data directory.
      type: str
    dbfilename:
      description: The snapshot file's name.
      type: str
    appendonly:
      description: Whether the AOF is on.
      type: bool
    appenddirname:
      description: The AOF directory's name (Redis 7.0 and newer, Valkey).
      type: str
    config_file:
      description: The configuration file the server was started with, from C(INFO server).
      type: str
  sample: {dir: /var/lib/redis/6379, dbfilename: dump.rdb, appendonly: true, appenddirname: appendonlydir,
           config_file: /etc/redis/6379/redis.conf}
key_count:
  description: Keys the server holds in all databases (O(state=checked) before, O(state=loaded) after the restore).
  returned: always
  type: int
keyspace:
  description: Keys and keys with an expiry per database, from C(INFO keyspace).
  returned: always
  type: dict
backup:
  description: What O(src) is (O(state=checked) with O(src)); empty otherwise.
  returned: always
  type: dict
  contains:
    rdb_version:
      description: The RDB format version from the file's head.
      type: int
    written_by:
      description: The server and version that wrote it, from the file's head (e.g. C(redis 7.0.15)), when it says.
      type: str
    created:
      description: When it was written, UTC, ISO 8601, from the file's head, when it says.
      type: str
    size:
      description: Bytes.
      type: int
    sha256:
      description: Its SHA-256.
      type: str
    keys_read:
      description: Keys the checker read.
      type: int
    expires:
      description: Of those, keys with an expiry.
      type: int
  sample: {rdb_version: 10, written_by: redis 7.0.15, created: "2026-12-04T08:00:00Z", size: 48211,
           sha256: 4f1e..., keys_read: 600, expires: 50}
moved_aside:
  description: Paths moved into O(aside) (O(state=placed)).
  returned: always
  type: list
  elements: str
placed:
  description: The snapshot file O(src) was put in place as (O(state=placed) with O(src)), else null.
  returned: always
  type: str
aof_rewritten:
  description: Whether the AOF was turned on and a fresh one written (O(state=loaded)).
  returned: always
  type: bool
plan:
  description: What the module does (or would do in check mode), in words.
  returned: always
  type: list
  elements: str
commands:
  description: Commands sent that change the server; empty in check mode.
  returned: always
  type: list
  elements: str
'''

import hashlib
import os
import shutil
import socket
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
    connection_argument_spec,
    describe_target,
    module_kwargs,
    run_module,
    validate_connection_params,
)
from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import config_get_to_dict

POLL = 0.1
NOTHING = 'nothing was changed'


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _total(keyspace: dict) -> int:
    return sum(db['keys'] for db in keyspace.values())


class RdbRestore:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.plan: list = []
        self.commands: list = []
        self.result = dict(changed=False, server={}, files={}, key_count=0, keyspace={}, backup={}, moved_aside=[],
                           placed=None, aof_rewritten=False, plan=self.plan, commands=self.commands)

    # --- state=checked ----------------------------------------------------------------------------------------------

    def checked(self, client: RedisClient) -> dict:
        server = self._server(client)
        config = {}
        for name in ('dir', 'dbfilename', 'appendonly', 'appenddirname'):
            config.update(config_get_to_dict(client.call('CONFIG', 'GET', name)))
        self.result['files'] = dict(
            dir=config.get('dir', ''), dbfilename=config.get('dbfilename', 'dump.rdb'),
            appendonly=str(config.get('appendonly', 'no')).lower() == 'yes',
            appenddirname=config.get('appenddirname') or None,
            config_file=str(client.info('server').get('config_file') or '') or None)
        self._read_keys(client)
        src = self.params['src']
        if src:
            self.result['backup'] = self._check_backup(src, server)
            self.plan.append('%s checked: RDB %d, %s keys; %s can load it'
                             % (src, self.result['backup']['rdb_version'], self.result['backup']['keys_read'],
                                self.result['server']['flavor'] + ' ' + self.result['server']['version']))
        self.plan.append('%s holds %d keys' % (client.target, self.result['key_count']))
        return self.result

    def _server(self, client: RedisClient):
        server = client.server_info()
        if server.is_sentinel:
            raise RedisOpsError('%s is a Sentinel, which keeps no data: point the module at a data node; %s'
                                % (client.target, NOTHING))
        role = str(client.info('replication').get('role'))
        self.result['server'] = dict(flavor=server.flavor, version=server.version_string,
                                     role='replica' if role == 'slave' else 'primary')
        return server

    def _read_keys(self, client: RedisClient) -> None:
        self.result['keyspace'] = keyspace_counts(client.info('keyspace'))
        self.result['key_count'] = _total(self.result['keyspace'])

    def _check_backup(self, src: str, server) -> dict:
        if not os.path.isfile(src):
            raise RedisOpsError('the backup file %s does not exist on this host; %s' % (src, NOTHING))
        try:
            described = describe_file(src)
        except OSError as exc:
            raise RedisOpsError('cannot read the backup file %s: %s; %s' % (src, exc, NOTHING)) from exc
        except RdbError as exc:
            raise RedisOpsError('the backup file %s is not an RDB file (%s); %s' % (src, exc, NOTHING)) from exc
        self._compare_sha256(src, described['sha256'])
        aux = described['aux']
        writer = ('valkey ' + aux['valkey-ver']) if aux.get('valkey-ver') else \
            ('redis ' + aux['redis-ver']) if aux.get('redis-ver') else None
        created = None
        if str(aux.get('ctime', '')).isdigit():
            created = datetime.fromtimestamp(int(aux['ctime']), tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        checker = find_checker(server.flavor, self.params['check_command'])
        if not checker:
            wanted = self.params['check_command'] or \
                ('valkey-check-rdb' if server.flavor == 'valkey' else 'redis-check-rdb')
            raise RedisOpsError('the RDB checker %s is not installed on this host (Debian: redis-tools or '
                                'valkey-tools); it proves that this server can load the backup; %s' % (wanted, NOTHING))
        checked = run_checker(self.module.run_command, checker, src)
        this_server = '%s %s' % (server.flavor, server.version_string)
        if checked['unsupported_version'] is not None:
            raise RedisOpsError(
                'the backup %s is RDB format version %d%s; %s on this node cannot load it (%s: %s). Restore it into '
                'servers of that version or newer; %s'
                % (src, described['rdb_version'], (', written by ' + writer) if writer else '', this_server,
                   os.path.basename(checker), checked['summary'], NOTHING))
        if not checked['ok']:
            raise RedisOpsError('the backup %s fails %s (rc %d): %s. It is damaged: take another backup; %s'
                                % (src, os.path.basename(checker), checked['rc'], checked['summary'], NOTHING))
        return dict(rdb_version=described['rdb_version'], written_by=writer, created=created,
                    size=described['size'], sha256=described['sha256'], keys_read=checked['keys_read'],
                    expires=checked['expires'] or 0)

    def _compare_sha256(self, path: str, actual: str) -> None:
        expected = (self.params['sha256'] or '').strip().lower()
        if expected and expected != actual:
            raise RedisOpsError('the backup file %s has SHA-256 %s, but its manifest says %s: it is damaged or not the '
                                'file the manifest describes; %s' % (path, actual, expected, NOTHING))

    # --- state=placed -----------------------------------------------------------------------------------------------

    def placed(self) -> dict:
        params = self.params
        data_dir = params['data_dir']
        if not data_dir:
            raise RedisOpsError('state=placed needs data_dir, the server\'s data directory (files.dir of '
                                'state=checked); %s' % NOTHING)
        if not os.path.isdir(data_dir):
            raise RedisOpsError('data_dir %s is not a directory on this host; %s' % (data_dir, NOTHING))
        for option in ('dbfilename', 'aof_dirname', 'aside'):
            value = params[option]
            if not value or '/' in value or value in ('.', '..'):
                raise RedisOpsError('%s must be a plain file name in data_dir, got %r; %s' % (option, value, NOTHING))
        if len({params['dbfilename'], params['aof_dirname'], params['aside']}) < 3:
            raise RedisOpsError('dbfilename, aof_dirname and aside must be three different names; %s' % NOTHING)
        src = params['src']
        if src:
            if not os.path.isfile(src):
                raise RedisOpsError('the backup file %s does not exist on this host; %s' % (src, NOTHING))
            self._compare_sha256(src, _sha256(src))
        self._refuse_running_server()

        aside = os.path.join(data_dir, params['aside'])
        present = [os.path.join(data_dir, name) for name in (params['dbfilename'], params['aof_dirname'])
                   if os.path.lexists(os.path.join(data_dir, name))]
        for path in present:
            self.plan.append('move %s into %s' % (path, aside))
        target = os.path.join(data_dir, params['dbfilename'])
        if src:
            self.plan.append('put %s in place as %s' % (src, target))
        self.result['changed'] = bool(present or src)
        if self.module.check_mode:
            return self.result
        try:
            self._move_aside(data_dir, aside, present)
            if src:
                self._place(src, data_dir, target)
        except OSError as exc:
            raise RedisOpsError('cannot move the data files aside or put the backup in place in %s: %s (run the '
                                'module with the rights of the server\'s data directory)' % (data_dir, exc),
                                changed=True, moved_aside=self.result['moved_aside']) from exc
        return self.result

    def _refuse_running_server(self) -> None:
        params = self.params
        target = describe_target(params)
        try:
            if params.get('login_unix_socket'):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(params['connect_timeout'])
                sock.connect(params['login_unix_socket'])
            else:
                sock = socket.create_connection((params['login_host'], params['login_port']),
                                                timeout=params['connect_timeout'])
        except OSError:
            return
        sock.close()
        raise RedisOpsError('a server still answers on %s: stop it before its files are replaced (state=placed); %s'
                            % (target, NOTHING))

    def _move_aside(self, data_dir: str, aside: str, present: list) -> None:
        owner = os.stat(data_dir)
        if os.path.lexists(aside):
            if os.path.isdir(aside) and not os.path.islink(aside):
                shutil.rmtree(aside)
            else:
                os.unlink(aside)
        os.mkdir(aside, 0o700)
        os.chown(aside, owner.st_uid, owner.st_gid)
        for path in present:
            os.replace(path, os.path.join(aside, os.path.basename(path)))
            self.result['moved_aside'].append(path)

    def _place(self, src: str, data_dir: str, target: str) -> None:
        owner = os.stat(data_dir)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix='.restore.')
        try:
            os.close(fd)
            os.chmod(tmp, 0o600)
            shutil.copyfile(src, tmp)
            self._compare_sha256(tmp, _sha256(tmp))
            os.chown(tmp, owner.st_uid, owner.st_gid)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.result['placed'] = target

    # --- state=loaded -----------------------------------------------------------------------------------------------

    def loaded(self, client: RedisClient) -> dict:
        deadline = time.monotonic() + self.params['timeout']
        while int(client.info('persistence').get('loading', 0)):
            self._sleep_or_fail(deadline, 'the server %s to load its data' % client.target)
        self._server(client)
        self._read_keys(client)
        expect = self.params['expect_count']
        if expect is not None:
            low = expect - (self.params['expect_expires'] or 0)
            if not low <= self.result['key_count'] <= expect:
                raise RedisOpsError(
                    '%s holds %d keys after the restore, but the backup holds %d (%d of them with an expiry): it did '
                    'not load the backup (with appendonly yes in its file it loads its AOF instead). Its earlier files '
                    'are in the data directory\'s %s' % (client.target, self.result['key_count'], expect,
                                                         self.params['expect_expires'] or 0, self.params['aside']))
        self.plan.append('%s holds %d keys' % (client.target, self.result['key_count']))
        if not self.params['appendonly']:
            return self.result
        config = config_get_to_dict(client.call('CONFIG', 'GET', 'appendonly'))
        if str(config.get('appendonly', 'no')).lower() == 'yes':
            self.plan.append('the AOF is on already')
            return self.result
        self.plan.append('turn the AOF on (CONFIG SET appendonly yes) and wait for the fresh AOF')
        self.result['changed'] = True
        if self.module.check_mode:
            return self.result
        before = client.info('persistence')
        client.call('CONFIG', 'SET', 'appendonly', 'yes')
        self.commands.append('CONFIG SET appendonly yes')
        rewrites = before.get('aof_rewrites')
        while True:
            state = client.info('persistence')
            idle = not int(state.get('aof_rewrite_in_progress', 0)) and not int(state.get('aof_rewrite_scheduled', 0))
            done = idle and int(state.get('aof_enabled', 0)) and (
                rewrites is None or int(state.get('aof_rewrites', 0)) > int(rewrites))
            if done:
                break
            self._sleep_or_fail(deadline, 'the AOF rewrite on %s' % client.target)
        if str(state.get('aof_last_bgrewrite_status', 'ok')) != 'ok':
            status = state.get('aof_last_bgrewrite_status')
            raise RedisOpsError('the AOF rewrite on %s failed (aof_last_bgrewrite_status: %s): see the server\'s log; '
                                'the data is loaded, but the AOF is not written' % (client.target, status),
                                changed=True, commands=self.commands)
        self.result['aof_rewritten'] = True
        return self.result

    def _sleep_or_fail(self, deadline: float, what: str) -> None:
        if time.monotonic() >= deadline:
            raise RedisOpsError('timed out after %d s waiting for %s' % (self.params['timeout'], what),
                                changed=bool(self.commands), commands=self.commands)
        time.sleep(POLL)


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        state=dict(type='str', required=True, choices=['checked', 'placed', 'loaded']),
        src=dict(type='path'),
        sha256=dict(type='str'),
        check_command=dict(type='path'),
        data_dir=dict(type='path'),
        dbfilename=dict(type='str', default='dump.rdb'),
        aof_dirname=dict(type='str', default='appendonlydir'),
        aside=dict(type='str', default='before-restore'),
        expect_count=dict(type='int'),
        expect_expires=dict(type='int', default=0),
        appendonly=dict(type='bool', default=False),
        timeout=dict(type='int', default=600),
    )
    module = AnsibleModule(**module_kwargs(argument_spec))
    restore = RdbRestore(module)
    if module.params['timeout'] < 1:
        module.fail_json(msg='timeout must be at least 1 second, got %d; %s' % (module.params['timeout'], NOTHING))
    if module.params['state'] == 'placed':
        try:
            validate_connection_params(module.params)
            result = restore.placed()
        except RedisOpsError as exc:
            module.fail_json(msg=exc.message, **exc.details)
        module.exit_json(**result)
    action = restore.checked if module.params['state'] == 'checked' else restore.loaded
    run_module(module, action)


if __name__ == '__main__':
    main()
