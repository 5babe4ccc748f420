"""roles/rds over the three regions of inventories/local, checked through boto3: an encrypted Multi-AZ
MySQL primary in us-east-1 and cross-region read replicas of it in us-west-2 and eu-west-1, each in
its own region's subnet group and parameter group; and the Aurora global database option."""

import datetime
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = str(ROOT / "inventories/local/hosts.yml")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HOME = "us-east-1"
DB = "shop-db"


@pytest.fixture
def network(aws):
    """What the network and kms roles give the rds role: private subnets, a db security group and a KMS key per region."""
    subnets, groups, keys = {}, {}, {}
    for index, region in enumerate(REGIONS):
        ec2 = aws("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{index + 1}0.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets[region] = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{index + 1}0.{128 + i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(zones)
        ]
        groups[region] = ec2.create_security_group(GroupName="shop-db", Description="db", VpcId=vpc)["GroupId"]
        keys[region] = aws("kms", region).create_key(Description="shop data")["KeyMetadata"]["Arn"]
    return {"test_subnets": subnets, "test_groups": groups, "test_keys": keys}


@pytest.fixture
def rds_playbook(tmp_path):
    play = [
        {
            "name": "Databases in every region",
            "hosts": "regions",
            "gather_facts": False,
            "module_defaults": {"group/multiregion.dr.aws": "{{ aws_defaults }}"},
            "pre_tasks": [
                {
                    "name": "Network and kms role outputs (made by the test)",
                    "ansible.builtin.set_fact": {
                        "network_private_subnet_ids": "{{ test_subnets[aws_region] | default([]) }}",
                        "network_security_group_ids": "{{ {'db': test_groups[aws_region]} if aws_region in test_groups else {} }}",
                        "kms_key_arn": "{{ test_keys[aws_region] | default('') }}",
                    },
                }
            ],
            "roles": ["multiregion.dr.rds"],
            "tasks": [
                {
                    "name": "Outputs",
                    "ansible.builtin.debug": {
                        "msg": {
                            "id": "{{ rds_instance_id }}",
                            "endpoint": "{{ rds_endpoint }}",
                            "port": "{{ rds_port }}",
                            "role": "{{ rds_role }}",
                            "arn": "{{ rds_instance_arn }}",
                        }
                    },
                }
            ],
        }
    ]
    path = tmp_path / "rds.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return str(path)


def run(playbook, path, extravars, check=False):
    result = playbook(path, extravars, check=check, inventory=INVENTORY)
    assert result.rc == 0, f"{result.stderr}\n{[(n, r) for h in REGIONS for n, r in result.results(h) if r.get('failed')]}"
    return result


