"""multiregion.dr.rds_promote against the simulator: RPO gate, fencing, outages, waits, reruns."""

from datetime import datetime, timedelta, timezone

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

EAST, WEST = "us-east-1", "us-west-2"
REPLICA = "orders-db-replica"


def backdate(region, name, minutes=10):
    """The simulator runs in this process: let the replica have existed for a while, so CloudWatch
    holds a lag history (AWS publishes one datapoint a minute; tests must not wait minutes)."""
    rds_backends[DEFAULT_ACCOUNT_ID][region].databases[name].instance_create_time -= timedelta(minutes=minutes)


@pytest.fixture
def pair(aws):
    """A MySQL source in us-east-1 with its own parameter group, and its read replica in us-west-2."""
    east = aws("rds", EAST)
    # parameter groups are per region: the DR region has its own copy ready (AWS carries none over)
    for region in (EAST, WEST):
        aws("rds", region).create_db_parameter_group(DBParameterGroupName="orders-mysql", DBParameterGroupFamily="mysql8.0", Description="orders")
    source = east.create_db_instance(
        DBInstanceIdentifier="orders-db", DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername="admin",
        MasterUserPassword="secret123456", AllocatedStorage=20, BackupRetentionPeriod=7, DBParameterGroupName="orders-mysql",
    )["DBInstance"]
    aws("rds", WEST).create_db_instance_read_replica(DBInstanceIdentifier=REPLICA, SourceDBInstanceIdentifier=source["DBInstanceArn"])
    backdate(WEST, REPLICA)
    return source


def replica(aws, name=REPLICA):
    return aws("rds", WEST).describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


def read_only(aws):
    params = aws("rds", EAST).describe_db_parameters(DBParameterGroupName="orders-mysql")["Parameters"]
    return next((p.get("ParameterValue") for p in params if p["ParameterName"] == "read_only"), None)


def put_lag(aws, *values):
    """Stored datapoints win over the simulated ones: values one minute apart, the last one 2 s ago (a read
    within the same second would not see it: GetMetricData takes whole seconds)."""
    now = datetime.now(timezone.utc) - timedelta(seconds=2)
    aws("cloudwatch", WEST).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {"MetricName": "ReplicaLag", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": REPLICA}], "Value": value,
             "Unit": "Seconds", "Timestamp": now - timedelta(minutes=len(values) - 1 - i)}
            for i, value in enumerate(values)
        ],
    )


def calls(sim, region=None, service=None, action=None, since=0):
    return [
        e for e in sim.log(since)
        if (region is None or e["region"] == region) and (service is None or e["service"] == service) and (action is None or e["action"] == action)
    ]


def args(**extra):
    return {"target_region": WEST, "db_instance_identifier": REPLICA, "poll_interval": 0.1, "connect_timeout": 2, **extra}


# bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra, words",
    [
        ({"target_region": "us-middle-1"}, ["target_region='us-middle-1'", "us-west-2"]),
        ({"backup_retention_period": 40}, ["backup_retention_period=40", "0 and 35"]),
        ({"max_lag_seconds": -5}, ["rpo_seconds=-5", "0 or more"]),
        ({"lookback_seconds": 10}, ["lookback_seconds=10", "60 or more"]),
        ({"db_instance_identifier": "nope"}, ["'nope' not found", "target_region=us-west-2"]),
        ({"mode": "sideways"}, ["sideways", "planned, unplanned, auto"]),
    ],
)
def test_bad_input_fails_early_and_changes_nothing(sim, aws, module, pair, extra, words):
    result = module("rds_promote", args(**extra))
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"]
    assert replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    assert read_only(aws) is None


def test_both_identifiers_are_refused(sim, module, pair):
    result = module("rds_promote", args(global_cluster_identifier="orders"))
    assert result.get("failed") and "mutually exclusive" in result["msg"]


