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
extends_documentation_fragment:
  - redis_ops.replication.instance_files
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.redis_ops.replication.plugins.module_utils.instance_files import InstanceFiles, files_argument_spec


def main() -> None:
    module = AnsibleModule(argument_spec=files_argument_spec(), supports_check_mode=True)
    params = module.params
    module.exit_json(**InstanceFiles(module, params['directories'], params['files']).run())


if __name__ == '__main__':
    main()
