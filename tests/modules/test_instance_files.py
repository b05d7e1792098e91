# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_files on the real file system of the host, through ansible-playbook (check and diff mode included)."""

from __future__ import annotations

import os
import pwd
import stat

UNIT = '[Unit]\nDescription=test\n\n[Service]\nExecStart=/bin/true\n'
NOBODY = pwd.getpwnam('nobody')


def mode_of(path) -> str:
    return '%04o' % stat.S_IMODE(os.stat(path).st_mode)


def layout(tmp_path, unit: str = UNIT, dir_mode: str = '0750', unit_mode: str = '0644') -> dict:
    return dict(
        directories=[dict(path=str(tmp_path / 'etc' / '6379'), owner='nobody', mode=dir_mode),
                     dict(path=str(tmp_path / 'lib' / '6379'), mode=dir_mode)],
        files=[dict(path=str(tmp_path / 'etc' / '6379' / 'x.service'), content=unit, owner='root', mode=unit_mode),
               dict(path=str(tmp_path / 'plain.conf'), content='a = 1\n')])


def test_creates_then_reports_nothing_then_rewrites_only_what_differs(tmp_path, run_module):
    args = layout(tmp_path)
    unit = tmp_path / 'etc' / '6379' / 'x.service'

    checked = run_module('instance_files', args, check=True)
    assert checked['changed'] is True and not checked.failed, checked.result
    assert checked['created_paths'] == [d['path'] for d in args['directories']] + [f['path'] for f in args['files']]
    assert not (tmp_path / 'etc').exists(), 'check mode created something'

    first = run_module('instance_files', args)
    assert first['changed'] is True and first['changed_paths'] == checked['changed_paths'], first.result
    assert unit.read_text() == UNIT and mode_of(unit) == '0644'
    assert mode_of(tmp_path / 'etc' / '6379') == '0750' and os.stat(tmp_path / 'etc' / '6379').st_uid == NOBODY.pw_uid
    assert (tmp_path / 'plain.conf').read_text() == 'a = 1\n'

    again = run_module('instance_files', args)
    assert again['changed'] is False and again['changed_paths'] == [] and again['created_paths'] == [], again.result
    assert again.get('diff') in (None, [], {}), again.result

    changed_unit = UNIT.replace('/bin/true', '/bin/false')
    before = os.stat(tmp_path / 'plain.conf').st_ino
    diffed = run_module('instance_files', layout(tmp_path, unit=changed_unit), check=True)
    assert diffed['changed_paths'] == [str(unit)] and unit.read_text() == UNIT, diffed.result
    assert diffed['diff'][0]['before'] == UNIT and diffed['diff'][0]['after'] == changed_unit

    rewritten = run_module('instance_files', layout(tmp_path, unit=changed_unit))
    assert rewritten['changed_paths'] == [str(unit)] and rewritten['created_paths'] == [], rewritten.result
    assert unit.read_text() == changed_unit and mode_of(unit) == '0644'
    assert os.stat(tmp_path / 'plain.conf').st_ino == before, 'an unchanged file was rewritten'
    assert not [name for name in os.listdir(unit.parent) if name.startswith('.x.service.')], 'a temporary file was left'


def test_attributes_alone_are_changes_too(tmp_path, run_module):
    assert not run_module('instance_files', layout(tmp_path)).failed
    unit = tmp_path / 'etc' / '6379' / 'x.service'
    os.chmod(unit, 0o600)
    os.chown(tmp_path / 'etc' / '6379', 0, 0)

    checked = run_module('instance_files', layout(tmp_path), check=True)
    assert sorted(checked['changed_paths']) == sorted([str(tmp_path / 'etc' / '6379'), str(unit)]), checked.result
    assert mode_of(unit) == '0600'

    fixed = run_module('instance_files', layout(tmp_path))
    assert sorted(fixed['changed_paths']) == sorted(checked['changed_paths']) and fixed['created_paths'] == []
    assert mode_of(unit) == '0644' and os.stat(tmp_path / 'etc' / '6379').st_uid == NOBODY.pw_uid


def test_refuses_what_it_cannot_do_with_a_clear_message(tmp_path, run_module):
    (tmp_path / 'busy').write_text('a file')
    run = run_module('instance_files', dict(directories=[dict(path=str(tmp_path / 'busy'))]))
    assert run.failed and run['msg'] == '%s exists and is not a directory; nothing was changed there' % (
        tmp_path / 'busy'), run.result

    missing = tmp_path / 'nowhere' / 'x.conf'
    run = run_module('instance_files', dict(files=[dict(path=str(missing), content='x')]))
    assert run.failed and 'the directory of %s does not exist' % missing in run['msg'], run.result
    assert not (tmp_path / 'nowhere').exists()

    twice = str(tmp_path / 'twice.conf')
    run = run_module('instance_files', dict(files=[dict(path=twice, content='a'), dict(path=twice, content='b')]))
    assert run.failed and 'named twice' in run['msg'] and not os.path.exists(twice), run.result

    run = run_module('instance_files', dict(files=[dict(path=str(tmp_path / 'x.conf'))]))
    assert run.failed and 'content' in run['msg'], run.result


def test_check_mode_accepts_a_file_in_a_directory_it_would_create(tmp_path, run_module):
    args = dict(directories=[dict(path=str(tmp_path / 'new'))],
                files=[dict(path=str(tmp_path / 'new' / 'f.conf'), content='x\n')])
    run = run_module('instance_files', args, check=True)
    assert not run.failed and run['created_paths'] == [str(tmp_path / 'new'), str(tmp_path / 'new' / 'f.conf')]
    assert not (tmp_path / 'new').exists()
