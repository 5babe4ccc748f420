# -*- coding: utf-8 -*-

# Copyright (c) 2025 multiregion.dr contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The failover's and failback's decisions, as data: no AWS calls here.

Input: the live topology (what multiregion.dr.topology_info returns), the lock probe's message, the
request (target, mode, ...) and, where the RPO gates, the replication lag (replication_lag_info's result).
Output: where the run stands (``state``), what refuses it (``problems``), the settled ``mode`` and the
ordered ``plan``; after the moves, ``verify_failover`` / ``verify_failback`` say what is not as it should be.
"""

from ansible_collections.multiregion.dr.plugins.module_utils.lag import rpo_verdict
from ansible_collections.multiregion.dr.plugins.module_utils.rds import unfenceable_reason
from ansible_collections.multiregion.dr.plugins.module_utils.topology import active_because, writers_view

MODES = ("auto", "planned", "unplanned")
OPERATIONS = ("failover", "failback")
BOOLEAN_WORDS = ("true", "false", "yes", "no", "1", "0")


def _part(value):
    """A dict where topology_info may give None."""
    return value or {}


def endpoint(address, port=None):
    """'address:port' as the application's configuration names an endpoint (on the simulator's data plane every
    server has its own port), the address alone without a port, None without an address (the host_port filter)."""
    if not address:
        return None
    return f"{address}:{port}" if port else address


def host_port(part, key):
    """endpoint() of a topology part's endpoint address (part[key]) and port."""
    return endpoint(part.get(key), part.get("port"))


def _number(value):
    """300.0 -> '300', 2.5 -> '2.5' (budgets read as the inventory writes them)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _join(items, empty=""):
    return ", ".join(items) or empty


def topology_summary(topology):
    """The short view of a topology the reports keep (before and after a run)."""
    if not topology:
        return None
    regions = {}
    for region, seen in topology["regions"].items():
        regions[region] = {
            "reachable": seen.get("reachable"),
            "healthy": seen.get("healthy"),
            "database": _part(seen.get("database")).get("role"),
            "cache": _part(seen.get("cache")).get("role"),
            "dns_traffic": _part(seen.get("dns")).get("receives_traffic"),
        }
    dns = _part(topology.get("dns"))
    return {
        "database_primary": topology.get("primary_region"),
        "writable_databases": topology.get("writable_databases", []),
        "cache_primary": topology.get("cache_primary_region"),
        "dns_weight_100": dns.get("configured_region"),
        "dns_active_regions": dns.get("active_regions") or [],
        "regions": regions,
    }


def request_problems(operation, target, regions, mode="auto", app=None):
    """Bad arguments, each naming the bad value and what is allowed (checked before anything else)."""
    app = app or {}
    valid = f"valid targets: {', '.join(regions)}"
    if operation not in OPERATIONS:
        return [f"operation={operation} is not one of {', '.join(OPERATIONS)}"]
    if target is None or target == "":
        return [f"no target given; {valid} (ansible-playbook {operation}.yml -e target=REGION)"]
    if target not in regions:
        return [f"target={target} is not a region of the application; {valid} (ansible-playbook {operation}.yml -e target=REGION)"]
    if operation == "failover" and mode not in MODES:
        return [f"mode={mode} is not one of {', '.join(MODES)}"]
    if operation == "failback":
        keep_old = str(app.get("keep_old", True)).lower()
        if keep_old not in BOOLEAN_WORDS:
            return [f"keep_old_instances={app.get('keep_old')} is not a boolean (true or false)"]
        if app.get("engine", "mysql") != "mysql":
            return [f"failback rebuilds RDS for MySQL replicas; for Aurora run failover.yml -e target={target} mode=planned "
                    "(the switchover keeps every member)"]
    return []


def failover_source(topology, target):
    """The region the application leaves: the writer when it is not the target, else (a rerun after the
    promotion) the source the other replicas still follow."""
    primary = topology.get("primary_region")
    if primary not in (None, target):
        return primary
    for seen in topology["regions"].values():
        followed = _part(seen.get("database")).get("source_region")
        if followed not in (None, target):
            return followed
    return None


def resumed(lock_msg):
    """The lock module keeps the lock for the same owner and operation (a rerun), or passes it to another owner with
    the run's token (failover_lock resume_token): either way this run goes on with one under way."""
    return "already holds the lock" in (lock_msg or "") or " resumes the run of " in (lock_msg or "")