# RPO gate ----------------------------------------------------------------------------------------------
def test_lag_above_budget_refuses_then_allow_data_loss_promotes(sim, aws, module, pair):
    put_lag(aws, 20, 95, 120)
    result = module("rds_promote", args(mode="unplanned", rpo_seconds=60))
    assert result.get("failed")
    assert "120.0 s" in result["msg"] and "rpo_seconds=60" in result["msg"] and "allow_data_loss" in result["msg"]
    assert replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")  # nothing changed
    assert not calls(sim, service="rds", action="PromoteReadReplica")

    result = module("rds_promote", args(mode="unplanned", rpo_seconds=60, allow_data_loss=True))
    assert result["changed"] and not result.get("failed"), result
    assert result["lag_seconds_at_promotion"] == 120 and result["data_loss_window_seconds"] == 120
    assert not replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")


def test_replication_stopped_ten_minutes_before_the_outage_is_refused_and_the_window_covers_the_stop(sim, aws, module, pair):
    # issue 16: the replica applied everything until replication broke 10 minutes ago (lag 0), then ReplicaLag -1;
    # now the source region dies. The last lag (0 s) would pass; the writes of those 10 minutes are lost.
    put_lag(aws, 0, 0, *([-1] * 10))
    sim.outage(EAST)
    result = module("rds_promote", args(mode="unplanned", rpo_seconds=300))
    assert result.get("failed") and "orders-db-replica 6" in result["msg"] and "replication stopped" in result["msg"], result["msg"]
    assert "above rpo_seconds=300" in result["msg"] and replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    result = module("rds_promote", args(mode="unplanned", rpo_seconds=300, allow_data_loss=True))
    assert result["changed"] and result["lag_seconds_at_promotion"] == 0, result
    # the claimed window is at least the real one: 10 minutes stopped (the last valid datapoint 10 min 2 s ago)
    assert result["data_loss_window_seconds"] >= 600 and result["lag"]["seconds_since_applied"] >= 600
    assert any("allow_data_loss=true" in w for w in result.get("warnings", [])), result.get("warnings")


def test_missing_lag_refuses_naming_it_and_allow_data_loss_promotes(sim, aws, module, pair):
    put_lag(aws, -1, -1)  # replication stopped before the window: no lag is known
    result = module("rds_promote", args(mode="unplanned"))
    assert result.get("failed")
    assert "unknown, so the data loss cannot be bounded" in result["msg"] and "replication is not running" in result["msg"]
    assert "allow_data_loss" in result["msg"]
    assert replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    result = module("rds_promote", args(mode="unplanned", allow_data_loss=True))
    assert result["changed"] and result["data_loss_window_seconds"] is None


# unplanned while the source region is out --------------------------------------------------------------
def test_unplanned_promotion_during_source_outage_never_waits_on_it(sim, aws, module, pair):
    sim.lag(4, region=WEST, service="rds", resource=REPLICA)
    sim.outage(EAST)
    before = len(sim.log())
    # a budget above one metric period: the stop is known to the minute, so the window counts from its start
    result = module("rds_promote", args(mode="auto", max_lag_seconds=130))
    assert result["changed"] and not result.get("failed"), result
    assert result["mode"] == "unplanned" and result["source"]["reachable"] is False and result["fenced"] is False
    # ReplicaLag went -1 with the outage: the window is the lag before plus the time since that datapoint
    assert result["lag"]["replication_running"] is False and result["lag_seconds_at_promotion"] == 4, result["lag"]
    assert result["data_loss_window_seconds"] == 4 + result["lag"]["seconds_since_applied"] and result["data_loss_window_seconds"] >= 4
    assert result["seconds"] < 15
    east = [e for e in sim.log()[before:] if e["region"] == EAST]
    assert len(east) == 1 and east[0]["status"] == "dropped"  # the one probe, nothing else
    assert "StatusInfos" not in replica(aws) and not replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")

    result = module("rds_promote", args(mode="unplanned"))
    assert not result["changed"] and "already a standalone" in result["msg"]
    assert not [e for e in sim.log()[before:] if e["region"] == EAST and e["service"] == "rds"][1:]


