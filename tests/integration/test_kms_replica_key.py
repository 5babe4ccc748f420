"""multiregion.dr.kms_replica_key against the simulator: replicate, alias per region, idempotence,
check mode, bad input, deletion."""


def primary_key(aws):
    kms = aws("kms", "us-east-1")
    key = kms.create_key(MultiRegion=True, Description="shop data")["KeyMetadata"]
    kms.create_alias(AliasName="alias/shop-data", TargetKeyId=key["KeyId"])
    return key


def args(key, **extra):
    return {"primary_key_arn": key["Arn"], "alias": "shop-data", "region": "eu-west-1", "poll_interval": 0.2, **extra}


def test_replica_with_its_own_alias_idempotent_and_decrypting(module, aws):
    key = primary_key(aws)
    planned = module("kms_replica_key", args(key), check=True, diff=True)
    assert planned["changed"] and not planned.get("failed")
    assert any("replicate" in step for step in planned["plan"])
    assert aws("kms", "eu-west-1").list_aliases()["Aliases"] == [] or all(
        a["AliasName"] != "alias/shop-data" for a in aws("kms", "eu-west-1").list_aliases()["Aliases"]
    ), "check mode must change nothing"

    made = module("kms_replica_key", args(key), diff=True)
    assert made["changed"] and made["key_state"] == "Enabled", made
    assert made["multi_region_configuration"]["multi_region_key_type"] == "REPLICA"
    assert made["diff"]["before"]["replica"] is False and made["diff"]["after"]["replica"] is True

    eu = aws("kms", "eu-west-1")
    meta = eu.describe_key(KeyId="alias/shop-data")["KeyMetadata"]
    assert meta["KeyId"] == key["KeyId"] and meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    # the key material is shared: a ciphertext from us-east-1 decrypts in eu-west-1
    blob = aws("kms", "us-east-1").encrypt(KeyId=key["KeyId"], Plaintext=b"order 42")["CiphertextBlob"]
    assert eu.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"])["Plaintext"] == b"order 42"

    again = module("kms_replica_key", args(key))
    assert again["changed"] is False and again["plan"] == []


def test_bad_input_fails_before_any_change(module, aws):
    key = primary_key(aws)
    same_region = module("kms_replica_key", args(key, region="us-east-1"))
    assert same_region["failed"] and "us-east-1" in same_region["msg"] and "another region" in same_region["msg"]
    not_mrk = module("kms_replica_key", {"primary_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1234", "region": "eu-west-1"})
    assert not_mrk["failed"] and "key/1234" in not_mrk["msg"] and "mrk-" in not_mrk["msg"]
    window = module("kms_replica_key", args(key, state="absent", pending_window=3))
    assert window["failed"] and "pending_window=3" in window["msg"]
    assert aws("kms", "eu-west-1").list_keys()["Keys"] == []


def test_absent_schedules_deletion_and_throttling_is_retried(module, aws, sim):
    key = primary_key(aws)
    sim.fault("throttle", probability=0.3, service="kms")
    sim.fault("throttle", probability=1.0, service="kms", count=2)  # the first calls surely throttled
    assert module("kms_replica_key", args(key))["changed"]
    gone = module("kms_replica_key", args(key, state="absent"))
    assert gone["changed"] and gone["key_state"] == "PendingDeletion", gone
    sim.clear_faults()
    assert aws("kms", "eu-west-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert module("kms_replica_key", args(key, state="absent"))["changed"] is False
    assert any(e.get("fault") == "throttle" for e in sim.log())