# the moves that wait while a global service's API (control plane) does not answer, and that service
DEFERRABLE = (("dns", "route53"), ("cdn", "cloudfront"))
DEFERRED_WHY = {
    "dns": "the Route 53 API (us-east-1) does not answer: the health-checked records send the traffic to the healthy regions "
           "meanwhile, and running the failover again once it answers moves the weights",
    "cdn": "the CloudFront API (us-east-1) does not answer: its origin group fails over to the secondary meanwhile, and running "
           "the failover again once it answers moves the origins",
}


def deferred_moves(topology):
    """The moves (dns, cdn) whose service's API the topology found down (its control_planes_down)."""
    down = topology.get("control_planes_down") or []
    return [what for what, service in DEFERRABLE if service in down]


def failover_state(topology, target, lock_msg=None):
    deferred = deferred_moves(topology)
    at_target = topology["regions"][target]
    database = _part(at_target.get("database"))
    cdn = topology.get("cdn")
    source = failover_source(topology, target)
    standby_regions = _part(_part(cdn).get("secondary_routing")).get("configured_regions") or []
    view = writers_view(topology)
    return {
        "source": source,
        "writers": view["writers"],
        "active_writer": view["active"],
        "source_reachable": source is not None and source in topology.get("reachable_regions", []),
        "db_done": bool(database.get("writable")) and target in topology.get("writable_databases", []),
        "cache_done": topology.get("cache_primary_region") == target,
        "dns_done": _part(topology.get("dns")).get("configured_region") == target,
        # no distribution, or its primary origin is the target and its standby name avoids the target
        "cdn_done": (cdn is None and "cdn" not in deferred) or (cdn is not None and cdn.get("primary_region") == target
                                                                and target not in standby_regions),
        # the global control planes that do not answer: their moves wait for a rerun (static stability: the
        # health-checked records and the CDN's origin group already route around the regions that are down)
        "deferred": deferred,
        "global_cache_id": _part(at_target.get("cache")).get("global_replication_group_id"),
        "resumed": resumed(lock_msg),
    }


def failover_problems(topology, target, state, requested_mode, app_name):
    """What refuses a failover to target, from the live topology."""
    problems = []
    seen = topology["regions"][target]
    if target not in topology.get("healthy_regions", []):
        check = _part(seen.get("health_check")).get("status") or "none"
        problems.append(f"{target} is not healthy ({seen.get('detail')}, health check {check})")
    writers, active = state["writers"], state["active_writer"]
    if len(writers) > 1 and not state["resumed"]:
        if active is None:
            problems.append(f"split brain: {', '.join(writers)} all take writes and DNS sends the traffic to none of them "
                            "(fence the ones whose writes are not to be kept, then run playbooks/failback.yml)")
        elif target in writers and target != active:
            problems.append(f"split brain: the databases in {', '.join(writers)} all take writes, and the one in {target} is an old "
                            f"primary back from an outage ({active_because(topology, active)}): failing over onto it would orphan "
                            f"every write made in {active} since; run playbooks/fence.yml, then playbooks/failback.yml -e target={target} "
                            "to move back without losing them")
    source = state["source"]
    if not state["db_done"] and source is None:
        # why: the topology's notes, and each region's database error (AccessDenied names the missing permission)
        errors = [f"{region}: {_part(view.get('database')).get('error')}" for region, view in sorted(topology["regions"].items())
                  if _part(view.get("database")).get("error")]
        problems.append(f"no region is known to hold the primary database ({'; '.join(list(topology.get('notes', [])) + errors)})")
    database = _part(seen.get("database"))
    if not state["db_done"] and source is not None and database.get("source_region") != source:
        follows = f", it follows {database['source_region']}" if database.get("source_region") else ""
        problems.append(f"the database in {target} is {database.get('role') or 'absent'}{follows}, not a replica of the primary "
                        f"in {source} (promoting it would split the data; fail back or rebuild it first)")
    if not state["cache_done"] and not state["global_cache_id"]:
        problems.append(f"{app_name}-redis in {target} is no Global Datastore member")
    if requested_mode == "planned" and not state["db_done"] and not state["source_reachable"]:
        problems.append(f"mode=planned needs the current primary region {source} to answer; it does not (use mode=unplanned)")
    return problems


