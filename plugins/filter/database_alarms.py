# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: database_alarms
short_description: The replication alarms of a database replica, by engine
version_added: 0.1.0
description:
  - Returns the two CloudWatch alarms a cross-region database replica gets, as options of
    M(amazon.aws.cloudwatch_metric_alarm) plus a name C(suffix) (C(replica-lag), C(replication-stopped)).
  - "RDS: C(AWS/RDS ReplicaLag) (seconds) by C(DBInstanceIdentifier); replication stopped is the value -1."
  - "Aurora global database: C(AWS/RDS AuroraGlobalDBRPOLag) (milliseconds) by C(DBClusterIdentifier) of the secondary
    cluster; Aurora stops publishing when replication stops, so that alarm is a missing datapoint."
  - The metrics and units are those M(multiregion.dr.replication_lag_info) reads.
options:
  _input:
    description: The DB engine (C(mysql), C(mariadb), C(postgres), C(aurora-mysql), C(aurora-postgresql)).
    type: str
    required: true
  identifier:
    description: The DB instance identifier (RDS) or DB cluster identifier (Aurora) of the replica.
    type: str
    required: true
  rpo_seconds:
    description: The RPO in seconds; the lag alarm's threshold.
    type: float
    required: true
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: The replica alarms
  amazon.aws.cloudwatch_metric_alarm:
    name: "shop-{{ item.suffix }}"
    namespace: "{{ item.namespace }}"
    metric_name: "{{ item.metric_name }}"
    dimensions: "{{ item.dimensions }}"
    statistic: "{{ item.statistic }}"
    comparison: "{{ item.comparison }}"
    threshold: "{{ item.threshold }}"
    unit: "{{ item.unit }}"
    treat_missing_data: "{{ item.treat_missing_data }}"
    period: 60
    evaluation_periods: 3
  loop: "{{ 'aurora-mysql' | multiregion.dr.database_alarms('shop-db', 30) }}"
"""

RETURN = r"""
_value:
  description:
    - Two alarms, each with C(suffix), C(description), C(namespace), C(metric_name), C(dimensions), C(statistic),
      C(comparison), C(threshold) (in the metric's unit), C(unit) and C(treat_missing_data).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.multiregion.dr.plugins.module_utils.lag import database_alarms as _database_alarms


def database_alarms(engine, identifier, rpo_seconds):
    try:
        rpo = float(rpo_seconds)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"database_alarms: rpo_seconds={rpo_seconds!r} is not a number of seconds")
    if rpo <= 0 or not identifier:
        raise AnsibleFilterError(f"database_alarms: needs an identifier and rpo_seconds > 0, got {identifier!r} and {rpo_seconds!r}")
    return _database_alarms(engine, identifier, rpo)


class FilterModule:
    def filters(self):
        return {"database_alarms": database_alarms}
