"""module_utils/plan.py: the failover's and failback's decisions on topologies shaped as topology_info returns
them (the shop application of inventories/local: us-east-1 home, us-west-2 and eu-west-1 replicas). Every
refusal the playbooks make is here, with the message the end-to-end tests look for."""

import copy

import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import plan

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
ARN = "arn:aws:rds:{}:123456789012:db:shop-db"
APP = {"name": "shop", "engine": "mysql", "rpo_seconds": 300.0, "dns_zone": "shop.example.com", "dns_record": "api.shop.example.com",
       "lock_owner": "tester@ci", "lock_operation": "failover to eu-west-1", "cooldown_seconds": 1800.0, "asg_min_size": 2,
       "asg_desired_capacity": 2, "asg_max_size": 4, "dynamodb_tables": ["sessions"], "s3_bucket_prefix": "shop-data",
       "home_region": "us-east-1", "keep_old": True, "max_lag_seconds": 5.0, "stamp": "20260101000000"}
HOLDS = "tester@ci already holds the lock for failover to eu-west-1"


def topology(primary="us-east-1", down=(), cache_primary=None, dns=None, cdn_primary=None, writers=None, follows=None):
    """A topology as topology_info returns it: the database primary in `primary`, replicas following `follows`
    (default: the primary), regions in `down` unreachable, cache, DNS and CDN on `primary` unless told."""
    cache_primary = cache_primary or primary
    dns = dns or primary
    cdn_primary = cdn_primary or primary
    writers = [primary] if writers is None else writers
    follows = follows or primary
    regions = {}
    for region in REGIONS:
        reachable = region not in down
        if region in writers:
            database = {"role": "primary", "identifier": "shop-db", "status": "available", "writable": True, "source": None,
                        "source_region": None, "endpoint": f"shop-db.{region}.rds"}
        else:
            database = {"role": "replica", "identifier": "shop-db", "status": "available", "writable": False,
                        "source": ARN.format(follows), "source_region": follows, "endpoint": f"shop-db.{region}.rds"}
        if not reachable:
            database = {"role": "unknown", "writable": False, "error": "unreachable"}
        regions[region] = {
            "reachable": reachable, "detail": "reachable" if reachable else "unreachable: ConnectionClosedError on DescribeDBInstances",
            "health_check": {"id": f"hc-{region}", "status": "healthy" if reachable else "unhealthy"}, "healthy": reachable,
            "database": database,
            "cache": {"role": "primary" if region == cache_primary else "secondary", "replication_group_id": "shop-redis",
                      "global_replication_group_id": "ldgnf-shop", "status": "available",
                      "primary_endpoint": f"master.shop-redis.{region}.cache"} if reachable else {"role": "unknown"},
            "dns": {"records": [region], "receives_traffic": region == dns and reachable},
        }
    others = [r for r in REGIONS if r != cdn_primary]
    return {
        "regions": regions,
        "primary_region": primary if len(writers) <= 1 else None,
        "primary_reachable": primary not in down,
        "cache_primary_region": cache_primary,
        "dns_active_region": dns,
        "dns": {"policy": "weighted", "configured_region": dns, "configured_regions": [dns], "active_regions": [dns], "active_region": dns,
                "zone_id": "Z1", "records": []},
        "cdn": {"primary_origin": cdn_primary, "primary_region": cdn_primary, "secondary_origin": "standby",
                "secondary_domain_name": "standby.api.shop.example.com", "secondary_region": None,
                "region_origins": {r: r for r in REGIONS},
                "secondary_routing": {"policy": "weighted", "configured_regions": others, "active_regions": others}},
        "reachable_regions": [r for r in REGIONS if r not in down],
        "unreachable_regions": list(down),
        "healthy_regions": [r for r in REGIONS if r not in down],
        "writable_databases": [w for w in writers if w not in down],
        "split_brain": len([w for w in writers if w not in down]) > 1,
        "notes": [f"{r} is unreachable" for r in down],
    }


def after_failover(target="eu-west-1", source="us-east-1", down=("us-east-1",)):
    """What topology_info shows once a failover to target finished: the third region still follows the old source."""
    topo = topology(primary=target, down=down)
    for region in REGIONS:
        if region not in (target, *down):
            topo["regions"][region]["database"].update(source=ARN.format(source), source_region=source)
    return topo


def lag(*readings):
    return {"replicas": [dict(type=t, region=r, id=i, lag_seconds=s, data_loss_window_seconds=s, seconds_since_applied=None,
                              stale=False, status="ok", reason=why)
                         for t, r, i, s, why in readings]}