def test_planned_needs_the_source_region(sim, aws, module, pair):
    sim.outage(EAST)
    result = module("rds_promote", args(mode="planned"))
    assert result.get("failed") and "mode=planned needs the source region us-east-1" in result["msg"]
    assert replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")


# planned: fence, catch up, promote ------------------------------------------------------------------------
@pytest.mark.slow(45)
def test_planned_check_mode_diff_promotion_under_throttling_and_idempotence(sim, aws, module, pair):
    result = module("rds_promote", args(mode="planned"), check=True, diff=True)
    assert result["changed"] and not result.get("failed"), result
    assert any("fence us-east-1/orders-db: read_only=1" in step for step in result["plan"])
    assert result["diff"]["before"]["target"]["role"] == "replica" and result["diff"]["after"]["target"]["role"] == "standalone"
    assert read_only(aws) is None and replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    assert not calls(sim, action="ModifyDBParameterGroup") and not calls(sim, action="PromoteReadReplica")

    # the real run with AWS throttling 30% of the calls (and surely the first two RDS ones): retried, never failed
    for service in ("rds", "cloudwatch", "ec2"):
        sim.fault("throttle", probability=0.3, service=service)
    sim.fault("throttle", probability=1.0, service="rds", count=2)
    result = module("rds_promote", args(mode="planned"), diff=True)
    sim.clear_faults()
    assert any(e.get("fault") == "throttle" for e in sim.log())
    assert result["changed"] and result["fenced"] and result["mode"] == "planned", result
    assert result["data_loss_window_seconds"] == 0
    assert read_only(aws) == "1"
    assert result["endpoint"]["address"].startswith(REPLICA) and result["endpoint"]["port"] == 3306
    assert result["diff"]["before"]["source"]["role"] == "primary" and result["diff"]["after"]["source"]["role"] == "detached"
    promoted = replica(aws)
    assert promoted["BackupRetentionPeriod"] == 7 and not promoted.get("ReadReplicaSourceDBInstanceIdentifier")
    source = aws("rds", EAST).describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert not source.get("ReadReplicaDBInstanceIdentifiers")

    again = module("rds_promote", args(mode="planned"), diff=True)
    assert not again["changed"] and not again.get("failed")
    assert again["diff"]["before"] == again["diff"]["after"]


@pytest.mark.slow(45)
def test_planned_waits_for_zero_lag_and_a_rerun_continues(sim, aws, module, pair):
    sim.lag(8, region=WEST, service="rds", resource=REPLICA)
    result = module("rds_promote", args(mode="planned", wait_timeout=1))
    assert result.get("failed") and "lag 8.0" in result["msg"], result["msg"]
    assert "a ReplicaLag of 0 for orders-db-replica in a minute that starts after the fence" in result["msg"], result["msg"]
    # not promoted: the fence is lifted again, so the source takes writes instead of leaving no writer at all
    assert "nothing was promoted, and the fence on the source was lifted (read_only=1 in orders-mysql reset)" in result["msg"], result["msg"]
    assert result["fenced"] is False and result["unfenced_source"] == "orders-mysql"
    assert read_only(aws) != "1" and [c["action"] for c in calls(sim, action="ResetDBParameterGroup")] == ["ResetDBParameterGroup"]
    assert replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    sim.lag(0, region=WEST, service="rds", resource=REPLICA)  # writes stopped: the replica catches up
    result = module("rds_promote", args(mode="planned"))
    assert result["changed"] and result["fenced"] and not replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    assert read_only(aws) == "1" and len(calls(sim, action="ModifyDBParameterGroup")) == 2  # the rerun fenced again
    # #14 point 9: the 0 that proved the catch-up is from a minute that began once the fence held, not the minute
    # under way when it was set (a datapoint holds its whole minute, writes before the fence included)
    fenced_at = datetime.fromisoformat(result["fenced_at"])
    assert datetime.fromisoformat(result["lag"]["latest_timestamp"]) >= fenced_at, (result["lag"], fenced_at)


