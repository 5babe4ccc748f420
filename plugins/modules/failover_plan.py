#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) 2025 multiregion.dr contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: failover_plan
version_added: 1.1.0
short_description: Decide a failover or failback from the live topology, and verify it afterwards
description:
  - Takes the live topology (the result of M(multiregion.dr.topology_info)), the failover lock's probe and the
    request, and returns where the run stands, what refuses it, the settled mode and the ordered plan, as data.
    The playbooks C(failover.yml) and C(failback.yml) act on it; they decide nothing themselves.
  - With O(step=verify) it checks the topology read after the moves instead (for a failover exactly one
    writable database, the target's, and the cache primary, DNS and CDN on the target; for a failback also a
    replica of the target in every other region).
  - Given O(topology) (and O(lock), O(lag)), it makes no AWS call. Given O(read) instead, it reads them itself in one
    call - the topology as M(multiregion.dr.topology_info) does, the lock as M(multiregion.dr.failover_lock) in check
    mode would see it, then the lag of RV(lag_replicas) as M(multiregion.dr.replication_lag_info) does - and plans
    with them; a run's preflight is one task instead of five (about 0.3 s of Ansible each).
  - Changes nothing, also outside check mode; it always reports C(changed=false).
author:
  - multiregion.dr maintainers (@multiregion)