def failover(topo, target="eu-west-1", mode="auto", allow_data_loss=False, lock_msg=None, readings=None):
    return plan.plan_failover(topo, target, REGIONS, APP, mode, allow_data_loss, lock_msg, readings)


def refused_with(result, expected):
    assert result["refusal"] and expected in result["refusal"], result["refusal"]
    assert result["plan"] == [] and not result["nothing_to_do"]


# --- bad requests: no target, bad target, bad mode ---

def test_no_target():
    refused_with(failover(topology(), target=None), "no target given; valid targets: us-east-1, us-west-2, eu-west-1")


def test_bad_target_names_it_and_the_valid_ones():
    refused_with(failover(topology(), target="ap-south-1"),
                 "target=ap-south-1 is not a region of the application; valid targets: us-east-1, us-west-2, eu-west-1")


def test_bad_mode():
    refused_with(failover(topology(), mode="fast"), "mode=fast is not one of auto, planned, unplanned")


# --- the topology refuses ---

def test_unhealthy_target():
    topo = topology()
    topo["healthy_regions"].remove("eu-west-1")
    topo["regions"]["eu-west-1"]["health_check"]["status"] = "unhealthy"
    refused_with(failover(topo), "cannot fail over to eu-west-1: eu-west-1 is not healthy (reachable, health check unhealthy)")


def test_split_brain_with_no_writer_behind_dns():
    refused_with(failover(topology(writers=["us-east-1", "us-west-2"], dns="eu-west-1")),
                 "split brain: us-east-1, us-west-2 all take writes and DNS sends the traffic to none of them")


def test_a_failover_onto_an_old_primary_back_from_an_outage_is_refused():
    # issue 16: after an unplanned failover to eu-west-1, us-east-1 came back still writable; DNS sends the traffic
    # to eu-west-1. Failing over "back" to us-east-1 would orphan every write made in eu-west-1.
    result = failover(back_from_outage(), target="us-east-1")
    refused_with(result, "split brain: the databases in us-east-1, eu-west-1 all take writes, and the one in us-east-1 is an old "
                         "primary back from an outage (DNS sends the traffic to eu-west-1)")
    assert "playbooks/failback.yml -e target=us-east-1" in result["refusal"]


def test_a_failover_to_the_active_region_fences_the_old_primary_first():
    # the same split brain, failing over to the active region: nothing moves but the fence (and the configuration)
    result = failover(back_from_outage(), target="eu-west-1")
    assert result["refusal"] is None and not result["nothing_to_do"], result["problems"]
    assert result["state"]["fence"] == ["us-east-1"] and result["hosts"]["fence"] == ["us-east-1"]
    assert result["steps"]["fence"]["do"] and "read_only=1 on the database in us-east-1" in result["steps"]["fence"]["text"]
    assert result["hosts"]["config"] == REGIONS


def test_a_second_writer_that_is_the_target_is_refused_unless_the_same_failover_resumes():
    # a killed unplanned failover promoted eu-west-1, then us-east-1 came back (DNS still on it)
    topo = topology(writers=["us-east-1", "eu-west-1"])
    refused_with(failover(topo), "split brain: the databases in us-east-1, eu-west-1 all take writes, and the one in eu-west-1")
    result = failover(topo, lock_msg=HOLDS)
    assert result["refusal"] is None and result["state"]["fence"] == ["us-east-1"], result["problems"]


def test_the_writer_promoted_last_is_the_active_one_even_where_dns_has_not_followed():
    # a failover to eu-west-1 left DNS on us-east-1 (deferred: the Route 53 API did not answer), then us-east-1 came
    # back still writable: eu-west-1's promotion stamp makes it the active writer, so the rerun fences us-east-1
    # and moves DNS, where DNS alone would have called eu-west-1 the old primary
    topo = topology(writers=["us-east-1", "eu-west-1"])
    topo["regions"]["eu-west-1"]["database"]["promoted_at"] = 1795600000
    result = failover(topo)
    assert result["refusal"] is None and result["state"]["active_writer"] == "eu-west-1", result["problems"]
    assert result["state"]["fence"] == ["us-east-1"] and result["finishes_a_move"] is False
    assert "api.shop.example.com weight 100 to eu-west-1" in result["steps"]["dns"]["text"]
    # and a failover onto the old primary is refused as before; of two stamps the later one counts
    refused_with(failover(topo, target="us-east-1"), "the one in us-east-1 is an old primary back from an outage (eu-west-1 was "
                                                     "promoted last (DNS has not followed yet: it sends the traffic to us-east-1))")
    topo["regions"]["us-east-1"]["database"]["promoted_at"] = 1795500000
    assert failover(topo)["state"]["active_writer"] == "eu-west-1"


