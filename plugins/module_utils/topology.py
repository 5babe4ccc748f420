# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live topology of an application across regions, read from AWS.

Which region holds the writable database, the cache primary and the DNS target, which
replicas exist where, and how healthy each region is. Every region is probed at once (a
thread per region, probe clients: one attempt, short connect timeout), so a dead region
costs about connect_timeout, and it is reported as unreachable rather than failing.
Route 53 is global and answers during a regional outage: it gives the health check view.

discover() is the entry point; the other functions are the pure logic behind it.
"""

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import (
    THROTTLING_CODES,
    Stopwatch,
    client,
    find_distribution,
    is_unreachable,
    known_regions,
)

AURORA_ENGINES = ("aurora-mysql", "aurora-postgresql")
WRITABLE_ROLES = ("primary", "standalone")
# engine -> (parameter, value) that makes an RDS instance refuse writes: how a planned failover fences
# the old primary (in its custom parameter group; AWS allows no change to default.* groups)
FENCE_PARAMETERS = {
    "mysql": ("read_only", "1"),
    "mariadb": ("read_only", "1"),
    "postgres": ("default_transaction_read_only", "on"),
}
# Route 53 Developer Guide (dns-failover-determining-health-of-endpoints): an endpoint is
# healthy when more than 18% of the health checkers report it healthy.
HEALTHY_SHARE = 0.18
PROBE_THROTTLING_CODES = tuple(THROTTLING_CODES) + ("Throttling", "RequestLimitExceeded", "RequestThrottled", "ThrottledException")


class RegionUnreachable(Exception):
    def __init__(self, action, exc):
        super().__init__(f"unreachable: {type(exc).__name__} on {action}")


def throttle_retry(call, *args, **kwargs):
    """call(*args, **kwargs), retried on throttling only (probe clients make one attempt each,
    and a retry on a connection error would multiply the time a dead region costs)."""
    attempts = 8
    for attempt in range(attempts):
        try:
            return call(*args, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in PROBE_THROTTLING_CODES or attempt == attempts - 1:
                raise
        time.sleep(random.uniform(0.05, min(2.0, 0.1 * 2 ** attempt)))


def _probe(region, action, call, *args, **kwargs):
    """A call on a probe client: an unreachable endpoint aborts the region's probe."""
    try:
        return throttle_retry(call, *args, **kwargs)
    except Exception as exc:  # pylint: disable=broad-except
        if is_unreachable(exc):
            raise RegionUnreachable(action, exc)
        raise


def _code(exc):
    return exc.response.get("Error", {}).get("Code")


def _error_text(exc):
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


