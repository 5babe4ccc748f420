# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: transactions_only_on
short_description: The transactions one MySQL or MariaDB server holds and another lacks
version_added: 0.1.0
description:
  - Compares two servers' global transaction IDs, as C(SHOW GLOBAL VARIABLES) returns them
    (for example through M(community.mysql.mysql_query)), and returns what the first holds and the second lacks.
  - M(multiregion.dr.transactions_info) reads both servers and compares them by the same rules.
  - "MySQL: C(gtid_executed), exact. MariaDB: C(gtid_binlog_state), an upper bound: the count is never smaller than
    the number of transactions only the first server has."
  - The failback uses it to report the writes that exist only on the old primary it retires.
  - When the two cannot be compared (GTIDs off, different engines, a text that is not a GTID), the result says so
    (O(ignore:checked=false)) and never reports 0.
options:
  _input:
    description: The rows of C(SHOW GLOBAL VARIABLES) (each with C(Variable_name) and C(Value)) of the server whose extra transactions are counted.
    type: list
    elements: dict
    required: true
  other:
    description: The same rows of the server compared with.
    type: list
    elements: dict
    required: true
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: What the old primary has that the new one lacks
  ansible.builtin.debug:
    msg: "{{ old_rows | multiregion.dr.transactions_only_on(new_rows) }}"
  vars:
    old_rows: [{Variable_name: gtid_binlog_state, Value: "0-1-100"}]
    new_rows: [{Variable_name: gtid_binlog_state, Value: "0-1-90,0-2-500"}]
  # {"checked": true, "count": 10, "exact": false, "format": "mariadb", "gtids": "0-1-91..0-1-100"}
"""

RETURN = r"""
_value:
  description:
    - C(checked) (bool); when true C(count) (int), C(exact) (bool), C(gtids) (the GTIDs, as text) and C(format)
      (C(mysql) or C(mariadb)); when false C(reason).
  type: dict
"""

from ansible_collections.multiregion.dr.plugins.module_utils.gtid import GtidError, only_on


def transactions_only_on(rows, other):
    try:
        return dict(only_on(rows, other), checked=True)
    except (GtidError, KeyError, TypeError) as exc:
        return {"checked": False, "reason": str(exc) if isinstance(exc, GtidError) else f"not SHOW GLOBAL VARIABLES rows: {exc}"}


class FilterModule:
    def filters(self):
        return {"transactions_only_on": transactions_only_on}
