"""Replica lag metrics in CloudWatch and metric math, as real AWS publishes and evaluates them."""

from datetime import datetime, timedelta, timezone

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.elasticache.models import elasticache_backends
from moto.rds.models import rds_backends

from regionsim.state import STATE

EAST, WEST = "us-east-1", "us-west-2"


def now():
    return datetime.now(timezone.utc)


def backdate_instance(region, name, minutes):
    """Let a replica have existed for a while (the simulator runs in this process): AWS has
    one datapoint a minute since its creation, and tests must not wait minutes for them."""
    database = rds_backends[DEFAULT_ACCOUNT_ID][region].databases[name]
    database.instance_create_time -= timedelta(minutes=minutes)


def lag_query(query_id, namespace, name, dimensions, stat="Maximum", **extra):
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
            "Period": 60,
            "Stat": stat,
        },
        **extra,
    }


def metric_data(cloudwatch, queries, minutes=10):
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=now() - timedelta(minutes=minutes), EndTime=now() + timedelta(seconds=1), ScanBy="TimestampAscending"
    )
    return {r["Id"]: r for r in answer["MetricDataResults"]}


def replica_lag(client, name="app-db-replica", region=WEST, stat="Maximum"):
    results = metric_data(client("cloudwatch", region), [lag_query("lag", "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": name}, stat)])
    return results["lag"]["Values"], results["lag"]["Timestamps"]


@pytest.fixture
def replica_pair(client):
    east, west = client("rds", EAST), client("rds", WEST)
    source = east.create_db_instance(
        DBInstanceIdentifier="app-db", DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername="admin",
        MasterUserPassword="secret123456", AllocatedStorage=20, BackupRetentionPeriod=7,
    )["DBInstance"]
    west.create_db_instance_read_replica(DBInstanceIdentifier="app-db-replica", SourceDBInstanceIdentifier=source["DBInstanceArn"])
    return source


def test_replica_lag_is_published_once_a_minute_in_the_replica_region(sim, client, replica_pair):
    sim.lag(42, region=WEST, service="rds", resource="app-db-replica")
    backdate_instance(WEST, "app-db-replica", 5)
    values, stamps = replica_lag(client)
    assert values and set(values) == {42.0}
    assert 5 <= len(values) <= 7  # one per minute since creation, the current one included
    assert all((b - a).total_seconds() == 60 for a, b in zip(stamps, stamps[1:]))
    # stamped with the start of their minute, whatever second the query starts at (CloudWatch rounds StartTime down)
    assert all(stamp.second == 0 for stamp in stamps), stamps
    # nothing in the source's region, nothing for the source itself
    assert replica_lag(client, region=EAST)[0] == []
    assert replica_lag(client, name="app-db", region=EAST)[0] == []


def test_default_lag_is_zero_and_a_new_replica_has_the_current_minute_only(sim, client, replica_pair):
    assert replica_lag(client)[0] == [0.0]


def test_replica_lag_turns_minus_one_when_the_source_region_is_out(sim, client, replica_pair):
    sim.lag(12, region=WEST, service="rds", resource="app-db-replica")
    backdate_instance(WEST, "app-db-replica", 5)
    sim.outage(EAST)
    # the minute the source went out: its Minimum is -1 at once, its Maximum the lag before the stop
    values, _ = replica_lag(client, stat="Minimum")
    assert values[-1] == -1.0 and values[0] == 12.0
    assert replica_lag(client)[0][-1] == 12.0
    # the minutes after it: -1 in both
    STATE.outages[EAST]["since"] -= 180
    values, _ = replica_lag(client)
    assert values[-1] == -1.0 and values[0] == 12.0
    assert set(values) == {12.0, -1.0}
    assert values == sorted(values, reverse=True)  # once stopped, stays stopped
    sim.restore(EAST)
    assert replica_lag(client)[0][-1] == 12.0


def test_promoted_instance_has_no_replica_lag(sim, client, replica_pair):
    client("rds", WEST).promote_read_replica(DBInstanceIdentifier="app-db-replica")
    assert replica_lag(client)[0] == []