# pure logic -----------------------------------------------------------------------------
def arn_region(arn):
    """The region field of an ARN, None for a plain identifier."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return (parts[3] or None) if len(parts) > 3 else None


def arn_name(arn):
    return arn.split(":")[-1] if arn else arn


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


def normalize_name(name):
    """Route 53 returns names in lower case with a final dot and '*' escaped as \\052."""
    return (name or "").replace("\\052", "*").rstrip(".").lower()


def health_from_observations(observations):
    """GetHealthCheckStatus observations -> {status, checkers_success, checkers_total}."""
    total = len(observations or [])
    success = sum(1 for o in observations or [] if (o.get("StatusReport") or {}).get("Status", "").startswith("Success"))
    if not total:
        status = "unknown"
    else:
        status = "healthy" if success > HEALTHY_SHARE * total else "unhealthy"
    return {"status": status, "checkers_success": success, "checkers_total": total}


def rds_instance_role(instance):
    """Role of an RDS instance (DescribeDBInstances entry) in its replication topology."""
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    region = arn_region(instance.get("DBInstanceArn"))
    replicas = list(instance.get("ReadReplicaDBInstanceIdentifiers") or [])
    if source:
        role = "replica"
    elif replicas:
        role = "primary"
    else:
        role = "standalone"
    return {
        "role": role,
        "identifier": instance.get("DBInstanceIdentifier"),
        "arn": instance.get("DBInstanceArn"),
        "engine": instance.get("Engine"),
        "status": instance.get("DBInstanceStatus"),
        "writable": role in WRITABLE_ROLES,
        "source": source,
        # a same-region replica names its source by identifier, a cross-region one by ARN
        "source_region": (arn_region(source) or region) if source else None,
        "replicas": replicas,
        "replica_regions": sorted({arn_region(r) or region for r in replicas}),
        "replication": [
            {"status_type": s.get("StatusType"), "normal": s.get("Normal"), "status": s.get("Status"), "message": s.get("Message")}
            for s in instance.get("StatusInfos") or []
        ],
    }


def aurora_member_roles(global_cluster):
    """DescribeGlobalClusters entry -> {region: role dict} for each member cluster."""
    members = global_cluster.get("GlobalClusterMembers") or []
    writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
    roles = {}
    for member in members:
        arn = member["DBClusterArn"]
        is_writer = bool(member.get("IsWriter"))
        roles[arn_region(arn)] = {
            "role": "primary" if is_writer else "replica",
            "identifier": arn_name(arn),
            "arn": arn,
            "writable": is_writer,
            "source": None if is_writer else writer,
            "source_region": None if is_writer else arn_region(writer),
            "synchronization_status": member.get("SynchronizationStatus"),
        }
    return roles


def cache_member_roles(global_group):
    """DescribeGlobalReplicationGroups entry (ShowMemberInfo) -> {region: role dict}."""
    roles = {}
    for member in global_group.get("Members") or []:
        roles[member["ReplicationGroupRegion"]] = {
            "role": "primary" if member.get("Role") == "PRIMARY" else "secondary",
            "replication_group_id": member.get("ReplicationGroupId"),
            "member_status": member.get("Status"),
        }
    return roles


def record_view(record, regions):
    """A record set of the name, reduced to what decides where traffic goes."""
    alias = (record.get("AliasTarget") or {}).get("DNSName")
    values = [v.get("Value") for v in record.get("ResourceRecords") or []]
    set_identifier = record.get("SetIdentifier")
    region = record.get("Region")  # latency records name their region
    if not region and set_identifier and set_identifier in regions:
        region = set_identifier
    for text in [alias, set_identifier] + values:
        if region:
            break
        region = region_in_text(text, regions)
    return {
        "set_identifier": set_identifier,
        "failover": record.get("Failover"),
        "weight": record.get("Weight"),
        "latency_region": record.get("Region"),
        "target": normalize_name(alias) if alias else ", ".join(values),
        "alias": bool(alias),
        "health_check_id": record.get("HealthCheckId"),
        "region": region,
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


def database_summary(regions, roles, reachable, global_view=None):
    """primary_region, primary_reachable, writable_databases, split_brain and notes from the
    per-region database roles ({region: role dict, "unknown" role where unreachable})."""
    notes = []
    writable = [r for r in regions if (roles.get(r) or {}).get("writable")]
    split_brain = len(writable) > 1
    primary = None
    if global_view is not None:
        # Aurora: the global cluster names its writer, also when the writer's region is out
        primary = next((r for r, v in global_view.items() if v["role"] == "primary"), None)
    elif len(writable) == 1:
        primary = writable[0]
    elif not writable:
        # replicas name their source's region in its ARN: the primary where we cannot look
        sources = _distinct((roles.get(r) or {}).get("source_region") for r in regions if (roles.get(r) or {}).get("role") == "replica")
        hidden = [s for s in sources if s not in reachable]
        if len(hidden) == 1:
            primary = hidden[0]
            notes.append(f"the primary database is in {primary}, which is unreachable: its role there is unknown; "
                         "replicas elsewhere still name it as their source")
        elif sources:
            notes.append(f"replicas name {', '.join(sources)} as their source, but no writable database was found")
    if split_brain:
        notes.append(f"split brain: databases in {', '.join(writable)} all take writes; primary_region is left unset")
    for region in regions:
        role = roles.get(region) or {}
        source_region = role.get("source_region")
        if role.get("role") == "replica" and source_region and source_region not in reachable and primary and primary != source_region:
            notes.append(f"the replica in {region} still follows {source_region}, which is unreachable and may still take writes: "
                         "fence it before failing back")
    return {
        "primary_region": primary,
        "primary_reachable": (primary in reachable) if primary else None,
        "writable_databases": writable,
        "split_brain": split_brain,
        "replica_regions": [r for r in regions if (roles.get(r) or {}).get("role") == "replica"],
        "notes": notes,
    }


def cache_primary(regions, roles, global_view=None):
    if global_view is not None:
        return next((r for r, v in global_view.items() if v["role"] == "primary"), None)
    primaries = [r for r in regions if (roles.get(r) or {}).get("role") == "primary"]
    if len(primaries) == 1:
        return primaries[0]
    standalone = [r for r in regions if (roles.get(r) or {}).get("role") == "standalone"]
    return standalone[0] if not primaries and len(standalone) == 1 else None


def consistent(values):
    """True when every configured component names the same, known region."""
    return bool(values) and all(values) and len(set(values)) == 1


# discovery ------------------------------------------------------------------------------
def _probe_database(region, rds, database):
    """The database's role in region (RDS instance by identifier, or Aurora global cluster view)."""
    if database.get("global_cluster_identifier"):
        try:
            found = _probe(region, "DescribeGlobalClusters", rds.describe_global_clusters,
                           GlobalClusterIdentifier=database["global_cluster_identifier"])["GlobalClusters"]
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "GlobalClusterNotFoundFault":
                return {"role": "absent", "writable": False}, None
            return {"role": "unknown", "writable": False, "error": _error_text(exc)}, None
        view = aurora_member_roles(found[0]) if found else {}
        role = dict(view.get(region) or {"role": "absent", "writable": False})
        if role.get("identifier"):
            try:
                cluster = _probe(region, "DescribeDBClusters", rds.describe_db_clusters, DBClusterIdentifier=role["identifier"])["DBClusters"][0]
                role["status"] = cluster.get("Status")
                role["engine"] = cluster.get("Engine")
            except botocore.exceptions.ClientError as exc:
                role["error"] = _error_text(exc)
        return role, view
    try:
        instances = _probe(region, "DescribeDBInstances", rds.describe_db_instances,
                           DBInstanceIdentifier=database["db_instance_identifier"])["DBInstances"]
    except botocore.exceptions.ClientError as exc:
        if _code(exc) == "DBInstanceNotFound":
            return {"role": "absent", "writable": False}, None
        return {"role": "unknown", "writable": False, "error": _error_text(exc)}, None
    role = rds_instance_role(instances[0])
    if role["writable"]:
        fence = _fence_of(region, rds, instances[0])
        if fence:
            # fenced by a planned failover: it answers but refuses writes, so it is no writer (no split brain)
            role.update(writable=False, fenced=True, fence=fence)
    return role, None


