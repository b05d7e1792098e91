# -*- coding: utf-8 -*-
# Copyright: redis_ops.replication contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: sentinel_monitors
short_description: What one Sentinel monitors, one entry per replication group it watches
version_added: 0.3.0
description:
  - One entry per group of the P(redis_ops.replication.replication_groups#filter) model that is in the run and that
    O(sentinel) watches, with the options of M(redis_ops.replication.sentinel_monitor) (and of the
    O(redis_ops.replication.instance#module:monitors) option of M(redis_ops.replication.instance)).
  - The address is the group's current primary (O(primaries), which discovery sets as C(redis_ops_primaries)).
  - With one group the Sentinel's own settings (O(own)) are used, as before groups existed. With several, each
    group's quorum, timings and the login Sentinel uses on its data nodes (C(auth-pass), and C(auth-user) with ACL
    users) come from the inventory variables of the group's first primary, else from O(defaults). The notification
    and client-reconfig scripts are files on the Sentinel's host, so always O(own).
author:
  - Redis Ops Team (@redis-ops)
positional: hostvars, sentinel, primaries
options:
  _input:
    description: The result of P(redis_ops.replication.replication_groups#filter).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  sentinel:
    description: The Sentinel's inventory name.
    type: str
    required: true
  primaries:
    description: The current primary of each group by master name (C(address), C(port)).
    type: dict
    required: true
  own:
    description: The Sentinel's own settings (variable name to value), as the role sees them.
    type: dict
    default: {}
  defaults:
    description: The role's defaults, for settings a group's first primary does not set.
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Monitor every group this Sentinel watches
  redis_ops.replication.instance:
    unit: redis-sentinel-26379.service
    monitors: >-
      {{ _model | redis_ops.replication.sentinel_monitors(hostvars, inventory_hostname, redis_ops_primaries,
         own={'redis_sentinel_quorum': 2, 'redis_password': redis_password}) }}
'''

RETURN = r'''
_value:
  description: C(name), C(host), C(port), C(quorum), C(auth_user), C(auth_pass), C(down_after_milliseconds),
    C(failover_timeout), C(parallel_syncs), C(notification_script), C(client_reconfig_script) for each group.
  type: list
  elements: dict
'''

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.redis_ops.replication.plugins.filter.replication_groups import (
    group_setting,
    groups_in_run,
    settings_host,
)


def _boolean(value) -> bool:
    try:
        return boolean(value, strict=False)
    except TypeError:
        return False


def sentinel_monitors(model, hostvars, sentinel, primaries, own=None, defaults=None):
    """What one Sentinel monitors: one entry per group in the run that it watches (the sentinel_monitor options).

    With one group, the Sentinel's own settings (own: its variables as the role sees them) are used, as before groups
    existed; with several, each group's settings come from its first primary's inventory variables, else defaults.
    """
    own, defaults = dict(own or {}), dict(defaults or {})
    monitors = []
    for group, primary in groups_in_run(model, primaries, 'sentinel_monitors'):
        if sentinel not in group['sentinels']:
            continue
        if model['multi']:
            def setting(variable, _source=settings_host(group)):
                return group_setting(hostvars, _source, variable, defaults)
        else:
            def setting(variable):
                return own[variable] if variable in own else defaults.get(variable)
        acl = _boolean(setting('redis_acl_enabled'))
        password = setting('redis_password') or ''
        monitors.append(dict(
            name=group['master_name'], host=str(primary['address']), port=int(primary['port']),
            quorum=int(setting('redis_sentinel_quorum')),
            auth_user=setting('redis_acl_sentinel_user') if acl else None,
            auth_pass=setting('redis_acl_sentinel_password') if acl else (password if password else None),
            down_after_milliseconds=int(setting('redis_sentinel_down_after_milliseconds')),
            failover_timeout=int(setting('redis_sentinel_failover_timeout')),
            parallel_syncs=int(setting('redis_sentinel_parallel_syncs')),
            # Scripts are files on the Sentinel's host: its own settings, in every group.
            notification_script=own.get('redis_sentinel_notification_script') or None,
            client_reconfig_script=own.get('redis_sentinel_client_reconfig_script') or None,
        ))
    return monitors


class FilterModule:
    def filters(self):
        return {'sentinel_monitors': sentinel_monitors}
