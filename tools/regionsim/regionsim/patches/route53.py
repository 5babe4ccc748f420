"""Route 53 as AWS has it (Route 53 API reference: ChangeResourceRecordSets, GetChange,
ListResourceRecordSets, GetHealthCheckStatus).

moto 5.2.5: a CREATE of an existing record adds a duplicate; DELETE matches by
SetIdentifier alone; ListResourceRecordSets never returns NextRecordIdentifier (the boto3
paginator loops over weighted/failover sets); every change is INSYNC at once; and
GetHealthCheckStatus always reports one success. Here a change batch is checked as a whole
and applied atomically or rejected with InvalidChangeBatch, changes go PENDING then INSYNC
through the latency model, and endpoint health checks fail while the region of their
endpoint is in an outage (Route 53 itself is global and answers through any outage), or when
their endpoint is a load balancer with no listener on the check's port and protocol.
"""

import copy
import datetime
import time

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random as random
from moto.route53 import models as r53_models
from moto.route53 import responses as r53_responses
from moto.route53.exceptions import DnsNameInvalidForZone, InvalidActionValue, InvalidInput
from moto.route53.utils import validate_domain_name

from .. import timeline
from ..state import STATE

# Route 53's health checker regions (HealthCheckRegion): all of them check unless Regions says otherwise.
CHECKER_REGIONS = (
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1",
    "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
)
ENDPOINT_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")
FAILURE_TIMEOUT = (
    "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being "
    "blocked by your firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-router-firewall-rules.html"
)

_changes = {}  # change id -> {"Status", "SubmittedAt", "Comment"}
KEPT = ("_changes",)  # for snapshots (regionsim.snapshot)


class InvalidChangeBatch(ServiceException):
    code = "InvalidChangeBatch"


class NoSuchChange(ServiceException):
    code = "NoSuchChange"


# --- ChangeResourceRecordSets ------------------------------------------------------------

def _norm(name):
    return name.lower().rstrip(".") + "."


def _identity(name, rtype, set_identifier):
    return (_norm(name), rtype, set_identifier or None)


def _described(name, rtype, set_identifier):
    text = f"[name='{_norm(name)}', type='{rtype}'"
    return text + (f", set-identifier='{set_identifier}']" if set_identifier else "]")


def _values(record):
    """What DELETE must match exactly (AWS: all the values given when it was created)."""
    alias = record.alias_target
    if alias:
        alias = (alias.get("HostedZoneId"), _norm(alias.get("DNSName", "")), bool(alias.get("EvaluateTargetHealth")))
    ttl = None if record.ttl in (None, "") else int(record.ttl)
    weight = None if record.weight in (None, "") else int(record.weight)
    return (
        ttl,
        sorted(record.records or []),
        alias,
        weight,
        record.failover,
        record.region,
        record.health_check_id,
        record.geo_location or None,
        record.multi_value_answer,
    )


