"""The dns, monitoring and app_config roles applied to the three regions of inventories/local;
AWS state checked through boto3. The asg/rds/redis outputs they read are stood in by facts."""

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
INVENTORY = str(ROOT / "inventories" / "local")
ZONE = "shop.example.com"
RECORD = "api.shop.example.com"
STANDBY = "standby.api.shop.example.com"
HOME = "us-east-1"


def make_albs(aws):
    """An ALB per region (what the asg role leaves), as {region: {arn, dns_name, zone_id}}."""
    albs = {}
    for i, region in enumerate(REGIONS):
        ec2 = aws("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{i + 1}0.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{i + 1}0.{n}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for n, zone in enumerate(zones)
        ]
        alb = aws("elbv2", region).create_load_balancer(Name="shop-alb", Subnets=subnets)["LoadBalancers"][0]
        albs[region] = {"arn": alb["LoadBalancerArn"], "dns_name": alb["DNSName"], "zone_id": alb["CanonicalHostedZoneId"]}
    return albs


def stand_ins(albs=None):
    """Per region: the facts the asg, rds and redis roles set earlier in provision.yml."""
    return {
        region: {
            "asg_alb_arn": albs[region]["arn"] if albs else "",
            "asg_alb_dns_name": albs[region]["dns_name"] if albs else "",
            "asg_alb_zone_id": albs[region]["zone_id"] if albs else "",
            "rds_endpoint": f"shop-db.c0ffee.{region}.rds.amazonaws.com" if albs else "",
            "redis_primary_endpoint": f"master.shop-redis.c0ffee.{region}.cache.amazonaws.com" if albs else None,
        }
        for region in REGIONS
    }


def write_playbook(tmp_path, roles=("dns", "monitoring", "app_config")):
    plays = [
        {
            "name": "Outputs of the roles that run before (asg, rds, redis)",
            "hosts": "regions",
            "gather_facts": False,
            "tasks": [{"name": "Stand-in facts", "ansible.builtin.set_fact": {
                key: f"{{{{ stand_ins[inventory_hostname].{key} }}}}" for key in stand_ins()[REGIONS[0]]}}],
        },
        {
            "name": "Roles under test",
            "hosts": "regions",
            "gather_facts": False,
            "module_defaults": {"group/multiregion.dr.aws": "{{ aws_defaults }}"},
            "roles": [f"multiregion.dr.{role}" for role in roles],
        },
    ]
    path = tmp_path / f"play_{'_'.join(roles)}.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return str(path)


def run(playbook, path, facts, check=False, **extravars):
    return playbook(path, extravars={"stand_ins": facts, **extravars}, check=check, inventory=INVENTORY)


def failed_messages(result):
    """Messages of the failed tasks (and failed loop items), with the task name."""
    messages = []
    for play in result.data["plays"]:
        for task in play["tasks"]:
            for host_result in task["hosts"].values():
                if host_result.get("failed"):
                    items = [item.get("msg", "") for item in host_result.get("results", []) if item.get("failed")]
                    messages.append(f"{task['task']['name']}: {host_result.get('msg', '')} {' '.join(items)}")
    return messages


def zone_id(aws):
    zones = [z for z in aws("route53").list_hosted_zones()["HostedZones"] if z["Name"] == ZONE + "."]
    assert len(zones) == 1, zones
    return zones[0]["Id"].split("/")[-1]


def records(aws, name):
    sets = aws("route53").list_resource_record_sets(HostedZoneId=zone_id(aws))["ResourceRecordSets"]
    return [r for r in sets if r["Name"] == name + "." and r["Type"] == "A"]


def health_checks(aws):
    checks = {}
    route53 = aws("route53")
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]["Tags"]
        tags = {t["Key"]: t["Value"] for t in tags}
        checks[tags["Region"]] = (check, tags)
    return checks


def provisioned_albs(aws):
    """The ALB of each region of the provisioned stack, as make_albs() gives them."""
    albs = {}
    for region in REGIONS:
        alb = aws("elbv2", region).describe_load_balancers()["LoadBalancers"][0]
        albs[region] = {"arn": alb["LoadBalancerArn"], "dns_name": alb["DNSName"], "zone_id": alb["CanonicalHostedZoneId"]}
    return albs


