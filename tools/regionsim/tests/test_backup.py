"""AWS Backup selections behave as in AWS: created, read, listed and deleted per plan; a plan
with selections cannot be deleted; a deleted plan's name can be used again."""

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"


def _plan(backup, name="shop-plan"):
    return backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": name,
            "Rules": [{
                "RuleName": "daily",
                "TargetBackupVaultName": "shop-vault",
                "CopyActions": [{"DestinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:shop-vault"}],
            }],
        }
    )["BackupPlanId"]


def test_selection_lifecycle(client):
    backup = client("backup", "us-east-1")
    plan_id = _plan(backup)
    made = backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": "shop-data",
            "IamRoleArn": ROLE,
            "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "Application", "ConditionValue": "shop"}],
        },
        CreatorRequestId="req-1",
    )
    assert made["BackupPlanId"] == plan_id and made["SelectionId"]

    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=made["SelectionId"])
    assert got["BackupSelection"]["SelectionName"] == "shop-data"
    assert got["BackupSelection"]["ListOfTags"][0]["ConditionValue"] == "shop"
    assert got["CreatorRequestId"] == "req-1"
    assert got["BackupSelection"]["Conditions"] == {"StringEquals": [], "StringNotEquals": [], "StringLike": [], "StringNotLike": []}
    (listed,) = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert (listed["SelectionId"], listed["SelectionName"], listed["IamRoleArn"]) == (made["SelectionId"], "shop-data", ROLE)
    # selections are per region, like the plans
    with pytest.raises(ClientError) as err:
        client("backup", "eu-west-1").list_backup_selections(BackupPlanId=plan_id)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # AWS refuses to delete a plan that still has selections
    with pytest.raises(ClientError) as err:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=made["SelectionId"])
    assert backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []
    with pytest.raises(ClientError) as err:
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=made["SelectionId"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    backup.delete_backup_plan(BackupPlanId=plan_id)
    assert backup.list_backup_plans()["BackupPlansList"] == []
    again = _plan(backup)  # the name is free again
    assert again != plan_id
    assert [p["BackupPlanName"] for p in backup.list_backup_plans()["BackupPlansList"]] == ["shop-plan"]


@pytest.mark.parametrize(
    "selection, code",
    [
        ({"SelectionName": "bad name!", "IamRoleArn": ROLE}, "InvalidParameterValueException"),
        ({"SelectionName": "ok", "IamRoleArn": "not-an-arn"}, "InvalidParameterValueException"),
    ],
    ids=["bad-name", "bad-role"],
)
def test_bad_selection_is_refused(client, selection, code):
    backup = client("backup", "us-east-1")
    plan_id = _plan(backup)
    with pytest.raises(ClientError) as err:
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)
    assert err.value.response["Error"]["Code"] == code
    assert backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []


def test_selection_of_unknown_plan_is_not_found(client):
    backup = client("backup", "us-east-1")
    with pytest.raises(ClientError) as err:
        backup.create_backup_selection(
            BackupPlanId="00000000-0000-0000-0000-000000000000",
            BackupSelection={"SelectionName": "x", "IamRoleArn": ROLE},
        )
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_missing_vault_is_access_denied_as_in_aws(client):
    backup = client("backup", "us-west-2")
    with pytest.raises(ClientError) as err:
        backup.describe_backup_vault(BackupVaultName="shop-vault")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    backup.create_backup_vault(BackupVaultName="shop-vault")
    assert backup.describe_backup_vault(BackupVaultName="shop-vault")["BackupVaultName"] == "shop-vault"


def test_update_plan_replaces_rules_with_a_new_version(client):
    backup = client("backup", "us-east-1")
    plan_id = _plan(backup)
    before = backup.get_backup_plan(BackupPlanId=plan_id)
    updated = backup.update_backup_plan(
        BackupPlanId=plan_id,
        BackupPlan={"BackupPlanName": "shop-plan", "Rules": [
            {"RuleName": "daily", "TargetBackupVaultName": "shop-vault", "Lifecycle": {"DeleteAfterDays": 40}},
        ]},
    )
    assert updated["BackupPlanId"] == plan_id and updated["VersionId"] != before["VersionId"]
    (rule,) = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 40} and "CopyActions" not in rule
    assert rule["ScheduleExpression"] == "cron(0 5 ? * * *)"  # AWS's default
    with pytest.raises(ClientError) as err:
        backup.update_backup_plan(BackupPlanId="00000000-0000-0000-0000-000000000000",
                                  BackupPlan={"BackupPlanName": "x", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]})
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_vault_with_recovery_points_cannot_be_deleted(client):
    """AWS Backup deletes only an empty vault (InvalidRequestException); its recovery points go first."""
    backup = client("backup", "us-west-2")
    backup.create_backup_vault(BackupVaultName="app-vault")
    job = backup.start_backup_job(
        BackupVaultName="app-vault", ResourceArn="arn:aws:dynamodb:us-west-2:123456789012:table/app",
        IamRoleArn="arn:aws:iam::123456789012:role/backup",
    )
    listed = backup.list_recovery_points_by_backup_vault(BackupVaultName="app-vault")["RecoveryPoints"]
    assert [(p["RecoveryPointArn"], p["Status"]) for p in listed] == [(job["RecoveryPointArn"], "COMPLETED")]
    assert backup.list_backup_vaults()["BackupVaultList"][0]["NumberOfRecoveryPoints"] == 1
    assert backup.describe_backup_vault(BackupVaultName="app-vault")["NumberOfRecoveryPoints"] == 1
    with pytest.raises(ClientError) as err:
        backup.delete_backup_vault(BackupVaultName="app-vault")
    error = err.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidRequestException", "Backup vault cannot be deleted because it contains recovery points.")
    backup.delete_recovery_point(BackupVaultName="app-vault", RecoveryPointArn=job["RecoveryPointArn"])
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="app-vault")["RecoveryPoints"] == []
    backup.delete_backup_vault(BackupVaultName="app-vault")
    assert backup.list_backup_vaults()["BackupVaultList"] == []
