"""Write each role's README.md from its meta/argument_specs.yml (with --check: fail when one is out of date).

The argument specs are the single source of the roles' options (scripts/role-specs.py keeps them right);
the READMEs are what Galaxy shows and what galaxy-importer requires, so they are generated, never edited.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = ROOT / 'roles'
MARKUP = re.compile(r'\b([ICOVBLU]|RV)\(([^()]*)\)')


def markdown(text) -> str:
    """Ansible doc markup (C(), O(), V(), I(), B(), U(), L()) as Markdown, on one line."""
    def convert(match):
        kind, body = match.groups()
        if kind in ('C', 'O', 'V', 'RV'):
            return '`%s`' % body.split(':')[-1] if kind == 'O' else '`%s`' % body
        if kind == 'I':
            return '*%s*' % body
        if kind == 'B':
            return '**%s**' % body
        if kind == 'L':
            label, _sep, url = body.partition(',')
            return '[%s](%s)' % (label.strip(), url.strip())
        return body
    text = ' '.join(text) if isinstance(text, list) else str(text or '')
    return MARKUP.sub(convert, ' '.join(text.split())).replace('|', '\\|')


def value(option: dict) -> str:
    if option.get('required'):
        return '(required)'
    if 'default' not in option:
        return ''
    default = option['default']
    if isinstance(default, bool):
        shown = 'true' if default else 'false'
    elif isinstance(default, (list, dict)):
        shown = yaml.safe_dump(default, default_flow_style=True, width=1000).strip()
    else:
        shown = str(default)
    return '`%s`' % shown.replace('|', '\\|').replace('`', "'")


def kind(option: dict) -> str:
    text = option.get('type', 'str')
    if option.get('elements'):
        text += ' of ' + option['elements']
    if option.get('choices'):
        text += ': ' + ', '.join('`%s`' % c for c in option['choices'])
    return text


def readme(role: str, specs: dict, meta: dict) -> str:
    fqcn = 'redis_ops.replication.%s' % role
    info = meta.get('galaxy_info') or {}
    lines = ['# %s' % fqcn, '',
             '<!-- Generated from meta/argument_specs.yml by scripts/role-docs.py; do not edit. -->', '']
    if role.startswith('_'):
        lines += ['A private role of the collection: the public roles `redis_master`, `redis_replica` and',
                  '`redis_sentinel` and the playbooks include it. Do not use it on its own.', '']
    else:
        lines += [markdown(info.get('description', '')), '',
                  'Normally run through the playbook `redis_ops.replication.site`, which decides the current primary from',
                  'the live cluster first; see the collection README. `ansible-doc -t role %s` shows the same options.' % fqcn,
                  '']
    for entry, spec in specs.items():
        lines += ['## Entry point `%s`' % entry, '', markdown(spec.get('short_description', '')), '']
        for paragraph in spec.get('description') or []:
            lines += [markdown(paragraph), '']
        lines += ['| Variable | Type | Default | Description |', '| --- | --- | --- | --- |']
        for name, option in spec.get('options', {}).items():
            secret = ' Secret: never logged.' if option.get('no_log') else ''
            cells = (name, kind(option), value(option), markdown(option.get('description', '')), secret)
            lines.append('| `%s` | %s | %s | %s%s |' % cells)
        lines.append('')
    platforms = ', '.join('%s %s' % (p['name'], ', '.join(str(v) for v in p.get('versions', [])))
                          for p in info.get('platforms', []))
    if platforms:
        lines += ['## Platforms', '', platforms, '']
    lines += ['## License', '', info.get('license', 'GPL-3.0-or-later'), '']
    return '\n'.join(lines)


def main() -> int:
    check = '--check' in sys.argv
    stale = []
    for role_dir in sorted(p for p in ROLES.iterdir() if (p / 'meta' / 'argument_specs.yml').is_file()):
        specs = yaml.safe_load((role_dir / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
        meta_file = role_dir / 'meta' / 'main.yml'
        meta = yaml.safe_load(meta_file.read_text()) if meta_file.is_file() else {}
        text = readme(role_dir.name, specs, meta or {})
        target = role_dir / 'README.md'
        if target.is_file() and target.read_text() == text:
            continue
        if check:
            stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(text)
            print('wrote %s' % target.relative_to(ROOT))
    if stale:
        print('out of date (run scripts/role-docs.py): %s' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
