"""multiregion.dr.route53_switch against regionsim: a hosted zone with failover records on real
ALB alias targets (one ALB per region, with health checks), weighted records and a simple record."""

import sys
import time

import pytest
import yaml

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
ZONE = "example.com"


@pytest.fixture
def run(module):
    """The module under test, run with this venv's Python (ansible would discover another one for localhost)."""

    def call(args, check=False, diff=False):
        return module("route53_switch", args, check=check, diff=diff, env={"ANSIBLE_PYTHON_INTERPRETER": sys.executable})

    return call


def make_alb(aws, region):
    ec2, elb = aws("ec2", region), aws("elbv2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"] for i, z in enumerate(zones)]
    lb = elb.create_load_balancer(Name=f"web-{region}", Subnets=subnets, Type="application", Scheme="internet-facing")["LoadBalancers"][0]
    return {"dns_name": lb["DNSName"], "hosted_zone_id": lb["CanonicalHostedZoneId"]}


@pytest.fixture
def dns(aws):
    """The zone with app (failover, alias to ALBs, set identifiers primary/secondary), www (weighted, set
    identifiers are region names, plain values) and api (weighted CNAME, set identifiers blue/green/red)."""
    r53 = aws("route53")
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"].rsplit("/", 1)[-1]
    albs = {region: make_alb(aws, region) for region in REGIONS}
    checks = {
        region: r53.create_health_check(
            CallerReference=f"hc-{region}-{time.time()}",
            HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": albs[region]["dns_name"], "Port": 443,
                               "ResourcePath": "/health", "RequestInterval": 30, "FailureThreshold": 3},
        )["HealthCheck"]["Id"]
        for region in REGIONS
    }

    def alias(region):
        return {"HostedZoneId": albs[region]["hosted_zone_id"], "DNSName": albs[region]["dns_name"], "EvaluateTargetHealth": True}

    changes = [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"app.{ZONE}", "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY",
                                                   "AliasTarget": alias("us-east-1"), "HealthCheckId": checks["us-east-1"]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"app.{ZONE}", "Type": "A", "SetIdentifier": "secondary", "Failover": "SECONDARY",
                                                   "AliasTarget": alias("us-west-2"), "HealthCheckId": checks["us-west-2"]}},
    ]
    for i, region in enumerate(REGIONS):
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"www.{ZONE}", "Type": "A", "SetIdentifier": region, "Weight": 100 if i == 0 else 0, "TTL": 60,
            "ResourceRecords": [{"Value": f"192.0.2.{i + 1}"}], "HealthCheckId": checks[region]}})
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"api.{ZONE}", "Type": "CNAME", "SetIdentifier": ("blue", "green", "red")[i], "Weight": 100 if i == 0 else 0,
            "TTL": 60, "ResourceRecords": [{"Value": albs[region]["dns_name"]}]}})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return {"zone_id": zone_id, "albs": albs, "checks": checks}


def record_sets(aws, zone_id, name, rtype="A"):
    found = aws("route53").list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, StartRecordType=rtype)
    return {r.get("SetIdentifier", "simple"): r for r in found["ResourceRecordSets"] if r["Name"] == name and r["Type"] == rtype}


def changes_sent(sim, since):
    return [e for e in sim.log(since) if e["action"] == "ChangeResourceRecordSets" and e["status"] == 200]


