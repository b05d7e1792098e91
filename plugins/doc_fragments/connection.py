# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by every module. The names are those of
    # community.general's Redis modules, so playbooks can move over unchanged.
    DOCUMENTATION = r'''
options:
  login_host:
    description:
      - Host name or IP address of the Redis, Valkey or Sentinel instance to connect to.
      - Ignored when O(login_unix_socket) is set.
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the instance. Ignored when O(login_unix_socket) is set.
    type: int
    default: 6379
  login_unix_socket:
    description:
      - Path of the instance's unix socket. When set, O(login_host) and O(login_port) are not used.
    type: path
  login_user:
    description:
      - ACL user name (Redis 6+, Valkey). Leave unset to authenticate as the C(default) user.
      - Requires O(login_password).
    type: str
  login_password:
    description:
      - Password of O(login_user), or the C(requirepass) password when O(login_user) is not set.
    type: str
  tls:
    description:
      - Connect with TLS.
      - Unlike community.general, the default is V(false), because the roles of this collection
        serve plain TCP unless TLS is turned on.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the server's certificate (and its host name) when O(tls=true).
    type: bool
    default: true
  ca_certs:
    description:
      - CA bundle to verify the server's certificate with, when O(tls=true).
    type: path
  client_cert_file:
    description:
      - Client certificate for servers that require one (C(tls-auth-clients yes)).
      - Requires O(client_key_file).
    type: path
  client_key_file:
    description:
      - Key of O(client_cert_file).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the TCP (or TLS) connection to be established.
    type: float
    default: 5
  command_timeout:
    description:
      - Seconds to wait for the reply to any one command.
    type: float
    default: 10
requirements:
  - redis-py (C(python3-redis) on Debian, installed by the roles of this collection) on the host that runs the module.
notes:
  - The module runs where Ansible runs modules; by default that is the managed host, which talks to its
    local instance. Use O(login_host) (or C(delegate_to)) to reach an instance from elsewhere.
'''
