#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_promote
short_description: Promote the cross-region replica of an RDS instance or Aurora global database in a target region
version_added: 0.1.0
description:
  - Makes the replica of a database in O(target_region) the writable primary, as a regional failover needs,
    with a data-loss (RPO) gate, source fencing for planned switchovers and waits on the real AWS status sequence.
  - Exists because amazon.aws and community.aws do not cover it. M(amazon.aws.rds_instance) with
    O(amazon.aws.rds_instance#module:read_replica=false) promotes without any check of the replica lag,
    without fencing the old primary, and without waiting until the replica is detached; no module of
    either collection runs Aurora C(SwitchoverGlobalCluster) or C(FailoverGlobalCluster).
  - B(RDS read replica) (O(db_instance_identifier)) - the replica's source is read from its
    C(ReadReplicaSourceDBInstanceIdentifier). C(PromoteReadReplica) is called with
    O(backup_retention_period), then the module waits until the instance is available, has no source
    and no replication status left, and tags it with the time (RV(promoted_at)).
  - B(Aurora global database) (O(global_cluster_identifier)) - the target is the member cluster in
    O(target_region). A planned promotion runs C(SwitchoverGlobalCluster) (AWS syncs the secondary first,
    RPO 0, and demotes the old primary); an unplanned one runs C(FailoverGlobalCluster) with C(AllowDataLoss=true).
    The module waits until the target is the writer and the global cluster is available.
  - B(planned) (RDS) - the source region must answer. The source is fenced first by setting
    C(read_only=1) (MySQL, MariaDB) or C(default_transaction_read_only=on) (PostgreSQL) in its custom DB
    parameter group; the module waits for the parameter group to be in-sync (RV(fenced_at)), then for the proof that the
    replica holds every write of the fenced source, then promotes, so no acknowledged write is lost. The proof is the
    servers' own (O(transaction_check)) when it can be made; otherwise a C(ReplicaLag) of 0 in a minute that starts
    at or after RV(fenced_at). CloudWatch stamps a datapoint with the start of its minute and publishes it once a
    minute, 1-2 minutes late, so on AWS that wait takes 1 to 3 minutes; a 0 from a minute that began before the
    fence is never taken, as writes may have gone on within it. Fencing changes the parameter
    group, so every instance that uses the group becomes read-only; give the source a group of its own.
    Planned needs a running replication with a known C(ReplicaLag), else nothing proves the catch-up; the
    module fails before changing anything otherwise. O(wait_timeout) bounds each wait, the catch-up included.
    When the replica does not catch up within it, nothing is promoted and the module lifts the fence it set, so
    the source takes writes again instead of leaving the application with no writer, and fails saying so.
    When AWS refuses the promotion call itself (access denied, a quota, throttling) and the replica, read again, is
    still an available replica, nothing was promoted either, and the fence is lifted the same way. After any other
    error (a 5xx, a lost answer) the promotion may have started, so the fence stays and a rerun continues.
    A source with a C(default.*) parameter group cannot be fenced (AWS does not allow changes to it), so the
    module fails before changing anything.
  - B(The target's own fence) - a region that was fenced as an old primary keeps C(read_only=1) in its
    parameter group, and a replica created there later inherits it. Before promoting, the module resets that
    parameter in the target's group (C(ResetDBParameterGroup); replicas stay read-only through the engine
    default C({TrueIfReplica})) and waits for the group to be in-sync, so the promoted instance takes writes.
  - B(unplanned) - the source region is never called beyond a probe (one attempt, O(connect_timeout)),
    so a dead region does not block the promotion.
  - B(RPO gate) - before an unplanned promotion the module reads the replica's lag from CloudWatch
    (see M(multiregion.dr.replication_lag_info); for Aurora C(AuroraGlobalDBRPOLag), or C(AuroraGlobalDBReplicationLag)
    when the engine publishes only that one). While replication runs the data-loss window is the lag. When
    it has stopped (C(ReplicaLag=-1)) or the metric went silent, the window is the last lag plus the time
    since that datapoint, because the source may have taken writes until it died, and the replica saw none of them.
    If the window is unknown, or above O(rpo_seconds), the module refuses before changing anything unless
    O(allow_data_loss=true). The same rule gates M(multiregion.dr.failover_plan) and M(multiregion.dr.elasticache_global_failover).
  - A rerun after a time-out or an interruption picks up where the last run stopped; a promotion,
    switchover or failover already under way is only waited for.
author:
  - multiregion.dr contributors (@multiregion)
options:
  target_region:
    description:
      - The region whose replica becomes the primary.
    type: str
    required: true
  db_instance_identifier:
    description:
      - The identifier of the RDS read replica in O(target_region).
      - Exactly one of O(db_instance_identifier) and O(global_cluster_identifier) is required.
    type: str
  global_cluster_identifier:
    description:
      - The identifier of the Aurora global database whose member cluster in O(target_region) becomes the writer.
    type: str
  mode:
    description:
      - V(planned) fences the source (RDS) or switches over (Aurora), for zero data loss; the source region must answer.
      - V(unplanned) promotes without touching the source region, after the RPO gate.
      - V(auto) is V(planned) if the source region answers a probe within O(connect_timeout), else V(unplanned).
    type: str
    choices: [planned, unplanned, auto]
    default: auto
  rpo_seconds:
    description:
      - The RPO budget for an unplanned promotion, in seconds. A data-loss window above it refuses the promotion unless O(allow_data_loss=true).
      - When not set, any known window is accepted; an unknown lag (no datapoints, or replication stopped
        with no lag recorded in the day before the stop) still refuses unless O(allow_data_loss=true).
      - C(max_lag_seconds), the option's former name, is an alias.
    aliases: [max_lag_seconds]
    type: float
  allow_data_loss:
    description:
      - Promote even when the data-loss window is unknown or above O(rpo_seconds) (the module warns and returns the window).
    type: bool
    default: false
  backup_retention_period:
    description:
      - Days of automated backups the promoted RDS instance keeps (0 to 35). AWS advises backups on for a promoted replica.
    type: int
    default: 7
  lookback_seconds:
    description:
      - How far back the current lag is read in CloudWatch. When replication stopped or the metric went
        silent, the last lag reported in the day before stands in (the data-loss window).
    type: int
    default: 600
  transaction_check:
    description:
      - RDS, planned - after the fence, read the source server's C(read_only) and both servers' global transaction IDs
        (MySQL C(gtid_executed), MariaDB C(gtid_binlog_state)) and wait until the source refuses writes and the replica
        holds every transaction of it. That is the proof AWS users rely on, and it takes seconds where a C(ReplicaLag)
        stamped after the fence takes minutes; when it is made, the CloudWatch wait is skipped. On a time-out nothing
        is promoted and the fence is lifted, as for the lag.
      - Needs the Python package PyMySQL where the module runs and a network path to both databases.
      - Unset - the CloudWatch lag is the only proof.
    type: dict
    suboptions:
      login_user:
        description: A database user that may read global variables (the master user).
        type: str
        required: true
      login_password:
        description: Its password.
        type: str
        required: true
      connect_timeout:
        description: Seconds to connect to each database.
        type: int
        default: 5
      required:
        description:
          - V(true) - a comparison that cannot be made (no connection, GTIDs off) refuses the promotion and lifts the fence.
          - V(false) - it is reported (RV(transaction_check) with C(checked=false) and the reason) and the CloudWatch proof
            (a C(ReplicaLag) of 0 stamped after the fence) is waited for instead.
        type: bool
        default: false
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Check mode reports the plan (RV(plan)) and changes nothing. With C(--diff) the topology before and after is shown.
  - The lag the simulator and AWS publish is per minute, so a planned switchover waits at least until the next datapoint shows 0.
"""

EXAMPLES = r"""
- name: Regional outage - promote the us-west-2 replica without touching us-east-1, at most 5 minutes of data lost
  multiregion.dr.rds_promote:
    target_region: us-west-2
    db_instance_identifier: orders-db-replica
    mode: unplanned
    rpo_seconds: 300
    connect_timeout: 3
  register: promoted

- name: Planned switchover - fence the source, wait until the replica caught up, promote
  multiregion.dr.rds_promote:
    target_region: us-west-2
    db_instance_identifier: orders-db-replica
    mode: planned
    wait_timeout: 1800

- name: Aurora global database - failover when the primary region is down, switchover when it answers
  multiregion.dr.rds_promote:
    target_region: us-west-2
    global_cluster_identifier: payments
    mode: auto
    rpo_seconds: 60

- name: Accept any data loss (the lag is unknown because the outage began long ago)
  multiregion.dr.rds_promote:
    target_region: us-west-2
    db_instance_identifier: orders-db-replica
    mode: unplanned
    allow_data_loss: true
"""

RETURN = r"""
msg:
  description: What was done, or why nothing was.
  returned: always
  type: str
kind:
  description: V(rds) or V(aurora).
  returned: always
  type: str
mode:
  description: The mode used (V(auto) resolved to V(planned) or V(unplanned)).
  returned: when a promotion was planned or run
  type: str
source:
  description: The primary before the promotion.
  returned: when known
  type: dict
  contains:
    region:
      description: Its region.
      type: str
    id:
      description: Its DB instance or DB cluster identifier.
      type: str
    reachable:
      description: Whether its region answered (null when not probed).
      type: bool
plan:
  description: The steps done, or in check mode the steps that would be done.
  returned: always
  type: list
  elements: str
fenced:
  description:
    - Whether the source was made read-only before the promotion (planned only; for Aurora by the switchover itself).
    - False again after a catch-up that timed out, whose fence was lifted (RV(unfenced_source)).
  returned: always
  type: bool
unfenced_source:
  description: After a catch-up time-out, the source's parameter group whose fence was lifted so that it takes writes again.
  returned: on a planned promotion whose catch-up timed out
  type: str
  sample: shop-mysql80
unfenced:
  description: The target's parameter group whose fence (for example C(read_only=1)) was lifted before the promotion; null when it had none.
  returned: always
  type: str
lag:
  description: The replica's lag as read before the promotion (see M(multiregion.dr.replication_lag_info) for the fields).
  returned: when read
  type: dict
fenced_at:
  description: When the fence on the source was in place (its parameter group in-sync), UTC; the catch-up is proven after it.
  returned: when a planned promotion fenced the source
  type: str
  sample: "2026-12-05T04:40:12+00:00"
transaction_check:
  description:
    - With O(transaction_check) in a planned promotion - C(checked) (bool); when true C(count) (transactions of the
      fenced source the replica lacks, 0 once it caught up), C(gtids), C(exact), C(format) and C(source_read_only)
      (the fence in effect on the source server); when false C(reason).
  returned: when O(transaction_check) was given and a planned promotion ran
  type: dict
  sample: {"checked": true, "count": 0, "gtids": "", "exact": true, "format": "mariadb", "source_read_only": true}
lag_seconds_at_promotion:
  description: The lag the promotion went ahead with (0 after a planned catch-up; null when unknown).
  returned: when a promotion was run or planned
  type: float
data_loss_window_seconds:
  description:
    - Seconds of writes that may be lost (0 for planned; null when unknown).
    - Unplanned, the replica's lag while replication runs; once it stopped (ReplicaLag -1, or the metric went silent),
      the last lag plus the seconds since that datapoint, since the source may have taken writes until it died.
  returned: when a promotion was run or planned
  type: float
endpoint:
  description: The promoted database's endpoint.
  returned: when the target exists
  type: dict
  contains:
    address:
      description: DNS name.
      type: str
    port:
      description: Port.
      type: int
topology_before:
  description: Roles before the run, C(source) and C(target) each with region, id and role.
  returned: always
  type: dict
topology_after:
  description: Roles after the run (in check mode, what they would be).
  returned: always
  type: dict
statuses:
  description: The statuses seen while waiting, in order (for example modifying, rebooting, available).
  returned: always
  type: list
  elements: str
resumed:
  description: True when an operation already under way (from an earlier, interrupted run) was waited for.
  returned: always
  type: bool
promoted_at:
  description:
    - RDS instance - when the promotion finished (epoch seconds), also tagged on the instance as
      C(multiregion-dr:promoted-at). Of two databases that take writes, the one promoted last is the one whose writes
      count (M(multiregion.dr.topology_info)'s C(active_writer)), even while DNS has not followed yet.
  returned: when this run promoted the instance, or finished a promotion under way
  type: int
  sample: 1795600000
seconds:
  description: Seconds the module took.
  returned: always
  type: float
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import (
    AWS_ERRORS,
    Stopwatch,
    check_non_negative,
    check_region,
    client,
    error_code,
    is_unreachable,
    on_error,
)
from ansible_collections.multiregion.dr.plugins.module_utils.gtid import GtidError, only_on, read_rows, variables_of
from ansible_collections.multiregion.dr.plugins.module_utils.lag import caught_up_after, read_lag, rpo_verdict
from ansible_collections.multiregion.dr.plugins.module_utils.rds import (
    FENCE_PARAMETERS,
    PROMOTED_TAG,
    arn_location,
    describe_fence,
    engine_family,
    fence_in_place,
    fence_target,
    global_writer,
    lift_fence,
    params_in_sync,
    params_status,
    parameter_group,
    promoted,
    set_fence,
)
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC, wait_or_fail


def gate(module, lag_entry):
    """The RPO gate of an unplanned promotion (lag.rpo_verdict): fail before any change unless the
    data-loss window is known and in budget, or allow_data_loss=true."""
    budget = module.params["rpo_seconds"]
    verdict, window = rpo_verdict([lag_entry], budget, module.params["allow_data_loss"])
    if verdict == "overridden":
        module.warn(f"the data-loss window is {window}, not within rpo_seconds={budget}; promoting because allow_data_loss=true")
    if verdict != "refused":
        return
    what = (f"unknown, so the data loss cannot be bounded (rpo_seconds={budget})" if lag_entry.get("data_loss_window_seconds") is None
            else f"above rpo_seconds={budget}")
    module.fail_json(
        msg=f"refusing to promote: the replica's data-loss window is {window}: {what}. "
        "Set allow_data_loss=true to promote anyway and accept losing that much data.",
        lag=lag_entry,
    )


def lag_for(module, kind, region, identifier):
    """The replica's lag reading (lag.read_lag); its data_loss_window_seconds is what a promotion loses."""
    replica = {"type": kind, "region": region, "id": identifier}
    entry = read_lag(module, [replica], module.params["lookback_seconds"])["replicas"][0]
    if kind == "aurora" and not entry["datapoints"]:
        # older Aurora MySQL versions publish only AuroraGlobalDBReplicationLag
        replica["metric"] = "AuroraGlobalDBReplicationLag"
        entry = read_lag(module, [replica], module.params["lookback_seconds"])["replicas"][0]
    return entry["data_loss_window_seconds"], entry


def run_wait(module, result, describe, done, what, status_of, always=False, undo=None):
    """Wait with wait_timeout; unless always, only when wait=true (fencing and catch-up are always waited for).
    On a time-out, undo() runs first and returns what the failure message adds."""
    if not (module.params["wait"] or always):
        return None

    def fail(msg):
        module.fail_json(msg=msg + (undo() if undo else ""), **result)

    return wait_or_fail(module, describe, done, what, status_of=status_of, statuses=result["statuses"], fail=fail)


NOT_A_REPLICA = "is not a read replica"  # InvalidDBInstanceState of PromoteReadReplica on a standalone instance


def refused_before_acting(exc, still_a_replica):
    """Whether PromoteReadReplica certainly did not start: AWS refused the call itself (one of REFUSALS) and the target,
    read again (still_a_replica()), is still an available replica. A 5xx, or a retry that met a promotion a lost answer
    had started (InvalidDBInstanceState), is no such proof."""
    return error_code(exc) in REFUSALS and still_a_replica()


# Errors with which AWS refuses a call before acting on it: after one, a promotion did not start.
REFUSALS = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken",
                      "ExpiredTokenException", "SignatureDoesNotMatch", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                      "StorageQuotaExceeded", "InstanceQuotaExceeded"})