def unfenceable_problems(topology, regions, why):
    """A database the run must fence but cannot (AWS refuses changes to a default.* parameter group; an engine
    with no fence): refused before the lock, not after the first change. Aurora members fence themselves."""
    problems = []
    for region in regions:
        database = _part(topology["regions"][region].get("database"))
        if database.get("fenceable") is False:
            cause = unfenceable_reason(database.get("engine"), database.get("parameter_group"))
            problems.append(f"the database {database.get('identifier')} in {region} ({why}) cannot be fenced: {cause}")
    return problems


def settle_mode(requested_mode, state):
    """auto: planned when the current primary's region answers, else unplanned."""
    if requested_mode != "auto":
        return requested_mode
    return "planned" if state["source_reachable"] else "unplanned"


def lag_replicas(target, state, app):
    """What replication_lag_info reads before a failover: the target's database and cache (gated by the
    RPO budget unless done), then DynamoDB and S3 (reported, not gated: DynamoDB publishes its latency in the
    source region, often the dead one, and S3 only with Replication Time Control)."""
    name = app["name"]
    gated = []
    if not state["db_done"]:
        gated.append({"type": "aurora" if app.get("engine", "mysql").startswith("aurora") else "rds", "region": target, "id": f"{name}-db"})
    if not state["cache_done"]:
        gated.append({"type": "elasticache", "region": target, "id": f"{name}-redis"})
    reported = []
    if state["source"]:
        reported += [{"type": "dynamodb", "region": state["source"], "id": f"{name}-{table}", "receiving_region": target}
                     for table in app.get("dynamodb_tables") or []]
    prefix, home = app.get("s3_bucket_prefix"), app.get("home_region")
    if prefix and home and target != home:
        reported.append({"type": "s3", "region": home, "id": f"{prefix}-{home}", "destination_bucket": f"{prefix}-{target}",
                         "rule_id": f"to-{target}"})
    return gated, reported


def split_lag(lag, gated):
    """replication_lag_info's readings split into the gated ones and the reported ones."""
    keys = {(r["type"], r["region"], r["id"]) for r in gated}
    readings = _part(lag).get("replicas") or []
    mine = [r for r in readings if (r["type"], r["region"], r["id"]) in keys]
    others = [r for r in readings if (r["type"], r["region"], r["id"]) not in keys]
    return mine, others


def rpo_problem(target, mode, allow_data_loss, state, gated_readings, rpo_seconds):
    """An unplanned failover loses what the target has not received: refuse when a data-loss window is
    above the budget or unknown (lag.rpo_verdict). A resumed run passed this gate before it took the lock;
    mid-failover lag reads unknown."""
    if mode == "planned" or state["resumed"] or not gated_readings:
        return None
    verdict, windows = rpo_verdict(gated_readings, rpo_seconds, allow_data_loss)
    if verdict != "refused":
        return None
    return (f"refusing an unplanned failover to {target}: the data-loss window is {windows}, "
            f"against an RPO budget of {_number(rpo_seconds)} s; rerun with allow_data_loss=true to accept the loss")


def _step(number, step, text, do=True, **data):
    return dict(number=number, step=step, do=do, text=f"{number}. {text}", **data)


