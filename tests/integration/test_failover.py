"""playbooks/failover.yml and playbooks/status.yml end to end on a provisioned simulator (issue 5's
must-shows), checked through boto3: an unplanned failover during an outage with the bad inputs that must
fail before any change, a planned failover that fences the old primary, and a failover killed during the
promotion and rerun, and a drill. Each test starts from the provisioned stack (the `provisioned` fixture: one
provision per test session, then the simulator's snapshot); scenarios are chained within a test."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from aws_checks import allowed_actions, called_actions, fenced, operator_policy, record_weights  # noqa: E402  (tests/aws_checks.py)

INVENTORY = "inventories/local"
FAILOVER = "playbooks/failover.yml"
APP = "shop"
ZONE = "shop.example.com."
RECORD = "api.shop.example.com."
STANDBY = "standby.api.shop.example.com."
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
OWNER = "tester@ci"
# where the playbooks keep the failover lock (playbooks/vars/dr.yml): failover_lock's options
LOCK_TABLE = {"table": f"{APP}-dr-lock", "table_regions": list(REGIONS)}
STEPS = ["preflight", "database", "cache", "capacity", "config", "dns", "verify"]
READS = ("Describe", "List", "Get")


# What the operator policy allows that a drill does not call, and who needs it.
NOT_IN_A_DRILL = {
    "rds:DeleteDBInstance": "failback.yml -e keep_old_instances=false",
    "route53:GetChange": "route53_switch, when a change is not INSYNC at once (AWS: seconds; the simulator only with latency on)",
    "kms:CreateGrant": "AWS checks it when RDS encrypts a rebuilt replica with the region's key for the caller",
    "kms:Decrypt": "AWS checks it when Secrets Manager decrypts the database secret for the caller",
}


def failover_vars(tmp_path, **extra):
    return {"failover_owner": OWNER, "failover_poll_interval": 1, "report_dir": str(tmp_path / "reports"), **extra}


def changes_since(sim, since):
    """AWS calls that change something, made since the epoch `since` (the simulator's request log)."""
    return [f"{e['region']} {e['service']} {e['action']}" for e in sim.log(since)
            if e.get("action") and not e["action"].startswith(READS)]


def refused(playbook, sim, tmp_path, expect, **extravars):
    """The failover fails with a message containing `expect` and changes nothing in AWS."""
    since = time.time()
    run = playbook(FAILOVER, extravars=failover_vars(tmp_path, **extravars), inventory=INVENTORY)
    assert run.rc != 0, f"{extravars} was not refused"
    assert any(expect in msg for msg in run.failures()), run.failures()
    assert changes_since(sim, since) == [], f"{extravars} changed AWS before failing"
    return run


def report(tmp_path, target):
    found = sorted((tmp_path / "reports").glob(f"failover-{target}-*.json"))
    assert found, f"no report for {target} in {tmp_path / 'reports'}"
    return json.loads(found[-1].read_text())


def weights(aws, name=RECORD):
    return record_weights(aws("route53"), ZONE, name)


def origin_group(aws):
    """The CDN's origin group members, and the secondary's domain name."""
    cf = aws("cloudfront")
    (item,) = cf.list_distributions()["DistributionList"]["Items"]
    config = cf.get_distribution_config(Id=item["Id"])["DistributionConfig"]
    members = [m["OriginId"] for m in config["OriginGroups"]["Items"][0]["Members"]["Items"]]
    domains = {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}
    return members, domains[members[1]]


def lock_record(aws, region="us-west-2"):
    """[the lock's item] in the lock table's replica in region (us-west-2 is up in every test), or []."""
    item = aws("dynamodb", region).get_item(TableName=f"{APP}-dr-lock", Key={"name": {"S": "_multiregion-dr-lock"}}, ConsistentRead=True)
    return [item["Item"]] if "Item" in item else []


def assert_active(aws, target, reachable):
    """The must-show state after a failover to target, read from AWS."""
    db = aws("rds", target).describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in db and not db.get("StatusInfos"), db.get("StatusInfos")
    datastore = aws("elasticache", target).describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    roles = {m["ReplicationGroupRegion"]: m["Role"] for m in datastore["Members"]}
    assert roles[target] == "PRIMARY" and list(roles.values()).count("PRIMARY") == 1, roles
    assert weights(aws) == {region: (100 if region == target else 0) for region in REGIONS}
    # the CDN tries the target first, then the standby name, which answers with every other region
    assert origin_group(aws) == ([target, "standby"], STANDBY.rstrip("."))
    assert weights(aws, STANDBY) == {region: (0 if region == target else 100) for region in REGIONS}
    group = aws("autoscaling", target).describe_auto_scaling_groups(AutoScalingGroupNames=[f"{APP}-app"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"]) == (2, 2)
    assert sum(i["LifecycleState"] == "InService" for i in group["Instances"]) == 2
    for region in reachable:
        ssm = aws("ssm", region)
        assert ssm.get_parameter(Name=f"/{APP}/config/active_region")["Parameter"]["Value"] == target, region
        # host:port: the data plane serves each database on a port of its own
        assert ssm.get_parameter(Name=f"/{APP}/config/write_endpoint")["Parameter"]["Value"] == f"{db['Endpoint']['Address']}:{db['Endpoint']['Port']}", region
    assert lock_record(aws) == [], "the lock was not released"


def capacities(aws):
    """(min, desired) of each region's auto scaling group."""
    groups = {region: aws("autoscaling", region).describe_auto_scaling_groups(AutoScalingGroupNames=[f"{APP}-app"])["AutoScalingGroups"][0]
              for region in REGIONS}
    return {region: (group["MinSize"], group["DesiredCapacity"]) for region, group in groups.items()}


def standby_everywhere_but(active):
    return {region: ((2, 2) if region == active else (1, 1)) for region in REGIONS}


def assert_report(data, target, mode):
    assert data["outcome"] == "succeeded" and data["failure"] is None
    assert data["target"] == target and data["mode"] == mode
    assert [step["step"] for step in data["timeline"]] == STEPS
    for step in data["timeline"]:
        assert step["end"] >= step["start"] and step["seconds"] >= 0 and step["result"], step
    assert 0 < data["rto_seconds"] < 900
    # the data services: the table's replication is reported (not gated); the table and bucket answer in the target
    assert any(r["type"] == "dynamodb" and r["id"] == f"{APP}-sessions" for r in data["data_services_lag"]), data["data_services_lag"]
    assert "tables and bucket answer there" in data["timeline"][STEPS.index("verify")]["result"]
    # a fenced old primary (planned) or an unreachable one (unplanned) is no writer: no split brain
    assert data["topology_after"]["writable_databases"] == [target] and data["topology_after"]["cache_primary"] == target
    if not data["resumed"]:
        assert data["topology_before"]["writable_databases"] in ([], ["us-east-1"])


def cdn_line(status):
    lines = status.result("Show the status", host="us-east-1")["msg"]
    return next(line for line in lines if line.startswith("CDN "))


@pytest.mark.slow(160)
def test_unplanned_failover_bad_inputs_and_status(provisioned, playbook, sim, aws, module, tmp_path):
    sim.outage("us-east-1")
    # the CDN's origin group covers the three regions: us-east-1 is out, so requests end up in the two others
    status = playbook("playbooks/status.yml", inventory=INVENTORY)
    assert cdn_line(status).endswith("primary origin us-east-1, then standby.api.shop.example.com (us-west-2, eu-west-1); "
                                     "requests end up in us-west-2, eu-west-1"), cdn_line(status)

    # bad input, each refused before any change
    refused(playbook, sim, tmp_path, "no target given")
    refused(playbook, sim, tmp_path, "target=ap-south-1 is not a region of the application; valid targets: us-east-1, us-west-2, eu-west-1",
            target="ap-south-1")
    sim.lag(600, region="eu-west-1", service="rds")
    run = refused(playbook, sim, tmp_path, "refusing an unplanned failover to eu-west-1", target="eu-west-1")
    # ReplicaLag is -1 since the outage: the window is the lag before it plus the time since
    assert any("allow_data_loss=true" in msg and "lag 600.0 s at its last datapoint" in msg and "RPO budget of 300" in msg
               for msg in run.failures()), run.failures()
    sim.lag(20, region="eu-west-1", service="rds")

    # another owner's failover holds the lock; once it finished, the cool-down refuses a new one
    bob = {**LOCK_TABLE, "region": "us-west-2", "owner": "bob@elsewhere", "operation": "failover to us-west-2"}
    assert module("failover_lock", bob)["changed"]
    refused(playbook, sim, tmp_path, "the lock is held by bob@elsewhere", target="eu-west-1")
    assert module("failover_lock", {**bob, "state": "released"})["changed"]
    refused(playbook, sim, tmp_path, "cool-down", target="eu-west-1")

    # check mode prints the plan and changes nothing
    since = time.time()
    dry = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="eu-west-1", ignore_cooldown=True), inventory=INVENTORY, check=True)
    assert dry.rc == 0, dry.failures()
    plan = dry.result("Show the plan", host="eu-west-1")["msg"]
    assert "(unplanned)" in plan[0] and "check mode" in plan[0], plan
    assert any(line.startswith("2a. database: unplanned promotion of shop-db in eu-west-1") for line in plan), plan
    assert any(line.startswith("4. dns: ") and "cdn: primary origin eu-west-1" in line
               and "standby name standby.api.shop.example.com weight 0 on eu-west-1" in line for line in plan), plan
    assert changes_since(sim, since) == []

    # the failover: outage of us-east-1, auto picks unplanned; ignore_cooldown=true overrides bob's cool-down.
    # carol starts the same failover at the same moment: one run takes the lock, the other is refused before any change
    since = time.time()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(playbook, FAILOVER, extravars=failover_vars(tmp_path, target="eu-west-1", ignore_cooldown=True, **owner),
                            inventory=INVENTORY) for owner in ({}, {"failover_owner": "carol@elsewhere"})]
        run, carol = [future.result() for future in runs]
    if run.rc != 0 or run.changed() == 0:  # carol's went through: swap, so that `run` is the failover that did
        run, carol = carol, run
    assert run.rc == 0 and run.changed() > 0, run.failures() or run.stderr[-3000:]
    # the other changed nothing: refused by the lock (the usual case), or, had it started after the first had finished,
    # it found the target active. Never a second failover.
    assert carol.changed() == 0, "both runs changed something"
    refused_by_the_lock = carol.rc != 0 and any("the lock is held by" in m or "the lock was taken by" in m for m in carol.failures())
    came_after = carol.rc == 0 and "already holds the writable database" in carol.result(
        "Nothing to do, the target is already active", host="eu-west-1").get("msg", "")
    assert refused_by_the_lock or came_after, carol.failures()
    assert_active(aws, "eu-west-1", reachable=("us-west-2", "eu-west-1"))
    data = report(tmp_path, "eu-west-1")
    assert_report(data, "eu-west-1", "unplanned")
    # the lag before the outage (20 s) plus the time since its last datapoint, within the RPO budget of 300 s
    assert data["source"] == "us-east-1" and 20 < float(data["data_loss_window_seconds"]) <= 300, data["data_loss_window_seconds"]
    assert data["topology_before"]["regions"]["us-east-1"]["reachable"] is False
    winner = data["owner"]
    assert winner in (OWNER, "carol@elsewhere"), winner
    summary = run.result("Summary", host="eu-west-1")["msg"]
    assert summary[0].startswith("failover to eu-west-1 (unplanned from us-east-1): SUCCEEDED, RTO"), summary
    published = [e for e in sim.log(since) if e["action"] == "Publish"]
    assert [e["region"] for e in published] == ["eu-west-1"], "the team was not notified once"
    # us-west-2 was a standby at standby capacity before: its group is read, not scaled again
    assert [e["region"] for e in sim.log(since) if e["action"] == "UpdateAutoScalingGroup"] == ["eu-west-1"]

    # a second run right after: the target is active, nothing to do
    since = time.time()
    again = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="eu-west-1"), inventory=INVENTORY)
    assert again.rc == 0 and again.changed() == 0, again.failures()
    assert "already holds the writable database" in again.result("Nothing to do, the target is already active", host="eu-west-1")["msg"]
    assert changes_since(sim, since) == []

    # us-west-2's replica still follows the dead us-east-1, not the new primary: promoting it would split the data
    refused(playbook, sim, tmp_path, "follows us-east-1", target="us-west-2")

    # status: check mode, nothing changed, the active regions printed
    status = playbook("playbooks/status.yml", inventory=INVENTORY, check=True)
    assert status.rc == 0 and status.changed() == 0, status.failures()
    lines = status.result("Show the status", host="us-east-1")["msg"]
    assert lines[0].startswith("active: database eu-west-1, cache eu-west-1, DNS eu-west-1"), lines
    assert any(line.startswith("us-east-1: UNREACHABLE") for line in lines), lines
    assert any(line.startswith("lag us-west-2 rds shop-db") for line in lines), lines
    assert any(line.startswith("lock: free, last: failover to eu-west-1 by " + winner) and "cool-down" in line for line in lines), lines
    assert cdn_line(status).endswith("primary origin eu-west-1, then standby.api.shop.example.com (us-west-2); "
                                     "requests end up in eu-west-1"), lines

    # issue 16: the fence was owed (us-east-1 did not answer); us-east-1 comes back with its old primary still writable
    assert data["fencing_owed"] == ["us-east-1"] and any("fencing owed" in line for line in summary), summary
    sim.restore("us-east-1")
    split = playbook("playbooks/status.yml", inventory=INVENTORY)
    assert split.rc != 0 and any("split brain: the databases in us-east-1, eu-west-1 all take writes" in m
                                 and "playbooks/fence.yml" in m for m in split.failures()), split.failures()
    # failing over "back" onto the old primary would orphan every write made in eu-west-1: refused, nothing changed
    run = refused(playbook, sim, tmp_path, "the one in us-east-1 is an old primary back from an outage", target="us-east-1")
    assert any("playbooks/failback.yml -e target=us-east-1" in m for m in run.failures())

    # fence.yml: read_only=1 on the old primary, the active region in every region's configuration, one writer
    since = time.time()
    fence = playbook("playbooks/fence.yml", extravars=failover_vars(tmp_path), inventory=INVENTORY)
    assert fence.rc == 0, fence.failures() or fence.stderr[-3000:]
    calls = [(e["region"], e["action"]) for e in sim.log(since) if not e["action"].startswith(READS)]
    assert ("us-east-1", "ModifyDBParameterGroup") in calls and ("us-east-1", "PutParameter") in calls, calls
    assert not any(action in ("PromoteReadReplica", "FailoverGlobalReplicationGroup") for _region, action in calls), calls
    assert fenced(aws("rds", "us-east-1"), f"{APP}-db")
    assert aws("ssm", "us-east-1").get_parameter(Name=f"/{APP}/config/active_region")["Parameter"]["Value"] == "eu-west-1"
    assert_active(aws, "eu-west-1", reachable=REGIONS)
    assert capacities(aws) == standby_everywhere_but("eu-west-1"), "the returned region is not back to standby capacity"
    fence_report = report(tmp_path, "eu-west-1")
    assert fence_report["fenced"] == ["us-east-1"] and fence_report["topology_after"]["writable_databases"] == ["eu-west-1"]
    assert "fence us-east-1" in [step["step"] for step in fence_report["timeline"]], fence_report["timeline"]
    assert playbook("playbooks/status.yml", inventory=INVENTORY, check=True).rc == 0


