"""The simulator's own behaviour: outages, faults, request log, control API."""

import botocore.exceptions
import pytest

from regionsim.control import SimError


def test_outage_drops_region_but_not_others_or_global(sim, client):
    sim.outage("us-east-1")
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)):
        client("rds", "us-east-1", retries=0).describe_db_instances()
    assert client("rds", "eu-west-1").describe_db_instances()["DBInstances"] == []
    # global services answer whatever region the client signs for
    assert "HostedZones" in client("route53", "us-east-1").list_hosted_zones()
    assert sim.status()["regions"]["us-east-1"] == "down"
    sim.restore("us-east-1")
    assert client("rds", "us-east-1").describe_db_instances()["DBInstances"] == []
    assert sim.status()["regions"]["us-east-1"] == "up"


def test_control_plane_outage_takes_route53_and_cloudfront_apis_down_but_not_health_checks(sim, client):
    """regionsim outage us-east-1 --control-planes: the Route 53 and CloudFront APIs (homed in us-east-1) fail
    from every region as an unreachable endpoint does, while the health checkers keep judging endpoints."""
    r53 = client("route53", "eu-west-1")
    check = r53.create_health_check(CallerReference="cp", HealthCheckConfig={
        "Type": "HTTP", "Port": 80, "ResourcePath": "/health", "FullyQualifiedDomainName": "web-1.eu-west-1.elb.amazonaws.com",
        "RequestInterval": 10, "FailureThreshold": 3})["HealthCheck"]["Id"]
    sim.call("POST", "outage", {"region": "us-east-1", "mode": "drop", "control_planes": True})
    assert sim.status()["outages"]["us-east-1"]["control_planes"] is True
    unreachable = (botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)
    for region in ("us-east-1", "eu-west-1"):
        with pytest.raises(unreachable):
            client("route53", region, retries=0).list_hosted_zones()
        with pytest.raises(unreachable):
            client("cloudfront", region, retries=0).list_distributions()
    # other global services and other regions answer
    assert client("iam", "eu-west-1").list_roles()["Roles"] == []
    assert client("rds", "eu-west-1").describe_db_instances()["DBInstances"] == []
    # the data plane keeps judging: the eu-west-1 endpoint is healthy, seen once the API is back
    from regionsim.patches import route53 as r53_patch
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends
    backend = route53_backends[DEFAULT_ACCOUNT_ID]["global"]
    assert r53_patch.is_healthy(DEFAULT_ACCOUNT_ID, backend.get_health_check(check)) is True
    # a plain outage leaves the control planes up
    sim.restore("us-east-1")
    sim.outage("us-east-1")
    assert "HostedZones" in client("route53", "eu-west-1").list_hosted_zones()
    sim.restore("us-east-1")


def test_outage_503_mode_is_a_server_error_not_a_parse_error(sim, client):
    sim.outage("eu-west-1", mode="503")
    for service, call in (("rds", "describe_db_instances"), ("ec2", "describe_vpcs"), ("kms", "list_keys"), ("cloudwatch", "list_metrics")):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            getattr(client(service, "eu-west-1", retries=0), call)()
        assert err.value.response["Error"]["Code"] == "ServiceUnavailable", service
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_unknown_region_is_refused_by_name(sim):
    with pytest.raises(SimError, match="unknown region 'us-esat-1'; AWS regions are: .*eu-west-1"):
        sim.outage("us-esat-1")


@pytest.mark.parametrize(
    "service,call,code",
    [
        ("rds", "describe_db_instances", "Throttling"),
        ("ec2", "describe_vpcs", "RequestLimitExceeded"),
        ("kms", "list_keys", "ThrottlingException"),
        ("dynamodb", "list_tables", "ThrottlingException"),
        ("cloudwatch", "list_metrics", "Throttling"),
        ("route53", "list_hosted_zones", "Throttling"),
        ("elasticache", "describe_replication_groups", "Throttling"),
    ],
)
def test_throttling_in_each_protocol(sim, client, service, call, code):
    sim.fault("throttle", probability=1.0, service=service)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        getattr(client(service, "us-west-2", retries=0), call)()
    assert err.value.response["Error"]["Code"] == code


