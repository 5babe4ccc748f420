"""RDS cross-region read replicas and Aurora global databases behave as real AWS does."""

import botocore.exceptions
import pytest

EAST, WEST = "us-east-1", "us-west-2"
SCALE = 0.01  # the tests hold the clock (walk) and step it, so the scale only orders the steps


def subnet_group(client, region, name):
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    client("rds", region).create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets)
    return vpc


def source_db(client, name="app-db"):
    subnet_group(client, EAST, "db-east")
    return client("rds", EAST).create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="secret123456",
        AllocatedStorage=20,
        DBSubnetGroupName="db-east",
        BackupRetentionPeriod=7,
    )["DBInstance"]


def cross_region_replica(client, source_arn, name="app-db-replica"):
    vpc = subnet_group(client, WEST, "db-west")
    replica = client("rds", WEST).create_db_instance_read_replica(
        DBInstanceIdentifier=name,
        SourceDBInstanceIdentifier=source_arn,
        DBInstanceClass="db.t3.micro",
        DBSubnetGroupName="db-west",
    )["DBInstance"]
    return replica, vpc


def describe(client, region, name):
    return client("rds", region).describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def replica_pair(sim, client):
    source = source_db(client)
    replica, _ = cross_region_replica(client, source["DBInstanceArn"])
    return source, replica


# read replicas -------------------------------------------------------------------------------
def test_cross_region_replica_lives_in_its_own_region_and_both_sides_are_linked(sim, client):
    source = source_db(client)
    replica, west_vpc = cross_region_replica(client, source["DBInstanceArn"])

    assert replica["DBSubnetGroup"]["DBSubnetGroupName"] == "db-west"
    assert replica["DBSubnetGroup"]["VpcId"] == west_vpc
    assert replica["AvailabilityZone"].startswith(WEST)
    assert replica["DBInstanceArn"].split(":")[3] == WEST
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]

    replica = describe(client, WEST, "app-db-replica")
    assert replica["DBSubnetGroup"]["DBSubnetGroupName"] == "db-west"
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]
    assert replica["StatusInfos"] == [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]
    assert replica["DBInstanceStatus"] == "available"

    source = describe(client, EAST, "app-db")
    assert source["ReadReplicaDBInstanceIdentifiers"] == [replica["DBInstanceArn"]]
    assert source["DBSubnetGroup"]["DBSubnetGroupName"] == "db-east"
    assert "StatusInfos" not in source
    assert "ReadReplicaSourceDBInstanceIdentifier" not in source
    # the replica is not listed in the source's region, nor the source in the replica's
    assert [d["DBInstanceIdentifier"] for d in client("rds", EAST).describe_db_instances()["DBInstances"]] == ["app-db"]
    assert [d["DBInstanceIdentifier"] for d in client("rds", WEST).describe_db_instances()["DBInstances"]] == ["app-db-replica"]


def test_same_region_replica_is_listed_by_identifier(sim, client):
    source_db(client)
    client("rds", EAST).create_db_instance_read_replica(DBInstanceIdentifier="local-replica", SourceDBInstanceIdentifier="app-db")
    assert describe(client, EAST, "app-db")["ReadReplicaDBInstanceIdentifiers"] == ["local-replica"]
    assert describe(client, EAST, "local-replica")["ReadReplicaSourceDBInstanceIdentifier"] == "app-db"


def test_replica_of_a_source_without_backups_is_refused(sim, client):
    source = source_db(client)
    client("rds", EAST).modify_db_instance(DBInstanceIdentifier="app-db", BackupRetentionPeriod=0, ApplyImmediately=True)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        cross_region_replica(client, source["DBInstanceArn"])
    assert error_code(err) == "InvalidDBInstanceState"


def test_replica_creation_passes_through_aws_statuses(sim, client, walk):
    source = source_db(client)
    sim.latency(True, scale=SCALE)
    replica, _ = cross_region_replica(client, source["DBInstanceArn"])
    assert replica["DBInstanceStatus"] == "creating"
    assert walk(lambda: describe(client, WEST, "app-db-replica")["DBInstanceStatus"]) == ["creating", "backing-up", "available"]


def test_replica_reports_replication_error_while_source_region_is_out(sim, client, replica_pair):
    sim.outage(EAST)
    replica = describe(client, WEST, "app-db-replica")
    assert replica["StatusInfos"][0]["StatusType"] == "read replication"
    assert replica["StatusInfos"][0]["Status"] == "error"
    assert replica["StatusInfos"][0]["Normal"] is False
    assert replica["DBInstanceStatus"] == "available"
    sim.restore(EAST)
    assert describe(client, WEST, "app-db-replica")["StatusInfos"][0]["Status"] == "replicating"


