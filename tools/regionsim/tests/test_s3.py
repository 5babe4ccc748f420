"""S3 replication configuration reads back as it was put (filter, delete markers, KMS objects)."""

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
