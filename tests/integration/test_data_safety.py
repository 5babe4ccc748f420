"""Issue 16 on real data: MariaDB behind the simulator's RDS (regionsim's data plane), driven by the collection's
modules and checked with pymysql. A replication that stopped before the outage: the promotion states a data-loss
window at least as long as the writes it really lost. An old primary back from the outage: it takes writes (split
brain) until rds_fence, as failover.yml and fence.yml run it, makes it refuse them."""

import json
import time

import pymysql
import pytest

from regionsim import dataplane

EAST, WEST = "us-east-1", "us-west-2"
USER, PASSWORD = "admin", "secret123456"
READ_ONLY_ERROR = 1290  # ER_OPTION_PREVENTS_STATEMENT: the server runs with --read-only
DB = "app-db"  # the same identifier in both regions, as the rds role names it


def endpoint(rds, name):
    found = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]
    return found["Address"], found["Port"]


def connect(address):
    host, port = address
    return pymysql.connect(host=host, port=port, user=USER, password=PASSWORD, database="app", autocommit=True, connect_timeout=3)


def execute(address, *statements):
    with connect(address) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall()


def ids(address):
    return [row[0] for row in execute(address, "SELECT id FROM t ORDER BY id")]


def wait_for(check, what, timeout=30):
    """Poll state until check() is truthy (replication and the metric sampler are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if value:
                return value
        except pymysql.err.Error:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def served(region, name=DB):
    return next(s for s in dataplane.PLANE.served.values() if s.name == name and s.region == region)


@pytest.fixture
def pair(data_plane, aws):
    """app-db in us-east-1 (its own parameter group, so it can be fenced) and its read replica in us-west-2."""
    east, west = aws("rds", EAST), aws("rds", WEST)
    for rds in (east, west):
        rds.create_db_parameter_group(DBParameterGroupName="app-params", DBParameterGroupFamily="mysql8.0", Description="app")
    source = east.create_db_instance(
        DBInstanceIdentifier=DB, DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername=USER, MasterUserPassword=PASSWORD,
        AllocatedStorage=20, BackupRetentionPeriod=7, DBName="app", DBParameterGroupName="app-params",
    )["DBInstance"]
    west.create_db_instance_read_replica(DBInstanceIdentifier=DB, SourceDBInstanceIdentifier=source["DBInstanceArn"],
                                         DBParameterGroupName="app-params")
    execute(endpoint(east, DB), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (0)")
    wait_for(lambda: ids(endpoint(west, DB)) == [0], "the replica to have row 0")
    return east, west


def test_stopped_replication_then_outage_the_window_covers_what_was_lost_and_the_old_primary_is_fenced(sim, module, pair):
    east, west = pair
    primary = endpoint(east, DB)  # known before the outage: the application's write endpoint
    # replication breaks; the application goes on writing to the primary, every write acknowledged
    sim.replication("stop", DB, region=WEST)
    stopped = time.time()
    for number in range(1, 6):
        execute(primary, f"INSERT INTO t VALUES ({number})")
    acked = time.time()
    wait_for(lambda: served(WEST).server.lag() == -1, "ReplicaLag -1 on the stopped replica")
    sim.outage(EAST)

    args = {"target_region": WEST, "db_instance_identifier": DB, "mode": "unplanned", "rpo_seconds": 300, "lookback_seconds": 300,
            "poll_interval": 0.2, "connect_timeout": 2}
    tight = module("rds_promote", dict(args, rpo_seconds=1))
    assert tight.get("failed") and "replication stopped" in tight["msg"] and "allow_data_loss" in tight["msg"], tight
    result = module("rds_promote", dict(args, rpo_seconds=1, allow_data_loss=True))
    assert result["changed"] and not result.get("failed"), result
    promoted = endpoint(west, DB)
    lost = sorted(set(range(1, 6)) - set(ids(promoted)))
    assert lost == [1, 2, 3, 4, 5], lost  # counted on the data: every write after the stop is gone
    # the window the module states covers the writes really lost: from the stop to the last acknowledged write
    assert result["data_loss_window_seconds"] >= acked - stopped, (result["data_loss_window_seconds"], acked - stopped)
    assert result["lag"]["replication_running"] is False

    # the old region comes back: its primary takes writes (split brain) until it is fenced
    sim.restore(EAST)
    execute(primary, "INSERT INTO t VALUES (100)")
    topology = module("topology_info", {"regions": [EAST, WEST], "database": {"engine": "mysql", "db_instance_identifier": DB}})
    assert topology["writable_databases"] == [EAST, WEST] and topology["split_brain"] is True, topology
    fenced = module("rds_fence", {"region": EAST, "db_instance_identifier": DB, "poll_interval": 0.2})
    assert fenced["changed"] and fenced["fenced"], fenced
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(primary, "INSERT INTO t VALUES (101)")
    assert refused.value.args[0] == READ_ONLY_ERROR
    assert 101 not in ids(primary) and 100 in ids(primary)
    topology = module("topology_info", {"regions": [EAST, WEST], "database": {"engine": "mysql", "db_instance_identifier": DB}})
    assert topology["writable_databases"] == [WEST] and not topology["split_brain"], topology


def test_a_planned_promotion_waits_for_every_transaction_of_the_fenced_source_not_a_stale_lag_of_0(sim, module, pair, aws):
    """#14 point 9 on real data: CloudWatch's ReplicaLag arrives once a minute and late, so it can read 0 while the
    replica lacks the source's last writes. transaction_check compares the servers' GTIDs after the fence: it refuses
    (and lifts the fence) until the replica holds every transaction, then promotes."""
    east, west = pair
    primary = endpoint(east, DB)
    sim.replication("stop", DB, region=WEST)  # the replica applies nothing more ...
    execute(primary, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)")  # ... of two acknowledged writes
    # ... while the lag CloudWatch has says 0 (a datapoint from before, as AWS's arrive a minute or two late)
    aws("cloudwatch", WEST).put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": "ReplicaLag", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": DB}], "Value": 0, "Unit": "Seconds",
         "Timestamp": time.time() - 30}])
    check = {"login_user": USER, "login_password": PASSWORD, "connect_timeout": 3}
    args = {"target_region": WEST, "db_instance_identifier": DB, "mode": "planned", "poll_interval": 0.2, "wait_timeout": 3,
            "transaction_check": check}

    refused = module("rds_promote", args)
    assert refused.get("failed") and f"{DB} in {WEST} to hold every transaction of it (GTIDs)" in refused["msg"], refused
    assert "2 missing" in refused["msg"] and "nothing was promoted" in refused["msg"], refused["msg"]
    execute(primary, "INSERT INTO t VALUES (3)")  # the fence was lifted: the source takes writes again
    assert "ReadReplicaSourceDBInstanceIdentifier" in west.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]

    sim.replication("start", DB, region=WEST)
    done = module("rds_promote", dict(args, wait_timeout=60))
    assert done["changed"] and not done.get("failed"), done
    assert done["transaction_check"]["checked"] and done["transaction_check"]["count"] == 0, done["transaction_check"]
    assert ids(endpoint(west, DB)) == [0, 1, 2, 3]  # nothing acknowledged was left behind
    assert PASSWORD not in json.dumps(done) and PASSWORD not in json.dumps(refused)  # no_log