def test_a_reachable_source_is_fenced_in_unplanned_mode_too():
    result = failover(topology(), mode="unplanned", readings=gated(1.0))
    assert result["refusal"] is None and result["state"]["fence"] == ["us-east-1"] and result["fencing_owed"] == []
    assert [s["step"] for s in result["plan"]][:2] == ["lock", "fence"]
    planned = failover(topology(), mode="planned", readings=gated(1.0))
    assert planned["state"]["fence"] == [] and "fence" not in planned["steps"]  # rds_promote fences its source itself


def test_a_database_that_cannot_be_fenced_is_refused_before_the_lock():
    # AWS refuses changes to default.* parameter groups: the fence would fail after the lock and the first moves
    topo = topology()
    topo["regions"]["us-east-1"]["database"].update(parameter_group="default.mysql8.0", fenceable=False, engine="mysql")
    for mode in ("planned", "unplanned"):
        result = failover(topo, mode=mode, readings=gated(1.0))
        refused_with(result, "the database shop-db in us-east-1 (")
        assert "its parameter group default.mysql8.0 is a default one, which AWS does not let change" in result["refusal"]
    # a custom group of an engine without a fence
    topo["regions"]["us-east-1"]["database"].update(parameter_group="shop-sqlserver", engine="sqlserver-se")
    refused_with(failover(topo, mode="planned"), "fencing supports mysql, mariadb, postgres, not sqlserver-se")
    # an unplanned failover whose source does not answer owes the fence: nothing to refuse now
    down = topology(down=("us-east-1",))
    down["regions"]["us-east-1"]["database"].update(fenceable=False)
    assert failover(down, readings=gated(1.0))["refusal"] is None
    # the failback's switchover fences the current primary
    after = after_failover(down=())
    after["regions"]["eu-west-1"]["database"].update(parameter_group="default.mysql8.0", fenceable=False)
    assert "the database shop-db in eu-west-1 (the switchover fences the current primary) cannot be fenced" in failback(after, "us-east-1")["refusal"]


def test_no_primary_known():
    topo = topology(down=("us-east-1",))
    topo["primary_region"] = None
    for seen in topo["regions"].values():
        if seen["database"].get("role") == "replica":
            seen["database"].update(role="standalone", source=None, source_region=None)
    topo["notes"] = ["no replica names a source"]
    refused_with(failover(topo), "no region is known to hold the primary database (no replica names a source; us-east-1: unreachable)")
    # a caller who may not read the databases is told which call IAM refused, not only that nothing was found
    for region, seen in topo["regions"].items():
        seen["database"] = {"role": "unknown", "error": f"DescribeGlobalClusters: AccessDenied: not authorized ({region})"}
    topo["notes"] = []
    refused_with(failover(topo), "no region is known to hold the primary database (eu-west-1: DescribeGlobalClusters: AccessDenied: "
                 "not authorized (eu-west-1); us-east-1: DescribeGlobalClusters")


def test_target_not_a_replica_of_the_primary():
    # after a failover to eu-west-1, us-west-2 still follows the dead us-east-1
    refused_with(failover(after_failover(), target="us-west-2"),
                 "the database in us-west-2 is replica, it follows us-east-1, not a replica of the primary in eu-west-1")


def test_cache_not_a_member():
    topo = topology()
    topo["regions"]["eu-west-1"]["cache"]["global_replication_group_id"] = None
    refused_with(failover(topo), "shop-redis in eu-west-1 is no Global Datastore member")


def test_planned_with_the_source_down():
    refused_with(failover(topology(down=("us-east-1",)), mode="planned"),
                 "mode=planned needs the current primary region us-east-1 to answer; it does not (use mode=unplanned)")


def test_several_problems_in_one_message():
    topo = topology(down=("us-east-1",))
    topo["regions"]["eu-west-1"]["cache"]["global_replication_group_id"] = None
    result = failover(topo, mode="planned")
    assert len(result["problems"]) == 2 and result["refusal"] == "cannot fail over to eu-west-1: " + "; ".join(result["problems"])


# --- the RPO budget ---

def gated(db_lag, cache_lag=1.0, reason=None):
    return lag(("rds", "eu-west-1", "shop-db", db_lag, reason), ("elasticache", "eu-west-1", "shop-redis", cache_lag, None),
               ("dynamodb", "us-east-1", "shop-sessions", 900.0, None))


