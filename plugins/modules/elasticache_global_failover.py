#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: multiregion.dr developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticache_global_failover
short_description: Fail an ElastiCache Global Datastore over to another region, or detach a member
version_added: 0.1.0
description:
  - Makes the member of an ElastiCache (Valkey/Redis OSS) Global Datastore in O(target_region) its primary
    (C(FailoverGlobalReplicationGroup)), or turns that member into a standalone replication group
    (C(DisassociateGlobalReplicationGroup)) when the primary region is gone for good.
  - It exists because neither amazon.aws nor community.aws has a module for Global Datastores
    (community.aws.elasticache manages single-region clusters only), and ElastiCache never fails a
    Global Datastore over by itself.
  - Every call goes to O(target_region). The Global Datastore API answers in every member region, so the
    failover works while the old primary's region is down; the module never contacts the old primary's region.
  - An optional lag gate reads C(GlobalDatastoreReplicationLag) (CloudWatch, C(AWS/ElastiCache), published in the
    secondary's region per member cache cluster) and refuses to switch when the target is further behind than
    O(rpo_seconds), unless O(allow_data_loss=true).
  - With O(wait=true) the module waits until the Global Datastore is C(available) again with the new roles
    (C(primary-only) when the last secondary was disassociated).
    If a previous run timed out while the Global Datastore was still C(modifying), a rerun waits for that
    operation to finish and then carries on.
  - With O(wait=false) the module starts the change and returns; while an operation is under way it starts nothing
    and changes nothing. The same call with O(wait=true) then waits for it, and makes the change if still needed;
    this is how the failover runs its long steps side by side.
options:
  global_replication_group_id:
    description:
      - The Global Datastore ID, with its region prefix (for example C(ldgnf-sessions)).
    type: str
    required: true
  target_region:
    description:
      - The region of the member to promote (O(state=primary)) or to detach (O(state=disassociated)).
      - All API calls go to this region.
    type: str
    required: true
  state:
    description:
      - V(primary) makes the member in O(target_region) the primary; the other members become secondaries.
      - V(disassociated) removes the member in O(target_region) from the Global Datastore; it becomes a standalone,
        writable replication group. The member must be a secondary. Use it when the primary region will not come back.
    type: str
    choices: [primary, disassociated]
    default: primary
  replication_group_id:
    description:
      - The replication group ID of the member in O(target_region). Optional; when given it must match.
      - With O(state=disassociated) it lets a rerun recognise that the group was already detached
        (it is then no member of the Global Datastore any more) and report C(changed=false).
    type: str
  rpo_seconds:
    description:
      - Refuse to change anything while the data-loss window of the target member is above this many seconds, or unknown.
        The window is its C(GlobalDatastoreReplicationLag) while published; once the metric went silent (the primary
        region is out), the last lag plus the time since that data point. The rule is shared with M(multiregion.dr.rds_promote).
      - A number of 0 or more. Not set means no lag gate.
      - C(max_lag_seconds), the option's former name, is an alias.
    aliases: [max_lag_seconds]
    type: raw
  allow_data_loss:
    description:
      - Go ahead even when the lag gate fails (the writes not yet replicated to the target are lost).
        For an unplanned failover, when the primary region is down and the lag cannot catch up.
    type: bool
    default: false
  lag_period:
    description:
      - Seconds of CloudWatch history to look back for the latest lag data point.
    type: int
    default: 300
author:
  - multiregion.dr developers (@multiregion)
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Planned switch of the session cache to eu-west-1, only when it is at most 1 s behind
  multiregion.dr.elasticache_global_failover:
    global_replication_group_id: ldgnf-sessions
    target_region: eu-west-1
    rpo_seconds: 1

- name: Unplanned failover while us-east-1 is down
  multiregion.dr.elasticache_global_failover:
    global_replication_group_id: ldgnf-sessions
    target_region: us-west-2
    rpo_seconds: 5
    allow_data_loss: true
    wait_timeout: 900
  register: cache_failover

- name: The primary region is gone for good, make the us-west-2 copy standalone
  multiregion.dr.elasticache_global_failover:
    global_replication_group_id: ldgnf-sessions
    target_region: us-west-2
    replication_group_id: sessions-usw2
    state: disassociated
"""

RETURN = r"""
changed:
  description: Whether a failover or disassociation was started (or, in check mode, would be).
  returned: always
  type: bool
global_replication_group_id:
  description: The Global Datastore ID.
  returned: always
  type: str
  sample: ldgnf-sessions
target_region:
  description: The region the module worked in.
  returned: always
  type: str
  sample: us-west-2
target_replication_group_id:
  description: The replication group ID of the member in O(target_region).
  returned: always
  type: str
  sample: sessions-usw2
members:
  description: The topology at the end of the run (after the wait), one entry per member.
  returned: always
  type: list
  elements: dict
  contains:
    replication_group_id:
      description: The member replication group.
      type: str
    region:
      description: Its region.
      type: str
    role:
      description: C(PRIMARY) or C(SECONDARY).
      type: str
    status:
      description: The member status (C(associated), C(disassociating), ...).
      type: str
  sample: [{"replication_group_id": "sessions-usw2", "region": "us-west-2", "role": "PRIMARY", "status": "associated"}]
status:
  description: The Global Datastore status at the end of the run.
  returned: always
  type: str
  sample: available
before:
  description: Roles by region before the run (C(PRIMARY), C(SECONDARY)).
  returned: always
  type: dict
  sample: {"us-east-1": "PRIMARY", "us-west-2": "SECONDARY"}
after:
  description: Roles by region after the run; in check mode or with O(wait=false) the roles it leads to.
    A disassociated member is shown as C(standalone).
  returned: always
  type: dict
  sample: {"us-east-1": "SECONDARY", "us-west-2": "PRIMARY"}
plan:
  description: The API call made, or in check mode the one that would be made; empty when nothing is to do.
  returned: always
  type: dict
  sample: {"action": "FailoverGlobalReplicationGroup", "GlobalReplicationGroupId": "ldgnf-sessions",
           "PrimaryRegion": "us-west-2", "PrimaryReplicationGroupId": "sessions-usw2"}
lag_seconds:
  description: The latest C(GlobalDatastoreReplicationLag) of the target member (max over its cache clusters),
    null when there is no data point or it was not read (no O(rpo_seconds), or the target already is the primary).
  returned: always
  type: float
  sample: 0.4
data_loss_window_seconds:
  description:
    - The writes a failover may lose, in seconds (see M(multiregion.dr.replication_lag_info)) - the lag while the metric
      is published; once it went silent (the primary region is out), the last lag plus the time since that data point.
    - Null when not read or unknown.
  returned: always
  type: float
  sample: 0.4
lag_gate:
  description: C(passed), C(overridden) (failed but O(allow_data_loss=true)), or C(not checked).
  returned: always
  type: str
  sample: passed
seconds:
  description: Seconds the module took, waits included.
  returned: always
  type: float
  sample: 94.2
statuses:
  description: The Global Datastore statuses seen while waiting, in order (for example C(modifying), C(available)).
  returned: always
  type: list
  elements: str
  sample: ["modifying", "available"]
global_replication_group:
  description: The Global Datastore as DescribeGlobalReplicationGroups shows it at the end, in snake_case.
  returned: always
  type: dict
"""

import math

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import Stopwatch
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_non_negative
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_region
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.clients import is_unreachable
from ansible_collections.multiregion.dr.plugins.module_utils.clients import on_error
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import global_info
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import global_members
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import member_in
from ansible_collections.multiregion.dr.plugins.module_utils.lag import read_lag, rpo_verdict
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.wait import add_statuses
from ansible_collections.multiregion.dr.plugins.module_utils.wait import wait_or_fail

LAG_METRIC = "GlobalDatastoreReplicationLag"
# No operation running: AWS shows primary-only when no secondary is left (after disassociating the last one).
SETTLED = ("available", "primary-only")


def parse_threshold(value):
    """rpo_seconds as a float, or an error text naming the value and what is allowed."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"rpo_seconds={value!r} must be a number of 0 or more seconds"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"rpo_seconds={value!r} must be a number of 0 or more seconds"
    if math.isnan(number) or math.isinf(number) or number < 0:
        return None, f"rpo_seconds={value!r} must be a number of 0 or more seconds"
    return number, None


def roles(members):
    return {m["region"]: m["role"] for m in members}


def planned_roles(members, target_region, state):
    """The roles a finished operation leads to."""
    after = roles(members)
    if state == "primary":
        return {region: ("PRIMARY" if region == target_region else "SECONDARY") for region in after}
    after[target_region] = "standalone"
    return after


def is_done(group, target_region, state, target_id):
    if group.get("Status") not in SETTLED:
        return False
    member = member_in(global_members(group), target_region)
    if state == "primary":
        return member is not None and member["role"] == "PRIMARY"
    return member is None or member["replication_group_id"] != target_id


class GlobalFailover:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.global_id = self.params["global_replication_group_id"]
        self.region = self.params["target_region"]
        self.state = self.params["state"]
        self.stopwatch = Stopwatch()
        self.statuses = []
        self.lag = self.window = None
        self.lag_gate = "not checked"
        self.ec = client(module, "elasticache", self.region)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, global_replication_group_id=self.global_id, target_region=self.region,
                              seconds=self.stopwatch.seconds, statuses=self.statuses, **extra)

    def describe(self):
        try:
            groups = on_error(lambda: self.ec.describe_global_replication_groups(GlobalReplicationGroupId=self.global_id, ShowMemberInfo=True),
                              {"GlobalReplicationGroupNotFoundFault": None})
        except AWS_ERRORS as e:
            if is_unreachable(e):
                self.fail(f"target_region {self.region} is unreachable ({type(e).__name__}): the target of a failover must answer")
            self.module.fail_json_aws(e, msg=f"Could not describe Global Datastore {self.global_id} in {self.region}")
        if groups is None:
            self.fail(f"global_replication_group_id={self.global_id!r} does not exist; Global Datastores seen from "
                      f"{self.region}: {', '.join(self.known_groups()) or 'none'}")
        return groups["GlobalReplicationGroups"][0]

    def known_groups(self):
        try:
            paginator = self.ec.get_paginator("describe_global_replication_groups")
            return [g["GlobalReplicationGroupId"] for page in paginator.paginate() for g in page["GlobalReplicationGroups"]]
        except AWS_ERRORS:
            return []

    def already_detached(self):
        """state=disassociated rerun: the named group exists in target_region outside any Global Datastore."""
        wanted = self.params["replication_group_id"]
        if not wanted:
            return False
        found = on_error(lambda: self.ec.describe_replication_groups(ReplicationGroupId=wanted)["ReplicationGroups"][0],
                         {"ReplicationGroupNotFoundFault": None})
        return found is not None and not global_info(found)[0]

    def wait_for(self, done, what):
        return wait_or_fail(self.module, self.describe, done, what, status_of=lambda g: g.get("Status"), statuses=self.statuses, fail=self.fail)

    def settle(self, group):
        """A previous operation still runs (e.g. a timed-out run): wait for it, or say why we cannot act."""
        if group.get("Status") in SETTLED:
            return group
        if not self.params["wait"] or self.module.check_mode:
            self.fail(f"Global Datastore {self.global_id} is {group.get('Status')!r}, not 'available': another operation "
                      "is in progress; rerun with wait=true, or later")
        return self.wait_for(lambda g: g.get("Status") in SETTLED, f"Global Datastore {self.global_id} to be available")

    def lag_check(self, target):
        threshold = self.params["rpo_seconds"]
        if threshold is None:
            return
        # lag.read_lag: one GetMetricData call in the target's region, max over its member clusters;
        # no data or an unreadable region is unknown (None), never 0.
        reading = read_lag(self.module, [{"type": "elasticache", "region": self.region, "id": target["replication_group_id"]}],
                           lookback_seconds=self.params["lag_period"])["replicas"][0]
        self.lag, self.window = reading["lag_seconds"], reading["data_loss_window_seconds"]
        # lag.rpo_verdict: the one RPO gate (a silent metric counts the time since its last datapoint)
        verdict, window = rpo_verdict([reading], threshold, self.params["allow_data_loss"])
        self.lag_gate = verdict
        if verdict == "overridden":
            self.module.warn(f"the data-loss window of {target['replication_group_id']} is {window}, above rpo_seconds={threshold}; "
                             "going ahead because allow_data_loss=true")
        elif verdict == "refused":
            self.fail(f"the data-loss window of {target['replication_group_id']} in {self.region} ({LAG_METRIC}) is {window}, "
                      f"not at most rpo_seconds={threshold}; nothing was changed. Wait for replication to catch up, or set "
                      "allow_data_loss=true to accept losing the writes not yet replicated", lag_seconds=self.lag,
                      data_loss_window_seconds=self.window)

    def run(self):
        group = self.describe()
        if group.get("Status") not in SETTLED and not self.params["wait"] and not self.module.check_mode:
            # wait=false starts an operation; one under way (an earlier run's) is left to the next run with wait=true
            members = roles(global_members(group))
            return self.result(False, group, members, members, {}, self.params["replication_group_id"])
        group = self.settle(group)
        members = global_members(group)
        before = roles(members)
        target = member_in(members, self.region)
        wanted = self.params["replication_group_id"]
        if target is not None and wanted and target["replication_group_id"] != wanted:
            self.fail(f"replication_group_id={wanted!r} is not the member of {self.global_id} in {self.region}; "
                      f"that member is {target['replication_group_id']!r}")

        if target is None:
            if self.state == "disassociated" and self.already_detached():
                return self.result(False, group, before, before, {}, wanted)
            regions = ", ".join(f"{m['region']} ({m['replication_group_id']}, {m['role']})" for m in members)
            self.fail(f"Global Datastore {self.global_id} has no member in target_region={self.region}; its members are: {regions}")

        if self.state == "primary" and target["role"] == "PRIMARY":
            return self.result(False, group, before, before, {}, target["replication_group_id"])
        if self.state == "disassociated" and target["role"] == "PRIMARY":
            self.fail(f"The member in target_region={self.region} ({target['replication_group_id']}) is the primary of "
                      f"{self.global_id}; only a secondary can be disassociated. Fail over to another region first")

        self.lag_check(target)
        if self.state == "primary":
            plan = {"action": "FailoverGlobalReplicationGroup", "GlobalReplicationGroupId": self.global_id,
                    "PrimaryRegion": self.region, "PrimaryReplicationGroupId": target["replication_group_id"]}
        else:
            plan = {"action": "DisassociateGlobalReplicationGroup", "GlobalReplicationGroupId": self.global_id,
                    "ReplicationGroupId": target["replication_group_id"], "ReplicationGroupRegion": self.region}
        after = planned_roles(members, self.region, self.state)
        if self.module.check_mode:
            return self.result(True, group, before, after, plan, target["replication_group_id"])

        call = self.ec.failover_global_replication_group if self.state == "primary" else self.ec.disassociate_global_replication_group
        try:
            group = call(**{k: v for k, v in plan.items() if k != "action"})["GlobalReplicationGroup"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"{plan['action']} of {self.global_id} to {self.region} failed")
        if group.get("Status"):
            add_statuses(self.statuses, [group["Status"]])
        if self.params["wait"]:
            target_id = target["replication_group_id"]
            what = (f"{target_id} in {self.region} to be the primary of {self.global_id}" if self.state == "primary"
                    else f"{target_id} in {self.region} to leave {self.global_id}")
            group = self.wait_for(lambda g: is_done(g, self.region, self.state, target_id), what)
            after = roles(global_members(group))
            if self.state == "disassociated":
                after[self.region] = "standalone"
        else:
            group = self.describe()
        return self.result(True, group, before, after, plan, target["replication_group_id"])

    def result(self, changed, group, before, after, plan, target_id):
        result = dict(
            changed=changed,
            global_replication_group_id=self.global_id,
            target_region=self.region,
            target_replication_group_id=target_id,
            members=global_members(group),
            status=group.get("Status"),
            before=before,
            after=after,
            plan=plan,
            lag_seconds=self.lag,
            data_loss_window_seconds=self.window,
            lag_gate=self.lag_gate,
            seconds=self.stopwatch.seconds,
            statuses=self.statuses,
            global_replication_group=camel_dict_to_snake_dict(group),
        )
        if self.module._diff:
            result["diff"] = {"before": {"roles": before}, "after": {"roles": after}}
        return result


