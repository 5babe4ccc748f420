"""route53_switch: how record sets map to regions and how the one change batch is built."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules import route53_switch as r53

REGIONS = {"us-east-1", "us-west-2", "eu-west-1", "us-east-2"}
NAME = "app.example.com."


def alias(region):
    return {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": f"dualstack.web-1.{region}.elb.amazonaws.com.", "EvaluateTargetHealth": True}


def failover_records():
    return [
        {"Name": NAME, "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY", "AliasTarget": alias("us-east-1"), "HealthCheckId": "hc-1"},
        {"Name": NAME, "Type": "A", "SetIdentifier": "secondary", "Failover": "SECONDARY", "AliasTarget": alias("us-west-2"), "HealthCheckId": "hc-2"},
    ]


def weighted_records():
    return [
        {"Name": NAME, "Type": "A", "SetIdentifier": region, "Weight": weight, "TTL": 60, "ResourceRecords": [{"Value": f"192.0.2.{i}"}]}
        for i, (region, weight) in enumerate((("us-east-1", 100), ("us-west-2", 0), ("eu-west-1", 0)))
    ]


def test_routing_detection():
    assert r53.routing_of(failover_records()) == "failover"
    assert r53.routing_of(weighted_records()) == "weighted"
    assert r53.routing_of([{"Name": NAME, "Type": "A", "TTL": 60, "ResourceRecords": []}]) == "simple"
    assert r53.routing_of([{"Name": NAME, "Type": "A", "SetIdentifier": "x", "Region": "us-east-1"}]).startswith("unsupported (Region")


def test_failover_swaps_roles_in_one_batch_keeping_targets_and_health_checks():
    records = failover_records()
    changes = r53.plan_failover(records, "us-west-2", None, REGIONS, NAME, "A")
    assert [(c["Action"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Failover"]) for c in changes] == [
        ("DELETE", "primary", "PRIMARY"), ("DELETE", "secondary", "SECONDARY"),
        ("CREATE", "primary", "SECONDARY"), ("CREATE", "secondary", "PRIMARY"),
    ]
    created = {c["ResourceRecordSet"]["SetIdentifier"]: c["ResourceRecordSet"] for c in changes if c["Action"] == "CREATE"}
    assert created["secondary"]["HealthCheckId"] == "hc-2" and created["secondary"]["AliasTarget"] == alias("us-west-2")
    assert records == failover_records()  # the DELETEs carry the exact current values, untouched
    after = r53.summary(r53.apply_changes(records, changes), None, REGIONS)
    assert after["secondary"]["failover"] == "PRIMARY" and after["primary"]["failover"] == "SECONDARY"


def test_failover_already_primary_is_no_change():
    assert r53.plan_failover(failover_records(), "us-east-1", None, REGIONS, NAME, "A") == []


def test_failover_unknown_region_names_what_exists():
    expected = r"target_region=eu-west-1; the record sets are: primary \(us-east-1, PRIMARY\), secondary \(us-west-2, SECONDARY\)"
    with pytest.raises(r53.PlanError, match=expected):
        r53.plan_failover(failover_records(), "eu-west-1", None, REGIONS, NAME, "A")


def test_two_record_sets_for_one_region_is_an_error():
    records = failover_records()
    records[1]["AliasTarget"] = alias("us-east-1")
    with pytest.raises(r53.PlanError, match="both map to us-east-1"):
        r53.plan_failover(records, "us-east-1", None, REGIONS, NAME, "A")


def test_weighted_target_100_others_0_only_changed_weights():
    changes = r53.plan_weighted(weighted_records(), "eu-west-1", None, REGIONS, NAME, "A")
    assert [(c["Action"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Weight"]) for c in changes] == [
        ("UPSERT", "us-east-1", 0), ("UPSERT", "eu-west-1", 100),
    ]
    assert r53.plan_weighted(weighted_records(), "us-east-1", None, REGIONS, NAME, "A") == []


def test_simple_upsert_and_idempotence():
    targets = {"us-west-2": {"dns_name": "Web-2.us-west-2.elb.amazonaws.com", "hosted_zone_id": "Z1H1FL5HABSF5"},
               "us-east-1": {"value": ["192.0.2.1", "192.0.2.2"], "ttl": 30}}
    created = r53.plan_simple([], "us-west-2", targets, NAME, "A")
    assert created == [{"Action": "UPSERT", "ResourceRecordSet": {"Name": NAME, "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z1H1FL5HABSF5", "DNSName": "web-2.us-west-2.elb.amazonaws.com.", "EvaluateTargetHealth": False}}}]
    assert r53.plan_simple([created[0]["ResourceRecordSet"]], "us-west-2", targets, NAME, "A") == []
    existing = {"Name": NAME, "Type": "A", "TTL": 30, "ResourceRecords": [{"Value": "192.0.2.2"}, {"Value": "192.0.2.1"}]}
    assert r53.plan_simple([existing], "us-east-1", targets, NAME, "A") == []
    switched = r53.plan_simple([dict(existing, HealthCheckId="hc")], "us-west-2", targets, NAME, "A")
    assert switched[0]["ResourceRecordSet"]["HealthCheckId"] == "hc"


@pytest.mark.parametrize("targets, message", [
    ({"mars-1": {"value": "x"}}, "'mars-1' that is not an AWS region"),
    ({"us-east-1": "192.0.2.1"}, "must be a dict"),
    ({"us-east-1": {}}, "not neither"),
    ({"us-east-1": {"value": "x", "dns_name": "y", "hosted_zone_id": "Z"}}, "not both"),
    ({"us-east-1": {"dns_name": "y"}}, "no hosted_zone_id"),
    ({"us-east-1": {"value": "x", "weight": 1}}, "unknown keys weight"),
    ({"us-east-1": {"value": "x", "ttl": "soon"}}, "ttl='soon' must be a whole number"),
    ({"us-east-1": {"value": "x", "ttl": -1}}, "ttl=-1 must be a whole number"),
])
def test_bad_targets(targets, message):
    assert message in r53.check_targets(targets, REGIONS)


def test_names():
    assert r53.absolute_name("app", "example.com.") == "app.example.com."
    assert r53.absolute_name("App.Example.com", "example.com.") == "app.example.com."
    assert r53.absolute_name("example.com", "example.com.") == "example.com."
    assert r53.fqdn("\\052.example.com.") == "*.example.com."