def failover_steps(topology, target, state, mode, app, window, regions):
    """The ordered plan of a failover, each step as data with the line the plan shows."""
    name = app["name"]
    others = [r for r in regions if r != target]
    source = state["source"]
    if state["db_done"]:
        database = f"already writable in {target}"
    elif mode == "planned":
        database = (f"planned promotion of {name}-db in {target} (replica of {source}), after fencing {source} (read_only=1 in its "
                    f"parameter group) and waiting for lag 0")
    else:
        window = "unknown" if window is None else f"{_number(window)} s"
        database = (f"unplanned promotion of {name}-db in {target} (replica of {source}), data-loss window {window}, "
                    f"RPO {_number(app['rpo_seconds'])} s")
    cache = (f"primary already in {target}" if state["cache_done"]
             else f"FailoverGlobalReplicationGroup {state['global_cache_id']} to {name}-redis in {target}")
    dns = (f"weight 100 already on {target}" if state["dns_done"]
           else f"deferred: {DEFERRED_WHY['dns']}" if "dns" in state["deferred"]
           else f"{app['dns_record']} weight 100 to {target}, 0 to {', '.join(others)} (one change batch, wait INSYNC)")

    cdn = topology.get("cdn")
    cdn_step = {"do": False, "primary_origin": None, "secondary_origin": None}
    # the standby name moves in the DNS step's change batch (route53_switch's also), with the name
    standby = {"do": False, "record_name": None, "also": []}
    if "cdn" in state["deferred"]:
        cdn_text = f"deferred: {DEFERRED_WHY['cdn']}"
    elif cdn is None:
        cdn_text = "none"
    elif state["cdn_done"]:
        cdn_text = f"primary origin already {target}"
    elif target not in cdn.get("region_origins", {}):
        cdn_text = f"no origin in {target}, left as it is"
    else:
        # a region origin as the secondary (no standby name) trades places with the primary
        cdn_step = {"do": True, "primary_origin": cdn["region_origins"][target],
                    "secondary_origin": cdn.get("primary_origin") if cdn.get("secondary_region") == target else cdn.get("secondary_origin")}
        cdn_text = f"primary origin {cdn['region_origins'][target]} (deployed by CloudFront in the background)"
        if cdn.get("secondary_routing"):
            standby = {"do": True, "record_name": cdn.get("secondary_domain_name"), "also": [
                {"record_name": cdn.get("secondary_domain_name"), "routing": "weighted", "target_weight": 0, "other_weight": 100}]}
            cdn_text += (f", standby name {cdn.get('secondary_domain_name')} weight 0 on {target}, 100 on {', '.join(others)} "
                         "(in the DNS change batch)")

    unreachable = topology.get("unreachable_regions") or []
    left = f" (unreachable, left to the failback: {', '.join(unreachable)})" if unreachable else ""
    # In active_passive every region but the active one is a standby: the old primary's region (or a returned one)
    # goes back to standby capacity once DNS has moved away from it.
    # A group read at exactly those sizes is left alone (a standby that stayed one); one not read is scaled.
    standby_size = app.get("asg_standby_capacity")
    standby_sizes = {"min_size": None if standby_size is None else min(app["asg_min_size"], standby_size),
                     "max_size": app["asg_max_size"], "desired_capacity": standby_size}
    retired = [r for r in topology.get("reachable_regions", []) if r != target
               and _part(_part(topology.get("regions")).get(r)).get("capacity") != standby_sizes] if standby_size is not None else []
    standby_capacity = dict(standby_sizes, do=bool(retired), regions=retired)
    standby_text = f"; {name}-app back to standby capacity {standby_size} in {', '.join(retired)}" if retired else ""
    # The endpoints the configuration names beside the promotion's write endpoint, from the topology read before
    # the moves: an RDS instance keeps its address through a promotion, a Global Datastore secondary its primary
    # endpoint (writable once promoted).
    reachable = topology.get("reachable_regions", [])
    endpoints = {
        "read": {r: [a for a in [host_port(_part(topology["regions"][r].get("database")), "endpoint")] if a] for r in reachable},
        "cache": host_port(_part(topology["regions"][target].get("cache")), "primary_endpoint"),
    }
    fence = (f"read_only=1 on the database in {', '.join(state['fence'])} (it takes writes beside {target}), before anything moves"
             if state["fence"] else "no other database takes writes")
    if state["fencing_owed"]:
        fence += (f"; {', '.join(state['fencing_owed'])} does not answer: fencing is owed, and status.yml, fence.yml or the next "
                  "failover or failback that reaches it fences it first")
    # the fence step is shown only when there is one to do or owe
    fence_step = [_step("1b", "fence", f"fence: {fence}", do=bool(state["fence"]), regions=state["fence"])] if state["fence"] or state["fencing_owed"] else []
    return [
        _step("1", "lock", f"lock: take {app['lock_operation']} as {app['lock_owner']} ("
                           + (f"DynamoDB table {app['lock_table']}, written in {target})" if app.get("lock_table") else f"TXT record in {app['dns_zone']})")),
        *fence_step,
        _step("2a", "database", f"database: {database}", do=not state["db_done"]),
        _step("2b", "cache", f"cache: {cache}", do=not state["cache_done"]),
        _step("2c", "capacity", f"capacity: {name}-app in {target} to min {app['asg_min_size']} / desired {app['asg_desired_capacity']} "
              f"/ max {app['asg_max_size']}, waiting for InService (2a-2c run in parallel)"),
        # The configuration first: the application writes to the new primary as soon as it reads it, not after
        # Route 53's INSYNC wait (about a minute on AWS); the standby capacity only once DNS has moved away.
        _step("3", "config", f"config: SSM /{name}/config/ active_region={target} and the new write endpoints in "
              f"{', '.join(topology.get('reachable_regions', []))}{left}; replica lag alarms removed in {target}",
              regions=reachable, endpoints=endpoints),
        _step("4", "dns", f"dns: {dns}; cdn: {cdn_text}{standby_text}", cdn=cdn_step, standby=standby, standby_capacity=standby_capacity,
              deferred=state["deferred"]),
        _step("5", "verify", f"verify through AWS, release the lock (starts the {_number(app['cooldown_seconds'])} s cool-down), "
              f"notify {name}-dr-alerts, write the report"),
    ]


