# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 rules for multiregion.dr: which availability zones of a region the subnets use.

A zone name (us-east-1a) maps to a different physical zone in each account; the zone ID (use1-az1) is the same
everywhere, so zones are ordered by ID. Not every zone offers every instance type (DescribeInstanceTypeOfferings):
a zone that lacks one the application launches is not usable."""

import re

INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")


def request_problems(instance_types, count):
    problems = [f"instance_types: {value!r} is not an instance type (family.size, for example t3.micro)"
                for value in instance_types if not INSTANCE_TYPE.match(value or "")]
    if count is not None and count < 1:
        problems.append(f"count={count} must be 1 or more")
    return problems


def usable_zones(zones, offered, instance_types):
    """zones: DescribeAvailabilityZones entries; offered: {instance type: set of zone names offering it}.
    -> (the available zones that offer every instance type, as {zone_name, zone_id} ordered by zone ID,
        {zone name: [instance types it lacks]} for the others)."""
    usable, lacking = [], {}
    for zone in sorted(zones, key=lambda z: z["ZoneId"]):
        if zone.get("State") != "available" or zone.get("ZoneType", "availability-zone") != "availability-zone":
            continue
        missing = [t for t in instance_types if zone["ZoneName"] not in offered.get(t, set())]
        if missing:
            lacking[zone["ZoneName"]] = missing
        else:
            usable.append({"zone_name": zone["ZoneName"], "zone_id": zone["ZoneId"]})
    return usable, lacking


def shortage(region, usable, lacking, count):
    """The message when fewer than count zones are usable, else None."""
    if len(usable) >= count:
        return None
    reasons = "; ".join(f"{name} lacks {', '.join(types)}" for name, types in sorted(lacking.items()))
    return (f"{region} has {len(usable)} availability zones that offer what the application launches "
            f"({', '.join(z['zone_name'] for z in usable) or 'none'}), {count} are needed" + (f": {reasons}" if reasons else ""))
