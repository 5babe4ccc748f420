"""multiregion.dr.elasticache_global_failover against regionsim: a Global Datastore with its
primary in us-east-1 and secondaries in us-west-2 and eu-west-1, made through boto3."""

import time
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.elasticache.models import elasticache_backends

PRIMARY, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
GROUPS = {PRIMARY: "sessions-use1", WEST: "sessions-usw2", EU: "sessions-euw1"}


@pytest.fixture
def run(module):
    """The module under test."""

    def call(args, check=False, diff=False):
        return module("elasticache_global_failover", args, check=check, diff=diff)

    return call


@pytest.fixture
def datastore(aws):
    """Creates the Global Datastore (latency model off, so everything is available at once); returns its id."""
    primary = aws("elasticache", PRIMARY)
    primary.create_replication_group(
        ReplicationGroupId=GROUPS[PRIMARY], ReplicationGroupDescription="sessions", Engine="redis",
        EngineVersion="7.1", CacheNodeType="cache.r6g.large", NumCacheClusters=2,
    )
    global_id = primary.create_global_replication_group(
        GlobalReplicationGroupIdSuffix="sessions", PrimaryReplicationGroupId=GROUPS[PRIMARY]
    )["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    for region in (WEST, EU):
        aws("elasticache", region).create_replication_group(
            ReplicationGroupId=GROUPS[region], ReplicationGroupDescription="sessions", GlobalReplicationGroupId=global_id,
            NumCacheClusters=2,
        )
        # The simulator runs in this process: the secondaries have existed for a while, so CloudWatch holds a lag
        # datapoint already (AWS publishes one a minute; a read in the second they were made would find none).
        elasticache_backends[DEFAULT_ACCOUNT_ID][region].replication_groups[GROUPS[region]].replication_group_create_time -= timedelta(minutes=10)
    return global_id


def roles(aws, global_id, region=EU):
    """Roles by region, read in a member region that is up."""
    group = aws("elasticache", region).describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True)
    group = group["GlobalReplicationGroups"][0]
    return {m["ReplicationGroupRegion"]: m["Role"] for m in group["Members"]}, group["Status"]


def test_check_mode_diff_failover_and_rerun(run, aws, datastore):
    start = {PRIMARY: "PRIMARY", WEST: "SECONDARY", EU: "SECONDARY"}
    args = {"global_replication_group_id": datastore, "target_region": WEST, "poll_interval": 0.1}

    planned = run(args, check=True, diff=True)
    assert planned["changed"] is True, planned
    assert planned["plan"] == {
        "action": "FailoverGlobalReplicationGroup", "GlobalReplicationGroupId": datastore,
        "PrimaryRegion": WEST, "PrimaryReplicationGroupId": GROUPS[WEST],
    }
    assert planned["after"] == {PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}
    assert roles(aws, datastore) == (start, "available")

    done = run(args, diff=True)
    assert done["changed"] is True, done
    assert done["diff"] == {"before": {"roles": start}, "after": {"roles": {PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}}}
    assert roles(aws, datastore) == ({PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}, "available")
    assert {m["region"]: m["role"] for m in done["members"]} == {PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}
    assert done["status"] == "available" and done["seconds"] >= 0

    again = run(args, diff=True)
    assert again["changed"] is False, again
    assert again["plan"] == {} and again["before"] == again["after"]
    assert roles(aws, datastore)[0][WEST] == "PRIMARY"


CHANGES = ("FailoverGlobalReplicationGroup", "DisassociateGlobalReplicationGroup")
BAD_INPUTS = [
    ({"global_replication_group_id": "ldgnf-nosuch"}, "global_replication_group_id='ldgnf-nosuch' does not exist"),
    ({"target_region": "us-east-2"}, "has no member in target_region=us-east-2; its members are: us-east-1 (sessions-use1, PRIMARY)"),
    ({"target_region": "mars-1"}, "target_region='mars-1' is not an AWS region"),
    ({"max_lag_seconds": -1}, "rpo_seconds=-1 must be a number of 0 or more seconds"),
    ({"max_lag_seconds": "soon"}, "rpo_seconds='soon' must be a number of 0 or more seconds"),
    ({"wait_timeout": -5}, "wait_timeout=-5 must be a number of 0 or more"),
    ({"replication_group_id": "other"}, "replication_group_id='other' is not the member of"),
    ({"target_region": PRIMARY, "state": "disassociated"}, "only a secondary can be disassociated"),
]


def test_bad_input_fails_early(run, aws, sim, datastore):
    """Each bad input fails with a message naming the value and what is allowed, and sends no change."""
    base = {"global_replication_group_id": datastore, "target_region": WEST}
    since = time.time()
    for override, expected in BAD_INPUTS:
        result = run({**base, **override})
        assert result.get("failed") is True, (override, result)
        assert expected in result["msg"], (override, result["msg"])
    assert [e for e in sim.log(since) if e["action"] in CHANGES] == []
    assert roles(aws, datastore)[0][PRIMARY] == "PRIMARY"


