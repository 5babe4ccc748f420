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

from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import (
    CONTROL_PLANES,
    Stopwatch,
    check_region,
    client,
    error_code,
    error_text,
    is_unreachable,
    region_reachable,
    throttle_retry,
)
from ansible_collections.multiregion.dr.plugins.module_utils.cloudfront import CLOUDFRONT_REGION, cdn_view, find_distribution
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import cache_member_roles, global_info, group_endpoints, group_role
from ansible_collections.multiregion.dr.plugins.module_utils.rds import AURORA_ENGINES, aurora_member_roles, describe_fence, fence_in_place, rds_instance_role
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import (
    ZoneError,
    dns_routing,
    find_zone,
    health_status,
    normalize_name,
    record_sets,
    record_view,
)


# topology_info's options, also failover_plan's read.topology (one spec, one validation)
ARGUMENT_SPEC = dict(
    regions=dict(type="list", elements="str", required=True),
    database=dict(
        type="dict",
        options=dict(
            engine=dict(type="str", required=True, choices=["mysql", "mariadb", "postgres", "aurora-mysql", "aurora-postgresql"]),
            db_instance_identifier=dict(type="str"),
            global_cluster_identifier=dict(type="str"),
        ),
    ),
    cache=dict(
        type="dict",
        options=dict(
            global_replication_group_id=dict(type="str"),
            replication_group_id=dict(type="str"),
        ),
        mutually_exclusive=[("global_replication_group_id", "replication_group_id")],
        required_one_of=[("global_replication_group_id", "replication_group_id")],
    ),
    dns=dict(
        type="dict",
        options=dict(
            hosted_zone=dict(type="str", required=True),
            private_zone=dict(type="bool", default=False),
            record_name=dict(type="str", required=True),
            record_type=dict(type="str", default="A", choices=["A", "AAAA", "CNAME"]),
        ),
    ),
    cdn=dict(
        type="dict",
        options=dict(
            caller_reference=dict(type="str", required=True),
            origin_group_id=dict(type="str", default="failover"),
        ),
    ),
    health_check_ids=dict(type="dict"),
    auto_scaling_group=dict(type="str"),
)


def validate(module, params, prefix=""):
    """Fail early on input AWS cannot answer, naming the value (prefix: where it sits in the module's options) and
    what is allowed. params: ARGUMENT_SPEC's options; connect_timeout is the module's."""
    regions = params["regions"]
    if not regions:
        module.fail_json(msg=f"{prefix}regions=[] must name at least one AWS region")
    for region in regions:
        check_region(module, region, f"{prefix}regions")
    if len(set(regions)) != len(regions):
        module.fail_json(msg=f"{prefix}regions={regions!r} names a region more than once")
    if module.params["connect_timeout"] < 1:
        module.fail_json(msg=f"connect_timeout={module.params['connect_timeout']!r} must be 1 or more seconds")
    database = params["database"]
    if database:
        aurora = database["engine"] in AURORA_ENGINES
        wanted, other = ("global_cluster_identifier", "db_instance_identifier") if aurora else ("db_instance_identifier", "global_cluster_identifier")
        if not database.get(wanted) or database.get(other):
            module.fail_json(msg=f"{prefix}database.engine={database['engine']!r} needs {prefix}database.{wanted} (and not {prefix}database.{other})")
    for region in params["health_check_ids"] or {}:
        check_region(module, region, f"{prefix}health_check_ids key", allowed=regions)


class RegionUnreachable(Exception):
    def __init__(self, action, exc):
        super().__init__(f"unreachable: {type(exc).__name__} on {action}")


def _probe(region, action, call, *args, **kwargs):
    """A call on a probe client: an unreachable endpoint aborts the region's probe."""
    try:
        return throttle_retry(call, *args, **kwargs)
    except Exception as exc:  # pylint: disable=broad-except
        if is_unreachable(exc):
            raise RegionUnreachable(action, exc)
        raise


# pure logic -----------------------------------------------------------------------------
def _distinct(items):
    return list(dict.fromkeys(i for i in items if i))


