"""multiregion.dr.elasticache_replication_group against regionsim: replication groups and their
Global Datastore (primary us-east-1, secondaries us-west-2 and eu-west-1), checked through boto3."""

import time

import pytest

PRIMARY, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
RG = "shop-redis"
FAST = {"poll_interval": 0.05, "wait_timeout": 60}  # a wait that never ends fails the test in a minute


def primary_args(**extra):
    return {"region": PRIMARY, "replication_group_id": RG, "node_type": "cache.r6g.large", "engine_version": "7.1",
            "description": "shop cache", "tags": {"Application": "shop"}, **FAST, **extra}


def secondary_args(region, global_id, **extra):
    return {"region": region, "replication_group_id": RG, "global_replication_group_id": global_id, **FAST, **extra}


def group(aws, region=PRIMARY, rg=RG):
    found = aws("elasticache", region).describe_replication_groups(ReplicationGroupId=rg)["ReplicationGroups"]
    return found[0]


def global_members(aws, global_id, region=PRIMARY):
    found = aws("elasticache", region).describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True)
    return {m["ReplicationGroupRegion"]: m["Role"] for m in found["GlobalReplicationGroups"][0]["Members"]}


def global_status(aws, global_id):
    found = aws("elasticache", PRIMARY).describe_global_replication_groups(GlobalReplicationGroupId=global_id)
    return found["GlobalReplicationGroups"][0]["Status"]


def changes(sim, since):
    reads = ("Describe", "List")
    return [e["action"] for e in sim.log(since) if e["service"] == "elasticache" and not e["action"].startswith(reads)]


