#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: failover_lock
version_added: 0.1.0
short_description: A lock in DynamoDB or Route 53 that serializes failovers, with a cool-down against flapping
description:
  - Takes or releases a lock that two operators, or two AWX jobs, cannot both hold, so that only one
    failover or failback of an application runs at a time; and refuses a new one within a cool-down after
    the last one finished (anti-flapping, as orchestrator's RecoveryPeriodBlockSeconds does).
  - With O(table), the lock is an item of a DynamoDB global table with a replica in every application region (the
    dynamodb role makes it), written in O(region) (the failover's target) with a conditional write that only
    succeeds where there is no lock, or exactly the lock that was read. Nothing in it depends on us-east-1, where
    the Route 53 and CloudFront control planes run, so a failover can take it while us-east-1 is down with
    them (AWS fault-isolation guidance, static stability). A global table settles two writes in two regions by
    last writer wins, so after each write the module waits until every replica it can reach holds the same item
    (O(settle_timeout)) and goes on only when that item is its own.
  - With O(hosted_zone), the lock is a TXT record in the application's hosted zone, and a change batch that
    CREATEs a record that exists is rejected as a whole (InvalidChangeBatch), which makes taking the lock
    atomic. Route 53's API runs in us-east-1 only, so this lock cannot be taken while that region's control
    planes are down.
  - The holder, the operation, the time it was taken and the run's last heartbeat are in the record. A live run
    refreshes the heartbeat (O(state=refreshed)) between its long steps, so its lock never goes stale; a lock
    with no heartbeat for O(stale_after_seconds) (its holder died) can be taken over, in one change batch that
    DELETEs exactly the old value, so two operators cannot both take over a stale lock.
  - A heartbeat that finds the lock in other hands fails, so a run whose lock was taken over stops at its next
    step instead of racing the new holder.
  - Releasing with O(record_completion=true) also writes when the operation finished, which is what the
    cool-down is measured from.
  - Why this module exists - amazon.aws.route53 UPSERTs or overwrites records and cannot express
    "create only if absent" or "delete only this exact value", which a lock needs; community.aws has no module
    that writes DynamoDB items at all.
author:
  - multiregion.dr developers (@multiregion)
options:
  hosted_zone:
    description:
      - The hosted zone (name or id) that holds the lock records (the Route 53 store).
      - Exactly one of O(hosted_zone) and O(table) is required.
    type: str
  table:
    description:
      - The DynamoDB global table that holds the lock items (the DynamoDB store); its hash key is C(name), a string.
      - Needs O(region), where the lock is written (a failover writes it in its target region).
    type: str
  table_regions:
    description:
      - The regions of the table's replicas (the application's regions). Reads fall back to them, in this order,
        when O(region) does not answer, and each write waits until those that answer agree.
    type: list
    elements: str
    default: []
  settle_timeout:
    description:
      - How long a write waits for the replicas in O(table_regions) to agree (seconds). DynamoDB replicates within
        about a second; the replicas still disagreeing after this fails the write.
    type: int
    default: 30
  private_zone:
    description:
      - Look for a private zone of that name.
    type: bool
    default: false
  lock_name:
    description:
      - Name of the lock's TXT record, relative to the zone or absolute; the lock item's C(name) with O(table).
    type: str
    default: _multiregion-dr-lock
  history_name:
    description:
      - Name of the TXT record (the item with O(table)) that keeps when the last operation finished.
    type: str
    default: _multiregion-dr-last
  state:
    description:
      - V(acquired) takes the lock (or keeps it, when O(owner) already holds it for O(operation)).
      - V(refreshed) is the holder's heartbeat - it writes the current time into the lock that O(owner) holds for
        O(operation), and fails when the lock is not held, or held by another owner or for another operation
        (taken over).
      - V(released) gives it back. Releasing a lock nobody holds changes nothing.
      - All report the lock and the last completed operation; in check mode they only report.
    type: str
    choices: [acquired, refreshed, released]
    default: acquired
  owner:
    description:
      - Who takes the lock, for example V(alice@laptop) or V(awx-job-1234). A rerun by the same owner for the same
        operation finds the lock its interrupted run left and goes on.
    type: str
    required: true
  operation:
    description:
      - What the lock is taken for, for example V(failover to eu-west-1). Shown to anyone who finds the lock held.
    type: str
    default: failover
  stale_after_seconds:
    description:
      - A lock with no heartbeat for longer than this (since it was taken, or refreshed) is considered abandoned and
        can be taken over. Make it longer than the longest step of a run between two heartbeats.
    type: int
    default: 3600
  cooldown_seconds:
    description:
      - Refuse to take the lock when the last operation finished less than this many seconds ago.
      - V(0) turns the cool-down off.
    type: int
    default: 0
  take_over:
    description:
      - Take the lock from another holder that is not stale yet (a run known to be dead), or release another
        holder's lock. The cool-down still applies; O(ignore_cooldown) is a separate decision.
    type: bool
    default: false
  resume_token:
    description:
      - Go on with the run that holds the lock, as another owner (a relaunched AWX job gets a new owner, a colleague
        takes over a run whose operator is away) - the token that run's lock carries (RV(lock.token), printed in its
        report when it failed). With the matching token and the same O(operation) the lock passes to O(owner) and
        keeps its token and the time it was taken; any other token is refused.
      - It only resumes the lock. Every gate of the run (the plan, the RPO budget, the cool-down) still applies.
      - Empty - no resume.
    type: str
    default: ""
  ignore_cooldown:
    description:
      - Take the lock within the cool-down (a deliberate second move, a drill). A lock held by another run is still
        refused; O(take_over) is a separate decision.
    type: bool
    default: false
  record_completion:
    description:
      - With O(state=released), record the time the operation finished (starts the cool-down).
    type: bool
    default: true
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the failover lock in the target region's replica of the lock table, one hour cool-down
  multiregion.dr.failover_lock:
    table: shop-dr-lock
    region: eu-west-1
    table_regions: [us-east-1, us-west-2, eu-west-1]
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}@{{ ansible_host | default('localhost') }}"
    operation: failover to eu-west-1
    cooldown_seconds: 3600