def test_planned_refuses_a_default_parameter_group_before_any_change(sim, aws, module):
    source = aws("rds", EAST).create_db_instance(
        DBInstanceIdentifier="plain-db", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin",
        MasterUserPassword="secret123456", AllocatedStorage=20, BackupRetentionPeriod=7,
    )["DBInstance"]
    aws("rds", WEST).create_db_instance_read_replica(DBInstanceIdentifier="plain-replica", SourceDBInstanceIdentifier=source["DBInstanceArn"])
    result = module("rds_promote", args(db_instance_identifier="plain-replica", mode="planned"))
    assert result.get("failed") and "default.postgres" in result["msg"] and "cannot be fenced" in result["msg"]
    assert replica(aws, "plain-replica").get("ReadReplicaSourceDBInstanceIdentifier")
    assert not calls(sim, action="ModifyDBParameterGroup")


# latency model: the real status sequence, a too short wait and a rerun ---------------------------------
def test_waits_see_intermediate_statuses_and_a_rerun_completes(sim, aws, module, pair):
    sim.latency(True, scale=0.04)  # promotion: modifying, rebooting at 6 s, available at 9.6 s (a run starts in ~3 s)
    result = module("rds_promote", args(mode="unplanned", wait_timeout=1))
    assert result.get("failed") and "timed out after 1 s" in result["msg"] and "rerun" in result["msg"]
    assert "modifying" in result["statuses"]
    result = module("rds_promote", args(mode="unplanned", wait_timeout=30))
    assert not result.get("failed") and result["resumed"], result
    assert result["statuses"][-1] == "available" and "rebooting" in result["statuses"]
    assert len(calls(sim, action="PromoteReadReplica")) == 1
    assert not replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")


