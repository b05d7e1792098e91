#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: instance_files
short_description: Lay out the directories and rendered files of an instance in one round trip
version_added: 0.2.0
description:
  - Makes sure every directory of O(directories) exists and every file of O(files) holds exactly its O(files[].content),
    each with its owner, group and mode, in a single module run on the host.
  - It is what the roles use for an instance's directories, its systemd unit and the kernel settings files. The
    content is rendered on the controller (P(ansible.builtin.template#lookup)), so, unlike
    M(ansible.builtin.template) or M(ansible.builtin.copy), no temporary directory is created on the host and a file
    that is already right costs no transfer. A converged host answers in one round trip for all of them.
  - Files are compared byte by byte and written atomically (a temporary file in the same directory, then renamed).
  - Not for secrets. Diff mode shows the content of files that change.
author:
  - Redis Ops Team (@redis-ops)
attributes:
  check_mode:
    support: full
    description: Reports what would be created or changed; writes nothing.
  diff_mode:
    support: full
    description: For each file that changes, its content before and after; for a new directory, its state.
  platform:
    platforms: posix
    support: full
    description: Edits files on the managed host.
  safe_file_operations:
    support: full
    description: A file is written to a temporary file in its directory and renamed into place.
options:
  directories:
    description:
      - Directories that must exist, created in this order before any file is written.
      - Missing parent directories are created too, owned by the user running the module with mode C(0755); the owner,
        group and mode given apply to the directory named.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner (a name or a number); unchanged when not given.
        type: str
      group:
        description: Its group (a name or a number); unchanged when not given.
        type: str
      mode:
        description: Its mode, such as C("0750") (quote it in YAML); unchanged when not given.
        type: raw
  files:
    description:
      - Files that must hold exactly O(files[].content). Their directory must exist, or be one of O(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      content:
        description: What the file must hold. A final newline is not added.
        type: str
        required: true
      owner:
        description: Its owner (a name or a number); unchanged when not given.
        type: str
      group:
        description: Its group (a name or a number); unchanged when not given.
        type: str
      mode:
        description: Its mode, such as C("0644") (quote it in YAML); unchanged when not given.
        type: raw
notes:
  - The same path must not be named twice.
seealso:
  - module: redis_ops.replication.config_file
    description: For the configuration files that servers rewrite themselves (compared by meaning, applied live).
'''

EXAMPLES = r'''
- name: The directories and the systemd unit of an instance
  redis_ops.replication.instance_files:
    directories:
      - {path: /etc/redis/6379, owner: redis, group: redis, mode: "0750"}
      - {path: /var/lib/redis/6379, owner: redis, group: redis, mode: "0750"}
    files:
      - path: /etc/systemd/system/redis-6379.service
        content: "{{ lookup('ansible.builtin.template', 'server.service.j2') }}"
        owner: root
        group: root
        mode: "0644"
  register: instance_files

- name: Reload systemd when the unit changed
  ansible.builtin.systemd_service:
    daemon_reload: true
  when: "'/etc/systemd/system/redis-6379.service' in instance_files.changed_paths"
'''

RETURN = r'''
changed_paths:
  description: The directories and files that were created, rewritten or given other attributes (or would be, in check
    mode), in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/redis-6379.service]
created_paths:
  description: Those of RV(changed_paths) that did not exist before.
  returned: always
  type: list
  elements: str
  sample: []
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

ENTRY_OPTIONS = dict(
    path=dict(type='path', required=True),
    owner=dict(type='str'),
    group=dict(type='str'),
    mode=dict(type='raw'),
)


class InstanceFiles:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.changed_paths: list = []
        self.created_paths: list = []
        self.diffs: list = []

    def run(self) -> dict:
        directories, files = self.module.params['directories'], self.module.params['files']
        self._refuse_repeated_paths(directories + files)
        planned_dirs = set()
        for entry in directories:
            self._directory(entry)
            planned_dirs.add(os.path.normpath(entry['path']))
        for entry in files:
            self._file(entry, planned_dirs)
        result = dict(changed=bool(self.changed_paths), changed_paths=self.changed_paths,
                      created_paths=self.created_paths)
        if self.module._diff and self.diffs:
            result['diff'] = self.diffs
        return result

    def _refuse_repeated_paths(self, entries: list) -> None:
        seen = set()
        for entry in entries:
            path = os.path.normpath(entry['path'])
            if path in seen:
                self.module.fail_json(msg='%s is named twice in directories and files; name each path once' % path)
            seen.add(path)

    def _attributes(self, entry: dict) -> dict:
        """What set_fs_attributes_if_different takes, as the file module builds it (the SELinux context is left as
        the policy sets it)."""
        return self.module.load_file_common_arguments(dict(path=entry['path'], owner=entry.get('owner'),
                                                           group=entry.get('group'), mode=entry.get('mode')))

    def _record(self, path: str, changed: bool, created: bool) -> None:
        if changed:
            self.changed_paths.append(path)
        if created:
            self.created_paths.append(path)

    def _directory(self, entry: dict) -> None:
        path = entry['path']
        if os.path.lexists(path) and not os.path.isdir(path):
            self.module.fail_json(msg='%s exists and is not a directory; nothing was changed there' % path)
        created = not os.path.isdir(path)
        if created:
            self.diffs.append(dict(before_header=path, after_header=path, before=dict(path=path, state='absent'),
                                   after=dict(path=path, state='directory')))
            if self.module.check_mode:
                self._record(path, True, True)
                return
            try:
                os.makedirs(path, 0o755)
            except OSError as exc:
                self.module.fail_json(msg='cannot create the directory %s: %s' % (path, to_native(exc)))
        changed = self.module.set_fs_attributes_if_different(self._attributes(entry), created)
        self._record(path, changed, created)

    def _file(self, entry: dict, planned_dirs: set) -> None:
        path, wanted = entry['path'], to_bytes(entry['content'], errors='surrogate_or_strict')
        directory = os.path.dirname(path) or '.'
        if not os.path.isdir(directory) and not (self.module.check_mode and os.path.normpath(directory) in planned_dirs):
            self.module.fail_json(msg='the directory of %s does not exist; create it first (directories)' % path)
        if os.path.lexists(path) and not os.path.isfile(path):
            self.module.fail_json(msg='%s exists and is not a regular file; nothing was changed there' % path)
        created = not os.path.exists(path)
        current = b'' if created else self._read(path)
        rewrite = created or current != wanted
        if rewrite:
            self.diffs.append(dict(before_header=path, after_header=path,
                                   before=to_native(current, errors='surrogate_or_strict') if not created else '',
                                   after=to_native(wanted, errors='surrogate_or_strict')))
            if not self.module.check_mode:
                self._write(path, directory, wanted)
        if self.module.check_mode and created:
            changed = True
        else:
            changed = self.module.set_fs_attributes_if_different(self._attributes(entry), rewrite)
        self._record(path, changed, created)

    def _read(self, path: str) -> bytes:
        try:
            with open(path, 'rb') as handle:
                return handle.read()
        except OSError as exc:
            self.module.fail_json(msg='cannot read %s: %s' % (path, to_native(exc)))
        return b''  # not reached: fail_json exits

    def _write(self, path: str, directory: str, data: bytes) -> None:
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
        except OSError as exc:
            self.module.fail_json(msg='cannot write %s: %s; nothing was changed' % (path, to_native(exc)))
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(data)
        except OSError as exc:
            os.unlink(tmp)
            self.module.fail_json(msg='cannot write %s: %s; nothing was changed' % (path, to_native(exc)))
        self.module.atomic_move(tmp, path)


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[], options=ENTRY_OPTIONS),
            files=dict(type='list', elements='dict', default=[],
                       options=dict(ENTRY_OPTIONS, content=dict(type='str', required=True))),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**InstanceFiles(module).run())


if __name__ == '__main__':
    main()
