# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harness for module tests: real redis-server / redis-sentinel processes on loopback,
and the modules run the way Ansible runs them (ansible-playbook, json callback).

Environment:
  REDIS_OPS_MODULE_PYTHON  interpreter the modules run with (default: /usr/bin/python3,
                           i.e. Debian's python3-redis, as on a managed host).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis

PASSWORD = 'pw-9ca1e7-data'
SENTINEL_PASSWORD = 'pw-5b2d40-sentinel'
SECRETS = (PASSWORD, SENTINEL_PASSWORD)
MODULE_PYTHON = os.environ.get('REDIS_OPS_MODULE_PYTHON', '/usr/bin/python3')
BIN_DIR = os.path.dirname(sys.executable)
CALLBACK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
# The ansible_collections/ directory this copy of the collection lives in: the modules under test are
# always these, never another installed copy.
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..'))


# Ports come from below Linux's ephemeral range (32768 and up), where no client connection takes its local port,
# and each pytest-xdist worker (make modules runs two) has a range of its own: a port one worker probed free is never
# handed to another worker before the first one's server has bound it.
PORT_BASE = 20000
PORTS_PER_WORKER = 1500
_next_port = [0]


def _worker_index() -> int:
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    digits = worker[2:] if worker.startswith('gw') else ''
    return int(digits) % 8 if digits.isdigit() else 0


def free_port() -> int:
    """A loopback port that nothing listens on, from this worker's range (cycled through, so rarely reused)."""
    first = PORT_BASE + _worker_index() * PORTS_PER_WORKER
    for _attempt in range(PORTS_PER_WORKER):
        port = first + _next_port[0] % PORTS_PER_WORKER
        _next_port[0] += 1
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free loopback port in %d-%d' % (first, first + PORTS_PER_WORKER - 1))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll predicate until it returns something truthy; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except redis.RedisError as exc:
            last_error = exc
        time.sleep(interval)
    pytest.fail('timed out after %ss waiting for %s (last error: %s)' % (timeout, what, last_error))


class Instance:
    """One redis-server or redis-sentinel process with its own directory and config file."""

    def __init__(self, workdir: str, kind: str, port: int, lines: list, password: str | None,
                 use_config_file: bool = True) -> None:
        self.kind = kind
        self.port = port
        self.password = password
        self.dir = os.path.join(workdir, '%s-%d' % (kind, port))
        os.makedirs(self.dir)
        self.config_path = os.path.join(self.dir, '%s.conf' % kind)
        self.log_path = os.path.join(self.dir, '%s.log' % kind)
        self.lines = ['port %d' % port, 'bind 127.0.0.1', 'dir %s' % self.dir, 'logfile %s' % self.log_path,
                      'protected-mode yes'] + lines
        self.use_config_file = use_config_file
        self.process = None

    def start(self, write_config: bool = True) -> 'Instance':
        binary = shutil.which('redis-sentinel' if self.kind == 'sentinel' else 'redis-server')
        if self.use_config_file:
            if write_config:
                with open(self.config_path, 'w', encoding='utf-8') as handle:
                    handle.write('\n'.join(self.lines) + '\n')
            argv = [binary, self.config_path]
        else:
            argv = [binary]
            for line in self.lines:
                name, _sep, value = line.partition(' ')
                argv += ['--' + name] + (value.split(' ') if name == 'save' else [value])
        self.process = subprocess.Popen(argv, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self._answers, 10, '%s on port %d to answer' % (self.kind, self.port))
        return self

    def start_from_file(self) -> 'Instance':
        """Start again from the config file as it is now (as written by a test or by the server)."""
        return self.start(write_config=False)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            with open(self.log_path, encoding='utf-8', errors='replace') as handle:
                pytest.fail('%s on port %d exited: %s' % (self.kind, self.port, handle.read()[-2000:]))
        return self.client(socket_timeout=0.5).ping()

    def client(self, **kwargs) -> redis.Redis:
        kwargs.setdefault('socket_timeout', 5)
        return redis.Redis(host='127.0.0.1', port=self.port, password=self.password, decode_responses=True,
                           **kwargs)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def config_text(self) -> str:
        with open(self.config_path, encoding='utf-8') as handle:
            return handle.read()


class Fleet:
    """Starts instances for one test and stops every one of them afterwards."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.instances: list = []

    def redis(self, lines: list | None = None, password: str | None = PASSWORD, use_config_file: bool = True,
              replica_of: 'Instance | None' = None, masterauth: bool = True) -> Instance:
        lines = list(lines or [])
        lines += ['save ""', 'appendonly no']
        if password:
            lines.append('requirepass %s' % password)
            if masterauth:
                lines.append('masterauth %s' % password)
        if replica_of is not None:
            lines.append('replicaof 127.0.0.1 %d' % replica_of.port)
        return self._start(Instance(self.workdir, 'redis', free_port(), lines, password, use_config_file))

    def sentinel(self, monitor: 'Instance | None' = None, name: str = 'mymaster', quorum: int = 1,
                 down_after: int = 1000, lines: list | None = None,
                 password: str | None = SENTINEL_PASSWORD) -> Instance:
        lines = list(lines or [])
        if password:
            lines += ['requirepass %s' % password, 'sentinel sentinel-pass %s' % password]
        if monitor is not None:
            lines += ['sentinel monitor %s 127.0.0.1 %d %d' % (name, monitor.port, quorum),
                      'sentinel down-after-milliseconds %s %d' % (name, down_after),
                      'sentinel failover-timeout %s 10000' % name]
            if monitor.password:
                lines.append('sentinel auth-pass %s %s' % (name, monitor.password))
        return self._start(Instance(self.workdir, 'sentinel', free_port(), lines, password))

    def _start(self, instance: Instance) -> Instance:
        self.instances.append(instance)
        return instance.start()

    def stop_all(self) -> None:
        for instance in self.instances:
            try:
                instance.resume()
            except (ProcessLookupError, AttributeError):
                pass
            instance.stop()


@pytest.fixture
def fleet():
    workdir = tempfile.mkdtemp(prefix='redis-ops-test-')
    instances = Fleet(workdir)
    try:
        yield instances
    finally:
        instances.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


FAST = ['repl-diskless-sync-delay 0']


@pytest.fixture
def node_tmpdir(monkeypatch):
    """TMPDIR of the managed node (this machine) for one test, to find what a playbook leaves there. Short, under
    /tmp: ansible-core 2.21 puts its local RPC server's unix socket under TMPDIR, and a socket path over 107 bytes
    (a pytest tmp_path under an xdist worker) stops ansible-playbook with "Local RPC server did not start"."""
    path = tempfile.mkdtemp(prefix='ro-', dir='/tmp')
    monkeypatch.setenv('TMPDIR', path)
    try:
        yield pathlib.Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cluster(fleet):  # pylint: disable=redefined-outer-name
    """One primary, two replicas and three Sentinels (quorum 2) that know each other and both replicas."""
    primary = fleet.redis(FAST)
    replicas = [fleet.redis(FAST, replica_of=primary) for _index in range(2)]
    sentinels = [fleet.sentinel(primary, quorum=2, down_after=2000) for _index in range(3)]
    wait_until(lambda: all(len(sentinel_command(s, 'SENTINELS', 'mymaster')) == 2 and
                           len(sentinel_command(s, 'REPLICAS', 'mymaster')) == 2 for s in sentinels),
               30, 'the Sentinels to discover each other and both replicas', interval=0.5)
    return primary, replicas, sentinels


def sentinel_primary_port(sentinel: Instance, name: str = 'mymaster') -> int:
    """The primary's port as this Sentinel reports it."""
    return int(sentinel.client().execute_command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)[1])