def test_fault_scope_by_region_action_and_count(sim, client):
    sim.fault("throttle", region="us-west-2", action="DescribeDBInstances", count=1)
    rds_east = client("rds", "us-east-1", retries=0)
    rds_west = client("rds", "us-west-2", retries=0)
    rds_east.describe_db_instances()  # other region: untouched
    rds_west.describe_db_subnet_groups()  # other action: untouched
    with pytest.raises(botocore.exceptions.ClientError):
        rds_west.describe_db_instances()
    rds_west.describe_db_instances()  # count exhausted
    assert sim.status()["faults"][0]["hits"] == 1


def test_error_and_latency_faults(sim, client):
    sim.fault("error", service="sns", code="InternalFailure")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("sns", "us-east-1", retries=0).list_topics()
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    sim.call("DELETE", "faults")
    sim.fault("latency", service="sqs", delay_ms=300)
    client("sqs", "us-east-1").list_queues()
    entry = [e for e in sim.log() if e["service"] == "sqs"][-1]
    assert entry["ms"] >= 300


def test_request_log_names_region_service_action_status(sim, client):
    client("ec2", "eu-west-1").describe_vpcs()
    client("route53", "us-east-1").list_hosted_zones()
    client("dynamodb", "us-west-2").list_tables()
    client("cloudwatch", "us-west-2").list_metrics()
    seen = {(e["region"], e["service"], e["action"], e["status"]) for e in sim.log()}
    assert ("eu-west-1", "ec2", "DescribeVpcs", 200) in seen
    assert ("us-east-1", "route53", "ListHostedZones", 200) in seen
    assert ("us-west-2", "dynamodb", "ListTables", 200) in seen
    assert ("us-west-2", "cloudwatch", "ListMetrics", 200) in seen


def test_reset_forgets_resources(sim, client):
    ec2 = client("ec2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    sim.reset()
    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]


def test_held_clock_applies_status_changes_only_when_stepped(sim, client):
    with pytest.raises(SimError, match="hold it before stepping"):
        sim.step_clock()
    with pytest.raises(SimError, match="'pause'.*allowed: hold, step, release"):
        sim.call("POST", "clock", {"action": "pause"})

    r53 = client("route53")
    zone_id = r53.create_hosted_zone(Name="clock.example.com", CallerReference="clock")["HostedZone"]["Id"]

    def change(value):
        batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "a.clock.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}}]}
        return r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]["Id"]

    def status(change_id):
        return r53.get_change(Id=change_id)["ChangeInfo"]["Status"]

    sim.latency(True, scale=1.0)  # INSYNC 30 s after the change, unless stepped
    assert sim.hold_clock()["held"] is True
    first = change("10.0.0.1")
    assert status(first) == "PENDING"
    assert (sim.status()["clock_held"], sim.status()["timeline_pending"]) == (True, 1)
    assert sim.step_clock() == {"held": True, "applied": 1, "pending": 0}
    assert status(first) == "INSYNC"
    assert sim.step_clock()["applied"] == 0  # nothing left to apply

    change("10.0.0.2")
    sim.reset()  # forgets the pending change and lets the clock run again
    assert (sim.status()["clock_held"], sim.status()["timeline_pending"]) == (False, 0)

    sim.latency(True, scale=0.001)
    sim.hold_clock()
    r53 = client("route53")
    zone_id = r53.create_hosted_zone(Name="clock.example.com", CallerReference="clock-2")["HostedZone"]["Id"]
    third = change("10.0.0.3")
    assert status(third) == "PENDING"  # overdue after 30 ms, but held
    assert sim.release_clock()["held"] is False
    waited = 0
    while status(third) != "INSYNC":  # applied by the running clock: wait on the state, not a fixed time
        waited += 1
        assert waited < 1000, "a released clock never applied the overdue change"
