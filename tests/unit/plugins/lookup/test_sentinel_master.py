# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the sentinel_master lookup: parsing, the decision, error explanations."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from redis import exceptions

from ansible_collections.redis_ops.replication.plugins.lookup import sentinel_master
from ansible_collections.redis_ops.replication.plugins.lookup.sentinel_master import (
    Reply,
    Sentinel,
    decide,
    explain_error,
    format_address,
    parse_reply,
    parse_sentinel,
    parse_sentinels,
    required_answers,
)


@pytest.mark.parametrize('entry, expected', [
    ('10.0.0.1', Sentinel('10.0.0.1', 26379)),
    ('10.0.0.1:26380', Sentinel('10.0.0.1', 26380)),
    (' sentinel1.example.com:1 ', Sentinel('sentinel1.example.com', 1)),
    ('[::1]:26379', Sentinel('::1', 26379)),
    ('[2001:db8::7]', Sentinel('2001:db8::7', 26379)),
    ('2001:db8::7', Sentinel('2001:db8::7', 26379)),
    ('::1', Sentinel('::1', 26379)),
    ('localhost:65535', Sentinel('localhost', 65535)),
])
def test_sentinel_entries(entry, expected):
    assert parse_sentinel(entry) == expected


@pytest.mark.parametrize('entry, message', [
    ('host:notaport', "sentinels entry 'host:notaport' is not host[:port]: 'notaport' is not a TCP port (1-65535)"),
    ('host:0', "'0' is not a TCP port"),
    ('host:65536', "'65536' is not a TCP port"),
    ('host:-1', "'-1' is not a TCP port"),
    ('host:+1', "'+1' is not a TCP port"),
    ('host:', "'' is not a TCP port"),
    ('host:\u0663', 'is not a TCP port'),  # a non-ASCII digit
    (':26379', "sentinels entry ':26379' has no host"),
    ('[::1', 'the bracket is not closed or empty'),
    ('[]:26379', 'the bracket is not closed or empty'),
    ('[::1]26379', "unexpected '26379' after ']'"),
    ('[::1]:x', "'x' is not a TCP port"),
    ('::1:26379:z', 'neither host:port nor an IPv6 address; write an IPv6 address with a port as [address]:port'),
    ('two words:1', "'two words' is not a host name or address"),
    ('redis://host:1', 'is neither host:port nor an IPv6 address'),
    ('user@host:1', "'user@host' is not a host name or address"),
    ('', 'sentinels has an empty entry'),
    ('   ', 'sentinels has an empty entry'),
    (26379, 'sentinels entries must be strings like host or host:port, got 26379 (int)'),
    (None, 'sentinels entries must be strings'),
])
def test_bad_sentinel_entries(entry, message):
    with pytest.raises(AnsibleError) as caught:
        parse_sentinel(entry)
    assert message in str(caught.value)


def test_sentinel_lists():
    assert parse_sentinels(['a', 'b:1', '[::1]']) == [Sentinel('a', 26379), Sentinel('b', 1), Sentinel('::1', 26379)]
    assert parse_sentinels('a:1, b:2,') == [Sentinel('a', 1), Sentinel('b', 2)]
    with pytest.raises(AnsibleError, match='sentinels lists a:26379 twice'):
        parse_sentinels(['a', 'a:26379'])
    with pytest.raises(AnsibleError, match=r'sentinels lists \[::1\]:26379 twice'):
        parse_sentinels(['::1', '[::1]:26379'])
    for empty in ([], None, ''):
        with pytest.raises(AnsibleError, match='sentinels is required'):
            parse_sentinels(empty)


def test_addresses():
    assert format_address('10.0.0.1', 6379) == '10.0.0.1:6379'
    assert format_address('::1', 6379) == '[::1]:6379'
    assert format_address('redis1.example.com', 6380) == 'redis1.example.com:6380'
    assert Sentinel('fe80::1', 26379).label == '[fe80::1]:26379'


@pytest.mark.parametrize('require, counts', [
    ('any', {1: 1, 2: 1, 3: 1, 5: 1}),
    ('majority', {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}),
    ('all', {1: 1, 2: 2, 3: 3, 5: 5}),
])
def test_required_answers(require, counts):
    for listed, needed in counts.items():
        assert required_answers(require, listed) == needed


@pytest.mark.parametrize('reply, expected', [
    (None, Reply(not_monitored=True)),
    (['10.0.0.2', '6379'], Reply(host='10.0.0.2', port=6379)),
    ((b'::1', b'6380'), Reply(host='::1', port=6380)),
    (['10.0.0.2', 6379], Reply(host='10.0.0.2', port=6379)),
])
def test_replies(reply, expected):
    assert parse_reply(reply) == expected


@pytest.mark.parametrize('reply', [[], ['10.0.0.2'], ['10.0.0.2', 'x'], 'OK', {'ip': '10.0.0.2'}])
def test_unexpected_replies_are_errors(reply):
    parsed = parse_reply(reply)
    assert not parsed.answered and 'unexpected reply to SENTINEL GET-MASTER-ADDR-BY-NAME' in parsed.error


SENTINELS = [Sentinel('10.0.0.1', 26379), Sentinel('10.0.0.2', 26379), Sentinel('::3', 26379)]
AT_A = Reply(host='10.0.0.5', port=6379)
AT_B = Reply(host='10.0.0.6', port=6379)
UNKNOWN = Reply(not_monitored=True)
DOWN = Reply(error='cannot connect: Connection refused')


