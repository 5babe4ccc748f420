#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: multiregion.dr developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Create, update or delete a CloudWatch dashboard
version_added: 0.1.0
description:
  - Manages one CloudWatch dashboard (C(PutDashboard), C(GetDashboard), C(DeleteDashboards)) in the region of
    O(region).
  - It exists because neither amazon.aws nor community.aws manages CloudWatch dashboards. amazon.aws has
    metric alarms (M(amazon.aws.cloudwatch_metric_alarm)) and log groups, community.aws has none either, so a
    cross-region DR dashboard could otherwise only be set with a raw API call that reports a change on every run.
  - The body is given as a dictionary and compared with the stored one after parsing both as JSON, so key order
    and white space never count as a change; a second run with the same body reports C(changed=false).
  - A dashboard lives in one region but its widgets may show metrics of any region (the C(region) property of a
    widget or metric), which is how one dashboard shows all regions of a multi-region application.
options:
  name:
    description:
      - The dashboard name. Up to 255 characters; letters, digits, C(-) and C(_) only (the characters AWS allows).
    type: str
    required: true
    aliases: [dashboard_name]
  state:
    description:
      - V(present) creates the dashboard or replaces its body when it differs; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  body:
    description:
      - The dashboard body (see the CloudWatch dashboard body structure in the AWS documentation) as a dictionary.
        It must have a C(widgets) list, as AWS requires.
      - Required when O(state=present).
    type: dict
author:
  - multiregion.dr developers (@multiregion)
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode (nothing is changed; RV(plan) names the call that would be made) and diff mode
    (the parsed bodies before and after).
  - AWS may accept a body and still return validation warnings (a widget that will not render); they are returned
    in RV(validation_messages) and shown as warnings.
"""

EXAMPLES = r"""
- name: Requests by region on one dashboard in the home region
  multiregion.dr.cloudwatch_dashboard:
    name: shop-dr
    region: us-east-1
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Requests by region
            view: timeSeries
            stat: Sum
            period: 60
            region: us-east-1
            metrics:
              - [AWS/ApplicationELB, RequestCount, LoadBalancer, app/shop-alb/50dc6c495c0c9188, {region: us-east-1}]
              - [AWS/ApplicationELB, RequestCount, LoadBalancer, app/shop-alb/8a21c4b35c0c7e21, {region: eu-west-1}]

- name: Remove the dashboard
  multiregion.dr.cloudwatch_dashboard:
    name: shop-dr
    region: us-east-1
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the dashboard was created, updated or deleted (in check mode, would be).
  returned: always
  type: bool
name:
  description: The dashboard name.
  returned: always
  type: str
  sample: shop-dr
region:
  description: The region the dashboard lives in.
  returned: always
  type: str
  sample: us-east-1
exists:
  description: Whether the dashboard exists at the end of the run (in check mode, would exist).
  returned: always
  type: bool
dashboard_arn:
  description: The dashboard ARN; null when it does not exist (or, in check mode, is not created yet).
  returned: always
  type: str
  sample: arn:aws:cloudwatch::123456789012:dashboard/shop-dr
body:
  description: The dashboard body at the end of the run, parsed; null when the dashboard does not exist.
  returned: always
  type: dict
  sample: {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {"metrics": []}}]}
plan:
  description: The API call made, or in check mode the one that would be made (C(PutDashboard) or C(DeleteDashboards));
    empty when nothing is to do.
  returned: always
  type: dict
  sample: {"action": "PutDashboard", "DashboardName": "shop-dr"}
validation_messages:
  description: The warnings AWS returned for an accepted body (C(DashboardValidationMessages)), in snake_case.
  returned: always
  type: list
  elements: dict
  contains:
    data_path:
      description: The part of the body the message is about.
      type: str
    message:
      description: The message.
      type: str
  sample: []
diff:
  description: The parsed bodies before and after (C(null) for a dashboard that does not exist), in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": null, "after": {"widgets": []}}
