# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 rules in one place: names, zone lookup, the record sets of a name, which region a record
set serves, health check status and where Route 53 sends a name's traffic."""

import re

from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONTROL_PLANES, error_code, error_text, known_regions, paginate

# Route 53 is global; its API (control plane) runs in us-east-1 and answers through any other region's outage.
ROUTE53_REGION = CONTROL_PLANES["route53"]
ZONE_ID = re.compile(r"^(/hostedzone/)?([A-Z0-9]+)$")


# Route 53 Developer Guide (dns-failover-determining-health-of-endpoints): an endpoint is
# healthy when more than 18% of the health checkers report it healthy.
HEALTHY_SHARE = 0.18


class ZoneError(ValueError):
    """hosted_zone does not name exactly one zone; the message says what exists."""


def fqdn(name):
    """Route 53's form of a name: lower case, trailing dot, \\052 for a leading *."""
    return name.replace("\\052", "*").lower().rstrip(".") + "."


def normalize_name(name):
    """fqdn() without the final dot ('' for no name)."""
    return fqdn(name or "")[:-1]


def absolute_name(record_name, zone_name):
    name, zone = fqdn(record_name), fqdn(zone_name)
    return name if name == zone or name.endswith("." + zone) else name[:-1] + "." + zone


def zones(r53):
    return paginate(r53, "list_hosted_zones").get("HostedZones", [])


def zone_list(r53):
    return ", ".join(f"{z['Name']} ({z['Id'].rsplit('/', 1)[-1]}, {'private' if z.get('Config', {}).get('PrivateZone') else 'public'})"
                     for z in zones(r53)) or "none"


def find_zone(r53, wanted, private=False):
    """The hosted zone named (or with the id) wanted; ZoneError naming what exists otherwise."""
    as_id = ZONE_ID.match(wanted)
    if as_id:
        try:
            return r53.get_hosted_zone(Id=as_id.group(2))["HostedZone"]
        except Exception as exc:  # pylint: disable=broad-except
            if error_code(exc) != "NoSuchHostedZone":
                raise
            raise ZoneError(f"hosted_zone={wanted!r} does not exist; the hosted zones are: {zone_list(r53)}") from None
    matches = [z for z in zones(r53) if fqdn(z["Name"]) == fqdn(wanted) and bool(z.get("Config", {}).get("PrivateZone")) == private]
    if not matches:
        raise ZoneError(f"hosted_zone={wanted!r} has no {'private' if private else 'public'} zone "
                        f"(private_zone={private}); the hosted zones are: {zone_list(r53)}")
    if len(matches) > 1:
        raise ZoneError(f"hosted_zone={wanted!r} matches {len(matches)} {'private' if private else 'public'} zones "
                        f"({', '.join(z['Id'] for z in matches)}); give the zone ID")
    return matches[0]


def record_sets(r53, zone_id, name, rtype):
    """All record sets of name and type (following NextRecordName/Type/Identifier)."""
    found = []
    name, rtype = fqdn(name), rtype.upper()
    kwargs = dict(HostedZoneId=zone_id, StartRecordName=name, StartRecordType=rtype)
    while True:
        page = r53.list_resource_record_sets(aws_retry=True, **kwargs)
        for record in page["ResourceRecordSets"]:
            if fqdn(record["Name"]) != name or record["Type"] != rtype:
                return found
            found.append(record)
        if not page.get("IsTruncated"):
            return found
        kwargs = dict(HostedZoneId=zone_id, StartRecordName=page["NextRecordName"], StartRecordType=page.get("NextRecordType", rtype))
        if page.get("NextRecordIdentifier"):
            kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def txt_record(r53, zone, name):
    """The TXT record set of name (absolute, or relative to the zone) in zone (find_zone's), or None."""
    found = record_sets(r53, zone["Id"], absolute_name(name, zone["Name"]), "TXT")
    return found[0] if found else None


# which region a record set serves ------------------------------------------------------------------
def region_in_text(text, regions=None):
    """The AWS region named as a label in text (an ELB DNS name, a set identifier), else None.

    dualstack.web-1234.us-east-1.elb.amazonaws.com -> us-east-1; s3-website-eu-west-1 -> eu-west-1.
    """
    if not text:
        return None
    text = text.lower()
    for region in sorted(regions or known_regions(), key=len, reverse=True):
        if re.search(r"(?<![a-z0-9])" + re.escape(region) + r"(?![0-9])", text):
            return region
    return None