def plan_failover(topology, target, regions, app, mode="auto", allow_data_loss=False, lock_msg=None, lag=None):
    """Everything the failover decides before it acts. ``lag`` is replication_lag_info's result for
    ``lag_replicas`` (the first call leaves it out, the second gives it)."""
    result = {"operation": "failover", "target": target, "requested_mode": mode, "state": {}, "problems": [], "refusal": None,
              "mode": None, "nothing_to_do": False, "plan": [], "lag_replicas": [], "lag_before": [], "data_lag": [],
              "topology_before": topology_summary(topology)}
    problems = request_problems("failover", target, regions, mode, app)
    if problems:
        return dict(result, problems=problems, refusal="; ".join(problems))
    state = failover_state(topology, target, lock_msg)
    result["state"] = state
    others = [w for w in state["writers"] if w != target]
    if state["db_done"] and state["cache_done"] and state["dns_done"] and state["cdn_done"] and not state["resumed"] and not others:
        result["nothing_to_do"] = True
        result["message"] = (f"{target} already holds the writable database, the cache primary, the DNS traffic and the CDN's "
                             "primary origin: nothing to do.")
        return result
    problems = failover_problems(topology, target, state, mode, app["name"])
    if problems:
        return dict(result, problems=problems, refusal=f"cannot fail over to {target}: {'; '.join(problems)}")
    result["mode"] = settle_mode(mode, state)
    # Every other writer that answers is fenced before the promotion, DNS and configuration move (a planned
    # promotion fences its source itself, then waits for lag 0); a source that does not answer owes a fence.
    state["fence"] = [w for w in others if not (result["mode"] == "planned" and w == state["source"] and not state["db_done"])]
    state["fencing_owed"] = ([state["source"]] if state["source"] and not state["source_reachable"] and not state["db_done"]
                             else [])
    result["fencing_owed"] = state["fencing_owed"]
    problems = unfenceable_problems(topology, state["fence"], "it takes writes beside the target")
    if result["mode"] == "planned" and not state["db_done"]:
        problems += unfenceable_problems(topology, [state["source"]], "the planned promotion fences its source")
    if problems:
        return dict(result, problems=problems, refusal=f"cannot fail over to {target}: {'; '.join(problems)}")
    gated, reported = lag_replicas(target, state, app)
    result["lag_replicas"] = gated + reported
    gated_readings, others = split_lag(lag, gated)
    result["lag_before"], result["data_lag"] = gated_readings, others
    problem = rpo_problem(target, result["mode"], allow_data_loss, state, gated_readings, float(app["rpo_seconds"]))
    if problem:
        return dict(result, problems=[problem], refusal=problem)
    known = [r["lag_seconds"] for r in gated_readings if r.get("lag_seconds") is not None]
    result["max_lag_seconds"] = max(known) if known else _part(lag).get("max_lag_seconds")
    windows = [r.get("data_loss_window_seconds") for r in gated_readings]
    result["data_loss_window_seconds"] = (0 if result["mode"] == "planned" else
                                          max(windows) if windows and None not in windows else None)
    result["plan"] = failover_steps(topology, target, state, result["mode"], app, result["data_loss_window_seconds"], regions)
    result["headline"] = f"failover to {target} ({result['mode']}{', resumed' if state['resumed'] else ''})"
    # the database and the cache are already there: this run finishes an earlier move (its deferred DNS or CDN, a
    # step that failed), not a new one, so the cool-down that move started does not hold it back
    result["finishes_a_move"] = state["db_done"] and state["cache_done"]
    return _with_hosts(result, switch=[target], config=topology.get("reachable_regions", []), fence=state["fence"])


