"""Keep the roles' argument specs honest.

roles/_common/meta/argument_specs.yml is the single source of the options. This script
  * checks that every variable in roles/_common/defaults/main.yml is documented in an entry
    point with the same default, and that every documented default exists there;
  * writes (or with --check, compares) the public roles' meta/argument_specs.yml, which carry the
    same entry points so that `ansible-doc -t role` shows every option of the role you use.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMMON = ROOT / 'roles' / '_common'
PUBLIC = {'redis_master': 'server', 'redis_replica': 'server', 'redis_sentinel': 'sentinel'}
HEADER = '---\n# Generated from roles/_common/meta/argument_specs.yml by scripts/role-specs.py; edit that file.\n'


class IndentDumper(yaml.SafeDumper):
    """Indent sequences inside mappings, as yamllint (and ansible-lint) expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def main() -> int:
    check = '--check' in sys.argv
    specs = yaml.safe_load((COMMON / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    defaults = yaml.safe_load((COMMON / 'defaults' / 'main.yml').read_text())
    problems = []
    documented = {}
    for entry, spec in specs.items():
        for name, option in spec['options'].items():
            documented.setdefault(name, []).append(entry)
            if 'default' in option and name not in defaults:
                problems.append('%s: %s documents a default but defaults/main.yml has none' % (entry, name))
            elif 'default' in option and option['default'] != defaults[name]:
                problems.append('%s: %s default %r differs from defaults/main.yml %r' % (
                    entry, name, option['default'], defaults[name]))
            elif name in defaults and 'default' not in option:
                problems.append('%s: %s has a default in defaults/main.yml but the spec does not say it' % (entry, name))
    for name in defaults:
        if name not in documented:
            problems.append('defaults/main.yml: %s is not documented in any entry point' % name)
    for role, entry in PUBLIC.items():
        path = ROOT / 'roles' / role / 'meta' / 'argument_specs.yml'
        text = HEADER + yaml.dump({'argument_specs': {'main': specs[entry]}}, Dumper=IndentDumper, sort_keys=False, width=110)
        if check:
            if not path.exists() or path.read_text() != text:
                problems.append('%s is out of date: run scripts/role-specs.py' % path.relative_to(ROOT))
        else:
            path.write_text(text)
    for problem in problems:
        print('role-specs: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
