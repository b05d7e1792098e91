"""Prove that every public make target installs what it needs before it needs it, on a fresh machine.

For each public target (the ``make X`` lines of the Makefile's header), ``make -n -B X`` lists every
recipe line the target would run, in order, whatever this machine already has. Each line, and each
shell script it calls (recursively), is read for the commands it runs. A command counts as available
when it is

- on a fresh Debian 12 machine with only git, make and Python (``scripts/base-commands.txt``),
- a path into the checkout or its virtual environments, a shell builtin or a function of the script, or
- provided by a Debian package of requirements/debian.txt whose group an earlier line installed
  (``scripts/debian-deps.sh GROUP...``; a script that installs a group itself may use it).

Some needs are not visible as commands in shell text (pytest starting redis-server, Molecule driving
podman); NEEDS below names them by what the line runs. Anything else is reported with the target,
the line and the package to install. Exit 1 on any finding.

  python3 scripts/check-make-deps.py [--repo DIR] [--packages FILE] [TARGET...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

# Lines whose needs no command in them shows: (pattern on the recipe line, groups, why).
NEEDS = (
    (r'pytest\b.*\btests/modules\b', {'servers'}, 'the module tests start redis-server and redis-sentinel'),
    (r'pytest\b.*\btests/prometheus\b', {'servers'}, 'the exporter tests start redis-server and redis-sentinel'),
    (r'\bmolecule\b.*\btest\b', {'containers', 'clients'}, 'Molecule runs podman hosts; the failover scenario runs node'),
    (r'\bansible-test\b.*\bsanity\b', {'sanity'}, 'ansible-test sanity runs shellcheck'),
    (r'\bbench\b.*\brun\.py\b|\brun\.py\b.*\bbench\b|cd bench\b.*run\.py', {'servers', 'containers'},
     'the bench starts local servers and podman hosts'),
    (r'pytest\b.*\btests/awx\b', {'lab'}, 'the AWX test reaches the lab over SSH'),
)
KEYWORDS = {'if', 'then', 'do', 'else', 'elif', 'while', 'until', '!', '{', 'time', 'exec', 'nohup', 'sudo', 'env',
            'xargs', 'flock', 'timeout', 'builtin'}
BUILTINS = set('''
. : [ [[ ]] alias bg break cd continue declare echo eval exit export false fg getopts hash help history jobs kill
let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source test trap
true type typeset ulimit umask unalias unset wait case esac fi done in for function select coproc
'''.split())


def read_packages(path: str) -> tuple:
    """({command: (package, group)}, {group: {packages}}) from requirements/debian.txt."""
    provided, groups = {}, {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            fields = line.split('#', 1)[0].split()
            if len(fields) >= 2:
                groups.setdefault(fields[1], set()).add(fields[0])
                for command in fields[2:]:
                    provided[command] = (fields[0], fields[1])
    return provided, groups


def read_lines(path: str) -> set:
    with open(path, encoding='utf-8') as handle:
        return {word for line in handle for word in line.split('#', 1)[0].split()}


def heredoc_free(text: str) -> str:
    """The text without the bodies of here-documents (data, not commands)."""
    out, end = [], None
    for line in text.splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        out.append(line)
        match = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if match:
            end = match.group(1)
    return '\n'.join(out)


def commands_of(text: str) -> list:
    """The words a piece of shell runs as commands: the first word of each simple command, including those in
    $(...) and backticks; quoted text, comments, parameter expansions, case labels and assignments are skipped.
    A scanner, not a parser: good enough for the scripts of this repository, and it errs towards finding words."""
    text = heredoc_free(text).replace('\\\n', ' ')
    found, i, n, at_start, quote_stack, case_label, cases = [], 0, len(text), True, [], False, 0
    while i < n:
        char = text[i]
        in_double = quote_stack and quote_stack[-1] == '"'
        if in_double:
            if char == '\\':
                i += 2
                continue
            if char == '"':
                quote_stack.pop()
            elif text.startswith('$(', i) and not text.startswith('$((', i):
                quote_stack.append(')')
                i, at_start = i + 2, True
                continue
            i += 1
            continue
        if char == '\\':
            i, at_start = i + 2, False
            continue
        if char == "'":
            close = text.find("'", i + 1)
            i, at_start = (n if close < 0 else close + 1), False
            continue
        if char == '"':
            quote_stack.append('"')
            i, at_start = i + 1, False
            continue
        if char == '#' and (i == 0 or text[i - 1] in ' \t\n;'):
            close = text.find('\n', i)
            i = n if close < 0 else close
            continue
        if text.startswith('${', i) or text.startswith('$((', i):
            depth, i = 0, i + 1
            while i < n:
                depth += {'{': 1, '(': 1, '}': -1, ')': -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            at_start = False
            continue
        if text.startswith('$(', i) or char == '`' or char == '(':
            if char == '(' and text.startswith('((', i):
                close = text.find('))', i)
                i = n if close < 0 else close + 2
                continue
            if char != '`':
                quote_stack.append(')')
            i, at_start = i + (2 if char == '$' else 1), True
            continue
        if char == ')':
            if quote_stack and quote_stack[-1] == ')':
                quote_stack.pop()
            i, at_start = i + 1, case_label
            case_label = False
            continue
        if char in ';|&\n':
            i, at_start = i + 1, True
            continue
        if char in ' \t':
            i += 1
            continue
        match = re.match(r'[^\s;|&()`<>]+', text[i:])
        if not match:
            i, at_start = i + 1, False
            continue
        word = match.group(0)
        end = i + len(word)
        if at_start:
            if re.match(r'^[A-Za-z_]\w*(\[[^]]*\])?\+?=', word):
                if word.endswith('$') and text.startswith('(', end):
                    end -= 1  # NAME=$(...): the substitution runs a command
                elif text.startswith('(', end):  # array assignment: skip its elements
                    close = text.find(')', end)
                    end = n if close < 0 else close + 1
            elif cases and not quote_stack and (text.startswith(')', end) or text.startswith('|', end)):
                case_label = True  # a case label: a command follows its ")"
            elif word == 'command' and re.match(r'\s+-v\b', text[end:]):
                at_start = False
            elif word in KEYWORDS or word.startswith('-'):
                pass
            else:
                found.append(word.strip('"'))
                cases += {'case': 1, 'esac': -1}.get(word, 0)
                at_start = False
        i = end
    return found


def packages_installed_by(text: str, groups: dict) -> set:
    """Packages a piece of shell installs: scripts/debian-deps.sh GROUP..., or an apt-get install in the same
    text that names them (as the Makefile and the scripts did before requirements/debian.txt)."""
    text = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
    packages = set()
    for match in re.finditer(r'debian-deps\.sh((?:[ \t]+[\w$()-]+)+)', text):
        for group in match.group(1).split():
            packages |= groups.get(group, set())
    if re.search(r'apt-get\b[^\n]*\binstall\b', text):
        known = set().union(*groups.values())
        packages |= {word for word in re.findall(r'[\w.+-]+', text) if word in known}
    return packages


class Checker:
    def __init__(self, repo: str, packages: str = '') -> None:
        self.repo = repo
        self.provided, self.groups = read_packages(packages or os.path.join(repo, 'requirements', 'debian.txt'))
        self.base = read_lines(os.path.join(repo, 'scripts', 'base-commands.txt'))
        self.script_cache = {}

    def scripts_in(self, line: str) -> list:
        paths = []
        for token in re.findall(r'[\w./$()-]*\.sh\b', line):
            token = re.sub(r'^.*\)/', 'scripts/', token)  # "$(dirname "$0")/x.sh" inside scripts/
            for candidate in (token, os.path.join('scripts', os.path.basename(token))):
                path = os.path.join(self.repo, candidate)
                if os.path.isfile(path):
                    paths.append(os.path.normpath(path))
                    break
        return paths

    def script_needs(self, path: str, seen: frozenset = frozenset()) -> tuple:
        """(commands the script and the scripts it calls run, groups they install themselves)."""
        if path in self.script_cache:
            return self.script_cache[path]
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        functions = set(re.findall(r'^\s*(?:function\s+)?([\w-]+)\s*\(\)\s*\{', text, re.M))
        commands = [c for c in commands_of(text) if c not in functions]
        installs = packages_installed_by(text, self.groups)
        for script in self.scripts_in(text):
            if script != path and script not in seen and not script.endswith('debian-deps.sh'):
                sub_commands, sub_installs = self.script_needs(script, seen | {path})
                commands += sub_commands
                installs |= sub_installs
        self.script_cache[path] = (commands, installs)
        return commands, installs

    def missing(self, command: str, installed: set):
        """None when the command is available at this point, else (package, group); group None means
        an executable of this machine that neither a fresh machine nor requirements/debian.txt provides."""
        if not command or '$' in command or command.startswith(('.', '~')):
            return None
        if '/' in command and not command.startswith(('/usr/', '/bin/', '/sbin/')):
            return None  # a path into the checkout, a venv or scripts/
        name = os.path.basename(command)
        if name in BUILTINS or name in self.base:
            return None
        if name in self.provided:
            package, group = self.provided[name]
            return None if package in installed else (package, group)
        # Words that are no command anywhere are the scanner's noise; an executable that this machine has and a
        # fresh one lacks is exactly how "works here, fails on a fresh machine" happens.
        return ('?', None) if shutil.which(name) else None

    def check_target(self, target: str) -> list:
        env = {k: v for k, v in os.environ.items() if not k.startswith('MAKE')}
        result = subprocess.run(['make', '--no-print-directory', '-n', '-B', '-C', self.repo, target],
                                capture_output=True, text=True, env=env, timeout=120, check=False)
        if result.returncode != 0:
            return ['make -n %s failed: %s' % (target, result.stderr.strip())]
        installed, problems = set(), []
        for line in re.sub(r'\\\n', ' ', result.stdout).splitlines():
            installed |= packages_installed_by(line, self.groups)
            commands = list(commands_of(line))
            installs_here = set()
            for script in self.scripts_in(line):
                if script.endswith('debian-deps.sh'):
                    continue
                sub_commands, sub_installs = self.script_needs(script)
                commands += sub_commands
                installs_here |= sub_installs
            available = installed | installs_here
            for command in commands:
                lack = self.missing(command, available)
                if lack:
                    package, group = lack
                    what = ('Debian package %s (scripts/debian-deps.sh %s)' % (package, group) if group
                            else 'no target installs it and a fresh machine lacks it (add it to requirements/debian.txt)')
                    problems.append('make %s: `%s` runs %s before it is installed: %s'
                                    % (target, line[:100], os.path.basename(command), what))
            for pattern, groups, why in NEEDS:
                lacking = sorted(g for g in groups if not self.groups.get(g, set()) <= available)
                if re.search(pattern, line) and lacking:
                    problems.append('make %s: `%s` needs scripts/debian-deps.sh %s first (%s)'
                                    % (target, line[:100], ' '.join(lacking), why))
            installed |= installs_here
        return sorted(set(problems), key=problems.index)


def public_targets(repo: str) -> list:
    with open(os.path.join(repo, 'Makefile'), encoding='utf-8') as handle:
        return re.findall(r'^#\s+make ([\w-]+)', handle.read(), re.M)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--repo', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument('--packages', default='', help='the package list (default: requirements/debian.txt)')
    parser.add_argument('targets', nargs='*')
    args = parser.parse_args()
    checker = Checker(args.repo, args.packages)
    targets = args.targets or public_targets(args.repo)
    problems = []
    for target in targets:
        problems += checker.check_target(target)
    for problem in problems:
        print(problem)
    print('check-make-deps: %d public targets, %d problems' % (len(targets), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
