"""multiregion.dr.replication_lag_info against the simulator: one GetMetricData per region, unknown
is never 0, unreachable regions, waiting for the lag to drop, bad input."""

from datetime import datetime, timedelta, timezone

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"


@pytest.fixture
def replicas(aws):
    """orders-db in us-east-1 with two replicas in us-west-2 and one in eu-west-1."""
    source = aws("rds", EAST).create_db_instance(
        DBInstanceIdentifier="orders-db", DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername="admin",
        MasterUserPassword="secret123456", AllocatedStorage=20, BackupRetentionPeriod=7,
    )["DBInstance"]
    for region, name in ((WEST, "orders-w1"), (WEST, "orders-w2"), (EU, "orders-eu")):
        aws("rds", region).create_db_instance_read_replica(DBInstanceIdentifier=name, SourceDBInstanceIdentifier=source["DBInstanceArn"])
        rds_backends[DEFAULT_ACCOUNT_ID][region].databases[name].instance_create_time -= timedelta(minutes=10)
    return [
        {"type": "rds", "region": WEST, "id": "orders-w1"},
        {"type": "rds", "region": WEST, "id": "orders-w2"},
        {"type": "rds", "region": EU, "id": "orders-eu"},
    ]


def by_id(result):
    return {r["id"]: r for r in result["replicas"]}


def test_lag_per_replica_with_one_call_per_region(sim, module, replicas):
    sim.lag(3, service="rds", resource="orders-w1")
    sim.lag(40, service="rds", resource="orders-w2")
    sim.lag(1, service="rds", resource="orders-eu")
    before = len(sim.log())
    result = module("replication_lag_info", {"replicas": replicas, "rpo_seconds": 30})
    assert not result.get("failed") and not result["changed"], result
    found = by_id(result)
    assert found["orders-w1"]["lag_seconds"] == 3 and found["orders-w1"]["status"] == "ok"
    assert found["orders-w2"]["lag_seconds"] == 40 and found["orders-w2"]["status"] == "over_rpo"
    assert found["orders-eu"]["replication_running"] is True and found["orders-eu"]["datapoints"] >= 5
    assert result["max_lag_seconds"] == 40 and result["within_rpo"] is False and result["unknown"] == []
    reads = [e for e in sim.log()[before:] if e["action"] == "GetMetricData"]
    assert sorted(e["region"] for e in reads) == [EU, WEST]


def test_missing_data_is_unknown_never_zero(sim, module, replicas):
    result = module("replication_lag_info", {"replicas": replicas[:1] + [{"type": "rds", "region": WEST, "id": "ghost"}], "rpo_seconds": 30})
    ghost = by_id(result)["ghost"]
    assert ghost["lag_seconds"] is None and ghost["status"] == "unknown" and "no valid ReplicaLag datapoint" in ghost["reason"]
    assert result["unknown"] == ["ghost"] and result["within_rpo"] is False and result["max_lag_seconds"] == 0


def test_source_outage_shows_stopped_replication_and_the_last_lag(sim, module, replicas):
    sim.lag(6, service="rds")
    sim.outage(EAST)
    result = module("replication_lag_info", {"replicas": replicas})
    for entry in result["replicas"]:
        assert entry["replication_running"] is False and entry["last_lag_before_stop"] == 6, entry
        # nothing applied since the minute of the outage: the window grows with the time since
        assert entry["data_loss_window_seconds"] == 6 + entry["seconds_since_applied"] and entry["seconds_since_applied"] >= 0, entry


def test_a_metric_silent_for_longer_than_the_lookback_gives_its_last_lag_as_stale(aws, module):
    # Aurora and ElastiCache stop publishing when the source region goes out; the operator decides
    # 20 minutes later: the window is the last lag published plus those 20 minutes, not "unknown".
    now = datetime.now(timezone.utc)
    aws("cloudwatch", EU).put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": "AuroraGlobalDBRPOLag", "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "pay-eu"}],
         "Timestamp": now - timedelta(minutes=minutes), "Value": value, "Unit": "Milliseconds"}
        for minutes, value in ((22, 3000.0), (21, 2000.0), (20, 4000.0))
    ])
    replica = [{"type": "aurora", "region": EU, "id": "pay-eu"}]
    result = module("replication_lag_info", {"replicas": replica, "rpo_seconds": 5})
    entry = result["replicas"][0]
    assert entry["lag_seconds"] == 4 and entry["stale"] is True and entry["latest_age_seconds"] >= 1200, entry
    assert entry["data_loss_window_seconds"] == 4 + entry["seconds_since_applied"] and entry["seconds_since_applied"] >= 1200
    assert "plus the" in entry["reason"] and result["within_rpo"] is False and result["unknown"] == []
    assert module("replication_lag_info", {"replicas": replica, "rpo_seconds": 1500})["within_rpo"] is True
    # without history the same data is unknown; a stale lag never satisfies a wait for the replica to catch up
    assert module("replication_lag_info", {"replicas": replica, "history_seconds": 0})["unknown"] == ["pay-eu"]
    waited = module("replication_lag_info", {"replicas": replica, "wait_until_below": 10, "wait_timeout": 1, "poll_interval": 0.2})
    assert waited.get("failed") and "timed out" in waited["msg"], waited


