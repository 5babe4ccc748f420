"""multiregion.dr.failover_lock: a lock two operators cannot both take, with a cool-down, in a DynamoDB global
table (written in the target region) or in Route 53."""

import concurrent.futures
import re
import time

import pytest

ZONE = "shop.example.com"
TABLE = "shop-dr-lock"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
IN_EU = {"table": TABLE, "region": "eu-west-1", "table_regions": REGIONS}


def lock(module, process=False, **args):
    where = {} if "table" in args else {"hosted_zone": ZONE, "region": "us-east-1"}
    return module("failover_lock", {**where, **args}, process=process)


def lock_table(aws):
    """The lock table as the dynamodb role makes it: a global table with a replica in every region."""
    ddb = aws("dynamodb", "us-east-1")
    ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": r}} for r in REGIONS[1:]])


@pytest.fixture(params=["dynamodb", "route53"])
def store(request, aws):
    """The options that place the lock in each store, the store made."""
    if request.param == "route53":
        aws("route53").create_hosted_zone(Name=ZONE, CallerReference=request.node.name)
        return {"hosted_zone": ZONE, "region": "us-east-1"}
    lock_table(aws)
    return IN_EU


def items(aws, region="eu-west-1"):
    return {i["name"]["S"]: i for i in aws("dynamodb", region).scan(TableName=TABLE)["Items"]}


def txt(aws, name):
    r53 = aws("route53")
    zone = r53.list_hosted_zones()["HostedZones"][0]["Id"]
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return zone, [r for r in sets if r["Name"].startswith(name) and r["Type"] == "TXT"]


def held(aws, store):
    """The lock as the store holds it: [the record or item], or []."""
    if "table" in store:
        return [i for name, i in items(aws).items() if name == "_multiregion-dr-lock"]
    return txt(aws, "_multiregion-dr-lock")[1]


def test_acquire_reenter_refuse_release_cooldown(module, aws, sim, store):
    def lock(module, **args):
        return module("failover_lock", {**store, **args})

    planned = module("failover_lock", {**store, "owner": "alice", "operation": "failover to eu-west-1"}, check=True)
    assert planned["changed"] and held(aws, store) == []

    taken = lock(module, owner="alice", operation="failover to eu-west-1", cooldown_seconds=3600)
    assert taken["changed"] and taken["lock"]["owner"] == "alice"
    assert len(held(aws, store)) == 1
    # the same owner rerunning the same operation goes on (an interrupted run)
    again = lock(module, owner="alice", operation="failover to eu-west-1")
    assert again["changed"] is False and "already holds" in again["msg"]
    # anybody else is refused, with who holds it and for what
    bob = lock(module, owner="bob", operation="failover to us-west-2")
    assert bob["failed"] and "held by alice for failover to eu-west-1" in bob["msg"] and "take_over=true" in bob["msg"]
    # running inside the cool-down is another decision: it does not take a held lock
    assert lock(module, owner="bob", operation="failover to us-west-2", ignore_cooldown=True)["failed"]

    # the lock answers while the home region is out: Route 53 is global, the table's replica in eu-west-1 is up
    sim.outage("us-east-1")
    assert lock(module, owner="alice", operation="failover to eu-west-1")["lock"]["owner"] == "alice"
    sim.restore("us-east-1")

    released = lock(module, owner="alice", state="released")
    assert released["changed"] and released["lock"] == {}
    assert released["last_completed"]["operation"] == "failover to eu-west-1"
    # within the cool-down a new move is refused, also to one that may take a lock over: a separate decision
    cooling = lock(module, owner="bob", operation="failback", cooldown_seconds=3600, take_over=True)
    assert cooling["failed"] and "cool-down" in cooling["msg"] and "ignore_cooldown=true" in cooling["msg"]
    assert held(aws, store) == []
    forced = lock(module, owner="bob", operation="failback", cooldown_seconds=3600, ignore_cooldown=True)
    assert forced["changed"] and forced["lock"]["owner"] == "bob"
    assert lock(module, owner="bob", state="released")["changed"]
    assert lock(module, owner="bob", state="released")["changed"] is False


