#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: replication_lag_info
short_description: Read the cross-region replication lag of RDS, Aurora, ElastiCache, DynamoDB and S3 replicas
version_added: 0.1.0
description:
  - Reads the replication lag AWS publishes in CloudWatch for cross-region replicas and tells whether
    each one, and all of them together, are within a recovery point objective (RPO).
  - Exists because amazon.aws and community.aws have no way to answer "how much data would a regional
    failover lose right now"; M(amazon.aws.cloudwatch_metric_alarm) sets alarms and nothing reads
    C(ReplicaLag), C(AuroraGlobalDBRPOLag), C(GlobalDatastoreReplicationLag) or C(ReplicationLatency)
    across regions with one consistent meaning.
  - All replicas of a region are read with one C(GetMetricData) call.
  - Missing data is reported as unknown (V(null)), never as 0, and an unknown replica is never within the RPO.
    A region that does not answer within O(connect_timeout) makes its replicas unknown instead of failing.
  - RDS publishes C(ReplicaLag=-1) while replication is not running (for example the source region is
    down); the last lag before that is returned as RV(replicas[].last_lag_before_stop).
    Aurora and ElastiCache stop publishing instead; RV(replicas[].latest_age_seconds) shows how old the data is.
  - RV(replicas[].data_loss_window_seconds) is what a promotion would lose. While replication runs it is the lag.
    Once it stopped (or the metric went silent) it is the last lag plus the time since that datapoint, because the source
    may have taken writes until it died, and the replica has applied none since. O(rpo_seconds) judges this window.
  - With O(wait_until_below) the module polls until the largest lag is at or below that value, for
    example before a planned switchover or a failback. It never changes anything.
author:
  - multiregion.dr contributors (@multiregion)