- name: Take the failover lock as a Route 53 record instead
  multiregion.dr.failover_lock:
    hosted_zone: shop.example.com
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}@{{ ansible_host | default('localhost') }}"
    operation: failover to eu-west-1
    cooldown_seconds: 3600

- name: Release it and start the cool-down
  multiregion.dr.failover_lock:
    table: shop-dr-lock
    region: eu-west-1
    table_regions: [us-east-1, us-west-2, eu-west-1]
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}@{{ ansible_host | default('localhost') }}"
    state: released
"""

RETURN = r"""
lock:
  description: The lock after the module ran; empty when nobody holds it.
  returned: always
  type: dict
  contains:
    owner:
      description: Who holds it.
      type: str
      returned: when held
    operation:
      description: What for.
      type: str
      returned: when held
    since:
      description: When it was taken (epoch seconds).
      type: int
      returned: when held
    age_seconds:
      description: How long it has been held.
      type: int
      returned: when held
    beat:
      description: The holder's last heartbeat (epoch seconds; when it was taken, before the first).
      type: int
      returned: when held
    token:
      description: The run's resume token (O(resume_token)); absent from locks taken by versions before it.
      type: str
      returned: when held
    idle_seconds:
      description: Seconds since the last heartbeat; the lock is stale when this exceeds O(stale_after_seconds).
      type: int
      returned: when held
  sample: {"owner": "alice@laptop", "operation": "failover to eu-west-1", "since": 1795600000, "beat": 1795600030, "age_seconds": 42,
           "idle_seconds": 12, "token": "3f9a0c41d2e7"}
last_completed:
  description: The last operation that released the lock with O(record_completion=true); empty when none did.
  returned: always
  type: dict
  sample: {"owner": "alice@laptop", "operation": "failover to eu-west-1", "since": 1795600300, "age_seconds": 600}