def test_promotion_walks_modifying_rebooting_available_then_detaches(sim, client, replica_pair, walk):
    source, replica = replica_pair
    sim.latency(True, scale=SCALE)
    rds_west = client("rds", WEST)
    answer = rds_west.promote_read_replica(
        DBInstanceIdentifier="app-db-replica", BackupRetentionPeriod=5, PreferredBackupWindow="03:00-03:30"
    )["DBInstance"]
    assert answer["DBInstanceStatus"] == "modifying"

    seen = walk(lambda: describe(client, WEST, "app-db-replica"))
    assert [d["DBInstanceStatus"] for d in seen] == ["modifying", "rebooting", "available"]
    # still a replica until the promotion finishes
    during = [d for d in seen if d["DBInstanceStatus"] != "available"]
    assert all(d["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"] for d in during)

    promoted = seen[-1]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert "StatusInfos" not in promoted
    assert promoted["BackupRetentionPeriod"] == 5
    assert promoted["PreferredBackupWindow"] == "03:00-03:30"
    assert describe(client, EAST, "app-db")["ReadReplicaDBInstanceIdentifiers"] == []


def test_promotion_works_while_source_region_is_out(sim, client, replica_pair, walk):
    sim.outage(EAST)
    sim.latency(True, scale=SCALE)
    client("rds", WEST).promote_read_replica(DBInstanceIdentifier="app-db-replica")
    seen = walk(lambda: describe(client, WEST, "app-db-replica"))
    assert [d["DBInstanceStatus"] for d in seen] == ["modifying", "rebooting", "available"]
    assert seen[0]["StatusInfos"][0]["Status"] == "error"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in seen[-1]
    assert "StatusInfos" not in seen[-1]
    sim.restore(EAST)
    # the old primary's region learnt of it in its own backend while it was out
    assert describe(client, EAST, "app-db")["ReadReplicaDBInstanceIdentifiers"] == []


def test_promoting_a_non_replica_or_a_replica_mid_promotion_is_an_aws_error(sim, client, replica_pair, walk):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", EAST).promote_read_replica(DBInstanceIdentifier="app-db")
    assert error_code(err) == "InvalidDBInstanceState"
    assert "not a read replica" in err.value.response["Error"]["Message"]

    sim.latency(True, scale=SCALE)
    client("rds", WEST).promote_read_replica(DBInstanceIdentifier="app-db-replica")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", WEST).promote_read_replica(DBInstanceIdentifier="app-db-replica")
    assert error_code(err) == "InvalidDBInstanceState"

    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", WEST).promote_read_replica(DBInstanceIdentifier="nope")
    assert error_code(err) == "DBInstanceNotFound"


def test_deleting_an_unpromoted_cross_region_replica_updates_the_source(sim, client, replica_pair):
    deleted = client("rds", WEST).delete_db_instance(DBInstanceIdentifier="app-db-replica", SkipFinalSnapshot=True)
    assert deleted["DBInstance"]["DBInstanceIdentifier"] == "app-db-replica"
    assert client("rds", WEST).describe_db_instances()["DBInstances"] == []
    assert describe(client, EAST, "app-db")["ReadReplicaDBInstanceIdentifiers"] == []


def test_deleting_a_source_promotes_its_replicas(sim, client, replica_pair, walk):
    sim.latency(True, scale=SCALE)
    client("rds", EAST).delete_db_instance(DBInstanceIdentifier="app-db", SkipFinalSnapshot=True)
    seen = walk(lambda: describe(client, WEST, "app-db-replica"))
    assert [d["DBInstanceStatus"] for d in seen] == ["modifying", "rebooting", "available"]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in seen[-1]
    assert "StatusInfos" not in seen[-1]