def main():
    argument_spec = dict(
        global_replication_group_id=dict(type="str", required=True),
        target_region=dict(type="str", required=True),
        state=dict(type="str", choices=["primary", "disassociated"], default="primary"),
        replication_group_id=dict(type="str"),
        rpo_seconds=dict(type="raw", aliases=["max_lag_seconds"]),
        allow_data_loss=dict(type="bool", default=False),
        lag_period=dict(type="int", default=300),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    # Every input is checked before the first API call.
    check_region(module, params["target_region"], "target_region")
    params["rpo_seconds"], error = parse_threshold(params["rpo_seconds"])
    if error:
        module.fail_json(msg=error)
    check_non_negative(module, "wait_timeout", params["wait_timeout"])
    if params["poll_interval"] <= 0:
        module.fail_json(msg=f"poll_interval={params['poll_interval']!r} must be a number above 0")
    if params["lag_period"] < 60:
        module.fail_json(msg=f"lag_period={params['lag_period']!r} must be at least 60 (ElastiCache publishes the lag every 60 s)")
    if params["connect_timeout"] <= 0:
        module.fail_json(msg=f"connect_timeout={params['connect_timeout']!r} must be a number above 0")

    module.exit_json(**GlobalFailover(module).run())


if __name__ == "__main__":
    main()