def test_failover_check_mode_diff_and_rerun(run, aws, sim, dns):
    args = {"hosted_zone": ZONE, "record_name": "app", "target_region": "us-west-2", "poll_interval": 0.1}
    since = time.time()
    planned = run(args, check=True)
    assert planned["changed"] is True and planned["routing"] == "failover", planned
    assert [c["Action"] for c in planned["change_batch"]] == ["DELETE", "DELETE", "CREATE", "CREATE"]
    assert planned["change_id"] is None
    assert record_sets(aws, dns["zone_id"], f"app.{ZONE}.")["primary"]["Failover"] == "PRIMARY"
    assert changes_sent(sim, since) == []

    done = run(args, diff=True)
    assert done["changed"] is True, done
    assert done["change_status"] == "INSYNC" and done["change_id"] and done["seconds_to_insync"] >= 0
    assert done["diff"]["before"]["primary"]["failover"] == "PRIMARY" and done["diff"]["before"]["primary"]["region"] == "us-east-1"
    assert done["diff"]["after"]["primary"]["failover"] == "SECONDARY"
    assert done["diff"]["after"]["secondary"] == {**done["diff"]["before"]["secondary"], "failover": "PRIMARY"}
    records = record_sets(aws, dns["zone_id"], f"app.{ZONE}.")
    assert records["secondary"]["Failover"] == "PRIMARY" and records["primary"]["Failover"] == "SECONDARY"
    # records keep their alias targets and health checks
    assert records["secondary"]["HealthCheckId"] == dns["checks"]["us-west-2"]
    assert records["secondary"]["AliasTarget"]["DNSName"].rstrip(".") == dns["albs"]["us-west-2"]["dns_name"].rstrip(".")
    assert len(changes_sent(sim, since)) == 1

    since = time.time()
    again = run(args, diff=True)
    assert again["changed"] is False and again["change_batch"] == [] and again["change_id"] is None, again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert changes_sent(sim, since) == []


def test_weighted_by_region_named_set_identifiers(run, aws, dns):
    args = {"hosted_zone": dns["zone_id"], "record_name": f"www.{ZONE}", "target_region": "eu-west-1", "poll_interval": 0.1}
    done = run(args, diff=True)
    assert done["changed"] is True and done["routing"] == "weighted", done
    assert {k: v["weight"] for k, v in done["diff"]["after"].items()} == {"us-east-1": 0, "us-west-2": 0, "eu-west-1": 100}
    assert all(c["Action"] == "UPSERT" for c in done["change_batch"]) and len(done["change_batch"]) == 2
    records = record_sets(aws, dns["zone_id"], f"www.{ZONE}.")
    assert {k: r["Weight"] for k, r in records.items()} == {"us-east-1": 0, "us-west-2": 0, "eu-west-1": 100}
    assert records["eu-west-1"]["HealthCheckId"] == dns["checks"]["eu-west-1"]
    assert run(args)["changed"] is False

    # A standby name: every region but the target (the cdn role's origin-group secondary)
    away = {**args, "target_weight": 0, "other_weight": 100}
    moved = run(away)
    assert moved["changed"] is True and len(moved["change_batch"]) == 3, moved
    records = record_sets(aws, dns["zone_id"], f"www.{ZONE}.")
    assert {k: r["Weight"] for k, r in records.items()} == {"us-east-1": 100, "us-west-2": 100, "eu-west-1": 0}
    assert run(away)["changed"] is False


def test_also_moves_several_names_in_one_change_batch(run, aws, sim, dns):
    """The failover's name and the CDN's standby name move together: one change, one wait, both or neither."""
    args = {"hosted_zone": ZONE, "record_name": "www", "target_region": "eu-west-1", "poll_interval": 0.1,
            "also": [{"record_name": "api", "record_type": "CNAME", "target_weight": 0, "other_weight": 100,
                      "set_identifiers": {"us-east-1": "blue", "us-west-2": "green", "eu-west-1": "red"}}]}
    since = time.time()
    done = run(args, diff=True)
    assert done["changed"] is True and done["change_status"] == "INSYNC", done
    assert len(changes_sent(sim, since)) == 1 and len(done["change_batch"]) == 2 + 1  # www: two weights; api: green 0 -> 100
    assert {k: r["Weight"] for k, r in record_sets(aws, dns["zone_id"], f"www.{ZONE}.").items()} == {"us-east-1": 0, "us-west-2": 0, "eu-west-1": 100}
    assert {k: r["Weight"] for k, r in record_sets(aws, dns["zone_id"], f"api.{ZONE}.", "CNAME").items()} == {"blue": 100, "green": 100, "red": 0}
    [api] = done["also"]
    assert api["record_name"] == f"api.{ZONE}." and api["changed"] is True and api["after"]["red"]["weight"] == 0, api
    assert done["diff"]["before"][f"www.{ZONE}."]["us-east-1"]["weight"] == 100 and done["diff"]["after"][f"api.{ZONE}."]["blue"]["weight"] == 100
    since = time.time()
    again = run(args)
    assert again["changed"] is False and again["also"][0]["changed"] is False and changes_sent(sim, since) == []

    # A name that cannot be planned stops the whole batch: nothing moves.
    back = {**args, "target_region": "us-east-1", "also": [{"record_name": "nope", "target_weight": 0, "other_weight": 100}]}
    since = time.time()
    refused = run(back)
    assert refused.get("failed") and "record nope.example.com. A does not exist in hosted zone" in refused["msg"], refused
    assert changes_sent(sim, since) == []
    assert record_sets(aws, dns["zone_id"], f"www.{ZONE}.")["eu-west-1"]["Weight"] == 100