def test_stale_lock_is_taken_over(module, aws):
    aws("route53").create_hosted_zone(Name=ZONE, CallerReference="t2")
    zone = txt(aws, "_multiregion-dr-lock")[0]
    old = int(time.time()) - 7200
    aws("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_multiregion-dr-lock.{ZONE}.", "Type": "TXT", "TTL": 60,
        "ResourceRecords": [{"Value": f'"owner=crashed;operation=failover;since={old}"'}]}}]})
    taken = lock(module, owner="carol", operation="failover to us-west-2", stale_after_seconds=3600)
    assert taken["changed"] and taken["took_over_from"]["owner"] == "crashed"
    assert ";owner=carol;" in [r["ResourceRecords"][0]["Value"] for r in txt(aws, "_multiregion-dr-lock")[1]][0]


def test_a_heartbeat_keeps_a_long_run_s_lock_and_a_run_whose_lock_was_taken_over_stops(module, aws):
    aws("route53").create_hosted_zone(Name=ZONE, CallerReference="t5")
    zone = txt(aws, "_multiregion-dr-lock")[0]
    now = int(time.time())
    # alice's run took the lock two hours ago and beat a minute ago: it is alive, however long it has run
    aws("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_multiregion-dr-lock.{ZONE}.", "Type": "TXT", "TTL": 60,
        "ResourceRecords": [{"Value": f'"since={now - 7200};beat={now - 60};owner=alice;operation=failover to eu-west-1"'}]}}]})
    bob = lock(module, owner="bob", operation="failover to us-west-2", stale_after_seconds=3600)
    # (60 s, or 61 when the second turned between the record's write and the module's read)
    assert bob["failed"] and "held by alice" in bob["msg"] and re.search(r"last heartbeat 6[01] s ago", bob["msg"]), bob

    # alice's heartbeat: the same lock (taken two hours ago), beating now; check mode only reports
    alice = {"owner": "alice", "operation": "failover to eu-west-1", "state": "refreshed"}
    assert module("failover_lock", {"hosted_zone": ZONE, **alice}, check=True)["changed"]
    assert txt(aws, "_multiregion-dr-lock")[1][0]["ResourceRecords"][0]["Value"].startswith(f'"since={now - 7200};beat={now - 60};')
    beat = lock(module, **alice)
    assert beat["changed"] and beat["lock"]["since"] == now - 7200 and beat["lock"]["idle_seconds"] <= 2, beat
    assert beat["lock"]["age_seconds"] >= 7200

    # bob takes it over (take_over); alice's next heartbeat fails and names the new holder: her run stops there
    assert lock(module, owner="bob", operation="failover to us-west-2", take_over=True)["took_over_from"]["owner"] == "alice"
    lost = lock(module, **alice)
    assert lost["failed"] and "is gone: it is held by bob for failover to us-west-2" in lost["msg"] and "stops" in lost["msg"], lost
    assert lock(module, owner="bob", state="released")["changed"]
    assert "it is not held" in lock(module, **alice)["msg"]


