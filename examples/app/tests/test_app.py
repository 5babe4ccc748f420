"""The reference application: configuration handling (unit), the count (unit), and against the simulator's
data plane: read-your-writes, and a load through an unplanned failover whose lost writes are counted."""

import json
import sys
import threading
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regionapp import config as app_config  # noqa: E402
from regionapp.client import App, WriteError, config_loader  # noqa: E402
from regionapp.load import outcome, present_on, read_acks, run_load  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
GOOD = {"active_region": EAST, "write_endpoint": "db.example:3307", "read_endpoints": "r1.example,r2.example:3310",
        "region": WEST, "redis_endpoint": "cache.example"}


# configuration ------------------------------------------------------------------------------------
def test_configuration_from_parameters():
    config = app_config.from_parameters("shop", GOOD)
    assert (config.writer.host, config.writer.port) == ("db.example", 3307)
    assert [str(r) for r in config.readers] == ["r1.example:3306", "r2.example:3310"]
    assert str(config.redis) == "cache.example:6379" and config.reader.host == "r1.example"


def test_missing_parameters_are_named_at_once():
    with pytest.raises(app_config.ConfigError, match=r"/shop/config/: write_endpoint, region"):
        app_config.from_parameters("shop", {k: v for k, v in GOOD.items() if k not in ("write_endpoint", "region")})


@pytest.mark.parametrize("value, message", [("db:port", "has port 'port'"), (":3306", "is not an endpoint"), ("db:70000", "from 1 to 65535")])
def test_bad_endpoints_are_refused(value, message):
    with pytest.raises(app_config.ConfigError, match=message):
        app_config.from_parameters("shop", dict(GOOD, write_endpoint=value))


def test_bad_application_name():
    with pytest.raises(app_config.ConfigError, match="without '/'"):
        app_config.prefix_of("a/b")


def test_bad_database_name_and_missing_password_are_refused(monkeypatch):
    from types import SimpleNamespace

    from regionapp.__main__ import db_password

    with pytest.raises(app_config.ConfigError, match="database='app; DROP' is not a database name"):
        App(lambda: app_config.from_parameters("shop", GOOD), "admin", "pw", "app; DROP")
    monkeypatch.delenv("APP_DB_PASSWORD", raising=False)
    with pytest.raises(app_config.ConfigError, match="set APP_DB_PASSWORD, or name its Secrets Manager secret with --db-secret"):
        db_password(SimpleNamespace(db_secret=None, region="eu-west-1"))
    with pytest.raises(app_config.ConfigError, match="--db-secret shop/rds/master needs --region"):
        db_password(SimpleNamespace(db_secret="shop/rds/master", region=None))
    monkeypatch.setenv("APP_DB_PASSWORD", "from-env")
    assert db_password(SimpleNamespace(db_secret="shop/rds/master", region=None)) == "from-env"


# the count -----------------------------------------------------------------------------------------------
def test_outcome_counts_lost_writes_and_downtime_per_move():
    acks = [{"run": "r", "seq": s, "acked_at": t} for s, t in ((1, 10.0), (2, 11.0), (3, 12.0), (4, 13.0), (5, 20.0), (6, 21.0))]
    result = outcome(acks, present={("r", 1), ("r", 2), ("r", 5), ("r", 6)}, moves=[{"name": "failover", "at": 14.0}])
    move = result["moves"][0]
    assert (move["writes_acknowledged"], move["writes_lost"], move["data_loss_window_s"]) == (4, 2, 1.0)
    assert move["write_downtime_s"] == 7.0 and move["lost_seqs"] == [3, 4]
    assert result["total"]["writes_lost"] == 2
    # a move whose switchover comes later than its start (a failback): the longest gap in its period
    acks += [{"run": "r", "seq": s, "acked_at": t} for s, t in ((7, 30.0), (8, 31.0), (9, 40.5), (10, 41.0))]
    later = outcome(acks, present={("r", s) for s in (1, 2, 5, 6, 7, 8, 9, 10)},
                    moves=[{"name": "failover", "at": 14.0}, {"name": "failback", "at": 29.5}])
    assert later["moves"][1]["write_downtime_s"] == 9.5 and later["moves"][1]["writes_lost"] == 0


def test_another_runs_row_is_not_this_runs_write():
    # an earlier run wrote seq 1-3 and kept them; this run's seq 2 and 3 were lost: they count as lost
    acks = [{"run": "new", "seq": s, "acked_at": float(s)} for s in (1, 2, 3)]
    present = {("old", 1), ("old", 2), ("old", 3), ("new", 1)}
    assert outcome(acks, present)["total"]["writes_lost"] == 2


def test_bad_run_id_is_refused():
    with pytest.raises(app_config.ConfigError, match="run='a b' is not a run id"):
        App(lambda: app_config.from_parameters("shop", GOOD), "admin", "pw", "app", run="a b")
    assert App(lambda: app_config.from_parameters("shop", GOOD), "admin", "pw", "app").run.startswith(f"{WEST}-")


# against the data plane ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from regionsim.server import ThreadedRegionSim

    server = ThreadedRegionSim(data_plane=True, data_dir=tmp_path_factory.mktemp("dataplane")).start()
    yield server
    server.stop()