def fence_parameter(engine):
    """(parameter, value) that fences an instance of this engine, or None."""
    family = next((name for name in FENCE_PARAMETERS if (engine or "").startswith(name)), None)
    return FENCE_PARAMETERS[family] if family else None


def _fence_of(region, rds, instance):
    """'read_only=1 in <group>' when the instance's custom parameter group fences it, else None."""
    fence = fence_parameter(instance.get("Engine"))
    groups = instance.get("DBParameterGroups") or []
    group = groups[0]["DBParameterGroupName"] if groups else None
    if not fence or not group or group.startswith("default."):
        return None
    try:
        pages = _probe(region, "DescribeDBParameters",
                       lambda: rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, Source="user").build_full_result())
    except botocore.exceptions.ClientError:
        return None  # unreadable: keep the instance's own role
    value = next((p.get("ParameterValue") for p in pages.get("Parameters", []) if p["ParameterName"] == fence[0]), None)
    return f"{fence[0]}={fence[1]} in {group}" if value == fence[1] else None


def _probe_cache(region, elasticache, cache):
    global_id = cache.get("global_replication_group_id")
    view = None
    group_id = cache.get("replication_group_id")
    if global_id:
        try:
            groups = _probe(region, "DescribeGlobalReplicationGroups", elasticache.describe_global_replication_groups,
                            GlobalReplicationGroupId=global_id, ShowMemberInfo=True)["GlobalReplicationGroups"]
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "GlobalReplicationGroupNotFoundFault":
                return {"role": "absent"}, None
            return {"role": "unknown", "error": _error_text(exc)}, None
        view = cache_member_roles(groups[0]) if groups else {}
        if region not in view:
            return {"role": "absent"}, view
        group_id = view[region]["replication_group_id"]
    try:
        group = _probe(region, "DescribeReplicationGroups", elasticache.describe_replication_groups,
                       ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except botocore.exceptions.ClientError as exc:
        if _code(exc) == "ReplicationGroupNotFoundFault":
            return {"role": "absent", "replication_group_id": group_id}, view
        return {"role": "unknown", "replication_group_id": group_id, "error": _error_text(exc)}, view
    member_role = (group.get("GlobalReplicationGroupInfo") or {}).get("GlobalReplicationGroupMemberRole")
    role = {"PRIMARY": "primary", "SECONDARY": "secondary"}.get(member_role, "standalone")
    result = {
        "role": role,
        "replication_group_id": group_id,
        "status": group.get("Status"),
        "global_replication_group_id": (group.get("GlobalReplicationGroupInfo") or {}).get("GlobalReplicationGroupId"),
    }
    if view is not None:
        result["member_status"] = view[region].get("member_status")
    return result, view


def _probe_region(module, region, database, cache):
    """Everything region-scoped, with probe clients; never raises."""
    out = {"reachable": True, "detail": "reachable", "database": None, "cache": None, "db_view": None, "cache_view": None}
    try:
        # made in this thread: module.client() opens a new boto3 session per client, so this
        # is thread safe, and the regions' (CPU-bound) client set-up overlaps
        if database:
            out["database"], out["db_view"] = _probe_database(region, client(module, "rds", region, probe=True), database)
        if cache:
            out["cache"], out["cache_view"] = _probe_cache(region, client(module, "elasticache", region, probe=True), cache)
        if not database and not cache:
            _probe(region, "DescribeAvailabilityZones", client(module, "ec2", region, probe=True).describe_availability_zones)
    except RegionUnreachable as exc:
        out.update(reachable=False, detail=str(exc))
    except Exception as exc:  # pylint: disable=broad-except
        if is_unreachable(exc):
            out.update(reachable=False, detail=f"unreachable: {type(exc).__name__}")
        else:
            out["detail"] = f"reachable, but answers with an error: {_error_text(exc)}"
    return out


def _zone_id(route53, hosted_zone, private_zone):
    if re.match(r"^(/hostedzone/)?[A-Z0-9]{8,32}$", hosted_zone):
        return hosted_zone.split("/")[-1]
    name = normalize_name(hosted_zone)
    zones = route53.list_hosted_zones_by_name(DNSName=name + ".", MaxItems="100", aws_retry=True)["HostedZones"]
    matches = [z for z in zones if normalize_name(z["Name"]) == name and bool((z.get("Config") or {}).get("PrivateZone")) == private_zone]
    kind = "private" if private_zone else "public"
    if not matches:
        raise ValueError(f"dns.hosted_zone={hosted_zone!r} is not a {kind} hosted zone of this account")
    if len(matches) > 1:
        raise ValueError(f"dns.hosted_zone={hosted_zone!r} names {len(matches)} {kind} hosted zones "
                         f"({', '.join(z['Id'].split('/')[-1] for z in matches)}): give the zone id")
    return matches[0]["Id"].split("/")[-1]


def _record_sets(route53, zone_id, name, record_type):
    """The record sets of name/type; pages through Route 53's NextRecord* markers."""
    name, record_type = normalize_name(name), record_type.upper()
    kwargs = {"HostedZoneId": zone_id, "StartRecordName": name + ".", "StartRecordType": record_type}
    found = []
    while True:
        page = route53.list_resource_record_sets(aws_retry=True, **kwargs)
        for record in page.get("ResourceRecordSets", []):
            if normalize_name(record["Name"]) != name or record["Type"] != record_type:
                return found
            found.append(record)
        if not page.get("IsTruncated"):
            return found
        kwargs = {"HostedZoneId": zone_id, "StartRecordName": page["NextRecordName"], "StartRecordType": page.get("NextRecordType", record_type)}
        if page.get("NextRecordIdentifier"):
            kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def _health_status(route53, health_check_id):
    try:
        observations = route53.get_health_check_status(HealthCheckId=health_check_id, aws_retry=True)["HealthCheckObservations"]
    except Exception as exc:  # pylint: disable=broad-except
        return {"id": health_check_id, "status": "unknown", "error": _error_text(exc)}
    return dict(health_from_observations(observations), id=health_check_id)


def origin_region(origin, regions):
    """The region an origin serves: its id when that is a region name, else a region label in its DNS name."""
    if origin.get("Id") in regions:
        return origin["Id"]
    return region_in_text(origin.get("Id"), regions) or region_in_text(origin.get("DomainName"), regions)


def cdn_view(item, config, group_id, regions):
    """The distribution's origin group reduced to regions: primary origin and secondary (origin, DNS name)."""
    origins = {o["Id"]: o for o in (config.get("Origins") or {}).get("Items") or []}
    groups = [g for g in (config.get("OriginGroups") or {}).get("Items") or [] if g["Id"] == group_id]
    members = [m["OriginId"] for m in (groups[0]["Members"].get("Items") or [])] if groups else []
    primary, secondary = (members + [None, None])[:2]
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
        "origin_group_id": group_id if groups else None,
        "primary_origin": primary,
        "primary_region": origin_region(origins[primary], regions) if primary in origins else None,
        "secondary_origin": secondary,
        "secondary_domain_name": origins[secondary]["DomainName"] if secondary in origins else None,
        "secondary_region": origin_region(origins[secondary], regions) if secondary in origins else None,
        "region_origins": region_origins,
    }


