# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance's directories and rendered files in one module run (private API).

Shared by the instance_files and instance modules: byte comparison, atomic write, owner/group/mode, check and
diff mode. Errors fail the module with a message naming the path.
"""

from __future__ import annotations

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
    def __init__(self, module: AnsibleModule, directories: list, files: list) -> None:
        self.module = module
        self.directories, self.files = directories, files
        self.changed_paths: list = []
        self.created_paths: list = []
        self.diffs: list = []

    def run(self) -> dict:
        directories, files = self.directories, self.files
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


def files_argument_spec() -> dict:
    """The options directories and files, as both modules take them."""
    return dict(
        directories=dict(type='list', elements='dict', default=[], options=ENTRY_OPTIONS),
        files=dict(type='list', elements='dict', default=[],
                   options=dict(ENTRY_OPTIONS, content=dict(type='str', required=True))),
    )