def _with_hosts(result, **hosts):
    """The steps by name, and the region hosts of each later play (the target's plays: ``target``)."""
    result["steps"] = {step["step"]: step for step in result["plan"]}
    result["hosts"] = dict(hosts, target=[result["target"]])
    return result


def failback_state(topology, target, lock_msg=None):
    view = writers_view(topology)
    current = view["active"]
    return {
        "current": current,
        # databases that take writes beside the current primary: an old primary back from an outage
        "stale_writers": [w for w in view["writers"] if w != current],
        "switched": current == target,
        "resumed": resumed(lock_msg),
        # regions whose database does not replicate the current primary (the current one excepted)
        "to_rebuild": [region for region, seen in topology["regions"].items()
                       if region != current and _part(seen.get("database")).get("source_region") != current],
    }


def failback_problems(topology, target, state, app_name):
    problems = []
    current = state["current"]
    if current is None:
        problems.append(f"no region is known to hold the writable primary database (writable: "
                        f"{_join(topology.get('writable_databases', []), 'none')}; {'; '.join(topology.get('notes', []))})")
    elif current not in topology.get("reachable_regions", []):
        problems.append(f"the current primary region {current} does not answer: a failback is planned and needs it")
    if target not in topology.get("healthy_regions", []):
        problems.append(f"{target} is not healthy ({topology['regions'][target].get('detail')})")
    if _part(topology["regions"][target].get("cache")).get("global_replication_group_id") is None:
        problems.append(f"{app_name}-redis in {target} is no Global Datastore member (re-create it with the redis role)")
    for region in state["stale_writers"]:
        if region not in topology.get("reachable_regions", []):
            problems.append(f"the database in {region} may still take writes and does not answer, so it cannot be fenced")
    problems += unfenceable_problems(topology, [r for r in state["stale_writers"] if r in topology.get("reachable_regions", [])],
                                     "it takes writes beside the current primary")
    if current is not None and not state["switched"]:
        problems += unfenceable_problems(topology, [current], "the switchover fences the current primary")
    return problems


