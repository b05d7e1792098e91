# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sentinel_master lookup, run by ansible-playbook against real redis-sentinel processes."""

from __future__ import annotations

import json
import socket

import pytest
from harness import PASSWORD, SECRETS, SENTINEL_PASSWORD, run_playbook

LOOKUP = 'redis_ops.replication.sentinel_master'
WRONG_PASSWORD = 'pw-0d13aa-wrong'


class Var:
    """A lookup argument written as a reference to a play variable (as users pass vaulted passwords)."""

    def __init__(self, name: str) -> None:
        self.name = name


def expression(terms: list, function: str = 'lookup', **options) -> str:
    """The Jinja expression {{ lookup('redis_ops.replication.sentinel_master', 'term', ..., option=value) }}."""
    args = [json.dumps(LOOKUP)] + [json.dumps(term) for term in terms]
    for option, value in options.items():
        args.append('%s=%s' % (option, value.name if isinstance(value, Var) else json.dumps(value)))
    return '{{ %s(%s) }}' % (function, ', '.join(args))


def addresses(*sentinels) -> list:
    return ['127.0.0.1:%d' % sentinel.port for sentinel in sentinels]


def labels(*instances) -> list:
    return ['127.0.0.1:%d' % instance.port for instance in instances]


def play(*tasks, password: str | None = SENTINEL_PASSWORD) -> list:
    """One play on localhost; every task is a debug of one lookup expression and may fail without stopping the play."""
    play_vars = {'sentinel_password': password} if password is not None else {}
    return [dict(hosts='localhost', gather_facts=False, vars=play_vars,
                 tasks=[dict(task, ignore_errors=True) for task in tasks])]


def debug(name: str, expr: str) -> dict:
    return {'name': name, 'ansible.builtin.debug': {'msg': expr}}


def set_fact(name: str, fact: str, expr: str) -> dict:
    return {'name': name, 'ansible.builtin.set_fact': {fact: expr}}


def warnings(run, task: str) -> str:
    """Warnings of a task: in its result (ansible-core 2.19+) or, before that, on stderr."""
    return ' '.join(run.task(task).get('warnings', [])) + run.stderr


def failure(result: dict) -> str:
    assert result.get('failed'), 'expected the lookup to fail, got %s' % result
    return result['msg']


@pytest.fixture
def three(fleet):
    """A primary watched by three Sentinels, as in the setup guide."""
    primary = fleet.redis()
    sentinels = [fleet.sentinel(primary, quorum=2) for _index in range(3)]
    return primary, sentinels


def test_dict_and_address_formats(three, tmp_path):
    primary, sentinels = three
    # An address, a host name, and surrounding blanks.
    listed = ['127.0.0.1:%d' % sentinels[0].port, 'localhost:%d' % sentinels[1].port, ' 127.0.0.1:%d ' % sentinels[2].port]
    run = run_playbook(play(
        debug('dict', expression(['mymaster'], sentinels=listed, password=Var('sentinel_password'))),
        debug('address', expression(['mymaster'], sentinels=listed, password=Var('sentinel_password'),
                                    format='address')),
        set_fact('query', 'found', expression(['mymaster'], 'query', sentinels=listed,
                                              password=Var('sentinel_password'), require='all')),
        debug('comma-separated string', expression(['mymaster'], sentinels=','.join(listed),
                                                   password=Var('sentinel_password'), format='address')),
    ), tmp_path)
    assert run.task('address')['msg'] == '127.0.0.1:%d' % primary.port
    expected = dict(host='127.0.0.1', port=primary.port, name='mymaster', sentinels_agreeing=3, sentinels_asked=3)
    assert run.task('dict')['msg'] == expected, run.task('dict')
    assert run.task('query')['ansible_facts']['found'] == [expected]
    assert run.task('comma-separated string')['msg'] == '127.0.0.1:%d' % primary.port
    assert run.rc == 0 and not warnings(run, 'dict'), run.stderr


def test_one_entry_per_name(fleet, tmp_path):
    cache, sessions = fleet.redis(), fleet.redis()
    second = ['sentinel monitor sessions 127.0.0.1 %d 2' % sessions.port, 'sentinel auth-pass sessions %s' % PASSWORD]
    sentinels = [fleet.sentinel(cache, name='cache', quorum=2, lines=second) for _index in range(3)]
    options = dict(sentinels=addresses(*sentinels), password=Var('sentinel_password'))
    run = run_playbook(play(
        set_fact('query dicts', 'found', expression(['cache', 'sessions'], 'query', **options)),
        set_fact('query addresses', 'found', expression(['sessions', 'cache'], 'query', format='address', **options)),
        debug('lookup joins addresses', expression(['cache', 'sessions'], format='address', **options)),
    ), tmp_path)
    found = run.task('query dicts')['ansible_facts']['found']
    assert [(entry['name'], entry['port']) for entry in found] == [('cache', cache.port), ('sessions', sessions.port)]
    assert run.task('query addresses')['ansible_facts']['found'] == ['127.0.0.1:%d' % sessions.port,
                                                                     '127.0.0.1:%d' % cache.port]
    assert run.task('lookup joins addresses')['msg'] == '127.0.0.1:%d,127.0.0.1:%d' % (cache.port, sessions.port)


