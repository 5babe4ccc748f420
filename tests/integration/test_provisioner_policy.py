"""The provisioner cannot make an IAM role stronger than the permissions boundary (roles/iam), nor touch another
application's network or keys, proven by enforcement on the simulator: dr-provisioner holds only the provisioning
policies an administrator installs (tests/conftest.py), and every provision in the tests runs as it. Here it tries the
ways around the boundary and the tags, and provision, finding the boundary changed behind its back, stops before any
change with who must install it."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/shop-dr-boundary"
BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def refused(call, code="AccessDenied"):
    """The refusal's message; the code is the service's (EC2 answers UnauthorizedOperation)."""
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == code, caught.value.response
    return caught.value.response["Error"]["Message"]


@pytest.mark.slow(90)
def test_the_provisioner_cannot_escalate_nor_touch_another_applications_network_or_keys(provisioned, playbook, aws, sim):
    env = sim.provisioner_env

    def as_provisioner(service, region):
        return boto3.client(service, region_name=region, endpoint_url=sim.endpoint, aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])

    iam = as_provisioner("iam", "us-east-1")
    admin = aws("iam")
    who = f"User: arn:aws:iam::{ACCOUNT}:user/dr-provisioner is not authorized to perform:"

    # a role of the application's name, without the boundary or with another one: refused
    message = refused(lambda: iam.create_role(RoleName="shop-escalate", AssumeRolePolicyDocument=TRUST))
    assert message.startswith(f"{who} iam:CreateRole on resource: arn:aws:iam::{ACCOUNT}:role/shop-escalate"), message
    refused(lambda: iam.create_role(RoleName="shop-escalate", AssumeRolePolicyDocument=TRUST,
                                    PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/shop-dr-operator"))
    # with the boundary it may, and whatever it puts on the role, the boundary caps it
    iam.create_role(RoleName="shop-escalate", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=BOUNDARY)
    iam.put_role_policy(RoleName="shop-escalate", PolicyName="everything", PolicyDocument=EVERYTHING)
    iam.attach_role_policy(RoleName="shop-escalate", PolicyArn=BACKUP_POLICY)

    # a role someone made without the boundary takes no policy from it
    admin.create_role(RoleName="shop-legacy", AssumeRolePolicyDocument=TRUST)
    message = refused(lambda: iam.put_role_policy(RoleName="shop-legacy", PolicyName="everything", PolicyDocument=EVERYTHING))
    assert f"iam:PutRolePolicy on resource: arn:aws:iam::{ACCOUNT}:role/shop-legacy" in message
    refused(lambda: iam.attach_role_policy(RoleName="shop-legacy", PolicyArn=BACKUP_POLICY))

    # nor can it take the boundary off a role, or rewrite the boundary or its own policies
    message = refused(lambda: iam.delete_role_permissions_boundary(RoleName="shop-app"))
    assert message.endswith("with an explicit deny in an identity-based policy"), message
    message = refused(lambda: iam.create_policy_version(PolicyArn=BOUNDARY, PolicyDocument=EVERYTHING, SetAsDefault=True))
    assert f"iam:CreatePolicyVersion on resource: {BOUNDARY} with an explicit deny" in message
    admin.create_policy(PolicyName="shop-dr-provisioner-1", PolicyDocument=EVERYTHING)
    refused(lambda: iam.create_policy_version(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/shop-dr-provisioner-1",
                                              PolicyDocument=EVERYTHING, SetAsDefault=True))
    refused(lambda: iam.delete_policy(PolicyArn=BOUNDARY))
    assert admin.get_role(RoleName="shop-app")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY

    # EC2 and KMS name their resources by ids AWS makes: the provisioner makes them only with the application's tag,
    # and changes or deletes only what carries it
    ec2 = as_provisioner("ec2", "us-west-2")
    tagged = [{"ResourceType": "vpc", "Tags": [{"Key": "Application", "Value": "shop"}]}]
    error = refused(lambda: ec2.create_vpc(CidrBlock="10.90.0.0/16"), "UnauthorizedOperation")
    assert f"ec2:CreateVpc on resource: arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/*" in error
    ec2.delete_vpc(VpcId=ec2.create_vpc(CidrBlock="10.90.0.0/16", TagSpecifications=tagged)["Vpc"]["VpcId"])
    other = aws("ec2", "us-west-2").create_vpc(CidrBlock="10.91.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Application", "Value": "billing"}]}])["Vpc"]["VpcId"]
    error = refused(lambda: ec2.delete_vpc(VpcId=other), "UnauthorizedOperation")
    assert f"ec2:DeleteVpc on resource: arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/{other}" in error
    refused(lambda: ec2.modify_vpc_attribute(VpcId=other, EnableDnsSupport={"Value": False}), "UnauthorizedOperation")
    kms = as_provisioner("kms", "us-west-2")
    billing_key = aws("kms", "us-west-2").create_key(Tags=[{"TagKey": "Application", "TagValue": "billing"}])["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as caught:
        kms.schedule_key_deletion(KeyId=billing_key, PendingWindowInDays=7)
    assert "kms:ScheduleKeyDeletion" in caught.value.response["Error"]["Message"]
    assert aws("kms", "us-west-2").describe_key(KeyId=billing_key)["KeyMetadata"]["KeyState"] == "Enabled"

    # AWS Backup: vaults by name, plans by their Application tag
    backup = as_provisioner("backup", "us-west-2")
    aws("backup", "us-west-2").create_backup_vault(BackupVaultName="billing-vault")
    with pytest.raises(ClientError) as caught:
        backup.delete_backup_vault(BackupVaultName="billing-vault")
    assert f"backup:DeleteBackupVault on resource: arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:billing-vault" in str(caught.value)
    plan = {"BackupPlanName": "billing-plan", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "billing-vault"}]}
    with pytest.raises(ClientError):
        backup.create_backup_plan(BackupPlan=plan)
    plan_id = aws("backup", "us-west-2").create_backup_plan(BackupPlan=plan, BackupPlanTags={"Application": "billing"})["BackupPlanId"]
    with pytest.raises(ClientError) as caught:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert "backup:DeleteBackupPlan" in str(caught.value)

    # the boundary changed by someone else: provision (as the provisioner) may not put it back, and says who must,
    # before any region's host changes anything
    boundary = admin.get_policy(PolicyArn=BOUNDARY)["Policy"]
    document = admin.get_policy_version(PolicyArn=BOUNDARY, VersionId=boundary["DefaultVersionId"])["PolicyVersion"]["Document"]
    document["Statement"].append({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    admin.create_policy_version(PolicyArn=BOUNDARY, PolicyDocument=json.dumps(document), SetAsDefault=True)
    run = playbook("playbooks/provision.yml", inventory="inventories/local")
    assert run.rc != 0
    assert any(f"The permissions boundary {BOUNDARY} is missing or differs from this collection's" in failure
               and "not authorized to perform: iam:SetDefaultPolicyVersion" in failure and "An administrator installs it" in failure
               for failure in run.failures()), run.failures()
    # a run_once failure ends the play for every host: the other regions stop with it (a rerun that went on would run every role)
    assert run.stats["us-east-1"]["failures"] == 1 and all(stats["changed"] == 0 for stats in run.stats.values()), run.stats
    assert all(stats["ok"] < 15 for region, stats in run.stats.items() if region != "us-east-1"), run.stats