# parameter groups: how modules fence an old primary -------------------------------------------
def test_read_only_parameter_round_trips_and_attaches(sim, client, replica_pair, walk):
    rds = client("rds", EAST)
    rds.create_db_parameter_group(DBParameterGroupName="fence", DBParameterGroupFamily="mysql8.0", Description="fencing")
    rds.modify_db_parameter_group(
        DBParameterGroupName="fence",
        Parameters=[{"ParameterName": "read_only", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    params = {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName="fence")["Parameters"]}
    assert params["read_only"]["ParameterValue"] == "1"
    assert params["read_only"]["ApplyMethod"] == "immediate"

    sim.latency(True, scale=0.01)  # modifying for 0.6 s
    answer = rds.modify_db_instance(DBInstanceIdentifier="app-db", DBParameterGroupName="fence", ApplyImmediately=True)
    assert answer["DBInstance"]["DBInstanceStatus"] == "modifying"
    seen = walk(lambda: describe(client, EAST, "app-db"))
    assert [d["DBInstanceStatus"] for d in seen] == ["modifying", "available"]
    assert [g["DBParameterGroupName"] for g in seen[-1]["DBParameterGroups"]] == ["fence"]

    rds.modify_db_parameter_group(
        DBParameterGroupName="fence", Parameters=[{"ParameterName": "read_only", "ParameterValue": "0", "ApplyMethod": "immediate"}]
    )
    params = {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName="fence")["Parameters"]}
    assert params["read_only"]["ParameterValue"] == "0"


def test_a_renamed_source_keeps_its_replicas(sim, client, replica_pair):
    east, west = client("rds", EAST), client("rds", WEST)
    east.modify_db_instance(DBInstanceIdentifier="app-db", NewDBInstanceIdentifier="app-db-retired", ApplyImmediately=True)
    renamed = east.describe_db_instances(DBInstanceIdentifier="app-db-retired")["DBInstances"][0]
    replica = west.describe_db_instances()["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == renamed["DBInstanceArn"]
    assert renamed["ReadReplicaDBInstanceIdentifiers"] == [replica["DBInstanceArn"]]
    # the replica renamed too: the source lists its new ARN
    west.modify_db_instance(DBInstanceIdentifier=replica["DBInstanceIdentifier"], NewDBInstanceIdentifier="app-replica-old", ApplyImmediately=True)
    moved = west.describe_db_instances(DBInstanceIdentifier="app-replica-old")["DBInstances"][0]
    assert east.describe_db_instances(DBInstanceIdentifier="app-db-retired")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"] == [moved["DBInstanceArn"]]


def test_reset_parameter_group_lifts_a_user_value(sim, client):
    rds = client("rds", EAST)
    rds.create_db_parameter_group(DBParameterGroupName="fenced", DBParameterGroupFamily="mysql8.0", Description="fencing")
    rds.modify_db_parameter_group(DBParameterGroupName="fenced", Parameters=[
        {"ParameterName": "read_only", "ParameterValue": "1", "ApplyMethod": "immediate"},
        {"ParameterName": "max_connections", "ParameterValue": "50", "ApplyMethod": "immediate"},
    ])
    assert rds.reset_db_parameter_group(DBParameterGroupName="fenced", Parameters=[{"ParameterName": "read_only", "ApplyMethod": "immediate"}])[
        "DBParameterGroupName"] == "fenced"
    user = {p["ParameterName"] for p in rds.describe_db_parameters(DBParameterGroupName="fenced", Source="user")["Parameters"]}
    assert "read_only" not in user and "max_connections" in user
    rds.reset_db_parameter_group(DBParameterGroupName="fenced", ResetAllParameters=True)
    assert rds.describe_db_parameters(DBParameterGroupName="fenced", Source="user")["Parameters"] == []
    for bad, code in (({"DBParameterGroupName": "nope", "ResetAllParameters": True}, "DBParameterGroupNotFound"),
                      ({"DBParameterGroupName": "fenced"}, "InvalidParameterCombination")):
        with pytest.raises(botocore.exceptions.ClientError) as error:
            rds.reset_db_parameter_group(**bad)
        assert error.value.response["Error"]["Code"] == code


def test_describing_a_missing_parameter_group_is_an_aws_error(sim, client):
    rds = client("rds", WEST)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        rds.describe_db_parameter_groups(DBParameterGroupName="nope")
    assert error.value.response["Error"]["Code"] == "DBParameterGroupNotFound"
    rds.create_db_parameter_group(DBParameterGroupName="nope", DBParameterGroupFamily="mysql8.0", Description="now it exists")
    found = rds.describe_db_parameter_groups(DBParameterGroupName="nope")["DBParameterGroups"]
    assert [g["DBParameterGroupName"] for g in found] == ["nope"]


def test_gp3_instances_report_baseline_iops_and_throughput(sim, client):
    rds = client("rds", WEST)
    common = {"DBInstanceClass": "db.t3.micro", "Engine": "mysql", "MasterUsername": "admin", "MasterUserPassword": "secret123456"}
    rds.create_db_instance(DBInstanceIdentifier="small", AllocatedStorage=100, StorageType="gp3", **common)
    rds.create_db_instance(DBInstanceIdentifier="large", AllocatedStorage=400, StorageType="gp3", **common)
    rds.create_db_instance(DBInstanceIdentifier="fast", AllocatedStorage=400, StorageType="gp3", Iops=16000, StorageThroughput=1000, **common)
    rds.create_db_instance(DBInstanceIdentifier="old", AllocatedStorage=100, StorageType="gp2", **common)
    found = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    assert (found["small"]["Iops"], found["small"]["StorageThroughput"]) == (3000, 125)
    assert (found["large"]["Iops"], found["large"]["StorageThroughput"]) == (12000, 500)
    assert (found["fast"]["Iops"], found["fast"]["StorageThroughput"]) == (16000, 1000)
    assert "Iops" not in found["old"] and "StorageThroughput" not in found["old"]


# Aurora global database ----------------------------------------------------------------------
def aurora_cluster(client, region, name, **extra):
    kwargs = {"MasterUsername": "admin", "MasterUserPassword": "secret123456"} if "GlobalClusterIdentifier" not in extra else {}
    return client("rds", region).create_db_cluster(
        DBClusterIdentifier=name, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.05.2", **kwargs, **extra
    )["DBCluster"]


@pytest.fixture
def global_db(sim, client):
    primary = aurora_cluster(client, EAST, "orders-east")
    client("rds", EAST).create_global_cluster(GlobalClusterIdentifier="orders", SourceDBClusterIdentifier=primary["DBClusterArn"])
    secondary = aurora_cluster(client, WEST, "orders-west", GlobalClusterIdentifier="orders")
    return primary["DBClusterArn"], secondary["DBClusterArn"]


def global_cluster(client, region=WEST):
    return client("rds", region).describe_global_clusters(GlobalClusterIdentifier="orders")["GlobalClusters"][0]


def members(gc):
    return {m["DBClusterArn"]: m for m in gc["GlobalClusterMembers"]}


def test_global_database_members_across_regions(sim, client, global_db):
    primary, secondary = global_db
    for region in (EAST, WEST):
        gc = global_cluster(client, region)
        assert gc["Status"] == "available"
        assert "FailoverState" not in gc
        by_arn = members(gc)
        assert by_arn[primary]["IsWriter"] is True
        assert by_arn[primary]["Readers"] == [secondary]
        assert by_arn[secondary]["IsWriter"] is False
        assert by_arn[secondary]["Readers"] == []
    west = client("rds", WEST).describe_db_clusters(DBClusterIdentifier="orders-west")["DBClusters"][0]
    assert west["GlobalClusterIdentifier"] == "orders"


def test_global_cluster_lookups_are_by_identifier(sim, client, global_db):
    client("rds", EAST).create_global_cluster(GlobalClusterIdentifier="other", Engine="aurora-mysql")
    assert [g["GlobalClusterIdentifier"] for g in client("rds", WEST).describe_global_clusters()["GlobalClusters"]] == ["orders", "other"]
    assert global_cluster(client)["GlobalClusterIdentifier"] == "orders"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", WEST).describe_global_clusters(GlobalClusterIdentifier="nope")
    assert error_code(err) == "GlobalClusterNotFoundFault"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        aurora_cluster(client, "eu-west-1", "orders-eu", GlobalClusterIdentifier="nope")
    assert error_code(err) == "GlobalClusterNotFoundFault"


def test_global_cluster_from_a_cluster_outside_us_east_1(sim, client):
    source = aurora_cluster(client, WEST, "eu-primary")
    gc = client("rds", WEST).create_global_cluster(GlobalClusterIdentifier="west-global", SourceDBClusterIdentifier=source["DBClusterArn"])
    assert members(gc["GlobalCluster"])[source["DBClusterArn"]]["IsWriter"] is True
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", WEST).create_global_cluster(GlobalClusterIdentifier="west-global-2", SourceDBClusterIdentifier=source["DBClusterArn"])
    assert error_code(err) == "InvalidDBClusterStateFault"


def test_switchover_swaps_writer_and_shows_failover_state(sim, client, global_db, walk):
    primary, secondary = global_db
    sim.latency(True, scale=0.01)  # available after 1.2 s
    gc = client("rds", EAST).switchover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary)["GlobalCluster"]
    assert gc["Status"] == "switching-over"
    assert gc["FailoverState"] == {
        "Status": "switching-over",
        "FromDbClusterArn": primary,
        "ToDbClusterArn": secondary,
        "IsDataLossAllowed": False,
    }
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", EAST).switchover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary)
    assert error_code(err) == "InvalidGlobalClusterStateFault"

    seen = walk(lambda: global_cluster(client))
    assert [g["Status"] for g in seen] == ["switching-over", "available"]
    done = seen[-1]
    assert "FailoverState" not in done
    by_arn = members(done)
    assert by_arn[secondary]["IsWriter"] is True
    assert by_arn[secondary]["Readers"] == [primary]
    assert by_arn[primary]["IsWriter"] is False  # the old writer stays as a secondary


def test_switchover_needs_the_old_primary_region(sim, client, global_db):
    _, secondary = global_db
    sim.outage(EAST)
    for call in (
        lambda rds: rds.switchover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary),
        lambda rds: rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary),
        lambda rds: rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary, AllowDataLoss=False),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            call(client("rds", WEST))
        assert error_code(err) == "InvalidGlobalClusterStateFault"
    assert members(global_cluster(client))[secondary]["IsWriter"] is False