def test_over_rpo_is_refused_with_the_lag_and_the_way_out():
    result = failover(topology(down=("us-east-1",)), readings=gated(600.0))
    refused_with(result, "refusing an unplanned failover to eu-west-1: the data-loss window is shop-db 600.0 s, shop-redis 1.0 s, "
                         "against an RPO budget of 300 s; rerun with allow_data_loss=true to accept the loss")


def test_unknown_lag_is_refused():
    result = failover(topology(down=("us-east-1",)), readings=gated(None, reason="no valid ReplicaLag datapoint in the last 86400 s"))
    refused_with(result, "shop-db unknown (no valid ReplicaLag datapoint in the last 86400 s)")


def test_stale_lag_says_how_old():
    readings = gated(40.0)
    readings["replicas"][0].update(stale=True, latest_age_seconds=1200, seconds_since_applied=1200, data_loss_window_seconds=1240)
    assert "shop-db 1240 s (metric silent: lag 40.0 s at its last datapoint, 1200 s ago)" in failover(
        topology(down=("us-east-1",)), readings=readings)["refusal"]


def test_a_stopped_replication_counts_the_time_since_it_stopped():
    # issue 16: a last lag of 0 s, but replication stopped 10 minutes ago: the window is 600 s, over the budget
    readings = gated(0.0)
    readings["replicas"][0].update(replication_running=False, seconds_since_applied=600.0, data_loss_window_seconds=600.0)
    result = failover(topology(down=("us-east-1",)), readings=readings)
    assert "shop-db 600.0 s (replication stopped: lag 0.0 s at its last datapoint, 600.0 s ago)" in result["refusal"]
    allowed = failover(topology(down=("us-east-1",)), readings=readings, allow_data_loss=True)
    assert allowed["refusal"] is None and allowed["data_loss_window_seconds"] == 600.0 and allowed["max_lag_seconds"] == 1.0
    assert "data-loss window 600 s, RPO 300 s" in allowed["steps"]["database"]["text"]


@pytest.mark.parametrize("how", [{"allow_data_loss": True}, {"lock_msg": HOLDS}])
def test_over_rpo_goes_with_allow_data_loss_or_on_a_rerun(how):
    result = failover(topology(down=("us-east-1",)), readings=gated(600.0), **how)
    assert result["refusal"] is None and result["mode"] == "unplanned"


def test_planned_is_not_gated_by_the_lag():
    result = failover(topology(), readings=gated(600.0))
    assert result["refusal"] is None and result["mode"] == "planned"


def test_the_data_services_lag_is_reported_not_gated():
    result = failover(topology(down=("us-east-1",)), readings=gated(20.0))
    assert result["refusal"] is None and result["max_lag_seconds"] == 20.0 and result["data_loss_window_seconds"] == 20.0
    assert [r["id"] for r in result["lag_before"]] == ["shop-db", "shop-redis"]
    assert [r["id"] for r in result["data_lag"]] == ["shop-sessions"]


# --- state, mode and plan ---

def test_unplanned_plan_during_an_outage():
    result = failover(topology(down=("us-east-1",)), readings=gated(20.0))
    assert result["state"]["source"] == "us-east-1" and not result["state"]["source_reachable"]
    assert result["mode"] == "unplanned" and result["headline"] == "failover to eu-west-1 (unplanned)"
    # the dead source cannot be fenced: the plan says the fence is owed, and does none
    assert [s["step"] for s in result["plan"]] == ["lock", "fence", "database", "cache", "capacity", "config", "dns", "verify"]
    assert result["fencing_owed"] == ["us-east-1"] and not result["steps"]["fence"]["do"] and result["hosts"]["fence"] == []
    assert "us-east-1 does not answer: fencing is owed" in result["steps"]["fence"]["text"]
    text = {s["step"]: s["text"] for s in result["plan"]}
    assert text["database"].startswith("2a. database: unplanned promotion of shop-db in eu-west-1 (replica of us-east-1), data-loss window 20 s")
    assert "cdn: primary origin eu-west-1" in text["dns"]
    assert "standby name standby.api.shop.example.com weight 0 on eu-west-1, 100 on us-east-1, us-west-2" in text["dns"]
    assert "(unreachable, left to the failback: us-east-1)" in text["config"]
    dns = result["steps"]["dns"]
    assert dns["cdn"] == {"do": True, "primary_origin": "eu-west-1", "secondary_origin": "standby"}
    assert dns["standby"] == {"do": True, "record_name": "standby.api.shop.example.com", "also": [
        {"record_name": "standby.api.shop.example.com", "routing": "weighted", "target_weight": 0, "other_weight": 100}]}
    assert result["steps"]["config"]["regions"] == ["us-west-2", "eu-west-1"]


