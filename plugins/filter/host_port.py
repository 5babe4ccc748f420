# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: host_port
short_description: An endpoint as the application's configuration names it, address:port
version_added: 1.1.0
description:
  - Returns C(address:port), the address alone when there is no port, and an empty string when there is no address
    (never a port alone). The configuration (role C(app_config), the failover's configuration step) and the failover
    plan name endpoints this way; on the simulator's data plane every server has a port of its own.
options:
  _input:
    description: The address (an RDS or ElastiCache endpoint address).
    type: str
    required: true
  port:
    description: The port; empty or missing for none.
    type: raw
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: The write endpoint of the configuration
  ansible.builtin.debug:
    msg: "{{ 'shop-db.abc.us-east-1.rds.amazonaws.com' | multiregion.dr.host_port(3306) }}"
  # shop-db.abc.us-east-1.rds.amazonaws.com:3306
"""

RETURN = r"""
_value:
  description: C(address:port), the address alone, or an empty string.
  type: str
"""

from ansible_collections.multiregion.dr.plugins.module_utils.plan import endpoint


def host_port(address, port=None):
    return endpoint(address, port) or ""


class FilterModule:
    def filters(self):
        return {"host_port": host_port}
