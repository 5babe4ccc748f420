"""Snapshots: save every resource under a name, change or delete them, load the snapshot back (any number of
times, each a fresh copy); loading resets outages, faults and lag; reset keeps the snapshots."""

import pytest
from botocore.exceptions import ClientError

from regionsim.control import SimError


@pytest.fixture(autouse=True)
def no_snapshots_left(sim):
    # the simulators of one test process share moto's backends and the snapshots: keep the others' (tests/)
    yield
    for name in set(sim.snapshots()) & {"provisioned-here", "busy"}:
        sim.delete_snapshot(name)


def stack(client):
    """A little of everything a provision makes, with cross-region links and the patches' own state."""
    rds = client("rds")
    rds.create_db_instance(DBInstanceIdentifier="db", Engine="mysql", DBInstanceClass="db.t3.micro",
                           MasterUsername="admin", MasterUserPassword="secret123", AllocatedStorage=20)
    arn = rds.describe_db_instances()["DBInstances"][0]["DBInstanceArn"]
    client("rds", "eu-west-1").create_db_instance_read_replica(DBInstanceIdentifier="db", SourceDBInstanceIdentifier=arn)
    ddb = client("dynamodb")
    ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_table(TableName="t", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    ddb.put_item(TableName="t", Item={"pk": {"S": "saved"}})
    client("ssm", "us-west-2").put_parameter(Name="/app/active_region", Value="us-east-1", Type="String")
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    change = r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "api.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}}]})["ChangeInfo"]["Id"]
    return zone, change


def test_save_change_load_twice(sim, client):
    zone, change = stack(client)
    saved = sim.save_snapshot("provisioned-here")
    assert {"rds", "dynamodb", "ssm", "route53"} <= set(saved["backends"])
    assert "provisioned-here" in sim.snapshots()

    # after the snapshot: a promotion, a deleted table, a new parameter value, an outage and a fault
    west = client("rds", "eu-west-1")
    west.promote_read_replica(DBInstanceIdentifier="db")
    client("dynamodb").delete_table(TableName="t")
    client("ssm", "us-west-2").put_parameter(Name="/app/active_region", Value="eu-west-1", Type="String", Overwrite=True)
    sim.outage("us-east-1")
    sim.fault("throttle", service="sqs")

    for _ in range(2):
        sim.load_snapshot("provisioned-here")
        status = sim.status()
        assert status["outages"] == {} and status["faults"] == [] and status["requests_logged"] == 0
        replica = west.describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:db")
        source = client("rds").describe_db_instances(DBInstanceIdentifier="db")["DBInstances"][0]
        assert source["ReadReplicaDBInstanceIdentifiers"] == [replica["DBInstanceArn"]]
        # the global table is whole again and still replicates (the patches' state came back with it)
        assert [r["RegionName"] for r in client("dynamodb").describe_table(TableName="t")["Table"]["Replicas"]] == ["eu-west-1"]
        assert client("dynamodb", "eu-west-1").get_item(TableName="t", Key={"pk": {"S": "saved"}})["Item"]
        client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "after-load"}})
        assert client("dynamodb", "eu-west-1").get_item(TableName="t", Key={"pk": {"S": "after-load"}})["Item"]
        assert client("ssm", "us-west-2").get_parameter(Name="/app/active_region")["Parameter"]["Value"] == "us-east-1"
        assert client("route53").get_change(Id=change)["ChangeInfo"]["Status"] == "INSYNC"
        # a change to the loaded copy does not reach the snapshot: the next load is as saved
        west.promote_read_replica(DBInstanceIdentifier="db")
        client("ssm", "us-west-2").delete_parameter(Name="/app/active_region")

    # reset forgets the resources, not the snapshots
    sim.reset()
    with pytest.raises(ClientError):
        client("dynamodb").describe_table(TableName="t")
    assert "provisioned-here" in sim.snapshots()
    sim.delete_snapshot("provisioned-here")
    assert "provisioned-here" not in sim.snapshots()


def test_s3_objects_keep_their_bytes_through_resets_and_loads(sim, client):
    # moto's S3 reset closes the file of every key it tracks: a snapshot's keys, and a loaded copy's, must not be
    s3 = client("s3")
    s3.create_bucket(Bucket="shop-data-us-east-1")
    s3.put_object(Bucket="shop-data-us-east-1", Key="artifacts/app.pyz", Body=b"zip bytes")
    sim.save_snapshot("provisioned-here")
    for _ in range(2):
        sim.reset()
        sim.load_snapshot("provisioned-here")
        assert s3.get_object(Bucket="shop-data-us-east-1", Key="artifacts/app.pyz")["Body"].read() == b"zip bytes"


def test_unknown_or_unnamed_snapshot_is_refused(sim):
    with pytest.raises(SimError, match="no snapshot named 'nope'; saved: "):
        sim.load_snapshot("nope")
    with pytest.raises(SimError, match="a snapshot needs a name"):
        sim.save_snapshot("")
    with pytest.raises(SimError, match="no snapshot named 'nope'"):
        sim.delete_snapshot("nope")


def test_save_waits_for_no_status_change_to_be_due(sim, client):
    sim.latency(True, scale=1.0)
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="example.org", CallerReference="z")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "a.example.org", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}}]})
    with pytest.raises(SimError, match="status changes are still due"):
        sim.save_snapshot("busy")
    assert "busy" not in sim.snapshots()