class Promotion:
    """What both kinds share: the target region, its client, and the identifier the option OPTION names."""
    OPTION = None
    NOT_FOUND = None  # the error code AWS answers for a target that does not exist

    def __init__(self, module, result):
        self.module, self.result = module, result
        self.region = module.params["target_region"]
        self.identifier = module.params[self.OPTION]
        self.rds = client(module, "rds", self.region)

    def describe(self):
        raise NotImplementedError

    def describe_target(self, missing):
        """describe(), or fail with the message missing (before any change) when the target does not exist."""
        found = on_error(self.describe, {self.NOT_FOUND: None})
        if found is None:
            self.module.fail_json(msg=missing, **self.result)
        return found


# RDS read replicas ------------------------------------------------------------------------------------
class RdsPromotion(Promotion):
    OPTION = "db_instance_identifier"
    NOT_FOUND = "DBInstanceNotFound"

    def describe(self):
        return self.rds.describe_db_instances(DBInstanceIdentifier=self.identifier, aws_retry=True)["DBInstances"][0]

    def still_a_replica(self):
        """Whether the target is still an available read replica (no promotion started), read again now."""
        try:
            instance = self.describe()
        except AWS_ERRORS:
            return False
        return bool(instance.get("ReadReplicaSourceDBInstanceIdentifier")) and instance["DBInstanceStatus"] == "available"

    def target_view(self, instance, role=None):
        if role is None:
            role = "replica" if instance.get("ReadReplicaSourceDBInstanceIdentifier") else "standalone"
        return {"region": self.region, "id": self.identifier, "role": role, "status": instance["DBInstanceStatus"]}

    def wait_promoted(self):
        return run_wait(
            self.module, self.result, self.describe, promoted,
            f"DB instance {self.identifier} in {self.region} to be promoted (available or backing-up, no source, no replication status)",
            lambda i: i["DBInstanceStatus"],
        )

    def finish(self, instance, msg, changed):
        # a replica may carry its source's stamp (tags copied): a promotion always writes its own
        if (changed or self.result.get("resumed")) and promoted(instance) and not self.module.check_mode:
            self.stamp(instance)
            changed = True
        endpoint = instance.get("Endpoint") or {}
        target = self.target_view(instance)
        source = self.result["topology_before"].get("source")
        if source:
            source = dict(source, role="primary" if target["role"] == "replica" else "detached")
        self.result.update(
            msg=msg, changed=changed, topology_after={"source": source, "target": target},
            endpoint={"address": endpoint.get("Address"), "port": endpoint.get("Port")},
        )
        return self.result

    def stamp(self, instance):
        """Tag the promoted instance with the time (rds.PROMOTED_TAG): of two writers, the one promoted last is the
        active one, even while DNS still points at the other (topology.writers_view)."""
        stamp = int(time.time())
        self.rds.add_tags_to_resource(ResourceName=instance["DBInstanceArn"], Tags=[{"Key": PROMOTED_TAG, "Value": str(stamp)}], aws_retry=True)
        self.result["promoted_at"] = stamp

    def probe_source(self, region, identifier):
        """The source instance, or None when its region does not answer (probe client: one attempt)."""
        try:
            return client(self.module, "rds", region, probe=True).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        except Exception as exc:  # pylint: disable=broad-except
            if is_unreachable(exc):
                return None
            if error_code(exc) == "DBInstanceNotFound":
                return {}
        # throttled or a passing error: the region is up, ask again with retries
        return on_error(lambda: client(self.module, "rds", region).describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"][0],
                        {"DBInstanceNotFound": {}})

    def run(self):
        module, result, params = self.module, self.result, self.module.params
        instance = self.describe_target(f"db_instance_identifier={self.identifier!r} not found in target_region={self.region}: "
                                        "give the identifier of the read replica in that region")
        result["topology_before"] = {"source": None, "target": self.target_view(instance)}

        if promoted(instance) and instance["DBInstanceStatus"] != "available":
            return self.finish(instance, f"{self.identifier} in {self.region} is already a standalone instance "
                               f"({instance['DBInstanceStatus']}, writable): nothing to promote", False)
        if instance["DBInstanceStatus"] != "available":
            # an earlier run's promotion (or the replica's creation) is still under way: wait for it, then decide
            result["resumed"] = True
            result["plan"].append(f"wait for {self.identifier} ({instance['DBInstanceStatus']}) to be available")
            if module.check_mode or not params["wait"]:
                return self.finish(instance, f"{self.identifier} is {instance['DBInstanceStatus']}; an operation is under way", False)
            instance = run_wait(module, result, self.describe, lambda i: i["DBInstanceStatus"] == "available",
                                f"DB instance {self.identifier} in {self.region} to be available", lambda i: i["DBInstanceStatus"])
            if not instance.get("ReadReplicaSourceDBInstanceIdentifier"):
                instance = self.wait_promoted()
                return self.finish(instance, f"the promotion of {self.identifier} that was under way has finished", False)

        source_ref = instance.get("ReadReplicaSourceDBInstanceIdentifier")
        if not source_ref:
            return self.finish(instance, f"{self.identifier} in {self.region} is already a standalone instance: nothing to promote", False)
        source_region, source_id = arn_location(source_ref, self.region)
        result["source"] = {"region": source_region, "id": source_id, "reachable": None}
        result["topology_before"]["source"] = {"region": source_region, "id": source_id, "role": "primary"}

        mode = params["mode"]
        source = None
        if mode in ("planned", "auto"):
            source = self.probe_source(source_region, source_id)
            result["source"]["reachable"] = source is not None
            if source is None and mode == "planned":
                module.fail_json(msg=f"mode=planned needs the source region {source_region}, which did not answer within "
                                 f"connect_timeout={params['connect_timeout']} s; use mode=unplanned (or auto) to promote without it", **result)
            # auto: a source region that answers but no longer has the source cannot be fenced either
            mode = mode if mode == "planned" else ("planned" if source else "unplanned")
        result["mode"] = mode

        lag_seconds, entry = lag_for(module, "rds", self.region, self.identifier)
        result["lag"] = entry
        if mode == "unplanned":
            gate(module, entry)
            result["lag_seconds_at_promotion"] = entry["lag_seconds"]
            result["data_loss_window_seconds"] = lag_seconds
        else:
            fence = self.fence_plan(source)
            result["lag_seconds_at_promotion"] = 0
            result["data_loss_window_seconds"] = 0
            if not entry["replication_running"]:
                state = "is not running (ReplicaLag -1)" if entry["replication_running"] is False else f"is unknown ({entry.get('reason')})"
                module.fail_json(msg=f"mode=planned: replication to {self.identifier} {state}, so nothing can prove the replica caught up "
                                 "after fencing; use mode=unplanned (with allow_data_loss=true to accept the unknown loss)", **result)

        after = {"source": dict(result["topology_before"]["source"], role="detached"), "target": self.target_view(instance, "standalone")}
        if mode == "planned":
            result["plan"] += [f"fence {source_region}/{source_id}: {fence[1]}={fence[2]} in parameter group {fence[0]}",
                               f"wait until ReplicaLag of {self.identifier} is 0"]
        own_fence = self.own_fence(instance)
        if own_fence:
            result["plan"].append(f"lift the fence {own_fence[1]}={own_fence[2]} in the target's parameter group {own_fence[0]}")
        result["plan"].append(f"promote {self.region}/{self.identifier} (backup retention {params['backup_retention_period']} days)")
        if module.check_mode:
            result.update(msg=f"would promote {self.identifier} in {self.region} ({mode})", changed=True, topology_after=after, fenced=False)
            return result

        if mode == "planned":
            source_rds = self.fence(source_region, source_id, fence)
            # the servers' proof when it can be made (seconds); else a ReplicaLag of 0 stamped after the fence (1-3 minutes)
            if not self.wait_transactions(source, instance, source_rds, source_id, fence):
                self.wait_caught_up(source_rds, source_id, fence)
        if own_fence:
            self.unfence(own_fence)
        try:
            self.rds.promote_read_replica(DBInstanceIdentifier=self.identifier, BackupRetentionPeriod=params["backup_retention_period"], aws_retry=True)
        except AWS_ERRORS as exc:
            # only "not a read replica" means promoted in the meantime (by someone else): any other state error fails
            if error_code(exc) == "InvalidDBInstanceState" and NOT_A_REPLICA in str(exc):
                result["resumed"] = True
            elif mode == "planned" and refused_before_acting(exc, self.still_a_replica):
                # AWS refused the call itself (access denied, a quota, throttling) and the replica is still one, so nothing
                # was promoted: the fenced source must take writes again. Any other error (a 5xx, a retry that met the
                # promotion a lost answer had started) may hide a promotion under way, and the fence stays.
                module.fail_json_aws(exc, msg=f"AWS refused to promote {self.identifier} in {self.region}"
                                     + self.unfence_source(source_rds, source_id, fence, then="Fix the refusal, then rerun"), **result)
            else:
                raise
        instance = self.wait_promoted() or self.describe()
        return self.finish(instance, f"promoted {self.identifier} in {self.region} ({mode})", True)

    # planned: fencing --------------------------------------------------------------------------------
    def fence_plan(self, source):
        if not source:
            self.module.fail_json(msg="mode=planned: the source instance no longer exists in its region, so it cannot be fenced; "
                                  "use mode=unplanned", **self.result)
        engine = source.get("Engine", "")
        if engine_family(engine) is None:
            self.module.fail_json(msg=f"mode=planned: cannot fence a {engine} source (fencing supports {', '.join(FENCE_PARAMETERS)}); "
                                  "stop writes yourself and use mode=unplanned", **self.result)
        fence = fence_target(source)
        if fence is None:
            self.module.fail_json(
                msg=f"mode=planned: the source {source['DBInstanceIdentifier']} uses the parameter group {parameter_group(source)!r}; AWS does not allow "
                f"changes to default.* groups, so it cannot be fenced. Attach a custom DB parameter group to the source first "
                "(a reboot may be needed), or use mode=unplanned.", **self.result)
        return fence

    def own_fence(self, instance):
        """(group, parameter, value) when the target's own custom parameter group holds a fence, else None."""
        return fence_in_place(self.rds, instance)

    def unfence(self, own_fence):
        lift_fence(self.rds, own_fence)
        self.result["unfenced"] = own_fence[0]
        self.wait_in_sync(self.rds, self.identifier, own_fence[0])

    def wait_in_sync(self, rds, identifier, group):
        run_wait(self.module, self.result,
                 lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"][0], params_in_sync,
                 f"parameter group {group} of {identifier} to be in-sync", params_status, always=True)

    def fence(self, region, identifier, fence):
        rds = client(self.module, "rds", region)
        set_fence(rds, fence)
        self.result["fenced"] = True
        self.wait_in_sync(rds, identifier, fence[0])
        # From here the fence holds: only lag readings of minutes that start at or after this moment prove the catch-up.
        self.fenced_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.result["fenced_at"] = self.fenced_at.isoformat()
        return rds

    def unfence_source(self, source_rds, source_id, fence, then="Find out why the replica lags, then rerun"):
        """Nothing was promoted: a fenced source would leave the application with no writer at all."""
        lift_fence(source_rds, fence)
        self.result.update(fenced=False, unfenced_source=fence[0])
        self.wait_in_sync(source_rds, source_id, fence[0])
        return (f"; nothing was promoted, and the fence on the source was lifted ({describe_fence(fence)} reset): "
                f"{source_id} takes writes again. {then}")

    def wait_caught_up(self, source_rds, source_id, fence):
        def read():
            return lag_for(self.module, "rds", self.region, self.identifier)[1]

        entry = run_wait(self.module, self.result, read, lambda e: caught_up_after(e, self.fenced_at),
                         f"a ReplicaLag of 0 for {self.identifier} in a minute that starts after the fence ({self.fenced_at.isoformat()})",
                         lambda e: f"lag {e['lag_seconds']} at {e.get('latest_timestamp')}", always=True,
                         undo=lambda: self.unfence_source(source_rds, source_id, fence))
        self.result["lag"] = entry

    def wait_transactions(self, source, target, source_rds, source_id, fence):
        """The data-plane proof of a planned catch-up: every transaction of the fenced source is on the replica."""
        check = self.module.params["transaction_check"]
        if not check:
            return

        def rows(instance):
            endpoint = instance.get("Endpoint") or {}
            return read_rows(endpoint.get("Address"), endpoint.get("Port"), check["login_user"], check["login_password"], check["connect_timeout"])

        def read():
            try:
                source_rows = rows(source)
                fenced = variables_of(source_rows).get("read_only", "").upper() in ("ON", "1")
                return dict(only_on(source_rows, rows(target)), checked=True, source_read_only=fenced)
            except GtidError as exc:
                return {"checked": False, "reason": str(exc)}

        first = read()
        if not first["checked"]:
            self.result["transaction_check"] = first
            if check["required"]:
                self.module.fail_json(msg=f"mode=planned: the transactions of {source_id} and {self.identifier} cannot be compared "
                                          f"({first['reason']}) and transaction_check.required=true"
                                          + self.unfence_source(source_rds, source_id, fence), **self.result)
            self.module.warn(f"transaction_check: {first['reason']}; the CloudWatch lag is the only proof of the catch-up")
            return False
        # the fence in effect on the server (read_only, not only in the group), then every transaction of it on the replica
        self.result["transaction_check"] = run_wait(
            self.module, self.result, read, lambda e: e["checked"] and e["source_read_only"] and e["count"] == 0,
            f"the fenced {source_id} to refuse writes (read_only) and {self.identifier} in {self.region} to hold every transaction of it (GTIDs)",
            lambda e: ((f"{e['count']} missing ({e['gtids'][:120]})" if e["source_read_only"] else "the source still takes writes (read_only off)")
                       if e["checked"] else e["reason"]), always=True,
            undo=lambda: self.unfence_source(source_rds, source_id, fence))
        return True


