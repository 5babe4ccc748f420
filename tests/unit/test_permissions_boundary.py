"""The permissions boundary (roles/iam/templates/boundary_policy.json.j2) against what the collection's roles need, with
regionsim's IAM evaluation (the one that enforces the policies in the integration tests): every grant of the roles' own
policies is inside it, so the boundary takes nothing from them; so is what AWS Backup's service-role policies do for the
plan's resources; and it allows nothing of IAM, nothing that starts instances, nothing on another application's data."""

import json
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from moto.iam.aws_managed_policies import aws_managed_policies_data

from regionsim.access import evaluate

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
VARIABLES = {
    "app_name": "shop", "iam_account_id": ACCOUNT, "home_region": "us-east-1", "ansible_play_hosts_all": REGIONS,
    "s3_bucket_prefix": "shop-data-shop-example-com", "asg_partition": "aws", "asg_account_id": ACCOUNT,
    "asg_db_secret_name": "shop/rds/master", "asg_artifact_prefix": "artifacts/",
    # each region's host has uploaded the application to its bucket, encrypted with the region's key
    "hostvars": {region: {"asg_artifact": {"bucket": f"shop-data-shop-example-com-{region}", "kms_key_arn": f"arn:aws:kms:{region}:{ACCOUNT}:key/1"}}
                 for region in REGIONS},
}


def render(path):
    text = (ROOT / path).read_text()
    return json.loads(Templar(loader=DataLoader(), variables=VARIABLES).template(trust_as_template(text)))


BOUNDARY = [render("roles/iam/templates/boundary_policy.json.j2")]
ROLE_POLICIES = ["roles/asg/templates/app_policy.json.j2", "roles/s3/templates/replication_policy.json.j2", "roles/backup/files/backup_policy.json"]


def listed(value):
    return value if isinstance(value, list) else [value]


def context_of(condition):
    """A request the statement's condition admits: each key's first value, a region where it has a wildcard."""
    return {key: str(listed(values)[0]).replace("*", "us-east-1") for keys in (condition or {}).values() for key, values in keys.items()}


def grants(document):
    return [(action, resource, context_of(statement.get("Condition")))
            for statement in document["Statement"] if statement["Effect"] == "Allow"
            for action in listed(statement["Action"]) for resource in listed(statement["Resource"])]


@pytest.mark.parametrize("path", ROLE_POLICIES)
def test_the_boundary_takes_nothing_from_the_roles_own_policies(path):
    policy = render(path)
    outside = [grant for grant in grants(policy) if evaluate(BOUNDARY, *grant) != "allowed"]
    assert grants(policy) and outside == []


# What AWS Backup does, as the role, for the plan's resources (the database, its Aurora cluster, the tables, the vaults
# and the application's keys): every one is granted by AWS's service-role policy (moto's copy of it) and by the boundary.
RDS, DYNAMODB, BACKUP, KMS = (f"arn:aws:{s}:us-east-1:{ACCOUNT}:" for s in ("rds", "dynamodb", "backup", "kms"))
BACKUP_CALLS = [
    ("rds:DescribeDBInstances", "*", {}), ("rds:ListTagsForResource", f"{RDS}db:shop-db", {}),
    ("rds:CreateDBSnapshot", f"{RDS}db:shop-db", {}), ("rds:CreateDBSnapshot", f"{RDS}snapshot:awsbackup:job-1", {}),
    ("rds:AddTagsToResource", f"{RDS}snapshot:awsbackup:job-1", {}), ("rds:CopyDBSnapshot", f"{RDS}snapshot:awsbackup:job-1", {}),
    ("rds:DeleteDBSnapshot", f"{RDS}snapshot:awsbackup:job-1", {}), ("rds:ModifyDBSnapshotAttribute", f"{RDS}snapshot:awsbackup:job-1", {}),
    ("rds:CreateDBClusterSnapshot", f"{RDS}cluster:shop-db", {}), ("rds:DeleteDBClusterSnapshot", f"{RDS}cluster-snapshot:awsbackup:job-2", {}),
    ("rds:DeleteDBInstanceAutomatedBackup", f"{RDS}auto-backup:ab-1", {}),
    ("rds:RestoreDBInstanceFromDBSnapshot", f"{RDS}db:shop-restored", {}), ("rds:CreateDBInstance", f"{RDS}db:shop-restored", {}),
    ("dynamodb:DescribeTable", f"{DYNAMODB}table/shop-sessions", {}), ("dynamodb:CreateBackup", f"{DYNAMODB}table/shop-sessions", {}),
    ("dynamodb:StartAwsBackupJob", f"{DYNAMODB}table/shop-sessions", {}),
    ("dynamodb:DeleteBackup", f"{DYNAMODB}table/shop-sessions/backup/01", {}),
    ("dynamodb:RestoreTableFromAwsBackup", f"{DYNAMODB}table/shop-restored", {}),
    ("backup:CopyIntoBackupVault", f"{BACKUP}backup-vault:shop-vault", {}), ("backup:CopyFromBackupVault", "*", {}),
    ("tag:GetResources", "*", {}), ("kms:DescribeKey", f"{KMS}key/1", {}),
    ("kms:Decrypt", f"{KMS}key/1", {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}),
    ("kms:CreateGrant", f"{KMS}key/1", {"kms:GrantIsForAWSResource": "true"}),
]


def aws_policy(name):
    return json.loads(aws_managed_policies_data)[name]["Document"]


@pytest.mark.parametrize("action, resource, context", BACKUP_CALLS)
def test_the_boundary_takes_nothing_aws_backup_does_for_the_plan(action, resource, context):
    managed = [aws_policy("AWSBackupServiceRolePolicyForBackup"), aws_policy("AWSBackupServiceRolePolicyForRestores")]
    assert evaluate(managed, action, resource, context) == "allowed", "not something AWS Backup's policies grant"
    assert evaluate(BOUNDARY, action, resource, context) == "allowed"


@pytest.mark.parametrize("action, resource", [
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/shop-app"), ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/shop-x"),
    ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/shop-app"), ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin"),
    ("ec2:RunInstances", "*"),  # AWS Backup's restore policy has it, with iam:PassRole to EC2
    ("rds:DeleteDBInstance", f"arn:aws:rds:us-east-1:{ACCOUNT}:db:billing-db"),
    ("rds:DeleteDBSnapshot", f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:billing-final"),
    ("dynamodb:Scan", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/billing-ledger"),
    ("s3:GetObject", "arn:aws:s3:::billing-data/x"), ("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/billing/config"),
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:billing/db-AbCdEf"),
    ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"),  # not through one of the application's services
    ("kms:ScheduleKeyDeletion", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"),
])
def test_the_boundary_allows_no_escalation_and_nothing_of_another_application(action, resource):
    assert evaluate(BOUNDARY, action, resource, {}) == "implicit"
