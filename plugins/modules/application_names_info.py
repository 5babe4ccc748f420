#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: application_names_info
short_description: The collection's applications in the account, and those whose names overlap an application's
version_added: 0.1.0
description:
  - Lists the account's customer managed IAM policies (C(ListPolicies) with C(Scope=Local)) and finds the applications
    of this collection by their operator policy C(<app>-dr-operator) (the iam role makes it).
  - Returns those whose names overlap O(app_name). The collection's policies grant on C(<app>-*), so applications named
    C(shop) and C(shop-eu) would each cover the other's resources (C(shop-*) matches C(shop-eu-db)).
  - The preflight role refuses such a name before any change.
  - Exists because no amazon.aws or community.aws module lists managed policies; M(amazon.aws.iam_role_info) makes
    several calls per role of the account.
author:
  - multiregion.dr contributors (@multiregion)
options:
  app_name:
    description: The application whose name is checked.
    type: str
    required: true
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (it only reads).
  - Retries on throttling (the collection's one retry policy).
  - Needs C(iam:ListPolicies).
"""

EXAMPLES = r"""
- name: Applications whose names overlap shop's
  multiregion.dr.application_names_info:
    app_name: shop
  register: names

- name: Refuse an overlapping name
  ansible.builtin.assert:
    that: names.overlapping | length == 0
    fail_msg: "{{ names.problem | default('', true) }}"
"""

RETURN = r"""
applications:
  description: The applications of this collection in the account (by their C(<app>-dr-operator) policy), sorted.
  returned: always
  type: list
  elements: str
  sample: ["shop", "shop-eu"]
overlapping:
  description: The applications whose names overlap O(app_name) (one is the other's name followed by C(-)).
  returned: always
  type: list
  elements: str
  sample: ["shop-eu"]
problem:
  description: Why the name is refused, naming the overlapping applications; null when none overlaps.
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils import iam
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client


def policy_names(client_):
    names = []
    for page in client_.get_paginator("list_policies").paginate(Scope="Local"):
        names += [policy["PolicyName"] for policy in page["Policies"]]
    return names


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(app_name=dict(type="str", required=True), **CONNECTION_ARGUMENT_SPEC),
        supports_check_mode=True,
    )
    app = module.params["app_name"]
    if not app:
        module.fail_json(msg="app_name is empty: give the application's name")
    try:
        found = iam.applications(policy_names(client(module, "iam", module.region)))
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg="could not list the account's managed policies (iam:ListPolicies)")
    overlapping = iam.overlapping(app, found)
    module.exit_json(changed=False, applications=found, overlapping=overlapping, problem=iam.overlap_problem(app, overlapping))


if __name__ == "__main__":
    main()
