"""Pure logic of module_utils/topology.py: roles, DNS routing, health, summaries."""

import botocore.exceptions
import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import topology

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
EAST_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders"
WEST_ARN = "arn:aws:rds:us-west-2:123456789012:db:orders"
EU_ARN = "arn:aws:rds:eu-west-1:123456789012:db:orders"


def client_error(code, status=400):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Describe")


@pytest.mark.parametrize("arn, region", [(EAST_ARN, "us-east-1"), ("orders", None), (None, None), ("arn:aws:iam::123:role/x", None)])
def test_arn_region(arn, region):
    assert topology.arn_region(arn) == region


@pytest.mark.parametrize("text, region", [
    ("dualstack.web-1234567890.us-east-1.elb.amazonaws.com.", "us-east-1"),
    ("web-1.eu-west-1.elb.amazonaws.com", "eu-west-1"),
    ("bucket.s3-website-eu-west-1.amazonaws.com", "eu-west-1"),
    ("abc.execute-api.ap-southeast-2.amazonaws.com", "ap-southeast-2"),
    ("primary", None),
    ("203.0.113.10", None),
    ("", None),
])
def test_region_in_text(text, region):
    assert topology.region_in_text(text, ["us-east-1", "eu-west-1", "ap-southeast-2", "ap-southeast-1"]) == region


def test_normalize_name():
    assert topology.normalize_name("\\052.Example.COM.") == "*.example.com"


def observations(success, failure):
    ok = [{"Region": "us-east-1", "StatusReport": {"Status": "Success: HTTP Status Code 200, OK"}}] * success
    bad = [{"Region": "eu-west-1", "StatusReport": {"Status": "Failure: Connection timed out."}}] * failure
    return ok + bad


@pytest.mark.parametrize("success, failure, status", [
    (8, 0, "healthy"),
    (2, 6, "healthy"),  # 25% > 18%: Route 53 calls it healthy
    (1, 7, "unhealthy"),  # 12.5%
    (0, 8, "unhealthy"),
    (0, 0, "unknown"),
])
def test_health_from_observations(success, failure, status):
    health = topology.health_from_observations(observations(success, failure))
    assert health == {"status": status, "checkers_success": success, "checkers_total": success + failure}


def test_rds_primary_with_cross_region_replicas():
    role = topology.rds_instance_role({
        "DBInstanceIdentifier": "orders", "DBInstanceArn": EAST_ARN, "DBInstanceStatus": "available", "Engine": "mysql",
        "ReadReplicaDBInstanceIdentifiers": [WEST_ARN, EU_ARN, "orders-local"],
    })
    assert role["role"] == "primary" and role["writable"] is True
    assert role["replica_regions"] == ["eu-west-1", "us-east-1", "us-west-2"]
    assert role["source"] is None and role["source_region"] is None


def test_rds_cross_region_replica_names_its_source_region():
    role = topology.rds_instance_role({
        "DBInstanceIdentifier": "orders", "DBInstanceArn": WEST_ARN, "DBInstanceStatus": "available",
        "ReadReplicaSourceDBInstanceIdentifier": EAST_ARN,
        "StatusInfos": [{"StatusType": "read replication", "Normal": False, "Status": "error", "Message": "stopped"}],
    })
    assert role["role"] == "replica" and role["writable"] is False and role["source_region"] == "us-east-1"
    assert role["replication"] == [{"status_type": "read replication", "normal": False, "status": "error", "message": "stopped"}]


def test_rds_same_region_replica_and_standalone():
    replica = topology.rds_instance_role({"DBInstanceArn": WEST_ARN, "ReadReplicaSourceDBInstanceIdentifier": "orders-main"})
    assert replica["source_region"] == "us-west-2"
    standalone = topology.rds_instance_role({"DBInstanceArn": EU_ARN, "ReadReplicaDBInstanceIdentifiers": []})
    assert standalone["role"] == "standalone" and standalone["writable"] is True


