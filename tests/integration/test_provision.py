"""playbooks/provision.yml and teardown.yml end to end on a fresh simulator, checked through boto3 (issue 4's
must-shows): check mode on an empty account, the whole stack in three regions, a bad variable failing before
any change; then, from that stack (the `provisioned` fixture: the provision's snapshot), a second run with
changed=0 and check mode, and a teardown that leaves nothing, whose rerun with the flags changes only what they ask."""

import json
import sys
import time
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())
INVENTORY = "inventories/local"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HOME = "us-east-1"
NAME = APP["app_name"]
sys.path.insert(0, str(ROOT / "tests"))
from aws_checks import iam_user_env  # noqa: E402  (tests/aws_checks.py)
GONE_KEY_STATES = ("PendingDeletion", "PendingReplicaDeletion")


def app_vpcs(aws, region):
    return [v for v in aws("ec2", region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def expected_sizes(region):
    serving = APP["dr_strategy"] != "active_passive" or region == APP["home_region"]
    if serving:
        return APP["asg_min_size"], APP["asg_desired_capacity"]
    return min(APP["asg_min_size"], APP["asg_standby_capacity"]), APP["asg_standby_capacity"]


def check_region(aws, region):
    ec2 = aws("ec2", region)
    (vpc,) = [v for v in app_vpcs(aws, region) if v.get("Tags") and {t["Key"]: t["Value"] for t in v["Tags"]}.get("Application") == APP["app_name"]]
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
    # the first two zones by zone ID (the same physical zones in every account) that offer the instance type
    offered = {o["Location"] for o in ec2.describe_instance_type_offerings(
        LocationType="availability-zone-id", Filters=[{"Name": "instance-type", "Values": ["t3.medium"]}])["InstanceTypeOfferings"]}
    first_two = sorted(z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"] if z["ZoneId"] in offered)[:2]
    for tier, members in tiers.items():
        assert sorted(s["AvailabilityZoneId"] for s in members) == first_two, tier
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

    # the private subnets reach SSM, Secrets Manager, CloudWatch and logs through interface endpoints that only the
    # app tier may use, and S3 (the Amazon Linux repositories) through a gateway endpoint on their route table
    endpoints = {e["ServiceName"]: e for e in ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]}
    assert sorted(endpoints) == sorted(f"com.amazonaws.{region}.{s}" for s in ("s3", "ssm", "secretsmanager", "monitoring", "logs"))
    private_table = {t["RouteTableId"] for t in ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Tier", "Values": ["private"]}])["RouteTables"]}
    assert endpoints[f"com.amazonaws.{region}.s3"]["VpcEndpointType"] == "Gateway"
    assert set(endpoints[f"com.amazonaws.{region}.s3"]["RouteTableIds"]) == private_table
    endpoints_sg = groups[f"{APP['app_name']}-endpoints"]
    assert {(p["FromPort"], tuple(g["GroupId"] for g in p["UserIdGroupPairs"])) for p in endpoints_sg["IpPermissions"]} == {(443, (sg["app"]["GroupId"],))}
    for service in ("ssm", "secretsmanager", "monitoring", "logs"):
        endpoint = endpoints[f"com.amazonaws.{region}.{service}"]
        assert endpoint["VpcEndpointType"] == "Interface" and endpoint["PrivateDnsEnabled"], endpoint
        assert sorted(endpoint["SubnetIds"]) == sorted(s["SubnetId"] for s in tiers["private"])
        assert [g["GroupId"] for g in endpoint["Groups"]] == [endpoints_sg["GroupId"]]

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


def leftovers(aws):
    """Everything of the application still in AWS, as readable strings (empty when all is gone)."""
    found = []
    for region in REGIONS:
        ec2 = aws("ec2", region)
        vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]
        found += [f"{region} VPC {v}" for v in vpcs]
        found += [f"{region} subnet {s['SubnetId']}" for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in vpcs]
        found += [f"{region} security group {g['GroupName']}" for g in ec2.describe_security_groups()["SecurityGroups"]
                  if g["GroupName"].startswith(f"{NAME}-") or g["VpcId"] in vpcs]
        found += [f"{region} VPC endpoint {e['ServiceName']}" for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
                  if e["State"].lower() not in ("deleted", "deleting")]
        found += [f"{region} NAT gateway {n['NatGatewayId']}" for n in ec2.describe_nat_gateways()["NatGateways"]
                  if n["State"] not in ("deleted", "deleting")]
        found += [f"{region} launch template {t['LaunchTemplateName']}" for t in ec2.describe_launch_templates()["LaunchTemplates"]
                  if t["LaunchTemplateName"].startswith(f"{NAME}-")]

        elb = aws("elbv2", region)
        found += [f"{region} ALB {lb['LoadBalancerName']}" for lb in elb.describe_load_balancers()["LoadBalancers"]]
        found += [f"{region} target group {tg['TargetGroupName']}" for tg in elb.describe_target_groups()["TargetGroups"]]
        found += [f"{region} ASG {g['AutoScalingGroupName']}"
                  for g in aws("autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"]]

        rds = aws("rds", region)
        found += [f"{region} DB instance {d['DBInstanceIdentifier']}" for d in rds.describe_db_instances()["DBInstances"]]
        found += [f"{region} DB cluster {c['DBClusterIdentifier']}" for c in rds.describe_db_clusters()["DBClusters"]]
        found += [f"{region} DB parameter group {p['DBParameterGroupName']}" for p in rds.describe_db_parameter_groups()["DBParameterGroups"]
                  if p["DBParameterGroupName"].startswith(f"{NAME}-")]
        found += [f"{region} DB subnet group {g['DBSubnetGroupName']}" for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
                  if g["DBSubnetGroupName"].startswith(f"{NAME}-")]

        cache = aws("elasticache", region)
        found += [f"{region} replication group {g['ReplicationGroupId']}" for g in cache.describe_replication_groups()["ReplicationGroups"]]
        found += [f"{region} cache subnet group {g['CacheSubnetGroupName']}" for g in cache.describe_cache_subnet_groups()["CacheSubnetGroups"]
                  if g["CacheSubnetGroupName"].startswith(f"{NAME}-")]

        cloudwatch = aws("cloudwatch", region)
        found += [f"{region} alarm {a['AlarmName']}" for a in cloudwatch.describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]]
        found += [f"{region} dashboard {d['DashboardName']}" for d in cloudwatch.list_dashboards(DashboardNamePrefix=f"{NAME}-")["DashboardEntries"]]
        found += [f"{region} SNS topic {t['TopicArn']}" for t in aws("sns", region).list_topics()["Topics"]
                  if t["TopicArn"].split(":")[-1].startswith(f"{NAME}-")]
        found += [f"{region} SSM parameter {p['Name']}"
                  for p in aws("ssm", region).get_parameters_by_path(Path=f"/{NAME}/", Recursive=True)["Parameters"]]

        kms = aws("kms", region)
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] not in GONE_KEY_STATES:
                found.append(f"{region} KMS key {meta['KeyId']} ({meta['KeyState']})")
        # AWS keeps an alias until its key is deleted: an alias on a key pending deletion goes with the key
        found += [f"{region} KMS alias {a['AliasName']}" for a in kms.list_aliases()["Aliases"]
                  if a["AliasName"].startswith(f"alias/{NAME}-")
                  and kms.describe_key(KeyId=a["TargetKeyId"])["KeyMetadata"]["KeyState"] not in GONE_KEY_STATES]

        found += [f"{region} DynamoDB table {t}" for t in aws("dynamodb", region).list_tables()["TableNames"] if t.startswith(f"{NAME}-")]
        found += [f"{region} backup vault {v['BackupVaultName']}" for v in aws("backup", region).list_backup_vaults()["BackupVaultList"]
                  if v["BackupVaultName"].startswith(f"{NAME}-")]
        found += [f"{region} backup plan {p['BackupPlanName']}" for p in aws("backup", region).list_backup_plans()["BackupPlansList"]
                  if p["BackupPlanName"].startswith(f"{NAME}-")]

    found += [f"S3 bucket {b['Name']}" for b in aws("s3").list_buckets()["Buckets"] if b["Name"].startswith(f"{NAME}-")]
    found += [f"CloudFront distribution {d['Id']}"
              for d in (aws("cloudfront").list_distributions()["DistributionList"].get("Items") or [])]
    found += [f"Global Datastore {g['GlobalReplicationGroupId']}"
              for g in aws("elasticache").describe_global_replication_groups()["GlobalReplicationGroups"]]
    found += [f"global cluster {g['GlobalClusterIdentifier']}" for g in aws("rds").describe_global_clusters()["GlobalClusters"]]
    found += [f"IAM role {r['RoleName']}" for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{NAME}-")]
    found += [f"IAM instance profile {p['InstanceProfileName']}" for p in aws("iam").list_instance_profiles()["InstanceProfiles"]
              if p["InstanceProfileName"].startswith(f"{NAME}-")]
    # the permissions boundary is the administrator's, installed with the provisioning policies, which may not delete it
    found += [f"IAM policy {p['PolicyName']}" for p in aws("iam").list_policies(Scope="Local")["Policies"]
              if p["PolicyName"].startswith(f"{NAME}-") and p["PolicyName"] != f"{NAME}-dr-boundary"]
    route53 = aws("route53")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        found.append(f"hosted zone {zone['Name']} with {len(records)} records")
    found += [f"health check {c['Id']}" for c in route53.list_health_checks()["HealthChecks"]]
    return found


@pytest.mark.slow(200)
def test_provision_three_regions_checked_through_boto3(playbook, provision, aws):
    dry = playbook("playbooks/provision.yml", inventory=INVENTORY, check=True)
    assert dry.rc == 0, dry.failures() or dry.stderr[-2000:]
    assert leftovers(aws) == [], "check mode created something"

    run = provision()  # also the snapshot that tests of this session start from (the `provisioned` fixture)

    # networks, load balancers and auto scaling groups in every region
    for region in REGIONS:
        check_region(aws, region)
        vpcs = app_vpcs(aws, region)
        assert len(vpcs) == 1, region
        subnets = aws("ec2", region).describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) >= 2 and len(subnets) >= 4, region
        assert len(aws("elbv2", region).describe_load_balancers()["LoadBalancers"]) == 1, region
        groups = aws("autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"]
        assert len(groups) == 1, region
        group = groups[0]
        assert (group["MinSize"], group["MaxSize"]) == ((2, 10) if region == HOME else (1, 10)), (region, group["MinSize"])
        assert group["DesiredCapacity"] == (2 if region == HOME else 1), region  # active_passive standby

    # database: an encrypted Multi-AZ primary at home, replicas elsewhere
    primary = aws("rds", HOME).describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]
    assert primary["MultiAZ"] and primary["StorageEncrypted"] and primary["BackupRetentionPeriod"] == 7
    assert primary["Engine"] == "mysql" and "ReadReplicaSourceDBInstanceIdentifier" not in primary
    for region in REGIONS[1:]:
        replica = aws("rds", region).describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary["DBInstanceArn"], region
        assert replica["StorageEncrypted"], region

    # cache: a global datastore, primary at home, two secondaries
    datastores = aws("elasticache", HOME).describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"]
    assert len(datastores) == 1
    roles = {m["ReplicationGroupRegion"]: m["Role"] for m in datastores[0]["Members"]}
    assert roles == {"us-east-1": "PRIMARY", "us-west-2": "SECONDARY", "eu-west-1": "SECONDARY"}

    # a multi-Region key with two replicas
    key = aws("kms", HOME).describe_key(KeyId="alias/shop-data")["KeyMetadata"]
    assert key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert {r["Region"] for r in key["MultiRegionConfiguration"]["ReplicaKeys"]} == set(REGIONS[1:])

    # DNS: health checks per region and records for the strategy
    r53 = aws("route53")
    zone = next(z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == "shop.example.com.")
    checks = r53.list_health_checks()["HealthChecks"]
    assert len(checks) == 3
    assert all(c["HealthCheckConfig"]["ResourcePath"] == "/health" and c["HealthCheckConfig"]["FailureThreshold"] == 3 for c in checks)
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
               if r["Name"] == "api.shop.example.com." and r["Type"] == "A"]
    assert {r["SetIdentifier"]: r["Weight"] for r in records} == {"us-east-1": 100, "us-west-2": 0, "eu-west-1": 0}
    check_ids = {c["HealthCheckConfig"]["FullyQualifiedDomainName"]: c["Id"] for c in checks}
    alb_names = {region: aws("elbv2", region).describe_load_balancers()["LoadBalancers"][0]["DNSName"] for region in REGIONS}

    # CDN: the origin group's secondary is the standby name, which Route 53 answers with the healthy regions but
    # the home one (weight 0), each record with its region's health check: one group covers the three regions
    cf = aws("cloudfront")
    (dist,) = cf.list_distributions()["DistributionList"]["Items"]
    config = cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
    origins = {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}
    # writes go to the application's name (a behavior of their own: one on the group may not allow POST)
    assert origins == {**alb_names, "standby": "standby.api.shop.example.com", "writes": "api.shop.example.com"}
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == [HOME, "standby"]
    standby = [r for r in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
               if r["Name"] == "standby.api.shop.example.com." and r["Type"] == "A"]
    assert {r["SetIdentifier"]: r["Weight"] for r in standby} == {"us-east-1": 0, "us-west-2": 100, "eu-west-1": 100}
    for record in standby:
        region = record["SetIdentifier"]
        assert record["AliasTarget"]["DNSName"].rstrip(".").lower() == alb_names[region].lower(), record
        assert record["HealthCheckId"] == check_ids[alb_names[region]], record

    # monitoring and configuration
    assert aws("cloudwatch", HOME).list_dashboards()["DashboardEntries"]
    assert any("ReplicaLag" == a["MetricName"] for a in aws("cloudwatch", "eu-west-1").describe_alarms()["MetricAlarms"])
    for region in REGIONS:
        params = aws("ssm", region).get_parameters_by_path(Path="/shop/config/", Recursive=True)["Parameters"]
        values = {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in params}
        assert values.get("active_region") == HOME, (region, values)
        # bucket names are global across accounts: the default prefix carries the application's DNS zone
        assert values.get("bucket") == f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}-{region}", (region, values)

    # data services (test_roles_data.py checks them in detail): a global table, a bucket per region, one distribution
    for region in REGIONS:
        assert f"{NAME}-sessions" in aws("dynamodb", region).list_tables()["TableNames"], region
        assert [v for v in aws("backup", region).list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"].startswith(f"{NAME}-")], region
    assert len([b for b in aws("s3").list_buckets()["Buckets"] if b["Name"].startswith(f"{NAME}-data-")]) == 3
    assert len(aws("cloudfront").list_distributions()["DistributionList"].get("Items") or []) == 1

    # every IAM role the collection made carries the boundary (the provisioner may make no other kind)
    boundary = f"arn:aws:iam::123456789012:policy/{NAME}-dr-boundary"
    for role in (f"{NAME}-app", f"{NAME}-s3-replication", f"{NAME}-backup"):
        assert aws("iam").get_role(RoleName=role)["Role"].get("PermissionsBoundary") == {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}, role
    profile = aws("iam").get_instance_profile(InstanceProfileName=f"{NAME}-app")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [f"{NAME}-app"]


def test_health_checks_follow_the_alb_listener(provisioned, aws):
    """inventories/local sets no asg_certificate_arn: the ALBs listen on HTTP :80 only, and so must the Route 53
    health checks, or they fail in every region (regionsim, like Route 53, cannot reach an unserved port)."""
    r53 = aws("route53")
    checks = r53.list_health_checks()["HealthChecks"]
    assert len(checks) == 3
    for check in checks:
        config = check["HealthCheckConfig"]
        assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTP", 80, "/health"), config
        observations = r53.get_health_check_status(HealthCheckId=check["Id"])["HealthCheckObservations"]
        assert all(o["StatusReport"]["Status"].startswith("Success") for o in observations), observations


def test_the_instances_run_the_application_with_a_least_privilege_profile(provisioned, aws, sim, tmp_path):
    """The launch template's user data installs python3 and boto3 only, fetches the reference application (a zip
    application with PyMySQL inside: Amazon Linux 2023 has no python3-PyMySQL) from the region's bucket, checks its
    sha256 and runs it; run here from that user data, against the simulator, it serves /health with its region's
    configuration. The instance profile allows the application's own artifacts, configuration, password and metrics,
    and nothing else."""
    import base64
    import hashlib
    import os
    import re
    import socket
    import subprocess
    import sys
    import urllib.request
    import zipfile

    region = "us-west-2"
    bucket = f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}-{region}"
    versions = aws("ec2", region).describe_launch_template_versions(LaunchTemplateName=f"{NAME}-app", Versions=["$Latest"])
    data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{NAME}-app"), data["IamInstanceProfile"]
    user_data = base64.b64decode(data["UserData"]).decode()
    assert len(user_data) <= 16384
    service = next(line for line in user_data.splitlines() if line.startswith("ExecStart="))
    assert service.endswith(f"app.pyz --app {NAME} --region {region} --db-secret {NAME}/rds/master serve --host 0.0.0.0 --port 8080")
    assert "dnf install -y python3 python3-boto3 &&" in user_data and "PyMySQL" not in user_data.split("dnf install", 1)[1].split("\n", 1)[0]
    assert "python3-PyMySQL" not in user_data and "<<'PYZ'" not in user_data
    named = {name: json.loads(value) for name, value in re.findall(r'^(BUCKET|KEY|SHA256) = (".*")$', user_data, re.MULTILINE)}
    assert named["BUCKET"] == bucket and re.fullmatch(r"artifacts/regionapp-[0-9a-f]{64}\.pyz", named["KEY"]), named
    assert named["KEY"] == f"artifacts/regionapp-{named['SHA256']}.pyz"

    # signed by a user that holds only the instance role's policy: the simulator authorizes each call as AWS would
    policy = aws("iam").get_role_policy(RoleName=f"{NAME}-app", PolicyName=f"{NAME}-app")["PolicyDocument"]
    keys = iam_user_env(aws("iam"), "app-instance", inline=policy)
    env = dict(os.environ, AWS_ENDPOINT_URL=sim.endpoint, **keys)
    since = time.time()
    # the user data's own download, as the instance runs it, into tmp_path instead of /opt/<app>
    fetch = user_data.split("python3 - <<'PY' && break\n", 1)[1].split("\nPY\n", 1)[0]
    pyz = tmp_path / "app.pyz"
    assert f'DEST = "/opt/{NAME}/app.pyz"' in fetch
    fetch = fetch.replace(f'"/opt/{NAME}/app.pyz"', json.dumps(str(pyz)))
    for sha256, installed in ((hashlib.sha256(b"another build").hexdigest(), False), (named["SHA256"], True)):
        run = subprocess.run([sys.executable, "-c", fetch.replace(json.dumps(named["SHA256"]), json.dumps(sha256))], env=env,
                             capture_output=True, text=True, check=False)
        assert (run.returncode == 0) == installed and pyz.exists() == installed, run.stderr
        assert installed or f"has sha256 {named['SHA256']}, not {sha256}: not installed" in run.stderr, run.stderr
    assert hashlib.sha256(pyz.read_bytes()).hexdigest() == named["SHA256"]
    stored = aws("s3", region).head_object(Bucket=bucket, Key=named["KEY"])
    key_arn = aws("kms", region).describe_key(KeyId=f"alias/{NAME}-data")["KeyMetadata"]["Arn"]
    assert (stored["ServerSideEncryption"], stored["SSEKMSKeyId"]) == ("aws:kms", key_arn), stored
    # PyMySQL inside, imported from the zip (first on sys.path, as when python3 runs app.pyz), not from site-packages
    assert "pymysql/connections.py" in zipfile.ZipFile(pyz).namelist()
    imported = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import pymysql; print(pymysql.__file__)", str(pyz)],
                              capture_output=True, text=True, check=False)
    assert imported.stdout.strip() == str(pyz / "pymysql" / "__init__.py"), imported.stdout + imported.stderr

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    app = subprocess.Popen([sys.executable, str(pyz), "--app", NAME, "--region", region, "--db-secret", f"{NAME}/rds/master",
                            "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # it says so once it listens (after reading SSM and Secrets Manager); a failure ends it with the reason
        said = app.stdout.readline()
        assert said.startswith("regionapp: /health and /ready on"), said + app.stdout.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            health = (answer.status, json.loads(answer.read()))
        assert health[0] == 200 and (health[1]["region"], health[1]["active_region"]) == (region, HOME), health
    finally:
        app.terminate()
        app.wait(10)
    calls = [(e["action"], e.get("fault")) for e in sim.log(since) if e.get("principal", "").endswith(":user/app-instance")]
    assert ("GetParametersByPath", None) in calls and ("GetSecretValue", None) in calls and ("GetObject", None) in calls, calls
    assert all(f is None for _action, f in calls), calls
    # its own metrics, not another namespace; its own configuration, not another application's; its own artifacts,
    # nothing else of the bucket
    as_app = {service: boto3.client(service, region_name=region, endpoint_url=sim.endpoint, aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"]) for service in ("cloudwatch", "ssm", "s3")}
    as_app["cloudwatch"].put_metric_data(Namespace=f"{NAME}/MultiRegion", MetricData=[{"MetricName": "Probe", "Value": 1}])
    aws("s3", region).put_object(Bucket=bucket, Key="orders/private.csv", Body=b"not for the instances")
    for refused in (lambda: as_app["cloudwatch"].put_metric_data(Namespace="Other/App", MetricData=[{"MetricName": "Probe", "Value": 1}]),
                    lambda: as_app["ssm"].get_parameters_by_path(Path="/other/config"),
                    lambda: as_app["s3"].get_object(Bucket=bucket, Key="orders/private.csv")):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            refused()
        assert "is not authorized to perform" in str(caught.value), caught.value

    iam = aws("iam")
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=f"{NAME}-app")["InstanceProfiles"]] == [f"{NAME}-app"]
    trust = iam.get_role(RoleName=f"{NAME}-app")["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ec2.amazonaws.com"}]
    policy = iam.get_role_policy(RoleName=f"{NAME}-app", PolicyName=f"{NAME}-app")["PolicyDocument"]
    if isinstance(policy, str):
        policy = json.loads(policy)
    account = aws("sts").get_caller_identity()["Account"]
    prefix = f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}"
    allowed = {s["Sid"]: (s["Action"], s["Resource"], s.get("Condition")) for s in policy["Statement"]}
    assert allowed == {
        "ReadItsConfiguration": (["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"],
                                 [f"arn:aws:ssm:*:{account}:parameter/{NAME}/config", f"arn:aws:ssm:*:{account}:parameter/{NAME}/config/*"], None),
        "ReadItsDatabasePassword": ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{account}:secret:{NAME}/rds/master-??????", None),
        "DecryptOnlyThroughSecretsManagerAndSsm": ("kms:Decrypt", f"arn:aws:kms:*:{account}:key/*",
                                                   {"StringLike": {"kms:ViaService": ["secretsmanager.*.amazonaws.com", "ssm.*.amazonaws.com"]}}),
        "PublishItsMetrics": ("cloudwatch:PutMetricData", "*", {"StringEquals": {"cloudwatch:namespace": f"{NAME}/MultiRegion"}}),
        "ReadItsReleaseArtifacts": ("s3:GetObject", sorted(f"arn:aws:s3:::{prefix}-{r}/artifacts/*" for r in REGIONS), None),
        "DecryptItsReleaseArtifactsOnlyThroughS3": ("kms:Decrypt", f"arn:aws:kms:*:{account}:key/*", {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}),
    }
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