def cache_roles(aws):
    datastore = aws("elasticache").describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    return {m["ReplicationGroupRegion"]: m["Role"] for m in datastore["Members"]}


@pytest.mark.slow(100)
def test_planned_failover_fences_the_old_primary(provisioned, playbook, sim, aws, tmp_path):
    since = time.time()

    # the replica never catches up: the promotion gives up and lifts its fence before anything else moved (it starts
    # first, the cache and the capacity after it), so the source is still the one writer of both; the lock stays
    sim.lag(600, region="us-west-2", service="rds")
    given_up = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="us-west-2", failover_step_timeout=3), inventory=INVENTORY)
    assert given_up.rc != 0
    assert any("a ReplicaLag of 0 for shop-db in a minute that starts after the fence" in msg and "takes writes again" in msg for msg in given_up.failures()), \
        given_up.failures()
    assert not fenced(aws("rds", "us-east-1"), f"{APP}-db")
    assert cache_roles(aws) == {"us-east-1": "PRIMARY", "us-west-2": "SECONDARY", "eu-west-1": "SECONDARY"}
    assert [e for e in sim.log(since) if e["action"] in ("FailoverGlobalReplicationGroup", "UpdateAutoScalingGroup", "PromoteReadReplica")] == []
    data = report(tmp_path, "us-west-2")
    assert data["outcome"] == "failed" and data["failure"]["step"] == "Start the database promotion", data["failure"]
    assert lock_record(aws) != []
    sim.lag(0, region="us-west-2", service="rds")
    for old in (tmp_path / "reports").glob("*.json"):
        old.unlink()
    since = time.time()

    # a step fails (SSM in eu-west-1 refuses writes): the team is told, the report names the step, the lock stays
    sim.fault("error", region="eu-west-1", service="ssm", action="PutParameter", code="AccessDeniedException")
    failed = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="us-west-2"), inventory=INVENTORY)
    assert failed.rc != 0
    assert any('failover to us-west-2 failed at step "' in msg and "rerun the same command" in msg for msg in failed.failures()), failed.failures()
    data = report(tmp_path, "us-west-2")
    assert data["outcome"] == "failed" and data["failure"]["host"] == "eu-west-1", data["failure"]
    assert [step["step"] for step in data["timeline"]][:-1] == STEPS[:4], data["timeline"]
    assert data["timeline"][-1]["step"] == data["failure"]["step"] and data["timeline"][-1]["result"].startswith("failed in eu-west-1")
    assert [e["region"] for e in sim.log(since) if e["action"] == "Publish"] == ["us-west-2"]
    assert lock_record(aws) != [], "the lock was released after a failure"

    # the same command again, once SSM works, finishes the failover
    sim.clear_faults()
    for old in (tmp_path / "reports").glob("*.json"):
        old.unlink()
    run = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="us-west-2"), inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-3000:]
    assert_active(aws, "us-west-2", reachable=("us-east-1", "us-west-2", "eu-west-1"))

    # the old primary is read-only, and it was fenced before the promotion started
    assert fenced(aws("rds", "us-east-1"), f"{APP}-db")
    calls = [(e["region"], e["action"]) for e in sim.log(since)]
    assert calls.index(("us-east-1", "ModifyDBParameterGroup")) < calls.index(("us-west-2", "PromoteReadReplica")), calls

    data = report(tmp_path, "us-west-2")
    assert_report(data, "us-west-2", "planned")
    assert data["resumed"] is True and data["source"] == "us-east-1" and data["data_loss_window_seconds"] == 0
    assert capacities(aws) == standby_everywhere_but("us-west-2"), "the old primary's region is not back to standby capacity"
    assert len([e for e in sim.log(since) if e["action"] == "PromoteReadReplica"]) == 1

    # a failback whose rebuild fails (RDS in us-east-1 refuses to delete the old primary) is reported as a failover's
    # failure is: the team is told, the report names the step, the lock stays, and nothing moves after it
    since = time.time()
    sim.fault("error", region="us-east-1", service="rds", action="DeleteDBInstance", code="StorageQuotaExceeded")
    failback = playbook("playbooks/failback.yml", extravars=failover_vars(tmp_path, ignore_cooldown=True, keep_old_instances=False),
                        inventory=INVENTORY)
    assert failback.rc != 0
    assert any('failback to us-east-1 failed at step "' in msg and "rerun the same command" in msg for msg in failback.failures()), \
        failback.failures()
    data = json.loads(sorted((tmp_path / "reports").glob("failback-us-east-1-*.json"))[-1].read_text())
    assert data["outcome"] == "failed" and data["failure"]["host"] == "us-east-1", data["failure"]
    assert [e["region"] for e in sim.log(since) if e["action"] == "Publish"] == ["us-east-1"]
    assert lock_record(aws) != []
    assert [e for e in sim.log(since) if e["action"] in ("PromoteReadReplica", "CreateDBInstanceReadReplica")] == []
    # keep_old_instances=false confirms the deletion: the rds role's deletion protection was lifted for it (and the
    # failure is the simulated one, not "Cannot delete protected DB Instance")
    assert any("StorageQuotaExceeded" in msg for msg in failback.failures()), failback.failures()
    assert aws("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]["DeletionProtection"] is False


@pytest.mark.slow(70)
def test_failover_killed_during_promotion_then_rerun(provisioned, playbook, sim, aws, tmp_path, ansible_environment):
    sim.outage("us-east-1")
    sim.latency(True, 0.05)  # promotion about 12 s, cache failover 6 s, a new instance 4.5 s
    rds = aws("rds", "eu-west-1")
    cmd = [str(BIN / "ansible-playbook"), "-i", INVENTORY, FAILOVER, "-e", json.dumps(failover_vars(tmp_path, target="eu-west-1"))]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ansible_environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 180
        status = None
        while time.time() < deadline and proc.poll() is None:
            status = rds.describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]["DBInstanceStatus"]
            if status != "available":
                break
            time.sleep(0.2)
        assert status == "modifying", f"the promotion did not start (status {status}, rc {proc.poll()})"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # killed mid-way: the lock is still held, the replica still being promoted
    (held,) = lock_record(aws)
    assert rds.describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]["DBInstanceStatus"] != "available"
    token = held["token"]["S"]

    # another owner (the AWX job relaunched) goes on with the run's token, not with another one (the lock module's
    # test covers no token, a malformed one and another operation; allow_data_loss here keeps the RPO gate, which a
    # new run meets first while the promotion has silenced the lag metric, from being the refusal)
    relaunched = failover_vars(tmp_path, target="eu-west-1", failover_owner="awx-job-2")
    refused = playbook(FAILOVER, extravars=dict(relaunched, resume_token="0" * 12, allow_data_loss=True), inventory=INVENTORY)
    assert refused.rc != 0 and any("it is not the token of the run that holds the lock" in m for m in refused.failures()), refused.failures()
    run = playbook(FAILOVER, extravars=dict(relaunched, resume_token=token), inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-3000:]
    assert_active(aws, "eu-west-1", reachable=("us-west-2", "eu-west-1"))
    data = report(tmp_path, "eu-west-1")
    assert_report(data, "eu-west-1", "unplanned")
    assert data["resumed"] is True and data["owner"] == "awx-job-2" and data["resume_token"] == token
    assert data["timeline"][0]["result"] == f"lock resumed from {OWNER}", data["timeline"][0]
    promotions = [e for e in sim.log() if e["action"] == "PromoteReadReplica"]
    assert len(promotions) == 1, "the rerun promoted again"

    again = playbook(FAILOVER, extravars=relaunched, inventory=INVENTORY)
    assert again.rc == 0 and again.changed() == 0, again.failures()


