# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated passwords and config values, rendered through the roles' real templates, loaded by real servers.

Properties (Hypothesis, bounded): the rendered redis.conf / sentinel.conf load, AUTH works with the password, a
replica authenticates with masterauth, Sentinel authenticates with auth-pass, and after Redis's or Sentinel's own
rewrite the file still loads and compares equal to the rendered one (config_file would report no change).
The servers are started once per property and restarted from each example's file: no new ports per example.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
import yaml
from harness import Instance, conn, free_port, wait_until
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ansible.plugins.filter.core import comment
from ansible_collections.redis_ops.replication.plugins.filter.config_arg import config_arg
from ansible_collections.redis_ops.replication.plugins.filter.config_problems import config_problems
from ansible_collections.redis_ops.replication.plugins.module_utils.config_file import differing_directives

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles', '_common')
EXAMPLES = 100
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Every printable character (what validation accepts), with the troublesome ASCII ones made frequent.
_PRINTABLE = st.characters(blacklist_categories=('Cc', 'Cs', 'Zl', 'Zp'))
_TRICKY = st.sampled_from(list(' "\'\\#x\\"\' '))
PASSWORDS = st.text(st.one_of(_TRICKY, _PRINTABLE), min_size=1, max_size=24)
# What Sentinel rewrites without quotes may hold anything printable but spaces and quotes.
SENTINEL_PASSWORDS = st.text(st.one_of(st.sampled_from(list('#\\x$!:;')), _PRINTABLE).filter(
    lambda char: char not in ' "\''), min_size=1, max_size=24)


def render(template: str, **overrides) -> str:
    """The role's template rendered as the template lookup does (trim_blocks), with the collection's filter."""
    env = Environment(loader=FileSystemLoader(os.path.join(ROLE, 'templates')), trim_blocks=True,
                      keep_trailing_newline=True, undefined=StrictUndefined)
    env.filters['comment'] = comment
    env.filters['redis_ops.replication.config_arg'] = config_arg
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as handle:
        variables = yaml.safe_load(handle)
    variables.update(ansible_managed='Ansible managed', redis_tls=False, redis_acl_enabled=False,
                     redis_appendonly=False, redis_save=[], redis_repl_diskless_sync_delay=0,
                     redis_sentinel_notification_script='', redis_sentinel_client_reconfig_script='')
    variables.update(overrides)
    return env.get_template(template).render(**variables)


def restart(instance: Instance, text: str | None = None) -> None:
    """Stop the instance and start it again from ``text`` (or from its file as the server left it)."""
    instance.stop()
    if text is not None:
        with open(instance.config_path, 'w', encoding='utf-8') as handle:
            handle.write(text)
    open(instance.log_path, 'a').close()  # the templates log to stdout; the harness reads this on failure
    instance.start_from_file()


def config_text(instance: Instance) -> str:
    with open(instance.config_path, encoding='utf-8', errors='surrogateescape') as handle:
        return handle.read()


def data_conf(instance: Instance, password: str, value: str, primary: Instance | None = None) -> str:
    primary_address = dict(address='127.0.0.1', port=(primary or instance).port)
    return render('redis.conf.j2', redis_port=instance.port, _redis_bind_addresses=['127.0.0.1'],
                  _redis_data_dir=instance.dir, redis_password=password, redis_masterauth=password,
                  redis_config_extra={'syslog-ident': [value]}, _redis_is_primary=primary is None,
                  _redis_primary=primary_address)


def link_up(replica: Instance) -> bool:
    return replica.client().info('replication').get('master_link_status') == 'up'


@pytest.fixture(scope='module')
def servers():
    """A primary and a replica (restarted from each example's files), and a Sentinel."""
    workdir = tempfile.mkdtemp(prefix='redis-ops-values-')
    instances = {kind: Instance(workdir, kind.split('-', maxsplit=1)[0], free_port(), [], None)
                 for kind in ('redis-primary', 'redis-replica', 'sentinel')}
    for instance in instances.values():
        instance.dir = os.path.join(workdir, '%s-%d' % (instance.kind, instance.port))
        os.makedirs(instance.dir, exist_ok=True)
    try:
        yield instances
    finally:
        for instance in instances.values():
            instance.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.long
