# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input validators every module shares: each refusal names the option."""

from __future__ import annotations

import pytest

from ansible_collections.redis_ops.replication.plugins.module_utils.redis_common import (
    RedisOpsError,
    validate_host,
    validate_int,
    validate_seconds,
    validate_word,
)


@pytest.mark.parametrize('value', ['10.0.0.1', '::1', 'fe80::1', 'redis-1', 'redis-1.example.com', 'localhost',
                                   'redis_1.internal.', '2001:db8::10'])
def test_hosts_redis_accepts(value):
    validate_host(value, 'primary_host')


@pytest.mark.parametrize('value', ["['a']", 'a\nrequirepass x', 'a b', '', '-leading', 'a..b', 'x' * 254,
                                   '[::1]', 'host:6379', 'a"b'])
def test_hosts_refused_with_the_option_named(value):
    with pytest.raises(RedisOpsError) as error:
        validate_host(value, 'primary_host')
    assert error.value.message.startswith('primary_host must be a host name, an IPv4 or an IPv6 address')


@pytest.mark.parametrize('value', [float('nan'), float('inf'), float('-inf'), 1e308, 0.0, -1.0, 86400.5])
def test_absurd_seconds_refused(value):
    with pytest.raises(RedisOpsError) as error:
        validate_seconds(value, 'connect_timeout')
    assert error.value.message.startswith('connect_timeout must be a positive number of seconds (finite, at most 86400)')


def test_seconds_in_range_pass():
    for value in (0.001, 5.0, 86400.0):
        validate_seconds(value, 'timeout')
    validate_seconds(0, 'wait', allow_zero=True)


@pytest.mark.parametrize('value', [0, -5, 2147483648])
def test_ints_beyond_what_redis_keeps_refused(value):
    with pytest.raises(RedisOpsError) as error:
        validate_int(value, 'parallel_syncs')
    assert 'parallel_syncs must be at least 1 and at most 2147483647' in error.value.message


@pytest.mark.parametrize('value', ['', 'my master', 'a\tb', 'new\nline', 'quo"te', "it's", 'bell\x07'])
def test_words_that_do_not_survive_an_unquoted_rewrite_are_refused(value):
    with pytest.raises(RedisOpsError) as error:
        validate_word(value, 'auth_pass', 'password')
    assert error.value.message.startswith('auth_pass: the password must be non-empty')


@pytest.mark.parametrize('value', ['mymaster', 'p#ss\\w0rd', 'ünïcode-€', 'a:b/c@d!$%^&*()'])
def test_words_that_survive_pass(value):
    validate_word(value, 'auth_pass', 'password')