@pytest.mark.slow(140)
def test_drill_fails_over_to_us_west_2_and_back_and_a_failback_rerun_changes_nothing(provisioned_data, playbook, sim, aws, module, tmp_path):
    """With the data plane: the reference application writes from us-west-2 through the outage, the failover, the
    restore and the failback, and the drill counts what the final primary lacks."""
    # a drill never takes the lock from a live run: refused before its outage, nothing changed
    bob = {**LOCK_TABLE, "region": "eu-west-1", "owner": "bob@elsewhere", "operation": "failover to eu-west-1"}
    assert module("failover_lock", bob)["changed"]
    since = time.time()
    held = playbook("playbooks/drill.yml", extravars=failover_vars(tmp_path, drill_target="us-west-2"), inventory=INVENTORY)
    assert held.rc != 0 and any("held by bob@elsewhere" in m for m in held.failures()), held.failures()
    assert changes_since(sim, since) == [] and sim.status()["regions"]["us-east-1"] == "up"
    assert module("failover_lock", {**bob, "state": "released", "record_completion": False})["changed"]

    # the drill region's replica 30 s behind (MASTER_DELAY): what the writer has acknowledged before the outage is
    # not there yet, so the failover really loses writes, and the drill must count them and claim no less
    sim.replication("delay", f"{APP}-db", region="us-west-2", seconds=30)
    # 5 writes a second are enough to count (the default 20 costs a core's third for the whole drill)
    since = time.time()
    run = playbook("playbooks/drill.yml", extravars=failover_vars(tmp_path, drill_target="us-west-2", drill_write_rate=5), inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-3000:]
    # It ran as dr-operator, who holds nothing but the operator policy (roles/iam): every call was allowed. And the
    # policy allows nothing a drill does not call but what other paths need.
    unused = allowed_actions(operator_policy(aws("iam"))) - called_actions(sim.log(since))
    assert unused <= set(NOT_IN_A_DRILL), f"the operator policy allows what no DR run calls: {sorted(unused - set(NOT_IN_A_DRILL))}"

    # back home: us-east-1 is the primary again and both other regions replicate it
    home = aws("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in home and home["DBInstanceStatus"] == "available"
    for region in ("us-west-2", "eu-west-1"):
        replica = aws("rds", region).describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == home["DBInstanceArn"], region
    assert sorted(home["ReadReplicaDBInstanceIdentifiers"]) == sorted(
        aws("rds", r).describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]["DBInstanceArn"] for r in ("us-west-2", "eu-west-1"))
    # the old primary was kept (renamed) and fenced for good: its own parameter group holds read_only=1, so the
    # promotion that lifted the fence in the region's group did not make it writable again; no fence is left where
    # the primary runs
    names = [d["DBInstanceIdentifier"] for d in aws("rds", "us-east-1").describe_db_instances()["DBInstances"]]
    retired = [n for n in names if n.startswith(f"{APP}-db-retired-")]
    assert retired and all(fenced(aws("rds", "us-east-1"), n) for n in retired), names
    group = home["DBParameterGroups"][0]["DBParameterGroupName"]
    user = aws("rds", "us-east-1").describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
    assert "read_only" not in {p["ParameterName"] for p in user}
    assert_active(aws, "us-east-1", ["us-east-1", "us-west-2", "eu-west-1"])
    assert capacities(aws) == standby_everywhere_but("us-east-1")
    alarms = {r: [a["AlarmName"] for a in aws("cloudwatch", r).describe_alarms(AlarmNamePrefix=f"{APP}-repl")["MetricAlarms"]]
              for r in ("us-east-1", "us-west-2", "eu-west-1")}
    assert alarms["us-east-1"] == [] and all(len(alarms[r]) == 2 for r in ("us-west-2", "eu-west-1")), alarms

    drill = json.loads(sorted((tmp_path / "reports").glob("drill-*.json"))[-1].read_text())
    assert drill["failover"]["outcome"] == "succeeded" and drill["failover"]["mode"] == "unplanned"
    assert drill["failback"]["outcome"] == "succeeded" and drill["failback"]["data_loss_window_seconds"] == 0

    # the writes, counted on the final primary (us-east-1's new database)
    failover, failback, total = drill["failover"]["writes"], drill["failback"]["writes"], drill["writes"]
    assert failover["writes_acknowledged"] > 0 and failback["writes_acknowledged"] > 0, drill
    # the failover never claims less loss than the writes say; the planned failback loses nothing
    assert drill["failover"]["data_loss_window_seconds"] is not None
    assert drill["failover"]["data_loss_window_seconds"] >= failover["data_loss_window_s"], drill
    assert failover["writes_lost"] > 0, drill  # the delayed writes, counted on the final primary
    assert failback["writes_lost"] == 0 and total["writes_lost"] == failover["writes_lost"], drill
    assert failover["write_downtime_s"] > 0 and failback["write_downtime_s"] is not None, drill
    # after the failover no write went to the old primary: every one after the outage was acknowledged elsewhere
    acks = [json.loads(line) for line in sorted((tmp_path / "reports").glob("drill-*-writes.jsonl"))[-1].read_text().splitlines()]
    acked = [a for a in acks if "acked_at" in a]
    old_writer = acked[0]["writer"]
    outage = min(a["failed_at"] for a in acks if "failed_at" in a)
    assert [a for a in acked if a["acked_at"] > outage and a["writer"] == old_writer] == []
    assert run.result("Drill summary", "us-east-1")["msg"][3].startswith("writes (measured): failover "), run.result("Drill summary", "us-east-1")
    failback = json.loads(Path(drill["failback"]["report"]).read_text())
    steps = [step["step"] for step in failback["timeline"]]
    assert steps[0] == "preflight" and "rebuild us-east-1" in steps and steps[-2:] == ["replicas", "verify failback"], steps
    assert failback["topology_after"]["writable_databases"] == ["us-east-1"]
    # the databases the failback retired, with what only they held (read from the servers' GTIDs): the old primary
    # holds at least every write the failover lost; the DR primary, retired after a planned switchover, nothing
    retired = {r["region"]: r for r in failback["retired_databases"]}
    assert retired["us-east-1"]["checked"] and retired["us-east-1"]["count"] >= failover["writes_lost"], retired
    assert retired["us-east-1"]["kept_in"].startswith(f"{APP}-db-retired-"), retired
    assert retired["us-west-2"]["checked"] and retired["us-west-2"]["count"] == 0, retired
    # the switchover's catch-up was proven on the servers too (the drill sets failover_check_transactions)
    assert failback["transaction_check"]["checked"] and failback["transaction_check"]["count"] == 0, failback["transaction_check"]

    since = time.time()
    again = playbook("playbooks/failback.yml", extravars=failover_vars(tmp_path), inventory=INVENTORY)
    assert again.rc == 0, again.failures() or again.stderr[-2000:]
    said = again.result("Nothing to do, the target is active and every other region replicates it", "us-east-1")
    assert "nothing to do" in said.get("msg", ""), said
    assert changes_since(sim, since) == []
    bad = playbook("playbooks/failback.yml", extravars=failover_vars(tmp_path, target="ap-south-1"), inventory=INVENTORY)
    assert bad.rc != 0 and any("target=ap-south-1 is not a region of the application" in m for m in bad.failures()), bad.failures()

    # status on real data: a replica whose replication stopped reads as stopped, with its window, not as a lag of 0
    sim.replication("stop", f"{APP}-db", region="eu-west-1")
    reading = {"replicas": [{"type": "rds", "region": "eu-west-1", "id": f"{APP}-db"}], "rpo_seconds": 300}
    deadline = time.monotonic() + 60
    while "not running" not in (module("replication_lag_info", reading)["replicas"][0].get("reason") or ""):
        assert time.monotonic() < deadline, "the stopped replica never read as stopped"
    lines = playbook("playbooks/status.yml", inventory=INVENTORY, check=True).result("Show the status", host="us-east-1")["msg"]
    assert [line for line in lines if line.startswith(f"lag eu-west-1 rds {APP}-db") and "replication is not running" in line], lines
    sim.replication("start", f"{APP}-db", region="eu-west-1")