def plan_failback(topology, target, regions, app, lock_msg=None):
    """Everything the failback decides before it acts: an old primary cannot rejoin as a replica, so the
    failback fences stale writers, rebuilds the target's replica, switches over and rebuilds the others."""
    result = {"operation": "failback", "target": target, "state": {}, "problems": [], "refusal": None, "mode": "planned",
              "nothing_to_do": False, "plan": [], "topology_before": topology_summary(topology)}
    problems = request_problems("failback", target, regions, app=app)
    if problems:
        return dict(result, problems=problems, refusal="; ".join(problems))
    state = failback_state(topology, target, lock_msg)
    result["state"] = state
    problems = failback_problems(topology, target, state, app["name"])
    if problems:
        return dict(result, problems=problems, refusal=f"cannot fail back to {target}: {'; '.join(problems)}")
    if state["switched"] and not state["to_rebuild"] and not state["stale_writers"] and not state["resumed"]:
        result["nothing_to_do"] = True
        result["message"] = f"{target} is the primary and the other regions replicate it: nothing to do."
        return result
    name, current = app["name"], state["current"]
    keep_old = str(app.get("keep_old", True)).lower() in ("true", "yes", "1")
    old = f"kept as {name}-db-retired-{app.get('stamp')}" if keep_old else "deleted after a final snapshot"
    if state["switched"]:
        rebuild = "already the primary"
    elif target in state["to_rebuild"]:
        rebuild = f"a fresh replica of {current} in {target} (the old database {old})"
    else:
        rebuild = f"{target} already replicates {current}"
    others = [r for r in regions if r != target]
    result["plan"] = [
        _step("1", "lock", f"lock: take {app['lock_operation']} as {app['lock_owner']}"),
        _step("2", "fence", f"fence: {_join(state['stale_writers'], 'no other database takes writes')}", do=bool(state["stale_writers"]),
              regions=state["stale_writers"]),
        _step("3", "rebuild", f"target: {rebuild}, then wait for lag <= {_number(float(app.get('max_lag_seconds', 5)))} s",
              do=not state["switched"], regions=[] if state["switched"] else [target]),
        _step("4", "switchover", f"planned failover to {target} (fence {current}, lag 0, promote, cache, DNS, configuration)"),
        _step("5", "replicas", f"replicas of {target} rebuilt in {', '.join(others)} where they do not replicate it "
              f"(old databases {'kept, renamed' if keep_old else 'deleted'})", regions=others),
        _step("6", "verify", "verify, release the lock, notify, report"),
    ]
    result["headline"] = f"failback to {target} (current primary {current})"
    return _with_hosts(result, fence=state["stale_writers"], rebuild=[] if state["switched"] else [target], replicas=others)


def observed_in(app, target, groups=None, tables=None, buckets=None):
    """What the failover's verification reads in the target besides the topology, from the registered results of
    amazon.aws.autoscaling_group_info (``groups``), community.aws.dynamodb_table_info looped over the application's
    tables (``tables``, one result per table, in the order of ``app['dynamodb_tables']``) and amazon.aws.s3_bucket_info
    (``buckets``; None when the application has no bucket): the ``observed`` of verify_failover."""
    observed = {}
    if groups is not None:
        group = next((g for g in groups if g.get("auto_scaling_group_name") == f"{app['name']}-app"), {})
        instances = group.get("instances") or []
        observed["in_service"] = sum(1 for i in instances if i.get("lifecycle_state") == "InService")
        observed["min_in_service"] = int(app.get("asg_min_size") or 0)
    if tables is not None:
        observed["tables"] = {f"{app['name']}-{name}": ((result or {}).get("table") or {}).get("table_status", "absent")
                              for name, result in zip(app.get("dynamodb_tables") or [], tables)}
    if buckets is not None and app.get("s3_bucket_prefix"):
        observed["bucket_name"] = f"{app['s3_bucket_prefix']}-{target}"
        observed["bucket"] = any(b.get("name") == observed["bucket_name"] for b in buckets)
    return observed