@pytest.mark.slow(170)
def test_provision_rerun_changes_nothing_and_check_mode_too(provisioned, playbook):
    again = playbook("playbooks/provision.yml", inventory=INVENTORY)
    changed = [(host, name) for host in again.stats for name, result in again.results(host) if result.get("changed")]
    assert again.rc == 0 and {host: s["changed"] for host, s in again.stats.items()} == {r: 0 for r in REGIONS}, \
        changed or again.failures() or again.stderr[-3000:]
    checked = playbook("playbooks/provision.yml", inventory=INVENTORY, check=True)
    assert checked.rc == 0 and checked.changed() == 0, checked.stats


def debug_messages(run):
    return " | ".join(str(result.get("msg", "")) for host in run.stats for name, result in run.results(host) if "Say that" in name)


@pytest.mark.slow(280)
def test_teardown_refused_planned_then_keeps_what_cannot_be_undone_unless_asked(provisioned, playbook, aws):
    # refused without the confirmation or with another name, a plan in check mode; then a teardown that keeps the
    # keys and a bucket that holds objects; then a rerun with the flags that keeps a zone it did not create: over
    # the torn-down stack it changes only what the flags ask for (the bucket, the keys), nothing else
    before = leftovers(aws)
    assert any("DB instance" in item for item in before) and any("Global Datastore" in item for item in before)

    def protected():
        return {region: aws("rds", region).describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]["DeletionProtection"]
                for region in REGIONS}

    assert protected() == dict.fromkeys(REGIONS, True)  # on by default

    # Without confirmation, or with another name: it fails before any change.
    for extravars in ({}, {"teardown_confirm": f"not-{NAME}"}):
        run = playbook("playbooks/teardown.yml", extravars=extravars, inventory=INVENTORY)
        assert run.rc != 0 and run.changed() == 0, run.stats
        assert any(f"teardown_confirm={NAME}" in msg for msg in run.failures()), run.failures()
        assert leftovers(aws) == before

    run = playbook("playbooks/teardown.yml", extravars={"teardown_confirm": NAME}, check=True, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert run.changed() > 0
    assert leftovers(aws) == before and protected() == dict.fromkeys(REGIONS, True)

    # an object the application wrote, and the failover lock's records in the zone
    aws("s3", "us-west-2").put_object(Bucket=f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}-us-west-2", Key="orders.csv", Body=b"keep me")
    route53 = aws("route53")
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == f"{APP['dns_zone']}.")
    route53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"{name}.{APP['dns_zone']}.", "Type": "TXT", "TTL": 60,
                                                   "ResourceRecords": [{"Value": '"owner=ops operation=failover"'}]}}
        for name in ("_multiregion-dr-lock", "_multiregion-dr-last")]})

    run = playbook("playbooks/teardown.yml", extravars={"teardown_confirm": NAME}, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert set(run.stats) == set(REGIONS)
    kept = leftovers(aws)
    assert sorted(item for item in kept if "KMS" not in item) == [f"S3 bucket {NAME}-data-{APP['dns_zone'].replace('.', '-')}-us-west-2"], kept
    for region in REGIONS:  # the keys stay usable: the final snapshot and backups need them
        assert f"{region} KMS alias alias/{NAME}-data" in kept
        assert aws("kms", region).describe_key(KeyId=f"alias/{NAME}-data")["KeyMetadata"]["KeyState"] == "Enabled"
    messages = debug_messages(run)
    assert f"Bucket {NAME}-data-{APP['dns_zone'].replace('.', '-')}-us-west-2 kept: it holds objects" in messages and "teardown_delete_keys=true" in messages
    assert f"The permissions boundary {NAME}-dr-boundary is kept" in messages
    assert aws("s3", "us-west-2").get_object(Bucket=f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}-us-west-2", Key="orders.csv")["Body"].read() == b"keep me"
    # the zone it created went, after its records and the lock's
    assert route53.list_hosted_zones()["HostedZones"] == []
    # The primary database leaves a final snapshot by default (rds_skip_final_snapshot: false).
    snapshots = aws("rds", HOME).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"] for s in snapshots if s["DBSnapshotIdentifier"].startswith(f"{NAME}-db-final-")], snapshots

    # a zone the user made (untagged) with the user's own record stays; the flags empty the bucket and schedule the keys
    user_zone = route53.create_hosted_zone(Name=APP["dns_zone"], CallerReference="the-user")["HostedZone"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=user_zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"www.{APP['dns_zone']}.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})
    flags = {"teardown_confirm": NAME, "teardown_empty_buckets": True, "teardown_delete_keys": True}
    run = playbook("playbooks/teardown.yml", extravars=flags, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert leftovers(aws) == [f"hosted zone {APP['dns_zone']}. with 3 records"]  # SOA, NS and the user's www
    assert "kept: it is not tagged" in debug_messages(run)
    # the replicas lose their alias with their deletion (kms_replica_key); the primary names them
    primary = aws("kms", HOME).describe_key(KeyId=f"alias/{NAME}-data")["KeyMetadata"]
    replicas = {r["Region"]: r["Arn"] for r in primary["MultiRegionConfiguration"]["ReplicaKeys"]}
    assert sorted(replicas) == sorted(set(REGIONS) - {HOME})
    for region in REGIONS:
        key = aws("kms", region).describe_key(KeyId=replicas.get(region, primary["Arn"]))["KeyMetadata"]
        assert key["KeyState"] in GONE_KEY_STATES
        if key["KeyState"] == "PendingDeletion":
            days = (key["DeletionDate"] - key["CreationDate"]).total_seconds() / 86400
            assert 29.9 < days < 30.1 + 1, key  # the longest window (the key was made moments ago)
    # a rerun over what is torn down already: nothing changed but what the flags ask for
    asked = {("us-west-2", "Remove the bucket (with every object version only when s3_empty_buckets)"),
             (HOME, "Schedule the deletion of the primary key")} | {
        (region, "Schedule the deletion of the replica keys and remove their aliases") for region in REGIONS if region != HOME}
    changed = [(host, name) for host in run.stats for name, result in run.results(host) if result.get("changed")]
    unexpected = [(host, name) for host, name in changed if (host, name.split(" : ")[-1]) not in asked]
    assert not unexpected, f"changed besides what the flags ask for: {unexpected}"


def test_bad_strategy_fails_before_any_change(playbook, aws):
    run = playbook("playbooks/provision.yml", inventory=INVENTORY, extravars={"dr_strategy": "pilot_light"})
    assert run.rc != 0
    assert "pilot_light" in json.dumps([r.get("argument_errors") for h in run.stats for _n, r in run.results(h)])
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)
    assert aws("kms", HOME).list_keys()["Keys"] == []
