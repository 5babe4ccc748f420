#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dynamodb_global_table
version_added: 0.1.0
short_description: A DynamoDB global table (version 2019.11.21) with a replica in each region
description:
  - Makes the region of the module (O(region)) hold an on-demand (V(PAY_PER_REQUEST)) DynamoDB table, encrypted
    with a customer managed KMS key, with replicas in O(replicas) (each encrypted with its region's key) and
    point-in-time recovery on in every member; or removes the replicas and the table.
  - Why this module exists - M(community.aws.dynamodb_table) cannot make global tables (no UpdateTable
    ReplicaUpdates), cannot encrypt with a customer managed key nor turn on point-in-time recovery, and
    fails on every run against DescribeTable without C(TableId).
  - The key schema cannot change once the table exists, so a different one fails before any change.
  - Replicas are added one at a time (AWS allows one replica change per table at a time), waiting for each
    to be V(ACTIVE). Replicas not in O(replicas) are removed only with O(purge_replicas=true).
  - Tags are set in every member region (DynamoDB tags each replica separately); tags not given are kept.
author:
  - multiregion.dr developers (@multiregion)
options:
  name:
    description: Name of the table (the same in every region).
    type: str
    required: true
  hash_key_name:
    description: Partition key attribute. Required with O(state=present).
    type: str
  hash_key_type:
    description: Type of the partition key.
    type: str
    choices: [S, N, B]
    default: S
  range_key_name:
    description: Sort key attribute; none when omitted.
    type: str
  range_key_type:
    description: Type of the sort key.
    type: str
    choices: [S, N, B]
    default: S
  kms_key_arn:
    description:
      - ARN of the KMS key that encrypts the table in O(region) (compared with the ARN DynamoDB reports,
        so give the key ARN, not an alias). AWS owned key when omitted.
    type: str
  replicas:
    description: The other regions of the global table.
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: Region of the replica.
        type: str
        required: true
      kms_key_arn:
        description:
          - ARN of the KMS key in that region that encrypts the replica. Required when O(kms_key_arn) is set
            (a customer managed key is regional). Only used when the replica is created.
        type: str
  purge_replicas:
    description: Remove replicas in regions not listed in O(replicas).
    type: bool
    default: false
  point_in_time_recovery:
    description: Point-in-time recovery in every member region.
    type: bool
    default: true
  tags:
    description: Tags of the table in every member region.
    type: dict
    default: {}
  state:
    description:
      - V(present) makes the table and its replicas; V(absent) removes the replicas, then the table.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Sessions table in us-east-1 with replicas in us-west-2 and eu-west-1
  multiregion.dr.dynamodb_global_table:
    region: us-east-1
    name: shop-sessions
    hash_key_name: session_id
    kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/mrk-1234
    replicas:
      - region: us-west-2
        kms_key_arn: arn:aws:kms:us-west-2:123456789012:key/mrk-1234
      - region: eu-west-1
        kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234
    tags:
      Application: shop

- name: Remove it everywhere
  multiregion.dr.dynamodb_global_table:
    region: us-east-1
    name: shop-sessions
    state: absent
"""

RETURN = r"""
table_arn:
  description: ARN of the table in O(region).
  returned: when the table exists
  type: str
  sample: arn:aws:dynamodb:us-east-1:123456789012:table/shop-sessions
table_status:
  description: Status of the table in O(region) (V(absent) once gone).
  returned: always
  type: str
  sample: ACTIVE
replicas:
  description: The other members, as DescribeTable lists them.
  returned: when the table exists
  type: list
  elements: dict
  contains:
    region_name:
      description: Region of the replica.
      type: str
      returned: always
    replica_status:
      description: V(CREATING), V(ACTIVE), V(DELETING), ...
      type: str
      returned: always
    kms_master_key_id:
      description: Key that encrypts the replica.
      type: str
      returned: when customer managed
point_in_time_recovery:
  description: Point-in-time recovery status per member region.
  returned: when state=present
  type: dict
  sample: {"us-east-1": "ENABLED", "eu-west-1": "ENABLED"}
plan:
  description: What the module does (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create table shop-sessions in us-east-1", "add replica in eu-west-1"]
statuses_seen:
  description: Table statuses seen while waiting.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_region, client, on_error
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC, wait_or_fail


def key_schema(params):
    schema = [{"AttributeName": params["hash_key_name"], "KeyType": "HASH"}]
    attributes = [{"AttributeName": params["hash_key_name"], "AttributeType": params["hash_key_type"]}]
    if params["range_key_name"]:
        schema.append({"AttributeName": params["range_key_name"], "KeyType": "RANGE"})
        attributes.append({"AttributeName": params["range_key_name"], "AttributeType": params["range_key_type"]})
    return schema, attributes


def schema_of(table):
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    return [(k["AttributeName"], k["KeyType"], types.get(k["AttributeName"])) for k in table["KeySchema"]]


def validate(module):
    params = module.params
    regions = [r["region"] for r in params["replicas"]]
    for region in regions:
        check_region(module, region, "replicas[].region")
    if module.region in regions:
        module.fail_json(msg=f"replicas[].region={module.region!r} is the table's own region (region): list the other regions only")
    if len(set(regions)) != len(regions):
        module.fail_json(msg=f"replicas lists a region twice: {', '.join(regions)}")
    if params["state"] == "present":
        if not params["hash_key_name"]:
            module.fail_json(msg="hash_key_name is required with state=present")
        if params["kms_key_arn"]:
            missing = [r["region"] for r in params["replicas"] if not r.get("kms_key_arn")]
            if missing:
                module.fail_json(msg=f"replicas in {', '.join(missing)} have no kms_key_arn: a customer managed key "
                                     "(kms_key_arn) is regional, so every replica needs its region's key")


def describe(ddb, name):
    return on_error(lambda: ddb.describe_table(TableName=name)["Table"], {"ResourceNotFoundException": None})


def settled(table, replica_regions=None):
    """ACTIVE, every replica ACTIVE, and (when given) exactly those replica regions."""
    if not table or table["TableStatus"] != "ACTIVE":
        return False
    replicas = table.get("Replicas", [])
    if any(r.get("ReplicaStatus") != "ACTIVE" for r in replicas):
        return False
    return replica_regions is None or {r["RegionName"] for r in replicas} == set(replica_regions)


def kms_of(table):
    return (table or {}).get("SSEDescription", {}).get("KMSMasterKeyArn")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        hash_key_name=dict(type="str"),
        hash_key_type=dict(type="str", choices=["S", "N", "B"], default="S"),
        range_key_name=dict(type="str"),
        range_key_type=dict(type="str", choices=["S", "N", "B"], default="S"),
        kms_key_arn=dict(type="str", no_log=False),
        replicas=dict(type="list", elements="dict", default=[], options=dict(
            region=dict(type="str", required=True),
            kms_key_arn=dict(type="str", no_log=False),
        )),
        purge_replicas=dict(type="bool", default=False),
        point_in_time_recovery=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    name, home = params["name"], module.region
    ddb = client(module, "dynamodb", home)
    plan, seen = [], []

    def fail(msg):
        module.fail_json(msg=msg, plan=plan, statuses_seen=seen)

    def wait_settled(what, regions=None):
        if params["wait"]:
            wait_or_fail(module, lambda: describe(ddb, name), lambda t: settled(t, regions), what,
                         status_of=lambda t: (t or {}).get("TableStatus", "absent"), statuses=seen, fail=fail)

    try:
        table = describe(ddb, name)
        before_replicas = sorted(r["RegionName"] for r in (table or {}).get("Replicas", []))
        before = {"exists": table is not None, "replicas": before_replicas, "kms_key_arn": kms_of(table)}

        if params["state"] == "absent":
            if table is None:
                module.exit_json(changed=False, table_status="absent", plan=[], statuses_seen=[])
            plan = [f"remove replica in {r}" for r in before_replicas] + [f"delete table {name} in {home}"]
            if not module.check_mode:
                for region in before_replicas:
                    wait_settled(f"table {name} to be ACTIVE before removing a replica")
                    ddb.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
                wait_settled(f"replicas of {name} to be removed", [])
                if not params["wait"] and before_replicas:
                    module.exit_json(changed=True, plan=plan, table_status="UPDATING", statuses_seen=seen,
                                     diff={"before": before, "after": {"exists": False}})
                ddb.delete_table(TableName=name)
                if params["wait"]:
                    wait_or_fail(module, lambda: describe(ddb, name), lambda t: t is None, f"table {name} to be deleted", fail=fail)
            module.exit_json(changed=True, plan=plan, table_status="absent", statuses_seen=seen,
                             diff={"before": before, "after": {"exists": False, "replicas": [], "kms_key_arn": None}})

        schema, attributes = key_schema(params)
        wanted = {r["region"]: r.get("kms_key_arn") for r in params["replicas"]}
        if table is not None:
            want_schema = [(k["AttributeName"], k["KeyType"], a["AttributeType"]) for k, a in zip(schema, attributes)]
            if schema_of(table) != want_schema:
                module.fail_json(msg=f"table {name} in {home} has key schema {schema_of(table)}, not {want_schema}: "
                                     "a key schema cannot change; choose another table name")
        else:
            plan.append(f"create table {name} in {home}")
        if params["kms_key_arn"] and table is not None and kms_of(table) != params["kms_key_arn"]:
            plan.append(f"encrypt table {name} with {params['kms_key_arn']}")
        to_add = [r for r in wanted if r not in before_replicas]
        to_remove = [r for r in before_replicas if r not in wanted] if params["purge_replicas"] else []
        plan += [f"add replica in {r}" for r in to_add] + [f"remove replica in {r}" for r in to_remove]
        members = [home] + sorted(set(before_replicas + to_add) - set(to_remove))

        if not module.check_mode:
            if table is None:
                request = dict(TableName=name, KeySchema=schema, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST")
                if params["kms_key_arn"]:
                    request["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": params["kms_key_arn"]}
                if params["tags"]:
                    request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in params["tags"].items()]
                ddb.create_table(**request)
                wait_settled(f"table {name} in {home} to be ACTIVE")
            elif params["kms_key_arn"] and kms_of(table) != params["kms_key_arn"]:
                ddb.update_table(TableName=name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": params["kms_key_arn"]})
                wait_settled(f"table {name} in {home} to be ACTIVE")
            for region in to_add + to_remove:
                # one replica change at a time, as AWS requires
                wait_settled(f"table {name} to be ACTIVE before changing a replica")
                if region in to_add:
                    create = {"RegionName": region}
                    if wanted[region]:
                        create["KMSMasterKeyId"] = wanted[region]
                    ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": create}])
                else:
                    ddb.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
            if to_add or to_remove:
                wait_settled(f"replicas of {name} to be ACTIVE", members[1:])

        # point-in-time recovery and tags are per member region
        pitr = {}
        for region in members:
            exists_there = not module.check_mode or (table is not None and region in [home] + before_replicas)
            if not exists_there:
                if params["point_in_time_recovery"]:
                    plan.append(f"turn on point-in-time recovery in {region}")
                if params["tags"]:
                    plan.append(f"tag table {name} in {region}")
                continue
            regional = client(module, "dynamodb", region)
            backups = regional.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
            status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus", "DISABLED")
            if (status == "ENABLED") != params["point_in_time_recovery"]:
                plan.append(f"turn {'on' if params['point_in_time_recovery'] else 'off'} point-in-time recovery in {region}")
                status = "ENABLED" if params["point_in_time_recovery"] else "DISABLED"
                if not module.check_mode:
                    regional.update_continuous_backups(
                        TableName=name,
                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": params["point_in_time_recovery"]},
                    )
            pitr[region] = status
            if params["tags"]:
                arn = describe(regional, name)["TableArn"]
                current = {t["Key"]: t["Value"] for t in regional.list_tags_of_resource(ResourceArn=arn).get("Tags", [])}
                missing = {k: str(v) for k, v in params["tags"].items() if current.get(k) != str(v)}
                if missing:
                    plan.append(f"tag table {name} in {region} with {', '.join(sorted(missing))}")
                    if not module.check_mode:
                        regional.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in missing.items()])

        after = {"exists": True, "replicas": sorted(members[1:]), "kms_key_arn": params["kms_key_arn"] or kms_of(table)}
        final = describe(ddb, name) if not module.check_mode else table
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"DynamoDB global table {name} from {home}", plan=plan)

    module.exit_json(
        changed=bool(plan), plan=plan, statuses_seen=seen, point_in_time_recovery=pitr,
        table_arn=(final or {}).get("TableArn"), table_status=(final or {}).get("TableStatus", "absent"),
        replicas=[camel_dict_to_snake_dict(r) for r in (final or {}).get("Replicas", [])],
        diff={"before": before, "after": after},
    )


if __name__ == "__main__":
    main()
