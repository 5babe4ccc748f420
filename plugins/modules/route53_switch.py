#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: multiregion.dr developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: route53_switch
short_description: Point a Route 53 name at one region, in one atomic change batch
version_added: 0.1.0
description:
  - Switches the records of one name and type to O(target_region) with a single C(ChangeResourceRecordSets) call,
    then waits until the change is C(INSYNC).
  - It exists because amazon.aws.route53 changes one record set per task. A failover needs the PRIMARY and the
    SECONDARY record (or every weight) changed together; two tasks leave a window with two PRIMARY records
    (rejected) or with no record pointing anywhere, and a failure between them leaves DNS half switched.
  - Failover routing (O(routing=failover)) - the record set of O(target_region) becomes C(PRIMARY) and the current
    C(PRIMARY) becomes C(SECONDARY). Both keep their set identifiers, alias targets, values and health checks.
    The batch deletes both records with their exact current values and creates them with the roles swapped,
    so it is applied atomically and fails as a whole if someone changed the records since they were read.
  - Weighted routing (O(routing=weighted)) - the record set of O(target_region) gets weight O(target_weight) (100)
    and all others O(other_weight) (0), with one C(UPSERT) per record whose weight changes. With O(target_weight=0)
    and O(other_weight=100) the name sends traffic anywhere but the target while another region is healthy, as
    the standby name behind a CloudFront origin group does (the cdn role).
  - Simple routing (O(routing=simple)) - the single record gets the alias target or values of
    O(targets[target_region]) with an C(UPSERT) (it is created when missing).
  - How a record set maps to a region, first rule that applies - (1) with O(set_identifiers), only that map is used;
    (2) a C(SetIdentifier) equal to a region name (for example C(us-east-1));
    (3) the one region named in the alias target DNS name, the record values or the set identifier (an ELB name such as
    C(dualstack.web-1.eu-west-1.elb.amazonaws.com), a set identifier such as C(web-us-east-1)); none when they name several.
    Two record sets mapping to one region is an error. M(multiregion.dr.topology_info) maps records by the same rules.
  - With O(also), more names of the same hosted zone switch in the same change batch, so every name moves at once
    or none does, and the module waits once for that one change.
  - Route 53 is a global service; the module contacts no regional endpoint, so it works during any regional outage.