@pytest.mark.slow(80)
def test_primary_and_cross_region_replicas(playbook, aws, sim, network, rds_playbook):
    # --check on an empty account runs through and changes nothing.
    checked = run(playbook, rds_playbook, {"test_subnets": {}, "test_groups": {}, "test_keys": {}}, check=True)
    for region in REGIONS:
        assert aws("rds", region).describe_db_instances()["DBInstances"] == []
    assert checked.result("Primary DB instance in the home region", HOME)["changed"] is True

    first = run(playbook, rds_playbook, network)
    outputs = {region: first.result("Outputs", region)["msg"] for region in REGIONS}

    primary = aws("rds", HOME).describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]
    # the major version is pinned, RDS picks its default minor
    assert primary["Engine"] == "mysql" and primary["EngineVersion"] == "8.0.40"
    assert primary["MultiAZ"] is True
    assert primary["StorageEncrypted"] is True and primary["KmsKeyId"] == network["test_keys"][HOME]
    assert primary["BackupRetentionPeriod"] == 7
    assert primary["PreferredBackupWindow"] == "03:00-04:00"
    assert primary["PreferredMaintenanceWindow"] == "sun:04:30-sun:05:30"
    assert primary["DBSubnetGroup"]["DBSubnetGroupName"] == DB
    assert primary["DBParameterGroups"][0]["DBParameterGroupName"] == "shop-mysql80"
    assert [g["VpcSecurityGroupId"] for g in primary["VpcSecurityGroups"]] == [network["test_groups"][HOME]]
    assert outputs[HOME] == {"id": DB, "endpoint": primary["Endpoint"]["Address"], "port": primary["Endpoint"]["Port"],
                             "role": "primary", "arn": primary["DBInstanceArn"]}

    for region in REGIONS[1:]:
        rds = aws("rds", region)
        replica = rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary["DBInstanceArn"]
        assert replica["DBInstanceStatus"] == "available"
        assert replica["DBInstanceArn"].split(":")[3] == region
        subnet_group = replica["DBSubnetGroup"]
        assert subnet_group["DBSubnetGroupName"] == DB and subnet_group["VpcId"] == rds.describe_db_subnet_groups(
            DBSubnetGroupName=DB)["DBSubnetGroups"][0]["VpcId"]
        assert sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == sorted(network["test_subnets"][region])
        assert replica["DBParameterGroups"][0]["DBParameterGroupName"] == "shop-mysql80"
        assert [g["VpcSecurityGroupId"] for g in replica["VpcSecurityGroups"]] == [network["test_groups"][region]]
        assert replica["StorageEncrypted"] is True and replica["KmsKeyId"] == network["test_keys"][region]
        assert replica["MultiAZ"] is True
        assert outputs[region] == {"id": DB, "endpoint": replica["Endpoint"]["Address"], "port": replica["Endpoint"]["Port"],
                                   "role": "replica", "arn": replica["DBInstanceArn"]}
        assert primary["DBInstanceArn"] != replica["DBInstanceArn"]
        # the parameter group is custom (fencing changes it), one per region
        group = rds.describe_db_parameter_groups(DBParameterGroupName="shop-mysql80")["DBParameterGroups"][0]
        assert group["DBParameterGroupFamily"] == "mysql8.0"
        tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=replica["DBInstanceArn"])["TagList"]}
        assert tags == {"Application": "shop", "ManagedBy": "multiregion.dr"}
    listed = aws("rds", HOME).describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"]
    assert len(listed) == 2

    # RDS upgrades the minor version by itself; a rerun must not ask for a downgrade (AWS refuses it).
    aws("rds", HOME).modify_db_instance(DBInstanceIdentifier=DB, EngineVersion="8.0.41", ApplyImmediately=True)
    second = run(playbook, rds_playbook, network)
    assert second.changed() == 0, [(h, n) for h in REGIONS for n, r in second.results(h) if r.get("changed")]
    assert aws("rds", HOME).describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]["EngineVersion"] == "8.0.41"
    provisioned_check = run(playbook, rds_playbook, network, check=True)
    assert provisioned_check.changed() == 0, [(h, n) for h in REGIONS for n, r in provisioned_check.results(h) if r.get("changed")]

    # Issue 14 point 13: retired databases (a failback's keep_old_instances) expire after rds_retired_retention_days.
    rds = aws("rds", "us-west-2")
    fresh = f"{DB}-retired-{datetime.datetime.now(datetime.timezone.utc):%Y%m%d%H%M%S}"
    for name, protected in ((f"{DB}-retired-20200101000000", True), (fresh, False), (f"{DB}-retired-by-hand", False)):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
                               MasterUsername="admin", MasterUserPassword="retired-pass-1", DeletionProtection=protected, DBSubnetGroupName=DB)
    # the role's expiry tasks (provision runs them through the role's main; this region only, to keep the test short)
    expire = [{"name": "Expire", "hosts": "us-west-2", "gather_facts": False,
               "module_defaults": {"group/multiregion.dr.aws": "{{ aws_defaults }}"},
               "tasks": [{"name": "Expiry", "ansible.builtin.include_role": {"name": "multiregion.dr.rds", "tasks_from": "expire_retired"}}]}]
    path = Path(rds_playbook).with_name("expire.yml")
    path.write_text(yaml.safe_dump(expire, sort_keys=False))
    checked = playbook(str(path), check=True, inventory=INVENTORY)
    assert checked.rc == 0, checked.failures()
    deleted = checked.result("Delete the expired retired databases, with a final snapshot unless a replica", "us-west-2")["results"]
    assert [item["item"]["identifier"] for item in deleted] == [f"{DB}-retired-20200101000000"]
    assert len(rds.describe_db_instances()["DBInstances"]) == 4, "check mode deleted something"
    done = playbook(str(path), inventory=INVENTORY)
    assert done.rc == 0, done.failures()
    # the one retired in 2020 is gone with a final snapshot; the fresh one, a name without a time and the replica stay
    assert sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]) == sorted([DB, fresh, f"{DB}-retired-by-hand"])
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=f"{DB}-retired-20200101000000")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"] for s in snapshots] == [f"{DB}-retired-20200101000000-final"], snapshots


