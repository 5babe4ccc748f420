"""module_utils/route53.py: names, which region a record set serves, health and routing."""

import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import route53

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


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
    assert route53.region_in_text(text, ["us-east-1", "eu-west-1", "ap-southeast-2", "ap-southeast-1"]) == region


def test_normalize_name():
    assert route53.normalize_name("\\052.Example.COM.") == "*.example.com"


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
    health = route53.health_from_observations(observations(success, failure))
    assert health == {"status": status, "checkers_success": success, "checkers_total": success + failure}


@pytest.mark.parametrize("record, region", [
    ({"SetIdentifier": "us-west-2", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-west-2"),
    ({"SetIdentifier": "a", "AliasTarget": {"DNSName": "dualstack.web-1.eu-west-1.elb.amazonaws.com."}}, "eu-west-1"),
    ({"SetIdentifier": "b", "Region": "us-east-1", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-east-1"),
    ({"SetIdentifier": "app-us-west-2", "ResourceRecords": [{"Value": "203.0.113.1"}]}, "us-west-2"),
    ({"ResourceRecords": [{"Value": "203.0.113.1"}]}, None),
])
def test_record_view_region(record, region):
    assert route53.record_view(record, REGIONS)["region"] == region


def rec(region, healthy=None, **kw):
    return dict({"region": region, "failover": None, "weight": None, "latency_region": None, "healthy": healthy}, **kw)


def test_failover_goes_to_primary_while_healthy_then_secondary():
    records = [rec("us-east-1", True, failover="PRIMARY"), rec("us-west-2", True, failover="SECONDARY")]
    assert route53.dns_routing(records) == {"policy": "failover", "configured_region": "us-east-1", "configured_regions": ["us-east-1"],
                                            "active_regions": ["us-east-1"], "active_region": "us-east-1"}
    records[0]["healthy"] = False
    routing = route53.dns_routing(records)
    assert routing["active_region"] == "us-west-2" and routing["configured_region"] == "us-east-1"


def test_failover_all_unhealthy_answers_with_primary():
    records = [rec("us-east-1", False, failover="PRIMARY"), rec("us-west-2", False, failover="SECONDARY")]
    assert route53.dns_routing(records)["active_region"] == "us-east-1"


def test_failover_unchecked_primary_counts_as_healthy():
    records = [rec("us-east-1", None, failover="PRIMARY"), rec("us-west-2", False, failover="SECONDARY")]
    assert route53.dns_routing(records)["active_region"] == "us-east-1"


def test_weighted_highest_healthy_weight():
    records = [rec("us-east-1", True, weight=100), rec("us-west-2", True, weight=10), rec("eu-west-1", True, weight=0)]
    routing = route53.dns_routing(records)
    assert routing["active_region"] == "us-east-1" and routing["active_regions"] == ["us-east-1", "us-west-2"]
    records[0]["healthy"] = False
    routing = route53.dns_routing(records)
    assert routing["active_region"] == "us-west-2" and routing["configured_region"] == "us-east-1"


def test_weighted_zero_weights_take_over_when_every_nonzero_record_is_unhealthy():
    # active-passive 100/0/0: Route 53 answers with the healthy weight-0 records once the 100 is unhealthy
    records = [rec("us-east-1", False, weight=100), rec("us-west-2", True, weight=0), rec("eu-west-1", True, weight=0)]
    routing = route53.dns_routing(records)
    assert routing["active_regions"] == ["us-west-2", "eu-west-1"] and routing["active_region"] is None
    assert routing["configured_region"] == "us-east-1"
    records[1]["healthy"] = False
    assert route53.dns_routing(records)["active_region"] == "eu-west-1"
    records[2]["healthy"] = False  # all unhealthy: Route 53 treats all as healthy and answers by weight
    assert route53.dns_routing(records)["active_region"] == "us-east-1"


def test_weighted_tie_spreads_traffic():
    records = [rec("us-east-1", True, weight=50), rec("us-west-2", True, weight=50)]
    routing = route53.dns_routing(records)
    assert routing["active_region"] is None and routing["active_regions"] == ["us-east-1", "us-west-2"]


def test_standby_name_answers_with_every_healthy_region_but_the_active_one():
    # the dns role's standby name: 0 on the active region, 100 on the others
    records = [rec("us-east-1", True, weight=0), rec("us-west-2", True, weight=100), rec("eu-west-1", True, weight=100)]
    routing = route53.dns_routing(records)
    assert routing["configured_regions"] == ["us-west-2", "eu-west-1"] and routing["configured_region"] is None
    assert routing["active_regions"] == ["us-west-2", "eu-west-1"]
    records[1]["healthy"] = False
    assert route53.dns_routing(records)["active_regions"] == ["eu-west-1"]
    records[2]["healthy"] = False  # both standbys down: the active region's weight-0 record answers
    assert route53.dns_routing(records)["active_regions"] == ["us-east-1"]


def test_latency_and_simple():
    latency = [rec("us-east-1", False, latency_region="us-east-1"), rec("eu-west-1", True, latency_region="eu-west-1")]
    assert route53.dns_routing(latency)["active_region"] == "eu-west-1"
    assert route53.dns_routing([rec("us-west-2")]) == {"policy": "simple", "configured_region": "us-west-2", "configured_regions": ["us-west-2"],
                                                       "active_regions": ["us-west-2"], "active_region": "us-west-2"}
    assert route53.dns_routing([rec(None)])["active_region"] is None
    assert route53.dns_routing([])["policy"] is None


def alias(region):
    return {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": f"dualstack.web-1.{region}.elb.amazonaws.com.", "EvaluateTargetHealth": True}


def test_record_region_rules_in_order():
    # (1) an explicit map is the only rule when given
    by_set_id = {"SetIdentifier": "EU-WEST-1", "Type": "A", "AliasTarget": alias("us-east-1")}
    assert route53.record_region(by_set_id, REGIONS, {"us-west-2": "EU-WEST-1"}) == "us-west-2"
    assert route53.record_region({"SetIdentifier": "us-west-2"}, REGIONS, {"eu-west-1": "x"}) is None
    # (2) a latency record's region
    assert route53.record_region({"SetIdentifier": "a", "Region": "us-east-1", "AliasTarget": alias("eu-west-1")}, REGIONS) == "us-east-1"
    # (3) a region-named set identifier wins over the alias, in any case
    assert route53.record_region(by_set_id, REGIONS) == "eu-west-1"
    # (4) the one region named in the alias, the values or the set identifier
    assert route53.record_region({"SetIdentifier": "a", "AliasTarget": alias("us-west-2")}, REGIONS) == "us-west-2"
    cname = {"SetIdentifier": "blue", "Type": "CNAME", "ResourceRecords": [{"Value": "lb.eu-west-1.elb.amazonaws.com"}]}
    assert route53.record_region(cname, REGIONS) == "eu-west-1"
    assert route53.record_region({"SetIdentifier": "web-us-east-1", "ResourceRecords": [{"Value": "192.0.2.1"}]}, REGIONS) == "us-east-1"
    assert route53.record_region({"SetIdentifier": "blue", "ResourceRecords": [{"Value": "192.0.2.1"}]}, REGIONS) is None
    # several regions named: no guess
    assert route53.record_region({"SetIdentifier": "to-us-east-1", "AliasTarget": alias("eu-west-1")}, REGIONS) is None


def test_names():
    assert route53.fqdn("App.Example.COM") == "app.example.com."
    assert route53.fqdn("\\052.example.com.") == "*.example.com."
    assert route53.absolute_name("app", "example.com.") == "app.example.com."
    assert route53.absolute_name("app.example.com", "example.com") == "app.example.com."
    assert route53.normalize_name(None) == ""


class FakeRoute53:
    def __init__(self, zones, pages=None):
        self.zones, self.pages, self.requests = zones, list(pages or []), []

    def get_paginator(self, operation):
        zones = self.zones

        class Paginator:
            def paginate(self):
                class Pages:
                    def build_full_result(self):
                        return {"HostedZones": zones}
                return Pages()
        return Paginator()

    def list_resource_record_sets(self, aws_retry, **kwargs):
        self.requests.append(kwargs)
        return self.pages.pop(0)


ZONES = [
    {"Id": "/hostedzone/ZPUBLIC", "Name": "example.com.", "Config": {"PrivateZone": False}},
    {"Id": "/hostedzone/ZPRIVATE", "Name": "example.com.", "Config": {"PrivateZone": True}},
]


def test_find_zone_by_name_and_what_exists_otherwise():
    r53 = FakeRoute53(ZONES)
    assert route53.find_zone(r53, "Example.com")["Id"] == "/hostedzone/ZPUBLIC"
    assert route53.find_zone(r53, "example.com.", private=True)["Id"] == "/hostedzone/ZPRIVATE"
    with pytest.raises(route53.ZoneError, match=r"hosted_zone='other.org' has no public zone .*example.com. \(ZPUBLIC, public\)"):
        route53.find_zone(r53, "other.org")
    twice = FakeRoute53(ZONES + [{"Id": "/hostedzone/ZAGAIN", "Name": "example.com.", "Config": {}}])
    with pytest.raises(route53.ZoneError, match="matches 2 public zones"):
        route53.find_zone(twice, "example.com")


def test_record_sets_follow_the_pages_and_stop_at_the_next_name():
    record = {"Name": "app.example.com.", "Type": "A", "SetIdentifier": "us-east-1"}
    r53 = FakeRoute53([], pages=[
        {"ResourceRecordSets": [record], "IsTruncated": True, "NextRecordName": "app.example.com.", "NextRecordType": "A",
         "NextRecordIdentifier": "us-west-2"},
        {"ResourceRecordSets": [dict(record, SetIdentifier="us-west-2"), {"Name": "b.example.com.", "Type": "A"}], "IsTruncated": True,
         "NextRecordName": "c.example.com.", "NextRecordType": "A"},
    ])
    found = route53.record_sets(r53, "ZPUBLIC", "App.example.com", "a")
    assert [r["SetIdentifier"] for r in found] == ["us-east-1", "us-west-2"]
    assert r53.requests[0] == {"HostedZoneId": "ZPUBLIC", "StartRecordName": "app.example.com.", "StartRecordType": "A"}
    assert r53.requests[1]["StartRecordIdentifier"] == "us-west-2"