def _route53_view(module, regions, dns, health_check_ids, cdn=None):
    """DNS records and health checks (Route 53 is global: it answers during a regional outage), and the
    CloudFront distribution's origin group (global too) with where its secondary's name sends traffic."""
    out = {"records": [], "routing": dns_routing([]), "health": {}, "error": None, "cdn": None, "cdn_error": None}
    if not dns and not health_check_ids and not cdn:
        return out
    try:
        route53 = client(module, "route53", regions[0])
        zone_id = None
        if dns:
            zone_id = _zone_id(route53, dns["hosted_zone"], dns.get("private_zone") or False)
            out["zone_id"] = zone_id
            out["records"] = [record_view(r, regions) for r in _record_sets(route53, zone_id, dns["record_name"], dns.get("record_type") or "A")]
        standby = []
        if cdn:
            try:
                item, config, _etag = find_distribution(client(module, "cloudfront", "us-east-1"), cdn["caller_reference"])
            except Exception as exc:  # pylint: disable=broad-except
                if not is_unreachable(exc) and not isinstance(exc, botocore.exceptions.ClientError):
                    raise
                item, config, out["cdn_error"] = None, None, f"CloudFront: {_error_text(exc)}"
            if item:
                out["cdn"] = cdn_view(item, config, cdn.get("origin_group_id") or "failover", regions)
                name = out["cdn"]["secondary_domain_name"]
                if zone_id and not out["cdn"]["secondary_region"] and name and normalize_name(name).endswith("." + normalize_name(dns["hosted_zone"])):
                    standby = [record_view(r, regions) for r in _record_sets(route53, zone_id, name, "A")]
        checks = dict(health_check_ids or {})
        for record in out["records"] + standby:
            if record["region"] in regions and record["health_check_id"]:
                checks.setdefault(record["region"], record["health_check_id"])
        statuses = {}
        for region, check_id in checks.items():
            statuses.setdefault(check_id, _health_status(route53, check_id))
            out["health"][region] = statuses[check_id]
        for record in out["records"] + standby:
            check_id = record["health_check_id"]
            if check_id:
                status = statuses.get(check_id) or statuses.setdefault(check_id, _health_status(route53, check_id))
                record["health"] = status["status"]
                record["healthy"] = {"healthy": True, "unhealthy": False}.get(status["status"])
            else:
                record["health"], record["healthy"] = None, None
        out["routing"] = dns_routing(out["records"])
        if out["cdn"]:
            routing = dns_routing(standby)
            out["cdn"]["secondary_routing"] = dict(routing, records=standby) if standby else None
            # in the order of `regions`, not of the records (Route 53 lists them by set identifier)
            out["cdn"]["secondary_regions"] = (
                [out["cdn"]["secondary_region"]] if out["cdn"]["secondary_region"]
                else [r for r in regions if r in routing["active_regions"]])
    except Exception as exc:  # pylint: disable=broad-except
        # Route 53 out of reach is reported; a wrong zone or name is the caller's error (raised)
        if not is_unreachable(exc):
            raise
        out["error"] = f"unreachable: {type(exc).__name__}"
    return out