class ModuleRun:
    """Result of one module run through ansible-playbook."""

    def __init__(self, result: dict, stdout: str, rc: int) -> None:
        self.result = result
        self.stdout = stdout
        self.rc = rc

    @property
    def failed(self) -> bool:
        return bool(self.result.get('failed'))

    def __getitem__(self, key):
        return self.result[key]

    def get(self, key, default=None):
        return self.result.get(key, default)


@pytest.fixture
def run_module(tmp_path):
    """run_module('replicaof', {...}, check=False, diff=True) -> ModuleRun.

    Runs redis_ops.replication.<name> on localhost through ansible-playbook with the
    json callback, and asserts that no test secret ever appears in the output.
    """
    counter = [0]

    def _run(name: str, args: dict, check: bool = False, diff: bool = True, python: str = MODULE_PYTHON) -> ModuleRun:
        counter[0] += 1
        playbook = tmp_path / ('play-%d.yml' % counter[0])
        play = [dict(hosts='localhost', gather_facts=False,
                     tasks=[{'redis_ops.replication.%s' % name: args, 'register': 'out'}])]
        playbook.write_text(json.dumps(play))
        argv = [os.path.join(BIN_DIR, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % python, str(playbook)]
        if check:
            argv.append('--check')
        if diff:
            argv.append('--diff')
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='results_json', ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
                   ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0')
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, check=False)
        for secret in SECRETS:
            assert secret not in proc.stdout and secret not in proc.stderr, \
                'a password leaked into the output of %s' % name
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])[0]['result']
        except (ValueError, KeyError, IndexError):
            pytest.fail('could not read the result of %s:\nstdout: %s\nstderr: %s' % (
                name, proc.stdout[-3000:], proc.stderr[-3000:]))
        return ModuleRun(result, proc.stdout, proc.returncode)

    return _run


