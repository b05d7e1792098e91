# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for systemctl on test hosts without systemd (tests/modules/test_instance.py).

It keeps each unit's state in $FAKE_SYSTEMD_DIR/state.json, appends every call to calls.log, and really runs the
ExecStart= of a unit file found in $FAKE_SYSTEMD_UNIT_DIR: "start" spawns it (a real redis-server) and fails, with
its output in the journal, when it exits within half a second.
"""
import json
import os
import signal
import subprocess
import sys
import time

STATE_DIR = os.environ['FAKE_SYSTEMD_DIR']
UNIT_DIR = os.environ['FAKE_SYSTEMD_UNIT_DIR']
STATE = os.path.join(STATE_DIR, 'state.json')


def load() -> dict:
    try:
        with open(STATE, encoding='utf-8') as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def save(state: dict) -> None:
    with open(STATE, 'w', encoding='utf-8') as handle:
        json.dump(state, handle)


def alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except (OSError, TypeError):
        return False
    return True


def unit_of(state: dict, name: str) -> dict:
    unit = state.setdefault(name, {})
    if 'pid' in unit and not alive(unit['pid']):
        unit.pop('pid')
        unit['active'] = 'failed'
    return unit


def exec_start(name: str) -> list:
    with open(os.path.join(UNIT_DIR, name), encoding='utf-8') as handle:
        for line in handle:
            if line.startswith('ExecStart='):
                return line.split('=', 1)[1].split()
    raise SystemExit('no ExecStart in %s' % name)


def main(argv: list) -> int:
    with open(os.path.join(STATE_DIR, 'calls.log'), 'a', encoding='utf-8') as handle:
        handle.write(' '.join(argv) + '\n')
    state = load()
    verb, names = argv[0], [arg for arg in argv[1:] if not arg.startswith('--')]
    if verb == 'daemon-reload':
        return 0
    name = names[0]
    unit = unit_of(state, name)
    exists = os.path.exists(os.path.join(UNIT_DIR, name)) or unit.get('loaded', False)
    if verb == 'show':
        print('LoadState=%s' % ('loaded' if exists else 'not-found'))
        print('ActiveState=%s' % unit.get('active', 'inactive'))
        print('UnitFileState=%s' % (unit.get('file', 'disabled') if exists else ''))
    elif verb == 'start':
        if unit.get('active') != 'active':
            log = os.path.join(STATE_DIR, name + '.journal')
            with open(log, 'w', encoding='utf-8') as out:
                proc = subprocess.Popen(exec_start(name), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            time.sleep(0.5)
            if proc.poll() is not None:
                unit['active'] = 'failed'
                save(state)
                sys.stderr.write('Job for %s failed because the control process exited with error code.\n' % name)
                return 1
            unit.update(active='active', pid=proc.pid)
    elif verb == 'stop':
        if alive(unit.get('pid')):
            os.kill(unit['pid'], signal.SIGTERM)
        unit.pop('pid', None)
        unit['active'] = 'inactive'
    elif verb in ('enable', 'disable'):
        unit['file'] = verb + 'd'
    else:
        sys.stderr.write('fake systemctl: %s is not supported\n' % verb)
        return 2
    save(state)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