def stand_in_parameters(region):
    """The region's SSM configuration the stand-in facts give."""
    return {
        "/shop/config/active_region": (HOME, "String"),
        "/shop/config/write_endpoint": (f"shop-db.c0ffee.{HOME}.rds.amazonaws.com", "String"),
        "/shop/config/read_endpoints": (f"shop-db.c0ffee.{region}.rds.amazonaws.com", "StringList"),
        "/shop/config/redis_endpoint": (f"master.shop-redis.c0ffee.{HOME}.cache.amazonaws.com", "String"),
        "/shop/config/region": (region, "String"),
    }


def check_provisioned(aws, albs, parameters=stand_in_parameters):
    # Health checks: one per region on its ALB, with the seed design's settings.
    checks = health_checks(aws)
    assert sorted(checks) == sorted(REGIONS)
    for region, (check, tags) in checks.items():
        config = check["HealthCheckConfig"]
        assert config["FullyQualifiedDomainName"] == albs[region]["dns_name"]
        # no asg_certificate_arn: the check follows the ALB's HTTP :80 listener
        assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTP", 80, "/health")
        assert (config["FailureThreshold"], config["RequestInterval"]) == (3, 30)
        assert tags == {"Name": f"shop-{region}", "Region": region, "Application": "shop", "ManagedBy": "multiregion.dr"}

    # active_passive: weighted alias records, SetIdentifier = region, 100 on the home region.
    sets = {r["SetIdentifier"]: r for r in records(aws, RECORD)}
    assert sorted(sets) == sorted(REGIONS)
    for region, record in sets.items():
        assert record["Weight"] == (100 if region == HOME else 0)
        assert record["AliasTarget"]["DNSName"].rstrip(".") == albs[region]["dns_name"].lower()
        assert record["AliasTarget"]["HostedZoneId"] == albs[region]["zone_id"]
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        assert record["HealthCheckId"] == checks[region][0]["Id"]
        assert "Failover" not in record and "Region" not in record
    # the standby name (the CDN's secondary): the other way round, every region but the active one
    standby = {r["SetIdentifier"]: r for r in records(aws, STANDBY)}
    assert {region: record["Weight"] for region, record in standby.items()} == {r: (0 if r == HOME else 100) for r in REGIONS}
    for region, record in standby.items():
        assert record["AliasTarget"]["DNSName"].rstrip(".") == albs[region]["dns_name"].lower()
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        assert record["HealthCheckId"] == checks[region][0]["Id"]
    for region in REGIONS:
        (direct,) = records(aws, f"{region}.{RECORD}")
        assert direct["AliasTarget"]["DNSName"].rstrip(".") == albs[region]["dns_name"].lower()

    for region in REGIONS:
        # SNS topic with the e-mail subscription, in every region.
        sns = aws("sns", region)
        (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":shop-dr-alerts")]
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "oncall@shop.example.com")]

        # Replication alarms in the replica regions only, notifying the region's topic.
        alarms = {a["AlarmName"]: a for a in aws("cloudwatch", region).describe_alarms()["MetricAlarms"]}
        lag_alarms = {"shop-replica-lag", "shop-replication-stopped"}
        if region == HOME:
            assert not lag_alarms & set(alarms)
        else:
            lag = alarms["shop-replica-lag"]
            assert (lag["Namespace"], lag["MetricName"], lag["Statistic"]) == ("AWS/RDS", "ReplicaLag", "Maximum")
            assert (lag["ComparisonOperator"], lag["Threshold"]) == ("GreaterThanThreshold", 300.0)
            assert lag["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "shop-db"}]
            assert lag["AlarmActions"] == [topic]
            stopped = alarms["shop-replication-stopped"]
            assert (stopped["ComparisonOperator"], stopped["Threshold"]) == ("LessThanThreshold", 0.0)

        # SSM parameters of the region.
        params = aws("ssm", region).get_parameters_by_path(Path="/shop/config/")["Parameters"]
        assert {p["Name"]: (p["Value"], p["Type"]) for p in params} == parameters(region)

    # Route 53 health check alarms: in us-east-1, one per region, on that region's health check.
    alarms = {a["AlarmName"]: a for a in aws("cloudwatch", "us-east-1").describe_alarms()["MetricAlarms"]}
    for region in REGIONS:
        alarm = alarms[f"shop-health-{region}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "AWS/Route53", "HealthCheckStatus", "LessThanThreshold", 1.0)
        assert alarm["Dimensions"] == [{"Name": "HealthCheckId", "Value": checks[region][0]["Id"]}]
        assert alarm["AlarmActions"][0].startswith("arn:aws:sns:us-east-1:")

    # The dashboard: in the home region only, a line per region.
    assert [d["DashboardName"] for d in aws("cloudwatch", "us-west-2").list_dashboards()["DashboardEntries"]] == []
    body = json.loads(aws("cloudwatch", HOME).get_dashboard(DashboardName="shop-dr")["DashboardBody"])
    widgets = {w["properties"]["title"].split(" (")[0]: w["properties"] for w in body["widgets"]}
    requests = widgets["Requests by region"]["metrics"]
    assert [(m[1], m[3], m[4]["region"]) for m in requests] == [
        ("RequestCount", albs[r]["arn"].split(":loadbalancer/")[1], r) for r in REGIONS]
    assert [m[1] for m in widgets["Target response time by region"]["metrics"]] == ["TargetResponseTime"] * 3
    assert [m[4]["region"] for m in widgets["Database replication lag"]["metrics"]] == [r for r in REGIONS if r != HOME]
    assert [m[3] for m in widgets["Route 53 health checks"]["metrics"]] == [checks[r][0]["Id"] for r in REGIONS]


def test_the_provisioned_stack(provisioned, aws):
    """What the three roles made in provision.yml (test_provision.py runs its rerun and check mode), in detail."""
    # endpoints as host:port (the data plane serves each server on a port of its own)
    endpoints = {region: aws("rds", region).describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]["Endpoint"]
                 for region in REGIONS}
    db = {region: f"{e['Address']}:{e['Port']}" for region, e in endpoints.items()}
    redis = aws("elasticache", HOME).describe_replication_groups(ReplicationGroupId="shop-redis")["ReplicationGroups"][0]
    primary = redis["NodeGroups"][0]["PrimaryEndpoint"]
    bucket_prefix = "shop-data-" + ZONE.replace(".", "-")

    def parameters(region):
        return {
            "/shop/config/active_region": (HOME, "String"),
            "/shop/config/write_endpoint": (db[HOME], "String"),
            "/shop/config/read_endpoints": (db[region], "StringList"),
            "/shop/config/redis_endpoint": (f"{primary['Address']}:{primary['Port']}", "String"),
            "/shop/config/region": (region, "String"),
            "/shop/config/bucket": (f"{bucket_prefix}-{region}", "String"),
        }

    check_provisioned(aws, provisioned_albs(aws), parameters)


@pytest.mark.slow(40)
def test_failover_rerun_keeps_dns_and_moves_config(provisioned, playbook, module, aws, tmp_path):
    albs = provisioned_albs(aws)
    path = write_playbook(tmp_path)

    # route53_switch moves the weight to eu-west-1; provisioning again must not move it back.
    switched = module("route53_switch", {"hosted_zone": ZONE, "record_name": RECORD, "target_region": "eu-west-1", "region": HOME})
    assert switched.get("failed") is not True and switched["changed"] is True, switched
    again = run(playbook, path, stand_ins(albs), app_config_active_region="eu-west-1",
                monitoring_db_primary_region="eu-west-1")
    assert again.rc == 0, failed_messages(again)
    assert {r["SetIdentifier"]: r["Weight"] for r in records(aws, RECORD)} == {"us-east-1": 0, "us-west-2": 0, "eu-west-1": 100}
    # the standby name follows the active region: every region but eu-west-1
    assert {r["SetIdentifier"]: r["Weight"] for r in records(aws, STANDBY)} == {"us-east-1": 100, "us-west-2": 100, "eu-west-1": 0}
    for region in REGIONS:
        ssm = aws("ssm", region)
        assert ssm.get_parameter(Name="/shop/config/active_region")["Parameter"]["Value"] == "eu-west-1"
        assert ssm.get_parameter(Name="/shop/config/write_endpoint")["Parameter"]["Value"] == "shop-db.c0ffee.eu-west-1.rds.amazonaws.com"
        alarms = {a["AlarmName"] for a in aws("cloudwatch", region).describe_alarms()["MetricAlarms"]}
        assert ("shop-replica-lag" in alarms) == (region != "eu-west-1"), (region, alarms)

    # app_config alone is what a failover applies: one SSM write per region and parameter that changed.
    config_only = write_playbook(tmp_path, roles=("app_config",))
    back = run(playbook, config_only, stand_ins(albs), app_config_active_region="us-west-2",
               app_config_write_endpoint="shop-db.c0ffee.us-west-2.rds.amazonaws.com")
    assert back.rc == 0, failed_messages(back)
    assert aws("ssm", "eu-west-1").get_parameter(Name="/shop/config/active_region")["Parameter"]["Value"] == "us-west-2"
    assert run(playbook, config_only, stand_ins(albs), app_config_active_region="us-west-2",
               app_config_write_endpoint="shop-db.c0ffee.us-west-2.rds.amazonaws.com").changed() == 0


def test_active_active_gets_latency_records(playbook, aws, tmp_path):
    albs = make_albs(aws)
    result = run(playbook, write_playbook(tmp_path, roles=("dns",)), stand_ins(albs), dr_strategy="active_active")
    assert result.rc == 0, failed_messages(result)
    checks = health_checks(aws)
    sets = {r["SetIdentifier"]: r for r in records(aws, RECORD)}
    assert {region: record.get("Region") for region, record in sets.items()} == {r: r for r in REGIONS}
    assert all("Weight" not in record and record["HealthCheckId"] == checks[region][0]["Id"] for region, record in sets.items())
    # the standby name stays weighted: every region but the home one (the CDN's primary)
    assert {r["SetIdentifier"]: r["Weight"] for r in records(aws, STANDBY)} == {r: (0 if r == HOME else 100) for r in REGIONS}


def test_check_mode_on_empty_account(playbook, aws, tmp_path):
    # In check mode on an empty account the roles before have created nothing: their outputs are empty.
    result = run(playbook, write_playbook(tmp_path), stand_ins(), check=True)
    assert result.rc == 0, failed_messages(result) or result.stderr
    assert result.changed() > 0, "check mode on an empty account reports nothing to do"
    assert aws("route53").list_hosted_zones()["HostedZones"] == []
    assert aws("route53").list_health_checks()["HealthChecks"] == []
    for region in REGIONS:
        assert aws("sns", region).list_topics()["Topics"] == []
        assert aws("cloudwatch", region).describe_alarms()["MetricAlarms"] == []
        assert aws("ssm", region).get_parameters_by_path(Path="/shop/")["Parameters"] == []


@pytest.mark.parametrize(
    "roles, extravars, words",
    [
        (("dns", "monitoring", "app_config"), {"dr_strategy": "active_maybe"}, ["dns_strategy", "active_maybe"]),
        (("dns", "monitoring", "app_config"), {"dns_active_region": "ap-south-9"}, ["dns_active_region=ap-south-9"]),
        (("dns", "monitoring", "app_config"), {"dns_record": "api.other.example.org"}, ["dns_record=api.other.example.org", "dns_zone"]),
        (("dns",), {"dns_standby_record": RECORD}, [f"dns_standby_record={RECORD} is dns_record itself"]),
        (("dns",), {"dns_standby_record": "standby.example.org"}, ["dns_standby_record=standby.example.org is not inside dns_zone"]),
        (("monitoring",), {"alert_email": "oncall"}, ["monitoring_alert_email=oncall"]),
        (("monitoring",), {"rpo_seconds": "soon"}, ["rpo_seconds"]),
        (("app_config",), {"app_config_active_region": "mars"}, ["app_config_active_region=mars"]),
        (("app_config",), {"app_config_write_endpoint": ""}, ["app_config_write_endpoint is empty"]),
    ],
)
def test_bad_variable_fails_before_any_change(playbook, aws, tmp_path, roles, extravars, words):
    albs = make_albs(aws)
    result = run(playbook, write_playbook(tmp_path, roles=roles), stand_ins(albs), **extravars)
    assert result.rc != 0
    messages = " ".join(failed_messages(result))
    for word in words:
        assert word in messages, messages
    assert aws("route53").list_hosted_zones()["HostedZones"] == []
    for region in REGIONS:
        assert aws("sns", region).list_topics()["Topics"] == []
        assert aws("ssm", region).get_parameters_by_path(Path="/shop/")["Parameters"] == []