def record_region(record, regions, set_identifiers=None):
    """The region a record set serves, or None; the first rule that applies:
    (1) with set_identifiers (region -> set identifier), only that map;
    (2) a latency record's Region;
    (3) a SetIdentifier equal to a region name (any case);
    (4) the one region named in the alias target DNS name, the record values or the set identifier
        (an ELB name such as dualstack.web-1.eu-west-1.elb.amazonaws.com); none when they name several.
    """
    set_id = record.get("SetIdentifier")
    if set_identifiers:
        return next((region for region, sid in set_identifiers.items() if sid == set_id), None)
    if record.get("Region"):
        return record["Region"]
    if set_id and set_id.lower() in regions:
        return set_id.lower()
    alias = (record.get("AliasTarget") or {}).get("DNSName")
    texts = [alias, set_id] + [r.get("Value") for r in record.get("ResourceRecords") or []]
    found = {region for region in (region_in_text(text, regions) for text in texts) if region}
    return found.pop() if len(found) == 1 else None


# health and routing -------------------------------------------------------------------------------
def health_from_observations(observations):
    """GetHealthCheckStatus observations -> {status, checkers_success, checkers_total}."""
    total = len(observations or [])
    success = sum(1 for o in observations or [] if (o.get("StatusReport") or {}).get("Status", "").startswith("Success"))
    if not total:
        status = "unknown"
    else:
        status = "healthy" if success > HEALTHY_SHARE * total else "unhealthy"
    return {"status": status, "checkers_success": success, "checkers_total": total}


def health_status(r53, health_check_id):
    """{id, status (healthy, unhealthy, unknown), checkers_success, checkers_total}; an error makes it unknown."""
    try:
        observations = r53.get_health_check_status(HealthCheckId=health_check_id, aws_retry=True)["HealthCheckObservations"]
    except Exception as exc:  # pylint: disable=broad-except
        return {"id": health_check_id, "status": "unknown", "error": error_text(exc)}
    return dict(health_from_observations(observations), id=health_check_id)


def record_view(record, regions):
    """A record set of the name, reduced to what decides where traffic goes."""
    alias = (record.get("AliasTarget") or {}).get("DNSName")
    values = [v.get("Value") for v in record.get("ResourceRecords") or []]
    return {
        "set_identifier": record.get("SetIdentifier"),
        "failover": record.get("Failover"),
        "weight": record.get("Weight"),
        "latency_region": record.get("Region"),
        "target": normalize_name(alias) if alias else ", ".join(values),
        "alias": bool(alias),
        "health_check_id": record.get("HealthCheckId"),
        "region": record_region(record, regions),
    }


def _distinct(items):
    return list(dict.fromkeys(i for i in items if i))


def dns_routing(records):
    """Where Route 53 sends the name's traffic now, from the records and their health.

    records: record_view() dicts with "healthy" (True, False, or None when unchecked/unknown).
    Route 53 answers with healthy records only, and treats all records as healthy when every
    one of them is unhealthy. Returns policy, configured_region (where traffic goes when all is
    healthy; configured_regions when that is several), active_regions, active_region (the single
    region, or None when traffic is spread).
    """
    if not records:
        return {"policy": None, "configured_region": None, "configured_regions": [], "active_regions": [], "active_region": None}

    def alive(group):
        return [r for r in group if r.get("healthy") is not False]

    def weight(record):
        return record.get("weight") or 0

    if any(r.get("failover") for r in records):
        policy = "failover"
        primaries = [r for r in records if r.get("failover") == "PRIMARY"]
        secondaries = [r for r in records if r.get("failover") == "SECONDARY"]
        preferred = primaries or secondaries
        active = alive(primaries) or alive(secondaries) or preferred
        top = active
    elif any(r.get("weight") is not None for r in records):
        policy = "weighted"
        # Route 53: weight-0 records get traffic only when every nonzero-weight record is unhealthy
        # (or every record has weight 0); with all of them unhealthy too, all records count as healthy
        nonzero = sorted([r for r in records if weight(r) > 0], key=weight, reverse=True)
        zero = [r for r in records if weight(r) == 0]
        preferred = nonzero or zero
        active = alive(nonzero) or alive(zero) or preferred
        active = sorted(active, key=weight, reverse=True)
        top = [r for r in active if weight(r) == weight(active[0])]
        preferred = [r for r in preferred if weight(r) == weight(preferred[0])]
    else:
        policy = "latency" if any(r.get("latency_region") for r in records) else ("simple" if len(records) == 1 else "multivalue")
        preferred = records
        active = alive(records) or records
        top = active
    configured = _distinct(r["region"] for r in preferred)
    top_regions = _distinct(r["region"] for r in top)
    return {
        "policy": policy,
        "configured_region": configured[0] if len(configured) == 1 and all(r["region"] for r in preferred) else None,
        "configured_regions": configured,
        "active_regions": _distinct(r["region"] for r in active),
        "active_region": top_regions[0] if len(top_regions) == 1 and all(r["region"] for r in top) else None,
    }