def test_stored_datapoints_win_over_the_simulated_ones(sim, client, replica_pair):
    cloudwatch = client("cloudwatch", WEST)
    dims = [{"Name": "DBInstanceIdentifier", "Value": "app-db-replica"}]
    cloudwatch.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {"MetricName": "ReplicaLag", "Dimensions": dims, "Value": 30, "Unit": "Seconds", "Timestamp": now() - timedelta(minutes=3)},
            {"MetricName": "ReplicaLag", "Dimensions": dims, "Value": -1, "Unit": "Seconds", "Timestamp": now() - timedelta(minutes=1)},
        ],
    )
    sim.lag(99)
    assert replica_lag(client)[0] == [30.0, -1.0]


def test_metric_statistics_see_the_same_lag(sim, client, replica_pair):
    sim.lag(7, service="rds")
    backdate_instance(WEST, "app-db-replica", 3)
    answer = client("cloudwatch", WEST).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ReplicaLag", Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "app-db-replica"}],
        StartTime=now() - timedelta(minutes=10), EndTime=now() + timedelta(seconds=1), Period=60, Statistics=["Maximum", "Average"],
    )
    points = answer["Datapoints"]
    assert 3 <= len(points) <= 5
    assert {p["Maximum"] for p in points} == {7.0}
    assert {p["Unit"] for p in points} == {"Seconds"}


def test_batched_queries_and_metric_math(sim, client, replica_pair):
    client("rds", WEST).create_db_instance_read_replica(DBInstanceIdentifier="app-db-replica2", SourceDBInstanceIdentifier=replica_pair["DBInstanceArn"])
    sim.lag(4, region=WEST, service="rds", resource="app-db-replica")
    sim.lag(9, region=WEST, service="rds", resource="app-db-replica2")
    for name in ("app-db-replica", "app-db-replica2"):
        backdate_instance(WEST, name, 2)
    queries = [
        lag_query("a", "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": "app-db-replica"}, ReturnData=False),
        lag_query("b", "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": "app-db-replica2"}),
        {"Id": "worst", "Expression": "MAX([a, b])"},
        {"Id": "ms", "Expression": "(a + 1) * 1000 ^ 1"},
        {"Id": "peak", "Expression": "MAX(b) - 1"},
    ]
    results = metric_data(client("cloudwatch", WEST), queries)
    assert set(results) == {"b", "worst", "ms", "peak"}  # ReturnData false is used, not returned
    assert set(results["worst"]["Values"]) == {9.0}
    assert set(results["ms"]["Values"]) == {5000.0}
    assert set(results["peak"]["Values"]) == {8.0}
    assert len(results["worst"]["Values"]) == len(results["b"]["Values"]) >= 2


def test_bad_expression_is_a_validation_error(sim, client, replica_pair):
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        metric_data(client("cloudwatch", WEST), [{"Id": "x", "Expression": "nope * 2"}])
    assert "nope" in str(excinfo.value)


# Aurora global database ------------------------------------------------------------------------
@pytest.fixture
def global_db(client):
    def cluster(region, name, **extra):
        kwargs = {} if extra else {"MasterUsername": "admin", "MasterUserPassword": "secret123456"}
        return client("rds", region).create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2", **kwargs, **extra
        )["DBCluster"]

    primary = cluster(EAST, "orders-east")
    client("rds", EAST).create_global_cluster(GlobalClusterIdentifier="orders", SourceDBClusterIdentifier=primary["DBClusterArn"])
    cluster(WEST, "orders-west", GlobalClusterIdentifier="orders")
    for region, name in ((EAST, "orders-east"), (WEST, "orders-west")):
        rds_backends[DEFAULT_ACCOUNT_ID][region].clusters[name].cluster_create_time -= timedelta(minutes=5)


def aurora_lag(client, region, name, metric="AuroraGlobalDBRPOLag"):
    results = metric_data(client("cloudwatch", region), [lag_query("lag", "AWS/RDS", metric, {"DBClusterIdentifier": name})])
    return results["lag"]["Values"]


def test_aurora_global_lag_is_in_milliseconds_for_secondaries_only(sim, client, global_db):
    sim.lag(1.5, service="aurora", resource="orders-west")
    for metric in ("AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"):
        values = aurora_lag(client, WEST, "orders-west", metric)
        assert len(values) >= 5 and set(values) == {1500.0}
    assert aurora_lag(client, EAST, "orders-east") == []


