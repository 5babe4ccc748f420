#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: availability_zones_info
short_description: The availability zones of a region that offer given instance types, ordered by zone ID
version_added: 0.1.0
description:
  - Lists the region's available zones (zone type C(availability-zone)) that offer every instance type of
    O(instance_types) (C(DescribeInstanceTypeOfferings)), ordered by zone ID, and the zones that lack one.
  - Zone IDs (C(use1-az1)) name the same physical zone in every account, zone names (C(us-east-1a)) do not, so the
    order is the same for every account of the application.
  - With O(count), fails when fewer zones are usable, naming the zones and the instance types they lack.
  - Exists because M(amazon.aws.aws_az_info) does not read instance type offerings, and no amazon.aws or
    community.aws module does; a subnet in a zone without the application's instance type fails its launches.
author:
  - multiregion.dr contributors (@multiregion)
options:
  instance_types:
    description: The EC2 instance types every usable zone must offer (for example the launch template's).
    type: list
    elements: str
    default: []
  count:
    description: Fail unless at least this many zones are usable.
    type: int
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (it only reads).
  - Retries on throttling (the collection's one retry policy).
"""

EXAMPLES = r"""
- name: Two zones of eu-west-1 that offer t3.micro
  multiregion.dr.availability_zones_info:
    region: eu-west-1
    instance_types: [t3.micro]
    count: 2
  register: zones

- name: Their names
  ansible.builtin.debug:
    msg: "{{ zones.zones[:2] | map(attribute='zone_name') }}"
"""

RETURN = r"""
zones:
  description: The usable zones, ordered by zone ID.
  returned: always
  type: list
  elements: dict
  sample: [{"zone_name": "eu-west-1b", "zone_id": "euw1-az1"}, {"zone_name": "eu-west-1c", "zone_id": "euw1-az2"}]
lacking:
  description: The available zones that are not usable, zone name to the instance types they lack.
  returned: always
  type: dict
  sample: {"eu-west-1a": ["m7i.large"]}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils import ec2
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client


def offerings(client_, instance_types):
    """{instance type: set of zone names offering it}."""
    offered = {t: set() for t in instance_types}
    if not instance_types:
        return offered
    pages = client_.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": list(instance_types)}])
    for page in pages:
        for offering in page["InstanceTypeOfferings"]:
            offered.setdefault(offering["InstanceType"], set()).add(offering["Location"])
    return offered


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_types=dict(type="list", elements="str", default=[]),
            count=dict(type="int"),
            **CONNECTION_ARGUMENT_SPEC,
        ),
        supports_check_mode=True,
    )
    instance_types, count = module.params["instance_types"], module.params["count"]
    problems = ec2.request_problems(instance_types, count)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    client_ = client(module, "ec2", module.region)
    try:
        zones = client_.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}], aws_retry=True)
        usable, lacking = ec2.usable_zones(zones["AvailabilityZones"], offerings(client_, instance_types), instance_types)
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"could not read the availability zones of {module.region}")
    message = ec2.shortage(module.region, usable, lacking, count) if count else None
    if message:
        module.fail_json(msg=message, zones=usable, lacking=lacking)
    module.exit_json(changed=False, zones=usable, lacking=lacking)


if __name__ == "__main__":
    main()
