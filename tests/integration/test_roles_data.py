"""The dynamodb, s3, backup and cdn roles (on top of kms) in the three regions of inventories/local.
AWS state is read back through boto3, never from the roles' own output: the provisioned stack in detail, bad
variables refused before any change, and a vault that holds backups kept by the teardown."""

from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HOME = "us-east-1"
PLAYBOOK = "tests/integration/playbooks/data.yml"
INVENTORY = "inventories/local"
APP = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())
NAME = APP["app_name"]
TABLE = f"{NAME}-sessions"
ORIGINS = {region: f"origin-{region}.{APP['dns_zone']}" for region in REGIONS}
STANDBY = f"standby.{APP['dns_record']}"
# The dns role (not in this playbook) names the standby origin in a full provision.
EXTRAVARS = {"cdn_origin_domain_names": ORIGINS, "cdn_standby_domain_name": STANDBY}


def bucket(region):
    # bucket names are global across accounts: the default prefix carries the application's DNS zone
    return f"{NAME}-data-{APP['dns_zone'].replace('.', '-')}-{region}"


def region_keys(aws):
    return {r: aws("kms", r).describe_key(KeyId=f"alias/{NAME}-data")["KeyMetadata"]["Arn"] for r in REGIONS}


def tables(aws, region):
    return aws("dynamodb", region).list_tables()["TableNames"]


def buckets(aws):
    return [b["Name"] for b in aws("s3", HOME).list_buckets()["Buckets"]]


def vaults(aws, region):
    return [v["BackupVaultName"] for v in aws("backup", region).list_backup_vaults()["BackupVaultList"]]


def plans(aws, region):
    return aws("backup", region).list_backup_plans()["BackupPlansList"]


def distributions(aws):
    return aws("cloudfront", HOME).list_distributions()["DistributionList"].get("Items") or []


def check_dynamodb(aws, keys):
    home = aws("dynamodb", HOME)
    table = home.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "session_id", "KeyType": "HASH"}]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == keys[HOME]
    assert {r["RegionName"]: r["ReplicaStatus"] for r in table["Replicas"]} == {"us-west-2": "ACTIVE", "eu-west-1": "ACTIVE"}
    # the failover lock's table, made the same way (failover_lock's DynamoDB store)
    lock = home.describe_table(TableName=f"{NAME}-dr-lock")["Table"]
    assert lock["KeySchema"] == [{"AttributeName": "name", "KeyType": "HASH"}]
    assert {r["RegionName"]: r["ReplicaStatus"] for r in lock["Replicas"]} == {"us-west-2": "ACTIVE", "eu-west-1": "ACTIVE"}
    for region in REGIONS:
        ddb = aws("dynamodb", region)
        member = ddb.describe_table(TableName=TABLE)["Table"]
        assert member["SSEDescription"]["KMSMasterKeyArn"] == keys[region], region
        pitr = ddb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", region
        tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=member["TableArn"])["Tags"]}
        assert tags["Application"] == NAME, region
    # a write in the home region is read in Europe
    home.put_item(TableName=TABLE, Item={"session_id": {"S": "s-1"}, "user": {"S": "ada"}})
    item = aws("dynamodb", "eu-west-1").get_item(TableName=TABLE, Key={"session_id": {"S": "s-1"}}, ConsistentRead=True)
    assert item["Item"]["user"] == {"S": "ada"}


def check_s3(aws, keys):
    for region in REGIONS:
        s3 = aws("s3", region)
        name = bucket(region)
        assert (s3.get_bucket_location(Bucket=name)["LocationConstraint"] or "us-east-1") == region
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys[region]}
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        assert lifecycle["Status"] == "Enabled"
        assert [(t["StorageClass"], t["Days"]) for t in lifecycle["Transitions"]] == [
            ("STANDARD_IA", 30), ("GLACIER", 90), ("DEEP_ARCHIVE", 365)
        ]
        assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    config = aws("s3", HOME).get_bucket_replication(Bucket=bucket(HOME))["ReplicationConfiguration"]
    assert config["Role"].endswith(f":role/{NAME}-s3-replication")
    destinations = {r["Destination"]["Bucket"]: r for r in config["Rules"]}
    assert set(destinations) == {f"arn:aws:s3:::{bucket(r)}" for r in REGIONS if r != HOME}
    for region in ("us-west-2", "eu-west-1"):
        rule = destinations[f"arn:aws:s3:::{bucket(region)}"]
        assert rule["Status"] == "Enabled"
        assert rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"] == keys[region]
        assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    for region in ("us-west-2", "eu-west-1"):
        with pytest.raises(ClientError):
            aws("s3", region).get_bucket_replication(Bucket=bucket(region))


