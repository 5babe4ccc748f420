#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) 2025 multiregion.dr contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: transactions_info
version_added: 1.1.0
short_description: The transactions one MySQL or MariaDB server holds and another lacks, read from both
description:
  - Reads the global transaction IDs of two servers (C(SHOW GLOBAL VARIABLES)) and returns what O(server) holds
    and O(other) lacks. The failback runs it before it retires an old primary - whatever only that database
    committed (the writes of an unplanned failover's data-loss window, or of a client that wrote to it after the
    failover) is counted and named in the report before the database is renamed or deleted.
  - "MySQL: C(gtid_executed), exact. MariaDB: C(gtid_binlog_state), an upper bound: the count is never smaller than
    the number of transactions only O(server) has."
  - A server that does not answer, GTIDs off, or two different engines never give a count of 0 - RV(transactions)
    says C(checked=false) and why, and the module does not fail, so the failback goes on and reports the unknown.
  - It exists because M(community.mysql.mysql_query) returns the rows and leaves the comparison, the unknown case
    and the wording to the playbook; the rules live once in C(plugins/module_utils/gtid.py), which
    M(multiregion.dr.rds_promote) also uses for its planned catch-up proof.
  - Reads only; it changes nothing, also in check mode.
author:
  - multiregion.dr maintainers (@multiregion)
options:
  server:
    description: The server whose extra transactions are counted (the old database).
    type: dict
    required: true
    suboptions:
      host:
        description: Its address (an RDS endpoint address); empty for a database with no endpoint yet (then unknown).
        type: str
        required: true
      port:
        description: Its port.
        type: int
        default: 3306
  other:
    description: The server compared with (the current primary).
    type: dict
    required: true
    suboptions:
      host:
        description: Its address.
        type: str
        required: true
      port:
        description: Its port.
        type: int
        default: 3306
  login_user:
    description: The user both servers know (the master user of an RDS replication chain).
    type: str
    required: true
  login_password:
    description: Its password.
    type: str
    default: ""
  connect_timeout:
    description: Seconds to connect to, and to wait for, each server.
    type: int
    default: 5
  kept_in:
    description: Where O(server)'s data stays afterwards (a renamed instance, a final snapshot); the summary in RV(transactions) names it.
    type: str
requirements:
  - PyMySQL
"""

EXAMPLES = r"""
- name: What the old primary holds that the current primary lacks
  multiregion.dr.transactions_info:
    server: {host: shop-db.abc.us-east-1.rds.amazonaws.com, port: 3306}
    other: {host: shop-db.abc.eu-west-1.rds.amazonaws.com, port: 3306}
    login_user: admin
    login_password: "{{ db_password }}"
    kept_in: shop-db-retired-20261204120000
  register: old_only
"""

RETURN = r"""
transactions:
  description:
    - C(checked) (bool); when true C(count) (int), C(exact) (bool), C(gtids) (the GTIDs, as text) and C(format)
      (C(mysql) or C(mariadb)); when false C(reason). C(summary) says it in one line; C(kept_in) is O(kept_in), when given.
  returned: always
  type: dict
  sample: {"checked": true, "count": 3, "exact": false, "format": "mariadb", "gtids": "0-1-98..0-1-100",
           "summary": "the retired database held at most 3 transaction(s) the primary lacks (0-1-98..0-1-100), kept in shop-db-retired-1"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.multiregion.dr.plugins.module_utils.gtid import GtidError, only_on, read_rows, summary

SERVER = dict(host=dict(type="str", required=True), port=dict(type="int", default=3306))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server=dict(type="dict", required=True, options=SERVER),
            other=dict(type="dict", required=True, options=SERVER),
            login_user=dict(type="str", required=True),
            login_password=dict(type="str", default="", no_log=True),
            connect_timeout=dict(type="int", default=5),
            kept_in=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["connect_timeout"] < 1:
        module.fail_json(msg=f"connect_timeout={p['connect_timeout']} must be 1 or more seconds")
    try:
        rows = [read_rows(s["host"], s["port"], p["login_user"], p["login_password"], p["connect_timeout"]) for s in (p["server"], p["other"])]
        found = dict(only_on(*rows), checked=True)
    except GtidError as exc:
        found = {"checked": False, "reason": str(exc)}
    found["summary"] = summary(found, p["kept_in"])
    if p["kept_in"]:
        found["kept_in"] = p["kept_in"]
    module.exit_json(changed=False, transactions=found)


if __name__ == "__main__":
    main()