def discover(module, regions, database=None, cache=None, dns=None, health_check_ids=None, cdn=None):
    """The live topology (see the topology_info module's RETURN for the shape)."""
    watch = Stopwatch()
    with ThreadPoolExecutor(max_workers=len(regions) + 1) as pool:
        futures = {region: pool.submit(_probe_region, module, region, database, cache) for region in regions}
        r53_future = pool.submit(_route53_view, module, regions, dns, health_check_ids, cdn)
        probed = {region: future.result() for region, future in futures.items()}
        try:
            r53 = r53_future.result()
        except ValueError as exc:
            module.fail_json(msg=str(exc))
        except botocore.exceptions.ClientError as exc:
            module.fail_json_aws(exc, msg=f"Route 53 cannot read the DNS record or health checks: {_error_text(exc)}")

    reachable = [r for r in regions if probed[r]["reachable"]]
    # global objects (Aurora global cluster, Global Datastore) as seen from the first reachable region that answered
    db_view = next((probed[r]["db_view"] for r in reachable if probed[r]["db_view"] is not None), None)
    cache_view = next((probed[r]["cache_view"] for r in reachable if probed[r]["cache_view"] is not None), None)

    per_region, db_roles = {}, {}
    routing = r53["routing"]
    for region in regions:
        p = probed[region]
        database_role = p["database"]
        cache_role = p["cache"]
        if not p["reachable"]:
            database_role = {"role": "unknown", "writable": False} if database else None
            if database_role is not None and db_view and region in db_view:
                database_role["global_view"] = db_view[region]
            cache_role = {"role": "unknown"} if cache else None
            if cache_role is not None and cache_view and region in cache_view:
                cache_role["global_view"] = cache_view[region]
        db_roles[region] = database_role
        health = r53["health"].get(region)
        records = [r for r in r53["records"] if r["region"] == region]
        per_region[region] = {
            "reachable": p["reachable"],
            "detail": p["detail"],
            "health_check": health,
            "healthy": p["reachable"] and (health or {}).get("status") != "unhealthy",
            "database": database_role,
            "cache": cache_role,
            "dns": {
                "records": [r["set_identifier"] or r["target"] for r in records],
                "receives_traffic": region in routing["active_regions"],
            } if dns else None,
        }

    summary = database_summary(regions, db_roles, reachable, db_view) if database else {
        "primary_region": None, "primary_reachable": None, "writable_databases": [], "split_brain": False, "replica_regions": [], "notes": []}
    cache_primary_region = cache_primary(regions, {r: per_region[r]["cache"] for r in regions}, cache_view) if cache else None
    notes = list(summary["notes"])
    if r53["error"]:
        notes.append(f"Route 53: {r53['error']}")
    if dns and not r53["error"] and not r53["records"]:
        notes.append(f"no {dns.get('record_type') or 'A'} record named {dns['record_name']} in {dns['hosted_zone']}")
    unmapped = [r["set_identifier"] or r["target"] for r in r53["records"] if r["region"] not in regions]
    if unmapped:
        notes.append(f"DNS records not mapped to one of the regions: {', '.join(unmapped)}")
    edge = r53["cdn"]
    if cdn and r53["cdn_error"]:
        notes.append(r53["cdn_error"])
    elif cdn and not edge and not r53["error"]:
        notes.append(f"no CloudFront distribution with caller reference {cdn['caller_reference']}")
    if edge:
        # CloudFront retries on the secondary when the primary fails: a region that is out or unhealthy
        primary = edge["primary_region"]
        edge["serving_regions"] = [primary] if primary and per_region.get(primary, {}).get("healthy") else edge["secondary_regions"]
    compared = ([summary["primary_region"]] if database else []) + ([cache_primary_region] if cache else []) + ([routing["active_region"]] if dns else [])
    return {
        "regions": per_region,
        "primary_region": summary["primary_region"],
        "primary_reachable": summary["primary_reachable"],
        "cache_primary_region": cache_primary_region,
        "dns_active_region": routing["active_region"] if dns else None,
        "dns": dict(routing, zone_id=r53.get("zone_id"), records=r53["records"]) if dns else None,
        "cdn": edge if cdn else None,
        "consistent": consistent(compared) and not summary["split_brain"],
        "reachable_regions": reachable,
        "unreachable_regions": [r for r in regions if r not in reachable],
        "healthy_regions": [r for r in regions if per_region[r]["healthy"]],
        "writable_databases": summary["writable_databases"],
        "split_brain": summary["split_brain"],
        "replica_regions": summary["replica_regions"],
        "notes": notes,
        "elapsed": watch.seconds,
    }
