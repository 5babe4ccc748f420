"""Route 53 behaves as in AWS: change batches are atomic and reject duplicates, record
listings paginate, changes go PENDING then INSYNC, health checks see region outages."""

import time

import pytest
from botocore.exceptions import ClientError

from regionsim.control import SimError

AMI = "ami-03cf127a"  # one of the AMIs moto ships (listing them all takes seconds)


def _zone(client, name="dr.example.com"):
    r53 = client("route53")
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=str(time.time()))["HostedZone"]["Id"]
    return r53, zone_id


def _change(action, name, value, ttl=60, **extra):
    record = {"Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": value}], **extra}
    return {"Action": action, "ResourceRecordSet": record}


def _records(r53, zone_id):
    sets = []
    for page in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        sets += page["ResourceRecordSets"]
    return sets


def test_create_of_existing_record_is_rejected_and_batches_are_atomic(client):
    r53, zone_id = _zone(client)
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", "app.dr.example.com", "10.0.0.1")]})
    for value in ("10.0.0.1", "10.0.0.2"):
        with pytest.raises(ClientError) as err:
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", "app.dr.example.com.", value)]})
        assert err.value.response["Error"]["Code"] == "InvalidChangeBatch"
        assert "Tried to create resource record set [name='app.dr.example.com.', type='A'] but it already exists" in str(err.value)
    # a batch with one bad change applies nothing
    with pytest.raises(ClientError):
        r53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [_change("CREATE", "new.dr.example.com", "10.0.0.3"), _change("CREATE", "app.dr.example.com", "10.0.0.4")]},
        )
    names = [(r["Name"], r["Type"]) for r in _records(r53, zone_id)]
    assert names.count(("app.dr.example.com.", "A")) == 1
    assert ("new.dr.example.com.", "A") not in names
    # UPSERT replaces in place
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("UPSERT", "app.dr.example.com", "10.0.0.9")]})
    app = [r for r in _records(r53, zone_id) if r["Name"] == "app.dr.example.com."]
    assert [r["ResourceRecords"] for r in app] == [[{"Value": "10.0.0.9"}]]


def test_delete_must_match_and_only_removes_its_own_set(client):
    r53, zone_id = _zone(client)
    failover = [
        _change("CREATE", "api.dr.example.com", "10.0.0.1", SetIdentifier="primary", Failover="PRIMARY"),
        _change("CREATE", "api.dr.example.com", "10.1.0.1", SetIdentifier="secondary", Failover="SECONDARY"),
        _change("CREATE", "web.dr.example.com", "10.2.0.1", SetIdentifier="primary", Failover="PRIMARY"),
    ]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": failover})
    with pytest.raises(ClientError) as err:
        r53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [_change("DELETE", "api.dr.example.com", "10.9.9.9", SetIdentifier="primary", Failover="PRIMARY")]},
        )
    assert "do not match the current values" in str(err.value)
    with pytest.raises(ClientError) as err:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("DELETE", "gone.dr.example.com", "10.0.0.1")]})
    assert err.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert "but it was not found" in str(err.value)
    r53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [_change("DELETE", "api.dr.example.com", "10.0.0.1", SetIdentifier="primary", Failover="PRIMARY")]},
    )
    left = {(r["Name"], r.get("SetIdentifier")) for r in _records(r53, zone_id) if r["Type"] == "A"}
    assert left == {("api.dr.example.com.", "secondary"), ("web.dr.example.com.", "primary")}


def test_list_resource_record_sets_paginates_over_set_identifiers(client):
    r53, zone_id = _zone(client)
    changes = [
        _change("CREATE", "w.dr.example.com", f"10.0.0.{i}", SetIdentifier=f"w{i:02d}", Weight=i) for i in range(7)
    ] + [_change("CREATE", f"h{i}.dr.example.com", f"10.1.0.{i}") for i in range(3)]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    pages = list(r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id, PaginationConfig={"PageSize": 3}))
    seen = [(r["Name"], r["Type"], r.get("SetIdentifier")) for p in pages for r in p["ResourceRecordSets"]]
    assert len(seen) == len(set(seen)) == 12  # NS + SOA + 10
    assert len(pages) == 4
    assert any("NextRecordIdentifier" in p for p in pages)
    first = r53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="3")
    nxt = r53.list_resource_record_sets(
        HostedZoneId=zone_id,
        StartRecordName=first["NextRecordName"],
        StartRecordType=first["NextRecordType"],
        **({"StartRecordIdentifier": first["NextRecordIdentifier"]} if "NextRecordIdentifier" in first else {}),
        MaxItems="3",
    )
    assert not {r["Name"] + r.get("SetIdentifier", "") for r in first["ResourceRecordSets"]} & {
        r["Name"] + r.get("SetIdentifier", "") for r in nxt["ResourceRecordSets"]
    }