# Aurora global databases -------------------------------------------------------------------------------
class AuroraPromotion(Promotion):
    OPTION = "global_cluster_identifier"
    NOT_FOUND = "GlobalClusterNotFoundFault"

    def describe(self):
        return self.rds.describe_global_clusters(GlobalClusterIdentifier=self.identifier, aws_retry=True)["GlobalClusters"][0]

    writer = staticmethod(global_writer)

    def view(self, global_cluster):
        members = {}
        for member in global_cluster.get("GlobalClusterMembers", []):
            region, name = arn_location(member["DBClusterArn"], self.region)
            members[member["DBClusterArn"]] = {"region": region, "id": name, "role": "primary" if member.get("IsWriter") else "secondary"}
        return members

    def finish(self, target_arn, global_cluster, msg, changed):
        _region, name = arn_location(target_arn, self.region)
        cluster = self.rds.describe_db_clusters(DBClusterIdentifier=name, aws_retry=True)["DBClusters"][0]
        self.result.update(msg=msg, changed=changed, endpoint={"address": cluster.get("Endpoint"), "port": cluster.get("Port")})
        self.result["topology_after"] = self.topology(global_cluster, target_arn)
        return self.result

    def topology(self, global_cluster, target_arn, new_writer=None):
        members = self.view(global_cluster)
        if new_writer:
            for arn, member in members.items():
                member["role"] = "primary" if arn == new_writer else "secondary"
        target = members.get(target_arn)
        source = next((m for arn, m in members.items() if m["role"] == "primary" and arn != target_arn), None)
        return {"target": target, "source": source, "status": global_cluster.get("Status")}

    def run(self):
        module, result, params = self.module, self.result, self.module.params
        global_cluster = self.describe_target(f"global_cluster_identifier={self.identifier!r} not found")
        members = self.view(global_cluster)
        target_arn = next((arn for arn, m in members.items() if m["region"] == self.region), None)
        if target_arn is None:
            module.fail_json(msg=f"global cluster {self.identifier} has no member cluster in target_region={self.region}; "
                             f"its members are in: {', '.join(sorted(m['region'] for m in members.values())) or 'no region'}", **result)
        result["topology_before"] = self.topology(global_cluster, target_arn)

        def done(gc):
            return gc.get("Status") == "available" and self.writer(gc) == target_arn

        if global_cluster.get("Status") != "available":
            result["resumed"] = True
            result["plan"].append(f"wait for global cluster {self.identifier} ({global_cluster.get('Status')}) to be available")
            if module.check_mode or not params["wait"]:
                return self.finish(target_arn, global_cluster,
                                   f"global cluster {self.identifier} is {global_cluster.get('Status')}; an operation is under way", False)
            global_cluster = run_wait(module, result, self.describe, lambda gc: gc.get("Status") == "available",
                                      f"global cluster {self.identifier} to be available", lambda gc: gc.get("Status"))
            if self.writer(global_cluster) == target_arn:
                return self.finish(target_arn, global_cluster, f"the switch of {self.identifier} to {self.region} that was under way has finished", False)
        if self.writer(global_cluster) == target_arn:
            return self.finish(target_arn, global_cluster, f"{target_arn} is already the primary of {self.identifier}: nothing to promote", False)

        writer_arn = self.writer(global_cluster)
        source_region, source_id = arn_location(writer_arn, self.region) if writer_arn else (None, None)
        result["source"] = {"region": source_region, "id": source_id, "reachable": None}
        mode = params["mode"]
        if mode in ("planned", "auto") and source_region:
            reachable = self.probe(source_region, source_id)
            result["source"]["reachable"] = reachable
            if not reachable and mode == "planned":
                module.fail_json(msg=f"mode=planned (switchover) needs the primary's region {source_region}, which did not answer within "
                                 f"connect_timeout={params['connect_timeout']} s; use mode=unplanned (or auto) to fail over without it", **result)
            mode = "planned" if reachable else "unplanned"
        elif mode == "auto":
            mode = "unplanned"
        result["mode"] = mode
        target_id = arn_location(target_arn, self.region)[1]
        if mode == "unplanned":
            lag_seconds, entry = lag_for(module, "aurora", self.region, target_id)
            result["lag"] = entry
            gate(module, entry)
            result["lag_seconds_at_promotion"], result["data_loss_window_seconds"] = entry["lag_seconds"], lag_seconds
            result["plan"].append(f"fail over {self.identifier} to {target_arn} (AllowDataLoss)")
        else:
            result["lag_seconds_at_promotion"] = result["data_loss_window_seconds"] = 0
            result["plan"].append(f"switch over {self.identifier} to {target_arn}")
        if module.check_mode:
            result.update(msg=f"would make {target_arn} the primary of {self.identifier} ({mode})", changed=True,
                          topology_after=self.topology(global_cluster, target_arn, new_writer=target_arn))
            return result

        if mode == "planned":
            self.rds.switchover_global_cluster(GlobalClusterIdentifier=self.identifier, TargetDbClusterIdentifier=target_arn, aws_retry=True)
            result["fenced"] = True  # the switchover demotes the old primary before the target takes writes
        else:
            self.rds.failover_global_cluster(GlobalClusterIdentifier=self.identifier, TargetDbClusterIdentifier=target_arn, AllowDataLoss=True, aws_retry=True)
        global_cluster = run_wait(module, result, self.describe, done,
                                  f"{target_arn} to be the writer of {self.identifier} and the global cluster available",
                                  lambda gc: gc.get("Status")) or self.describe()
        return self.finish(target_arn, global_cluster, f"{target_arn} is the primary of {self.identifier} ({mode})", True)

    def probe(self, region, cluster_id):
        try:
            client(self.module, "rds", region, probe=True).describe_db_clusters(DBClusterIdentifier=cluster_id)
        except Exception as exc:  # pylint: disable=broad-except
            return not is_unreachable(exc)
        return True


