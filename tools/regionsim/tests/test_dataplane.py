"""regionsim's data plane: real MariaDB and Redis servers behind RDS and ElastiCache, driven through
boto3 against the simulator and checked with pymysql/redis against the servers it reports."""

import os
import time
from datetime import datetime, timedelta, timezone

import pymysql
import pytest
import redis

from regionsim import dataplane

EAST, WEST = "us-east-1", "us-west-2"
USER, PASSWORD = "admin", "secret123456"
READ_ONLY_ERROR = 1290  # ER_OPTION_PREVENTS_STATEMENT: the server runs with --read-only


@pytest.fixture(scope="module")
def data_plane(tmp_path_factory):
    dataplane.enable(tmp_path_factory.mktemp("dataplane"))
    yield
    dataplane.disable()


@pytest.fixture
def mysql_pair(data_plane, sim, client):
    """app-db in us-east-1 and its cross-region read replica in us-west-2 (parameter groups app-params);
    a table app.t with row 1, replicated."""
    east, west = client("rds", EAST), client("rds", WEST)
    for rds in (east, west):  # a fence is set in each region's parameter group
        rds.create_db_parameter_group(DBParameterGroupName="app-params", DBParameterGroupFamily="mysql8.0", Description="app")
    source = east.create_db_instance(
        DBInstanceIdentifier="app-db", DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername=USER,
        MasterUserPassword=PASSWORD, AllocatedStorage=20, BackupRetentionPeriod=7, DBName="app", DBParameterGroupName="app-params",
    )["DBInstance"]
    west.create_db_instance_read_replica(DBInstanceIdentifier="app-db-replica", SourceDBInstanceIdentifier=source["DBInstanceArn"],
                                         DBParameterGroupName="app-params")
    execute(connect(east, "app-db"), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
    wait_for(lambda: rows(west, "app-db-replica") == [1])
    return east, west


def wait_for(check, timeout=20, what="condition"):
    """Poll state until check() is truthy (replication is asynchronous); fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if value:
                return value
        except (pymysql.err.Error, redis.exceptions.RedisError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def endpoint(rds, name):
    found = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]
    return found["Address"], found["Port"]


def connect(rds, name):
    host, port = endpoint(rds, name)
    return pymysql.connect(host=host, port=port, user=USER, password=PASSWORD, database="app", autocommit=True, connect_timeout=3)


def execute(connection, *statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall()


def rows(rds, name):
    with connect(rds, name) as connection:
        return [row[0] for row in execute(connection, "SELECT id FROM t ORDER BY id")]


def write_refused(rds, name, value):
    with connect(rds, name) as connection, pytest.raises(pymysql.err.OperationalError) as err:
        execute(connection, f"INSERT INTO t VALUES ({value})")
    return err.value.args[0] == READ_ONLY_ERROR


def replica_lag(client, name="app-db-replica", stat="Minimum"):
    now = datetime.now(timezone.utc)
    answer = client("cloudwatch", WEST).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ReplicaLag", Dimensions=[{"Name": "DBInstanceIdentifier", "Value": name}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(seconds=1), Period=60, Statistics=[stat],
    )
    points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
    return points[-1][stat] if points else None


def test_replica_is_a_real_replica_fenced_by_read_only_with_its_real_lag(sim, client, mysql_pair):
    east, west = mysql_pair
    assert endpoint(east, "app-db")[0] == "127.0.0.1" and endpoint(east, "app-db") != endpoint(west, "app-db-replica")
    assert write_refused(west, "app-db-replica", 2)  # a replica is read_only ({TrueIfReplica})
    assert replica_lag(client) == 0
    # lag injection: a stopped replica reports -1, not 0; started again it catches up
    sim.replication("stop", "app-db-replica")
    assert replica_lag(client) == -1
    with connect(east, "app-db") as connection:
        execute(connection, "INSERT INTO t VALUES (2)")
    assert rows(west, "app-db-replica") == [1]
    sim.replication("start", "app-db-replica")
    wait_for(lambda: rows(west, "app-db-replica") == [1, 2], what="replica catching up")
    # MASTER_DELAY: the replica stays behind and its lag grows
    sim.replication("delay", "app-db-replica", seconds=30)
    with connect(east, "app-db") as connection:
        execute(connection, "INSERT INTO t VALUES (3)")
    wait_for(lambda: replica_lag(client) >= 1, what="ReplicaLag above 0 under MASTER_DELAY")
    assert rows(west, "app-db-replica") == [1, 2]
    # the fence: read_only=1 in the primary's parameter group stops the master user (no SUPER), read_only=0 lifts it
    east.modify_db_parameter_group(DBParameterGroupName="app-params", Parameters=[
        {"ParameterName": "read_only", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    assert write_refused(east, "app-db", 4)
    east.modify_db_parameter_group(DBParameterGroupName="app-params", Parameters=[
        {"ParameterName": "read_only", "ParameterValue": "0", "ApplyMethod": "immediate"}])
    with connect(east, "app-db") as connection:
        execute(connection, "INSERT INTO t VALUES (4)")


def test_outage_cuts_clients_and_replication_promotion_and_restore(sim, client, mysql_pair):
    east, west = mysql_pair
    host, port = endpoint(east, "app-db")  # the East API is out during the outage, its address is known
    held = connect(east, "app-db")
    # the lag sampler runs once a second: have one reading of the healthy replica before the outage
    wait_for(lambda: replica_lag(client, stat="Maximum") == 0, what="a ReplicaLag reading before the outage")
    sim.outage(EAST)
    with pytest.raises(pymysql.err.OperationalError):  # an open connection is cut
        execute(held, "INSERT INTO t VALUES (2)")
    with pytest.raises(pymysql.err.OperationalError):  # and a new one refused
        pymysql.connect(host=host, port=port, user=USER, password=PASSWORD, connect_timeout=3)
    # the replica's IO thread lost its source: ReplicaLag -1
    wait_for(lambda: served("app-db-replica").server.lag() == -1, what="the replica to lose its source")
    assert replica_lag(client) == -1
    assert replica_lag(client, stat="Maximum") == 0  # the lag measured before the outage: the RPO gate can read it
    west.promote_read_replica(DBInstanceIdentifier="app-db-replica")
    with connect(west, "app-db-replica") as connection:
        execute(connection, "INSERT INTO t VALUES (10)")
        assert execute(connection, "SHOW SLAVE STATUS") == ()
    sim.restore(EAST)
    # the old primary is back as it was: writable, with what it had, and nothing written after the failover
    assert rows(east, "app-db") == [1]
    with connect(east, "app-db") as connection:
        execute(connection, "INSERT INTO t VALUES (2)")
    assert rows(west, "app-db-replica") == [1, 10]


def served(name):
    return next(s for s in dataplane.PLANE.served.values() if s.name == name)


def test_redis_global_datastore_replicates_and_fails_over(data_plane, sim, client):
    east, west = client("elasticache", EAST), client("elasticache", WEST)
    east.create_replication_group(ReplicationGroupId="cache-use1", ReplicationGroupDescription="c", Engine="redis",
                                  CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    gid = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="cache", PrimaryReplicationGroupId="cache-use1")[
        "GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    west.create_replication_group(ReplicationGroupId="cache-usw2", ReplicationGroupDescription="c", GlobalReplicationGroupId=gid,
                                  NumCacheClusters=1)

    def node(ec, name):
        found = ec.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
        address = found["NodeGroups"][0]["PrimaryEndpoint"]
        return redis.Redis(host=address["Address"], port=address["Port"], socket_timeout=3, decode_responses=True)

    primary, secondary = node(east, "cache-use1"), node(west, "cache-usw2")
    primary.set("session", "a")
    wait_for(lambda: secondary.get("session") == "a", what="the secondary to replicate")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        secondary.set("session", "b")
    lag = client("cloudwatch", WEST).get_metric_statistics(
        Namespace="AWS/ElastiCache", MetricName="GlobalDatastoreReplicationLag",
        Dimensions=[{"Name": "CacheClusterId", "Value": "cache-usw2-001"}],
        StartTime=datetime.now(timezone.utc) - timedelta(minutes=5), EndTime=datetime.now(timezone.utc) + timedelta(seconds=1),
        Period=60, Statistics=["Maximum"])["Datapoints"]
    assert lag and {p["Maximum"] for p in lag} == {0}  # one datapoint a minute: two when a minute turns
    west.failover_global_replication_group(GlobalReplicationGroupId=gid, PrimaryRegion=WEST, PrimaryReplicationGroupId="cache-usw2")
    assert secondary.info("replication")["role"] == "master"
    secondary.set("session", "b")
    wait_for(lambda: primary.get("session") == "b", what="the old primary to follow the new one")
    assert primary.info("replication")["role"] == "slave"


def test_a_server_in_a_folder_too_deep_for_a_unix_socket_starts_and_cleans_up(data_plane, tmp_path):
    from regionsim.dataplane.servers import MariaDB

    folder = tmp_path / ("deep" * 30) / "mariadb"  # its own mysqld.sock would pass the 107-byte limit
    server = MariaDB(folder, 99, dataplane.PLANE._template()).start()
    try:
        assert server.execute("SELECT 1 AS one") == [{"one": 1}]
    finally:
        server.stop()
    assert not folder.exists() and not os.path.exists(os.path.dirname(server.socket))
