# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""replication_facts' package report on dpkg answers no package on this machine gives: a package removed but not
purged (dpkg status config-files), a host without dpkg-query, dpkg-query failing. tests/modules proves the report
against this machine's real dpkg database."""

from __future__ import annotations

from ansible_collections.redis_ops.replication.plugins.modules.replication_facts import package_report


class FakeModule:
    """get_bin_path and run_command as AnsibleModule's, answering what the test gives."""

    def __init__(self, binary='/usr/bin/dpkg-query', rc=0, out=''):
        self.binary, self.rc, self.out = binary, rc, out
        self.commands = []

    def get_bin_path(self, name):
        return self.binary if name == 'dpkg-query' else None

    def run_command(self, args):
        self.commands.append(args)
        return self.rc, self.out, ''


def test_removed_but_not_purged_is_missing():
    module = FakeModule(rc=0, out='redis-server config-files\nredis-tools installed\n')
    report = package_report(module, ['redis-server', 'redis-tools'])
    assert report == dict(manager='dpkg', installed=['redis-tools'], missing=['redis-server'])
    assert module.commands[0][-2:] == ['redis-server', 'redis-tools']


def test_without_dpkg_nothing_is_known():
    module = FakeModule(binary=None)
    assert package_report(module, ['redis']) == dict(manager=None, installed=[], missing=[])
    assert module.commands == []


def test_dpkg_query_failing_tells_nothing():
    module = FakeModule(rc=2, out='redis-server installed\n')
    assert package_report(module, ['redis-server']) == dict(manager=None, installed=[], missing=[])
