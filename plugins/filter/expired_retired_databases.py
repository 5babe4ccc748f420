# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: expired_retired_databases
short_description: The retired databases whose retention has run out
version_added: 0.1.0
description:
  - A failback that keeps the database it replaces renames it C(<name>-retired-<UTC time>) (C(YYYYMMDDHHMMSS)),
    fenced for good. This filter picks, from a list of DB instances, those retired at least O(retention_days) ago.
  - The rds role deletes them, each with a final snapshot C(<identifier>-final) unless it is a replica.
  - Instances already C(deleting), and names that do not end in such a time, are never picked.
options:
  _input:
    description: DB instances, as M(amazon.aws.rds_instance_info) or boto3 C(DescribeDBInstances) returns them.
    type: list
    elements: dict
    required: true
  name:
    description: The database's identifier before retirement (the rds role's C(<app>-db)).
    type: str
    required: true
  retention_days:
    description: How long a retired database is kept, in days; C(0) keeps them forever (nothing is picked).
    type: float
    required: true
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: What has been retired for more than 30 days
  ansible.builtin.debug:
    msg: "{{ found.instances | multiregion.dr.expired_retired_databases('shop-db', 30) }}"
  # [{"identifier": "shop-db-retired-20260101120000", "retired_at": "2026-01-01T12:00:00+00:00", "age_days": 45.2, "replica": false}]
"""

RETURN = r"""
_value:
  description:
    - The expired retired databases, oldest first, each with C(identifier), C(retired_at) (ISO 8601), C(age_days) and
      C(replica) (true when it still replicates from a source, so no final snapshot can be taken).
  type: list
  elements: dict
"""

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.multiregion.dr.plugins.module_utils.rds import expired_retired


def expired_retired_databases(instances, name, retention_days):
    try:
        days = float(retention_days)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"expired_retired_databases: retention_days={retention_days!r} is not a number of days")
    if days < 0:
        raise AnsibleFilterError(f"expired_retired_databases: retention_days={retention_days!r} must be 0 (keep forever) or more")
    return expired_retired(instances or [], name, days, datetime.datetime.now(datetime.timezone.utc))


class FilterModule:
    def filters(self):
        return {"expired_retired_databases": expired_retired_databases}
