# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters the role templates and the validation play use (the module tests load their output in real servers)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.redis_ops.replication.plugins.filter.config_arg import config_arg
from ansible_collections.redis_ops.replication.plugins.filter.config_problems import config_problems
from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import split_config_args


@pytest.mark.parametrize('value, split, expected', [
    (True, False, ['yes']), (False, False, ['no']), (20, False, ['20']),
    (['127.0.0.1', '-::1'], False, ['127.0.0.1', '-::1']),
    ('replica 256mb 64mb 60', True, ['replica', '256mb', '64mb', '60']),
    ('p w"#', False, ['p w"#']), (['/a b.log'], False, ['/a b.log']),
])
def test_config_arg_reads_back_as_the_arguments(value, split, expected):
    assert split_config_args('x ' + config_arg(value, 'v', split), strict=True) == ['x'] + expected


def test_config_arg_names_the_variable_and_never_shows_the_value():
    with pytest.raises(AnsibleFilterError) as caught:
        config_arg('secret\nrequirepass x', 'redis_password')
    assert 'redis_password cannot be written to a Redis configuration file' in str(caught.value)
    assert 'control character U+000A at position 7' in str(caught.value)
    assert 'secret' not in str(caught.value)
    with pytest.raises(AnsibleFilterError, match='redis_config_extra.x is a dict'):
        config_arg({'a': 1}, 'redis_config_extra.x')


def test_config_problems_accepts_what_redis_reads_back():
    assert config_problems(dict(
        redis_password=' "\'#\\ caf\u00e9 ', redis_sentinel_password='#\\x\u00e9', redis_sentinel_master_name='m-1.a',
        redis_bind=['-::1', '*', '10.0.0.1', 'host.example'], redis_host_address='fe80::1', redis_replica_announce_ip='',
        redis_sentinel_parallel_syncs='3', redis_maxmemory='1gb', redis_save=['900 1'], redis_config_extra={'hz': 10},
        redis_acl_users=[dict(name='app', passwords=['a b'], rules=['~*', '#abc', '+@all'])], unknown='\n'),
        sentinel_stored=['redis_sentinel_password']) == []


@pytest.mark.parametrize('variables, message', [
    (dict(redis_password='a\tb'), 'redis_password contains a control character U+0009 at position 2'),
    (dict(redis_password=['a']), 'redis_password is not a string'),
    (dict(redis_sentinel_master_name='a"b'), 'redis_sentinel_master_name is "a\\"b"'),
    (dict(redis_host_address='300.1.1.1'), 'redis_host_address is "300.1.1.1"'),
    (dict(redis_bind='127.0.0.1'), 'redis_bind is "127.0.0.1"; expected a list'),
    (dict(redis_sentinel_parallel_syncs=True), 'redis_sentinel_parallel_syncs is True'),
    (dict(redis_repl_backlog_size='64 mb'), 'redis_repl_backlog_size is "64 mb"'),
    (dict(redis_config_extra={'hz': {'a': 1}}), 'redis_config_extra.hz holds a dict'),
    (dict(redis_acl_users=['app']), 'redis_acl_users[0] is not a mapping'),
])
def test_config_problems_name_the_variable(variables, message):
    problems = config_problems(variables)
    assert len(problems) == 1 and message in problems[0], problems


def test_passwords_sentinel_keeps_may_not_hold_spaces_or_quotes():
    assert config_problems(dict(redis_password='a b'), sentinel_stored=['redis_password']) == [
        'redis_password contains a space at position 2; Sentinel keeps this password in sentinel.conf and rewrites '
        'that file without quoting it, so expected no spaces or quotes there (any other printable character is fine)']
    assert config_problems(dict(redis_password='a b')) == []
