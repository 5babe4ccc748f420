"""AWS managed policies exist in every account, as on AWS: attached, read and detached by ARN; a name AWS does not
have is NoSuchEntity."""

import json

import pytest
from botocore.exceptions import ClientError

BACKUP = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_an_aws_managed_policy_is_attached_read_and_detached(client):
    iam = client("iam", "us-east-1")
    iam.create_role(RoleName="shop-backup", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="shop-backup", PolicyArn=BACKUP)
    attached = iam.list_attached_role_policies(RoleName="shop-backup")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSBackupServiceRolePolicyForBackup", "PolicyArn": BACKUP}]
    policy = iam.get_policy(PolicyArn=BACKUP)["Policy"]
    assert policy["Path"] == "/service-role/" and policy["AttachmentCount"] == 1
    document = iam.get_policy_version(PolicyArn=BACKUP, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert any("dynamodb:CreateBackup" in statement.get("Action", []) for statement in document["Statement"])
    iam.detach_role_policy(RoleName="shop-backup", PolicyArn=BACKUP)
    iam.delete_role(RoleName="shop-backup")


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::aws:policy/service-role/NoSuchPolicyForBackup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForBackup",  # AWS's is under /service-role/
])
def test_a_policy_aws_does_not_have_is_no_such_entity(client, arn):
    iam = client("iam", "us-east-1")
    iam.create_role(RoleName="shop-backup", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(RoleName="shop-backup", PolicyArn=arn)
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as caught:
        iam.get_policy(PolicyArn=arn)
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
