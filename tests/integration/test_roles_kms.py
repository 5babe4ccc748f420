"""roles/kms over the three regions of inventories/local, checked through boto3."""

import json

import pytest

INVENTORY = "inventories/local"


@pytest.mark.slow(50)
def test_kms_role_primary_replicas_aliases_policy(playbook, aws):
    dry = playbook("tests/integration/playbooks/kms.yml", inventory=INVENTORY, check=True)
    assert dry.rc == 0, dry.stderr
    assert aws("kms", "us-east-1").list_keys()["Keys"] == []

    first = playbook("tests/integration/playbooks/kms.yml", inventory=INVENTORY)
    assert first.rc == 0, first.stderr
    primary = aws("kms", "us-east-1").describe_key(KeyId="alias/shop-data")["KeyMetadata"]
    assert primary["MultiRegion"] and primary["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    replicas = {r["Region"] for r in primary["MultiRegionConfiguration"]["ReplicaKeys"]}
    assert replicas == {"us-west-2", "eu-west-1"}
    for region in ("us-west-2", "eu-west-1"):
        meta = aws("kms", region).describe_key(KeyId="alias/shop-data")["KeyMetadata"]
        assert meta["KeyId"] == primary["KeyId"] and meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    policy = json.loads(aws("kms", "eu-west-1").get_key_policy(KeyId=primary["KeyId"], PolicyName="default")["Policy"])
    use = next(s for s in policy["Statement"] if s["Sid"] == "UseThroughAwsServicesOnly")
    assert "kms:*" not in json.dumps(policy)
    assert "rds.eu-west-1.amazonaws.com" in use["Condition"]["StringEquals"]["kms:ViaService"]

    again = playbook("tests/integration/playbooks/kms.yml", inventory=INVENTORY)
    assert again.rc == 0 and again.changed() == 0, again.stats
    checked = playbook("tests/integration/playbooks/kms.yml", inventory=INVENTORY, check=True)
    assert checked.rc == 0 and checked.changed() == 0, checked.stats


def test_existing_single_region_key_with_the_alias_is_refused(playbook, aws):
    kms = aws("kms", "us-east-1")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/shop-data", TargetKeyId=key["KeyId"])
    run = playbook("tests/integration/playbooks/kms.yml", inventory=INVENTORY)
    assert run.rc != 0
    failure = run.result("kms : An existing key with the alias must be a multi-Region primary", host="us-east-1")
    assert "not a multi-Region key" in failure["msg"] and key["KeyId"] in failure["msg"]
    assert aws("kms", "eu-west-1").list_keys()["Keys"] == []