options:
  hosted_zone:
    description:
      - The hosted zone, by name (C(example.com)) or by ID (C(Z0123456789ABC) or C(/hostedzone/Z0123456789ABC)).
    type: str
    required: true
  private_zone:
    description:
      - When O(hosted_zone) is a name, use the private zone of that name rather than the public one.
    type: bool
    default: false
  record_name:
    description:
      - The record name. A name not ending in the zone name is taken as relative to the zone
        (C(app) in C(example.com) is C(app.example.com)).
    type: str
    required: true
  record_type:
    description:
      - The record type.
    type: str
    choices: [A, AAAA, CNAME]
    default: A
  target_region:
    description:
      - The region the name should point to.
    type: str
    required: true
  routing:
    description:
      - The routing policy of the records. V(auto) detects it from the existing records of the name and type
        (records with C(Failover) - V(failover); with C(Weight) - V(weighted); one record without C(SetIdentifier),
        or none when O(targets) is given - V(simple)). Another value must match the existing records.
    type: str
    choices: [auto, failover, weighted, simple]
    default: auto
  targets:
    description:
      - For simple routing only - what the record points to for each region, keyed by region name.
      - Each value is either an alias target C({dns_name, hosted_zone_id, evaluate_target_health}) or
        C({value, ttl}) where C(value) is one value or a list (C(ttl) defaults to 60).
    type: dict
  target_weight:
    description:
      - For weighted routing only - the weight of the target's record set (0 to 255).
    type: int
    default: 100
  other_weight:
    description:
      - For weighted routing only - the weight of every other record set (0 to 255); it must differ from O(target_weight).
    type: int
    default: 0
  set_identifiers:
    description:
      - An explicit map of region name to C(SetIdentifier) for failover and weighted records. When given, it is the only
        rule used to map record sets to regions.
    type: dict
  also:
    description:
      - More names of the same O(hosted_zone) to switch to O(target_region) in the same change batch, each with its own
        options (they default as the module's options do, not to the values given for O(record_name)).
      - A failover that moves a name and the standby name behind a CDN origin group uses it - one atomic change and one
        wait instead of two.
    type: list
    elements: dict
    default: []
    suboptions:
      record_name:
        description:
          - The record name, as O(record_name).
        type: str
        required: true
      record_type:
        description:
          - The record type.
        type: str
        choices: [A, AAAA, CNAME]
        default: A
      routing:
        description:
          - The routing policy, as O(routing).
        type: str
        choices: [auto, failover, weighted, simple]
        default: auto
      targets:
        description:
          - For simple routing, as O(targets).
        type: dict
      target_weight:
        description:
          - For weighted routing, as O(target_weight).
        type: int
        default: 100
      other_weight:
        description:
          - For weighted routing, as O(other_weight).
        type: int
        default: 0
      set_identifiers:
        description:
          - As O(set_identifiers).
        type: dict
author:
  - multiregion.dr developers (@multiregion)
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - multiregion.dr.dr.control_plane
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fail app.example.com over to eu-west-1 (PRIMARY/SECONDARY records, one atomic batch)
  multiregion.dr.route53_switch:
    hosted_zone: example.com
    record_name: app.example.com
    target_region: eu-west-1
  register: dns

- name: Send all weighted traffic to us-west-2; the records' set identifiers are not region names
  multiregion.dr.route53_switch:
    hosted_zone: Z0123456789ABC
    record_name: api
    record_type: CNAME
    routing: weighted
    target_region: us-west-2
    set_identifiers:
      us-east-1: blue
      us-west-2: green

- name: A plain alias record that follows the active region
  multiregion.dr.route53_switch:
    hosted_zone: internal.example.com
    private_zone: true
    record_name: db.internal.example.com
    routing: simple
    target_region: us-west-2
    targets:
      us-east-1:
        dns_name: web-1.us-east-1.elb.amazonaws.com
        hosted_zone_id: Z35SXDOTRQ7X7K
      us-west-2:
        dns_name: web-2.us-west-2.elb.amazonaws.com
        hosted_zone_id: Z1H1FL5HABSF5
        evaluate_target_health: true

- name: Move the name and the CDN's standby name (every region but the target) in one change batch
  multiregion.dr.route53_switch:
    hosted_zone: example.com
    record_name: app
    routing: weighted
    target_region: eu-west-1
    also:
      - record_name: app-standby
        routing: weighted
        target_weight: 0
        other_weight: 100
"""

RETURN = r"""
deferred:
  description:
    - The control plane did not answer and O(when_unreachable=defer) - nothing was changed; run again to make the change.
  returned: when deferred
  type: bool
  sample: true
changed:
  description: Whether a change batch was sent (or, in check mode, would be).
  returned: always
  type: bool
hosted_zone_id:
  description: The ID of the hosted zone.
  returned: always
  type: str
  sample: Z0123456789ABC
record_name:
  description: The fully qualified record name, as Route 53 lists it.
  returned: always
  type: str
  sample: app.example.com.
routing:
  description: The routing policy used (detected when O(routing=auto)).
  returned: always
  type: str
  sample: failover
change_batch:
  description:
    - The changes sent, or in check mode the changes that would be sent; empty when nothing is to do.
    - With O(also), the changes of every name, in one batch.
  returned: always
  type: list
  elements: dict
  sample: [{"Action": "DELETE", "ResourceRecordSet": {"Name": "app.example.com.", "Type": "A", "SetIdentifier": "eu-west-1"}}]
change_id:
  description: The Route 53 change ID; null when nothing was sent.
  returned: always
  type: str
  sample: /change/C2682N5HXP0BZ4
change_status:
  description: The last status of the change seen (C(PENDING) or C(INSYNC)); null when nothing was sent.
  returned: always
  type: str
  sample: INSYNC
seconds_to_insync:
  description: Seconds from sending the change until it was seen C(INSYNC); null when not waited for.
  returned: always
  type: float
  sample: 31.4
statuses:
  description: The change statuses seen, in order.
  returned: always
  type: list
  elements: str
  sample: ["PENDING", "INSYNC"]
before:
  description: The record sets before the run, keyed by set identifier (C(simple) for a simple record).
  returned: always
  type: dict
  sample: {"us-east-1": {"region": "us-east-1", "failover": "PRIMARY", "target": "web-1.us-east-1.elb.amazonaws.com.",
           "health_check_id": "abc"}}
after:
  description: The record sets after the run (or, in check mode, as they would be), in the same form as RV(before).
  returned: always
  type: dict
also:
  description: For each name of O(also), in order, what RV(record_name), RV(routing), RV(before) and RV(after) say of the main name.
  returned: always
  type: list
  elements: dict
  sample: [{"record_name": "app-standby.example.com.", "routing": "weighted", "changed": true,
            "before": {"us-east-1": {"region": "us-east-1", "weight": 0, "target": "203.0.113.1"}},
            "after": {"us-east-1": {"region": "us-east-1", "weight": 100, "target": "203.0.113.1"}}}]
seconds:
  description: Seconds the module took, waits included.
  returned: always
  type: float
  sample: 33.0
"""

import copy

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONTROL_PLANE_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import defer_unless_reachable
from ansible_collections.multiregion.dr.plugins.module_utils.clients import Stopwatch
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_non_negative
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_region
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.clients import known_regions
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import ROUTE53_REGION
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import ZoneError
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import absolute_name
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import find_zone
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import fqdn
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import record_region
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import record_sets
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.wait import wait_or_fail

# Route 53 is global; its API endpoint (route53.amazonaws.com) signs with us-east-1.
SIMPLE = "simple"


class PlanError(Exception):
    pass


def target_of(record):
    """What a record points to: the alias DNS name or its values."""
    if record.get("AliasTarget"):
        return fqdn(record["AliasTarget"]["DNSName"])
    values = [r["Value"] for r in record.get("ResourceRecords", [])]
    return values[0] if len(values) == 1 else values


def routing_of(records):
    if any("Failover" in r for r in records):
        return "failover"
    if any("Weight" in r for r in records):
        return "weighted"
    if len(records) == 1 and "SetIdentifier" not in records[0]:
        return SIMPLE
    kinds = sorted({k for r in records for k in ("Region", "GeoLocation", "MultiValueAnswer", "CidrRoutingConfig", "GeoProximityLocation") if k in r})
    return "unsupported (" + (", ".join(kinds) or "several records") + ")"


def summary(records, set_identifiers, regions):
    """before/after view: record sets keyed by set identifier."""
    view = {}
    for record in records:
        entry = {"region": record_region(record, regions, set_identifiers), "target": target_of(record)}
        if "Failover" in record:
            entry["failover"] = record["Failover"]
        if "Weight" in record:
            entry["weight"] = record["Weight"]
        if record.get("HealthCheckId"):
            entry["health_check_id"] = record["HealthCheckId"]
        if "TTL" in record:
            entry["ttl"] = record["TTL"]
        view[record.get("SetIdentifier", SIMPLE)] = entry
    return view


def by_region(records, set_identifiers, regions):
    """{region: record}; PlanError when two record sets claim one region."""
    mapped = {}
    for record in records:
        region = record_region(record, regions, set_identifiers)
        if region is None:
            continue
        if region in mapped:
            raise PlanError(
                f"record sets {mapped[region].get('SetIdentifier')!r} and {record.get('SetIdentifier')!r} both map to {region}; "
                "give set_identifiers to say which one serves it"
            )
        mapped[region] = record
    return mapped


def describe_sets(records, set_identifiers, regions):
    return ", ".join(
        f"{r.get('SetIdentifier', SIMPLE)} ({record_region(r, regions, set_identifiers) or 'no region'}"
        f"{', ' + r['Failover'] if 'Failover' in r else ''}{', weight ' + str(r['Weight']) if 'Weight' in r else ''})"
        for r in records
    )


def target_record(records, target_region, set_identifiers, regions, name, rtype):
    found = by_region(records, set_identifiers, regions).get(target_region)
    if found is None:
        raise PlanError(
            f"no record set of {name} {rtype} maps to target_region={target_region}; the record sets are: "
            f"{describe_sets(records, set_identifiers, regions)}. Name the set identifier with set_identifiers"
        )
    return found


def plan_failover(records, target_region, set_identifiers, regions, name, rtype):
    """Changes that make the target's record set PRIMARY and the current PRIMARY SECONDARY."""
    target = target_record(records, target_region, set_identifiers, regions, name, rtype)
    if target.get("Failover") == "PRIMARY":
        return []
    changes = []
    for record in records:
        if record is target or record.get("Failover") == "PRIMARY":
            changed = copy.deepcopy(record)
            changed["Failover"] = "PRIMARY" if record is target else "SECONDARY"
            changes.append({"Action": "DELETE", "ResourceRecordSet": record})
            changes.append({"Action": "CREATE", "ResourceRecordSet": changed})
    # All deletes first: Route 53 validates the batch as a whole, this order reads naturally.
    return [c for c in changes if c["Action"] == "DELETE"] + [c for c in changes if c["Action"] == "CREATE"]


def plan_weighted(records, target_region, set_identifiers, regions, name, rtype, target_weight=100, other_weight=0):
    """UPSERTs that give the target's record set target_weight and every other other_weight."""
    target = target_record(records, target_region, set_identifiers, regions, name, rtype)
    changes = []
    for record in records:
        weight = target_weight if record is target else other_weight
        if record.get("Weight") != weight:
            changed = copy.deepcopy(record)
            changed["Weight"] = weight
            changes.append({"Action": "UPSERT", "ResourceRecordSet": changed})
    return changes


def desired_simple(spec, name, rtype):
    record = {"Name": name, "Type": rtype}
    if spec.get("dns_name"):
        record["AliasTarget"] = {
            "HostedZoneId": spec["hosted_zone_id"],
            "DNSName": fqdn(spec["dns_name"]),
            "EvaluateTargetHealth": bool(spec.get("evaluate_target_health", False)),
        }
    else:
        values = spec["value"] if isinstance(spec["value"], list) else [spec["value"]]
        record["TTL"] = int(spec.get("ttl", 60))
        record["ResourceRecords"] = [{"Value": str(v)} for v in values]
    return record


def same_simple(existing, wanted):
    if bool(existing.get("AliasTarget")) != bool(wanted.get("AliasTarget")):
        return False
    if wanted.get("AliasTarget"):
        have, want = existing["AliasTarget"], wanted["AliasTarget"]
        return (fqdn(have["DNSName"]) == want["DNSName"] and have["HostedZoneId"] == want["HostedZoneId"]
                and bool(have.get("EvaluateTargetHealth")) == want["EvaluateTargetHealth"])
    return (existing.get("TTL") == wanted["TTL"]
            and sorted(r["Value"] for r in existing.get("ResourceRecords", [])) == sorted(r["Value"] for r in wanted["ResourceRecords"]))


def plan_simple(records, target_region, targets, name, rtype):
    wanted = desired_simple(targets[target_region], name, rtype)
    if records and same_simple(records[0], wanted):
        return []
    if records and records[0].get("HealthCheckId"):
        wanted["HealthCheckId"] = records[0]["HealthCheckId"]
    return [{"Action": "UPSERT", "ResourceRecordSet": wanted}]


def apply_changes(records, changes):
    """The record sets after a change batch (for check mode and diff)."""
    def key(r):
        return (fqdn(r["Name"]), r["Type"], r.get("SetIdentifier"))
    result = {key(r): r for r in records}
    for change in changes:
        record = change["ResourceRecordSet"]
        if change["Action"] == "DELETE":
            result.pop(key(record), None)
        else:
            result[key(record)] = record
    return sorted(result.values(), key=lambda r: r.get("SetIdentifier") or "")


def check_targets(targets, regions):
    """An error text for a malformed targets option, or None."""
    for region, spec in targets.items():
        if region not in regions:
            return f"targets has a key {region!r} that is not an AWS region"
        if not isinstance(spec, dict):
            return f"targets[{region}]={spec!r} must be a dict with dns_name and hosted_zone_id, or with value (and ttl)"
        alias, plain = bool(spec.get("dns_name")), spec.get("value") not in (None, "", [])
        if alias == plain:
            return f"targets[{region}] must have either dns_name (with hosted_zone_id) or value, not {'both' if alias else 'neither'}"
        if alias and not spec.get("hosted_zone_id"):
            return f"targets[{region}] has dns_name but no hosted_zone_id (the alias target's hosted zone)"
        unknown = set(spec) - {"dns_name", "hosted_zone_id", "evaluate_target_health", "value", "ttl"}
        if unknown:
            return f"targets[{region}] has unknown keys {', '.join(sorted(unknown))}; allowed: dns_name, hosted_zone_id, evaluate_target_health, value, ttl"
        if "ttl" in spec:
            try:
                ttl = int(spec["ttl"])
            except (TypeError, ValueError):
                ttl = -1
            if ttl < 0 or isinstance(spec["ttl"], bool):
                return f"targets[{region}].ttl={spec['ttl']!r} must be a whole number of 0 or more seconds"
    return None


class Switch:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.stopwatch = Stopwatch()
        self.statuses = []
        self.regions = set(known_regions())
        self.r53 = client(module, "route53", ROUTE53_REGION)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, seconds=self.stopwatch.seconds, statuses=self.statuses, **extra)

    def find_zone(self):
        try:
            return find_zone(self.r53, self.params["hosted_zone"], self.params["private_zone"])
        except ZoneError as exc:
            self.fail(str(exc))

    def records(self, zone_id, name, rtype):
        return record_sets(self.r53, zone_id, name, rtype)

    def names_in(self, zone_id):
        page = self.r53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="100")
        names = sorted({f"{r['Name']} {r['Type']}" for r in page["ResourceRecordSets"] if r["Type"] not in ("NS", "SOA")})
        return ", ".join(names) + (" ..." if page.get("IsTruncated") else "") if names else "no records but NS and SOA"

    def plan(self, spec, records, routing, name, rtype):
        target_region, set_identifiers = self.params["target_region"], spec["set_identifiers"]
        args = (records, target_region, set_identifiers, self.regions, name, rtype)
        if routing == "failover":
            return plan_failover(*args)
        if routing == "weighted":
            return plan_weighted(*args, target_weight=spec["target_weight"], other_weight=spec["other_weight"])
        return plan_simple(records, target_region, spec["targets"], name, rtype)

    def routing(self, spec, records, name, rtype, zone_id):
        wanted, targets, target_region = spec["routing"], spec["targets"], self.params["target_region"]
        found = routing_of(records) if records else None
        if found is None:
            if wanted in ("auto", SIMPLE) and targets:
                found = SIMPLE
            else:
                self.fail(f"record {name} {rtype} does not exist in hosted zone {zone_id}; it has: {self.names_in(zone_id)}"
                          + ("" if wanted in ("failover", "weighted") else ". Give targets to create a simple record"))
        if found.startswith("unsupported"):
            self.fail(f"record {name} {rtype} uses routing {found}; route53_switch handles failover, weighted and simple")
        if wanted != "auto" and wanted != found:
            self.fail(f"routing={wanted} does not match the records of {name} {rtype}: they use {found} routing "
                      f"({describe_sets(records, spec['set_identifiers'], self.regions)})")
        if found == SIMPLE:
            if not targets:
                self.fail(f"record {name} {rtype} uses simple routing: give targets (region -> alias target or value) to switch it")
            if target_region not in targets:
                self.fail(f"targets has no entry for target_region={target_region}; it has: {', '.join(sorted(targets))}")
        elif targets:
            self.fail(f"targets is for simple routing only; the records of {name} {rtype} use {found} routing")
        return found

    def name_plan(self, spec, zone):
        """One name's reading and changes: {record_name, record_type, routing, records, changes, view}."""
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        name, rtype = absolute_name(spec["record_name"], zone["Name"]), spec["record_type"]
        records = self.records(zone_id, name, rtype)
        routing = self.routing(spec, records, name, rtype, zone_id)
        try:
            changes = self.plan(spec, records, routing, name, rtype)
        except PlanError as e:
            self.fail(str(e))
        return dict(record_name=name, record_type=rtype, routing=routing, records=records, changes=changes,
                    view=(spec["set_identifiers"], self.regions))

    def wait_insync(self, change_id):
        return wait_or_fail(
            self.module, lambda: self.r53.get_change(Id=change_id)["ChangeInfo"], lambda c: c["Status"] == "INSYNC",
            f"Route 53 change {change_id} to be INSYNC", status_of=lambda c: c["Status"], statuses=self.statuses,
            fail=lambda msg: self.fail(msg, change_id=change_id), note=" The record change itself is already made; a rerun reports changed=false.",
        )

    def run(self):
        p = self.params
        zone = self.find_zone()
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        names = [self.name_plan(spec, zone) for spec in [name_spec(p)] + p["also"]]
        changes = [change for n in names for change in n["changes"]]
        for n in names:
            n["before"] = summary(n["records"], *n["view"])
            n["after"] = summary(apply_changes(n["records"], n["changes"]), *n["view"])
        main = names[0]
        result = dict(
            changed=bool(changes), hosted_zone_id=zone_id, record_name=main["record_name"], routing=main["routing"], change_batch=changes,
            change_id=None, change_status=None, seconds_to_insync=None, statuses=self.statuses,
        )
        label = ", ".join(f"{n['record_name']} {n['record_type']}" for n in names)
        if changes and not self.module.check_mode:
            comment = f"multiregion.dr.route53_switch: {label} to {p['target_region']}"
            try:
                info = self.r53.change_resource_record_sets(
                    HostedZoneId=zone_id, ChangeBatch={"Comment": comment[:256], "Changes": changes}
                )["ChangeInfo"]
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"The change batch for {label} was rejected; nothing was changed", change_batch=changes)
            sent = Stopwatch()
            self.statuses.append(info["Status"])
            if p["wait"] and info["Status"] != "INSYNC":
                info = self.wait_insync(info["Id"])
            result.update(change_id=info["Id"], change_status=info["Status"])
            if info["Status"] == "INSYNC":
                result["seconds_to_insync"] = sent.seconds
            for n in names:
                n["after"] = summary(self.records(zone_id, n["record_name"], n["record_type"]), *n["view"])
        result.update(before=main["before"], after=main["after"])
        result["also"] = [dict(record_name=n["record_name"], routing=n["routing"], changed=bool(n["changes"]), before=n["before"], after=n["after"])
                          for n in names[1:]]
        if self.module._diff:
            if p["also"]:
                result["diff"] = {side: {n["record_name"]: n[side] for n in names} for side in ("before", "after")}
            else:
                result["diff"] = {"before": result["before"], "after": result["after"]}
        result["seconds"] = self.stopwatch.seconds
        return result