def test_unplanned_failover_during_primary_region_outage(sim, client, global_db, walk):
    primary, secondary = global_db
    sim.outage(EAST)
    sim.latency(True, scale=0.01)  # available after 0.9 s
    rds = client("rds", WEST)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=secondary, AllowDataLoss=True, Switchover=False)
    assert error_code(err) == "InvalidParameterCombination"

    gc = rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier="orders-west", AllowDataLoss=True)["GlobalCluster"]
    assert gc["Status"] == "failing-over"
    assert gc["FailoverState"]["Status"] == "failing-over"
    assert gc["FailoverState"]["IsDataLossAllowed"] is True
    assert gc["FailoverState"]["ToDbClusterArn"] == secondary

    seen = walk(lambda: global_cluster(client))
    assert [g["Status"] for g in seen] == ["failing-over", "available"]
    by_arn = members(seen[-1])
    assert by_arn[secondary]["IsWriter"] is True
    assert by_arn[primary]["IsWriter"] is False
    assert "FailoverState" not in seen[-1]


def test_failover_errors_like_aws(sim, client, global_db):
    primary, secondary = global_db
    rds = client("rds", WEST)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        rds.failover_global_cluster(GlobalClusterIdentifier="nope", TargetDbClusterIdentifier=secondary, AllowDataLoss=True)
    assert error_code(err) == "GlobalClusterNotFoundFault"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier="missing", AllowDataLoss=True)
    assert error_code(err) == "DBClusterNotFoundFault"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        rds.failover_global_cluster(GlobalClusterIdentifier="orders", TargetDbClusterIdentifier=primary, AllowDataLoss=True)
    assert error_code(err) == "InvalidParameterValue"


