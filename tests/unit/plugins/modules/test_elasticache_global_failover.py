"""elasticache_global_failover: input checks, planned roles and the completion test (the lag read is lag.py's)."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules import elasticache_global_failover as egf

MEMBERS = [
    {"replication_group_id": "s-use1", "region": "us-east-1", "role": "PRIMARY", "status": "associated"},
    {"replication_group_id": "s-usw2", "region": "us-west-2", "role": "SECONDARY", "status": "associated"},
]


@pytest.mark.parametrize("value, expected", [(None, None), (0, 0.0), ("2.5", 2.5), (7, 7.0)])
def test_threshold_accepts_numbers(value, expected):
    assert egf.parse_threshold(value) == (expected, None)


@pytest.mark.parametrize("value", [-1, "-0.5", "soon", True, float("nan"), "inf", [1]])
def test_threshold_rejects_the_rest_naming_the_value(value):
    number, error = egf.parse_threshold(value)
    assert number is None and error == f"rpo_seconds={value!r} must be a number of 0 or more seconds"


def test_planned_roles():
    assert egf.planned_roles(MEMBERS, "us-west-2", "primary") == {"us-east-1": "SECONDARY", "us-west-2": "PRIMARY"}
    assert egf.planned_roles(MEMBERS, "us-west-2", "disassociated") == {"us-east-1": "PRIMARY", "us-west-2": "standalone"}


def group(status, members):
    return {"Status": status, "Members": [
        {"ReplicationGroupId": m["replication_group_id"], "ReplicationGroupRegion": m["region"], "Role": m["role"], "Status": m["status"]}
        for m in members]}


def test_done_needs_available_and_the_new_role():
    switched = [dict(MEMBERS[0], role="SECONDARY"), dict(MEMBERS[1], role="PRIMARY")]
    assert not egf.is_done(group("modifying", switched), "us-west-2", "primary", "s-usw2")
    assert not egf.is_done(group("available", MEMBERS), "us-west-2", "primary", "s-usw2")
    assert egf.is_done(group("available", switched), "us-west-2", "primary", "s-usw2")
    assert not egf.is_done(group("available", MEMBERS), "us-west-2", "disassociated", "s-usw2")
    assert egf.is_done(group("available", MEMBERS[:1]), "us-west-2", "disassociated", "s-usw2")