def test_a_run_is_resumed_by_another_owner_only_with_its_token(module, aws, store):
    def lock(module, **args):
        return module("failover_lock", {**store, **args})

    run = {"operation": "failover to eu-west-1"}
    assert lock(module, owner="job-1", resume_token="0123456789ab", **run)["msg"].startswith("resume_token=0123456789ab: nobody holds")
    taken = lock(module, owner="job-1", **run)["lock"]
    token = taken["token"]
    assert len(token) == 12
    for args, expect in ((dict(resume_token="0" * 12, **run), "it is not the token of the run that holds the lock"),
                         (dict(resume_token=token, operation="failover to us-west-2"), "that run is failover to eu-west-1, not failover to us-west-2"),
                         (dict(resume_token="ABC", **run), "resume_token='ABC' is not a run's token")):
        refused = lock(module, owner="job-2", **args)
        assert refused["failed"] and expect in refused["msg"], refused
    planned = module("failover_lock", {**store, "owner": "job-2", "resume_token": token, **run}, check=True)
    assert planned["changed"] and planned["resumed_from"]["owner"] == "job-1" and lock(module, owner="job-1", **run)["changed"] is False

    resumed = lock(module, owner="job-2", resume_token=token, **run)
    assert resumed["changed"] and resumed["resumed_from"]["owner"] == "job-1"
    assert (resumed["lock"]["owner"], resumed["lock"]["token"], resumed["lock"]["since"]) == ("job-2", token, taken["since"])
    # the old owner's next heartbeat stops it; the new owner beats and releases
    assert "held by job-2" in lock(module, owner="job-1", state="refreshed", **run)["msg"]
    assert lock(module, owner="job-2", state="refreshed", **run)["changed"]
    assert lock(module, owner="job-2", state="released", **run)["lock"] == {}


def test_two_operators_at_once_exactly_one_wins(module, aws, store):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda who: lock(module, process=True, owner=who, operation=f"failover by {who}", **store), ["dave", "erin"]))
    assert sorted(bool(r.get("failed")) for r in results) == [False, True], results
    assert len(held(aws, store)) == 1


def test_bad_input_is_named(module, aws):
    aws("route53").create_hosted_zone(Name=ZONE, CallerReference="t4")
    no_zone = module("failover_lock", {"hosted_zone": "nope.example.org", "owner": "x"})
    assert no_zone["failed"] and "nope.example.org" in no_zone["msg"] and ZONE in no_zone["msg"]
    negative = lock(module, owner="x", cooldown_seconds=-5)
    assert negative["failed"] and "cooldown_seconds=-5" in negative["msg"]
    assert module("failover_lock", {"hosted_zone": ZONE})["failed"]  # owner is required


def test_the_table_lock_is_taken_and_released_while_us_east_1_is_down_with_the_global_control_planes(module, aws, sim):
    lock_table(aws)
    sim.outage("us-east-1", control_planes=True)
    taken = lock(module, owner="alice", operation="failover to eu-west-1", **IN_EU)
    assert taken["changed"] and taken["lock"]["owner"] == "alice", taken
    # written in eu-west-1, replicated to us-west-2: a run there reads it and is refused
    assert items(aws, "us-west-2")["_multiregion-dr-lock"]["owner"] == {"S": "alice"}
    bob = lock(module, owner="bob", operation="failover to us-west-2", table=TABLE, region="us-west-2", table_regions=REGIONS)
    assert bob["failed"] and "held by alice for failover to eu-west-1" in bob["msg"], bob
    # a read names the table's other replicas when its region is down (status.yml run with region=us-east-1)
    read = module("failover_lock", {**IN_EU, "region": "us-east-1", "owner": "carol"}, check=True)
    assert read["failed"] and "held by alice" in read["msg"], read
    released = lock(module, owner="alice", state="released", **IN_EU)
    assert released["lock"] == {} and released["last_completed"]["operation"] == "failover to eu-west-1"
    assert set(items(aws, "us-west-2")) == {"_multiregion-dr-last"}
    sim.restore("us-east-1")
    # the home region's replica caught up when it came back
    assert set(items(aws, "us-east-1")) == {"_multiregion-dr-last"}


def test_the_table_lock_needs_its_region_and_names_a_bad_one(module, aws):
    no_region = module("failover_lock", {"table": TABLE, "owner": "x"})
    assert no_region["failed"] and "region" in no_region["msg"], no_region
    both = module("failover_lock", {"table": TABLE, "hosted_zone": ZONE, "region": "eu-west-1", "owner": "x"})
    assert both["failed"] and "mutually exclusive" in both["msg"], both
    bad = lock(module, owner="x", table=TABLE, region="eu-west-1", table_regions=["eu-west-1", "mars-north-1"])
    assert bad["failed"] and "table_regions='mars-north-1' is not an AWS region" in bad["msg"], bad