def writers_view(topology):
    """Who takes writes: {"writers", "active", "stale"}. The active writer is the one rds_promote promoted last (its
    promoted-at tag: the last failover's decision, even when DNS has not followed yet, as when the Route 53 API did
    not answer), else the database DNS sends the traffic to, else the only writer; every other writer is stale, an
    old primary back from an outage that no one fenced: two writers are split brain, and only the active one's
    writes count."""
    writers = list(topology.get("writable_databases") or [])
    dns_region = (topology.get("dns") or {}).get("configured_region")
    stamps = {w: ((topology.get("regions") or {}).get(w, {}).get("database") or {}).get("promoted_at") for w in writers}
    stamped = [w for w in writers if stamps[w] is not None]
    if len(writers) > 1 and stamped:
        active = max(stamped, key=lambda w: stamps[w])
    elif dns_region in writers:
        active = dns_region
    elif len(writers) == 1:
        active = writers[0]
    else:
        primary = topology.get("primary_region")
        active = primary if primary in writers else None
    return {"writers": writers, "active": active, "stale": [w for w in writers if w != active] if active else []}


def active_because(topology, active):
    """Why active is the active writer, in words: promoted last, and whether DNS has followed."""
    dns_region = (topology.get("dns") or {}).get("configured_region")
    database = ((topology.get("regions") or {}).get(active, {}).get("database") or {})
    others = [w for w in topology.get("writable_databases") or [] if w != active]
    if database.get("promoted_at") is not None and dns_region != active and others:
        return f"{active} was promoted last (DNS has not followed yet: it sends the traffic to {dns_region})"
    return f"DNS sends the traffic to {active}"


def split_brain_advice(topology):
    """Two databases take writes: what is wrong and what to run (status.yml fails with it), or None."""
    view = writers_view(topology)
    if len(view["writers"]) < 2:
        return None
    if view["active"] is None:
        return (f"split brain: the databases in {', '.join(view['writers'])} all take writes and DNS sends the traffic to none "
                "of them; find out which holds the writes to keep, fence the others (multiregion.dr.rds_fence), then run "
                "playbooks/failback.yml -e target=REGION")
    stale = ", ".join(view["stale"])
    return (f"split brain: the databases in {', '.join(view['writers'])} all take writes; {active_because(topology, view['active'])}, "
            f"so {stale} {'is an old primary' if len(view['stale']) == 1 else 'are old primaries'} back from an "
            f"outage: run ansible-playbook playbooks/fence.yml (fences {stale} and brings its configuration in line), "
            f"then playbooks/failback.yml -e target=REGION to move back")


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
NO_DATABASE = {"role": "absent", "writable": False}


def _lookup(region, action, call, not_found, absent, **kwargs):
    """(answer, None) of a probe call, or (None, role): absent when AWS answers not_found, unknown
    (with the error) for any other error."""
    try:
        return _probe(region, action, call, **kwargs), None
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == not_found:
            return None, dict(absent)
        return None, dict(absent, role="unknown", error=error_text(exc))


def _probe_database(region, rds, database):
    """The database's role in region (RDS instance by identifier, or Aurora global cluster view)."""
    if database.get("global_cluster_identifier"):
        answer, role = _lookup(region, "DescribeGlobalClusters", rds.describe_global_clusters, "GlobalClusterNotFoundFault", NO_DATABASE,
                               GlobalClusterIdentifier=database["global_cluster_identifier"])
        if role:
            return role, None
        found = answer["GlobalClusters"]
        view = aurora_member_roles(found[0]) if found else {}
        role = dict(view.get(region) or NO_DATABASE)
        if role.get("identifier"):
            try:
                cluster = _probe(region, "DescribeDBClusters", rds.describe_db_clusters, DBClusterIdentifier=role["identifier"])["DBClusters"][0]
                role["status"] = cluster.get("Status")
                role["engine"] = cluster.get("Engine")
                # the application reads from its region's cluster: the reader endpoint (a secondary takes no writes)
                role["endpoint"], role["port"] = cluster.get("ReaderEndpoint") or cluster.get("Endpoint"), cluster.get("Port")
            except botocore.exceptions.ClientError as exc:
                role["error"] = error_text(exc)
        return role, view
    answer, role = _lookup(region, "DescribeDBInstances", rds.describe_db_instances, "DBInstanceNotFound", NO_DATABASE,
                           DBInstanceIdentifier=database["db_instance_identifier"])
    if role:
        return role, None
    instances = answer["DBInstances"]
    role = rds_instance_role(instances[0])
    if role["writable"]:
        fence = _fence_of(region, rds, instances[0])
        if fence:
            # fenced by a planned failover: it answers but refuses writes, so it is no writer (no split brain)
            role.update(writable=False, fenced=True, fence=describe_fence(fence))
    return role, None