def test_the_other_reachable_regions_go_back_to_standby_capacity_in_active_passive():
    app = dict(APP, asg_standby_capacity=1)
    planned = plan.plan_failover(topology(), "eu-west-1", REGIONS, app)
    # once DNS has moved away from them (the dns step)
    dns = planned["plan"][[s["step"] for s in planned["plan"]].index("dns")]
    assert dns["standby_capacity"] == {"do": True, "regions": ["us-east-1", "us-west-2"], "min_size": 1, "desired_capacity": 1,
                                       "max_size": 4}
    assert dns["text"].endswith("; shop-app back to standby capacity 1 in us-east-1, us-west-2")
    # a region that does not answer keeps what it has (the fence that is owed brings it back in line)
    unplanned = plan.plan_failover(topology(down=("us-east-1",)), "eu-west-1", REGIONS, app, allow_data_loss=True)
    assert [s for s in unplanned["plan"] if s["step"] == "dns"][0]["standby_capacity"]["regions"] == ["us-west-2"]
    # active-active strategies (no standby capacity given): every region keeps its capacity
    assert not [s for s in failover(topology())["plan"] if s["step"] == "dns"][0]["standby_capacity"]["do"]


def test_a_group_read_at_standby_capacity_is_left_alone_one_above_it_or_unread_is_scaled():
    app = dict(APP, asg_standby_capacity=1)
    topo = topology()
    standby = {"min_size": 1, "max_size": 4, "desired_capacity": 1}
    topo["regions"]["us-east-1"]["capacity"] = {"min_size": 2, "max_size": 4, "desired_capacity": 2}  # the old primary's
    topo["regions"]["us-west-2"]["capacity"] = standby
    dns = plan.plan_failover(topo, "eu-west-1", REGIONS, app)["steps"]["dns"]
    assert dns["standby_capacity"]["regions"] == ["us-east-1"] and dns["standby_capacity"]["do"]
    assert dns["text"].endswith("; shop-app back to standby capacity 1 in us-east-1")
    # AWS would not tell (an error), or the group is missing: scaled, as when nothing was read
    topo["regions"]["us-west-2"]["capacity"] = {"error": "AccessDenied"}
    assert plan.plan_failover(topo, "eu-west-1", REGIONS, app)["steps"]["dns"]["standby_capacity"]["regions"] == ["us-east-1", "us-west-2"]
    topo["regions"]["us-east-1"]["capacity"] = topo["regions"]["us-west-2"]["capacity"] = standby
    assert not plan.plan_failover(topo, "eu-west-1", REGIONS, app)["steps"]["dns"]["standby_capacity"]["do"]


def test_the_configuration_names_the_endpoints_read_before_the_moves():
    config = failover(topology(down=("us-east-1",)), allow_data_loss=True)["steps"]["config"]
    # each reachable region's own instance for reads, the target's cache primary endpoint (writable once promoted)
    assert config["endpoints"] == {"read": {"us-west-2": ["shop-db.us-west-2.rds"], "eu-west-1": ["shop-db.eu-west-1.rds"]},
                                   "cache": "master.shop-redis.eu-west-1.cache"}
    # no database instance in a region (Aurora, or none yet): no read endpoint there
    topo = topology()
    del topo["regions"]["us-west-2"]["database"]["endpoint"]
    assert failover(topo)["steps"]["config"]["endpoints"]["read"]["us-west-2"] == []
    # with its port (the simulator's data plane serves each database on its own port of 127.0.0.1)
    topo = topology()
    topo["regions"]["eu-west-1"]["database"].update(endpoint="127.0.0.1", port=40123)
    topo["regions"]["eu-west-1"]["cache"]["port"] = 40200
    endpoints = failover(topo)["steps"]["config"]["endpoints"]
    assert endpoints["read"]["eu-west-1"] == ["127.0.0.1:40123"] and endpoints["cache"] == "master.shop-redis.eu-west-1.cache:40200"