@pytest.fixture
def stack(sim, monkeypatch):
    """app-db (us-east-1), its replica in us-west-2, and us-west-2's /shop/config/ parameters."""
    from regionsim.control import Control

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    control = Control(sim.endpoint)
    control.reset()

    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=sim.endpoint)

    east, west, ssm = client("rds", EAST), client("rds", WEST), client("ssm", WEST)
    source = east.create_db_instance(DBInstanceIdentifier="app-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                                     MasterUsername="admin", MasterUserPassword="secret123456", AllocatedStorage=20,
                                     BackupRetentionPeriod=7, DBName="app")["DBInstance"]
    west.create_db_instance_read_replica(DBInstanceIdentifier="app-db-replica", SourceDBInstanceIdentifier=source["DBInstanceArn"])

    def endpoint(rds, name):
        found = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]
        return f"{found['Address']}:{found['Port']}"

    values = dict(GOOD, write_endpoint=endpoint(east, "app-db"), read_endpoints=endpoint(west, "app-db-replica"), region=WEST)
    for key, value in values.items():
        ssm.put_parameter(Name=f"/shop/config/{key}", Value=value, Type="String", Overwrite=True)
    app = App(config_loader(ssm, "shop"), "admin", "secret123456", "app", cloudwatch=client("cloudwatch", WEST))
    yield app, control, west, ssm, endpoint
    control.reset()


def test_read_your_writes_and_metrics(stack):
    app, control, west, ssm, endpoint = stack
    gtid = app.write(1)
    assert app.read(1, after_gtid=gtid, timeout=10)[0] == 1
    assert app.replication_lag() == 0 and app.can_write()
    control.replication("stop", "app-db-replica")
    gtid = app.write(2)
    with pytest.raises(TimeoutError):  # the replica cannot apply it: read-your-writes says so
        app.read(2, after_gtid=gtid, timeout=0.5)
    assert app.replication_lag() == -1
    metrics = boto3.client("cloudwatch", region_name=WEST, endpoint_url=control.endpoint).list_metrics(Namespace="shop/MultiRegion")
    assert {m["MetricName"] for m in metrics["Metrics"]} >= {"OperationLatency", "ReplicationLag", "ErrorCount"}


def test_health_is_liveness_and_ready_says_whether_it_can_write(stack):
    import urllib.error
    import urllib.request

    from regionapp.__main__ import make_server

    app, control, west, ssm, endpoint = stack
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path):
        try:
            with urllib.request.urlopen(url + path, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read()) if exc.headers.get_content_type() == "application/json" else None

    try:
        assert get("/ready") == (200, {"region": WEST, "active_region": EAST, "writer": endpoint(east_rds(control), "app-db"), "can_write": True})
        control.outage(EAST)  # the writer's region is out: not ready to write, but alive (the load balancer keeps it)
        status, body = get("/ready")
        assert status == 503 and body["can_write"] is False
        assert get("/health")[0] == 200 and get("/nothing")[0] == 404
    finally:
        server.shutdown()


def east_rds(control):
    return boto3.client("rds", region_name=EAST, endpoint_url=control.endpoint)


def test_load_through_an_unplanned_failover_counts_what_was_lost(stack, tmp_path):
    import time

    app, control, west, ssm, endpoint = stack
    log = tmp_path / "acks.jsonl"
    log.touch()
    stop = threading.Event()
    writer = threading.Thread(target=run_load, args=(app, log), kwargs={"rate": 50, "duration": 60, "should_stop": stop.is_set})
    writer.start()
    try:
        _wait(lambda: len(read_acks(log)) >= 10)
        control.replication("stop", "app-db-replica")  # what is acknowledged from now on exists only in us-east-1
        # one write may be in flight across the stop (committed and replicated before it, logged after): wait for
        # 11 acknowledgements so that at least 10 were written after replication stopped
        stopped_at = len(read_acks(log))
        _wait(lambda: len(read_acks(log)) >= stopped_at + 11)
        control.outage(EAST)
        failover_at = time.time()
        west.promote_read_replica(DBInstanceIdentifier="app-db-replica")
        ssm.put_parameter(Name="/shop/config/write_endpoint", Value=endpoint(west, "app-db-replica"), Type="String", Overwrite=True)
        # the writer re-reads its configuration after a failed write and carries on against the new primary
        _wait(lambda: read_acks(log)[-1]["writer"] == app.config.writer.__str__() and read_acks(log)[-1]["acked_at"] > failover_at + 0.2)
    finally:
        stop.set()
        writer.join()
    acks = read_acks(log)
    with app._connect(app.config.writer) as connection:  # the final primary: the promoted replica
        present = present_on(connection, {app.run})
    result = outcome(acks, present, [{"name": "failover", "at": failover_at}])
    move = result["moves"][0]
    assert move["writes_lost"] >= 10 and move["writes_lost"] < move["writes_acknowledged"]
    assert move["data_loss_window_s"] > 0 and move["write_downtime_s"] > 0
    # every lost write was acknowledged by the old primary; none of those the new primary acknowledged is missing
    old_writer = acks[0]["writer"]
    assert {a["writer"] for a in acks if (a["run"], a["seq"]) not in present} == {old_writer}
    assert result["total"]["writes_lost"] >= move["writes_lost"]
    with pytest.raises(WriteError):  # the old primary's region is out: a write there is not acknowledged
        App(lambda: app_config.from_parameters("shop", dict(GOOD, write_endpoint=endpoint_of_east(control))),
            "admin", "secret123456", "app").write(10_000)


def endpoint_of_east(control):
    found = [s for s in control.data_plane()["servers"] if s["name"] == "app-db"]
    return f"{found[0]['address']}:{found[0]['port']}"


def _wait(check, timeout=30):
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)