def test_aurora_lag_stops_when_the_primary_region_is_out_and_follows_the_writer(sim, client, global_db):
    sim.outage(EAST)
    values = aurora_lag(client, WEST, "orders-west")
    full = 5  # minutes of history before the outage's minute
    assert full - 1 <= len(values) <= full + 1
    assert aurora_lag(client, WEST, "orders-west")[-1] == 0.0  # no -1: the datapoints stop
    client("rds", WEST).failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier="orders-west", AllowDataLoss=True)
    assert aurora_lag(client, WEST, "orders-west") == []  # the writer publishes no lag


# ElastiCache Global Datastore -----------------------------------------------------------------
def test_global_datastore_lag_per_member_cluster_of_the_secondary(sim, client):
    east, west = client("elasticache", EAST), client("elasticache", WEST)
    east.create_replication_group(
        ReplicationGroupId="sessions-east", ReplicationGroupDescription="s", CacheNodeType="cache.r6g.large",
        Engine="redis", NumCacheClusters=2, AutomaticFailoverEnabled=True,
    )
    gid = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="sessions", PrimaryReplicationGroupId="sessions-east")[
        "GlobalReplicationGroup"
    ]["GlobalReplicationGroupId"]
    secondary = west.create_replication_group(
        ReplicationGroupId="sessions-west", ReplicationGroupDescription="s", GlobalReplicationGroupId=gid, NumCacheClusters=2
    )["ReplicationGroup"]
    elasticache_backends[DEFAULT_ACCOUNT_ID][WEST].replication_groups["sessions-west"].replication_group_create_time -= timedelta(minutes=3)
    sim.lag(0.8, region=WEST, service="elasticache", resource="sessions-west")
    cloudwatch = client("cloudwatch", WEST)
    queries = [
        lag_query(f"m{i}", "AWS/ElastiCache", "GlobalDatastoreReplicationLag", {"CacheClusterId": member})
        for i, member in enumerate(secondary["MemberClusters"])
    ]
    results = metric_data(cloudwatch, queries)
    assert all(len(r["Values"]) >= 3 and set(r["Values"]) == {0.8} for r in results.values())
    primary_member = east.describe_replication_groups(ReplicationGroupId="sessions-east")["ReplicationGroups"][0]["MemberClusters"][0]
    primary = metric_data(client("cloudwatch", EAST), [lag_query("p", "AWS/ElastiCache", "GlobalDatastoreReplicationLag", {"CacheClusterId": primary_member})])
    assert primary["p"]["Values"] == []
    sim.outage(EAST)
    STATE.outages[EAST]["since"] -= 120  # out for two minutes: no datapoints for them
    assert len(metric_data(cloudwatch, queries)["m0"]["Values"]) < len(results["m0"]["Values"])


def test_s3_replication_latency_is_in_seconds(sim, client):
    """S3 User Guide (replication metrics): ReplicationLatency in seconds, in the source bucket's region."""
    east, west = client("s3", EAST), client("s3", WEST)
    east.create_bucket(Bucket="src")
    west.create_bucket(Bucket="dst", CreateBucketConfiguration={"LocationConstraint": WEST})
    for s3, bucket in ((east, "src"), (west, "dst")):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    east.put_bucket_replication(
        Bucket="src",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [{"ID": "r1", "Status": "Enabled", "Priority": 1, "Filter": {}, "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": "arn:aws:s3:::dst"}}],
        },
    )
    sim.lag(30, region=EAST, service="s3", resource="src")
    answer = client("cloudwatch", EAST).get_metric_statistics(
        Namespace="AWS/S3", MetricName="ReplicationLatency",
        Dimensions=[{"Name": "SourceBucket", "Value": "src"}, {"Name": "DestinationBucket", "Value": "dst"}, {"Name": "RuleId", "Value": "r1"}],
        StartTime=now() - timedelta(minutes=10), EndTime=now() + timedelta(seconds=1), Period=60, Statistics=["Maximum"],
    )
    points = answer["Datapoints"]
    assert points and {(p["Maximum"], p["Unit"]) for p in points} == {(30.0, "Seconds")}