def check_backup(aws, keys):
    vault_arns = {}
    for region in REGIONS:
        vault = aws("backup", region).describe_backup_vault(BackupVaultName=f"{NAME}-vault")
        assert vault["EncryptionKeyArn"] == keys[region]
        vault_arns[region] = vault["BackupVaultArn"]
    (plan,) = plans(aws, HOME)
    assert plans(aws, "us-west-2") == plans(aws, "eu-west-1") == []
    backup = aws("backup", HOME)
    (rule,) = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert rule["TargetBackupVaultName"] == f"{NAME}-vault"
    assert sorted(c["DestinationBackupVaultArn"] for c in rule["CopyActions"]) == sorted(
        vault_arns[r] for r in REGIONS if r != HOME
    )
    (listed,) = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
    selection = backup.get_backup_selection(BackupPlanId=plan["BackupPlanId"], SelectionId=listed["SelectionId"])["BackupSelection"]
    # by ARN: the database and the table, not whatever carries the Application tag (instances, load balancers, buckets)
    account = selection["IamRoleArn"].split(":")[4]
    assert selection["Resources"] == [f"arn:aws:rds:{HOME}:{account}:db:{NAME}-db", f"arn:aws:dynamodb:{HOME}:{account}:table/{NAME}-sessions"]
    assert not selection.get("ListOfTags"), selection
    assert selection["IamRoleArn"].endswith(f":role/{NAME}-backup")
    attached = aws("iam").list_attached_role_policies(RoleName=f"{NAME}-backup")["AttachedPolicies"]
    managed = [f"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyFor{what}" for what in ("Backup", "Restores")]
    assert sorted(p["PolicyArn"] for p in attached) == managed


def check_cdn(aws, origins):
    (summary,) = distributions(aws)
    cf = aws("cloudfront", HOME)
    config = cf.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    assert config["CallerReference"] == f"{NAME}-cdn" and config["Enabled"] is True
    found = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert {i: o["DomainName"] for i, o in found.items()} == {**origins, "standby": STANDBY, "writes": APP["dns_record"]}
    assert all(o["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only" for o in found.values())
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["us-east-1", "standby"]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [500, 502, 503, 504]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["TargetOriginId"] == group["Id"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    # writes (POST, ...) cannot use the group: a behavior of their own to the application's DNS name
    (writes,) = config["CacheBehaviors"]["Items"]
    assert (writes["PathPattern"], writes["TargetOriginId"], len(writes["AllowedMethods"]["Items"])) == ("/api/*", "writes", 7)
    tags = cf.list_tags_for_resource(Resource=summary["ARN"])["Tags"]["Items"]
    assert {"Key": "Application", "Value": NAME} in tags


def test_data_services_of_the_provisioned_stack(provisioned, aws):
    """provision.yml made them (test_provision.py runs it, its rerun, check mode and teardown): each checked in
    detail here, with the load balancers as the CDN's origins."""
    keys = region_keys(aws)
    check_dynamodb(aws, keys)
    check_s3(aws, keys)
    check_backup(aws, keys)
    check_cdn(aws, {region: aws("elbv2", region).describe_load_balancers()["LoadBalancers"][0]["DNSName"] for region in REGIONS})


@pytest.mark.parametrize(
    "extravars, roles, named",
    [
        (
            {"s3_lifecycle_transitions": [{"storage_class": "GLACIER", "days": 90}, {"storage_class": "STANDARD_IA", "days": 120}]},
            ["s3"],
            "GLACIER after 90, STANDARD_IA after 120",
        ),
        (
            {"s3_lifecycle_transitions": [{"storage_class": "STANDARD_IA", "days": 30}, {"storage_class": "GLACIER_FAST", "days": 90}]},
            ["s3"],
            "GLACIER_FAST",
        ),
        ({"cdn_failover_status_codes": [500, 501]}, ["cdn"], "501"),
    ],
    ids=["transition-out-of-order", "unknown-storage-class", "bad-failover-code"],
)
def test_bad_vars_fail_in_every_region_before_any_change(playbook, aws, extravars, roles, named):
    run = playbook(PLAYBOOK, inventory=INVENTORY, extravars={**EXTRAVARS, **extravars, "data_roles": roles})
    assert run.rc != 0
    assert all(stats["failures"] == 1 and stats["changed"] == 0 for stats in run.stats.values()), run.stats
    messages = run.failures()
    assert len(messages) == len(REGIONS) and all(named in message for message in messages), messages
    assert buckets(aws) == [] and distributions(aws) == []


@pytest.mark.slow(40)
def test_teardown_keeps_a_vault_with_recovery_points(playbook, aws):
    """AWS Backup deletes only an empty vault: teardown keeps one holding backups, says so, and finishes the rest."""
    made = playbook(PLAYBOOK, inventory=INVENTORY, extravars={**EXTRAVARS, "data_roles": ["kms", "backup"]})
    assert made.rc == 0, made.failures()
    west = aws("backup", "us-west-2")
    point = west.start_backup_job(BackupVaultName=f"{NAME}-vault", ResourceArn=f"arn:aws:dynamodb:us-west-2:123456789012:table/{TABLE}",
                                  IamRoleArn=f"arn:aws:iam::123456789012:role/{NAME}-backup")["RecoveryPointArn"]

    kept = playbook(PLAYBOOK, inventory=INVENTORY, extravars={**EXTRAVARS, "data_state": "absent"})
    assert kept.rc == 0, kept.failures()
    assert vaults(aws, "us-west-2") == [f"{NAME}-vault"] and vaults(aws, HOME) == [] and vaults(aws, "eu-west-1") == []
    message = kept.result("Keep a vault that holds recovery points", "us-west-2")["msg"]
    assert f"{NAME}-vault in us-west-2 is kept: it holds 1 recovery point(s)" in message, message
    assert west.list_recovery_points_by_backup_vault(BackupVaultName=f"{NAME}-vault")["RecoveryPoints"][0]["RecoveryPointArn"] == point

    west.delete_recovery_point(BackupVaultName=f"{NAME}-vault", RecoveryPointArn=point)
    gone = playbook(PLAYBOOK, inventory=INVENTORY, extravars={**EXTRAVARS, "data_state": "absent"})
    assert gone.rc == 0, gone.failures()
    assert vaults(aws, "us-west-2") == []