def test_aurora_member_roles():
    east = "arn:aws:rds:us-east-1:123456789012:cluster:orders-east"
    west = "arn:aws:rds:eu-west-1:123456789012:cluster:orders-west"
    roles = topology.aurora_member_roles({"GlobalClusterMembers": [
        {"DBClusterArn": east, "IsWriter": True, "Readers": [west]},
        {"DBClusterArn": west, "IsWriter": False, "SynchronizationStatus": "connected"},
    ]})
    assert roles["us-east-1"]["role"] == "primary" and roles["us-east-1"]["identifier"] == "orders-east"
    assert roles["eu-west-1"] == {"role": "replica", "identifier": "orders-west", "arn": west, "writable": False,
                                  "source": east, "source_region": "us-east-1", "synchronization_status": "connected"}


def test_cache_member_roles():
    roles = topology.cache_member_roles({"Members": [
        {"ReplicationGroupId": "s-east", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY", "Status": "associated"},
        {"ReplicationGroupId": "s-west", "ReplicationGroupRegion": "us-west-2", "Role": "SECONDARY", "Status": "associated"},
    ]})
    assert roles["us-east-1"]["role"] == "primary" and roles["us-west-2"]["role"] == "secondary"
    assert roles["us-west-2"]["replication_group_id"] == "s-west"


@pytest.mark.parametrize("record, region", [
    ({"SetIdentifier": "us-west-2", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-west-2"),
    ({"SetIdentifier": "a", "AliasTarget": {"DNSName": "dualstack.web-1.eu-west-1.elb.amazonaws.com."}}, "eu-west-1"),
    ({"SetIdentifier": "b", "Region": "us-east-1", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-east-1"),
    ({"SetIdentifier": "app-us-west-2", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-west-2"),
    ({"ResourceRecords": [{"Value": "203.0.113.1"}]}, None),
])
def test_record_view_region(record, region):
    assert topology.record_view(record, REGIONS)["region"] == region


def rec(region, healthy=None, **kw):
    return dict({"region": region, "failover": None, "weight": None, "latency_region": None, "healthy": healthy}, **kw)


def test_failover_goes_to_primary_while_healthy_then_secondary():
    records = [rec("us-east-1", True, failover="PRIMARY"), rec("us-west-2", True, failover="SECONDARY")]
    assert topology.dns_routing(records) == {"policy": "failover", "configured_region": "us-east-1", "configured_regions": ["us-east-1"],
                                             "active_regions": ["us-east-1"], "active_region": "us-east-1"}
    records[0]["healthy"] = False
    routing = topology.dns_routing(records)
    assert routing["active_region"] == "us-west-2" and routing["configured_region"] == "us-east-1"


def test_failover_all_unhealthy_answers_with_primary():
    records = [rec("us-east-1", False, failover="PRIMARY"), rec("us-west-2", False, failover="SECONDARY")]
    assert topology.dns_routing(records)["active_region"] == "us-east-1"


def test_failover_unchecked_primary_counts_as_healthy():
    records = [rec("us-east-1", None, failover="PRIMARY"), rec("us-west-2", False, failover="SECONDARY")]
    assert topology.dns_routing(records)["active_region"] == "us-east-1"


def test_weighted_highest_healthy_weight():
    records = [rec("us-east-1", True, weight=100), rec("us-west-2", True, weight=10), rec("eu-west-1", True, weight=0)]
    routing = topology.dns_routing(records)
    assert routing["active_region"] == "us-east-1" and routing["active_regions"] == ["us-east-1", "us-west-2"]
    records[0]["healthy"] = False
    routing = topology.dns_routing(records)
    assert routing["active_region"] == "us-west-2" and routing["configured_region"] == "us-east-1"


def test_weighted_zero_weights_take_over_when_every_nonzero_record_is_unhealthy():
    # active-passive 100/0/0: Route 53 answers with the healthy weight-0 records once the 100 is unhealthy
    records = [rec("us-east-1", False, weight=100), rec("us-west-2", True, weight=0), rec("eu-west-1", True, weight=0)]
    routing = topology.dns_routing(records)
    assert routing["active_regions"] == ["us-west-2", "eu-west-1"] and routing["active_region"] is None
    assert routing["configured_region"] == "us-east-1"
    records[1]["healthy"] = False
    assert topology.dns_routing(records)["active_region"] == "eu-west-1"
    records[2]["healthy"] = False  # all unhealthy: Route 53 treats all as healthy and answers by weight
    assert topology.dns_routing(records)["active_region"] == "us-east-1"


def test_weighted_tie_spreads_traffic():
    records = [rec("us-east-1", True, weight=50), rec("us-west-2", True, weight=50)]
    routing = topology.dns_routing(records)
    assert routing["active_region"] is None and routing["active_regions"] == ["us-east-1", "us-west-2"]


def test_standby_name_answers_with_every_healthy_region_but_the_active_one():
    # the dns role's standby name: 0 on the active region, 100 on the others
    records = [rec("us-east-1", True, weight=0), rec("us-west-2", True, weight=100), rec("eu-west-1", True, weight=100)]
    routing = topology.dns_routing(records)
    assert routing["configured_regions"] == ["us-west-2", "eu-west-1"] and routing["configured_region"] is None
    assert routing["active_regions"] == ["us-west-2", "eu-west-1"]
    records[1]["healthy"] = False
    assert topology.dns_routing(records)["active_regions"] == ["eu-west-1"]
    records[2]["healthy"] = False  # both standbys down: the active region's weight-0 record answers
    assert topology.dns_routing(records)["active_regions"] == ["us-east-1"]


def distribution(members, origins):
    return {
        "Origins": {"Items": [{"Id": i, "DomainName": d} for i, d in origins.items()]},
        "OriginGroups": {"Items": [{"Id": "failover", "Members": {"Items": [{"OriginId": m} for m in members]}}]},
        "Enabled": True,
    }


def test_cdn_view_maps_the_origin_group_to_regions():
    origins = {"us-east-1": "shop-alb-1.us-east-1.elb.amazonaws.com", "us-west-2": "origin-us-west-2.shop.example.com",
               "web-eu": "web.eu-west-1.elb.amazonaws.com", "standby": "standby.api.shop.example.com"}
    view = topology.cdn_view({"Id": "E1", "Status": "Deployed"}, distribution(["us-east-1", "standby"], origins), "failover", REGIONS)
    assert (view["primary_origin"], view["primary_region"]) == ("us-east-1", "us-east-1")
    assert (view["secondary_origin"], view["secondary_region"]) == ("standby", None)
    assert view["secondary_domain_name"] == "standby.api.shop.example.com"
    assert view["region_origins"] == {"us-east-1": "us-east-1", "us-west-2": "us-west-2", "eu-west-1": "web-eu"}
    two = topology.cdn_view({"Id": "E1"}, distribution(["us-west-2", "web-eu"], origins), "failover", REGIONS)
    assert (two["primary_region"], two["secondary_region"]) == ("us-west-2", "eu-west-1")
    other = topology.cdn_view({"Id": "E1"}, distribution(["us-west-2", "web-eu"], origins), "another", REGIONS)
    assert other["origin_group_id"] is None and other["primary_origin"] is None


def test_latency_and_simple():
    latency = [rec("us-east-1", False, latency_region="us-east-1"), rec("eu-west-1", True, latency_region="eu-west-1")]
    assert topology.dns_routing(latency)["active_region"] == "eu-west-1"
    assert topology.dns_routing([rec("us-west-2")]) == {"policy": "simple", "configured_region": "us-west-2", "configured_regions": ["us-west-2"],
                                                        "active_regions": ["us-west-2"], "active_region": "us-west-2"}
    assert topology.dns_routing([rec(None)])["active_region"] is None
    assert topology.dns_routing([])["policy"] is None


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


def test_throttle_retry_retries_throttling_only(monkeypatch):
    monkeypatch.setattr(topology.time, "sleep", lambda seconds: None)
    calls = []

    def throttled_twice():
        calls.append(1)
        if len(calls) < 3:
            raise client_error("Throttling")
        return "ok"

    assert topology.throttle_retry(throttled_twice) == "ok" and len(calls) == 3

    unavailable = []

    def dead_region():
        unavailable.append(1)
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(botocore.exceptions.ClientError):
        topology.throttle_retry(dead_region)
    assert len(unavailable) == 1  # one attempt: a dead region is not retried


def test_probe_turns_unreachable_into_region_unreachable():
    def dropped():
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com")

    with pytest.raises(topology.RegionUnreachable, match="unreachable: EndpointConnectionError on DescribeDBInstances"):
        topology._probe("us-east-1", "DescribeDBInstances", dropped)
