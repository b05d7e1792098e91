# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the module tests; the machinery lives in harness.py."""

from __future__ import annotations

from harness import cluster, fleet, run_module, run_module_raw  # noqa: F401  pylint: disable=unused-import
