#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_replication
version_added: 0.1.0
short_description: S3 cross-region replication of a bucket to other buckets
description:
  - Sets the replication configuration of bucket O(bucket) (in O(region)) so that its objects are replicated to
    the destination buckets of O(rules), with S3 Replication Time Control as an option; or removes it.
  - Why this module exists - neither M(amazon.aws.s3_bucket) nor any community.aws module manages
    PutBucketReplication.
  - The whole configuration is replaced (S3 has no per-rule call), so rules not listed are removed.
  - With O(state=absent), a bucket that does not exist has nothing to remove. In check mode a missing bucket
    (made earlier in the same run) is reported as a change.
  - S3 requires versioning on the source and destination buckets; the module fails before any change when
    the source bucket is not versioned.
  - Objects encrypted with a KMS key are replicated only with SourceSelectionCriteria
    SseKmsEncryptedObjects and a replica key in the destination region; the module sets both when a rule has
    O(rules[].replica_kms_key_arn).
author:
  - multiregion.dr developers (@multiregion)
options:
  bucket:
    description: Name of the source bucket.
    type: str
    required: true
  role_arn:
    description:
      - IAM role S3 assumes to replicate objects. Required with O(state=present).
    type: str
  rules:
    description: One rule per destination bucket. Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      id:
        description: Rule id (unique in the configuration).
        type: str
        required: true
      destination_bucket:
        description: Name or ARN of the destination bucket.
        type: str
        required: true
      priority:
        description: Rule priority; the first rule is 1 when omitted, the next 2, and so on.
        type: int
      prefix:
        description: Only objects whose keys start with this; all objects when empty.
        type: str
        default: ''
      replica_kms_key_arn:
        description: KMS key in the destination region that encrypts replicas of KMS-encrypted objects.
        type: str
      storage_class:
        description: Storage class of the replicas; the source object's class when omitted.
        type: str
        choices: [STANDARD, REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, DEEP_ARCHIVE, GLACIER_IR]
      replication_time_control:
        description: S3 Replication Time Control (99.99 % of objects within 15 minutes) and its metrics.
        type: bool
        default: false
      delete_marker_replication:
        description: Replicate delete markers.
        type: bool
        default: false
  state:
    description: V(present) sets the configuration; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Replicate the home region's bucket to eu-west-1 with Replication Time Control
  multiregion.dr.s3_bucket_replication:
    region: us-east-1
    bucket: shop-data-us-east-1
    role_arn: arn:aws:iam::123456789012:role/shop-s3-replication
    rules:
      - id: to-eu-west-1
        destination_bucket: shop-data-eu-west-1
        replica_kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234
        replication_time_control: true
"""

RETURN = r"""
replication_configuration:
  description: The configuration the bucket has now (none once removed), as GetBucketReplication returns it.
  returned: always
  type: dict
  sample: {"role": "arn:aws:iam::123456789012:role/shop-s3-replication", "rules": [{"id": "to-eu-west-1"}]}
plan:
  description: What the module does (or would do in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC, client, on_error

RTC_MINUTES = 15  # the only value S3 accepts


def bucket_arn(name):
    return name if name.startswith("arn:") else f"arn:aws:s3:::{name}"


def desired(params):
    rules = []
    for index, rule in enumerate(params["rules"]):
        destination = {"Bucket": bucket_arn(rule["destination_bucket"])}
        if rule["storage_class"]:
            destination["StorageClass"] = rule["storage_class"]
        if rule["replica_kms_key_arn"]:
            destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": rule["replica_kms_key_arn"]}
        if rule["replication_time_control"]:
            destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": RTC_MINUTES}}
            destination["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": RTC_MINUTES}}
        made = {
            "ID": rule["id"],
            "Priority": rule["priority"] if rule["priority"] is not None else index + 1,
            "Status": "Enabled",
            "Filter": {"Prefix": rule["prefix"]} if rule["prefix"] else {},
            "DeleteMarkerReplication": {"Status": "Enabled" if rule["delete_marker_replication"] else "Disabled"},
            "Destination": destination,
        }
        if rule["replica_kms_key_arn"]:
            made["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        rules.append(made)
    return {"Role": params["role_arn"], "Rules": rules}


def validate(module):
    params = module.params
    if params["state"] == "absent":
        return
    if not params["role_arn"] or not params["rules"]:
        module.fail_json(msg="role_arn and rules are required with state=present")
    ids = [r["id"] for r in params["rules"]]
    if len(set(ids)) != len(ids):
        module.fail_json(msg=f"rules[].id must be unique, got {', '.join(ids)}")
    priorities = [r["Priority"] for r in desired(params)["Rules"]]
    if len(set(priorities)) != len(priorities):
        module.fail_json(msg=f"rules[].priority must be unique, got {priorities}")
    for rule in params["rules"]:
        if rule["destination_bucket"].split(":::")[-1] == params["bucket"]:
            module.fail_json(msg=f"rules[{rule['id']}].destination_bucket={rule['destination_bucket']!r} is the source bucket itself")


def current_configuration(s3, bucket):
    """The bucket's configuration: None without one, False without the bucket."""
    return on_error(lambda: s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"],
                    {"ReplicationConfigurationNotFoundError": None, "NoSuchBucket": False})


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        role_arn=dict(type="str"),
        rules=dict(type="list", elements="dict", options=dict(
            id=dict(type="str", required=True),
            destination_bucket=dict(type="str", required=True),
            priority=dict(type="int"),
            prefix=dict(type="str", default=""),
            replica_kms_key_arn=dict(type="str", no_log=False),
            storage_class=dict(type="str", choices=["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                                                    "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"]),
            replication_time_control=dict(type="bool", default=False),
            delete_marker_replication=dict(type="bool", default=False),
        )),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **CONNECTION_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    bucket = params["bucket"]
    s3 = client(module, "s3", module.region)
    plan = []
    try:
        current = before = current_configuration(s3, bucket)
        if params["state"] == "absent":
            if current:
                plan.append(f"remove the replication configuration of {bucket}")
                if not module.check_mode:
                    s3.delete_bucket_replication(Bucket=bucket)
            module.exit_json(changed=bool(plan), plan=plan, replication_configuration={},
                             diff={"before": current or {}, "after": {}})

        want = desired(params)
        if current is False and not module.check_mode:
            module.fail_json(msg=f"bucket {bucket} does not exist in {module.region}: create it (versioned) first")
        if current == want:
            module.exit_json(changed=False, plan=[], replication_configuration=camel_dict_to_snake_dict(current),
                             diff={"before": current, "after": want})
        # in check mode a bucket made earlier in the same run is not there yet
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status") if current is not False else "Enabled"
        if versioning != "Enabled":
            module.fail_json(msg=f"bucket {bucket} has versioning {versioning or 'never enabled'}: S3 replicates only from "
                                 "a versioned bucket (enable versioning on the source and destination buckets first)")
        plan.append(f"{'replace' if current else 'set'} the replication configuration of {bucket}: "
                    + ", ".join(f"{r['ID']} -> {r['Destination']['Bucket']}" for r in want["Rules"]))
        if not module.check_mode:
            s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=want)
            current = current_configuration(s3, bucket)
        else:
            current = want
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"replication configuration of bucket {bucket}", plan=plan)

    module.exit_json(changed=True, plan=plan, replication_configuration=camel_dict_to_snake_dict(current or {}),
                     diff={"before": before or {}, "after": want})


if __name__ == "__main__":
    main()