def test_create_check_diff_idempotent(module, aws, sim):
    since = time.time()
    planned = module("elasticache_replication_group", primary_args(), check=True, diff=True)
    assert planned["changed"] is True, planned
    assert [c["action"] for c in planned["plan"]] == ["CreateReplicationGroup"]
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["num_cache_clusters"] == 3
    assert changes(sim, since) == []
    assert aws("elasticache", PRIMARY).describe_replication_groups()["ReplicationGroups"] == []

    created = module("elasticache_replication_group", primary_args(), diff=True)
    assert created["changed"] is True, created
    found = group(aws)
    assert found["Status"] == "available" and len(found["MemberClusters"]) == 3
    assert found["AutomaticFailover"] == "enabled" and found["MultiAZ"] == "enabled"
    assert found["AtRestEncryptionEnabled"] is True and found["TransitEncryptionEnabled"] is True
    assert found["CacheNodeType"] == "cache.r6g.large"
    tags = aws("elasticache", PRIMARY).list_tags_for_resource(ResourceName=found["ARN"])["TagList"]
    assert tags == [{"Key": "Application", "Value": "shop"}]
    assert created["primary_endpoint"] == found["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert created["port"] == 6379 and created["global_replication_group_id"] is None
    assert created["diff"]["after"]["automatic_failover"] is True

    since = time.time()
    again = module("elasticache_replication_group", primary_args(), diff=True)
    assert again["changed"] is False, again
    assert again["plan"] == [] and again["drift"] == [] and again["diff"]["before"] == again["diff"]["after"]
    checked = module("elasticache_replication_group", primary_args(), check=True)
    assert checked["changed"] is False, checked
    assert changes(sim, since) == []


def test_modify_and_tags_and_drift(module, aws, sim):
    module("elasticache_replication_group", primary_args())
    planned = module("elasticache_replication_group", primary_args(description="new", tags={"Team": "web"}), check=True, diff=True)
    assert planned["changed"] is True
    assert [c["action"] for c in planned["plan"]] == ["ModifyReplicationGroup", "RemoveTagsFromResource", "AddTagsToResource"]
    assert planned["diff"]["after"]["description"] == "new" and planned["diff"]["after"]["tags"] == {"Team": "web"}
    assert group(aws)["Description"] == "shop cache"

    done = module("elasticache_replication_group", primary_args(description="new", tags={"Team": "web"}))
    assert done["changed"] is True, done
    found = group(aws)
    assert found["Description"] == "new"
    assert aws("elasticache", PRIMARY).list_tags_for_resource(ResourceName=found["ARN"])["TagList"] == [{"Key": "Team", "Value": "web"}]

    # What AWS cannot change in place is reported, never replaced.
    since = time.time()
    drifted = module("elasticache_replication_group", primary_args(description="new", tags={"Team": "web"}, port=6380, at_rest_encryption=False))
    assert drifted["changed"] is False, drifted
    assert {d["option"]: (d["wanted"], d["actual"]) for d in drifted["drift"]} == {"port": (6380, 6379), "at_rest_encryption": (False, True)}
    assert any("port is 6379, not 6380" in w for w in drifted.get("warnings", []))
    assert changes(sim, since) == []
    assert group(aws)["ReplicationGroupCreateTime"] == found["ReplicationGroupCreateTime"]


def test_global_datastore_lifecycle(module, aws, sim):
    primary = module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG, "description": "shop"}))
    assert primary["changed"] is True, primary
    global_id = primary["global_replication_group_id"]
    assert global_id == f"ldgnf-{RG}" and primary["global_role"] == "PRIMARY"
    assert [c["action"] for c in primary["plan"]] == ["CreateReplicationGroup", "CreateGlobalReplicationGroup"]
    # AWS: no secondary yet, so primary-only (the module's wait accepts it instead of waiting an hour).
    assert global_status(aws, global_id) == "primary-only"

    for region in (WEST, EU):
        joined = module("elasticache_replication_group", secondary_args(region, global_id))
        assert joined["changed"] is True, joined
        assert joined["global_role"] == "SECONDARY"
        found = group(aws, region)
        assert found["GlobalReplicationGroupInfo"] == {"GlobalReplicationGroupId": global_id, "GlobalReplicationGroupMemberRole": "SECONDARY"}
        assert found["CacheNodeType"] == "cache.r6g.large" and len(found["MemberClusters"]) == 3
    assert global_members(aws, global_id) == {PRIMARY: "PRIMARY", WEST: "SECONDARY", EU: "SECONDARY"}
    assert global_status(aws, global_id) == "available"

    since = time.time()
    assert module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG}))["changed"] is False
    assert module("elasticache_replication_group", secondary_args(WEST, global_id))["changed"] is False
    assert changes(sim, since) == []

    # The primary goes last: AWS deletes a Global Datastore only without secondaries.
    refused = module("elasticache_replication_group", {"region": PRIMARY, "replication_group_id": RG, "state": "absent"})
    assert refused.get("failed") is True and "still has secondaries in us-west-2 (shop-redis), eu-west-1 (shop-redis)" in refused["msg"], refused
    assert changes(sim, since) == []

    planned = module("elasticache_replication_group", {"region": WEST, "replication_group_id": RG, "state": "absent"}, check=True)
    assert [c["action"] for c in planned["plan"]] == ["DisassociateGlobalReplicationGroup", "DeleteReplicationGroup"]
    assert global_members(aws, global_id)[WEST] == "SECONDARY"
    for region in (WEST, EU):
        gone = module("elasticache_replication_group", {"region": region, "replication_group_id": RG, "state": "absent", **FAST}, diff=True)
        assert gone["changed"] is True, gone
        assert gone["diff"]["after"] == {} and gone["diff"]["before"]["global_role"] == "SECONDARY"
        assert aws("elasticache", region).describe_replication_groups()["ReplicationGroups"] == []
    assert global_members(aws, global_id) == {PRIMARY: "PRIMARY"}
    assert global_status(aws, global_id) == "primary-only"

    last = module("elasticache_replication_group", {"region": PRIMARY, "replication_group_id": RG, "state": "absent", **FAST})
    assert [c["action"] for c in last["plan"]] == ["DeleteGlobalReplicationGroup", "DeleteReplicationGroup"], last
    assert aws("elasticache", PRIMARY).describe_global_replication_groups()["GlobalReplicationGroups"] == []
    assert aws("elasticache", PRIMARY).describe_replication_groups()["ReplicationGroups"] == []
    assert module("elasticache_replication_group", {"region": PRIMARY, "replication_group_id": RG, "state": "absent"})["changed"] is False


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"replication_group_id": "Shop_Redis"}, "replication_group_id='Shop_Redis' must be 1 to 40 lowercase letters"),
        ({"replication_group_id": "shop--redis"}, "replication_group_id='shop--redis' must be"),
        ({"num_cache_clusters": 7}, "num_cache_clusters=7 must be 1 to 6"),
        ({"num_cache_clusters": 1, "automatic_failover": True}, "automatic_failover=true needs num_cache_clusters of 2 or more, not 1"),
        ({"automatic_failover": False, "multi_az": True}, "multi_az=true needs automatic_failover=true"),
        ({"at_rest_encryption": False, "kms_key_id": "alias/x"}, "kms_key_id='alias/x' needs at_rest_encryption=true"),
        ({"port": 70000}, "port=70000 must be 1 to 65535"),
        ({"global_replication_group_id": "ldgnf-x"}, "node_type='cache.r6g.large' cannot be set with global_replication_group_id"),
        ({"global_datastore": {"suffix": "bad suffix!"}}, "global_datastore.suffix='bad suffix!' must be"),
        ({"region": "mars-1"}, "region='mars-1' is not an AWS region"),
        ({"wait_timeout": -1}, "wait_timeout=-1 must be a number of 0 or more"),
        ({"node_type": None, "engine_version": None}, "node_type is required to create replication group shop-redis"),
    ],
)
def test_bad_input_fails_before_any_change(module, sim, override, expected):
    since = time.time()
    result = module("elasticache_replication_group", primary_args(**override))
    assert result.get("failed") is True, result
    assert expected in result["msg"], result["msg"]
    assert changes(sim, since) == []


