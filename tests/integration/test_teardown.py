"""playbooks/teardown.yml against the simulator: provision the three regions of inventories/local, tear down,
then look through boto3 in every region that nothing of the application is left. AWS state is read back
through boto3, never from the playbooks' own output."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
INVENTORY = "inventories/local"
APP = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())
NAME = APP["app_name"]
GONE_KEY_STATES = ("PendingDeletion", "PendingReplicaDeletion")


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

    found += [f"Global Datastore {g['GlobalReplicationGroupId']}"
              for g in aws("elasticache").describe_global_replication_groups()["GlobalReplicationGroups"]]
    found += [f"global cluster {g['GlobalClusterIdentifier']}" for g in aws("rds").describe_global_clusters()["GlobalClusters"]]
    route53 = aws("route53")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        found.append(f"hosted zone {zone['Name']} with {len(records)} records")
    found += [f"health check {c['Id']}" for c in route53.list_health_checks()["HealthChecks"]]
    return found


def test_teardown_removes_everything_once_confirmed_and_is_idempotent(playbook, aws):
    run = playbook("playbooks/provision.yml", inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    provisioned = leftovers(aws)
    assert any("DB instance" in item for item in provisioned) and any("Global Datastore" in item for item in provisioned)

    # Without confirmation, or with another name: it fails before any change.
    for extravars in ({}, {"teardown_confirm": f"not-{NAME}"}):
        run = playbook("playbooks/teardown.yml", extravars=extravars, inventory=INVENTORY)
        assert run.rc != 0 and run.changed() == 0, run.stats
        assert any(f"teardown_confirm={NAME}" in msg for msg in run.failures()), run.failures()
        assert leftovers(aws) == provisioned

    run = playbook("playbooks/teardown.yml", extravars={"teardown_confirm": NAME}, check=True, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert run.changed() > 0
    assert leftovers(aws) == provisioned

    run = playbook("playbooks/teardown.yml", extravars={"teardown_confirm": NAME}, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert set(run.stats) == set(REGIONS)
    assert leftovers(aws) == []
    # The primary database leaves a final snapshot by default (rds_skip_final_snapshot: false).
    snapshots = aws("rds", APP["home_region"]).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"] for s in snapshots if s["DBSnapshotIdentifier"].startswith(f"{NAME}-db-final-")], snapshots

    run = playbook("playbooks/teardown.yml", extravars={"teardown_confirm": NAME}, inventory=INVENTORY)
    assert run.rc == 0, run.failures() or run.stderr
    assert run.changed() == 0, [(host, name) for host in run.stats for name, result in run.results(host) if result.get("changed")]