def test_missing_subnets_fail_before_any_change(playbook, aws, sim, rds_playbook):
    result = playbook(rds_playbook, {"test_subnets": {}, "test_groups": {}, "test_keys": {}}, inventory=INVENTORY)
    assert result.rc != 0
    failed = result.result("Check the inputs before any change", HOME)
    assert failed["failed"] is True and "rds_subnet_ids is empty in us-east-1" in failed["msg"]
    for region in REGIONS:
        assert aws("rds", region).describe_db_instances()["DBInstances"] == []
        assert aws("rds", region).describe_db_parameter_groups()["DBParameterGroups"] == [] or all(
            g["DBParameterGroupName"].startswith("default.") for g in aws("rds", region).describe_db_parameter_groups()["DBParameterGroups"])


@pytest.mark.slow(55)
def test_aurora_global_database(playbook, aws, sim, network, rds_playbook):
    aurora = {"db_engine": "aurora-mysql"}
    run(playbook, rds_playbook, {"test_subnets": {}, "test_groups": {}, "test_keys": {}, **aurora}, check=True)
    assert aws("rds", HOME).describe_global_clusters()["GlobalClusters"] == []

    first = run(playbook, rds_playbook, {**network, **aurora})
    found = aws("rds", HOME).describe_global_clusters(GlobalClusterIdentifier="shop-global")["GlobalClusters"][0]
    assert found["Engine"] == "aurora-mysql" and found["StorageEncrypted"] is True
    writers = {m["DBClusterArn"].split(":")[3]: m["IsWriter"] for m in found["GlobalClusterMembers"]}
    assert writers == {HOME: True, "us-west-2": False, "eu-west-1": False}
    for region in REGIONS:
        rds = aws("rds", region)
        cluster = rds.describe_db_clusters(DBClusterIdentifier=DB)["DBClusters"][0]
        assert cluster["StorageEncrypted"] is True and cluster["KmsKeyId"] == network["test_keys"][region]
        assert cluster["DBSubnetGroup"] == DB
        instance = rds.describe_db_instances(DBInstanceIdentifier=f"{DB}-1")["DBInstances"][0]
        assert instance["DBClusterIdentifier"] == DB and instance["DBParameterGroups"][0]["DBParameterGroupName"] == "shop-aurora-mysql80"
        outputs = first.result("Outputs", region)["msg"]
        assert outputs["role"] == ("primary" if region == HOME else "replica") and outputs["arn"] == instance["DBInstanceArn"]
    assert aws("rds", HOME).describe_db_clusters(DBClusterIdentifier=DB)["DBClusters"][0]["BackupRetentionPeriod"] == 7

    second = run(playbook, rds_playbook, {**network, **aurora})
    assert second.changed() == 0, [(h, n) for h in REGIONS for n, r in second.results(h) if r.get("changed")]


def test_bad_engine_fails_before_any_change(playbook, aws, sim, network, rds_playbook):
    result = playbook(rds_playbook, {**network, "rds_engine": "postgres"}, inventory=INVENTORY)
    assert result.rc != 0
    failed = [r for n, r in result.results(HOME) if r.get("failed")]
    assert failed and "rds_engine" in failed[0]["msg"] and "mysql, aurora-mysql" in failed[0]["msg"], failed
    for region in REGIONS:
        assert aws("rds", region).describe_db_subnet_groups()["DBSubnetGroups"] == []