options:
  replicas:
    description:
      - The replicas to read, each where its lag metric is published.
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description:
          - V(rds) reads C(AWS/RDS ReplicaLag) (seconds) of a read replica instance.
          - V(aurora) reads C(AWS/RDS AuroraGlobalDBRPOLag) (milliseconds) of a secondary cluster of a global database.
          - V(elasticache) reads C(AWS/ElastiCache GlobalDatastoreReplicationLag) (seconds) of a secondary
            replication group of a Global Datastore, the largest over its member clusters.
          - V(dynamodb) and V(s3) read C(ReplicationLatency) (milliseconds).
        type: str
        required: true
        choices: [rds, aurora, elasticache, dynamodb, s3]
      region:
        description:
          - The region whose CloudWatch holds the metric. For V(rds), V(aurora) and V(elasticache) this is
            the replica's region; for V(dynamodb) and V(s3) the source table's or bucket's region.
        type: str
        required: true
      id:
        description:
          - The DB instance identifier (V(rds)), DB cluster identifier (V(aurora)), replication group id
            (V(elasticache)), table name (V(dynamodb)) or source bucket (V(s3)).
        type: str
        required: true
      metric:
        description:
          - For V(aurora) only, the metric to read; older Aurora MySQL versions publish only C(AuroraGlobalDBReplicationLag).
        type: str
        choices: [AuroraGlobalDBRPOLag, AuroraGlobalDBReplicationLag]
      cache_cluster_ids:
        description:
          - For V(elasticache), the member clusters to read. By default the module reads the replication group's member clusters.
        type: list
        elements: str
      receiving_region:
        description:
          - For V(dynamodb), the C(ReceivingRegion) dimension (the replica's region). Required for V(dynamodb).
        type: str
      destination_bucket:
        description:
          - For V(s3), the C(DestinationBucket) dimension. Required for V(s3).
        type: str
      rule_id:
        description:
          - For V(s3), the replication rule's C(RuleId) dimension. Required for V(s3).
        type: str
  rpo_seconds:
    description:
      - The recovery point objective. A replica whose data-loss window is above it has RV(replicas[].status=over_rpo).
      - Without it, every known window counts as within.
    type: float
  lookback_seconds:
    description:
      - How far back to read the current lag. AWS publishes it once a minute, so keep at least 120.
      - When this window has no valid lag (RDS reports -1 once replication stops; Aurora and ElastiCache stop publishing
        when the source region goes out), the last lag the replica reported within O(history_seconds) stands in, with
        RV(replicas[].stale=true) when the metric went silent; the data-loss window adds the time since it.
    type: int
    default: 300
  history_seconds:
    description:
      - How far back to look for the last lag of a replica whose replication stopped. V(0) reads O(lookback_seconds) only.
    type: int
    default: 86400
  wait_until_below:
    description:
      - Poll until every replica replicates now (no stopped or stale one) with a lag at or below this many seconds;
        fail with the last reading after O(wait_timeout).
    type: float
  wait_timeout:
    description:
      - Seconds to wait for O(wait_until_below).
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two readings while waiting.
    type: float
    default: 30
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: How far behind are the replicas in us-west-2?
  multiregion.dr.replication_lag_info:
    rpo_seconds: 300
    replicas:
      - {type: rds, region: us-west-2, id: orders-db-replica}
      - {type: aurora, region: us-west-2, id: payments-west}
      - {type: elasticache, region: us-west-2, id: sessions-west}
      - {type: dynamodb, region: us-east-1, id: carts, receiving_region: us-west-2}
  register: lag

- name: Stop if a failover now would lose more than the RPO
  ansible.builtin.assert:
    that: lag.within_rpo
    fail_msg: "max lag {{ lag.max_lag_seconds }} s, unknown: {{ lag.unknown }}"

- name: Before a planned failback, wait until the new replica has caught up
  multiregion.dr.replication_lag_info:
    replicas:
      - {type: rds, region: us-east-1, id: orders-db-failback}
    wait_until_below: 1
    wait_timeout: 1800
    poll_interval: 60
"""

RETURN = r"""
replicas:
  description: The lag of each replica, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: The replica type.
      type: str
      sample: rds
    region:
      description: The region the metric was read in.
      type: str
      sample: us-west-2
    id:
      description: The replica's id.
      type: str
      sample: orders-db-replica
    metric:
      description: The CloudWatch metric read.
      type: str
      sample: ReplicaLag
    lag_seconds:
      description:
        - The latest valid (0 or more) lag in seconds; null when unknown.
        - When the lookback window holds none, the last one within O(history_seconds) (see RV(replicas[].last_lag_before_stop)).
      type: float
      sample: 2.0
    replication_running:
      description: False when the latest datapoint is -1 (replication not running), null without datapoints.
      type: bool
    last_lag_before_stop:
      description: When replication stopped, the last lag before it stopped (the data-loss window); else null.
      type: float
    stale:
      description: True when the lookback window has no datapoint and RV(replicas[].lag_seconds) is an older value.
      type: bool
    seconds_since_applied:
      description: When replication stopped or the metric went silent, the seconds since the last valid datapoint; else null.
      type: float
    data_loss_window_seconds:
      description:
        - What a promotion would lose, in seconds; null when unknown.
        - The lag while replication runs; else RV(replicas[].lag_seconds) + RV(replicas[].seconds_since_applied).
      type: float
      sample: 2.0
    datapoints:
      description: How many datapoints were found.
      type: int
    latest_timestamp:
      description: Time of the latest datapoint (ISO 8601), null without datapoints.
      type: str
    latest_age_seconds:
      description: Age of the latest datapoint; a growing age means the metric stopped (Aurora, ElastiCache).
      type: float
    status:
      description: V(ok), V(over_rpo) (data-loss window above O(rpo_seconds)) or V(unknown) (no valid datapoint).
      type: str
      sample: ok
    reason:
      description: Why the lag is unknown (no datapoints, replication stopped, region unreachable) or stale.
      type: str
      returned: when status is unknown or the lag is stale
max_lag_seconds:
  description: The largest known lag in seconds; null when none is known.
  returned: always
  type: float
  sample: 2.0
max_data_loss_window_seconds:
  description: The largest known data-loss window in seconds; null when none is known.
  returned: always
  type: float
  sample: 2.0
within_rpo:
  description: True only when every replica's data-loss window is known and within O(rpo_seconds).
  returned: always
  type: bool
unknown:
  description: Ids of the replicas whose lag is unknown.
  returned: always
  type: list
  elements: str
regions:
  description: For each region read, V(reachable) or why it could not be read.
  returned: always
  type: dict
  sample: {"us-west-2": "reachable"}
readings:
  description: How many times the lag was read (more than 1 when waiting).
  returned: always
  type: int
waited_seconds:
  description: Seconds spent reading and waiting.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC, Stopwatch, check_non_negative, check_region
from ansible_collections.multiregion.dr.plugins.module_utils.lag import TYPES, read_lag, replica_problem
from ansible_collections.multiregion.dr.plugins.module_utils.wait import wait_or_fail


def main():
    argument_spec = dict(
        replicas=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                type=dict(type="str", required=True, choices=list(TYPES)),
                region=dict(type="str", required=True),
                id=dict(type="str", required=True),
                metric=dict(type="str", choices=["AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"]),
                cache_cluster_ids=dict(type="list", elements="str"),
                receiving_region=dict(type="str"),
                destination_bucket=dict(type="str"),
                rule_id=dict(type="str"),
            ),
        ),
        rpo_seconds=dict(type="float"),
        lookback_seconds=dict(type="int", default=300),
        history_seconds=dict(type="int", default=86400),
        wait_until_below=dict(type="float"),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=30),
        **CONNECTION_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    for option in ("rpo_seconds", "wait_until_below", "wait_timeout", "poll_interval", "connect_timeout", "history_seconds"):
        check_non_negative(module, option, params[option])
    if params["lookback_seconds"] < 60:
        module.fail_json(msg=f"lookback_seconds={params['lookback_seconds']} is too short: AWS publishes lag once a minute, use 60 or more")
    if not params["replicas"]:
        module.fail_json(msg="replicas is empty: give at least one replica")
    for number, replica in enumerate(params["replicas"]):
        problem = replica_problem(replica)
        if problem:
            module.fail_json(msg=f"replicas[{number}]: {problem}")
        check_region(module, replica["region"], f"replicas[{number}].region")
        if replica.get("receiving_region"):
            check_region(module, replica["receiving_region"], f"replicas[{number}].receiving_region")

    watch = Stopwatch()
    target = params["wait_until_below"]
    readings = []

    def read():
        readings.append(read_lag(module, params["replicas"], params["lookback_seconds"], params["rpo_seconds"], history_seconds=params["history_seconds"]))
        return readings[-1]

    def caught_up(summary):
        # caught up means replicating now: a stale or stopped replica's last lag does not count
        live = all(r["replication_running"] for r in summary["replicas"])
        return target is None or (live and not summary["unknown"] and summary["max_lag_seconds"] is not None and summary["max_lag_seconds"] <= target)

    summary = wait_or_fail(
        module, read, caught_up, f"the replication lag to drop to {target} s or below",
        status_of=lambda s: f"max lag {s['max_lag_seconds']} s, unknown: {', '.join(s['unknown']) or 'none'}",
        fail=lambda msg: module.fail_json(msg=msg, **dict(readings[-1], readings=len(readings), waited_seconds=watch.seconds, changed=False)),
    )
    module.exit_json(changed=False, readings=len(readings), waited_seconds=watch.seconds, **summary)


if __name__ == "__main__":
    main()