def test_failover_while_source_region_is_down(run, aws, sim, datastore):
    sim.lag(30, region=WEST, service="elasticache")
    sim.outage(PRIMARY)
    since = time.time()
    gated = run({"global_replication_group_id": datastore, "target_region": WEST, "rpo_seconds": 5})
    assert gated.get("failed") is True and "not at most rpo_seconds=5.0" in gated["msg"], gated
    assert "allow_data_loss=true" in gated["msg"]

    result = run({
        "global_replication_group_id": datastore, "target_region": WEST, "rpo_seconds": 5, "allow_data_loss": True,
        "poll_interval": 0.1, "connect_timeout": 2,
    })
    assert result["changed"] is True, result
    assert result["lag_gate"] == "overridden"
    assert roles(aws, datastore)[0] == {PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}
    # Nothing was sent to the region in the outage.
    assert not [e for e in sim.log(since) if e["region"] == PRIMARY and e["service"] != "sts"]


def test_lag_gate_passes_when_caught_up(run, aws, sim, datastore):
    sim.lag(0.5, region=EU, service="elasticache")
    result = run({"global_replication_group_id": datastore, "target_region": EU, "max_lag_seconds": 1, "poll_interval": 0.1})
    assert result["changed"] is True, result
    assert result["lag_gate"] == "passed" and result["lag_seconds"] == 0.5
    assert roles(aws, datastore, WEST)[0][EU] == "PRIMARY"


def test_disassociate_when_primary_region_is_gone(run, aws, sim, datastore):
    sim.outage(PRIMARY)
    args = {"global_replication_group_id": datastore, "target_region": WEST, "state": "disassociated",
            "replication_group_id": GROUPS[WEST], "poll_interval": 0.1}
    planned = run(args, check=True)
    assert planned["changed"] is True and planned["plan"]["action"] == "DisassociateGlobalReplicationGroup"
    assert WEST in roles(aws, datastore)[0]

    result = run(args, diff=True)
    assert result["changed"] is True, result
    assert result["diff"]["after"]["roles"][WEST] == "standalone"
    assert WEST not in roles(aws, datastore)[0]
    standalone = aws("elasticache", WEST).describe_replication_groups(ReplicationGroupId=GROUPS[WEST])["ReplicationGroups"][0]
    assert "GlobalReplicationGroupInfo" not in standalone or not standalone["GlobalReplicationGroupInfo"].get("GlobalReplicationGroupId")

    again = run(args)
    assert again["changed"] is False, again

    # The last secondary leaves: AWS shows the Global Datastore primary-only, which the wait accepts.
    last = run({**args, "target_region": EU, "replication_group_id": GROUPS[EU], "wait_timeout": 5})
    assert last["changed"] is True, last
    assert roles(aws, datastore) == ({PRIMARY: "PRIMARY"}, "primary-only")


def test_throttling_is_retried(run, aws, sim, datastore):
    sim.fault("throttle", probability=0.3, service="elasticache")
    # and for sure once on the failover call itself, which must be retried safely
    sim.fault("throttle", probability=1.0, service="elasticache", action="FailoverGlobalReplicationGroup", count=1)
    result = run({"global_replication_group_id": datastore, "target_region": EU, "poll_interval": 0.1})
    assert result["changed"] is True, result
    sim.clear_faults()
    assert roles(aws, datastore)[0][EU] == "PRIMARY"
    throttled = [e["action"] for e in sim.log() if e.get("fault") == "throttle"]
    assert "FailoverGlobalReplicationGroup" in throttled, throttled


def test_latency_model_statuses_timeout_and_rerun(run, aws, sim, datastore):
    sim.latency(True, scale=0.05)  # the failover takes 120 s x 0.05 = 6 s
    args = {"global_replication_group_id": datastore, "target_region": WEST, "poll_interval": 0.2}
    sim.hold_clock()  # the failover stays modifying however slow the machine: the short wait must time out
    short = run({**args, "wait_timeout": 1})
    assert short.get("failed") is True, short
    assert "timed out after 1 s" in short["msg"] and "rerun" in short["msg"]
    assert short["statuses"] == ["modifying"]
    assert roles(aws, datastore) == ({PRIMARY: "PRIMARY", WEST: "SECONDARY", EU: "SECONDARY"}, "modifying")
    sim.release_clock()

    rerun = run({**args, "wait_timeout": 60})
    assert rerun.get("failed") is not True, rerun
    assert rerun["statuses"] == ["modifying", "available"]
    assert rerun["changed"] is False  # the first run made the change; this one saw it finish
    assert roles(aws, datastore) == ({PRIMARY: "SECONDARY", WEST: "PRIMARY", EU: "SECONDARY"}, "available")

    back = run({**args, "target_region": PRIMARY, "wait_timeout": 60})
    assert back["changed"] is True and back["statuses"] == ["modifying", "available"], back
    assert roles(aws, datastore)[0][PRIMARY] == "PRIMARY"


def test_target_region_down_fails_fast(run, aws, sim, datastore):
    sim.outage(WEST)
    started = time.monotonic()
    result = run({"global_replication_group_id": datastore, "target_region": WEST, "connect_timeout": 2})
    assert result.get("failed") is True, result
    assert "target_region us-west-2 is unreachable" in result["msg"], result["msg"]
    assert time.monotonic() - started < 30
    assert roles(aws, datastore)[0][PRIMARY] == "PRIMARY"