def test_what_to_read_before_the_rpo_check():
    result = failover(topology(down=("us-east-1",)))
    assert result["lag_replicas"] == [
        {"type": "rds", "region": "eu-west-1", "id": "shop-db"},
        {"type": "elasticache", "region": "eu-west-1", "id": "shop-redis"},
        {"type": "dynamodb", "region": "us-east-1", "id": "shop-sessions", "receiving_region": "eu-west-1"},
        {"type": "s3", "region": "us-east-1", "id": "shop-data-us-east-1", "destination_bucket": "shop-data-eu-west-1",
         "rule_id": "to-eu-west-1"},
    ]


def test_aurora_lag_is_read_as_aurora():
    result = plan.plan_failover(topology(), "eu-west-1", REGIONS, dict(APP, engine="aurora-mysql"))
    assert result["lag_replicas"][0]["type"] == "aurora"


def test_auto_is_planned_when_the_source_answers():
    result = failover(topology())
    assert result["mode"] == "planned" and "after fencing us-east-1" in result["plan"][1]["text"]


def test_nothing_to_do_when_the_target_is_active():
    result = failover(after_failover())
    assert result["nothing_to_do"] and result["refusal"] is None
    assert "already holds the writable database" in result["message"]


def test_a_rerun_after_the_promotion_goes_on_from_where_it_stopped():
    # killed after the promotion: eu-west-1 writes, the cache and DNS are still on us-east-1
    topo = after_failover()
    topo["cache_primary_region"] = "us-east-1"
    topo["dns"]["configured_region"] = "us-east-1"
    topo["primary_region"] = "eu-west-1"
    result = failover(topo, lock_msg=HOLDS)
    state = result["state"]
    assert state["resumed"] and state["db_done"] and not state["cache_done"] and not state["dns_done"]
    assert state["source"] == "us-east-1", "the source the other replicas still follow"
    assert [r["type"] for r in result["lag_replicas"]][:1] == ["elasticache"]
    assert result["headline"].endswith(", resumed)")
    assert result["plan"][1]["text"] == "2a. database: already writable in eu-west-1" and not result["plan"][1]["do"]


def test_a_rerun_with_everything_done_still_finishes():
    result = failover(after_failover(), lock_msg=HOLDS)
    assert not result["nothing_to_do"] and result["refusal"] is None


def test_no_cdn():
    topo = topology()
    topo["cdn"] = None
    result = failover(topo)
    dns = result["steps"]["dns"]
    assert result["state"]["cdn_done"] and dns["text"].endswith("cdn: none")
    assert not dns["cdn"]["do"] and not dns["standby"]["do"]


def test_topology_summary_for_the_report():
    summary = plan.topology_summary(topology(down=("us-east-1",)))
    assert summary["writable_databases"] == [] and summary["database_primary"] == "us-east-1"
    assert summary["regions"]["us-east-1"] == {"reachable": False, "healthy": False, "database": "unknown", "cache": "unknown",
                                               "dns_traffic": False}


# --- failback ---

def failback(topo, target="us-east-1", lock_msg=None, **app):
    return plan.plan_failback(topo, target, REGIONS, dict(APP, lock_operation="failback to us-east-1", **app), lock_msg)


def back_from_outage():
    """After a failover to eu-west-1, us-east-1 comes back still writable (it was cut off, never fenced)."""
    topo = after_failover(down=())
    topo["regions"]["us-east-1"]["database"].update(role="standalone", writable=True, source=None, source_region=None)
    topo["writable_databases"] = ["us-east-1", "eu-west-1"]
    topo["split_brain"] = True
    topo["primary_region"] = None
    return topo


def test_failback_after_an_outage_fences_and_rebuilds():
    result = failback(back_from_outage())
    state = result["state"]
    assert state["current"] == "eu-west-1" and state["stale_writers"] == ["us-east-1"]
    assert state["to_rebuild"] == ["us-east-1", "us-west-2"] and not state["switched"]
    assert [s["step"] for s in result["plan"]] == ["lock", "fence", "rebuild", "switchover", "replicas", "verify"]
    assert result["plan"][1]["regions"] == ["us-east-1"] and result["plan"][2]["regions"] == ["us-east-1"]
    assert "kept as shop-db-retired-20260101000000" in result["plan"][2]["text"]
    assert result["headline"] == "failback to us-east-1 (current primary eu-west-1)"


def test_failback_bad_target_and_bad_keep_old_and_aurora():
    refused_with(failback(back_from_outage(), target="ap-south-1"), "target=ap-south-1 is not a region of the application")
    refused_with(failback(back_from_outage(), keep_old="maybe"), "keep_old_instances=maybe is not a boolean")
    refused_with(failback(back_from_outage(), engine="aurora-mysql"), "for Aurora run failover.yml -e target=us-east-1 mode=planned")


