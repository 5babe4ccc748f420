#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_object_versions
version_added: 0.1.0
short_description: Delete every version of the objects under a prefix of a versioned S3 bucket
description:
  - Deletes every version and delete marker of the objects of O(bucket) whose keys start with O(prefix) (and, with
    O(key_regex), fully match it), so that they leave no trace in a versioned bucket and do not keep it from being
    deleted.
  - Why this module exists - M(amazon.aws.s3_object) deletes the current version only (a versioned bucket keeps the
    others behind a delete marker), and M(amazon.aws.s3_bucket) empties whole buckets only.
  - A bucket that does not exist has nothing to delete.
  - Supports check mode and diff mode (the versions before, none after).
author:
  - multiregion.dr developers (@multiregion)
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  prefix:
    description: Only objects whose keys start with this (at least one character, never the whole bucket).
    type: str
    required: true
  key_regex:
    description: Only the keys under O(prefix) that fully match this Python regular expression; all of them when omitted.
    type: str
  state:
    description: V(absent) deletes the versions (the only state).
    type: str
    choices: [absent]
    default: absent
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the application artifacts (every version) before the bucket
  multiregion.dr.s3_object_versions:
    region: eu-west-1
    bucket: shop-data-eu-west-1
    prefix: artifacts/
    key_regex: 'artifacts/[A-Za-z_][A-Za-z0-9_]*-[0-9a-f]{64}\.pyz'
"""

RETURN = r"""
deleted:
  description: The versions deleted (would be deleted in check mode); delete markers have C(delete_marker=true).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "artifacts/regionapp-5b52.pyz", "version_id": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd", "delete_marker": false}]
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC, client, on_error

BATCH = 1000  # DeleteObjects takes at most 1000 keys


def versions(s3, bucket, prefix, key_regex):
    """Every version and delete marker under prefix whose key matches; None without the bucket."""
    pattern = re.compile(key_regex) if key_regex else None
    found = []

    def listed():
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for kind, marker in (("Versions", False), ("DeleteMarkers", True)):
                found.extend({"key": v["Key"], "version_id": v["VersionId"], "delete_marker": marker}
                             for v in page.get(kind, []) if pattern is None or pattern.fullmatch(v["Key"]))
        return found

    return on_error(listed, {"NoSuchBucket": None})


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        prefix=dict(type="str", required=True),
        key_regex=dict(type="str", no_log=False),
        state=dict(type="str", choices=["absent"], default="absent"),
        **CONNECTION_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params["prefix"]:
        module.fail_json(msg="prefix must not be empty: this module never empties a whole bucket")
    try:
        re.compile(params["key_regex"] or "")
    except re.error as exc:
        module.fail_json(msg=f"key_regex={params['key_regex']!r} is not a regular expression: {exc}")
    bucket = params["bucket"]
    s3 = client(module, "s3", module.region)
    try:
        found = versions(s3, bucket, params["prefix"], params["key_regex"]) or []
        if not module.check_mode:
            for start in range(0, len(found), BATCH):
                batch = found[start:start + BATCH]
                answer = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True, "Objects": [
                    {"Key": v["key"], "VersionId": v["version_id"]} for v in batch]})
                if answer.get("Errors"):
                    module.fail_json(msg=f"S3 refused to delete {len(answer['Errors'])} object versions of bucket {bucket}: "
                                         + "; ".join(f"{e.get('Key')} {e.get('VersionId')}: {e.get('Code')} {e.get('Message')}"
                                                     for e in answer["Errors"][:5]), deleted=found[:start])
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"object versions under {params['prefix']} of bucket {bucket}")
    result = dict(changed=bool(found), deleted=found)
    if module._diff:
        result["diff"] = {"before": {"versions": [f"{v['key']} {v['version_id']}" for v in found]}, "after": {"versions": []}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