def test_change_is_insync_at_once_without_latency_model(client):
    r53, zone_id = _zone(client)
    info = r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", "a.dr.example.com", "10.0.0.1")]})["ChangeInfo"]
    assert info["Status"] == "INSYNC"
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    with pytest.raises(ClientError) as err:
        r53.get_change(Id="C0000000000000000000Z")
    assert err.value.response["Error"]["Code"] == "NoSuchChange"


def test_change_goes_pending_then_insync_with_latency_model(sim, client, walk):
    r53, zone_id = _zone(client)
    sim.latency(True, 0.02)
    info = r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", "a.dr.example.com", "10.0.0.1")]})["ChangeInfo"]
    assert info["Status"] == "PENDING"
    # the record itself is listed at once, as in AWS
    assert "a.dr.example.com." in [r["Name"] for r in _records(r53, zone_id)]
    assert walk(lambda: r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"]) == ["PENDING", "INSYNC"]
    r53.get_waiter("resource_record_sets_changed").wait(Id=info["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def _alb_dns(client, region):
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    lb = client("elbv2", region).create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    return lb["DNSName"]


def _health_check(r53, fqdn=None, ip=None, **config):
    config = {"Type": "HTTP", "Port": 80, "ResourcePath": "/health", "RequestInterval": 10, "FailureThreshold": 3, **config}
    if fqdn:
        config["FullyQualifiedDomainName"] = fqdn
    if ip:
        config["IPAddress"] = ip
    return r53.create_health_check(CallerReference=str(time.time()), HealthCheckConfig=config)["HealthCheck"]["Id"]


def _statuses(r53, hc_id):
    observations = r53.get_health_check_status(HealthCheckId=hc_id)["HealthCheckObservations"]
    return {o["Region"]: o["StatusReport"]["Status"] for o in observations}


def test_health_check_fails_from_every_checker_while_endpoint_region_is_out(sim, client):
    dns = _alb_dns(client, "us-east-1")
    assert "us-east-1" in dns.split(".")
    r53 = client("route53", "us-east-1")
    east = _health_check(r53, fqdn=dns)
    west = _health_check(r53, fqdn="web-1.eu-west-1.elb.amazonaws.com")
    other_form = _health_check(r53, fqdn="internal-web-1.elb.us-east-1.amazonaws.com", Type="TCP")
    only_two = _health_check(r53, fqdn=dns, Regions=["us-west-2", "eu-west-1", "ap-southeast-1"])
    assert all(s.startswith("Success: HTTP Status Code 200") for s in _statuses(r53, east).values())

    sim.outage("us-east-1")
    statuses = _statuses(r53, east)  # Route 53 answers while us-east-1 is out: it is global
    assert len(statuses) == 8 and all(s.startswith("Failure: Connection timed out") for s in statuses.values())
    assert all(s.startswith("Failure") for s in _statuses(r53, other_form).values())
    assert set(_statuses(r53, only_two)) == {"us-west-2", "eu-west-1", "ap-southeast-1"}
    assert all(s.startswith("Success") for s in _statuses(r53, west).values())

    sim.restore("us-east-1")
    assert all(s.startswith("Success") for s in _statuses(r53, east).values())


def test_a_partition_fails_only_the_checkers_it_cuts_off_until_the_region_is_restored(sim, client):
    dns = _alb_dns(client, "us-east-1")
    r53 = client("route53", "us-east-1")
    east = _health_check(r53, fqdn=dns)
    west = _health_check(r53, fqdn="web-1.eu-west-1.elb.amazonaws.com")
    three = _health_check(r53, fqdn=dns, Regions=["us-west-2", "eu-west-1", "ap-southeast-1"])

    sim.partition("sa-east-1", "us-east-1")
    statuses = _statuses(r53, east)
    assert statuses.pop("sa-east-1").startswith("Failure: Connection timed out")
    assert len(statuses) == 7 and all(s.startswith("Success") for s in statuses.values()), statuses
    assert all(s.startswith("Success") for s in _statuses(r53, west).values())  # another region: not cut off
    assert all(s.startswith("Success") for s in _statuses(r53, three).values())  # sa-east-1 does not check it

    sim.partition("us-west-2", "us-east-1")
    sim.partition("eu-west-1", "us-east-1")
    assert {r: s.split(":")[0] for r, s in _statuses(r53, three).items()} == {
        "us-west-2": "Failure", "eu-west-1": "Failure", "ap-southeast-1": "Success"}

    with pytest.raises(SimError, match="not a Route 53 health checker region"):
        sim.partition("mars-1", "us-east-1")
    assert [p["checker"] for p in sim.status()["partitions"]] == ["eu-west-1", "sa-east-1", "us-west-2"]
    sim.restore("us-east-1")
    assert sim.status()["partitions"] == []
    assert all(s.startswith("Success") for s in _statuses(r53, east).values())


def test_health_check_on_a_port_or_protocol_the_load_balancer_does_not_serve_fails(sim, client):
    """An ALB listening on HTTP :80 only: Route 53 cannot reach it on HTTPS :443 (or HTTP :8080)."""
    dns = _alb_dns(client, "us-west-2")
    elbv2 = client("elbv2", "us-west-2")
    lb_arn = elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["LoadBalancerArn"]
    r53 = client("route53", "us-east-1")
    https = _health_check(r53, fqdn=dns, Type="HTTPS", Port=443)
    assert all(s.startswith("Success") for s in _statuses(r53, https).values())  # no listener yet: not judged
    elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    http = _health_check(r53, fqdn=dns)
    other_port = _health_check(r53, fqdn=dns, Port=8080)
    tcp = _health_check(r53, fqdn=dns, Type="TCP", Port=80)
    assert all(s.startswith("Failure: Connection timed out") for s in _statuses(r53, https).values())
    assert all(s.startswith("Failure") for s in _statuses(r53, other_port).values())
    assert all(s.startswith("Success: HTTP Status Code 200") for s in _statuses(r53, http).values())
    assert all(s.startswith("Success: TCP connection established") for s in _statuses(r53, tcp).values())


def test_health_check_on_ip_address_of_an_instance_in_the_region(sim, client):
    ec2 = client("ec2", "us-west-2")
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]
    ip = instance.get("PublicIpAddress") or instance["PrivateIpAddress"]
    r53 = client("route53")
    hc = _health_check(r53, ip=ip)
    other = _health_check(r53, ip="192.0.2.10")
    sim.outage("us-west-2")
    assert all(s.startswith("Failure") for s in _statuses(r53, hc).values())
    assert all(s.startswith("Success") for s in _statuses(r53, other).values())


def test_disabled_is_healthy_and_inverted_flips(sim, client):
    r53 = client("route53")
    fqdn = "web-1.us-east-1.elb.amazonaws.com"
    disabled = _health_check(r53, fqdn=fqdn, Disabled=True)
    inverted = _health_check(r53, fqdn=fqdn, Inverted=True)
    assert all(s.startswith("Failure") for s in _statuses(r53, inverted).values())
    sim.outage("us-east-1", mode="503")
    assert all(s.startswith("Success") for s in _statuses(r53, disabled).values())
    assert all(s.startswith("Success") for s in _statuses(r53, inverted).values())
    r53.update_health_check(HealthCheckId=disabled, Disabled=False)
    assert all(s.startswith("Failure") for s in _statuses(r53, disabled).values())


def test_health_check_failure_shows_after_one_request_interval_with_latency_model(sim, client):
    r53 = client("route53")
    hc = _health_check(r53, fqdn="web-1.us-east-1.elb.amazonaws.com", RequestInterval=30)
    # next check 30 s * 0.1 = 3 s after the outage began: the first status read comes well before
    # that even on a busy machine (health checks run on the wall clock, not on the held one)
    sim.latency(True, 0.1)
    sim.outage("us-east-1")
    seen = []
    deadline = time.time() + 20
    while time.time() < deadline:
        status = _statuses(r53, hc)["us-east-1"]
        seen.append(status.split(":")[0])
        if status.startswith("Failure"):
            break
        time.sleep(0.05)
    assert seen[0] == "Success" and seen[-1] == "Failure"
