"""S3 replication configuration reads back as it was put (filter, delete markers, KMS objects); object calls as IAM sees them."""

import boto3
import botocore.exceptions
import pytest

ROLE = "arn:aws:iam::123456789012:role/shop-s3-replication"


def test_replication_configuration_round_trips(client):
    east, west = client("s3", "us-east-1"), client("s3", "eu-west-1")
    east.create_bucket(Bucket="shop-data-us-east-1")
    west.create_bucket(Bucket="shop-data-eu-west-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for s3, bucket in ((east, "shop-data-us-east-1"), (west, "shop-data-eu-west-1")):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "ID": "to-eu-west-1",
        "Priority": 2,
        "Status": "Enabled",
        "Filter": {"Prefix": "orders/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {
            "Bucket": "arn:aws:s3:::shop-data-eu-west-1",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:eu-west-1:123456789012:key/mrk-1"},
        },
    }
    east.put_bucket_replication(Bucket="shop-data-us-east-1", ReplicationConfiguration={"Role": ROLE, "Rules": [rule]})
    got = east.get_bucket_replication(Bucket="shop-data-us-east-1")["ReplicationConfiguration"]
    assert got == {"Role": ROLE, "Rules": [rule]}

    unfiltered = {k: v for k, v in rule.items() if k not in ("DeleteMarkerReplication", "SourceSelectionCriteria")}
    unfiltered["Filter"] = {}
    east.put_bucket_replication(Bucket="shop-data-us-east-1", ReplicationConfiguration={"Role": ROLE, "Rules": [unfiltered]})
    (back,) = east.get_bucket_replication(Bucket="shop-data-us-east-1")["ReplicationConfiguration"]["Rules"]
    assert back["Filter"] == {} and back["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert "SourceSelectionCriteria" not in back


def test_object_calls_on_keys_with_slashes_are_named_and_authorized_on_the_object(sim, client):
    """The log (and IAM) name S3's object operations by the object ARN also for keys with slashes ({Key+} spans
    them), and a PUT without a copy source is a PutObject, not a CopyObject."""
    import json

    s3 = client("s3")
    s3.create_bucket(Bucket="shop-data-us-east-1")
    iam = client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="reader", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::shop-data-us-east-1/artifacts/*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = boto3.client("s3", region_name="us-east-1", endpoint_url=sim.endpoint, aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"])
    reader.put_object(Bucket="shop-data-us-east-1", Key="artifacts/app/a.pyz", Body=b"zip")
    assert reader.head_object(Bucket="shop-data-us-east-1", Key="artifacts/app/a.pyz")["ContentLength"] == 3
    assert reader.get_object(Bucket="shop-data-us-east-1", Key="artifacts/app/a.pyz")["Body"].read() == b"zip"
    s3.copy_object(Bucket="shop-data-us-east-1", Key="orders/a.pyz", CopySource="shop-data-us-east-1/artifacts/app/a.pyz")
    with pytest.raises(botocore.exceptions.ClientError, match="s3:GetObject on resource: arn:aws:s3:::shop-data-us-east-1/orders/a.pyz"):
        reader.get_object(Bucket="shop-data-us-east-1", Key="orders/a.pyz")
    logged = [(e["action"], e.get("resources")) for e in sim.log() if e["service"] == "s3" and "Object" in e["action"]]
    arn = ["arn:aws:s3:::shop-data-us-east-1/artifacts/app/a.pyz"]
    assert logged[:3] == [("PutObject", arn), ("HeadObject", arn), ("GetObject", arn)] and logged[3][0] == "CopyObject", logged