def _fence_of(region, rds, instance):
    """The (group, parameter, value) fence the instance's custom parameter group holds, else None."""
    try:
        return fence_in_place(rds, instance, call=lambda read: _probe(region, "DescribeDBParameters", read))
    except botocore.exceptions.ClientError:
        return None  # unreadable: keep the instance's own role


def _probe_cache(region, elasticache, cache):
    global_id = cache.get("global_replication_group_id")
    view = None
    group_id = cache.get("replication_group_id")
    if global_id:
        answer, role = _lookup(region, "DescribeGlobalReplicationGroups", elasticache.describe_global_replication_groups,
                               "GlobalReplicationGroupNotFoundFault", {"role": "absent"}, GlobalReplicationGroupId=global_id, ShowMemberInfo=True)
        if role:
            return role, None
        groups = answer["GlobalReplicationGroups"]
        view = cache_member_roles(groups[0]) if groups else {}
        if region not in view:
            return {"role": "absent"}, view
        group_id = view[region]["replication_group_id"]
    answer, role = _lookup(region, "DescribeReplicationGroups", elasticache.describe_replication_groups, "ReplicationGroupNotFoundFault",
                           {"role": "absent", "replication_group_id": group_id}, ReplicationGroupId=group_id)
    if role:
        return role, view
    group = answer["ReplicationGroups"][0]
    result = {
        "role": group_role(group),
        "replication_group_id": group_id,
        "status": group.get("Status"),
        "global_replication_group_id": global_info(group)[0],
        "primary_endpoint": group_endpoints(group)[0],
        "port": group_endpoints(group)[2],
    }
    if view is not None:
        result["member_status"] = view[region].get("member_status")
    return result, view


def _probe_capacity(region, autoscaling, name):
    """The group's sizes (min_size, max_size, desired_capacity); {"absent": true} without the group, {"error": ...}
    when Auto Scaling refuses to tell or does not answer. Never the region's reachability: that is the database's
    and the cache's answer (an Auto Scaling outage must not make a live primary look unreachable)."""
    try:
        groups = _probe(region, "DescribeAutoScalingGroups", autoscaling.describe_auto_scaling_groups, AutoScalingGroupNames=[name])["AutoScalingGroups"]
    except RegionUnreachable as exc:
        return {"error": str(exc)}  # unknown: the failover scales the group as if it were not at its capacity
    except botocore.exceptions.ClientError as exc:
        return {"error": error_text(exc)}
    if not groups:
        return {"absent": True}
    return {"min_size": groups[0]["MinSize"], "max_size": groups[0]["MaxSize"], "desired_capacity": groups[0]["DesiredCapacity"]}


def _probe_region(module, region, database, cache, auto_scaling_group=None):
    """Everything region-scoped, with probe clients; never raises."""
    out = {"reachable": True, "detail": "reachable", "database": None, "cache": None, "db_view": None, "cache_view": None, "capacity": None}
    try:
        # made in this thread (clients.client() serialises the one session it makes them from), used in parallel
        if database:
            out["database"], out["db_view"] = _probe_database(region, client(module, "rds", region, probe=True), database)
        if cache:
            out["cache"], out["cache_view"] = _probe_cache(region, client(module, "elasticache", region, probe=True), cache)
        if auto_scaling_group:
            out["capacity"] = _probe_capacity(region, client(module, "autoscaling", region, probe=True), auto_scaling_group)
        if not database and not cache and not auto_scaling_group:
            _probe(region, "DescribeAvailabilityZones", client(module, "ec2", region, probe=True).describe_availability_zones)
    except RegionUnreachable as exc:
        out.update(reachable=False, detail=str(exc))
    except Exception as exc:  # pylint: disable=broad-except
        if is_unreachable(exc):
            out.update(reachable=False, detail=f"unreachable: {type(exc).__name__}")
        else:
            out["detail"] = f"reachable, but answers with an error: {error_text(exc)}"
    return out


