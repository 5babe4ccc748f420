"""The network and asg roles against the simulator, in the three regions of inventories/local.
AWS state is read back through boto3, never from the roles' own output."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
PLAYBOOK = "tests/integration/playbooks/network_asg.yml"
INVENTORY = "inventories/local"
APP = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())


def app_vpcs(aws, region):
    return aws("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Application", "Values": [APP["app_name"]]}])["Vpcs"]


def expected_sizes(region):
    serving = APP["dr_strategy"] != "active_passive" or region == APP["home_region"]
    if serving:
        return APP["asg_min_size"], APP["asg_desired_capacity"]
    return min(APP["asg_min_size"], APP["asg_standby_capacity"]), APP["asg_standby_capacity"]


def check_region(aws, region):
    ec2 = aws("ec2", region)
    (vpc,) = app_vpcs(aws, region)
    assert vpc["CidrBlock"] == APP["region_cidrs"][region]
    vpc_id = vpc["VpcId"]
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"] is True

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    tiers = {}
    for subnet in subnets:
        tier = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}.get("Tier")
        tiers.setdefault(tier, []).append(subnet)
    assert set(tiers) == {"public", "private"}
    for tier, members in tiers.items():
        assert len({s["AvailabilityZone"] for s in members}) >= 2, tier
    assert all(s["MapPublicIpOnLaunch"] for s in tiers["public"])
    assert not any(s["MapPublicIpOnLaunch"] for s in tiers["private"])

    # Public subnets route to the internet gateway, private ones do not.
    (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    routes_of = {}
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                routes_of[association["SubnetId"]] = {r.get("GatewayId") for r in table["Routes"]}
    assert all(igw["InternetGatewayId"] in routes_of[s["SubnetId"]] for s in tiers["public"])
    assert all(igw["InternetGatewayId"] not in routes_of[s["SubnetId"]] for s in tiers["private"])

    groups = {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    }
    sg = {tier: groups[f"{APP['app_name']}-{tier}"] for tier in ("alb", "app", "db", "cache")}

    def ingress(tier):
        return {
            (p["FromPort"], p["ToPort"], tuple(r["CidrIp"] for r in p["IpRanges"]), tuple(g["GroupId"] for g in p["UserIdGroupPairs"]))
            for p in sg[tier]["IpPermissions"]
        }

    assert ingress("alb") == {(443, 443, ("0.0.0.0/0",), ()), (80, 80, ("0.0.0.0/0",), ())}
    assert ingress("app") == {(8080, 8080, (), (sg["alb"]["GroupId"],))}
    assert ingress("db") == {(3306, 3306, (), (sg["app"]["GroupId"],))}
    assert ingress("cache") == {(6379, 6379, (), (sg["app"]["GroupId"],))}

    elb = aws("elbv2", region)
    (alb,) = elb.describe_load_balancers(Names=[f"{APP['app_name']}-alb"])["LoadBalancers"]
    assert alb["Scheme"] == "internet-facing" and alb["VpcId"] == vpc_id
    assert alb["SecurityGroups"] == [sg["alb"]["GroupId"]]
    assert sorted(z["SubnetId"] for z in alb["AvailabilityZones"]) == sorted(s["SubnetId"] for s in tiers["public"])
    (tg,) = elb.describe_target_groups(Names=[f"{APP['app_name']}-app"])["TargetGroups"]
    assert tg["HealthCheckPath"] == "/health" and tg["Port"] == 8080
    (listener,) = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)  # no certificate set in inventories/local
    rules = [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    assert [(c["Field"], c["Values"]) for r in rules for c in r["Conditions"]] == [("path-pattern", ["/health"])]
    assert rules[0]["Actions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]

    scaling = aws("autoscaling", region)
    (group,) = scaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{APP['app_name']}-app"])["AutoScalingGroups"]
    min_size, desired = expected_sizes(region)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (min_size, APP["asg_max_size"], desired)
    assert sorted(group["VPCZoneIdentifier"].split(",")) == sorted(s["SubnetId"] for s in tiers["private"])
    assert group["TargetGroupARNs"] == [tg["TargetGroupArn"]]
    assert group["LaunchTemplate"]["LaunchTemplateName"] == f"{APP['app_name']}-app"
    assert len(group["Instances"]) == desired
    targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(t["Target"]["Id"] for t in targets) == sorted(i["InstanceId"] for i in group["Instances"])
    (policy,) = scaling.describe_policies(AutoScalingGroupName=group["AutoScalingGroupName"])["ScalingPolicies"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    config = policy["TargetTrackingConfiguration"]
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    assert config["TargetValue"] == 60


def test_check_mode_on_an_empty_simulator_changes_nothing(playbook, aws):
    run = playbook(PLAYBOOK, check=True, inventory=INVENTORY)
    assert run.rc == 0, run.data
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)


def test_provision_all_regions_then_rerun_and_check_change_nothing(playbook, aws):
    run = playbook(PLAYBOOK, inventory=INVENTORY)
    assert run.rc == 0, run.stats
    assert set(run.stats) == set(REGIONS)
    for region in REGIONS:
        check_region(aws, region)

    again = playbook(PLAYBOOK, inventory=INVENTORY)
    assert again.rc == 0 and again.changed() == 0, again.stats
    checked = playbook(PLAYBOOK, check=True, inventory=INVENTORY)
    assert checked.rc == 0 and checked.changed() == 0, checked.stats
    # A size the group does not have yet shows up as a change in check mode, in the home region only.
    bigger = playbook(PLAYBOOK, check=True, inventory=INVENTORY, extravars={"asg_desired_capacity": 3})
    assert bigger.rc == 0
    assert {h: s["changed"] for h, s in bigger.stats.items()} == {"us-east-1": 1, "us-west-2": 0, "eu-west-1": 0}


@pytest.mark.parametrize(
    "extravars, named",
    [
        (
            {"region_cidrs": {**APP["region_cidrs"], "us-west-2": "10.10.128.0/17"}},
            "region_cidrs[us-east-1] = 10.10.0.0/16 overlaps region_cidrs[us-west-2] = 10.10.128.0/17",
        ),
        ({"aws_region": "us-moon-1"}, "us-moon-1 is not an AWS region name"),
        ({"region_cidrs": {**APP["region_cidrs"], "eu-west-1": "10.30.0.1/16"}}, "region_cidrs[eu-west-1] = 10.30.0.1/16"),
    ],
    ids=["overlapping-cidr", "unknown-region", "host-bits-set"],
)
def test_bad_vars_fail_in_every_region_before_any_change(playbook, aws, extravars, named):
    run = playbook(PLAYBOOK, inventory=INVENTORY, extravars=extravars)
    assert run.rc != 0
    assert all(stats["failures"] == 1 and stats["changed"] == 0 for stats in run.stats.values()), run.stats
    messages = run.failures()
    assert len(messages) == len(REGIONS) and all(named in message for message in messages), messages
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)