def test_failback_needs_the_current_primary():
    refused_with(failback(after_failover(down=("eu-west-1",))), "cannot fail back to us-east-1: no region is known to hold")
    topo = back_from_outage()
    topo["regions"]["eu-west-1"]["reachable"] = False
    topo["reachable_regions"].remove("eu-west-1")
    topo["writable_databases"] = ["eu-west-1"]
    refused_with(failback(topo), "the current primary region eu-west-1 does not answer: a failback is planned and needs it")


def test_failback_refuses_an_unhealthy_target_a_cache_outside_and_an_unfenceable_writer():
    topo = back_from_outage()
    topo["healthy_regions"].remove("us-east-1")
    topo["regions"]["us-east-1"]["cache"]["global_replication_group_id"] = None
    result = failback(topo)
    assert "us-east-1 is not healthy (reachable)" in result["refusal"]
    assert "shop-redis in us-east-1 is no Global Datastore member (re-create it with the redis role)" in result["refusal"]
    topo = back_from_outage()
    topo["regions"]["us-west-2"]["database"].update(role="standalone", writable=True)
    topo["writable_databases"] = ["us-east-1", "us-west-2", "eu-west-1"]
    topo["reachable_regions"].remove("us-west-2")
    assert "the database in us-west-2 may still take writes and does not answer" in failback(topo)["refusal"]


def test_failback_nothing_to_do():
    result = failback(topology())
    assert result["nothing_to_do"] and "nothing to do" in result["message"]
    assert not failback(topology(), lock_msg=HOLDS)["nothing_to_do"]


# --- verification ---

OBSERVED = {"in_service": 2, "min_in_service": 2, "tables": {"shop-sessions": "ACTIVE"}, "bucket": True, "bucket_name": "shop-data-eu-west-1"}


def test_verify_failover_passes_on_the_target():
    result = plan.verify_failover(after_failover(), "eu-west-1", OBSERVED)
    assert result["problems"] == []
    assert result["result"] == "database, cache, DNS, CDN and capacity in eu-west-1; tables and bucket answer there"
    assert result["topology_after"]["writable_databases"] == ["eu-west-1"]


def test_verify_failover_names_everything_that_is_not_on_the_target():
    topo = after_failover(down=())
    topo["regions"]["us-east-1"]["database"].update(role="standalone", writable=True, source=None, source_region=None)
    topo["writable_databases"] = ["us-east-1", "eu-west-1"]
    topo["cache_primary_region"] = "us-east-1"
    topo["dns"]["configured_region"] = "us-west-2"
    topo["cdn"]["primary_region"] = "us-east-1"
    topo["cdn"]["secondary_routing"]["configured_regions"] = ["eu-west-1"]
    observed = dict(OBSERVED, in_service=1, tables={"shop-sessions": "CREATING"}, bucket=False)
    problems = plan.verify_failover(topo, "eu-west-1", observed)["problems"]
    assert problems == [
        "other databases take writes too: us-east-1",
        "the cache primary is in us-east-1",
        "DNS sends the traffic to us-west-2",
        "the CDN sends requests to us-east-1 first",
        "the CDN standby name standby.api.shop.example.com still sends traffic to eu-west-1",
        "1 InService instances in eu-west-1, expected 2",
        "the table shop-sessions does not answer in eu-west-1",
        "the bucket shop-data-eu-west-1 does not answer",
    ]
    replica = copy.deepcopy(topology())
    assert plan.verify_failover(replica, "eu-west-1")["problems"][0].startswith("the database in eu-west-1 is replica, writable False")


def test_observed_in_reads_the_registered_results():
    app = {"name": "shop", "asg_min_size": 2, "dynamodb_tables": ["sessions", "carts"], "s3_bucket_prefix": "shop-data"}
    groups = [{"auto_scaling_group_name": "shop-app", "instances": [
        {"lifecycle_state": "InService"}, {"lifecycle_state": "Pending"}, {"lifecycle_state": "InService"}]}]
    tables = [{"table": {"table_name": "shop-sessions", "table_status": "ACTIVE"}}, {"table": {}}]
    observed = plan.observed_in(app, "eu-west-1", groups=groups, tables=tables, buckets=[{"name": "shop-data-eu-west-1"}])
    assert observed == {"in_service": 2, "min_in_service": 2, "tables": {"shop-sessions": "ACTIVE", "shop-carts": "absent"},
                        "bucket": True, "bucket_name": "shop-data-eu-west-1"}
    assert plan.verify_failover(after_failover(), "eu-west-1", observed)["problems"] == ["the table shop-carts does not answer in eu-west-1"]
    # another group of the same prefix, no bucket found, nothing read
    gone = plan.observed_in(app, "eu-west-1", groups=[{"auto_scaling_group_name": "shop-app-old", "instances": groups[0]["instances"]}], buckets=[])
    assert gone == {"in_service": 0, "min_in_service": 2, "bucket": False, "bucket_name": "shop-data-eu-west-1"}
    assert plan.observed_in(app, "eu-west-1") == {}


