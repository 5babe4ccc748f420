# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 helpers shared by the modules: names, zone lookup, record sets of a name."""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import paginate

# Route 53 is a global service: its API answers from us-east-1 whatever region is down.
ROUTE53_REGION = "us-east-1"
ZONE_ID = re.compile(r"^(/hostedzone/)?([A-Z0-9]+)$")


class ZoneError(Exception):
    """hosted_zone does not name exactly one zone; the message says what exists."""


def fqdn(name):
    """Route 53's form of a name: lower case, trailing dot, \\052 for a leading *."""
    return name.replace("\\052", "*").lower().rstrip(".") + "."


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
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchHostedZone":
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
    kwargs = dict(HostedZoneId=zone_id, StartRecordName=name, StartRecordType=rtype)
    while True:
        page = r53.list_resource_record_sets(**kwargs)
        for record in page["ResourceRecordSets"]:
            if fqdn(record["Name"]) != fqdn(name) or record["Type"] != rtype:
                return found
            found.append(record)
        if not page.get("IsTruncated"):
            return found
        kwargs = dict(HostedZoneId=zone_id, StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"])
        if page.get("NextRecordIdentifier"):
            kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]
