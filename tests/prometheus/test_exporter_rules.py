# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert rules on what a real prometheus-redis-exporter reports about real servers.

Debian's exporter scrapes a primary, a replica and a Sentinel (redis-server / redis-sentinel on loopback); the
scraped samples become promtool input series, and promtool evaluates monitoring/prometheus/redis_ops.rules.yml on
them: a healthy group fires nothing; a replica whose primary is gone fires RedisReplicaLinkDown; a replica that is
down fires RedisDown. So the rules' metric names, labels and values are the exporter's, not assumed ones.

Environment: PROMETHEUS_TOOLS  directory with bin/promtool and bin/prometheus-redis-exporter
(scripts/prometheus-tools.sh; `make rules` sets it).
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request

import pytest
import yaml

from harness import PASSWORD, SENTINEL_PASSWORD, free_port, wait_until

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RULES = os.path.join(REPO, 'monitoring', 'prometheus', 'redis_ops.rules.yml')
TOOLS = os.environ.get('PROMETHEUS_TOOLS', os.path.join(REPO, '.cache', 'prometheus'))
PROMTOOL = os.path.join(TOOLS, 'bin', 'promtool')
EXPORTER = os.path.join(TOOLS, 'bin', 'prometheus-redis-exporter')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def rule_names() -> list:
    with open(RULES, encoding='utf-8') as handle:
        return [rule['alert'] for group in yaml.safe_load(handle)['groups'] for rule in group['rules']]


def metric_names_in_rules() -> set:
    with open(RULES, encoding='utf-8') as handle:
        exprs = ' '.join(rule['expr'] for group in yaml.safe_load(handle)['groups'] for rule in group['rules'])
    # label matchers ({redis_mode="standalone"}) name labels, not metrics
    return set(re.findall(r'\b(redis_[a-z_]+)', re.sub(r'\{[^}]*\}', '', exprs)))


# The least privilege the exporter needs on a data instance (documented in the README's Monitoring section).
EXPORTER_ACL = ('user exporter on >exporter-pw-4e1b -@all +info +ping +client|setname +config|get +latency|latest '
                '+slowlog|get +slowlog|len')


class Exporter:
    """One prometheus-redis-exporter process scraping one server; the password reaches it by environment only."""

    def __init__(self, target, password: str, user: str | None = None) -> None:
        self.port = free_port()
        env = dict(os.environ, REDIS_PASSWORD=password)
        argv = [EXPORTER, '-redis.addr', 'redis://127.0.0.1:%d' % target.port,
                '-web.listen-address', '127.0.0.1:%d' % self.port]
        if user:
            argv += ['-redis.user', user]
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.scrape_text, 20, 'the exporter on port %d to answer' % self.port, interval=0.2)

    def scrape_text(self) -> str:
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % self.port, timeout=5) as response:
                return response.read().decode('utf-8')
        except OSError:
            return ''

    def samples(self) -> list:
        """(name, labels text without braces, value) of every redis_* sample."""
        found = []
        for line in self.scrape_text().splitlines():
            match = SAMPLE.match(line)
            if match and match.group(1).startswith('redis_'):
                found.append((match.group(1), (match.group(2) or '{}')[1:-1], match.group(3)))
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def exporters(fleet):
    primary = fleet.redis(['repl-diskless-sync-delay 0'])
    replica = fleet.redis(['repl-diskless-sync-delay 0'], replica_of=primary)
    sentinel = fleet.sentinel(primary, name='cache', quorum=1, down_after=60000)
    wait_until(lambda: replica.client().info('replication')['master_link_status'] == 'up', 20,
               'the replica to sync')
    started = {}
    try:
        started['primary'] = Exporter(primary, PASSWORD)
        started['replica'] = Exporter(replica, PASSWORD)
        started['sentinel'] = Exporter(sentinel, SENTINEL_PASSWORD)
        yield {'servers': {'primary': primary, 'replica': replica, 'sentinel': sentinel}, 'exporters': started}
    finally:
        for exporter in started.values():
            exporter.stop()


def input_series(exporters: dict, overrides: dict | None = None) -> list:
    """promtool input series: every scraped sample held for 10 minutes, with job, instance and group labels."""
    series = []
    for role, exporter in exporters['exporters'].items():
        job = 'redis-sentinel' if role == 'sentinel' else 'redis'
        extra = 'job="%s", instance="%s:9121"' % (job, role)
        if role != 'sentinel':
            extra += ', replication_group="cache"'
        for name, labels, value in exporter.samples():
            value = (overrides or {}).get((role, name), value)
            series.append({'series': '%s{%s}' % (name, ', '.join(part for part in (labels, extra) if part)),
                           'values': '%sx40' % value})
        series.append({'series': 'up{%s}' % extra, 'values': '1x40'})
    return series