"""

import json
import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_region
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.clients import error_code
from ansible_collections.multiregion.dr.plugins.module_utils.clients import on_error
from ansible_collections.multiregion.dr.plugins.module_utils.clients import is_unreachable

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def name_error(name):
    """An error text naming the bad dashboard name and what is allowed, or None."""
    if NAME_PATTERN.match(name or ""):
        return None
    return f"name={name!r} is not a dashboard name: use 1 to 255 letters, digits, '-' or '_'"


def body_error(body):
    """An error text for a body AWS would reject as a whole, or None."""
    if not isinstance(body.get("widgets"), list):
        return f"body must have a 'widgets' list (got {type(body.get('widgets')).__name__ if 'widgets' in body else 'no widgets key'})"
    for index, widget in enumerate(body["widgets"]):
        if not isinstance(widget, dict) or "type" not in widget:
            return f"body.widgets[{index}]={widget!r} must be a dictionary with a 'type' (metric, text, alarm, log, ...)"
    try:
        json.dumps(body)
    except (TypeError, ValueError) as e:
        return f"body cannot be written as JSON: {e}"
    return None


def normalise(body):
    """The body as AWS stores it: JSON, so tuples become lists and keys are strings."""
    return json.loads(json.dumps(body))


def plan_for(state, name, current, wanted):
    """(plan dict, body after): the call to make given the current (parsed) body or None."""
    if state == "absent":
        if current is None:
            return {}, None
        return {"action": "DeleteDashboards", "DashboardNames": [name]}, None
    if current == wanted:
        return {}, current
    return {"action": "PutDashboard", "DashboardName": name}, wanted


class Dashboard:
    def __init__(self, module):
        self.module = module
        self.name = module.params["name"]
        self.region = module.region
        self.cloudwatch = client(module, "cloudwatch", self.region)

    def fail_aws(self, e, doing):
        if is_unreachable(e):
            self.module.fail_json(msg=f"CloudWatch in {self.region} is unreachable ({type(e).__name__}) while trying to {doing}",
                                  name=self.name, region=self.region)
        self.module.fail_json_aws(e, msg=f"Could not {doing} (dashboard {self.name} in {self.region})")

    def get(self):
        """(arn, parsed body) or (None, None) when the dashboard does not exist."""
        try:
            found = on_error(lambda: self.cloudwatch.get_dashboard(DashboardName=self.name), {"ResourceNotFound": None})
        except AWS_ERRORS as e:
            self.fail_aws(e, "read the dashboard")
        if found is None:
            return None, None
        try:
            return found.get("DashboardArn"), json.loads(found.get("DashboardBody") or "{}")
        except ValueError:
            # A body that is no JSON cannot equal ours: replace it.
            return found.get("DashboardArn"), {"unparsable": found.get("DashboardBody")}

    def put(self, body):
        try:
            response = self.cloudwatch.put_dashboard(DashboardName=self.name, DashboardBody=json.dumps(body, sort_keys=True))
        except AWS_ERRORS as e:
            if error_code(e) != "InvalidParameterInput":
                self.fail_aws(e, "put the dashboard")
            details = e.response.get("dashboardValidationMessages", [])
            self.module.fail_json(msg=f"AWS rejected the body of dashboard {self.name}: {e.response.get('Error', {}).get('Message', e)}",
                                  validation_messages=[camel_dict_to_snake_dict(m) for m in details], name=self.name, region=self.region)
        return [camel_dict_to_snake_dict(m) for m in response.get("DashboardValidationMessages", [])]

    def delete(self):
        try:
            # deleted meanwhile: the wanted state
            on_error(lambda: self.cloudwatch.delete_dashboards(DashboardNames=[self.name]), {"ResourceNotFound": None})
        except AWS_ERRORS as e:
            self.fail_aws(e, "delete the dashboard")

    def run(self):
        state = self.module.params["state"]
        wanted = normalise(self.module.params["body"]) if state == "present" else None
        arn, current = self.get()
        plan, after = plan_for(state, self.name, current, wanted)
        messages = []
        if plan and not self.module.check_mode:
            if plan["action"] == "PutDashboard":
                messages = self.put(wanted)
                arn, after = self.get()
            else:
                self.delete()
                arn = None
        if after is None:
            arn = None
        for message in messages:
            self.module.warn(f"dashboard {self.name}: {message.get('data_path', '')}: {message.get('message', '')}")
        result = dict(changed=bool(plan), name=self.name, region=self.region, exists=after is not None, dashboard_arn=arn,
                      body=after, plan=plan, validation_messages=messages)
        if self.module._diff:
            result["diff"] = {"before": current, "after": after}
        return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        body=dict(type="dict"),
        **CONNECTION_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, required_if=[("state", "present", ["body"])], supports_check_mode=True)

    # Every input is checked before the first API call.
    check_region(module, module.region, "region")
    error = name_error(module.params["name"])
    if not error and module.params["state"] == "present":
        error = body_error(module.params["body"])
    if error:
        module.fail_json(msg=error)
    if module.params["connect_timeout"] <= 0:
        module.fail_json(msg=f"connect_timeout={module.params['connect_timeout']!r} must be a number above 0")

    module.exit_json(**Dashboard(module).run())


if __name__ == "__main__":
    main()
