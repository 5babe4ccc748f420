"""Pure logic of module_utils/topology.py: summaries of the regions' roles, and the probe."""

import botocore.exceptions
import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import topology

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def db(role, source_region=None):
    return {"role": role, "writable": role in ("primary", "standalone"), "source_region": source_region}


def test_summary_one_writer():
    roles = {"us-east-1": db("primary"), "us-west-2": db("replica", "us-east-1"), "eu-west-1": db("replica", "us-east-1")}
    summary = topology.database_summary(REGIONS, roles, REGIONS)
    assert summary["primary_region"] == "us-east-1" and summary["primary_reachable"] is True
    assert summary["writable_databases"] == ["us-east-1"] and not summary["split_brain"] and summary["notes"] == []
    assert summary["replica_regions"] == ["us-west-2", "eu-west-1"]


def test_summary_unreachable_primary_named_by_its_replicas():
    roles = {"us-east-1": db("unknown"), "us-west-2": db("replica", "us-east-1"), "eu-west-1": db("replica", "us-east-1")}
    summary = topology.database_summary(REGIONS, roles, ["us-west-2", "eu-west-1"])
    assert summary["primary_region"] == "us-east-1" and summary["primary_reachable"] is False
    assert summary["writable_databases"] == []
    assert "unreachable" in summary["notes"][0]


def test_summary_promoted_while_old_primary_cut_off():
    roles = {"us-east-1": db("unknown"), "us-west-2": db("replica", "us-east-1"), "eu-west-1": db("standalone")}
    summary = topology.database_summary(REGIONS, roles, ["us-west-2", "eu-west-1"])
    assert summary["primary_region"] == "eu-west-1" and not summary["split_brain"]
    assert summary["notes"][0].startswith("the replica in us-west-2 still follows us-east-1")


def test_summary_split_brain():
    roles = {"us-east-1": db("primary"), "us-west-2": db("replica", "us-east-1"), "eu-west-1": db("standalone")}
    summary = topology.database_summary(REGIONS, roles, REGIONS)
    assert summary["split_brain"] is True and summary["primary_region"] is None and summary["primary_reachable"] is None
    assert summary["writable_databases"] == ["us-east-1", "eu-west-1"]


def test_summary_aurora_from_global_view():
    view = {"us-east-1": {"role": "primary"}, "eu-west-1": {"role": "replica"}}
    roles = {"us-east-1": db("unknown"), "eu-west-1": db("replica", "us-east-1")}
    summary = topology.database_summary(["us-east-1", "eu-west-1"], roles, ["eu-west-1"], view)
    assert summary["primary_region"] == "us-east-1" and summary["primary_reachable"] is False


def test_cache_primary():
    assert topology.cache_primary(REGIONS, {}, {"us-west-2": {"role": "primary"}, "us-east-1": {"role": "secondary"}}) == "us-west-2"
    assert topology.cache_primary(REGIONS, {"us-east-1": {"role": "primary"}, "us-west-2": {"role": "secondary"}}) == "us-east-1"
    assert topology.cache_primary(REGIONS, {"us-east-1": {"role": "standalone"}, "us-west-2": {"role": "absent"}}) == "us-east-1"
    assert topology.cache_primary(REGIONS, {"us-east-1": {"role": "standalone"}, "us-west-2": {"role": "standalone"}}) is None


def test_consistent():
    assert topology.consistent(["us-east-1", "us-east-1", "us-east-1"])
    assert not topology.consistent(["us-east-1", "us-west-2"])
    assert not topology.consistent(["us-east-1", None])
    assert not topology.consistent([])


def test_probe_turns_unreachable_into_region_unreachable():
    def dropped():
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com")

    with pytest.raises(topology.RegionUnreachable, match="unreachable: EndpointConnectionError on DescribeDBInstances"):
        topology._probe("us-east-1", "DescribeDBInstances", dropped)


class FakeAutoscaling:
    def __init__(self, groups=None, error=None):
        self.groups, self.error = groups or [], error

    def describe_auto_scaling_groups(self, **kwargs):
        if self.error:
            raise self.error
        assert kwargs == {"AutoScalingGroupNames": ["shop-app"]}
        return {"AutoScalingGroups": self.groups}


def test_a_regions_capacity_is_its_groups_sizes_absent_or_the_error():
    group = {"MinSize": 1, "MaxSize": 4, "DesiredCapacity": 1, "AutoScalingGroupName": "shop-app"}
    assert topology._probe_capacity("us-west-2", FakeAutoscaling([group]), "shop-app") == {"min_size": 1, "max_size": 4, "desired_capacity": 1}
    assert topology._probe_capacity("us-west-2", FakeAutoscaling(), "shop-app") == {"absent": True}
    denied = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeAutoScalingGroups")
    assert "AccessDenied" in topology._probe_capacity("us-west-2", FakeAutoscaling(error=denied), "shop-app")["error"]
    # Auto Scaling not answering is no verdict on the region (its database may be a live primary)
    dropped = botocore.exceptions.EndpointConnectionError(endpoint_url="https://autoscaling.us-west-2.amazonaws.com")
    assert "unreachable" in topology._probe_capacity("us-west-2", FakeAutoscaling(error=dropped), "shop-app")["error"]