def verify_failover(topology, target, observed=None):
    """After a failover: exactly one writable database, the target's; cache, DNS and CDN on the target;
    with ``observed`` (in_service, min_in_service, tables {name: status}, bucket), capacity and data services."""
    observed = observed or {}
    problems = []
    database = _part(topology["regions"][target].get("database"))
    if not database.get("writable") or database.get("role") not in ("primary", "standalone") or database.get("source"):
        problems.append(f"the database in {target} is {database.get('role') or 'absent'}, writable {bool(database.get('writable'))}, "
                        f"source {database.get('source')}")
    others = [w for w in topology.get("writable_databases", []) if w != target]
    if others:
        problems.append(f"other databases take writes too: {', '.join(others)}")
    deferred = deferred_moves(topology)
    problems += _traffic_problems(topology, target, deferred)
    cdn = topology.get("cdn")
    standby = _part(_part(cdn).get("secondary_routing")).get("configured_regions") or []
    if target in standby:
        problems.append(f"the CDN standby name {cdn.get('secondary_domain_name')} still sends traffic to {target}")
    if "in_service" in observed and int(observed["in_service"]) < int(observed.get("min_in_service") or 0):
        problems.append(f"{observed['in_service']} InService instances in {target}, expected {observed['min_in_service']}")
    for table, status in (observed.get("tables") or {}).items():
        if status != "ACTIVE":
            problems.append(f"the table {table} does not answer in {target}")
    if observed.get("bucket") is False:
        problems.append(f"the bucket {observed.get('bucket_name')} does not answer")
    moved = ["database", "cache"] + [what.upper() for what in ("dns", "cdn") if what not in deferred and (what == "dns" or cdn)]
    result = f"{', '.join(moved)} and capacity in {target}"
    if observed.get("tables") or observed.get("bucket") is not None:
        result += "; tables and bucket answer there"
    if deferred:
        result += f"; deferred until the global control planes answer: {' and '.join(what.upper() for what in deferred)} (run it again then)"
    return {"problems": problems, "result": result, "topology_after": topology_summary(topology),
            "deferred": [f"{what}: {DEFERRED_WHY[what]}" for what in deferred]}


def _traffic_problems(topology, target, deferred=()):
    """The cache, DNS and CDN not on target; not DNS or CDN while deferred (their API does not answer)."""
    problems = []
    if topology.get("cache_primary_region") != target:
        problems.append(f"the cache primary is in {topology.get('cache_primary_region')}")
    if "dns" not in deferred and _part(topology.get("dns")).get("configured_region") != target:
        problems.append(f"DNS sends the traffic to {_part(topology.get('dns')).get('configured_region')}")
    cdn = topology.get("cdn")
    if "cdn" not in deferred and cdn and target in cdn.get("region_origins", {}) and cdn.get("primary_region") != target:
        problems.append(f"the CDN sends requests to {cdn.get('primary_region')} first")
    return problems


def verify_failback(topology, target):
    """After a failback: the target is the only writer, every other region replicates it, cache, DNS and CDN there."""
    problems = []
    writers = topology.get("writable_databases", [])
    if writers != [target]:
        problems.append(f"writable databases: {_join(writers, 'none')}")
    for region, seen in topology["regions"].items():
        if region == target:
            continue
        database, cache = _part(seen.get("database")), _part(seen.get("cache"))
        if database.get("source_region") != target:
            problems.append(f"the database in {region} is {database.get('role') or 'absent'}, not a replica of {target}")
        if cache.get("role") != "secondary":
            problems.append(f"the cache in {region} is {cache.get('role') or 'absent'}")
    problems += _traffic_problems(topology, target)
    others = [r for r in topology["regions"] if r != target]
    return {"problems": problems, "result": f"{target} primary; replicas in {', '.join(others)}", "topology_after": topology_summary(topology)}
