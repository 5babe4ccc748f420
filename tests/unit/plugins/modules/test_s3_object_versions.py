"""s3_object_versions: which versions it finds (every version and delete marker of the matching keys, nothing else)."""

import boto3
from moto import mock_aws

from ansible_collections.multiregion.dr.plugins.modules.s3_object_versions import versions

ARTIFACT = r"artifacts/[A-Za-z_][A-Za-z0-9_]*-[0-9a-f]{64}\.pyz"


@mock_aws
def test_every_version_and_delete_marker_of_the_matching_keys_only():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="shop-data")
    s3.put_bucket_versioning(Bucket="shop-data", VersioningConfiguration={"Status": "Enabled"})
    old, new = "artifacts/regionapp-" + "a" * 64 + ".pyz", "artifacts/regionapp-" + "b" * 64 + ".pyz"
    for key in (old, old, new, "artifacts/notes.txt", "orders.csv"):
        s3.put_object(Bucket="shop-data", Key=key, Body=b"x")
    s3.delete_object(Bucket="shop-data", Key=old)  # a delete marker on top of its two versions
    found = versions(s3, "shop-data", "artifacts/", ARTIFACT)
    assert sorted((v["key"], v["delete_marker"]) for v in found) == [(old, False), (old, False), (old, True), (new, False)]
    assert len(versions(s3, "shop-data", "artifacts/", None)) == 5  # the notes too, never what lies outside the prefix
    assert versions(s3, "shop-missing", "artifacts/", ARTIFACT) is None
