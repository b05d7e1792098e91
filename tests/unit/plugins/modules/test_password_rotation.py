# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""password_rotation's pure helpers: diffs that never show a password (ACL GETUSER replies: test_redis_info.py).

The phases themselves run against real servers in tests/modules/test_password_rotation.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_info import password_hash
from ansible_collections.redis_ops.replication.plugins.modules.password_rotation import describe_passwords

OLD, NEW = 'old pw', 'néw "pw"'


@pytest.mark.parametrize('hashes, old, expected', [
    ([password_hash(OLD)], OLD, 'old'),
    ([password_hash(OLD), password_hash(NEW)], OLD, 'old and new'),
    ([password_hash(NEW)], OLD, 'new'),
    ([password_hash(NEW)], None, 'new'),
    ([password_hash(NEW), 'f' * 64], None, 'new and 1 other(s)'),
    (['f' * 64], OLD, 'neither old nor new and 1 other(s)'),
    ([], OLD, 'neither old nor new'),
])
def test_describe_passwords_says_which_never_what(hashes, old, expected):
    text = describe_passwords(hashes, NEW, old)
    assert text == expected
    assert NEW not in text and OLD not in text
