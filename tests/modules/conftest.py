# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the module tests; the machinery lives in harness.py."""

from __future__ import annotations

from harness import cluster, fleet, node_tmpdir, run_module, run_module_raw  # noqa: F401  pylint: disable=unused-import


def pytest_configure(config):
    config.addinivalue_line('markers', 'long(minutes=1): a test that takes about that long or more; the longest run '
                                       'first, so that the two pytest-xdist workers of make modules do not end with '
                                       'one of them alone on a long test')
    config.addinivalue_line('markers', 'oldest: a long test that make modules-oldest runs all the same, because it is '
                                       'the only one of its playbook')


def _minutes(item) -> float:
    marker = item.get_closest_marker('long')
    if marker is None:
        return 0
    return float(marker.args[0]) if marker.args else 1


def pytest_collection_modifyitems(items):
    """The long tests first, longest first (a stable sort keeps the rest in file order)."""
    items.sort(key=lambda item: -_minutes(item))