def test_remove_from_global_cluster_detaches_a_secondary(sim, client, global_db, walk):
    primary, secondary = global_db
    sim.outage(EAST)  # detaching is how a secondary is promoted when the primary's region is gone
    sim.latency(True, scale=0.01)  # available after 0.6 s
    rds = client("rds", WEST)
    gc = rds.remove_from_global_cluster(GlobalClusterIdentifier="orders", DbClusterIdentifier=secondary)["GlobalCluster"]
    assert gc["GlobalClusterIdentifier"] == "orders"
    seen = walk(lambda: rds.describe_db_clusters(DBClusterIdentifier="orders-west")["DBClusters"][0])
    assert [c["Status"] for c in seen] == ["modifying", "available"]
    assert "GlobalClusterIdentifier" not in seen[-1]
    assert list(members(global_cluster(client))) == [primary]
    sim.restore(EAST)
    # a standalone cluster can be deleted; a member cannot
    client("rds", WEST).delete_db_cluster(DBClusterIdentifier="orders-west", SkipFinalSnapshot=True)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", EAST).delete_db_cluster(DBClusterIdentifier="orders-east", SkipFinalSnapshot=True)
    assert error_code(err) == "InvalidDBClusterStateFault"


def test_remove_primary_with_secondaries_is_refused(sim, client, global_db):
    primary, _ = global_db
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", EAST).remove_from_global_cluster(GlobalClusterIdentifier="orders", DbClusterIdentifier=primary)
    assert error_code(err) == "InvalidGlobalClusterStateFault"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("rds", EAST).remove_from_global_cluster(GlobalClusterIdentifier="nope", DbClusterIdentifier=primary)
    assert error_code(err) == "GlobalClusterNotFoundFault"


