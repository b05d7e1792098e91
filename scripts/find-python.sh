#!/usr/bin/env bash
# Print the path of a CPython interpreter of the given minor version (e.g. 3.13):
# pyenv's build first (this machine kind ships 3.12 and 3.13 there), then PATH.
set -euo pipefail
want=${1:?usage: find-python.sh 3.13}
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for candidate in "$root"/versions/"$want".*/bin/python"$want" "$(command -v "python$want" || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
echo "find-python.sh: no Python $want found (pyenv or PATH)" >&2
exit 1
