"""module_utils/rds.py: ARNs, engine families, fencing, roles and promotion states."""

import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import rds

EAST_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders"
WEST_ARN = "arn:aws:rds:us-west-2:123456789012:db:orders"
EU_ARN = "arn:aws:rds:eu-west-1:123456789012:db:orders"


@pytest.mark.parametrize("arn, region", [(EAST_ARN, "us-east-1"), ("orders", None), (None, None), ("arn:aws:iam::123:role/x", None)])
def test_arn_region(arn, region):
    assert rds.arn_region(arn) == region


def test_rds_primary_with_cross_region_replicas():
    role = rds.rds_instance_role({
        "DBInstanceIdentifier": "orders", "DBInstanceArn": EAST_ARN, "DBInstanceStatus": "available", "Engine": "mysql",
        "ReadReplicaDBInstanceIdentifiers": [WEST_ARN, EU_ARN, "orders-local"],
    })
    assert role["role"] == "primary" and role["writable"] is True
    assert role["replica_regions"] == ["eu-west-1", "us-east-1", "us-west-2"]
    assert role["source"] is None and role["source_region"] is None
    assert role["parameter_group"] is None and role["fenceable"] is False  # no custom group to set read_only in
    custom = rds.rds_instance_role({"DBInstanceArn": EAST_ARN, "Engine": "mysql", "DBParameterGroups": [{"DBParameterGroupName": "orders-mysql80"}]})
    assert custom["parameter_group"] == "orders-mysql80" and custom["fenceable"] is True
    default = rds.rds_instance_role({"DBInstanceArn": EAST_ARN, "Engine": "mysql", "DBParameterGroups": [{"DBParameterGroupName": "default.mysql8.0"}]})
    assert default["fenceable"] is False


def test_rds_cross_region_replica_names_its_source_region():
    role = rds.rds_instance_role({
        "DBInstanceIdentifier": "orders", "DBInstanceArn": WEST_ARN, "DBInstanceStatus": "available",
        "ReadReplicaSourceDBInstanceIdentifier": EAST_ARN,
        "StatusInfos": [{"StatusType": "read replication", "Normal": False, "Status": "error", "Message": "stopped"}],
    })
    assert role["role"] == "replica" and role["writable"] is False and role["source_region"] == "us-east-1"
    assert role["replication"] == [{"status_type": "read replication", "normal": False, "status": "error", "message": "stopped"}]


def test_rds_same_region_replica_and_standalone():
    replica = rds.rds_instance_role({"DBInstanceArn": WEST_ARN, "ReadReplicaSourceDBInstanceIdentifier": "orders-main"})
    assert replica["source_region"] == "us-west-2"
    standalone = rds.rds_instance_role({"DBInstanceArn": EU_ARN, "ReadReplicaDBInstanceIdentifiers": []})
    assert standalone["role"] == "standalone" and standalone["writable"] is True


def test_aurora_member_roles():
    east = "arn:aws:rds:us-east-1:123456789012:cluster:orders-east"
    west = "arn:aws:rds:eu-west-1:123456789012:cluster:orders-west"
    roles = rds.aurora_member_roles({"GlobalClusterMembers": [
        {"DBClusterArn": east, "IsWriter": True, "Readers": [west]},
        {"DBClusterArn": west, "IsWriter": False, "SynchronizationStatus": "connected"},
    ]})
    assert roles["us-east-1"]["role"] == "primary" and roles["us-east-1"]["identifier"] == "orders-east"
    assert roles["eu-west-1"] == {"role": "replica", "identifier": "orders-west", "arn": west, "writable": False,
                                  "source": east, "source_region": "us-east-1", "synchronization_status": "connected"}


@pytest.mark.parametrize("reference, location", [
    (EAST_ARN, ("us-east-1", "orders")), ("orders-main", ("us-west-2", "orders-main")),
])
def test_arn_location(reference, location):
    assert rds.arn_location(reference, "us-west-2") == location


@pytest.mark.parametrize("engine, family, fence", [
    ("mysql", "mysql", ("read_only", "1")),
    ("mariadb", "mariadb", ("read_only", "1")),
    ("postgres", "postgres", ("default_transaction_read_only", "on")),
    ("aurora-mysql", None, None),
    ("oracle-ee", None, None),
    (None, None, None),
])
def test_engine_family_and_fence_parameter(engine, family, fence):
    assert rds.engine_family(engine) == family and rds.fence_parameter(engine) == fence


def instance(engine="mysql", group="shop-mysql80", status="available", apply="in-sync", **extra):
    groups = [{"DBParameterGroupName": group, "ParameterApplyStatus": apply}] if group else []
    return dict({"DBInstanceIdentifier": "shop-db", "Engine": engine, "DBInstanceStatus": status, "DBParameterGroups": groups}, **extra)


def test_fence_target_needs_a_custom_group_and_a_fencing_engine():
    assert rds.fence_target(instance()) == ("shop-mysql80", "read_only", "1")
    assert rds.fence_target(instance("postgres", "shop-pg")) == ("shop-pg", "default_transaction_read_only", "on")
    assert rds.fence_target(instance(group="default.mysql8.0")) is None
    assert rds.fence_target(instance(group=None)) is None
    assert rds.fence_target(instance("aurora-mysql")) is None
    assert rds.describe_fence(("shop-mysql80", "read_only", "1")) == "read_only=1 in shop-mysql80"