@pytest.mark.slow(60)
def test_failover_while_us_east_1_is_down_with_the_global_control_planes_and_a_rerun_finishes_what_was_deferred(
        provisioned, playbook, sim, aws, tmp_path):
    """AWS's fault-isolation guidance: no global control plane in the recovery path. With us-east-1 down and the
    Route 53 and CloudFront APIs with it, the failover moves what lives in the regions (lock, database, cache,
    configuration), leaves DNS and the CDN to their data planes and says so; a rerun once the APIs answer moves them,
    and changes nothing else."""
    sim.outage("us-east-1", control_planes=True)
    since = time.time()
    run = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="eu-west-1"), inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-3000:]
    global_calls = [e for e in sim.log(since) if e.get("service") in ("route53", "cloudfront")]
    assert global_calls and all(e.get("fault") == "outage" for e in global_calls), global_calls
    data = report(tmp_path, "eu-west-1")
    assert data["outcome"] == "succeeded" and data["mode"] == "unplanned", data
    assert [d.split(":")[0] for d in data["deferred"]] == ["dns", "cdn"], data["deferred"]
    dns_step = data["timeline"][STEPS.index("dns")]["result"]
    assert dns_step.startswith("deferred: the Route 53 API in us-east-1 does not answer"), dns_step
    assert "deferred until the global control planes answer: DNS and CDN" in data["timeline"][STEPS.index("verify")]["result"]
    # what lives in the regions moved: one writer, the cache primary and the configuration in eu-west-1; lock released
    db = aws("rds", "eu-west-1").describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    # stamped: should us-east-1 come back writable before DNS follows, the promotion names the active writer
    assert "ReadReplicaSourceDBInstanceIdentifier" not in db and "multiregion-dr:promoted-at" in [t["Key"] for t in db["TagList"]]
    datastore = aws("elasticache", "eu-west-1").describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    assert {m["ReplicationGroupRegion"]: m["Role"] for m in datastore["Members"]}["eu-west-1"] == "PRIMARY"
    for region in ("us-west-2", "eu-west-1"):
        assert aws("ssm", region).get_parameter(Name=f"/{APP}/config/active_region")["Parameter"]["Value"] == "eu-west-1"
    assert lock_record(aws) == []
    # what an SRE runs first works too: the lock and the last move come from the table, Route 53 is named as down
    lines = playbook("playbooks/status.yml", inventory=INVENTORY).result("Show the status", host="us-east-1")["msg"]
    assert any(line.startswith("lock: free, last: failover to eu-west-1 by tester@ci") for line in lines), lines
    assert any(line.startswith("Route 53: unreachable") for line in lines), lines

    # the control planes come back (us-east-1 itself is still down): DNS and the CDN still point at us-east-1
    sim.outage("us-east-1")
    assert weights(aws) == {"us-east-1": 100, "us-west-2": 0, "eu-west-1": 0}
    assert origin_group(aws)[0][0] == "us-east-1"
    rerun = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="eu-west-1"), inventory=INVENTORY)
    assert rerun.rc == 0, rerun.failures() or rerun.stderr[-3000:]
    # beside the lock's own bookkeeping and the report, only the two moves that were deferred changed something
    moved = sorted({task["task"]["name"] for play in rerun.data["plays"] for task in play["tasks"]
                    if any(result.get("changed") for result in task["hosts"].values())} - {"Write the report"})
    assert [name for name in moved if "the lock" not in name] == [
        "Send CloudFront's requests to the target first",
        "Send the traffic to the target and the CDN's standby name away from it (one change batch)"], moved
    assert_active(aws, "eu-west-1", reachable=("us-west-2", "eu-west-1"))
    assert report(tmp_path, "eu-west-1")["deferred"] == []


