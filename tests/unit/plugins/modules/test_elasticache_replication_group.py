"""Pure logic of multiregion.dr.elasticache_replication_group: input checks and what an existing group needs."""

from ansible_collections.multiregion.dr.plugins.modules.elasticache_replication_group import compare
from ansible_collections.multiregion.dr.plugins.modules.elasticache_replication_group import observed
from ansible_collections.multiregion.dr.plugins.modules.elasticache_replication_group import planned
from ansible_collections.multiregion.dr.plugins.modules.elasticache_replication_group import validate

PARAMS = dict(
    state="present", replication_group_id="shop-redis", description="shop", engine="redis", node_type="cache.r6g.large",
    engine_version="7.1", num_cache_clusters=3, automatic_failover=None, multi_az=None, cache_subnet_group="shop-redis",
    security_group_ids=["sg-2", "sg-1"], at_rest_encryption=True, kms_key_id="key-1", transit_encryption=True, port=6379,
    tags={"Application": "shop"}, purge_tags=True, global_replication_group_id=None, global_datastore=None,
)

GROUP = {
    "ReplicationGroupId": "shop-redis", "Description": "shop", "Engine": "redis", "CacheNodeType": "cache.r6g.large",
    "MemberClusters": ["shop-redis-001", "shop-redis-002", "shop-redis-003"], "AutomaticFailover": "enabled", "MultiAZ": "enabled",
    "AtRestEncryptionEnabled": True, "TransitEncryptionEnabled": True,
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/key-1",
    "NodeGroups": [{"PrimaryEndpoint": {"Address": "master.x", "Port": 6379}}],
}
CLUSTER = {"EngineVersion": "7.1.0", "CacheSubnetGroupName": "shop-redis",
           "SecurityGroups": [{"SecurityGroupId": "sg-1"}, {"SecurityGroupId": "sg-2"}]}


def params(**extra):
    return dict(PARAMS, **extra)


def current(group=None, cluster=None, readable=True):
    return observed(dict(GROUP, **(group or {})), (cluster or CLUSTER) if readable else None, {"Application": "shop"})


def test_valid_input_has_no_errors():
    assert validate(params()) == []
    assert validate(params(state="absent", num_cache_clusters=99)) == []


def test_each_bad_input_is_named():
    assert "num_cache_clusters=0 must be 1 to 6" in validate(params(num_cache_clusters=0))[0]
    assert "replication_group_id='shop-' must be" in validate(params(replication_group_id="shop-"))[0]
    assert "replication_group_id='1shop' must be" in validate(params(replication_group_id="1shop"))[0]
    assert "x" * 41 in validate(params(replication_group_id="x" * 41))[0]
    assert validate(params(num_cache_clusters=1, multi_az=True))[0].startswith("multi_az=true needs automatic_failover=true")
    joined = validate(params(global_replication_group_id="ldgnf-x", global_datastore={"suffix": "x"}))
    assert "mutually exclusive" in joined[0] and "node_type='cache.r6g.large' cannot be set" in joined[1]
    assert "engine_version='7.1' cannot be set" in joined[2]
    assert "must name a Global Datastore" in validate(params(global_replication_group_id="", node_type=None, engine_version=None))[0]


def test_defaults_follow_the_node_count():
    assert planned(params(num_cache_clusters=1), "us-east-1")["automatic_failover"] is False
    assert planned(params(num_cache_clusters=1), "us-east-1")["multi_az"] is False
    assert planned(params(), "us-east-1")["multi_az"] is True


def test_in_sync_group_needs_nothing():
    assert compare(params(), current()) == ({}, None, [])


def test_modifiable_differences_are_modified():
    modify, replicas, drift = compare(
        params(description="new", security_group_ids=["sg-3"], node_type="cache.r6g.xlarge", engine_version="7.2",
               automatic_failover=False, multi_az=False, num_cache_clusters=2),
        current(),
    )
    assert modify == {"ReplicationGroupDescription": "new", "SecurityGroupIds": ["sg-3"], "CacheNodeType": "cache.r6g.xlarge",
                      "EngineVersion": "7.2", "AutomaticFailoverEnabled": False, "MultiAZEnabled": False}
    assert replicas == 2 and drift == []


def test_create_only_differences_are_drift_not_changes():
    modify, replicas, drift = compare(
        params(port=6380, at_rest_encryption=False, kms_key_id=None, transit_encryption=False, cache_subnet_group="other"),
        current(),
    )
    assert modify == {} and replicas is None
    assert {d["option"] for d in drift} == {"port", "at_rest_encryption", "transit_encryption", "cache_subnet_group"}
    assert compare(params(kms_key_id="key-2"), current())[2][0]["option"] == "kms_key_id"


def test_global_member_settings_belong_to_the_global_datastore():
    member = current({"GlobalReplicationGroupInfo": {"GlobalReplicationGroupId": "ldgnf-x", "GlobalReplicationGroupMemberRole": "SECONDARY"}})
    modify, replicas, drift = compare(params(node_type="cache.r6g.xlarge", engine_version="7.2"), member)
    assert modify == {} and replicas is None
    assert [d["option"] for d in drift] == ["node_type", "engine_version"]
    drift = compare(params(global_datastore={"suffix": "y"}), member)[2]
    assert drift[0]["option"] == "global_datastore"


def test_an_existing_standalone_group_cannot_become_a_secondary():
    drift = compare(params(global_replication_group_id="ldgnf-x", node_type=None, engine_version=None), current())[2]
    assert drift[0]["option"] == "global_replication_group_id" and "only a new group" in drift[0]["reason"]


def test_unreadable_cache_cluster_skips_what_lives_there():
    unknown = current(readable=False)
    assert unknown["security_group_ids"] is None and unknown["engine_version"] is None
    assert compare(params(security_group_ids=["sg-9"], engine_version="6.2", cache_subnet_group="other"), unknown) == ({}, None, [])


def test_auth_token_rules_never_name_the_token():
    token = "x" * 20
    assert validate(params(auth_token=token)) == []
    errors = " | ".join(validate(params(auth_token="short@/", transit_encryption=False)))
    assert "auth_token needs transit_encryption=true" in errors and "16 to 128 printable ASCII characters" in errors
    assert "short@/" not in errors
    joining = validate(params(auth_token=token, global_replication_group_id="ldgnf-shop-redis", node_type=None, engine_version=None))
    assert any("a secondary uses its primary's AUTH token" in e for e in joining) and token not in " ".join(joining)
    assert planned(params(auth_token=token), "us-east-1")["auth_token_enabled"] is True
    # AWS never shows a token: an existing group without AUTH is drift, one with AUTH is not
    assert [d["option"] for d in compare(params(auth_token=token), current())[2]] == ["auth_token"]
    assert compare(params(auth_token=token), current({"AuthTokenEnabled": True}))[2] == []
