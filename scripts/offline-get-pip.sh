#!/usr/bin/env bash
# ansible-test bootstraps pip in the virtual environments it creates by downloading
# get_pip_<version>.py into ~/.ansible/test/cache/. This machine kind reaches PyPI but
# not that download host, so put a stand-in there that uses Python's bundled ensurepip.
set -euo pipefail
python=${1:?usage: offline-get-pip.sh PYTHON}
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
source_file=$("$python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
grep -oE "pip='[0-9.]+'" "$source_file" | cut -d"'" -f2 | sort -u | while read -r v; do
  target="$cache/get_pip_${v//./_}.py"
  printf '%s\n' 'import subprocess, sys' \
    'sys.exit(subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"]))' > "$target"
  echo "offline pip bootstrap for pip $v: $target"
done
