# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 rules for multiregion.dr: each region's VPC range, and which availability zones of a region the subnets use.

A zone name (us-east-1a) maps to a different physical zone in each account; the zone ID (use1-az1) is the same
everywhere, so zones are ordered by ID. Not every zone offers every instance type (DescribeInstanceTypeOfferings):
a zone that lacks one the application launches is not usable."""

import ipaddress
import re

INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")


# what CreateVpc accepts for a VPC's primary IPv4 block
VPC_PREFIXES = (16, 28)


def vpc_network(cidr):
    """The IPv4 network cidr names if a VPC can have it as its block (a network address, /16 to /28), else None."""
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except (ValueError, TypeError):
        return None
    if str(network) != cidr or not VPC_PREFIXES[0] <= network.prefixlen <= VPC_PREFIXES[1]:
        return None
    return network


def vpc_cidr_problems(region_cidrs, regions, known_regions=None):
    """What is wrong with the regions' VPC ranges (region_cidrs: {region: CIDR}) for the regions that are built:
    a region without a range, a range no VPC can have, two ranges that overlap (the regions' networks are peered
    or routed together, so they must not). known_regions: the AWS region names, to name a region that is none."""
    region_cidrs, regions = region_cidrs or {}, list(regions)
    problems = []
    if known_regions is not None:
        for region in dict.fromkeys(regions + list(region_cidrs)):
            if region not in known_regions:
                problems.append(f"{region} is not an AWS region name")
    problems += [f"region_cidrs has no CIDR for {region}" for region in regions if region not in region_cidrs]
    valid = {}
    for region, cidr in region_cidrs.items():
        network = vpc_network(cidr)
        if network is None:
            problems.append(f"region_cidrs[{region}] = {cidr} is not an IPv4 network address with a "
                            f"/{VPC_PREFIXES[0]} to /{VPC_PREFIXES[1]} prefix")
        else:
            valid[region] = network
    for region, network in valid.items():
        for other, other_network in valid.items():
            if region < other and network.overlaps(other_network):
                problems.append(f"region_cidrs[{region}] = {network} overlaps region_cidrs[{other}] = {other_network}")
    return problems


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
