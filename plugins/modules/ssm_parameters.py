#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_parameters
short_description: Write (or delete) several SSM parameters under one path in one call
version_added: 0.1.0
description:
  - Makes the parameters O(parameters) exist under O(path) with these values, in the module's region; only those
    that differ are written. A list value is a C(StringList), anything else a C(String).
  - New parameters are created with O(tags) and O(description); an existing one is overwritten when its value, type
    or description differs, and gets the tags it lacks with C(AddTagsToResource), since AWS refuses tags with an overwrite.
  - With O(state=absent), deletes O(names) under O(path) (C(DeleteParameters)); those already gone are fine.
  - Exists because M(community.aws.ssm_parameter) writes one parameter per task, a module run and four API calls per
    parameter, and the region-aware configuration is six parameters per region, written on the failover's critical
    path. Here one run reads them in batches (C(GetParameters), C(DescribeParameters)) and writes only what changed.
author:
  - multiregion.dr contributors (@multiregion)
options:
  path:
    description:
      - The path every name is under, starting and ending with C(/), for example V(/shop/config/).
    type: str
    required: true
  parameters:
    description:
      - Name (under O(path)) to value. A list is written as a C(StringList) (items without commas).
      - Empty values are refused before any change, naming the parameter; in check mode they pass (a value that
        comes from something not created yet, such as a plan on an empty account).
    type: dict
    default: {}
  names:
    description:
      - With O(state=absent), the names (under O(path)) to delete.
    type: list
    elements: str
    default: []
  description:
    description: The description of every parameter written.
    type: str
  tags:
    description: Tags every parameter has.
    type: dict
    default: {}
  state:
    description: V(present) writes O(parameters), V(absent) deletes O(names).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - Retries on throttling (the collection's one retry policy).
"""

EXAMPLES = r"""
- name: The region-aware configuration of this region
  multiregion.dr.ssm_parameters:
    region: eu-west-1
    path: /shop/config/
    parameters:
      active_region: eu-west-1
      write_endpoint: shop-db.abc.eu-west-1.rds.amazonaws.com
      read_endpoints: [shop-db.abc.eu-west-1.rds.amazonaws.com]
    description: shop DR configuration
    tags:
      Application: shop

- name: Remove it (teardown)
  multiregion.dr.ssm_parameters:
    region: eu-west-1
    path: /shop/config/
    names: [active_region, write_endpoint, read_endpoints]
    state: absent
"""

RETURN = r"""
parameters:
  description: The parameters under O(path) after the run (in check mode, as they would be), name (full) to value.
  returned: always
  type: dict
  sample: {"/shop/config/active_region": "eu-west-1", "/shop/config/read_endpoints": "db1,db2"}
created:
  description: The parameters created (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
updated:
  description: The parameters overwritten or tagged.
  returned: always
  type: list
  elements: str
deleted:
  description: With O(state=absent), the parameters deleted.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils import ssm
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client


def present(module, client_, want):
    params = module.params
    current = ssm.read(client_, list(want))
    create, overwrite, tag = ssm.changes(current, want, params["description"], params["tags"])
    if not module.check_mode:
        tags = [{"Key": k, "Value": v} for k, v in params["tags"].items()]
        for name in create + overwrite:
            kind, value = want[name]
            call = dict(Name=name, Value=value, Type=kind, **({"Description": params["description"]} if params["description"] else {}))
            client_.put_parameter(**call, **({"Tags": tags} if name in create and tags else {"Overwrite": True} if name in overwrite else {}),
                                  aws_retry=True)
        for name in tag:
            client_.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tags, aws_retry=True)
    before = {name: seen["value"] for name, seen in current.items()}
    after = {name: value for name, (_kind, value) in want.items()}
    return dict(changed=bool(create or overwrite or tag), parameters=after, created=create, updated=sorted(set(overwrite + tag)), deleted=[],
                diff={"before": before, "after": after})


def absent(module, client_, names):
    current = ssm.read(client_, names, with_tags=False)
    gone = [name for name in names if name in current]
    if gone and not module.check_mode:
        for batch in ssm.batches(gone, ssm.GET_BATCH):
            client_.delete_parameters(Names=batch, aws_retry=True)
    return dict(changed=bool(gone), parameters={}, created=[], updated=[], deleted=gone,
                diff={"before": {name: seen["value"] for name, seen in current.items()}, "after": {}})


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            path=dict(type="str", required=True),
            parameters=dict(type="dict", default={}),
            names=dict(type="list", elements="str", default=[]),
            description=dict(type="str"),
            tags=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **CONNECTION_ARGUMENT_SPEC,
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = ssm.request_problems(params["path"], params["parameters"] if params["state"] == "present" else {}, params["names"],
                                    module.check_mode)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    client_ = client(module, "ssm", module.region)
    try:
        if params["state"] == "present":
            result = present(module, client_, ssm.wanted(params["path"], params["parameters"]))
        else:
            result = absent(module, client_, [params["path"] + name for name in params["names"]])
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"SSM in {module.region} refused a change under {params['path']}; what was written stays, rerun to finish")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