class RawResult(Exception):
    """What a module handed to exit_json/fail_json, before AnsibleModule masks no_log values in it."""

    def __init__(self, result: dict) -> None:
        super().__init__('module finished')
        self.result = result


@pytest.fixture
def run_module_raw(monkeypatch):
    """run_module_raw('replicaof', {...}, check=False, diff=True) -> dict: the module's own result.

    Runs the module's main() in this process and captures the keyword arguments of exit_json / fail_json
    (failed and msg included) before AnsibleModule and Ansible replace no_log values with ********: what the
    module itself redacts is tested here, which run_module cannot show. The test process's redis-py is used.
    """
    # pylint: disable=import-outside-toplevel
    import importlib

    from ansible.module_utils import basic

    def capture_exit(_self, **kwargs):
        raise RawResult(kwargs)

    def capture_fail(_self, msg, **kwargs):
        raise RawResult(dict(kwargs, failed=True, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', capture_exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', capture_fail)

    def _run(name: str, args: dict, check: bool = False, diff: bool = True) -> dict:
        payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': payload}).encode())
        if hasattr(basic, '_ANSIBLE_PROFILE'):
            monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy')
        module = importlib.import_module('ansible_collections.redis_ops.replication.plugins.modules.%s' % name)
        try:
            module.main()
        except RawResult as done:
            return done.result
        pytest.fail('%s returned without calling exit_json or fail_json' % name)
        return {}

    return _run


def conn(instance: Instance, **extra) -> dict:
    """Module connection options for an instance of the fleet."""
    options = dict(login_host='127.0.0.1', login_port=instance.port)
    if instance.password:
        options['login_password'] = instance.password
    options.update(extra)
    return options


def overridden(options: dict, changes: dict) -> dict:
    """Valid options with one row of a bad-input table applied; a None value removes the option."""
    merged = dict(options, **changes)
    return {key: value for key, value in merged.items() if value is not None}


def as_dict(reply) -> dict:
    """A flat [k1, v1, ...] reply or a map (as newer redis-py returns it) as a dict of strings."""
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    return {str(k): str(v) for k, v in zip(reply[::2], reply[1::2])}


def sentinel_command(sentinel: Instance, *args) -> list:
    """SENTINEL <args>: a list of dicts for MASTERS/REPLICAS/SENTINELS, one dict for MASTER."""
    reply = sentinel.client().execute_command('SENTINEL', *args)
    if args[0].upper() == 'MASTER':
        return as_dict(reply)
    return [as_dict(entry) for entry in reply]


def promotable_replicas(sentinel: Instance, name: str = 'mymaster') -> list:
    """The replicas this Sentinel would accept for a promotion right now (the checks Sentinel makes before a
    failover): not down or disconnected, link to the primary up, a recent INFO from the replica itself and a
    non-zero priority. Right after Sentinel learns a replica from the primary's INFO it counts in num-slaves
    but has no INFO of its own yet, and SENTINEL FAILOVER answers NOGOODSLAVE."""
    return [entry for entry in sentinel_command(sentinel, 'REPLICAS', name)
            if entry['flags'] == 'slave' and entry.get('master-link-status') == 'ok'
            and int(entry.get('info-refresh', '999999')) < 5000 and entry.get('slave-priority', '100') != '0']


def role_of(instance: Instance) -> str:
    return instance.client().info('replication')['role']


def ansible_env() -> dict:
    """The environment run_module runs ansible-playbook with: this copy of the collection, the json callback."""
    return dict(os.environ, ANSIBLE_STDOUT_CALLBACK='results_json', ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
                ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                ANSIBLE_LOCALHOST_WARNING='0',
                ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0')


class InlinePlaybookRun:
    """Result of run_playbook: every task's result (results_json callback), the output and the exit code."""

    def __init__(self, results: list, stdout: str, stderr: str, rc: int) -> None:
        self.results = results
        self.stdout = stdout
        self.stderr = stderr
        self.rc = rc

    def task(self, name: str) -> dict:
        """The result of the task called name (on the first host that ran it)."""
        for entry in self.results:
            if entry['task'] == name:
                return entry['result']
        pytest.fail('no result for task %r; tasks that ran: %s\nstderr: %s' % (
            name, [entry['task'] for entry in self.results], self.stderr[-3000:]))
        return {}


def run_playbook(plays: list, workdir, secrets: tuple = SECRETS, python: str = MODULE_PYTHON) -> InlinePlaybookRun:
    """Run any playbook (a list of plays) on localhost through ansible-playbook with the json callback.

    Asserts that none of ``secrets`` appears in Ansible's output. ``workdir`` is where the playbook
    file is written (a test's tmp_path).
    """
    handle, path = tempfile.mkstemp(prefix='playbook-', suffix='.yml', dir=str(workdir))
    with os.fdopen(handle, 'w', encoding='utf-8') as playbook:
        playbook.write(json.dumps(plays))
    argv = [os.path.join(BIN_DIR, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=%s' % python, path]
    proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(), timeout=180, check=False)
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr, 'a password leaked into the output of %s' % path
    try:
        results = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pytest.fail('could not read the results of %s:\nstdout: %s\nstderr: %s' % (
            path, proc.stdout[-3000:], proc.stderr[-3000:]))
    return InlinePlaybookRun(results, proc.stdout, proc.stderr, proc.returncode)


class PlaybookRun:
    """Result of one run of a playbook file: return code, output and, with the results_json callback, every task result."""

    def __init__(self, rc: int, stdout: str, stderr: str, results: list | None) -> None:
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def task(self, name: str, host: str | None = None) -> list:
        """The results of the task called name (on host), as the results_json callback recorded them."""
        return [entry for entry in self.results or []
                if entry['task'] == name and (host is None or entry['host'] == host)]


def run_playbook_file(playbook: str, inventory: str, extra_vars: dict | None = None, check: bool = False,
                      callback: str = 'results_json', timeout: int = 180) -> PlaybookRun:
    """Run a playbook file of this collection copy with an inventory file, the way run_module runs a module.

    callback 'results_json' parses every task result into PlaybookRun.results; any other value (e.g. 'default')
    leaves the human-readable output in stdout. Asserts that no test secret appears in the output.
    """
    argv = [os.path.join(BIN_DIR, 'ansible-playbook'), '-i', inventory, playbook]
    if extra_vars:
        argv += ['-e', json.dumps(extra_vars)]
    if check:
        argv.append('--check')
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
               ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='0')
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr, \
            'a password leaked into the output of %s' % os.path.basename(playbook)
    results = None
    if callback == 'results_json':
        try:
            results = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            pytest.fail('could not read the results of %s:\nstdout: %s\nstderr: %s' % (
                playbook, proc.stdout[-3000:], proc.stderr[-3000:]))
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)
