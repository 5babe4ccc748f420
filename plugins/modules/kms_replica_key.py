#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: kms_replica_key
version_added: 0.1.0
short_description: Replicate a KMS multi-Region key into a region
description:
  - Makes the region of the module (O(region)) hold a replica of a KMS multi-Region primary key,
    with its own alias, as KMS ReplicateKey does; or schedules the replica for deletion.
  - Why this module exists - M(amazon.aws.kms_key) creates a multi-Region primary key
    (O(amazon.aws.kms_key#module:multi_region=true)) but cannot replicate it, and nothing in
    amazon.aws or community.aws calls ReplicateKey. Replicas share the primary's key material, so data
    encrypted in one region decrypts in another after a failover.
  - Aliases and key policies are per region in KMS; this module manages the replica region's alias.
author:
  - multiregion.dr developers (@multiregion)
options:
  primary_key_arn:
    description:
      - ARN of the multi-Region primary key (its key id starts with V(mrk-)).
      - The primary must be in another region than O(region).
    type: str
    required: true
  alias:
    description:
      - Alias of the replica in this region, with or without the V(alias/) prefix.
    type: str
  description:
    description:
      - Description of the replica key. Only used when the replica is created.
    type: str
  policy:
    description:
      - Key policy of the replica, as JSON text or a dict. KMS uses the default key policy when omitted.
      - Only used when the replica is created.
    type: json
  tags:
    description:
      - Tags of the replica key. Only used when the replica is created.
    type: dict
    default: {}
  state:
    description:
      - V(present) makes sure the replica exists and is enabled.
      - V(absent) schedules the replica for deletion after O(pending_window) days.
    type: str
    choices: [present, absent]
    default: present
  pending_window:
    description:
      - Days KMS waits before deleting a replica with O(state=absent) (7 to 30).
    type: int
    default: 7
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Multi-Region primary key in the home region
  amazon.aws.kms_key:
    alias: shop-data
    multi_region: true
    region: us-east-1
  register: primary

- name: Replica of it in eu-west-1
  multiregion.dr.kms_replica_key:
    primary_key_arn: "{{ primary.key_arn }}"
    alias: shop-data
    region: eu-west-1
"""

RETURN = r"""
key_id:
  description: Key id of the replica (the same as the primary's).
  returned: when state=present
  type: str
  sample: mrk-1234abcd12ab34cd56ef1234567890ab
key_arn:
  description: ARN of the replica in this region.
  returned: when state=present
  type: str
  sample: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab
key_state:
  description: State of the replica key, as KMS reports it.
  returned: always
  type: str
  sample: Enabled
alias:
  description: Alias of the replica in this region.
  returned: when alias is set
  type: str
  sample: alias/shop-data
multi_region_configuration:
  description: The key's multi-Region configuration (primary and replicas), as KMS reports it.
  returned: when state=present
  type: dict
  contains:
    multi_region_key_type:
      description: V(REPLICA) for this key.
      type: str
      returned: always
    primary_key:
      description: ARN and region of the primary key.
      type: dict
      returned: always
    replica_keys:
      description: ARNs and regions of all replicas.
      type: list
      elements: dict
      returned: always
plan:
  description: What the module does (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: ["replicate mrk-1234 into eu-west-1", "create alias alias/shop-data"]
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client, on_error, paginate
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC, wait_or_fail


def parse_primary_arn(module, arn):
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms" or not parts[5].startswith("key/mrk-"):
        module.fail_json(msg=f"primary_key_arn={arn!r} is not the ARN of a multi-Region key (arn:aws:kms:REGION:ACCOUNT:key/mrk-...)")
    region, key_id = parts[3], parts[5].split("/", 1)[1]
    if region == module.region:
        module.fail_json(msg=f"primary_key_arn={arn!r} is in {region}, the region of this task: a replica must be in another region")
    return region, key_id


def describe(kms, key_id):
    return on_error(lambda: kms.describe_key(KeyId=key_id)["KeyMetadata"], {"NotFoundException": None})


def alias_target(kms, alias):
    for entry in paginate(kms, "list_aliases").get("Aliases", []):
        if entry["AliasName"] == alias:
            return entry.get("TargetKeyId")
    return None


def main():
    argument_spec = dict(
        primary_key_arn=dict(type="str", required=True, no_log=False),
        alias=dict(type="str"),
        description=dict(type="str"),
        policy=dict(type="json"),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        pending_window=dict(type="int", default=7),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not 7 <= params["pending_window"] <= 30:
        module.fail_json(msg=f"pending_window={params['pending_window']} must be between 7 and 30 days")
    primary_region, key_id = parse_primary_arn(module, params["primary_key_arn"])
    alias = params["alias"]
    if alias and not alias.startswith("alias/"):
        alias = f"alias/{alias}"
    kms = client(module, "kms", module.region)
    plan = []

    try:
        replica = describe(kms, key_id)
        before = {"replica": bool(replica and replica["KeyState"] != "PendingDeletion"), "alias": None}
        if alias:
            target = alias_target(kms, alias)
            before["alias"] = alias if target == key_id else None

        if params["state"] == "absent":
            if not before["replica"]:
                module.exit_json(changed=False, key_state=replica["KeyState"] if replica else "absent", plan=[])
            plan.append(f"schedule deletion of the replica {key_id} in {module.region} in {params['pending_window']} days")
            if alias and before["alias"]:
                plan.insert(0, f"delete alias {alias}")
            state = "PendingDeletion"
            if not module.check_mode:
                if alias and before["alias"]:
                    kms.delete_alias(AliasName=alias)
                state = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=params["pending_window"])["KeyState"]
            module.exit_json(changed=True, key_state=state, plan=plan,
                             diff={"before": before, "after": {"replica": False, "alias": None}})

        if not before["replica"]:
            if replica and replica["KeyState"] == "PendingDeletion":
                plan.append(f"cancel the pending deletion of {key_id} in {module.region}")
            else:
                # the primary must exist (its region must answer) to replicate it
                primary = describe(client(module, "kms", primary_region), key_id)
                if not primary:
                    module.fail_json(msg=f"primary_key_arn={params['primary_key_arn']!r}: no such key in {primary_region}")
                plan.append(f"replicate {key_id} from {primary_region} into {module.region}")
        if alias and not before["alias"]:
            plan.append(f"{'point alias' if alias_target(kms, alias) else 'create alias'} {alias} to {key_id}")
        after = {"replica": True, "alias": alias}
        if module.check_mode or not plan:
            module.exit_json(
                changed=bool(plan), plan=plan, key_id=key_id, alias=alias,
                key_state=replica["KeyState"] if replica else "absent",
                diff={"before": before, "after": after},
            )

        if not replica:
            request = dict(KeyId=key_id, ReplicaRegion=module.region)
            if params["description"]:
                request["Description"] = params["description"]
            if params["policy"]:
                request["Policy"] = params["policy"] if isinstance(params["policy"], str) else json.dumps(params["policy"])
            if params["tags"]:
                request["Tags"] = [{"TagKey": k, "TagValue": str(v)} for k, v in params["tags"].items()]
            client(module, "kms", primary_region).replicate_key(**request)
        elif replica["KeyState"] == "PendingDeletion":
            kms.cancel_key_deletion(KeyId=key_id)
            kms.enable_key(KeyId=key_id)
        if params["wait"]:
            wait_or_fail(
                module, lambda: describe(kms, key_id) or {}, lambda meta: meta.get("KeyState") == "Enabled",
                f"replica {key_id} in {module.region} to be Enabled", status_of=lambda meta: meta.get("KeyState"),
                fail=lambda msg: module.fail_json(msg=msg, plan=plan),
            )
        if alias and not before["alias"]:
            if alias_target(kms, alias):
                kms.update_alias(AliasName=alias, TargetKeyId=key_id)
            else:
                kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        meta = describe(kms, key_id)
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"KMS replica of {key_id} in {module.region}", plan=plan)

    module.exit_json(
        changed=True, plan=plan, key_id=key_id, key_arn=meta["Arn"], key_state=meta["KeyState"], alias=alias,
        multi_region_configuration=camel_dict_to_snake_dict(meta.get("MultiRegionConfiguration", {})),
        diff={"before": before, "after": after},
    )


if __name__ == "__main__":
    main()
