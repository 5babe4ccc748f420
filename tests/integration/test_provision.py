"""playbooks/provision.yml end to end on a fresh simulator, checked through boto3 (issue 4's must-shows):
check mode on an empty account, the whole stack in three regions, a second run with changed=0,
check mode on the provisioned stack, and a bad variable failing before any change."""

import json

INVENTORY = "inventories/local"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HOME = "us-east-1"


def app_vpcs(aws, region):
    return [v for v in aws("ec2", region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def test_provision_three_regions_idempotent_and_check_mode(playbook, aws):
    dry = playbook("playbooks/provision.yml", inventory=INVENTORY, check=True)
    assert dry.rc == 0, dry.failures() or dry.stderr[-2000:]
    assert all(app_vpcs(aws, region) == [] for region in REGIONS), "check mode created a VPC"

    run = playbook("playbooks/provision.yml", inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr[-2000:]

    # networks, load balancers and auto scaling groups in every region
    for region in REGIONS:
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

    # monitoring and configuration
    assert aws("cloudwatch", HOME).list_dashboards()["DashboardEntries"]
    assert any("ReplicaLag" == a["MetricName"] for a in aws("cloudwatch", "eu-west-1").describe_alarms()["MetricAlarms"])
    for region in REGIONS:
        params = aws("ssm", region).get_parameters_by_path(Path="/shop/config/", Recursive=True)["Parameters"]
        values = {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in params}
        assert values.get("active_region") == HOME, (region, values)

    again = playbook("playbooks/provision.yml", inventory=INVENTORY)
    assert again.rc == 0 and {host: s["changed"] for host, s in again.stats.items()} == {r: 0 for r in REGIONS}, again.stats
    checked = playbook("playbooks/provision.yml", inventory=INVENTORY, check=True)
    assert checked.rc == 0 and checked.changed() == 0, checked.stats


def test_bad_strategy_fails_before_any_change(playbook, aws):
    run = playbook("playbooks/provision.yml", inventory=INVENTORY, extravars={"dr_strategy": "pilot_light"})
    assert run.rc != 0
    assert "pilot_light" in json.dumps([r.get("argument_errors") for h in run.stats for _n, r in run.results(h)])
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)
    assert aws("kms", HOME).list_keys()["Keys"] == []