@pytest.mark.long
def test_sentinels_down_count_against_require(three, tmp_path):
    primary, sentinels = three
    options = dict(sentinels=addresses(*sentinels), password=Var('sentinel_password'), connect_timeout=0.5)
    stopped, paused = sentinels[2], sentinels[1]
    stopped.stop()
    run = run_playbook(play(
        debug('majority', expression(['mymaster'], **options)),
        debug('all', expression(['mymaster'], require='all', **options)),
    ), tmp_path)
    assert run.task('majority')['msg'] == dict(host='127.0.0.1', port=primary.port, name='mymaster',
                                               sentinels_agreeing=2, sentinels_asked=3), run.task('majority')
    assert "could not ask 127.0.0.1:%d (cannot connect" % stopped.port in warnings(run, 'majority')
    message = failure(run.task('all'))
    assert "only 2 of the 3 Sentinels listed answered for 'mymaster'" in message
    assert 'require=all needs 3' in message
    assert '127.0.0.1:%d (cannot connect' % stopped.port in message and 'refused' in message
    assert "(127.0.0.1:%d and 127.0.0.1:%d say 127.0.0.1:%d)" % (sentinels[0].port, paused.port, primary.port) in message

    paused.pause()  # accepts the connection (the kernel does) but never replies
    run = run_playbook(play(
        debug('majority', expression(['mymaster'], **options)),
        debug('any', expression(['mymaster'], require='any', format='address', **options)),
    ), tmp_path)
    message = failure(run.task('majority'))
    assert "only 1 of the 3 Sentinels listed answered for 'mymaster' (127.0.0.1:%d says 127.0.0.1:%d), " \
           "require=majority needs 2" % (sentinels[0].port, primary.port) in message
    assert '127.0.0.1:%d (timed out after 0.5s' % paused.port in message
    assert '127.0.0.1:%d (cannot connect' % stopped.port in message
    assert run.task('any')['msg'] == '127.0.0.1:%d' % primary.port


def test_disagreeing_sentinels_fail_whatever_require(fleet, tmp_path):
    original, other = fleet.redis(), fleet.redis()
    agreeing = [fleet.sentinel(original, quorum=2) for _index in range(2)]
    dissenter = fleet.sentinel(other)  # monitors another primary under the same name
    options = dict(sentinels=addresses(*agreeing, dissenter), password=Var('sentinel_password'))
    run = run_playbook(play(
        debug('majority', expression(['mymaster'], **options)),
        debug('any', expression(['mymaster'], require='any', **options)),
    ), tmp_path)
    for task in ('majority', 'any'):
        message = failure(run.task(task))
        assert "the Sentinels disagree on the address of 'mymaster': " \
               "127.0.0.1:%d and 127.0.0.1:%d say 127.0.0.1:%d; 127.0.0.1:%d says 127.0.0.1:%d" % (
                   agreeing[0].port, agreeing[1].port, original.port, dissenter.port, other.port) in message


def test_unknown_name(three, fleet, tmp_path):
    _primary, sentinels = three
    unaware = fleet.sentinel()  # monitors nothing
    run = run_playbook(play(
        debug('unknown', expression(['nosuch'], sentinels=addresses(*sentinels), password=Var('sentinel_password'))),
        debug('one does not know it', expression(['mymaster'], sentinels=addresses(*sentinels, unaware),
                                                 password=Var('sentinel_password'))),
    ), tmp_path)
    message = failure(run.task('unknown'))
    assert "'nosuch' is not monitored by %s, %s and %s: check the master name" % tuple(labels(*sentinels)) in message
    message = failure(run.task('one does not know it'))
    assert 'the Sentinels disagree' in message and '127.0.0.1:%d says not monitored' % unaware.port in message


def test_authentication_errors_name_the_problem_and_never_the_password(three, tmp_path):
    _primary, sentinels = three
    listed = addresses(*sentinels)
    run = run_playbook(play(
        debug('wrong password', expression(['mymaster'], sentinels=listed, password=Var('sentinel_password'))),
        debug('no password', expression(['mymaster'], sentinels=listed)),
        debug('ACL user without password', expression(['mymaster'], sentinels=listed, username='app')),
        password=WRONG_PASSWORD,
    ), tmp_path, secrets=SECRETS + (WRONG_PASSWORD,))
    message = failure(run.task('wrong password'))
    assert "only 0 of the 3 Sentinels listed answered for 'mymaster', require=majority needs 2" in message
    for label in labels(*sentinels):
        assert '%s (authentication failed: password (or username) is wrong' % label in message
    message = failure(run.task('no password'))
    assert '127.0.0.1:%d (it requires a password: set password' % sentinels[0].port in message
    assert 'username is set but password is not' in failure(run.task('ACL user without password'))