def _route53_view(module, regions, dns, health_check_ids, cdn=None):
    """DNS records and health checks (Route 53 is global: it answers during a regional outage), and the
    CloudFront distribution's origin group (global too) with where its secondary's name sends traffic."""
    out = {"records": [], "routing": dns_routing([]), "health": {}, "error": None, "cdn": None, "cdn_error": None, "down": []}
    if not dns and not health_check_ids and not cdn:
        return out
    # The first call of each API with the probe client (one attempt, throttling still retried): an API that is down
    # (us-east-1 out with the global control planes) costs seconds, not the retries of every call below.
    if not dns:
        up, detail = region_reachable(module, CONTROL_PLANES["route53"], "route53")
        if not up:
            return _route53_down(out, detail, cdn)
    try:
        route53 = client(module, "route53", regions[0])
        zone_id = None
        if dns:
            try:
                first = client(module, "route53", CONTROL_PLANES["route53"], probe=True)
                zone_id = find_zone(first, dns["hosted_zone"], dns.get("private_zone") or False)["Id"].split("/")[-1]
            except ZoneError as exc:
                raise ValueError(f"dns.{exc}") from None
            out["zone_id"] = zone_id
            out["records"] = [record_view(r, regions) for r in record_sets(route53, zone_id, dns["record_name"], dns.get("record_type") or "A")]
        standby = []
        if cdn:
            try:
                item, config, _etag = find_distribution(client(module, "cloudfront", CLOUDFRONT_REGION, probe=True), cdn["caller_reference"])
            except Exception as exc:  # pylint: disable=broad-except
                if not is_unreachable(exc) and not isinstance(exc, botocore.exceptions.ClientError):
                    raise
                item, config, out["cdn_error"] = None, None, f"CloudFront: {error_text(exc)}"
                if is_unreachable(exc):
                    out["down"].append("cloudfront")
            if item:
                out["cdn"] = cdn_view(item, config, cdn.get("origin_group_id") or "failover", regions)
                name = out["cdn"]["secondary_domain_name"]
                if zone_id and not out["cdn"]["secondary_region"] and name and normalize_name(name).endswith("." + normalize_name(dns["hosted_zone"])):
                    standby = [record_view(r, regions) for r in record_sets(route53, zone_id, name, "A")]
        checks = dict(health_check_ids or {})
        for record in out["records"] + standby:
            if record["region"] in regions and record["health_check_id"]:
                checks.setdefault(record["region"], record["health_check_id"])
        statuses = {}
        for region, check_id in checks.items():
            statuses.setdefault(check_id, health_status(route53, check_id))
            out["health"][region] = statuses[check_id]
        for record in out["records"] + standby:
            check_id = record["health_check_id"]
            if check_id:
                status = statuses.get(check_id) or statuses.setdefault(check_id, health_status(route53, check_id))
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
        return _route53_down(out, f"unreachable: {type(exc).__name__}", cdn and out["cdn"] is None and not out["cdn_error"])
    return out


def _route53_down(out, detail, cdn_unread):
    """The Route 53 view when its API does not answer; the CDN, whose standby name is a Route 53 record, is not read
    either (when cdn_unread)."""
    out["error"] = detail
    out["down"] = sorted(set(out["down"]) | {"route53"} | ({"cloudfront"} if cdn_unread else set()))
    if cdn_unread:
        out["cdn_error"] = "CloudFront: not read (the Route 53 API does not answer)"
    return out


def discover(module, regions, database=None, cache=None, dns=None, health_check_ids=None, cdn=None, auto_scaling_group=None):
    """The live topology (see the topology_info module's RETURN for the shape)."""
    watch = Stopwatch()
    with ThreadPoolExecutor(max_workers=len(regions) + 1) as pool:
        futures = {region: pool.submit(_probe_region, module, region, database, cache, auto_scaling_group) for region in regions}
        r53_future = pool.submit(_route53_view, module, regions, dns, health_check_ids, cdn)
        probed = {region: future.result() for region, future in futures.items()}
        try:
            r53 = r53_future.result()
        except ValueError as exc:
            module.fail_json(msg=str(exc))
        except botocore.exceptions.ClientError as exc:
            module.fail_json_aws(exc, msg=f"Route 53 cannot read the DNS record or health checks: {error_text(exc)}")

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
            "capacity": p.get("capacity"),
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
    result = {
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
        # global services whose API (control plane, in us-east-1) did not answer: what they serve was not read
        "control_planes_down": r53["down"],
        "elapsed": watch.seconds,
    }
    view = writers_view(result)
    result.update(active_writer=view["active"], stale_writers=view["stale"], split_brain_advice=split_brain_advice(result))
    return result