def test_verify_failback():
    assert plan.verify_failback(topology(), "us-east-1")["problems"] == []
    problems = plan.verify_failback(after_failover(), "us-east-1")["problems"]
    assert "writable databases: eu-west-1" in problems
    assert "the database in eu-west-1 is primary, not a replica of us-east-1" in problems
    assert "the cache primary is in eu-west-1" in problems


def test_a_rerun_and_a_run_resumed_with_its_token_are_resumed_runs():
    assert plan.resumed("alice already holds the lock for failover to eu-west-1")
    assert plan.resumed("awx-job-2 resumes the run of awx-job-1 for failover to eu-west-1")
    assert not plan.resumed("lock taken") and not plan.resumed(None)


def test_an_endpoint_is_address_port_the_address_alone_or_nothing_never_a_port_alone():
    from ansible_collections.multiregion.dr.plugins.filter.host_port import host_port

    assert plan.endpoint("db.example", 3306) == host_port("db.example", 3306) == "db.example:3306"
    assert plan.endpoint("db.example", "") == host_port("db.example") == "db.example"
    assert plan.endpoint("", 3306) is None and host_port("", 3306) == "" and host_port(None, None) == ""
    assert plan.host_port({"primary_endpoint": "redis.example", "port": 6379}, "primary_endpoint") == "redis.example:6379"


def control_planes_down(topo):
    """What topology_info returns while the Route 53 and CloudFront APIs do not answer: no DNS records, no CDN."""
    topo["control_planes_down"] = ["route53", "cloudfront"]
    topo["cdn"] = None
    topo["dns"] = {"policy": None, "configured_region": None, "configured_regions": [], "active_regions": [], "active_region": None,
                   "zone_id": None, "records": []}
    return topo


def test_dns_and_cdn_are_deferred_while_their_control_planes_do_not_answer():
    result = failover(control_planes_down(topology(down=("us-east-1",))), readings=gated(20.0))
    assert result["refusal"] is None and result["mode"] == "unplanned"
    assert result["state"]["deferred"] == ["dns", "cdn"] and not result["state"]["cdn_done"]
    dns = result["steps"]["dns"]
    assert dns["deferred"] == ["dns", "cdn"] and not dns["cdn"]["do"] and not dns["standby"]["do"]
    assert "dns: deferred: the Route 53 API (us-east-1) does not answer" in dns["text"]
    assert "cdn: deferred: the CloudFront API (us-east-1) does not answer" in dns["text"]
    assert not result["finishes_a_move"]


def test_the_rerun_after_a_deferred_dns_finishes_the_move_without_the_cool_down():
    topo = after_failover()
    topo["dns"]["configured_region"] = "us-east-1"
    topo["cdn"]["primary_region"] = topo["cdn"]["primary_origin"] = "us-east-1"
    result = failover(topo)
    assert result["refusal"] is None and result["finishes_a_move"] and result["state"]["deferred"] == []
    assert result["steps"]["dns"]["cdn"]["do"] and "api.shop.example.com weight 100 to eu-west-1" in result["steps"]["dns"]["text"]
    # a new move is held back by the cool-down as before
    assert not failover(topology(down=("us-east-1",)), readings=gated(20.0))["finishes_a_move"]


def test_verify_failover_reports_what_was_deferred_and_does_not_count_it_as_a_problem():
    result = plan.verify_failover(control_planes_down(after_failover()), "eu-west-1", OBSERVED)
    assert result["problems"] == []
    assert result["result"] == ("database, cache and capacity in eu-west-1; tables and bucket answer there; deferred until the global "
                                "control planes answer: DNS and CDN (run it again then)")
    assert [d.split(":")[0] for d in result["deferred"]] == ["dns", "cdn"]
    # the cache is no control plane: still a problem
    topo = control_planes_down(after_failover())
    topo["cache_primary_region"] = "us-east-1"
    assert plan.verify_failover(topo, "eu-west-1", OBSERVED)["problems"] == ["the cache primary is in us-east-1"]