def test_a_data_node_is_not_a_sentinel(three, fleet, tmp_path):
    _primary, sentinels = three
    data_node = fleet.redis(password=SENTINEL_PASSWORD)  # so that authentication succeeds
    run = run_playbook(play(
        debug('data node', expression(['mymaster'], sentinels=addresses(data_node, *sentinels[:1]), require='all',
                                      password=Var('sentinel_password'))),
    ), tmp_path)
    message = failure(run.task('data node'))
    assert '127.0.0.1:%d (not a Sentinel (a Redis data node?)' % data_node.port in message


@pytest.mark.parametrize('options, expected', [
    (dict(sentinels=['127.0.0.1:notaport']), "sentinels entry '127.0.0.1:notaport' is not host[:port]: 'notaport' is "
                                             "not a TCP port (1-65535)"),
    (dict(sentinels=['127.0.0.1:0']), "'0' is not a TCP port"),
    (dict(sentinels=['127.0.0.1:65536']), "'65536' is not a TCP port"),
    (dict(sentinels=['127.0.0.1:']), "'' is not a TCP port"),
    (dict(sentinels=[':26379']), "sentinels entry ':26379' has no host"),
    (dict(sentinels=['[::1']), "sentinels entry '[::1' is not [ipv6]:port: the bracket is not closed"),
    (dict(sentinels=['[::1]26379']), "unexpected '26379' after ']'"),
    (dict(sentinels=['::1:26379:x']), "neither host:port nor an IPv6 address; write an IPv6 address with a port as"),
    (dict(sentinels=['127.0.0.1', '127.0.0.1:26379']), 'sentinels lists 127.0.0.1:26379 twice'),
    (dict(sentinels=['']), 'sentinels has an empty entry'),
    (dict(sentinels=[]), 'sentinels is required'),
    (dict(require='most'), 'require'),
    (dict(format='yaml'), 'format'),
    (dict(connect_timeout=0), 'connect_timeout must be a positive number of seconds'),
    (dict(ca_certs='/tmp/ca.pem'), 'ca_certs is only used with tls=true'),
    (dict(tls=True, client_cert_file='/tmp/c.pem'), 'client_cert_file and client_key_file go together'),
])
def test_bad_options_fail_before_connecting(tmp_path, options, expected):
    options = dict(dict(sentinels=['127.0.0.1:1'], password=Var('sentinel_password')), **options)
    run = run_playbook(play(debug('bad', expression(['mymaster'], **options))), tmp_path)
    message = failure(run.task('bad'))
    assert expected in message
    assert 'cannot connect' not in message


def test_bad_terms(tmp_path):
    run = run_playbook(play(
        debug('no name', expression([], sentinels=['127.0.0.1:1'])),
        debug('empty name', expression([''], sentinels=['127.0.0.1:1'])),
    ), tmp_path)
    assert 'give at least one master name' in failure(run.task('no name'))
    assert 'each term must be a master name' in failure(run.task('empty name'))


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(('::1', 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback(), reason='no IPv6 loopback on this machine')
def test_ipv6_sentinel_and_primary(fleet, tmp_path):
    primary = fleet.redis(['bind 127.0.0.1 ::1'])
    sentinel = fleet.sentinel(lines=['bind 127.0.0.1 ::1'])
    client = sentinel.client()
    client.execute_command('SENTINEL', 'MONITOR', 'mymaster', '::1', primary.port, 1)
    client.execute_command('SENTINEL', 'SET', 'mymaster', 'auth-pass', PASSWORD)
    listed = ['[::1]:%d' % sentinel.port]
    run = run_playbook(play(
        debug('address', expression(['mymaster'], sentinels=listed, password=Var('sentinel_password'),
                                    format='address')),
        debug('dict', expression(['mymaster'], sentinels=listed, password=Var('sentinel_password'))),
    ), tmp_path)
    assert run.task('address')['msg'] == '[::1]:%d' % primary.port, run.task('address')
    assert run.task('dict')['msg']['host'] == '::1'


def test_an_acl_user_with_the_modules_option_names(three, tmp_path):
    """login_user / login_password (the modules' names) are aliases of username / password: an ACL user on the
    Sentinels that may only ask for the master's address is enough for the lookup."""
    primary, sentinels = three
    for sentinel in sentinels:
        sentinel.client().execute_command('ACL', 'SETUSER', 'address-reader', 'on', '>' + PASSWORD, '-@all',
                                          '+sentinel|get-master-addr-by-name')
    run = run_playbook(play(
        debug('aliases', expression(['mymaster'], sentinels=addresses(*sentinels), login_user='address-reader',
                                    login_password=Var('sentinel_password'), format='address')),
        password=PASSWORD), tmp_path)
    assert run.task('aliases')['msg'] == '127.0.0.1:%d' % primary.port, run.task('aliases')
