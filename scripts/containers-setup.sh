#!/usr/bin/env bash
# Set up podman for Molecule's systemd hosts on this machine kind (idempotent).
# Two settings are needed here: runc (crun refuses the hybrid cgroup layout) and
# default ulimits within what the sandbox permits (raising rlimits is refused).
set -euo pipefail
"$(dirname "$0")/debian-deps.sh" containers
conf=/etc/containers/containers.conf
mkdir -p /etc/containers
python3 - "$conf" <<'PY'
import re, sys
path = sys.argv[1]
try:
    text = open(path).read()
except FileNotFoundError:
    text = ''
wanted = {'engine': ('runtime', '"runc"'),
          'containers': ('default_ulimits', '["nofile=10000:10000", "nproc=10000:10000"]')}
for section, (key, value) in wanted.items():
    line = '%s = %s' % (key, value)
    header = re.search(r'^\[%s\][ \t]*$' % section, text, re.M)
    if not header:
        text = text.rstrip('\n') + ('\n\n' if text else '') + '[%s]\n%s\n' % (section, line)
        continue
    start = header.end()
    nxt = re.search(r'^\[', text[start:], re.M)
    end = start + nxt.start() if nxt else len(text)
    body = text[start:end]
    if re.search(r'^[ \t]*%s[ \t]*=' % key, body, re.M):
        body = re.sub(r'^[ \t]*%s[ \t]*=.*$' % key, line, body, flags=re.M)
    else:
        body = '\n' + line + body
    text = text[:start] + body + text[end:]
open(path, 'w').write(text)
PY
podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupsVersion}}'