def test_secondary_of_missing_global_datastore_fails(module, sim):
    since = time.time()
    result = module("elasticache_replication_group", secondary_args(WEST, "ldgnf-nosuch"))
    assert result.get("failed") is True and "global_replication_group_id='ldgnf-nosuch' does not exist" in result["msg"], result
    assert changes(sim, since) == []
    planned = module("elasticache_replication_group", secondary_args(WEST, "ldgnf-nosuch"), check=True)
    assert planned["changed"] is True and any("does not exist (yet)" in w for w in planned["warnings"])


def test_throttling_is_retried(module, aws, sim):
    sim.fault("throttle", probability=0.3, service="elasticache")
    sim.fault("throttle", probability=1.0, service="elasticache", count=2)  # the first calls surely throttled
    primary = module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG}))
    assert primary["changed"] is True, primary
    joined = module("elasticache_replication_group", secondary_args(WEST, primary["global_replication_group_id"]))
    assert joined["changed"] is True, joined
    assert module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG}))["changed"] is False
    throttled = [e for e in sim.log() if e["service"] == "elasticache" and e.get("fault") == "throttle"]
    sim.clear_faults()
    assert throttled, "no call was throttled: the test proved nothing"
    assert global_members(aws, primary["global_replication_group_id"]) == {PRIMARY: "PRIMARY", WEST: "SECONDARY"}


def test_latency_waits_time_out_clearly_and_rerun_completes(module, aws, sim):
    sim.latency(True, scale=0.005)  # Global Datastore creation 600 s -> 3 s
    sim.hold_clock()  # creating until released, however slow the machine: the short wait must time out
    short = module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG}, wait_timeout=1))
    sim.release_clock()
    assert short.get("failed") is True, short
    assert f"timed out after 1 s waiting for Global Datastore ldgnf-{RG} to be available" in short["msg"]
    assert "rerun" in short["msg"] and short["statuses"] == ["available", "global:creating"]

    rerun = module("elasticache_replication_group", primary_args(global_datastore={"suffix": RG}, wait_timeout=30))
    assert rerun["changed"] is False, rerun
    found = aws("elasticache", PRIMARY).describe_global_replication_groups(GlobalReplicationGroupId=f"ldgnf-{RG}")
    assert found["GlobalReplicationGroups"][0]["Status"] == "primary-only"

    joined = module("elasticache_replication_group", secondary_args(EU, f"ldgnf-{RG}", wait_timeout=30))
    assert joined["changed"] is True, joined
    sim.latency(True, scale=0.02)  # long enough that the module's polls see both passing statuses
    gone = module("elasticache_replication_group", {"region": EU, "replication_group_id": RG, "state": "absent", "wait_timeout": 30, **FAST})
    assert gone["changed"] is True, gone
    # Disassociation (modifying 60 s -> 1.2 s) then deletion (deleting 300 s -> 6 s), each waited for.
    assert "global:modifying" in gone["statuses"] and "deleting" in gone["statuses"], gone["statuses"]
    assert gone["statuses"][-1] == "deleted"
    assert aws("elasticache", EU).describe_replication_groups()["ReplicationGroups"] == []
