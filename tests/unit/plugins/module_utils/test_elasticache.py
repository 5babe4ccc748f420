"""module_utils/elasticache.py: Global Datastore members and roles."""

from ansible_collections.multiregion.dr.plugins.module_utils import elasticache


def test_cache_member_roles():
    roles = elasticache.cache_member_roles({"Members": [
        {"ReplicationGroupId": "s-east", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY", "Status": "associated"},
        {"ReplicationGroupId": "s-west", "ReplicationGroupRegion": "us-west-2", "Role": "SECONDARY", "Status": "associated"},
    ]})
    assert roles["us-east-1"]["role"] == "primary" and roles["us-west-2"]["role"] == "secondary"
    assert roles["us-west-2"]["replication_group_id"] == "s-west"


def test_group_role_and_global_info():
    primary = {"GlobalReplicationGroupInfo": {"GlobalReplicationGroupId": "ldgnf-s", "GlobalReplicationGroupMemberRole": "PRIMARY"}}
    assert elasticache.global_info(primary) == ("ldgnf-s", "PRIMARY") and elasticache.group_role(primary) == "primary"
    secondary = {"GlobalReplicationGroupInfo": {"GlobalReplicationGroupId": "ldgnf-s", "GlobalReplicationGroupMemberRole": "SECONDARY"}}
    assert elasticache.group_role(secondary) == "secondary"
    assert elasticache.global_info({}) == (None, None) and elasticache.group_role({}) == "standalone"


def test_member_in():
    members = elasticache.global_members({"Members": [
        {"ReplicationGroupId": "s-east", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY", "Status": "associated"},
        {"ReplicationGroupId": "s-west", "ReplicationGroupRegion": "us-west-2", "Role": "SECONDARY", "Status": "associating"},
    ]})
    assert elasticache.member_in(members, "us-west-2")["status"] == "associating"
    assert elasticache.member_in(members, "us-west-2", "s-west")["role"] == "SECONDARY"
    assert elasticache.member_in(members, "us-west-2", "other") is None
    assert elasticache.member_in(members, "eu-west-1") is None
