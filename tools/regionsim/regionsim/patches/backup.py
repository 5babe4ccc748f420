"""AWS Backup selections and plan updates (AWS Backup API reference: CreateBackupSelection,
GetBackupSelection, ListBackupSelections, DeleteBackupSelection, UpdateBackupPlan, DeleteBackupPlan).

moto 5.2.5 has no backup selections and no UpdateBackupPlan (500), so amazon.aws.backup_selection
cannot assign resources to a plan and amazon.aws.backup_plan cannot change one. Here a plan holds
selections; UpdateBackupPlan replaces the plan's rules under a new VersionId; DeleteBackupPlan fails with
InvalidRequestException while it has any (AWS: selections must be deleted first); a deleted
plan's name may be used again by a new plan (moto counted deleted plans as existing).
DescribeBackupVault of a vault that does not exist answers AccessDeniedException (403), as
AWS does (amazon.aws.backup_vault relies on it), not moto's ResourceNotFoundException.
Recovery points (moto has none: StartBackupJob is a 404): StartBackupJob makes one at once (the job
COMPLETED), ListRecoveryPointsByBackupVault and DeleteRecoveryPoint serve them, the vault counts them,
and DeleteBackupVault refuses a vault that holds any, as AWS does.
"""

import json
import re
from urllib.parse import unquote

