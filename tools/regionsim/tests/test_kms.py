"""KMS multi-Region keys behave as in AWS: replicas say REPLICA, aliases are per region,
mrk- ciphertexts decrypt in every member region, UpdatePrimaryRegion moves the primary."""

import pytest
from botocore.exceptions import ClientError


def _mrk(client):
    primary = client("kms", "us-east-1")
    key = primary.create_key(MultiRegion=True, Description="dr key")["KeyMetadata"]
    replica = primary.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1", Description="dr key replica")
    return key, replica


def test_replicate_key_metadata_says_replica_in_both_regions(client):
    key, replica = _mrk(client)
    meta = replica["ReplicaKeyMetadata"]
    assert meta["KeyId"] == key["KeyId"] and meta["KeyId"].startswith("mrk-")
    assert meta["Arn"] == key["Arn"].replace("us-east-1", "eu-west-1")
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert meta["Description"] == "dr key replica"

    east = client("kms", "us-east-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    west = client("kms", "eu-west-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert east["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert west["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    for config in (east["MultiRegionConfiguration"], west["MultiRegionConfiguration"]):
        assert config["PrimaryKey"] == {"Arn": key["Arn"], "Region": "us-east-1"}
        assert config["ReplicaKeys"] == [{"Arn": meta["Arn"], "Region": "eu-west-1"}]
    # describing the replica must not turn the primary into a replica
    east = client("kms", "us-east-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert east["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert east["Description"] == "dr key"


def test_replicate_twice_or_from_replica_or_single_region_key_fails(client):
    key, _ = _mrk(client)
    with pytest.raises(ClientError) as err:
        client("kms", "us-east-1").replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    assert err.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as err:
        client("kms", "eu-west-1").replicate_key(KeyId=key["KeyId"], ReplicaRegion="us-west-2")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"
    plain = client("kms", "us-east-1").create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        client("kms", "us-east-1").replicate_key(KeyId=plain, ReplicaRegion="eu-west-1")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"


def test_aliases_are_per_region(client):
    key, _ = _mrk(client)
    east, west = client("kms", "us-east-1"), client("kms", "eu-west-1")
    east.create_alias(AliasName="alias/dr", TargetKeyId=key["KeyId"])
    assert "alias/dr" not in [a["AliasName"] for a in west.list_aliases()["Aliases"]]
    with pytest.raises(ClientError) as err:
        west.describe_key(KeyId="alias/dr")
    assert err.value.response["Error"]["Code"] == "NotFoundException"
    west.create_alias(AliasName="alias/dr", TargetKeyId=key["KeyId"])
    west_alias = [a for a in west.list_aliases()["Aliases"] if a["AliasName"] == "alias/dr"][0]
    assert west_alias["AliasArn"].startswith("arn:aws:kms:eu-west-1:")
    east.delete_alias(AliasName="alias/dr")
    assert west.describe_key(KeyId="alias/dr")["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_mrk_encrypt_decrypt_across_regions(client):
    key, replica = _mrk(client)
    east, west = client("kms", "us-east-1"), client("kms", "eu-west-1")
    blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext={"app": "dr"})["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "dr"})["Plaintext"] == b"secret"
    out = west.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionContext={"app": "dr"})
    assert out["Plaintext"] == b"secret"
    assert out["KeyId"] == replica["ReplicaKeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        west.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "other"})
    assert err.value.response["Error"]["Code"] == "InvalidCiphertextException"
    # a region without the key cannot decrypt
    with pytest.raises(ClientError) as err:
        client("kms", "us-west-2").decrypt(CiphertextBlob=blob, EncryptionContext={"app": "dr"})
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    # data keys from the replica decrypt with the primary
    data = west.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert east.decrypt(CiphertextBlob=data["CiphertextBlob"])["Plaintext"] == data["Plaintext"]
    # single-Region keys keep working
    plain = east.create_key()["KeyMetadata"]["KeyId"]
    blob = east.encrypt(KeyId=plain, Plaintext=b"x")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with pytest.raises(ClientError) as err:
        east.decrypt(CiphertextBlob=b"garbage-that-is-long-enough-to-look-like-a-blob-" * 2)
    assert err.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_update_primary_region(client):
    key, replica = _mrk(client)
    east, west = client("kms", "us-east-1"), client("kms", "eu-west-1")
    with pytest.raises(ClientError) as err:
        east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="us-west-2")
    assert err.value.response["Error"]["Code"] == "NotFoundException"
    east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="eu-west-1")
    west_meta = west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    east_meta = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert west_meta["MultiRegionKeyType"] == "PRIMARY"
    assert east_meta["MultiRegionKeyType"] == "REPLICA"
    for config in (west_meta, east_meta):
        assert config["PrimaryKey"] == {"Arn": replica["ReplicaKeyMetadata"]["Arn"], "Region": "eu-west-1"}
        assert config["ReplicaKeys"] == [{"Arn": key["Arn"], "Region": "us-east-1"}]
    # the old primary is now a replica: it can no longer replicate or move the primary
    with pytest.raises(ClientError) as err:
        east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="eu-west-1")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"
    # the new primary can replicate further, and every member lists the new replica
    west.replicate_key(KeyId=key["KeyId"], ReplicaRegion="us-west-2")
    regions = [r["Region"] for r in east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]]
    assert regions == ["us-east-1", "us-west-2"]


def test_schedule_key_deletion_answers_like_aws(client):
    kms = client("kms", "us-east-1")
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]
    answer = kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7)  # an ARN, as amazon.aws passes
    assert answer["KeyState"] == "PendingDeletion"
    assert answer["KeyId"] == key["Arn"] and answer["PendingWindowInDays"] == 7
