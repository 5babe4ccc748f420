"""AWS managed IAM policies (IAM User Guide, "AWS managed policies"): every account has them.

moto 5.2.5 loads its copy of AWS's managed policies only when told to (MOTO_IAM_LOAD_MANAGED_POLICIES), and then
all of them, about a thousand, into every IAM backend it makes (every reset). Without them, attaching
arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup fails with NoSuchEntity where AWS attaches
it. Here an AWS managed policy is made the first time a call names it (attach to a role, user or group; get the
policy or one of its versions), from moto's copy; a name AWS does not have still answers NoSuchEntity.
"""

import functools
import json
import re

from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data

AWS_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy(/(?:[^/]+/)*)([^/]+)$")


@functools.lru_cache(maxsize=1)
def _aws_policies():
    return json.loads(aws_managed_policies_data)


def _materialize(backend, policy_arn):
    """Add the AWS managed policy policy_arn names to the backend, once; nothing for any other ARN."""
    if policy_arn in backend.managed_policies:
        return
    match = AWS_POLICY_ARN.match(policy_arn or "")
    data = _aws_policies().get(match.group(2)) if match else None
    if data is None or data.get("Path", "/") != match.group(1):
        return
    policy = iam_models.AWSManagedPolicy.from_data(match.group(2), backend.account_id, backend.region_name, data)
    if policy.arn == policy_arn:
        backend.aws_managed_policies.append(policy)
        backend.managed_policies[policy.arn] = policy


def _naming_policy(method):
    @functools.wraps(method)
    def patched(self, policy_arn, *args, **kwargs):
        _materialize(self, policy_arn)
        return method(self, policy_arn, *args, **kwargs)

    patched.regionsim_patched = True
    return patched


def apply():
    backend = iam_models.IAMBackend
    for name in ("attach_role_policy", "attach_user_policy", "attach_group_policy", "get_policy", "get_policy_version"):
        method = getattr(backend, name)
        if not getattr(method, "regionsim_patched", False):
            setattr(backend, name, _naming_policy(method))