@BOUNDED
@given(password=PASSWORDS, value=PASSWORDS)
def test_data_nodes_load_authenticate_replicate_and_survive_their_own_rewrite(servers, password, value):
    assert config_problems(dict(redis_password=password, redis_masterauth=password)) == []
    primary, replica = servers['redis-primary'], servers['redis-replica']
    primary.password = replica.password = password
    wanted = {primary: data_conf(primary, password, value), replica: data_conf(replica, password, value, primary)}
    for instance, text in wanted.items():
        restart(instance, text)
        client = instance.client()  # AUTH with the generated password
        assert client.config_get('masterauth') == {'masterauth': password}
        assert client.config_get('syslog-ident') == {'syslog-ident': value}
    wait_until(lambda: link_up(replica), 10, 'the replica to authenticate with masterauth')

    for instance, text in wanted.items():
        instance.client().config_rewrite()
        rewritten = config_text(instance)
        assert differing_directives(text, rewritten) == [], rewritten  # config_file: no change after a rewrite
    restart(replica)  # from the file Redis rewrote
    assert replica.client().config_get('requirepass') == {'requirepass': password}
    wait_until(lambda: link_up(replica), 10, 'the replica to authenticate after its own rewrite')


@pytest.mark.long
@BOUNDED
@given(password=SENTINEL_PASSWORDS, sentinel_password=SENTINEL_PASSWORDS)
def test_sentinel_loads_authenticates_and_survives_its_own_rewrite(servers, password, sentinel_password):
    assert config_problems(dict(redis_password=password, redis_sentinel_password=sentinel_password),
                           sentinel_stored=['redis_password', 'redis_sentinel_password']) == []
    primary, sentinel = servers['redis-primary'], servers['sentinel']
    if primary.process is None or primary.process.poll() is not None:
        primary.password = 'x'
        restart(primary, data_conf(primary, 'x', 'x'))
    primary.client().config_set('requirepass', password)
    primary.password = password
    sentinel.password = sentinel_password
    text = render('sentinel.conf.j2', redis_sentinel_port=sentinel.port, _redis_sentinel_bind_addresses=['127.0.0.1'],
                  _redis_sentinel_data_dir=sentinel.dir, redis_sentinel_password=sentinel_password)
    restart(sentinel, text)
    client = sentinel.client()  # AUTH with the generated Sentinel password
    # What redis_ops.replication.sentinel_monitor sends.
    client.execute_command('SENTINEL', 'MONITOR', 'values', '127.0.0.1', primary.port, 1)
    client.execute_command('SENTINEL', 'SET', 'values', 'auth-pass', password)

    def authenticated():
        # Sentinel learns the primary's run id from INFO, which answers only when auth-pass is right.
        master = client.execute_command('SENTINEL', 'MASTER', 'values')
        master = master if isinstance(master, dict) else dict(zip(*[iter(master)] * 2))
        seen.append(master)
        return master.get('runid') and 'disconnected' not in master.get('flags', '')
    seen: list = []
    wait_until(authenticated, 10, 'Sentinel to authenticate with auth-pass (%s)' % seen[-1:])

    client.execute_command('SENTINEL', 'FLUSHCONFIG')
    rewritten = config_text(sentinel)
    assert differing_directives(text, rewritten) == [], rewritten
    restart(sentinel)  # from the file Sentinel rewrote
    client = sentinel.client()
    wait_until(authenticated, 10, 'Sentinel to authenticate again after its own rewrite')
    client.execute_command('SENTINEL', 'REMOVE', 'values')


def test_config_file_module_reports_no_change_after_redis_rewrote_a_hostile_password(fleet, run_module, tmp_path):
    # The roles hand the rendered file to config_file; after CONFIG REWRITE the same content is no change.
    password = ' p w"\'#\\x caf\u00e9 '
    instance = Instance(fleet.workdir, 'redis', free_port(), [], password)
    os.makedirs(os.path.dirname(instance.config_path), exist_ok=True)
    text = data_conf(instance, password, '"#\\ v ')
    first = run_module('config_file', dict(path=instance.config_path, content=text))
    assert first['changed'] and first['created'], first.result
    fleet.instances.append(instance)
    open(instance.log_path, 'a').close()
    instance.start_from_file()
    instance.client().config_rewrite()
    assert 'Generated by CONFIG REWRITE' in config_text(instance)
    again = run_module('config_file', dict(conn(instance), path=instance.config_path, content=text, apply_live=True))
    assert not again['changed'] and again['directives'] == [] and again['commands'] == [], again.result
    assert password not in again.stdout