def aurora_stack(playbook, aws, tmp_path):
    """The provisioned stack with an Aurora global database beside it (db_engine=aurora-mysql): the rds role on the
    provisioned network and keys, the monitoring role's replica alarms and the operator policy, as provision.yml
    gives them for Aurora."""
    network = {}
    for region in REGIONS:
        ec2 = aws("ec2", region)
        private = ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["private"]}, {"Name": "tag:Application", "Values": [APP]}])
        (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{APP}-db"]}])["SecurityGroups"]
        key = aws("kms", region).describe_key(KeyId=f"alias/{APP}-data")["KeyMetadata"]["Arn"]
        network[region] = {"subnets": sorted(s["SubnetId"] for s in private["Subnets"]), "group": group["GroupId"], "key": key}
        assert network[region]["subnets"], region
    play = [{
        "name": "Aurora beside the provisioned stack",
        "hosts": "regions",
        "gather_facts": False,
        "module_defaults": {"group/multiregion.dr.aws": "{{ aws_defaults }}"},
        "pre_tasks": [{"name": "The network and kms roles' outputs", "ansible.builtin.set_fact": {
            "network_private_subnet_ids": "{{ test_network[aws_region].subnets }}",
            "network_security_group_ids": {"db": "{{ test_network[aws_region].group }}"},
            "kms_key_arn": "{{ test_network[aws_region].key }}"}}],
        "roles": ["multiregion.dr.rds"],
        "tasks": [
            {"name": "Replica alarms", "ansible.builtin.include_role": {"name": "multiregion.dr.monitoring", "tasks_from": "replica_alarms"},
             "vars": {"monitoring_topic_arn": ""}},
            {"name": "Operator policy", "ansible.builtin.include_role": {"name": "multiregion.dr.iam"}},
        ],
    }]
    path = tmp_path / "aurora.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    done = playbook(str(path), extravars={"db_engine": "aurora-mysql", "test_network": network}, inventory=INVENTORY)
    assert done.rc == 0, done.failures() or done.stderr[-3000:]


@pytest.mark.slow(50)
def test_aurora_unplanned_failover_moves_the_global_database_its_endpoints_and_its_alarms(provisioned, playbook, sim, aws, tmp_path):
    """Issue 14 point 8: with db_engine=aurora-mysql the failover finds the global database by its clusters (not by an
    instance <app>-db), fails it over to the target's cluster as the operator (the policy has the Aurora actions), writes
    the cluster endpoints into the configuration, and the lag alarms watch AuroraGlobalDBRPOLag of the secondary
    clusters and leave the new primary's."""
    aurora_stack(playbook, aws, tmp_path)
    for region in REGIONS:
        alarms = {a["AlarmName"]: a for a in aws("cloudwatch", region).describe_alarms(AlarmNamePrefix=f"{APP}-rep")["MetricAlarms"]}
        if region == "us-east-1":
            assert alarms == {}, alarms
            continue
        lag, stopped = alarms[f"{APP}-replica-lag"], alarms[f"{APP}-replication-stopped"]
        assert (lag["MetricName"], lag["Dimensions"], lag["Threshold"], lag["Unit"]) == (
            "AuroraGlobalDBRPOLag", [{"Name": "DBClusterIdentifier", "Value": f"{APP}-db"}], 300000.0, "Milliseconds"), lag
        assert (stopped["MetricName"], stopped["Statistic"], stopped["TreatMissingData"]) == ("AuroraGlobalDBRPOLag", "SampleCount", "breaching")

    sim.outage("us-east-1")
    run = playbook(FAILOVER, extravars=failover_vars(tmp_path, target="us-west-2", db_engine="aurora-mysql"), inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-3000:]
    data = report(tmp_path, "us-west-2")
    assert data["outcome"] == "succeeded" and data["mode"] == "unplanned", data
    members = aws("rds", "us-west-2").describe_global_clusters(GlobalClusterIdentifier=f"{APP}-global")["GlobalClusters"][0]["GlobalClusterMembers"]
    writers = [m["DBClusterArn"].split(":")[3] for m in members if m["IsWriter"]]
    assert writers == ["us-west-2"], members
    clusters = {r: aws("rds", r).describe_db_clusters(DBClusterIdentifier=f"{APP}-db")["DBClusters"][0] for r in ("us-west-2", "eu-west-1")}
    for region in ("us-west-2", "eu-west-1"):
        ssm = aws("ssm", region)
        value = {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in ssm.get_parameters_by_path(Path=f"/{APP}/config/")["Parameters"]}
        assert value["active_region"] == "us-west-2", value
        # writes to the new primary cluster's writer endpoint, reads from the region's own cluster
        assert value["write_endpoint"] == f"{clusters['us-west-2']['Endpoint']}:{clusters['us-west-2']['Port']}", value
        assert value["read_endpoints"] == f"{clusters[region]['ReaderEndpoint']}:{clusters[region]['Port']}", value
    # the new primary's cluster has no replica alarms left; the other secondary keeps its own
    assert aws("cloudwatch", "us-west-2").describe_alarms(AlarmNamePrefix=f"{APP}-rep")["MetricAlarms"] == []
    assert len(aws("cloudwatch", "eu-west-1").describe_alarms(AlarmNamePrefix=f"{APP}-rep")["MetricAlarms"]) == 2
    assert weights(aws) == {"us-east-1": 0, "us-west-2": 100, "eu-west-1": 0}
    assert lock_record(aws) == []
    status = playbook("playbooks/status.yml", extravars={"db_engine": "aurora-mysql"}, inventory=INVENTORY)
    assert status.rc == 0, status.failures() or status.stderr[-3000:]
    lines = status.result("Show the status", host="us-east-1")["msg"]
    assert "us-west-2: reachable, healthy, database primary, cache primary, DNS serving" in lines, lines
    assert any(line.startswith("lag eu-west-1 aurora shop-db: data-loss window") for line in lines), lines