def test_unreachable_region_gives_unknown_not_an_error(sim, module, replicas):
    sim.outage(EU)
    result = module("replication_lag_info", {"replicas": replicas, "connect_timeout": 2})
    assert not result.get("failed"), result
    eu = by_id(result)["orders-eu"]
    assert eu["status"] == "unknown" and "region eu-west-1 unreachable" in eu["reason"]
    assert result["unknown"] == ["orders-eu"] and "unreachable" in result["regions"][EU]
    assert by_id(result)["orders-w1"]["status"] == "ok"


def test_throttling_at_30_percent_still_reads(sim, module, replicas):
    sim.fault("throttle", probability=0.3, service="cloudwatch")
    sim.fault("throttle", probability=1.0, service="cloudwatch", count=2)  # the first reads surely throttled
    for _run in range(2):
        result = module("replication_lag_info", {"replicas": replicas})
        assert not result.get("failed") and result["unknown"] == [], result
    assert any(e.get("fault") == "throttle" for e in sim.log())


def test_wait_until_below_times_out_clearly_then_passes(sim, module, replicas):
    sim.lag(12, service="rds", resource="orders-w2")
    args = {"replicas": replicas, "wait_until_below": 5, "wait_timeout": 3, "poll_interval": 0.2}
    result = module("replication_lag_info", args)
    assert result.get("failed") and "timed out after 3 s" in result["msg"] and "max lag 12.0 s" in result["msg"]
    # it waited the whole timeout, reading again and again (how many times depends on the machine's speed)
    assert result["readings"] >= 1 and result["waited_seconds"] >= 3, result
    sim.lag(0, service="rds", resource="orders-w2")
    result = module("replication_lag_info", args)
    assert not result.get("failed") and result["readings"] == 1 and result["max_lag_seconds"] == 0


def test_aurora_and_elasticache_secondaries(sim, aws, module):
    east, west = aws("rds", EAST), aws("rds", WEST)
    primary = east.create_db_cluster(DBClusterIdentifier="pay-east", Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2",
                                     MasterUsername="admin", MasterUserPassword="secret123456")["DBCluster"]
    east.create_global_cluster(GlobalClusterIdentifier="pay", SourceDBClusterIdentifier=primary["DBClusterArn"])
    west.create_db_cluster(DBClusterIdentifier="pay-west", Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2", GlobalClusterIdentifier="pay")
    ec_east, ec_west = aws("elasticache", EAST), aws("elasticache", WEST)
    ec_east.create_replication_group(ReplicationGroupId="sess-east", ReplicationGroupDescription="s", CacheNodeType="cache.r6g.large",
                                     Engine="redis", NumCacheClusters=2, AutomaticFailoverEnabled=True)
    gid = ec_east.create_global_replication_group(GlobalReplicationGroupIdSuffix="sess", PrimaryReplicationGroupId="sess-east")[
        "GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    ec_west.create_replication_group(ReplicationGroupId="sess-west", ReplicationGroupDescription="s", GlobalReplicationGroupId=gid, NumCacheClusters=2)
    sim.lag(0.25, region=WEST, service="aurora", resource="pay-west")
    sim.lag(2, region=WEST, service="elasticache", resource="sess-west")
    result = module("replication_lag_info", {"replicas": [
        {"type": "aurora", "region": WEST, "id": "pay-west"},
        {"type": "elasticache", "region": WEST, "id": "sess-west"},
    ], "rpo_seconds": 1})
    found = by_id(result)
    assert found["pay-west"]["lag_seconds"] == 0.25 and found["pay-west"]["metric"] == "AuroraGlobalDBRPOLag"
    assert found["sess-west"]["lag_seconds"] == 2 and found["sess-west"]["status"] == "over_rpo"
    assert result["max_lag_seconds"] == 2 and not result["within_rpo"]


@pytest.mark.parametrize(
    "args, words",
    [
        ({"replicas": [{"type": "mongo", "region": WEST, "id": "x"}]}, ["mongo", "rds, aurora, elasticache, dynamodb, s3"]),
        ({"replicas": [{"type": "rds", "region": "moon-1", "id": "x"}]}, ["replicas[0].region='moon-1'"]),
        ({"replicas": [{"type": "dynamodb", "region": WEST, "id": "t"}]}, ["replicas[0]", "receiving_region"]),
        ({"replicas": [{"type": "rds", "region": WEST, "id": "x"}], "lookback_seconds": 30}, ["lookback_seconds=30"]),
        ({"replicas": [{"type": "rds", "region": WEST, "id": "x"}], "rpo_seconds": -1}, ["rpo_seconds=-1.0"]),
        ({"replicas": []}, ["replicas is empty"]),
    ],
)
def test_bad_input_fails_naming_the_value(sim, module, args, words):
    result = module("replication_lag_info", args)
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"]
    assert not [e for e in sim.log() if e["service"] == "cloudwatch"]