def test_weighted_cname_with_set_identifiers_map(run, aws, dns):
    args = {"hosted_zone": f"/hostedzone/{dns['zone_id']}", "record_name": "api", "record_type": "CNAME", "routing": "weighted",
            "target_region": "us-west-2", "set_identifiers": {"us-east-1": "blue", "us-west-2": "green", "eu-west-1": "red"},
            "poll_interval": 0.1}
    assert run(args)["changed"] is True
    records = record_sets(aws, dns["zone_id"], f"api.{ZONE}.", "CNAME")
    assert {k: r["Weight"] for k, r in records.items()} == {"blue": 0, "green": 100, "red": 0}
    assert run(args)["changed"] is False


def test_simple_record_created_switched_and_idempotent(run, aws, dns):
    albs = dns["albs"]
    args = {"hosted_zone": ZONE, "record_name": "edge", "routing": "simple", "target_region": "us-east-1", "poll_interval": 0.1,
            "targets": {"us-east-1": albs["us-east-1"], "eu-west-1": {**albs["eu-west-1"], "evaluate_target_health": True}}}
    created = run(args)
    assert created["changed"] is True and created["change_batch"][0]["Action"] == "UPSERT", created
    switched = run({**args, "target_region": "eu-west-1"}, diff=True)
    assert switched["changed"] is True
    assert switched["diff"]["after"]["simple"]["target"] == albs["eu-west-1"]["dns_name"].lower().rstrip(".") + "."
    record = record_sets(aws, dns["zone_id"], f"edge.{ZONE}.")["simple"]
    assert record["AliasTarget"]["EvaluateTargetHealth"] is True
    assert run({**args, "target_region": "eu-west-1"})["changed"] is False
    plain = {"hosted_zone": ZONE, "record_name": "static", "target_region": "us-west-2", "poll_interval": 0.1,
             "targets": {"us-west-2": {"value": ["198.51.100.7"], "ttl": 30}}}
    assert run(plain)["changed"] is True and run(plain)["changed"] is False


CHANGES = ("ChangeResourceRecordSets",)
BAD_INPUTS = [
    ({"hosted_zone": "nosuch.org"}, "hosted_zone='nosuch.org' has no public zone (private_zone=False); the hosted zones are: example.com."),
    ({"hosted_zone": "ZNOSUCHZONE"}, "hosted_zone='ZNOSUCHZONE' does not exist; the hosted zones are: example.com."),
    ({"private_zone": True}, "hosted_zone='example.com' has no private zone"),
    ({"record_name": "nope"}, "record nope.example.com. A does not exist in hosted zone"),
    ({"record_type": "AAAA"}, "record app.example.com. AAAA does not exist"),
    ({"target_region": "us-east-2"}, "no record set of app.example.com. A maps to target_region=us-east-2; the record sets are: "
                                     "primary (us-east-1, PRIMARY), secondary (us-west-2, SECONDARY)"),
    ({"target_region": "atlantis-1"}, "target_region='atlantis-1' is not an AWS region"),
    ({"routing": "weighted"}, "routing=weighted does not match the records of app.example.com. A: they use failover routing"),
    ({"targets": {"us-west-2": {"value": "192.0.2.9"}}}, "targets is for simple routing only"),
    ({"targets": {"us-west-2": {"dns_name": "x.example.net"}}}, "targets[us-west-2] has dns_name but no hosted_zone_id"),
    ({"set_identifiers": {"eu-west-1": "primary"}}, "set_identifiers has no entry for target_region=us-west-2"),
    ({"wait_timeout": -1}, "wait_timeout=-1 must be a number of 0 or more"),
    ({"target_weight": 256}, "target_weight=256 must be a Route 53 weight, 0 to 255"),
    ({"target_weight": 0, "other_weight": 0}, "target_weight and other_weight are both 0"),
    ({"also": [{"record_name": "www", "other_weight": 300}]}, "also[0].other_weight=300 must be a Route 53 weight, 0 to 255"),
    ({"also": [{"record_name": "www", "set_identifiers": {"mars-1": "x"}}]}, "also[0].set_identifiers has a key 'mars-1' that is not an AWS region"),
    ({"also": [{"record_name": "app"}]}, "also names a record twice (or the record_name itself): app A, app A"),
]