from moto.backup import models as backup_models
from moto.backup import responses as backup_responses
from moto.backup import urls as backup_urls
from moto.backup.exceptions import (
    AlreadyExistsException,
    BackupClientError,
    InvalidParameterValueException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random

SELECTION_NAME = re.compile(r"^[a-zA-Z0-9\-\_\.]{1,50}$")
CONDITION_KINDS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")


class AccessDeniedException(BackupClientError):
    code = 403

    def __init__(self):
        super().__init__("AccessDeniedException", "Insufficient privileges to perform this action.")


class MissingParameterValueException(BackupClientError):
    def __init__(self, msg):
        super().__init__("MissingParameterValueException", msg)


def _live_plan(backend, plan_id):
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(f"Failed reading Backup plan with provided version: {plan_id}")
    return plan


def _selections(backend, plan_id):
    if not hasattr(backend, "sim_selections"):
        backend.sim_selections = {}
    return backend.sim_selections.setdefault(plan_id, {})


def _path_ids(path):
    # /backup/plans/{backupPlanId}/selections/{selectionId}
    parts = [p for p in path.split("?")[0].split("/") if p]
    return parts[2], (parts[4] if len(parts) > 4 else None)


def create_backup_selection(self):
    backend = self.backup_backend
    plan_id, _ = _path_ids(self.path)
    params = json.loads(self.body or "{}")
    _live_plan(backend, plan_id)
    selection = params.get("BackupSelection") or {}
    name, role = selection.get("SelectionName"), selection.get("IamRoleArn")
    if not name or not role:
        raise MissingParameterValueException("BackupSelection needs SelectionName and IamRoleArn")
    if not SELECTION_NAME.match(name):
        raise InvalidParameterValueException(f"Invalid selection name {name}: 1 to 50 letters, digits, '-', '_' or '.'")
    if not IAM_ROLE_ARN.match(role):
        raise InvalidParameterValueException(f"Invalid IamRoleArn {role}")
    selections = _selections(backend, plan_id)
    request_id = params.get("CreatorRequestId")
    if request_id and any(s["CreatorRequestId"] == request_id for s in selections.values()):
        raise AlreadyExistsException(f"A selection with CreatorRequestId {request_id} already exists")
    selection_id = str(mock_random.uuid4())
    selections[selection_id] = {
        "SelectionId": selection_id,
        "BackupPlanId": plan_id,
        "CreationDate": unix_time(),
        "CreatorRequestId": request_id,
        "BackupSelection": {
            "SelectionName": name,
            "IamRoleArn": role,
            "Resources": selection.get("Resources", []),
            "ListOfTags": selection.get("ListOfTags", []),
            "NotResources": selection.get("NotResources", []),
            # AWS returns every condition list, empty when not given
            "Conditions": {k: (selection.get("Conditions") or {}).get(k, []) for k in CONDITION_KINDS},
        },
    }
    made = selections[selection_id]
    return json.dumps({k: made[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})


def _selection(backend, path):
    plan_id, selection_id = _path_ids(path)
    _live_plan(backend, plan_id)
    selection = _selections(backend, plan_id).get(selection_id)
    if selection is None:
        raise ResourceNotFoundException(f"Failed reading Backup selection {selection_id} of plan {plan_id}")
    return plan_id, selection


def get_backup_selection(self):
    _, selection = _selection(self.backup_backend, self.path)
    return json.dumps({k: v for k, v in selection.items() if v is not None})


def list_backup_selections(self):
    plan_id, _ = _path_ids(self.path)
    _live_plan(self.backup_backend, plan_id)
    members = [
        {
            "SelectionId": s["SelectionId"],
            "SelectionName": s["BackupSelection"]["SelectionName"],
            "BackupPlanId": plan_id,
            "CreationDate": s["CreationDate"],
            "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            **({"CreatorRequestId": s["CreatorRequestId"]} if s["CreatorRequestId"] else {}),
        }
        for s in _selections(self.backup_backend, plan_id).values()
    ]
    return json.dumps({"BackupSelectionsList": members})


def delete_backup_selection(self):
    plan_id, selection = _selection(self.backup_backend, self.path)
    del _selections(self.backup_backend, plan_id)[selection["SelectionId"]]
    return "{}"


def update_backup_plan(self):
    backend = self.backup_backend
    plan_id = [p for p in self.path.split("?")[0].split("/") if p][2]
    plan = _live_plan(backend, plan_id)
    document = json.loads(self.body or "{}").get("BackupPlan") or {}
    if not document.get("BackupPlanName") or not document.get("Rules"):
        raise MissingParameterValueException("BackupPlan needs BackupPlanName and Rules")
    # a new version of the plan: its rules get the defaults and ids a created plan's get
    fresh = backup_models.Plan(backup_plan=document, creator_request_id=plan.creator_request_id, backend=backend)
    plan.backup_plan = fresh.backup_plan
    plan.advanced_backup_settings = fresh.advanced_backup_settings
    plan.version_id = fresh.version_id
    return json.dumps(plan.to_dict())


_original_delete_plan = backup_models.BackupBackend.delete_backup_plan
_original_create_plan = backup_models.BackupBackend.create_backup_plan


def delete_backup_plan(self, backup_plan_id):
    if _selections(self, backup_plan_id):
        raise InvalidRequestException(
            "Related backup plan selections must be deleted prior to backup plan deletion"
        )
    return _original_delete_plan(self, backup_plan_id)


def create_backup_plan(self, backup_plan, backup_plan_tags, creator_request_id):
    # a deleted plan keeps its record (GetBackupPlan shows DeletionDate) but not its name
    deleted = {k: p for k, p in self.plans.items() if p.deletion_date is not None}
    for plan_id in deleted:
        del self.plans[plan_id]
    try:
        return _original_create_plan(self, backup_plan, backup_plan_tags, creator_request_id)
    finally:
        self.plans.update(deleted)


def describe_backup_vault(self, backup_vault_name):
    # AWS answers a vault that does not exist with AccessDenied (403), not ResourceNotFound
    if backup_vault_name not in self.vaults:
        raise AccessDeniedException()
    return self.vaults[backup_vault_name]


# --- recovery points ----------------------------------------------------------------------


def _recovery_points(backend, vault_name):
    if vault_name not in backend.vaults:
        raise ResourceNotFoundException(f"Backup vault {vault_name} does not exist")
    if not hasattr(backend, "sim_recovery_points"):
        backend.sim_recovery_points = {}
    return backend.sim_recovery_points.setdefault(vault_name, {})


def _count(backend, vault_name):
    backend.vaults[vault_name].num_of_recovery_points = len(_recovery_points(backend, vault_name))


def _vault_path(path):
    # /backup-vaults/{name}/recovery-points/{arn}
    parts = [unquote(p) for p in path.split("?")[0].split("/") if p]
    return parts[1], (parts[3] if len(parts) > 3 else None)


def start_backup_job(self):
    backend = self.backup_backend
    params = json.loads(self.body or "{}")
    vault_name, resource, role = params.get("BackupVaultName"), params.get("ResourceArn"), params.get("IamRoleArn")
    if not vault_name or not resource or not role:
        raise MissingParameterValueException("BackupVaultName, ResourceArn and IamRoleArn are required")
    points = _recovery_points(backend, vault_name)
    job_id = str(mock_random.uuid4()).upper()
    arn = f"arn:aws:backup:{backend.region_name}:{backend.account_id}:recovery-point:{mock_random.uuid4()}"
    now = unix_time()
    points[arn] = {
        "RecoveryPointArn": arn,
        "BackupVaultName": vault_name,
        "BackupVaultArn": backend.vaults[vault_name].backup_vault_arn,
        "ResourceArn": resource,
        "ResourceType": resource.split(":")[2].upper() if resource.count(":") > 2 else "",
        "IamRoleArn": role,
        "Status": "COMPLETED",
        "CreationDate": now,
        "CompletionDate": now,
    }
    _count(backend, vault_name)
    return json.dumps({"BackupJobId": job_id, "RecoveryPointArn": arn, "CreationDate": now})


def list_recovery_points_by_backup_vault(self):
    backend = self.backup_backend
    vault_name, _ = _vault_path(self.path)
    return json.dumps({"RecoveryPoints": list(_recovery_points(backend, vault_name).values())})


def delete_recovery_point(self):
    backend = self.backup_backend
    vault_name, arn = _vault_path(self.path)
    points = _recovery_points(backend, vault_name)
    if arn not in points:
        raise ResourceNotFoundException(f"Recovery point {arn} not found in backup vault {vault_name}")
    del points[arn]
    _count(backend, vault_name)
    return "{}"


def delete_backup_vault(self, backup_vault_name):
    if backup_vault_name in self.vaults and _recovery_points(self, backup_vault_name):
        raise InvalidRequestException("Backup vault cannot be deleted because it contains recovery points.")
    self.vaults.pop(backup_vault_name, None)
    getattr(self, "sim_recovery_points", {}).pop(backup_vault_name, None)


def apply():
    # moto routes none of these paths; the action itself is found from botocore's model
    backup_urls.url_paths.update({
        "{0}/backup-jobs/?$": backup_urls.response.dispatch,
        "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$": backup_urls.response.dispatch,
        "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$": backup_urls.response.dispatch,
    })
    response = backup_responses.BackupResponse
    response.start_backup_job = start_backup_job
    response.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault
    response.delete_recovery_point = delete_recovery_point
    backup_models.BackupBackend.delete_backup_vault = delete_backup_vault
    # DescribeBackupVault shows NumberOfRecoveryPoints (the serializer reads it by this name)
    backup_models.Vault.number_of_recovery_points = property(lambda vault: vault.num_of_recovery_points)
    response.create_backup_selection = create_backup_selection
    response.get_backup_selection = get_backup_selection
    response.list_backup_selections = list_backup_selections
    response.delete_backup_selection = delete_backup_selection
    response.update_backup_plan = update_backup_plan
    backup_models.BackupBackend.delete_backup_plan = delete_backup_plan
    backup_models.BackupBackend.create_backup_plan = create_backup_plan
    backup_models.BackupBackend.describe_backup_vault = describe_backup_vault
