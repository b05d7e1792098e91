# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""password_rotation's pure helpers: ACL GETUSER replies in both protocols, and diffs that never show a password.

The phases themselves run against real servers in tests/modules/test_password_rotation.py.
"""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.redis_ops.replication.plugins.modules.password_rotation import (
    acl_user_fields,
    describe_passwords,
    password_hash,
)

OLD, NEW = 'old pw', 'néw "pw"'


def test_password_hash_is_what_acl_getuser_shows():
    assert password_hash(NEW) == hashlib.sha256(NEW.encode('utf-8')).hexdigest()
    assert len(password_hash('')) == 64


@pytest.mark.parametrize('reply', [
    ['flags', ['on'], 'passwords', ['a', 'b'], 'commands', '+@all'],
    {'flags': ['on'], 'passwords': ['a', 'b'], 'commands': '+@all'},
])
def test_acl_user_fields_keeps_lists_in_resp2_and_resp3(reply):
    assert acl_user_fields(reply)['passwords'] == ['a', 'b']


def test_acl_user_fields_of_no_such_user():
    assert acl_user_fields(None) == {}


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
