# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudFront rules in one place: finding a distribution by caller reference, its origin group,
and which region an origin serves."""

from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONTROL_PLANES, paginate
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import region_in_text

# CloudFront is global; its API (control plane) runs in us-east-1 and answers through any other region's outage.
CLOUDFRONT_REGION = CONTROL_PLANES["cloudfront"]
# The status codes an origin group may fail over on (CloudFront API, OriginGroupFailoverCriteria).
FAILOVER_CODES = [400, 403, 404, 416, 500, 502, 503, 504]


def listed(items):
    """CloudFront's list shape: {"Quantity": n, "Items": [...]}."""
    return {"Quantity": len(items), "Items": items}


def find_distribution(cloudfront, caller_reference):
    """(summary, config, etag) of the CloudFront distribution with that caller reference, or (None, None, None).

    CloudFront has no lookup by caller reference and its list leaves the reference out,
    so each distribution's config is read in turn."""
    for item in (paginate(cloudfront, "list_distributions").get("DistributionList") or {}).get("Items") or []:
        got = cloudfront.get_distribution_config(Id=item["Id"], aws_retry=True)
        if got["DistributionConfig"].get("CallerReference") == caller_reference:
            return item, got["DistributionConfig"], got["ETag"]
    return None, None, None


def origin_group(config, group_id):
    """The origin group group_id of a distribution config, None when it has none of that id."""
    return next((g for g in (config.get("OriginGroups") or {}).get("Items") or [] if g["Id"] == group_id), None)


def group_members(group):
    """The origin ids of an origin group, the primary first."""
    return [m["OriginId"] for m in (group["Members"].get("Items") or [])] if group else []


def origin_region(origin, regions):
    """The region an origin serves: its id when that is a region name, else a region label in its DNS name."""
    if origin.get("Id") in regions:
        return origin["Id"]
    return region_in_text(origin.get("Id"), regions) or region_in_text(origin.get("DomainName"), regions)


def cdn_view(item, config, group_id, regions):
    """The distribution's origin group reduced to regions: primary origin and secondary (origin, DNS name)."""
    origins = {o["Id"]: o for o in (config.get("Origins") or {}).get("Items") or []}
    group = origin_group(config, group_id)
    primary, secondary = (group_members(group) + [None, None])[:2]
    region_origins = {}
    for origin_id in sorted(origins, key=lambda i: i not in regions):  # an id that is the region name first
        region = origin_region(origins[origin_id], regions)
        if region:
            region_origins.setdefault(region, origin_id)
    return {
        "distribution_id": item["Id"],
        "domain_name": item.get("DomainName"),
        "status": item.get("Status"),
        "enabled": bool(config.get("Enabled")),
        "origin_group_id": group_id if group else None,
        "primary_origin": primary,
        "primary_region": origin_region(origins[primary], regions) if primary in origins else None,
        "secondary_origin": secondary,
        "secondary_domain_name": origins[secondary]["DomainName"] if secondary in origins else None,
        "secondary_region": origin_region(origins[secondary], regions) if secondary in origins else None,
        "region_origins": region_origins,
    }