def replies(*values):
    return dict(zip(SENTINELS, values))


@pytest.mark.parametrize('values, require, failed', [
    ((AT_A, AT_A, AT_A), 'all', []),
    ((AT_A, AT_A, DOWN), 'majority', ['[::3]:26379 (cannot connect: Connection refused)']),
    ((DOWN, AT_A, DOWN), 'any', ['10.0.0.1:26379 (cannot connect: Connection refused)',
                                 '[::3]:26379 (cannot connect: Connection refused)']),
])
def test_agreement(values, require, failed):
    assert decide('mymaster', SENTINELS, replies(*values), require) == (AT_A, failed)


@pytest.mark.parametrize('values, require, message', [
    ((AT_A, AT_A, AT_B), 'majority',
     "the Sentinels disagree on the address of 'mymaster': 10.0.0.1:26379 and 10.0.0.2:26379 say 10.0.0.5:6379; "
     "[::3]:26379 says 10.0.0.6:6379. A failover may be in progress"),
    ((AT_A, DOWN, AT_B), 'any',
     "10.0.0.1:26379 says 10.0.0.5:6379; [::3]:26379 says 10.0.0.6:6379; could not ask 10.0.0.2:26379 (cannot connect"),
    ((AT_A, UNKNOWN, AT_A), 'any', '10.0.0.2:26379 says not monitored'),
    ((AT_A, DOWN, DOWN), 'majority',
     "only 1 of the 3 Sentinels listed answered for 'mymaster' (10.0.0.1:26379 says 10.0.0.5:6379), require=majority "
     "needs 2: could not ask 10.0.0.2:26379 (cannot connect: Connection refused); [::3]:26379 (cannot connect"),
    ((AT_A, AT_A, DOWN), 'all', "only 2 of the 3 Sentinels listed answered for 'mymaster' (10.0.0.1:26379 and "
                                "10.0.0.2:26379 say 10.0.0.5:6379), require=all needs 3"),
    ((DOWN, DOWN, DOWN), 'any', "only 0 of the 3 Sentinels listed answered for 'mymaster', require=any needs 1"),
    ((UNKNOWN, UNKNOWN, UNKNOWN), 'all',
     "'mymaster' is not monitored by 10.0.0.1:26379, 10.0.0.2:26379 and [::3]:26379: check the master name"),
    ((UNKNOWN, DOWN, UNKNOWN), 'majority', "is not monitored by 10.0.0.1:26379 and [::3]:26379: check the master "
                                           "name (SENTINEL MASTERS lists the names a Sentinel monitors); could not ask "
                                           "10.0.0.2:26379"),
    ((UNKNOWN, DOWN, DOWN), 'majority', "only 1 of the 3 Sentinels listed answered for 'mymaster' (10.0.0.1:26379 "
                                        "says not monitored)"),
])
def test_no_agreement(values, require, message):
    with pytest.raises(AnsibleError) as caught:
        decide('mymaster', SENTINELS, replies(*values), require)
    assert message in str(caught.value)


@pytest.mark.parametrize('exc, expected', [
    (exceptions.TimeoutError('Timeout reading from socket'), 'timed out after 2s: Timeout reading from socket'),
    (exceptions.AuthenticationWrongNumberOfArgsError('wrong number of arguments for AUTH'),
     'a password was given but this Sentinel has none configured for this user'),
    (exceptions.ResponseError('AUTH <password> called without any password configured for the default user'),
     'a password was given but this Sentinel has none configured'),
    (exceptions.AuthenticationError('Authentication required.'), 'it requires a password: set password'),
    (exceptions.ResponseError('NOAUTH Authentication required.'), 'it requires a password'),
    (exceptions.AuthenticationError('invalid username-password pair or user is disabled.'),
     'authentication failed: password (or username) is wrong or the user is disabled'),
    (exceptions.NoPermissionError("this user has no permissions to run the 'sentinel|get-master-addr-by-name' command"),
     'the user lacks the permission to run SENTINEL GET-MASTER-ADDR-BY-NAME'),
    (exceptions.ResponseError("unknown command 'SENTINEL', with args beginning with: "), 'not a Sentinel'),
    (exceptions.ConnectionError('Error 111 connecting to 10.0.0.1:26379. Connection refused.'),
     'cannot connect: Error 111 connecting to 10.0.0.1:26379. Connection refused.'),
    (exceptions.ResponseError('LOADING'), 'error: LOADING'),
])
def test_every_error_says_what_to_fix(exc, expected):
    assert expected in explain_error(exc, 2.0)


def test_the_password_never_appears_in_an_explanation():
    secret = 'pw-s3cret-value'
    explained = explain_error(exceptions.ResponseError('odd reply mentioning %s' % secret), 2.0, secret)
    assert secret not in explained and '********' in explained


def test_missing_redis_py(monkeypatch):
    monkeypatch.setattr(sentinel_master, 'redis', None)
    with pytest.raises(AnsibleError, match='needs redis-py on the controller: install the redis Python package'):
        sentinel_master.LookupModule().run(['mymaster'], variables={}, sentinels=['127.0.0.1'])
