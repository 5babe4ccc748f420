"""DynamoDB global tables (2019.11.21) behave as in AWS: UpdateTable ReplicaUpdates makes and
removes real replica tables, writes in any member reach the others (last writer wins), and
DescribeTable carries TableId and the Replicas list."""

import pytest
from botocore.exceptions import ClientError


def _table(client, region="us-east-1", name="orders", range_key=False):
    ddb = client("dynamodb", region)
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
    ddb.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return ddb


def _replicate(ddb, *regions, name="orders"):
    return ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": r}} for r in regions])["TableDescription"]


def _get(ddb, pk, name="orders", **key):
    return ddb.get_item(TableName=name, Key={"pk": {"S": pk}, **key}).get("Item")


def test_describe_table_has_table_id(client):
    ddb = _table(client)
    first = ddb.describe_table(TableName="orders")["Table"]
    assert len(first["TableId"]) == 36
    assert ddb.describe_table(TableName="orders")["Table"]["TableId"] == first["TableId"]
    assert "Replicas" not in first


def test_replica_update_creates_replica_table_and_lists_replicas_everywhere(client):
    east = _table(client, range_key=True)
    east.put_item(TableName="orders", Item={"pk": {"S": "before"}, "sk": {"N": "1"}, "v": {"S": "x"}})
    described = _replicate(east, "eu-west-1", "us-west-2")
    assert sorted(r["RegionName"] for r in described["Replicas"]) == ["eu-west-1", "us-west-2"]
    assert described["GlobalTableVersion"] == "2019.11.21"
    west = client("dynamodb", "eu-west-1")
    replica = west.describe_table(TableName="orders")["Table"]
    assert replica["KeySchema"] == described["KeySchema"]
    assert replica["TableStatus"] == "ACTIVE" and replica["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    assert replica["TableId"] != described["TableId"]
    assert replica["Replicas"] == [
        {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
        {"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE"},
    ]
    # existing items are backfilled
    assert _get(west, "before", sk={"N": "1"})["v"] == {"S": "x"}
    with pytest.raises(ClientError) as err:
        _replicate(east, "eu-west-1")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_writes_replicate_in_every_direction(client):
    east = _table(client)
    _replicate(east, "eu-west-1")
    west = client("dynamodb", "eu-west-1")
    east.put_item(TableName="orders", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    assert _get(west, "a")["n"] == {"N": "1"}
    west.update_item(
        TableName="orders", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    assert _get(east, "a")["n"] == {"N": "2"}
    west.batch_write_item(
        RequestItems={"orders": [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(3)] + [{"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]}
    )
    assert _get(east, "a") is None
    assert sorted(i["pk"]["S"] for i in east.scan(TableName="orders")["Items"]) == ["b0", "b1", "b2"]
    east.delete_item(TableName="orders", Key={"pk": {"S": "b0"}})
    assert _get(west, "b0") is None
    # a committed transaction replicates, a cancelled one does not
    east.transact_write_items(TransactItems=[{"Put": {"TableName": "orders", "Item": {"pk": {"S": "t1"}}}}])
    assert _get(west, "t1") is not None
    with pytest.raises(ClientError):
        east.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": "t2"}}}},
                {"ConditionCheck": {"TableName": "orders", "Key": {"pk": {"S": "nope"}}, "ConditionExpression": "attribute_exists(pk)"}},
            ]
        )
    assert _get(east, "t2") is None and _get(west, "t2") is None
    # a table in a third region that is not a replica sees nothing
    _table(client, region="us-west-2")
    assert client("dynamodb", "us-west-2").scan(TableName="orders")["Items"] == []


def test_replication_lag_and_last_writer_wins(sim, client, walk):
    east = _table(client)
    _replicate(east, "eu-west-1")
    west = client("dynamodb", "eu-west-1")
    sim.latency(True, 0.01)
    sim.lag(30, region="eu-west-1", service="dynamodb", resource="orders")  # east -> west: 0.3 s scaled
    east.put_item(TableName="orders", Item={"pk": {"S": "k"}, "v": {"S": "from-east"}})
    assert _get(west, "k") is None  # still on its way
    west.put_item(TableName="orders", Item={"pk": {"S": "k"}, "v": {"S": "from-west"}})  # the later write
    assert _get(east, "k")["v"] == {"S": "from-west"}  # west -> east has no lag
    # a marker written after the older write arrives after it: then the conflict is settled
    east.put_item(TableName="orders", Item={"pk": {"S": "marker"}})
    assert walk(lambda: _get(west, "marker") is not None) == [False, True]
    assert _get(west, "k")["v"] == {"S": "from-west"}  # the older write from east lost
    assert _get(east, "k")["v"] == {"S": "from-west"}


def test_delayed_write_arrives_after_the_lag(sim, client, walk):
    east = _table(client)
    _replicate(east, "eu-west-1")
    west = client("dynamodb", "eu-west-1")
    sim.latency(True, 0.01)
    sim.lag(30, region="eu-west-1", service="dynamodb", resource="orders")  # 0.3 s scaled
    east.put_item(TableName="orders", Item={"pk": {"S": "late"}})
    assert walk(lambda: _get(west, "late") is not None) == [False, True]


def test_replica_statuses_with_latency_model_and_delete(sim, client, walk):
    east = _table(client)
    sim.latency(True, 0.01)
    described = _replicate(east, "eu-west-1")
    assert described["TableStatus"] == "UPDATING"
    assert described["Replicas"] == [{"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"}]
    west = client("dynamodb", "eu-west-1")
    assert west.describe_table(TableName="orders")["Table"]["TableStatus"] == "CREATING"
    assert walk(lambda: east.describe_table(TableName="orders")["Table"]["Replicas"][0]["ReplicaStatus"]) == ["CREATING", "ACTIVE"]
    assert east.describe_table(TableName="orders")["Table"]["TableStatus"] == "ACTIVE"

    east.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert east.describe_table(TableName="orders")["Table"]["Replicas"][0]["ReplicaStatus"] == "DELETING"

    def west_table():
        try:
            return west.describe_table(TableName="orders")["Table"]["TableStatus"]
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ResourceNotFoundException"
            return "gone"

    assert walk(west_table)[-1] == "gone"
    assert "Replicas" not in east.describe_table(TableName="orders")["Table"]
    east.put_item(TableName="orders", Item={"pk": {"S": "after"}})  # no replica left to write to


def test_delete_replica_without_latency_model_and_delete_table_of_a_member(client):
    east = _table(client)
    _replicate(east, "eu-west-1", "us-west-2")
    east.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    assert [r["RegionName"] for r in east.describe_table(TableName="orders")["Table"]["Replicas"]] == ["eu-west-1"]
    with pytest.raises(ClientError) as err:
        client("dynamodb", "us-west-2").describe_table(TableName="orders")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        east.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    client("dynamodb", "eu-west-1").delete_table(TableName="orders")
    assert "Replicas" not in east.describe_table(TableName="orders")["Table"]


def test_replica_is_encrypted_with_the_key_named_for_its_region(client):
    east = client("dynamodb", "us-east-1")
    east.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/mrk-1"},
    )
    west_key = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1"
    east.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1", "KMSMasterKeyId": west_key}}])
    replica = client("dynamodb", "eu-west-1").describe_table(TableName="orders")["Table"]
    assert replica["SSEDescription"]["KMSMasterKeyArn"] == west_key
    (listed,) = east.describe_table(TableName="orders")["Table"]["Replicas"]
    assert (listed["RegionName"], listed["KMSMasterKeyId"]) == ("eu-west-1", west_key)
