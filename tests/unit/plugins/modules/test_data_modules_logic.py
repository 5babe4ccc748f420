"""Pure logic of the data modules: dynamodb_global_table (schema, settled), s3_bucket_replication (the
configuration built from rules) and cloudfront_failover_distribution (what is compared for idempotence)."""

import copy

from ansible_collections.multiregion.dr.plugins.modules.cloudfront_failover_distribution import desired_parts, summary
from ansible_collections.multiregion.dr.plugins.modules.dynamodb_global_table import key_schema, schema_of, settled
from ansible_collections.multiregion.dr.plugins.modules.s3_bucket_replication import desired

WEST_KEY = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1"


def test_key_schema_with_and_without_sort_key():
    params = {"hash_key_name": "pk", "hash_key_type": "S", "range_key_name": None, "range_key_type": "N"}
    schema, attributes = key_schema(params)
    assert schema == [{"AttributeName": "pk", "KeyType": "HASH"}] and attributes == [{"AttributeName": "pk", "AttributeType": "S"}]
    schema, attributes = key_schema(dict(params, range_key_name="sk"))
    table = {"KeySchema": schema, "AttributeDefinitions": attributes}
    assert schema_of(table) == [("pk", "HASH", "S"), ("sk", "RANGE", "N")]


def test_settled_needs_every_member_active_and_the_right_regions():
    table = {"TableStatus": "ACTIVE", "Replicas": [{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]}
    assert settled(table) and settled(table, ["eu-west-1"])
    assert not settled(table, ["eu-west-1", "us-west-2"])
    assert not settled(dict(table, TableStatus="UPDATING"))
    assert not settled({"TableStatus": "ACTIVE", "Replicas": [{"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"}]})
    assert not settled(None)


def test_replication_configuration_from_rules():
    rule = {"id": "to-eu-west-1", "destination_bucket": "shop-data-eu-west-1", "priority": None, "prefix": "",
            "replica_kms_key_arn": WEST_KEY, "storage_class": None, "replication_time_control": True,
            "delete_marker_replication": False}
    plain = dict(rule, id="plain", replica_kms_key_arn=None, replication_time_control=False, prefix="logs/")
    config = desired({"role_arn": "arn:aws:iam::123456789012:role/r", "rules": [rule, plain]})
    first, second = config["Rules"]
    assert (first["Priority"], second["Priority"]) == (1, 2)
    assert first["Destination"] == {
        "Bucket": "arn:aws:s3:::shop-data-eu-west-1",
        "EncryptionConfiguration": {"ReplicaKmsKeyID": WEST_KEY},
        "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
        "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
    }
    assert first["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}} and first["Filter"] == {}
    assert "SourceSelectionCriteria" not in second and second["Filter"] == {"Prefix": "logs/"}
    assert second["DeleteMarkerReplication"] == {"Status": "Disabled"}


PARAMS = {
    "origins": [{"id": r, "domain_name": f"origin-{r}.example.com", "https_port": 443, "read_timeout": 30}
                for r in ("us-east-1", "us-west-2", "eu-west-1")],
    "origin_group_id": "failover", "primary_origin": "us-east-1", "secondary_origin": "us-west-2",
    "failover_status_codes": [504, 500, 502, 503], "viewer_protocol_policy": "redirect-to-https",
    "cache_policy_id": "c", "origin_request_policy_id": "o", "comment": "shop", "price_class": "PriceClass_All", "enabled": True,
    "write_path_patterns": None, "write_origin": None,
}


def test_distribution_summary_ignores_what_cloudfront_adds_and_sees_member_changes():
    want = desired_parts(PARAMS)
    # CloudFront returns more fields, numbers as given and origins in its own order
    returned = copy.deepcopy(want)
    returned["Origins"]["Items"].reverse()
    returned["DefaultCacheBehavior"]["ForwardedValues"] = {"QueryString": False}
    returned["Logging"] = {"Enabled": False}
    assert summary(returned) == summary(want)
    assert want["OriginGroups"]["Items"][0]["FailoverCriteria"]["StatusCodes"]["Items"] == [500, 502, 503, 504]
    swapped = desired_parts(dict(PARAMS, primary_origin="us-west-2", secondary_origin="us-east-1"))
    assert summary(swapped) != summary(want)
    assert summary(desired_parts(dict(PARAMS, enabled=False))) != summary(want)
    # the writes' behaviors: kept when not given, compared by path, origin and methods
    writes = desired_parts(dict(PARAMS, write_path_patterns=["/api/*"], write_origin="us-east-1"))
    assert summary(writes)["write_behaviors"] == [("/api/*", "us-east-1", ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"))]
    assert summary(desired_parts(PARAMS, writes)) == summary(writes) != summary(want)