options:
  operation:
    description: What is planned or verified.
    type: str
    choices: [failover, failback]
    default: failover
  step:
    description:
      - V(plan) decides before the moves, V(verify) checks O(topology) after them.
    type: str
    choices: [plan, verify]
    default: plan
  target:
    description:
      - The region the application moves to. Missing or not in O(regions) is a problem (RV(problems)), not a
        module failure, so the playbook refuses with the message.
    type: str
  regions:
    description: The application's regions (the inventory's C(regions) group).
    type: list
    elements: str
    required: true
  mode:
    description:
      - The requested failover mode; V(auto) is V(planned) when the current primary's region answers, else
        V(unplanned). Any other value is a problem. Ignored for a failback (always planned).
    type: str
    default: auto
  allow_data_loss:
    description: Accept an unplanned failover above the RPO budget or with an unknown lag.
    type: bool
    default: false
  topology:
    description:
      - The result of M(multiregion.dr.topology_info) (before the moves, or after them with O(step=verify)).
      - One of O(topology) and O(read) is required.
    type: dict
  read:
    description:
      - Read the inputs live instead of taking O(topology), O(lock) and O(lag).
      - The lag is read (for a plan) when RV(lag_replicas) names replicas, with O(app.rpo_seconds), a lookback of
        300 s and a history of 86400 s, as M(multiregion.dr.replication_lag_info) defaults.
    type: dict
    suboptions:
      topology:
        description: The options of M(multiregion.dr.topology_info), checked as that module checks them.
        type: dict
        required: true
      lock:
        description:
          - The options of M(multiregion.dr.failover_lock) (the same dict the run takes the lock with). The lock is
            read, never written; it tells a rerun or a resumed run (C(resumed) in RV(state)).
        type: dict
  lock:
    description:
      - The result of M(multiregion.dr.failover_lock) run in check mode with C(state=acquired); its C(msg) says
        whether the same owner already holds the lock for this operation (a rerun, C(resumed) in RV(state)).
    type: dict
    default: {}
  lag:
    description:
      - The result of M(multiregion.dr.replication_lag_info) for the replicas RV(lag_replicas) of a first call.
        Without it the RPO budget is not checked.
    type: dict
  reads:
    description:
      - With O(step=verify) and O(operation=failover), the registered results of what the run read in the target
        after the moves; the module checks them (instances InService against O(app.asg_min_size), every table
        ACTIVE, the bucket answering).
    type: dict
    default: {}
    suboptions:
      groups:
        description: The C(results) of M(amazon.aws.autoscaling_group_info) for the application's group.
        type: list
        elements: dict
      tables:
        description:
          - The results of M(community.aws.dynamodb_table_info) looped over O(app.dynamodb_tables), in that order.
        type: list
        elements: dict
      buckets:
        description: The C(buckets) of M(amazon.aws.s3_bucket_info) for the target's bucket; omit it when there is none.
        type: list
        elements: dict
  app:
    description: The application's names and settings the plan uses.
    type: dict
    required: true
    suboptions:
      name:
        description: The application name (C(app_name)).
        type: str
        required: true
      engine:
        description: The database engine (C(db_engine)).
        type: str
        default: mysql
      rpo_seconds:
        description: The RPO budget, seconds.
        type: float
        default: 300
      dns_zone:
        description: The hosted zone (where the lock lives without O(app.lock_table)).
        type: str
      lock_table:
        description: The DynamoDB global table that holds the lock (written in the target region); none for the hosted zone.
        type: str
      dns_record:
        description: The application's DNS name.
        type: str
      lock_owner:
        description: Who takes the lock.
        type: str
      lock_operation:
        description: The lock's operation text.
        type: str
      cooldown_seconds:
        description: The cool-down after a failover, seconds.
        type: float
        default: 0
      asg_min_size:
        description: The auto scaling group's primary minimum size.
        type: int
        default: 0
      asg_desired_capacity:
        description: The auto scaling group's primary desired capacity.
        type: int
        default: 0
      asg_max_size:
        description: The auto scaling group's primary maximum size.
        type: int
        default: 0
      asg_standby_capacity:
        description:
          - The desired capacity of a standby region's auto scaling group (C(active_passive)); its minimum is the
            smaller of this and O(app.asg_min_size).
          - Given, every reachable region but the target goes back to it after DNS has moved (the config step's
            C(standby_capacity)). Not given (active-active strategies), the other regions keep their capacity.
        type: int
      dynamodb_tables:
        description: The DynamoDB table names (without the application prefix).
        type: list
        elements: str
        default: []
      s3_bucket_prefix:
        description: The S3 bucket prefix, when the application has buckets.
        type: str
      home_region:
        description: The home region (the S3 replication's source).
        type: str
      keep_old:
        description: Failback, keep replaced databases (renamed); a boolean word.
        type: raw
        default: true
      max_lag_seconds:
        description: Failback, the lag the target's fresh replica must reach before the switchover.
        type: float
        default: 5
      stamp:
        description: Failback, the time stamp in the names of retired databases.
        type: str
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
notes:
  - The decisions are pure logic (C(plugins/module_utils/plan.py)), unit-tested on recorded topologies.
"""

EXAMPLES = r"""
- name: Read the live topology
  multiregion.dr.topology_info:
    regions: [us-east-1, us-west-2, eu-west-1]
    database: {engine: mysql, db_instance_identifier: shop-db}
    cache: {replication_group_id: shop-redis}
    dns: {hosted_zone: shop.example.com, record_name: api.shop.example.com}
  register: topology

- name: Plan the failover to eu-west-1 from what the module reads itself (topology, lock, lag)
  multiregion.dr.failover_plan:
    target: eu-west-1
    regions: [us-east-1, us-west-2, eu-west-1]
    read:
      topology:
        regions: [us-east-1, us-west-2, eu-west-1]
        database: {engine: mysql, db_instance_identifier: shop-db}
        cache: {replication_group_id: shop-redis}
        dns: {hosted_zone: shop.example.com, record_name: api.shop.example.com}
      lock: {hosted_zone: shop.example.com, owner: alice, operation: failover to eu-west-1}
    app: {name: shop, dns_zone: shop.example.com, dns_record: api.shop.example.com, lock_owner: alice, lock_operation: failover to eu-west-1}
  register: plan

- name: Plan the failover to eu-west-1 from a topology read before
  multiregion.dr.failover_plan:
    target: eu-west-1
    regions: [us-east-1, us-west-2, eu-west-1]
    topology: "{{ topology }}"
    app: {name: shop, dns_zone: shop.example.com, dns_record: api.shop.example.com, lock_owner: alice, lock_operation: failover to eu-west-1}
  register: plan

- name: Refuse what cannot be done
  ansible.builtin.assert:
    that: plan.refusal is none
    fail_msg: "{{ plan.refusal }}"

- name: After the moves, check the topology
  multiregion.dr.failover_plan:
    step: verify
    target: eu-west-1
    regions: [us-east-1, us-west-2, eu-west-1]
    topology: "{{ topology_after }}"
    app: {name: shop}
  register: verified
"""

RETURN = r"""
state:
  description:
    - Where the run stands. Failover - C(source), C(source_reachable), C(db_done), C(cache_done), C(dns_done),
      C(cdn_done), C(global_cache_id), C(resumed). Failback - C(current), C(stale_writers), C(switched),
      C(to_rebuild), C(resumed).
  returned: O(step=plan) and valid arguments
  type: dict
  sample: {"source": "us-east-1", "source_reachable": false, "db_done": false, "cache_done": false, "dns_done": false,
           "cdn_done": false, "global_cache_id": "ldgnf-shop", "resumed": false}
problems:
  description: What refuses the run (or, with O(step=verify), what is not as it should be); each names the bad value.
  returned: always
  type: list
  elements: str
  sample: ["eu-west-1 is not healthy (reachable, health check unhealthy)"]
refusal:
  description: The message to stop with; V(null) when nothing refuses the run.
  returned: O(step=plan)
  type: str
  sample: "cannot fail over to eu-west-1: eu-west-1 is not healthy (reachable, health check unhealthy)"
nothing_to_do:
  description: The target is already active (and, for a failback, replicated everywhere); not a rerun.
  returned: O(step=plan)
  type: bool
message:
  description: What the run says when there is nothing to do.
  returned: when RV(nothing_to_do)
  type: str
mode:
  description: The settled mode, V(planned) or V(unplanned); V(null) when the run is refused.
  returned: O(step=plan)
  type: str
  sample: unplanned
headline:
  description: The first line of the plan (operation, target, mode).
  returned: when there is a plan
  type: str
  sample: failover to eu-west-1 (unplanned)
plan:
  description: The ordered steps; C(number), C(step), C(do) (whether it acts), C(text) (the line shown) and step data
    (C(cdn), C(standby), C(regions); the config step's C(standby_capacity) - C(do), C(regions), C(min_size),
    C(desired_capacity), C(max_size) - the regions that go back to standby capacity).
  returned: O(step=plan)
  type: list
  elements: dict
  sample: [{"number": "2a", "step": "database", "do": true, "text": "2a. database: unplanned promotion of shop-db in eu-west-1 ..."}]
steps:
  description: The steps of RV(plan) by name (C(database), C(dns), C(fence) ...).
  returned: when there is a plan
  type: dict
hosts:
  description:
    - The region hosts of the later plays - C(target) (the target), for a failover C(switch) (the target, for the
      plays a failback's switchover skips when there is nothing to do) and C(config) (the reachable regions),
      for a failback C(fence) (databases to fence), C(rebuild) (the target when it needs a fresh replica) and
      C(replicas) (the other regions).
  returned: when there is a plan
  type: dict
  sample: {"target": ["eu-west-1"], "switch": ["eu-west-1"], "config": ["us-west-2", "eu-west-1"]}
lag_replicas:
  description: Failover - the replicas whose lag to read with M(multiregion.dr.replication_lag_info) (O(lag) of a second call).
  returned: O(operation=failover) and O(step=plan)
  type: list
  elements: dict
lag_before:
  description: Failover - the lag readings the RPO budget gates (the target's database and cache).
  returned: O(operation=failover) and O(step=plan)
  type: list
  elements: dict
data_lag:
  description: Failover - the lag readings reported, not gated (DynamoDB, S3).
  returned: O(operation=failover) and O(step=plan)
  type: list
  elements: dict
max_lag_seconds:
  description: Failover - the largest known gated lag.
  returned: when there is a plan
  type: float
topology_before:
  description: The short view of O(topology) (or of the topology O(read) read) the reports keep.
  returned: O(step=plan)
  type: dict
topology_after:
  description: The short view of O(topology) after the moves.
  returned: O(step=verify)
  type: dict
result:
  description: With O(step=verify), what was verified (the timeline's line).
  returned: O(step=verify)
  type: str
  sample: database, cache, DNS, CDN and capacity in eu-west-1
finishes_a_move:
  description:
    - Failover - the database and the cache are already in the target, so the run finishes an earlier move (DNS or the
      CDN deferred while their API did not answer, a step that failed) instead of making a new one; the playbooks take
      the lock without the cool-down then.
  returned: when there is a plan
  type: bool
deferred:
  description:
    - Failover, O(step=verify) - the moves left for a rerun because a global control plane (Route 53, CloudFront, in
      us-east-1) did not answer, each with why and what serves meanwhile; not problems.
  returned: O(step=verify) and O(operation=failover)
  type: list
  elements: str
lock_probe:
  description: What the lock says of this run (see O(lock)); V(null) when it is not this run's.
  returned: O(read.lock) given
  type: str
lag:
  description: The lag read, as M(multiregion.dr.replication_lag_info) returns it; V(null) when no replica is gated or reported.
  returned: O(read) given, O(operation=failover) and O(step=plan)
  type: dict
"""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils import lock, plan, topology
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS, CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.lag import read_lag


def checked(module, name, spec, value, **rules):
    """value (a dict) validated against spec (and rules: required_one_of, ...) as a module's options are, with
    defaults; fails naming the problem."""
    found = ArgumentSpecValidator(spec, **rules).validate(value or {})
    if found.error_messages:
        module.fail_json(msg=f"{name}: {'; '.join(found.error_messages)}")
    return found.validated_parameters


def read_topology(module, params):
    return topology.discover(module, params["regions"], database=params["database"], cache=params["cache"], dns=params["dns"],
                             health_check_ids=params["health_check_ids"], cdn=params["cdn"], auto_scaling_group=params["auto_scaling_group"])


def read_lock(module, params):
    """What failover_lock state=acquired would say of this run (a rerun, a resumed run), from the lock record."""
    store, lock_name, _history = lock.open_store(module, params, module.region)
    try:
        record = store.read(lock_name)
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"the lock ({store.kind})")
    return lock.probe(lock.decode(record), params["owner"], params["operation"], params["resume_token"])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            operation=dict(type="str", choices=list(plan.OPERATIONS), default="failover"),
            step=dict(type="str", choices=["plan", "verify"], default="plan"),
            target=dict(type="str"),
            regions=dict(type="list", elements="str", required=True),
            mode=dict(type="str", default="auto"),
            allow_data_loss=dict(type="bool", default=False),
            topology=dict(type="dict"),
            read=dict(type="dict", options=dict(topology=dict(type="dict", required=True), lock=dict(type="dict"))),
            lock=dict(type="dict", default={}),
            lag=dict(type="dict"),
            reads=dict(type="dict", default={}, options=dict(
                groups=dict(type="list", elements="dict"),
                tables=dict(type="list", elements="dict"),
                buckets=dict(type="list", elements="dict"),
            )),
            app=dict(
                type="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    engine=dict(type="str", default="mysql"),
                    rpo_seconds=dict(type="float", default=300),
                    dns_zone=dict(type="str"),
                    dns_record=dict(type="str"),
                    lock_owner=dict(type="str"),
                    lock_table=dict(type="str"),
                    lock_operation=dict(type="str"),
                    cooldown_seconds=dict(type="float", default=0),
                    asg_min_size=dict(type="int", default=0),
                    asg_desired_capacity=dict(type="int", default=0),
                    asg_max_size=dict(type="int", default=0),
                    asg_standby_capacity=dict(type="int"),
                    dynamodb_tables=dict(type="list", elements="str", default=[]),
                    s3_bucket_prefix=dict(type="str"),
                    home_region=dict(type="str"),
                    keep_old=dict(type="raw", default=True),
                    max_lag_seconds=dict(type="float", default=5),
                    stamp=dict(type="str"),
                ),
            ),
            **CONNECTION_ARGUMENT_SPEC,
        ),
        required_one_of=[("topology", "read")],
        mutually_exclusive=[("topology", "read"), ("lag", "read")],
        supports_check_mode=True,
    )
    p = module.params
    live = {}
    if p["read"]:
        # every input checked before the first call
        topology_params = checked(module, "read.topology", topology.ARGUMENT_SPEC, p["read"]["topology"])
        topology.validate(module, topology_params, "read.topology.")
        lock_params = checked(module, "read.lock", lock.ARGUMENT_SPEC, p["read"]["lock"], **lock.WHERE) if p["read"]["lock"] is not None else None
        p["topology"] = read_topology(module, topology_params)
        if lock_params and p["step"] == "plan":
            p["lock"] = {"msg": read_lock(module, lock_params)}
            live["lock_probe"] = p["lock"]["msg"]
    if "regions" not in p["topology"]:
        module.fail_json(msg="topology has no regions: give the registered result of multiregion.dr.topology_info")
    if p["step"] == "verify":
        problems = plan.request_problems(p["operation"], p["target"], p["regions"], app=p["app"] if p["operation"] == "failback" else None)
        if problems:
            module.fail_json(msg="; ".join(problems), problems=problems)
        if p["operation"] == "failback":
            module.exit_json(changed=False, **plan.verify_failback(p["topology"], p["target"]), **live)
        observed = plan.observed_in(p["app"], p["target"], **(p["reads"] or {}))
        module.exit_json(changed=False, **plan.verify_failover(p["topology"], p["target"], observed), **live)
    lock_msg = (p["lock"] or {}).get("msg")
    if p["operation"] == "failback":
        result = plan.plan_failback(p["topology"], p["target"], p["regions"], p["app"], lock_msg)
    else:
        result = plan.plan_failover(p["topology"], p["target"], p["regions"], p["app"], p["mode"], p["allow_data_loss"], lock_msg, p["lag"])
        if p["read"]:
            # the RPO gate: the lag of the replicas the plan names, then the plan again with it
            live["lag"] = None
            if result.get("lag_replicas"):
                live["lag"] = read_lag(module, result["lag_replicas"], rpo_seconds=p["app"]["rpo_seconds"])  # replication_lag_info's defaults
                result = plan.plan_failover(p["topology"], p["target"], p["regions"], p["app"], p["mode"], p["allow_data_loss"], lock_msg, live["lag"])
    module.exit_json(changed=False, **result, **live)


if __name__ == "__main__":
    main()