def promtool(tmp_path, series: list, expected: dict) -> None:
    """Evaluate the shipped rules on series at 10 min; expected maps alert names to lists of label subsets."""
    tests = [{'alertname': name, 'eval_time': '10m', 'exp_alerts': []} for name in rule_names() if name not in expected]
    test_file = tmp_path / 'rules_test.yml'
    test_file.write_text(yaml.safe_dump({
        'rule_files': [RULES], 'evaluation_interval': '15s',
        'tests': [{'interval': '15s', 'input_series': series, 'alert_rule_test': tests}]}))
    result = subprocess.run([PROMTOOL, 'test', 'rules', str(test_file)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    if not expected:
        return
    # The alerts that must fire: evaluate the rules and read the firing alerts' labels.
    query_tests = []
    for name in expected:
        query_tests.append({'expr': 'ALERTS{alertname="%s", alertstate="firing"}' % name, 'eval_time': '10m',
                            'exp_samples': []})
    test_file.write_text(yaml.safe_dump({
        'rule_files': [RULES], 'evaluation_interval': '15s',
        'tests': [{'interval': '15s', 'input_series': series, 'promql_expr_test': query_tests}]}))
    result = subprocess.run([PROMTOOL, 'test', 'rules', str(test_file)], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    for name, label_sets in expected.items():
        for labels in label_sets:
            wanted = ['alertname="%s"' % name] + ['%s="%s"' % item for item in labels.items()]
            assert any(all(part in line for part in wanted) for line in output.splitlines() if '__name__="ALERTS"' in line), (
                '%s with %s did not fire:\n%s' % (name, labels, output))


def test_the_exporter_reports_every_metric_the_rules_use(exporters):
    scraped = {name for exporter in exporters['exporters'].values() for name, _labels, _value in exporter.samples()}
    assert metric_names_in_rules() - scraped == set()


def test_the_scraped_values_describe_the_group(exporters):
    servers = exporters['servers']
    primary = exporters['exporters']['primary'].samples()
    replica = exporters['exporters']['replica'].samples()
    sentinel = exporters['exporters']['sentinel'].samples()
    assert any(name == 'redis_instance_info' and 'role="master"' in labels for name, labels, _v in primary)
    assert ('redis_connected_slaves', '', '1') in primary
    assert any(name == 'redis_connected_slave_lag_seconds' and 'slave_port="%d"' % servers['replica'].port in labels
               for name, labels, _v in primary)
    assert any(name == 'redis_instance_info' and 'role="slave"' in labels for name, labels, _v in replica)
    assert ('redis_master_link_up', 'master_host="127.0.0.1",master_port="%d"' % servers['primary'].port, '1') in replica
    assert any(name == 'redis_sentinel_master_status' and 'master_name="cache"' in labels and
               'master_address="127.0.0.1:%d"' % servers['primary'].port in labels and 'master_status="ok"' in labels
               and value == '1' for name, labels, value in sentinel)
    assert any(name == 'redis_sentinel_master_ckquorum_status' and value == '1' for name, _labels, value in sentinel)


def test_a_healthy_group_fires_no_alert(exporters, tmp_path):
    promtool(tmp_path, input_series(exporters), {})


def test_a_replica_that_lost_its_primary_fires_link_down(exporters, tmp_path):
    exporters['servers']['primary'].kill()
    replica = exporters['exporters']['replica']
    wait_until(lambda: ('redis_master_link_up', 'master_host="127.0.0.1",master_port="%d"'
                        % exporters['servers']['primary'].port, '0') in replica.samples(),
               20, 'the replica exporter to report the link down')
    # the dead primary's exporter only says redis_up 0; leave it out so that RedisDown does not mask the rest
    series = input_series({'exporters': {'replica': replica, 'sentinel': exporters['exporters']['sentinel']}})
    promtool(tmp_path, series, {'RedisReplicaLinkDown': [{'instance': 'replica:9121'}],
                                'RedisNoPrimary': [{'replication_group': 'cache'}]})


def test_a_replica_that_is_down_fires_redis_down(exporters, tmp_path):
    exporters['servers']['replica'].kill()
    replica = exporters['exporters']['replica']
    wait_until(lambda: ('redis_up', '', '0') in replica.samples(), 20, 'the replica exporter to report redis_up 0')
    promtool(tmp_path, input_series(exporters), {'RedisDown': [{'instance': 'replica:9121'}]})


def test_the_documented_least_privilege_acl_user_is_enough(fleet):
    """Scraped as a user with only the documented commands: every metric is there and nothing was refused."""
    server = fleet.redis([EXPORTER_ACL])
    exporter = Exporter(server, 'exporter-pw-4e1b', user='exporter')
    try:
        samples = exporter.samples()
        assert ('redis_up', '', '1') in samples
        names = {name for name, _labels, _value in samples}
        assert {'redis_instance_info', 'redis_connected_slaves', 'redis_memory_used_bytes', 'redis_memory_max_bytes',
                'redis_rdb_last_bgsave_status'} <= names
        assert server.client().execute_command('ACL', 'LOG') == []
    finally:
        exporter.stop()