def test_deletion_protection_of_a_global_cluster(sim, client):
    rds = client("rds", WEST)
    rds.create_global_cluster(GlobalClusterIdentifier="kept", Engine="aurora-mysql", DeletionProtection=True)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        rds.delete_global_cluster(GlobalClusterIdentifier="kept")
    assert error.value.response["Error"]["Code"] == "InvalidGlobalClusterStateFault"
    answer = rds.modify_global_cluster(GlobalClusterIdentifier="kept", DeletionProtection=False)
    assert answer["GlobalCluster"]["DeletionProtection"] is False
    rds.delete_global_cluster(GlobalClusterIdentifier="kept")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        rds.modify_global_cluster(GlobalClusterIdentifier="kept", DeletionProtection=True)
    assert error.value.response["Error"]["Code"] == "GlobalClusterNotFoundFault"


def test_aurora_instances_report_their_cluster_subnet_group(sim, client):
    subnet_group(client, WEST, "aurora-west")
    aurora_cluster(client, WEST, "orders-west", DBSubnetGroupName="aurora-west")
    rds = client("rds", WEST)
    rds.create_db_instance(DBInstanceIdentifier="orders-west-1", DBClusterIdentifier="orders-west", Engine="aurora-mysql",
                           DBInstanceClass="db.r6g.large")
    instance = describe(client, WEST, "orders-west-1")
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "aurora-west"


def test_engine_versions_resolve_the_major_and_are_never_downgraded(sim, client):
    """RDS: a major version gets its default minor; ModifyDBInstance refuses a downgrade and a major
    upgrade without AllowMajorVersionUpgrade (InvalidParameterCombination)."""
    rds = client("rds", EAST)
    subnet_group(client, EAST, "db-east")
    created = rds.create_db_instance(
        DBInstanceIdentifier="app-db", DBInstanceClass="db.t3.micro", Engine="mysql", EngineVersion="8.0",
        MasterUsername="admin", MasterUserPassword="secret123456", AllocatedStorage=20, DBSubnetGroupName="db-east",
    )["DBInstance"]
    assert created["EngineVersion"] == "8.0.40"
    rds.modify_db_instance(DBInstanceIdentifier="app-db", EngineVersion="8.0.41", ApplyImmediately=True)  # an upgrade
    refused = {
        "8.0.35": "Cannot upgrade mysql from 8.0.41 to 8.0.35",
        "8.0": "Cannot upgrade mysql from 8.0.41 to 8.0.40",
        "5.7.44": "Cannot find upgrade path from 8.0.41 to 5.7.44.",
        "8.4.3": "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
    }
    for version, message in refused.items():
        with pytest.raises(botocore.exceptions.ClientError) as err:
            rds.modify_db_instance(DBInstanceIdentifier="app-db", EngineVersion=version, ApplyImmediately=True)
        error = err.value.response["Error"]
        assert (version, error["Code"], error["Message"]) == (version, "InvalidParameterCombination", message)
    assert rds.describe_db_instances(DBInstanceIdentifier="app-db")["DBInstances"][0]["EngineVersion"] == "8.0.41"
    rds.modify_db_instance(DBInstanceIdentifier="app-db", EngineVersion="8.4.3", AllowMajorVersionUpgrade=True, ApplyImmediately=True)
    assert rds.describe_db_instances(DBInstanceIdentifier="app-db")["DBInstances"][0]["EngineVersion"] == "8.4.3"


def test_promotion_of_a_replica_without_backups_takes_a_first_backup(sim, client, replica_pair, walk):
    """AWS: promoted with backups on, a replica that had none is standalone and writable while backing-up."""
    source, _ = replica_pair
    rds_west = client("rds", WEST)
    rds_west.modify_db_instance(DBInstanceIdentifier="app-db-replica", BackupRetentionPeriod=0, ApplyImmediately=True)
    sim.latency(True, scale=SCALE)
    rds_west.promote_read_replica(DBInstanceIdentifier="app-db-replica", BackupRetentionPeriod=7)
    seen = walk(lambda: describe(client, WEST, "app-db-replica"))
    assert [d["DBInstanceStatus"] for d in seen] == ["modifying", "rebooting", "backing-up", "available"]
    backing_up = seen[2]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in backing_up and "StatusInfos" not in backing_up
    assert seen[1]["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]
