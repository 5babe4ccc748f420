"""Pure logic of multiregion.dr.rds_global_cluster: name rules, members (writer first), the diff summary."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules.rds_global_cluster import CLUSTER_ARN, IDENTIFIER, members_of, summary

EAST = "arn:aws:rds:us-east-1:123456789012:cluster:shop-db"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:shop-db"


@pytest.mark.parametrize("name, valid", [
    ("shop-global", True), ("a", True), ("a" * 63, True), ("a" * 64, False), ("1shop", False),
    ("shop--global", False), ("shop-", False), ("shop_global", False),
])
def test_identifier_rules(name, valid):
    assert bool(IDENTIFIER.match(name)) is valid


def test_cluster_arn_gives_the_region():
    assert CLUSTER_ARN.match(WEST).group(1) == "us-west-2"
    assert not CLUSTER_ARN.match("arn:aws:rds:us-west-2:123456789012:db:shop-db")


def test_members_writer_first_and_summary():
    cluster = {"Engine": "aurora-mysql", "EngineVersion": "8.0.mysql_aurora.3.05.2", "StorageEncrypted": True,
               "GlobalClusterMembers": [{"DBClusterArn": WEST, "IsWriter": False}, {"DBClusterArn": EAST, "IsWriter": True}]}
    assert members_of(cluster) == [
        {"db_cluster_arn": EAST, "region": "us-east-1", "is_writer": True},
        {"db_cluster_arn": WEST, "region": "us-west-2", "is_writer": False},
    ]
    assert summary(cluster) == {"exists": True, "engine": "aurora-mysql", "engine_version": "8.0.mysql_aurora.3.05.2",
                                "storage_encrypted": True, "deletion_protection": False, "members": [EAST, WEST]}
    assert summary(None) == {"exists": False} and members_of(None) == []