def name_spec(params):
    """The options of the main name, in the form of an element of also."""
    return {option: params[option] for option in NAME_ARGUMENT_SPEC}


def check_name(spec, target_region, regions, where=""):
    """An error text for a name's bad options, or None. where names the element of also (empty for the main name)."""
    for region in spec["set_identifiers"] or {}:
        if region not in regions:
            return f"{where}set_identifiers has a key {region!r} that is not an AWS region"
    if spec["set_identifiers"] and target_region not in spec["set_identifiers"]:
        return (f"{where}set_identifiers has no entry for target_region={target_region}; "
                f"it has: {', '.join(sorted(spec['set_identifiers']))}")
    if spec["targets"] is not None:
        error = check_targets(spec["targets"], regions)
        if error:
            return where + error
    for option in ("target_weight", "other_weight"):
        if not 0 <= spec[option] <= 255:
            return f"{where}{option}={spec[option]} must be a Route 53 weight, 0 to 255"
    if spec["target_weight"] == spec["other_weight"]:
        return (f"{where}target_weight and other_weight are both {spec['target_weight']}: "
                "the switch would send no traffic anywhere in particular")
    return None


# The options of one name: the module's own, and each element of also.
NAME_ARGUMENT_SPEC = dict(
    record_name=dict(type="str", required=True),
    record_type=dict(type="str", choices=["A", "AAAA", "CNAME"], default="A"),
    routing=dict(type="str", choices=["auto", "failover", "weighted", "simple"], default="auto"),
    targets=dict(type="dict"),
    target_weight=dict(type="int", default=100),
    other_weight=dict(type="int", default=0),
    set_identifiers=dict(type="dict"),
)