def test_bad_input_fails_early(playbook, tmp_path, aws, sim, dns):
    """Each bad input fails with a message naming the value and what is allowed, and sends no change.
    All cases run in one playbook (one ansible-playbook start instead of one per case)."""
    base = {"hosted_zone": ZONE, "record_name": "app", "target_region": "us-west-2"}
    tasks = [
        {"name": f"case {i}", "ignore_errors": True, "multiregion.dr.route53_switch": {**base, **case[0]}}
        for i, case in enumerate(BAD_INPUTS)
    ]
    path = tmp_path / "bad_inputs.yml"
    path.write_text(yaml.safe_dump([{"name": "bad inputs", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]))
    since = time.time()
    ran = playbook(str(path), inventory="localhost,", env={"ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    for i, (override, expected) in enumerate(BAD_INPUTS):
        result = ran.result(f"case {i}")
        assert result.get("failed") is True, (override, result)
        assert expected in result["msg"], (override, result["msg"])
    assert [e for e in sim.log(since) if e["action"] in CHANGES] == []
    assert record_sets(aws, dns["zone_id"], f"app.{ZONE}.")["primary"]["Failover"] == "PRIMARY"


def test_switch_during_regional_outages(run, aws, sim, dns):
    sim.outage("us-east-1")
    sim.outage("us-west-2", mode="timeout")
    result = run({"hosted_zone": ZONE, "record_name": "www", "target_region": "eu-west-1", "poll_interval": 0.1})
    assert result["changed"] is True and result["change_status"] == "INSYNC", result
    assert record_sets(aws, dns["zone_id"], f"www.{ZONE}.")["eu-west-1"]["Weight"] == 100


def test_throttling_is_retried(run, aws, sim, dns):
    sim.fault("throttle", probability=0.3, service="route53")
    sim.fault("throttle", probability=1.0, service="route53", action="ChangeResourceRecordSets", count=1)
    result = run({"hosted_zone": ZONE, "record_name": "app", "target_region": "us-west-2", "poll_interval": 0.1})
    assert result["changed"] is True, result
    sim.clear_faults()
    assert record_sets(aws, dns["zone_id"], f"app.{ZONE}.")["secondary"]["Failover"] == "PRIMARY"
    throttled = [e["action"] for e in sim.log() if e.get("fault") == "throttle"]
    assert "ChangeResourceRecordSets" in throttled, throttled


def test_latency_model_pending_insync_timeout_and_rerun(run, aws, sim, dns):
    sim.latency(True, scale=0.1)  # a change is INSYNC after 30 s x 0.1 = 3 s
    args = {"hosted_zone": ZONE, "record_name": "app", "target_region": "us-west-2", "poll_interval": 0.2}
    sim.hold_clock()  # the change stays PENDING however slow the machine: the short wait must time out
    short = run({**args, "wait_timeout": 1})
    sim.release_clock()
    assert short.get("failed") is True, short
    assert "timed out after 1 s" in short["msg"] and "rerun" in short["msg"] and short["statuses"] == ["PENDING"]
    assert short["change_id"].startswith("/change/")

    rerun = run({**args, "wait_timeout": 60})
    assert rerun.get("failed") is not True and rerun["changed"] is False, rerun

    back = run({**args, "target_region": "us-east-1", "wait_timeout": 60})
    assert back["changed"] is True and back["statuses"] == ["PENDING", "INSYNC"], back
    assert back["seconds_to_insync"] >= 2.5
    assert record_sets(aws, dns["zone_id"], f"app.{ZONE}.")["primary"]["Failover"] == "PRIMARY"
