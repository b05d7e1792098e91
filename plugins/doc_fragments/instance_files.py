# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The directories and files options of instance_files and instance (module_utils/instance_files.py's
    # files_argument_spec), described once.
    DOCUMENTATION = r'''
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
      - Files that must hold exactly O(files[].content), written after O(directories). Their directory must exist, or
        be one of O(directories).
      - Not for secrets, since diff mode shows their content.
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
'''