def main():
    argument_spec = dict(
        hosted_zone=dict(type="str", required=True),
        private_zone=dict(type="bool", default=False),
        target_region=dict(type="str", required=True),
        also=dict(type="list", elements="dict", default=[], options=NAME_ARGUMENT_SPEC),
        **NAME_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
        **CONTROL_PLANE_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    # Every input is checked before the first API call.
    regions = known_regions()
    check_region(module, params["target_region"], "target_region")
    for i, spec in enumerate([name_spec(params)] + params["also"]):
        error = check_name(spec, params["target_region"], regions, f"also[{i - 1}]." if i else "")
        if error:
            module.fail_json(msg=error)
    seen = [(s["record_name"].rstrip(".").lower(), s["record_type"]) for s in [name_spec(params)] + params["also"]]
    if len(set(seen)) < len(seen):
        module.fail_json(msg=f"also names a record twice (or the record_name itself): {', '.join(f'{n} {t}' for n, t in seen)}")
    check_non_negative(module, "wait_timeout", params["wait_timeout"])
    if params["poll_interval"] <= 0:
        module.fail_json(msg=f"poll_interval={params['poll_interval']!r} must be a number above 0")

    # after the checks: a bad input fails even while the API is down
    defer_unless_reachable(module, "route53", statuses=[], also=[])
    module.exit_json(**Switch(module).run())


if __name__ == "__main__":
    main()