def change_resource_record_sets(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    rrsets = list(zone.rrsets)
    errors = []
    for change in change_list:
        action = change["Action"]
        if action not in ("CREATE", "UPSERT", "DELETE"):
            raise InvalidActionValue(action)
        record_set = copy.deepcopy(change["ResourceRecordSet"])
        validate_domain_name(record_set["Name"], code="InvalidChangeBatch")
        name = _norm(record_set["Name"])
        if name != _norm(zone.name) and not name.endswith("." + _norm(zone.name)):
            raise DnsNameInvalidForZone(name=record_set["Name"], zone_name=zone.name)
        record_set["Name"] = record_set["Name"].rstrip(".") + "."
        if "ResourceRecords" in record_set:
            record_set["ResourceRecords"] = [r["Value"] for r in record_set["ResourceRecords"]]
        new = r53_models.RecordSet(record_set)
        key = _identity(name, new.type, new.set_identifier)
        index = next((i for i, r in enumerate(rrsets) if _identity(r.name, r.type, r.set_identifier) == key), None)
        described = _described(name, new.type, new.set_identifier)
        if action == "CREATE":
            if index is not None:
                errors.append(f"Tried to create resource record set {described} but it already exists")
            else:
                rrsets.append(new)
        elif action == "UPSERT":
            if index is None:
                rrsets.append(new)
            else:
                rrsets[index] = new
        elif index is None:
            errors.append(f"Tried to delete resource record set {described} but it was not found")
        elif _values(rrsets[index]) != _values(new):
            errors.append(f"Tried to delete resource record set {described} but the values provided do not match the current values")
        else:
            del rrsets[index]
    if errors:
        raise InvalidChangeBatch(f"[{', '.join(errors)}]")
    zone.rrsets = rrsets


_original_change_response = r53_responses.Route53.change_resource_record_sets


def _change_response(self):
    result = _original_change_response(self)
    change_id = "C" + "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(20))
    change = {
        "Id": f"/change/{change_id}",
        "Status": "PENDING",
        "SubmittedAt": datetime.datetime.now(datetime.timezone.utc),
        "Comment": self._get_param("ChangeBatch.Comment"),
    }
    with STATE.lock:
        _changes[change_id] = change
    timeline.run("route53.change_resource_record_sets", lambda status: change.update(Status=status))
    result.result["ChangeInfo"] = change
    return result


def _get_change_response(self):
    change_id = self._get_param("Id").rsplit("/", 1)[-1]
    change = _changes.get(change_id)
    if change is None:
        if change_id.startswith("C") and len(change_id) == 21:
            raise NoSuchChange(f"A change with the specified change ID does not exist: {change_id}")
        # ids moto hands out for hosted zone changes, which are INSYNC at once
        return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": "INSYNC", "SubmittedAt": datetime.datetime.now(datetime.timezone.utc)}})
    return ActionResult({"ChangeInfo": dict(change)})


# --- ListResourceRecordSets --------------------------------------------------------------

def _sort_key(name, rtype, set_identifier):
    return (r53_models.reverse_domain_name(_norm(name)), rtype or "", set_identifier or "")


def _list_response(self):
    zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
    start_name = self._get_param("StartRecordName")
    start_type = self._get_param("StartRecordType")
    start_identifier = self._get_param("StartRecordIdentifier")
    max_items = self._get_int_param("MaxItems", 300)
    if start_type and not start_name:
        raise InvalidInput("The input is not valid")
    if start_identifier and not start_type:
        raise InvalidInput("The input is not valid")
    records = sorted(zone.rrsets, key=lambda r: _sort_key(r.name, r.type, r.set_identifier))
    if start_name:
        validate_domain_name(start_name)
        start = _sort_key(start_name, start_type, start_identifier)
        records = [r for r in records if _sort_key(r.name, r.type, r.set_identifier) >= start]
    page, rest = records[:max_items], records[max_items:]
    result = {"ResourceRecordSets": page, "IsTruncated": bool(rest), "MaxItems": str(max_items)}
    if rest:
        result["NextRecordName"] = rest[0].name
        result["NextRecordType"] = rest[0].type
        if rest[0].set_identifier:
            result["NextRecordIdentifier"] = rest[0].set_identifier
    return ActionResult(result)


# --- GetHealthCheckStatus ----------------------------------------------------------------

def _endpoint_regions(account_id, health_check, down=None):
    """Regions in an outage (or of `down`) that the endpoint of this health check lives in."""
    if down is None:
        with STATE.lock:
            down = list(STATE.outages)
    if not down:
        return []
    found = []
    labels = set((health_check.fqdn or "").lower().rstrip(".").split("."))
    found += [region for region in down if region in labels]
    if health_check.ip_address:
        from moto.ec2.models import ec2_backends

        backends = ec2_backends[account_id]
        for region in down:
            backend = backends.get(region)  # dict.get: does not create a backend
            if backend is None or region in found:
                continue
            ips = {a.public_ip for a in backend.addresses}
            for instance in backend.all_instances():
                ips.update({instance.public_ip, instance.private_ip})
            if health_check.ip_address in ips:
                found.append(region)
    return found


def endpoint_reachable(account_id, health_check):
    """False once an outage of the endpoint's region has lasted one request interval (the
    next check after it began; at once with the latency model off)."""
    for region in _endpoint_regions(account_id, health_check):
        outage = STATE.outage_of(region)
        if outage and time.time() - outage["since"] >= timeline.scaled(health_check.request_interval or 30):
            return False
    return True


# Listener protocols a health check type can talk to (HTTP checks follow an HTTP 301 to HTTPS as a success).
SERVED_BY = {"HTTP": ("HTTP",), "HTTP_STR_MATCH": ("HTTP",), "HTTPS": ("HTTPS",), "HTTPS_STR_MATCH": ("HTTPS",),
             "TCP": ("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP")}


def target_serves(account_id, health_check):
    """False when the endpoint is a load balancer with listeners, none on the check's port and protocol
    (Route 53 then cannot connect, or fails the TLS handshake). A load balancer with no listener yet, or an
    endpoint that is no load balancer, counts as serving."""
    from moto.elbv2.models import elbv2_backends

    fqdn = (health_check.fqdn or "").lower().rstrip(".")
    if not fqdn:
        return True
    for backend in list(elbv2_backends[account_id].values()):
        for balancer in list(backend.load_balancers.values()):
            if (balancer.dns_name or "").lower().rstrip(".") != fqdn:
                continue
            listeners = list(balancer.listeners.values())
            if not listeners:
                return True
            port = health_check.port or (443 if health_check.type_.startswith("HTTPS") else 80)
            wanted = SERVED_BY.get(health_check.type_, ())
            return any(int(listener.port) == int(port) and listener.protocol in wanted for listener in listeners)
    return True


def cut_off_checkers(account_id, health_check):
    """The health checkers a partition cuts off from the endpoint's region (they see it fail)."""
    with STATE.lock:
        regions = sorted({region for _checker, region in STATE.partitions})
    return STATE.partitioned_checkers(_endpoint_regions(account_id, health_check, regions)) if regions else set()


def is_healthy(account_id, health_check):
    """What a checker that reaches the endpoint's region sees: disabled checks are healthy, Inverted flips."""
    healthy = True if health_check.disabled else (
        endpoint_reachable(account_id, health_check) and target_serves(account_id, health_check)
    )
    return not healthy if health_check.inverted else healthy


def _health_status_response(self):
    health_check = self.backend.get_health_check(self._get_param("HealthCheckId"))
    if health_check.type_ not in ENDPOINT_TYPES:
        return _original_status_response(self)
    cut_off = cut_off_checkers(self.current_account, health_check)
    healthy = is_healthy(self.current_account, health_check)
    if health_check.type_ == "TCP":
        success = "Success: TCP connection established"
    else:
        success = "Success: HTTP Status Code 200, OK"
    if healthy:
        status = success
    elif health_check.inverted:
        status = f"Failure: the endpoint is healthy and the health check is inverted ({success[len('Success: '):]})"
    else:
        status = FAILURE_TIMEOUT
    now = datetime.datetime.now(datetime.timezone.utc)
    # a checker cut off by a partition times out, whatever the others see
    observations = [
        {"Region": region, "IPAddress": f"15.177.{2 * i + 2}.{10 + i}",
         "StatusReport": {"Status": FAILURE_TIMEOUT if region in cut_off and not health_check.disabled else status, "CheckedTime": now}}
        for i, region in enumerate(health_check.regions or CHECKER_REGIONS)
    ]
    return ActionResult({"HealthCheckObservations": observations})


_original_status_response = r53_responses.Route53.get_health_check_status


def apply():
    r53_models.Route53Backend.change_resource_record_sets = change_resource_record_sets
    r53_responses.Route53.change_resource_record_sets = _change_response
    r53_responses.Route53.get_change = _get_change_response
    r53_responses.Route53.list_resource_record_sets = _list_response
    r53_responses.Route53.get_health_check_status = _health_status_response

