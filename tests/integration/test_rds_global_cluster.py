"""multiregion.dr.rds_global_cluster against the simulator: create, idempotence, check mode, diff,
deletion protection, teardown with member removal on the latency model, bad input, throttling, outages."""

import pytest

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
VERSION = "8.0.mysql_aurora.3.05.2"


def cluster(aws, region, name, **extra):
    kwargs = {} if "GlobalClusterIdentifier" in extra else {"MasterUsername": "admin", "MasterUserPassword": "secret123456"}
    return aws("rds", region).create_db_cluster(
        DBClusterIdentifier=name, Engine="aurora-mysql", EngineVersion=VERSION, **kwargs, **extra)["DBCluster"]


def global_clusters(aws, region=EAST):
    return aws("rds", region).describe_global_clusters()["GlobalClusters"]


def test_create_check_mode_diff_and_idempotence(sim, aws, module):
    args = {"global_cluster_identifier": "shop-global", "engine": "aurora-mysql", "engine_version": VERSION,
            "storage_encrypted": True, "region": EAST, "poll_interval": 0.2}

    planned = module("rds_global_cluster", args, check=True, diff=True)
    assert planned["changed"] is True and planned["plan"] == [f"create global cluster shop-global (aurora-mysql {VERSION}, encrypted)"]
    assert planned["diff"] == {"before": {"exists": False}, "after": {
        "exists": True, "engine": "aurora-mysql", "engine_version": VERSION, "storage_encrypted": True,
        "deletion_protection": False, "members": []}}
    assert global_clusters(aws) == []

    made = module("rds_global_cluster", args, diff=True)
    assert made["changed"] is True, made
    found = aws("rds", WEST).describe_global_clusters(GlobalClusterIdentifier="shop-global")["GlobalClusters"][0]
    assert (found["Engine"], found["EngineVersion"], found["StorageEncrypted"], found["Status"]) == ("aurora-mysql", VERSION, True, "available")
    assert made["global_cluster"]["global_cluster_arn"] == found["GlobalClusterArn"]
    assert made["diff"]["after"]["exists"] is True and made["statuses_seen"] == {"global cluster shop-global": ["available"]}

    # regional clusters join it; the first is the writer
    primary = cluster(aws, EAST, "shop-db", GlobalClusterIdentifier="shop-global")
    secondary = cluster(aws, WEST, "shop-db", GlobalClusterIdentifier="shop-global")
    again = module("rds_global_cluster", args, diff=True)
    assert again["changed"] is False and again["plan"] == [], again
    assert again["members"] == [
        {"db_cluster_arn": primary["DBClusterArn"], "region": EAST, "is_writer": True},
        {"db_cluster_arn": secondary["DBClusterArn"], "region": WEST, "is_writer": False},
    ]
    assert module("rds_global_cluster", args, check=True)["changed"] is False


def test_from_an_existing_cluster_and_deletion_protection(sim, aws, module):
    source = cluster(aws, WEST, "orders")["DBClusterArn"]
    args = {"global_cluster_identifier": "orders-global", "source_db_cluster_identifier": source, "region": WEST,
            "deletion_protection": True}
    made = module("rds_global_cluster", args)
    assert made["changed"] is True and made["members"] == [{"db_cluster_arn": source, "region": WEST, "is_writer": True}]
    assert module("rds_global_cluster", args)["changed"] is False

    # AWS refuses to delete it while protected: the module says so before any change
    refused = module("rds_global_cluster", {"global_cluster_identifier": "orders-global", "state": "absent",
                                            "remove_members": True, "region": WEST})
    assert refused.get("failed") and "deletion protection" in refused["msg"]
    assert len(global_clusters(aws)[0]["GlobalClusterMembers"]) == 1

    unprotect = {**args, "deletion_protection": False}
    planned = module("rds_global_cluster", unprotect, check=True, diff=True)
    assert planned["changed"] is True and planned["diff"]["before"]["deletion_protection"] is True
    assert planned["diff"]["after"]["deletion_protection"] is False
    assert global_clusters(aws)[0]["DeletionProtection"] is True
    changed = module("rds_global_cluster", unprotect)
    assert changed["changed"] is True and global_clusters(aws)[0]["DeletionProtection"] is False
    assert module("rds_global_cluster", unprotect)["changed"] is False

    # an existing cluster cannot join an existing global cluster
    other = cluster(aws, EU, "other")["DBClusterArn"]
    wrong = module("rds_global_cluster", {**unprotect, "source_db_cluster_identifier": other})
    assert wrong.get("failed") and other in wrong["msg"] and "not a member" in wrong["msg"]


@pytest.fixture
def global_db(aws):
    aws("rds", EAST).create_global_cluster(GlobalClusterIdentifier="shop-global", Engine="aurora-mysql", EngineVersion=VERSION)
    arns = [cluster(aws, region, "shop-db", GlobalClusterIdentifier="shop-global")["DBClusterArn"] for region in (EAST, WEST, EU)]
    return arns