class FakeRds:
    """describe_db_parameters pages and the parameter group calls, as RDS answers them."""

    def __init__(self, values):
        self.values, self.calls = dict(values), []

    def get_paginator(self, operation):
        assert operation == "describe_db_parameters"
        fake = self

        class Paginator:
            def paginate(self, DBParameterGroupName, Source=None):
                fake.calls.append(("read", DBParameterGroupName, Source))

                class Pages:
                    def build_full_result(self):
                        return {"Parameters": [{"ParameterName": k, "ParameterValue": v} for k, v in fake.values.items()]}
                return Pages()
        return Paginator()

    def modify_db_parameter_group(self, DBParameterGroupName, Parameters, aws_retry):
        self.calls.append(("modify", DBParameterGroupName, Parameters[0]["ParameterName"], Parameters[0]["ParameterValue"]))
        self.values[Parameters[0]["ParameterName"]] = Parameters[0]["ParameterValue"]

    def reset_db_parameter_group(self, DBParameterGroupName, Parameters, aws_retry):
        self.calls.append(("reset", DBParameterGroupName, Parameters[0]["ParameterName"]))
        self.values.pop(Parameters[0]["ParameterName"], None)


def test_set_fence_changes_only_what_differs_and_fence_in_place_sees_it():
    fake = FakeRds({"max_connections": "100"})
    fence = ("shop-mysql80", "read_only", "1")
    assert rds.fence_in_place(fake, instance()) is None
    assert rds.set_fence(fake, fence) is True
    assert ("modify", "shop-mysql80", "read_only", "1") in fake.calls
    assert rds.set_fence(fake, fence) is False  # already set: no second change
    assert [c[0] for c in fake.calls].count("modify") == 1
    assert rds.fence_in_place(fake, instance()) == fence
    assert ("read", "shop-mysql80", "user") in fake.calls  # only values the user set count as a fence
    rds.lift_fence(fake, fence)
    assert rds.fence_in_place(fake, instance()) is None


def test_fence_in_place_reads_through_the_given_call():
    fake = FakeRds({"read_only": "1"})
    through = []
    assert rds.fence_in_place(fake, instance(), call=lambda read: through.append(1) or read()) == ("shop-mysql80", "read_only", "1")
    assert through == [1]
    assert rds.fence_in_place(fake, instance(group="default.mysql8.0")) is None


def test_states():
    assert rds.params_in_sync(instance())
    assert not rds.params_in_sync(instance(apply="pending-reboot"))
    assert not rds.params_in_sync(instance(status="modifying"))
    assert rds.params_status(instance(status="modifying", apply="applying")) == "modifying/applying"
    assert rds.promoted(instance())
    assert not rds.promoted(instance(ReadReplicaSourceDBInstanceIdentifier=EAST_ARN))
    assert not rds.promoted(instance(StatusInfos=[{"StatusType": "read replication", "Status": "replicating"}]))
    assert not rds.promoted(instance(status="modifying"))
    assert rds.instance_role({"ReadReplicaSourceDBInstanceIdentifier": EAST_ARN}) == "replica"
    assert rds.instance_role({"ReadReplicaDBInstanceIdentifiers": [WEST_ARN]}) == "primary"
    assert rds.instance_role({}) == "standalone"


def test_global_writer():
    writer = "arn:aws:rds:us-east-1:123456789012:cluster:orders-east"
    assert rds.global_writer({"GlobalClusterMembers": [{"DBClusterArn": "x", "IsWriter": False}, {"DBClusterArn": writer, "IsWriter": True}]}) == writer
    assert rds.global_writer({}) is None


def test_the_promotion_stamp_is_read_from_the_instance_tags():
    assert rds.promoted_at({"TagList": [{"Key": "Application", "Value": "shop"}, {"Key": rds.PROMOTED_TAG, "Value": "1795600000"}]}) == 1795600000
    assert rds.promoted_at({"TagList": [{"Key": "Application", "Value": "shop"}]}) is None
    assert rds.promoted_at({"TagList": [{"Key": rds.PROMOTED_TAG, "Value": "yesterday"}]}) is None and rds.promoted_at({}) is None
    assert rds.rds_instance_role({"DBInstanceIdentifier": "shop-db", "DBInstanceStatus": "available",
                                  "TagList": [{"Key": rds.PROMOTED_TAG, "Value": "7"}]})["promoted_at"] == 7


def test_expired_retired_reads_the_time_from_the_name_and_leaves_the_rest():
    import datetime

    now = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.timezone.utc)
    instances = [
        {"DBInstanceIdentifier": "shop-db-retired-20261104120000", "DBInstanceStatus": "available"},  # 31 days
        {"db_instance_identifier": "shop-db-retired-20261005120000", "db_instance_status": "available",
         "read_replica_source_db_instance_identifier": "arn:aws:rds:us-east-1:1:db:shop-db"},  # amazon.aws keys, a replica
        {"DBInstanceIdentifier": "shop-db-retired-20261120120000", "DBInstanceStatus": "available"},  # 15 days
        {"DBInstanceIdentifier": "shop-db-retired-20200101000000", "DBInstanceStatus": "deleting"},  # on its way
        {"DBInstanceIdentifier": "shop-db-retired-by-hand"},  # no time in the name
        {"DBInstanceIdentifier": "shop-eu-db-retired-20200101000000"},  # another application's
        {"DBInstanceIdentifier": "shop-db"},
    ]
    found = rds.expired_retired(instances, "shop-db", 30, now)
    assert [(e["identifier"], e["age_days"], e["replica"]) for e in found] == [
        ("shop-db-retired-20261005120000", 61.0, True), ("shop-db-retired-20261104120000", 31.0, False)]
    assert [e["identifier"] for e in rds.expired_retired(instances, "shop-db", 15, now)][-1] == "shop-db-retired-20261120120000"
    assert rds.expired_retired(instances, "shop-db", 0, now) == []  # 0 keeps them forever
    assert rds.retired_at("shop-db-retired-20261305000000", "shop-db") is None  # month 13: not a time