# Aurora global database ----------------------------------------------------------------------------------
@pytest.fixture
def global_db(aws):
    def cluster(region, name, **extra):
        kwargs = {} if extra else {"MasterUsername": "admin", "MasterUserPassword": "secret123456"}
        return aws("rds", region).create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2", **kwargs, **extra
        )["DBCluster"]

    primary = cluster(EAST, "payments-east")
    aws("rds", EAST).create_global_cluster(GlobalClusterIdentifier="payments", SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = cluster(WEST, "payments-west", GlobalClusterIdentifier="payments")
    rds_backends[DEFAULT_ACCOUNT_ID][WEST].clusters["payments-west"].cluster_create_time -= timedelta(minutes=10)
    return secondary["DBClusterArn"]


def writer(aws):
    gc = aws("rds", WEST).describe_global_clusters(GlobalClusterIdentifier="payments")["GlobalClusters"][0]
    return next(m["DBClusterArn"] for m in gc["GlobalClusterMembers"] if m["IsWriter"])


def test_aurora_planned_switchover_check_mode_and_idempotence(sim, aws, module, global_db):
    aurora = {"target_region": WEST, "global_cluster_identifier": "payments", "poll_interval": 0.1, "connect_timeout": 2}
    result = module("rds_promote", aurora, check=True, diff=True)
    assert result["changed"] and result["diff"]["after"]["target"]["role"] == "primary"
    assert writer(aws) != global_db
    sim.latency(True, scale=0.01)
    result = module("rds_promote", aurora)
    assert result["changed"] and result["mode"] == "planned" and result["fenced"], result
    assert "switching-over" in result["statuses"] and result["statuses"][-1] == "available"
    assert writer(aws) == global_db and calls(sim, action="SwitchoverGlobalCluster")
    assert not module("rds_promote", aurora)["changed"]


def test_aurora_unplanned_failover_during_outage_with_rpo_gate(sim, aws, module, global_db):
    aurora = {"target_region": WEST, "global_cluster_identifier": "payments", "poll_interval": 0.1, "connect_timeout": 2}
    sim.lag(90, region=WEST, service="aurora", resource="payments-west")
    sim.outage(EAST)
    result = module("rds_promote", dict(aurora, max_lag_seconds=60))
    assert result.get("failed") and "90.0 s" in result["msg"] and "rpo_seconds=60" in result["msg"]
    assert writer(aws) != global_db
    result = module("rds_promote", dict(aurora, max_lag_seconds=120))
    assert result["changed"] and result["mode"] == "unplanned" and result["data_loss_window_seconds"] == 90, result
    assert writer(aws) == global_db and calls(sim, action="FailoverGlobalCluster")


def test_aurora_target_region_without_member(sim, module, global_db):
    result = module("rds_promote", {"target_region": "eu-west-1", "global_cluster_identifier": "payments"})
    assert result.get("failed") and "no member cluster in target_region=eu-west-1" in result["msg"] and "us-west-2" in result["msg"]
    result = module("rds_promote", {"target_region": WEST, "global_cluster_identifier": "nope"})
    assert result.get("failed") and "global_cluster_identifier='nope' not found" in result["msg"]


def test_planned_refuses_a_stopped_replication_before_fencing(sim, aws, module, pair):
    put_lag(aws, 3, -1)
    result = module("rds_promote", args(mode="planned"))
    assert result.get("failed") and "is not running (ReplicaLag -1)" in result["msg"] and "mode=unplanned" in result["msg"]
    assert read_only(aws) is None and replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")


def test_a_fence_left_in_the_targets_own_group_is_lifted_before_promotion(sim, aws, module, pair):
    # us-west-2 was fenced as an old primary once; the replica created there since uses that group
    west = aws("rds", WEST)
    west.modify_db_parameter_group(DBParameterGroupName="orders-mysql",
                                   Parameters=[{"ParameterName": "read_only", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    west.modify_db_instance(DBInstanceIdentifier=REPLICA, DBParameterGroupName="orders-mysql", ApplyImmediately=True)
    planned = module("rds_promote", args(mode="unplanned", allow_data_loss=True), check=True)
    assert "lift the fence read_only=1 in the target's parameter group orders-mysql" in planned["plan"], planned["plan"]
    assert planned["unfenced"] is None and "read_only" in user_parameters(west)

    result = module("rds_promote", args(mode="unplanned", allow_data_loss=True))
    assert result["changed"] and result["unfenced"] == "orders-mysql", result
    assert "read_only" not in user_parameters(west)
    assert not replica(aws).get("ReadReplicaSourceDBInstanceIdentifier")
    assert read_only(aws) is None  # the source's group in us-east-1 was not touched


def user_parameters(rds):
    return {p["ParameterName"] for p in rds.describe_db_parameters(DBParameterGroupName="orders-mysql", Source="user")["Parameters"]}


def test_a_promotion_backing_up_counts_as_promoted(sim, aws, module, pair):
    """A replica without backups, promoted with backups on, takes a first full backup: it is standalone and
    writable while backing-up, which can last long (AWS). A rerun then finds nothing to promote instead of waiting."""
    rds = aws("rds", WEST)
    rds.modify_db_instance(DBInstanceIdentifier=REPLICA, BackupRetentionPeriod=0, ApplyImmediately=True)
    sim.latency(True, scale=0.01)
    sim.hold_clock()
    rds.promote_read_replica(DBInstanceIdentifier=REPLICA, BackupRetentionPeriod=7)
    while replica(aws)["DBInstanceStatus"] != "backing-up":
        assert sim.step_clock()["applied"], replica(aws)["DBInstanceStatus"]
    result = module("rds_promote", args(mode="unplanned", wait_timeout=5))
    sim.release_clock()
    assert not result.get("failed") and result["changed"] is False, result
    assert "already a standalone instance (backing-up, writable)" in result["msg"]
    assert len(calls(sim, action="PromoteReadReplica")) == 1