def test_absent_needs_remove_members_then_detaches_secondaries_first(sim, aws, module, global_db):
    args = {"global_cluster_identifier": "shop-global", "state": "absent", "region": EAST, "poll_interval": 0.1}
    refused = module("rds_global_cluster", args)
    assert refused.get("failed") and "remove_members=true" in refused["msg"] and global_db[1] in refused["msg"]
    assert len(global_clusters(aws)[0]["GlobalClusterMembers"]) == 3

    args["remove_members"] = True
    planned = module("rds_global_cluster", args, check=True, diff=True)
    assert planned["changed"] is True and planned["diff"]["after"] == {"exists": False}
    assert planned["plan"][-1] == "delete global cluster shop-global" and planned["plan"][-2].startswith(f"detach {global_db[0]}")
    assert len(global_clusters(aws)[0]["GlobalClusterMembers"]) == 3

    sim.latency(True, scale=0.02)  # each detach: modifying, available after 1.2 s
    done = module("rds_global_cluster", args)
    assert done["changed"] is True, done
    assert global_clusters(aws) == []
    for arn in global_db:
        what = f"{arn} to leave global cluster shop-global"
        assert done["statuses_seen"][what][0] == "modifying (member)" and done["statuses_seen"][what][-1] == "available (detached)"
        region = arn.split(":")[3]
        assert aws("rds", region).describe_db_clusters(DBClusterIdentifier="shop-db")["DBClusters"][0]["Status"] == "available"
    # the primary goes last: AWS refuses to detach it while secondaries remain
    order = [entry for entry in sim.log() if entry.get("action") == "RemoveFromGlobalCluster"]
    assert [e["region"] for e in order][-1] == EAST
    assert module("rds_global_cluster", args)["changed"] is False


def test_too_short_wait_fails_clearly_and_a_rerun_completes(sim, aws, module, global_db):
    sim.latency(True, scale=0.1)  # each detach takes 6 s
    args = {"global_cluster_identifier": "shop-global", "state": "absent", "remove_members": True, "region": EAST,
            "wait_timeout": 1, "poll_interval": 0.2}
    short = module("rds_global_cluster", args)
    assert short.get("failed") and "timed out after 1 s" in short["msg"] and "rerun" in short["msg"]
    assert "modifying (member)" in short["msg"]
    sim.latency(True, scale=0.01)
    rerun = module("rds_global_cluster", {**args, "wait_timeout": 60})
    assert rerun["changed"] is True and global_clusters(aws) == []


@pytest.mark.parametrize("args, message", [
    ({"global_cluster_identifier": "1bad", "engine": "aurora-mysql"}, "global_cluster_identifier='1bad' is not valid"),
    ({"global_cluster_identifier": "bad--name", "engine": "aurora-mysql"}, "without two consecutive hyphens"),
    ({"global_cluster_identifier": "ok", "source_db_cluster_identifier": "orders"}, "source_db_cluster_identifier='orders' is not an Aurora cluster ARN"),
    ({"global_cluster_identifier": "ok", "source_db_cluster_identifier": "arn:aws:rds:us-east-1:123456789012:cluster:orders",
      "engine": "aurora-mysql"}, "engine='aurora-mysql' cannot be given with source_db_cluster_identifier"),
    ({"global_cluster_identifier": "ok"}, "engine (aurora-mysql or aurora-postgresql) or source_db_cluster_identifier is needed"),
    ({"global_cluster_identifier": "ok", "engine": "mysql"}, "value of engine must be one of: aurora-mysql, aurora-postgresql"),
])
def test_bad_input_fails_before_any_change(sim, aws, module, args, message):
    result = module("rds_global_cluster", {**args, "region": EAST})
    assert result.get("failed") and message in result["msg"], result
    assert global_clusters(aws) == []


def test_existing_global_cluster_with_other_encryption_or_engine_fails(sim, aws, module):
    aws("rds", EAST).create_global_cluster(GlobalClusterIdentifier="plain", Engine="aurora-mysql")
    encrypted = module("rds_global_cluster", {"global_cluster_identifier": "plain", "engine": "aurora-mysql", "storage_encrypted": True, "region": EAST})
    assert encrypted.get("failed") and "storage_encrypted=True" in encrypted["msg"] and "cannot change it" in encrypted["msg"]
    engine = module("rds_global_cluster", {"global_cluster_identifier": "plain", "engine": "aurora-postgresql", "region": EAST})
    assert engine.get("failed") and "engine='aurora-postgresql'" in engine["msg"]


def test_throttling_is_retried(sim, aws, module, global_db):
    sim.fault("throttle", probability=0.3, service="rds")
    sim.fault("throttle", probability=1.0, service="rds", count=2)  # the first calls surely throttled
    present = module("rds_global_cluster", {"global_cluster_identifier": "shop-global", "engine": "aurora-mysql", "region": EAST})
    absent = module("rds_global_cluster", {"global_cluster_identifier": "shop-global", "state": "absent", "remove_members": True,
                                           "region": EAST, "poll_interval": 0.1})
    sim.clear_faults()
    assert present["changed"] is False, present
    assert absent["changed"] is True, absent
    assert global_clusters(aws) == []
    assert any(e.get("fault") == "throttle" for e in sim.log())


def test_answers_from_another_region_while_the_primary_region_is_out(sim, aws, module, global_db):
    sim.outage(EAST)
    result = module("rds_global_cluster", {"global_cluster_identifier": "shop-global", "engine": "aurora-mysql", "region": WEST, "connect_timeout": 2})
    assert result["changed"] is False, result
    assert [m["region"] for m in result["members"]] == [EAST, WEST, EU]
