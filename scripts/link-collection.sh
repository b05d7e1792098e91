#!/usr/bin/env bash
# Lay the checkout out as ansible_collections/redis_ops/replication under .build/,
# the layout ansible-test and the collection loader need (DESIGN.md decision 1).
# A copy (not a symlink): ansible-test resolves its working directory and must find
# itself inside ansible_collections/<namespace>/<name>.
# Needs only git and tar (both on every machine that cloned the repository): no rsync.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest="$repo/.build/ansible_collections/redis_ops/replication"
mkdir -p "$dest"
cd "$repo"
# Files git knows (tracked, or new and not ignored) that exist in the work tree: exactly what would be committed.
git ls-files -co --exclude-standard -z | python3 -c '
import os, sys
names = sys.stdin.buffer.read().split(b"\0")
sys.stdout.buffer.write(b"".join(n + b"\0" for n in names if n and os.path.lexists(n)))
' | tar --null --no-recursion -T - -cf - | tar -C "$dest" -xpf -
# Drop files that were deleted from the checkout since the last copy.
(cd "$dest" && find . -path ./.git -prune -o \( -type f -o -type l \) -print0) | while IFS= read -r -d '' f; do
  [ -e "$repo/$f" ] || [ -L "$repo/$f" ] || rm -f "$dest/$f"
done
# ansible-test lists a collection's files with git. The copy sits inside this checkout,
# whose .gitignore hides it, so give the copy its own index of exactly these files.
cd "$dest"
[ -d .git ] || git init -q .
rm -f .git/index
git add -A .
echo "$dest"
