# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for journalctl next to the fake systemctl: prints what a unit's process wrote."""
import os
import sys

args = sys.argv[1:]
name = args[args.index('--unit') + 1]
path = os.path.join(os.environ['FAKE_SYSTEMD_DIR'], name + '.journal')
if os.path.exists(path):
    with open(path, encoding='utf-8', errors='replace') as handle:
        sys.stdout.write(''.join(handle.readlines()[-15:]))
