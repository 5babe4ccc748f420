# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: vpc_cidr_problems
short_description: What is wrong with the regions' VPC ranges, before any change
version_added: 1.1.0
description:
  - Returns one message per problem, naming the value and what is allowed, and an empty list when there is none.
  - A region that is built without a range; a range no VPC can have (CreateVpc takes an IPv4 network address
    with a /16 to /28 prefix); two regions' ranges that overlap.
  - With O(known_regions), also every region that is no AWS region name.
  - The roles C(preflight) and C(network) check with it, so the rule lives in one place (module_utils/ec2.py).
options:
  _input:
    description: The VPC range of each region, C(region_cidrs).
    type: dict
    required: true
  regions:
    description: The regions that are built (the play's region hosts).
    type: list
    elements: str
    required: true
  known_regions:
    description: The AWS region names; when given, a region that is none is a problem.
    type: list
    elements: str
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: Check the VPC ranges of all regions before any change
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ region_cidrs | multiregion.dr.vpc_cidr_problems(ansible_play_hosts_all) }}"
"""

RETURN = r"""
_value:
  description: One message per problem, for example C(region_cidrs[us-east-1] = 10.10.0.0/16 overlaps region_cidrs[us-west-2] = 10.10.128.0/17).
  type: list
  elements: str
"""

from ansible_collections.multiregion.dr.plugins.module_utils.ec2 import vpc_cidr_problems


class FilterModule:
    def filters(self):
        return {"vpc_cidr_problems": vpc_cidr_problems}
