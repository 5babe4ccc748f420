#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_fence
short_description: Fence an RDS instance (make it refuse writes) or lift its fence, as a planned failover does
version_added: 0.1.0
description:
  - Sets C(read_only=1) (MySQL, MariaDB) or C(default_transaction_read_only=on) (PostgreSQL) in the custom DB
    parameter group of O(db_instance_identifier), then waits until the group is in-sync, so the instance takes no
    more writes. This is the fence M(multiregion.dr.rds_promote) puts on the old primary of a planned promotion
    and M(multiregion.dr.topology_info) recognises (a fenced primary is no writer, so no split brain).
  - With O(state=unfenced) the parameter is reset to the engine default (C(ResetDBParameterGroup); a replica stays
    read-only through the engine default C({TrueIfReplica})).
  - Fencing changes the parameter group, so every instance that uses the group becomes read-only; give each
    instance a group of its own.
  - An instance with a C(default.*) parameter group (AWS allows no change to it) or an engine without a fence
    (Aurora, Oracle, SQL Server) cannot be fenced; the module fails before changing anything.
  - Exists because M(amazon.aws.rds_instance_param_group) needs the engine family spelled out, cannot tell which
    parameter fences which engine, and does not wait for the group to be applied.
author:
  - multiregion.dr contributors (@multiregion)
options:
  db_instance_identifier:
    description:
      - The RDS instance to fence, in the module's region.
    type: str
    required: true
  state:
    description:
      - V(fenced) sets the fence, V(unfenced) lifts it.
    type: str
    choices: [fenced, unfenced]
    default: fenced
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Fence the database of this region before the failback replaces it
  multiregion.dr.rds_fence:
    region: us-west-2
    db_instance_identifier: shop-db

- name: Lift the fence again
  multiregion.dr.rds_fence:
    region: us-west-2
    db_instance_identifier: shop-db
    state: unfenced
"""

RETURN = r"""
fence:
  description: Where and how the instance is fenced - parameter group, parameter and the value that fences.
  returned: always
  type: dict
  sample: {"parameter_group": "shop-mysql80", "parameter": "read_only", "value": "1"}
fenced:
  description: Whether the fence is in place after the run (in check mode, whether it would be).
  returned: always
  type: bool
statuses:
  description: The instance and parameter group statuses seen while waiting (for example C(available/applying), C(available/in-sync)).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_non_negative
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.clients import on_error
from ansible_collections.multiregion.dr.plugins.module_utils.rds import FENCE_PARAMETERS
from ansible_collections.multiregion.dr.plugins.module_utils.rds import fence_in_place
from ansible_collections.multiregion.dr.plugins.module_utils.rds import fence_target
from ansible_collections.multiregion.dr.plugins.module_utils.rds import lift_fence
from ansible_collections.multiregion.dr.plugins.module_utils.rds import parameter_group
from ansible_collections.multiregion.dr.plugins.module_utils.rds import params_in_sync
from ansible_collections.multiregion.dr.plugins.module_utils.rds import params_status
from ansible_collections.multiregion.dr.plugins.module_utils.rds import set_fence
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.wait import wait_or_fail


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            db_instance_identifier=dict(type="str", required=True),
            state=dict(type="str", choices=["fenced", "unfenced"], default="fenced"),
            **WAIT_ARGUMENT_SPEC,
        ),
        supports_check_mode=True,
    )
    params = module.params
    for option in ("wait_timeout", "poll_interval", "connect_timeout"):
        check_non_negative(module, option, params[option])
    identifier, want = params["db_instance_identifier"], params["state"] == "fenced"
    rds = client(module, "rds", module.region)
    statuses = []

    def describe():
        return on_error(lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"][0],
                        {"DBInstanceNotFound": None})

    try:
        instance = describe()
        if instance is None:
            module.fail_json(msg=f"db_instance_identifier={identifier!r} not found in {module.region}")
        fence = fence_target(instance)
        if fence is None:
            module.fail_json(msg=f"{identifier} ({instance.get('Engine')}, parameter group {parameter_group(instance)!r}) cannot be fenced: "
                             f"fencing needs an engine of {', '.join(FENCE_PARAMETERS)} and a custom DB parameter group "
                             "(AWS allows no change to default.* groups)")
        fenced = fence_in_place(rds, instance) is not None
        changed = fenced != want
        if changed and not module.check_mode:
            if want:
                set_fence(rds, fence)
            else:
                lift_fence(rds, fence)
            if params["wait"]:
                wait_or_fail(module, describe, params_in_sync, f"parameter group {fence[0]} of {identifier} to be in-sync",
                             status_of=params_status, statuses=statuses,
                             fail=lambda msg: module.fail_json(msg=msg, changed=True, statuses=statuses))
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"AWS refused to {'fence' if want else 'lift the fence of'} {identifier} in {module.region}; rerun to continue")
    module.exit_json(
        changed=changed, fenced=want, statuses=statuses,
        fence={"parameter_group": fence[0], "parameter": fence[1], "value": fence[2]},
        diff={"before": {"fenced": fenced}, "after": {"fenced": want}},
    )


if __name__ == "__main__":
    main()