took_over_from:
  description: The stale lock (or, with O(take_over), the live one) that this run replaced.
  returned: when a lock was taken over
  type: dict
resumed_from:
  description: The lock this run goes on with, as it was before O(resume_token) passed it to O(owner).
  returned: when a run was resumed with its token
  type: dict
cooldown_remaining_seconds:
  description: Seconds left in the cool-down (0 when none).
  returned: always
  type: int
  sample: 0
"""

import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC, check_region
from ansible_collections.multiregion.dr.plugins.module_utils.lock import ARGUMENT_SPEC, Conflict, cooldown_remaining, decode, holds, new_token
from ansible_collections.multiregion.dr.plugins.module_utils.lock import WHERE, open_store, probe, resumes, stale


class Lock:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.store, self.lock_name, self.history_name = open_store(module, module.params, module.region)

    def read(self, name):
        return self.store.read(name)

    def record(self, entry):
        return self.store.record(self.lock_name, entry)

    def change_exactly(self, entry, old, comment, history, when, settle=True):
        """Write entry as the lock where exactly old is (None: no lock): when someone else changed the lock meanwhile
        the store refuses the write, and the module fails naming the new holder."""
        try:
            self.store.replace(self.lock_name, entry, old, comment, settle)
        except Conflict:
            winner = decode(self.read(self.lock_name))
            self.module.fail_json(msg=f"the lock was taken by {winner.get('owner')} for {winner.get('operation')} {when}",
                                  lock=winner, last_completed=decode(history))

    def result(self, changed, record, history, **extra):
        last = decode(history)
        remaining = cooldown_remaining(last, self.params["cooldown_seconds"])
        self.module.exit_json(changed=changed, lock=decode(record), last_completed=last, cooldown_remaining_seconds=remaining, **extra)

    def acquire(self, record, history):
        p = self.params
        held = decode(record)
        if holds(held, p["owner"], p["operation"]):
            return self.result(False, record, history, msg=probe(held, p["owner"], p["operation"]))
        if p["resume_token"]:
            return self.resume(held, record, history)
        last = decode(history)
        if last and p["cooldown_seconds"] and last["age_seconds"] < p["cooldown_seconds"] and not p["ignore_cooldown"]:
            self.module.fail_json(
                msg=f"cool-down: the last operation ({last.get('operation')} by {last.get('owner')}) finished "
                    f"{last['age_seconds']} s ago and the cool-down is {p['cooldown_seconds']} s; wait "
                    f"{p['cooldown_seconds'] - last['age_seconds']} s more or set ignore_cooldown=true",
                lock=held, last_completed=last, cooldown_remaining_seconds=p["cooldown_seconds"] - last["age_seconds"])
        if held and not (stale(held, p["stale_after_seconds"]) or p["take_over"]):
            self.module.fail_json(
                msg=f"the lock is held by {held.get('owner')} for {held.get('operation')} since {held['age_seconds']} s ago "
                    f"(last heartbeat {held['idle_seconds']} s ago); it goes stale after {p['stale_after_seconds']} s without a "
                    "heartbeat (or set take_over=true if that run is dead)",
                lock=held, last_completed=last)
        mine = {"owner": p["owner"], "operation": p["operation"], "since": int(time.time()), "token": new_token()}
        if self.module.check_mode:
            return self.result(True, self.record(mine), history, **({"took_over_from": held} if held else {}))
        # a take-over replaces exactly this lock: if someone else replaced it meanwhile, the write fails
        self.change_exactly(mine, record, f"multiregion.dr lock: {p['operation']} by {p['owner']}", history, "at the same moment")
        return self.result(True, self.read(self.lock_name), history, **({"took_over_from": held} if held else {}))

    def resume(self, held, record, history):
        """The run that holds the lock goes on under another owner: same token, same operation, same start."""
        p = self.params
        if not held:
            self.module.fail_json(msg=f"resume_token={p['resume_token']}: nobody holds the lock, so there is no run to resume; "
                                      "run without resume_token to start one", lock={}, last_completed=decode(history))
        if not resumes(held, p["resume_token"], p["operation"]):
            what = ("it is not the token of the run that holds the lock" if held.get("token") != p["resume_token"]
                    else f"that run is {held.get('operation')}, not {p['operation']}")
            self.module.fail_json(msg=f"resume_token={p['resume_token']} does not resume the lock held by {held.get('owner')} for "
                                      f"{held.get('operation')}: {what}", lock=held, last_completed=decode(history))
        resumed = dict(held, owner=p["owner"], beat=int(time.time()))
        if not self.module.check_mode:
            self.change_exactly(resumed, record, f"multiregion.dr lock: {p['operation']} resumed by {p['owner']}", history, "while it was resumed")
        return self.result(True, self.record(resumed), history, resumed_from=held,
                           msg=probe(held, p["owner"], p["operation"], p["resume_token"]))

    def refresh(self, record, history):
        p = self.params
        held = decode(record)
        if not held or held.get("owner") != p["owner"] or held.get("operation") != p["operation"]:
            holder = f"held by {held.get('owner')} for {held.get('operation')} since {held['age_seconds']} s ago" if held else "not held"
            self.module.fail_json(msg=f"the lock of {p['owner']} for {p['operation']} is gone: it is {holder}. This run stops here "
                                      "(someone took the lock over or released it); see ansible-playbook playbooks/status.yml",
                                  lock=held, last_completed=decode(history))
        beating = dict(held, beat=int(time.time()))
        if not self.module.check_mode:
            self.change_exactly(beating, record, f"multiregion.dr lock heartbeat: {p['operation']} by {p['owner']}", history,
                                "during the heartbeat: this run stops here", settle=False)
        return self.result(True, self.record(beating), history, msg=f"heartbeat of {p['owner']} for {p['operation']}")

    def release(self, record, history):
        p = self.params
        held = decode(record)
        if not held:
            return self.result(False, None, history, msg="nobody holds the lock")
        if held.get("owner") != p["owner"] and not p["take_over"]:
            self.module.fail_json(msg=f"the lock is held by {held.get('owner')} for {held.get('operation')}, not by {p['owner']}; "
                                      "set take_over=true to release it anyway", lock=held, last_completed=decode(history))
        done = {"owner": held.get("owner"), "operation": held.get("operation"), "since": int(time.time())}
        new_history = self.store.record(self.history_name, done) if p["record_completion"] else history
        if not self.module.check_mode:
            try:
                self.store.remove(record, self.history_name, done if p["record_completion"] else None,
                                  f"multiregion.dr unlock: {held.get('operation')} by {held.get('owner')}")
            except Conflict:
                now = decode(self.read(self.lock_name))
                self.module.fail_json(msg=f"the lock changed while it was released: it is held by {now.get('owner')} for {now.get('operation')}",
                                      lock=now, last_completed=decode(history))
        return self.result(True, None, new_history)

    def run(self):
        record, history = self.read(self.lock_name), self.read(self.history_name)
        if self.params["state"] == "acquired":
            return self.acquire(record, history)
        if self.params["state"] == "refreshed":
            return self.refresh(record, history)
        return self.release(record, history)


def main():
    argument_spec = dict(ARGUMENT_SPEC, **CONNECTION_ARGUMENT_SPEC)
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_by={"table": "region"},
        **WHERE,
    )
    if module.params["table"]:
        check_region(module, module.region)
        for region in module.params["table_regions"]:
            check_region(module, region, "table_regions")
    if module.params["resume_token"] and not re.fullmatch(r"[0-9a-f]{12}", module.params["resume_token"]):
        module.fail_json(msg=f"resume_token={module.params['resume_token']!r} is not a run's token: 12 hex digits, as a run's report shows it")
    for option in ("stale_after_seconds", "cooldown_seconds", "settle_timeout"):
        if module.params[option] < 0:
            module.fail_json(msg=f"{option}={module.params[option]} must be 0 or more seconds")
    try:
        Lock(module).run()
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"the lock ({'DynamoDB table ' + module.params['table'] if module.params['table'] else 'Route 53'})")


if __name__ == "__main__":
    main()