def main():
    argument_spec = dict(
        target_region=dict(type="str", required=True),
        db_instance_identifier=dict(type="str"),
        global_cluster_identifier=dict(type="str"),
        mode=dict(type="str", default="auto", choices=["planned", "unplanned", "auto"]),
        rpo_seconds=dict(type="float", aliases=["max_lag_seconds"]),
        allow_data_loss=dict(type="bool", default=False),
        backup_retention_period=dict(type="int", default=7),
        lookback_seconds=dict(type="int", default=600),
        transaction_check=dict(type="dict", options=dict(
            login_user=dict(type="str", required=True),
            login_password=dict(type="str", required=True, no_log=True),
            connect_timeout=dict(type="int", default=5),
            required=dict(type="bool", default=False),
        )),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("db_instance_identifier", "global_cluster_identifier")],
        required_one_of=[("db_instance_identifier", "global_cluster_identifier")],
    )
    params = module.params
    check_region(module, params["target_region"], "target_region")
    for option in ("rpo_seconds", "wait_timeout", "poll_interval", "connect_timeout"):
        check_non_negative(module, option, params[option])
    if not 0 <= params["backup_retention_period"] <= 35:
        module.fail_json(msg=f"backup_retention_period={params['backup_retention_period']} must be between 0 and 35 days")
    if params["lookback_seconds"] < 60:
        module.fail_json(msg=f"lookback_seconds={params['lookback_seconds']} is too short: AWS publishes lag once a minute, use 60 or more")

    watch = Stopwatch()
    kind = "rds" if params["db_instance_identifier"] else "aurora"
    result = dict(changed=False, kind=kind, plan=[], fenced=False, unfenced=None, statuses=[], resumed=False, topology_before={}, topology_after={})
    promotion = RdsPromotion(module, result) if kind == "rds" else AuroraPromotion(module, result)
    try:
        result = promotion.run()
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"AWS refused a step of the promotion in {params['target_region']}; rerun to continue")
    result["seconds"] = watch.seconds
    if module._diff:
        result["diff"] = {"before": result["topology_before"], "after": result["topology_after"]}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
