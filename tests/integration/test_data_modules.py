"""multiregion.dr.dynamodb_global_table, s3_bucket_replication and cloudfront_failover_distribution against
the simulator: check mode, idempotence, diff, bad input before any change, throttling, and waits on the
latency model. AWS state is read back through boto3."""

import pytest

WEST_KEY = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1"
TABLE = {"region": "us-east-1", "name": "shop-sessions", "hash_key_name": "session_id", "poll_interval": 0.1}
REPLICAS = [{"region": "us-west-2"}, {"region": "eu-west-1"}]


def test_global_table_check_create_rerun_and_remove(module, aws):
    args = dict(TABLE, replicas=REPLICAS, tags={"Application": "shop"})
    planned = module("dynamodb_global_table", args, check=True)
    assert planned["changed"] and "add replica in eu-west-1" in planned["plan"], planned
    assert aws("dynamodb").list_tables()["TableNames"] == []

    made = module("dynamodb_global_table", args, diff=True)
    assert made["changed"] and made["diff"]["after"]["replicas"] == ["eu-west-1", "us-west-2"], made
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        pitr = aws("dynamodb", region).describe_continuous_backups(TableName="shop-sessions")["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    again = module("dynamodb_global_table", args)
    assert not again["changed"] and again["plan"] == [], again

    gone = module("dynamodb_global_table", dict(TABLE, state="absent"))
    assert gone["changed"] and gone["table_status"] == "absent"
    assert all(aws("dynamodb", r).list_tables()["TableNames"] == [] for r in ("us-east-1", "us-west-2", "eu-west-1"))
    assert not module("dynamodb_global_table", dict(TABLE, state="absent"))["changed"]


def test_global_table_waits_for_replicas_and_a_short_timeout_resumes(module, aws, sim):
    sim.latency(True, 0.01)  # a replica: CREATING for 3 s
    short = module("dynamodb_global_table", dict(TABLE, replicas=REPLICAS, wait_timeout=1))
    assert short["failed"] and "rerun" in short["msg"], short
    done = module("dynamodb_global_table", dict(TABLE, replicas=REPLICAS, wait_timeout=60))
    assert not done.get("failed"), done
    assert "UPDATING" in done["statuses_seen"] and done["statuses_seen"][-1] == "ACTIVE", done
    replicas = aws("dynamodb").describe_table(TableName="shop-sessions")["Table"]["Replicas"]
    assert sorted((r["RegionName"], r["ReplicaStatus"]) for r in replicas) == [("eu-west-1", "ACTIVE"), ("us-west-2", "ACTIVE")]


def test_global_table_survives_throttling(module, aws, sim):
    sim.fault("throttle", probability=0.3, service="dynamodb")
    sim.fault("throttle", probability=1.0, service="dynamodb", count=2)  # the first calls surely throttled
    made = module("dynamodb_global_table", dict(TABLE, replicas=REPLICAS))
    assert not made.get("failed"), made
    sim.clear_faults()
    assert len(aws("dynamodb").describe_table(TableName="shop-sessions")["Table"]["Replicas"]) == 2
    assert any(e.get("fault") == "throttle" for e in sim.log())


@pytest.mark.parametrize(
    "args, named",
    [
        (dict(TABLE, replicas=[{"region": "us-east-1"}]), "replicas[].region='us-east-1'"),
        (dict(TABLE, replicas=[{"region": "us-moon-1"}]), "us-moon-1"),
        (dict(TABLE, kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/mrk-1", replicas=[{"region": "eu-west-1"}]), "eu-west-1"),
    ],
    ids=["own-region", "unknown-region", "replica-without-key"],
)
def test_global_table_bad_input_fails_before_any_change(module, aws, args, named):
    result = module("dynamodb_global_table", args)
    assert result["failed"] and named in result["msg"], result
    assert aws("dynamodb").list_tables()["TableNames"] == []


def test_global_table_refuses_another_key_schema(module, aws):
    module("dynamodb_global_table", TABLE)
    result = module("dynamodb_global_table", dict(TABLE, hash_key_name="id"))
    assert result["failed"] and "key schema" in result["msg"], result


def _buckets(aws, versioned=True):
    for region in ("us-east-1", "eu-west-1"):
        s3 = aws("s3", region)
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=f"shop-data-{region}", **extra)
        if versioned:
            s3.put_bucket_versioning(Bucket=f"shop-data-{region}", VersioningConfiguration={"Status": "Enabled"})


REPLICATION = {
    "region": "us-east-1", "bucket": "shop-data-us-east-1", "role_arn": "arn:aws:iam::123456789012:role/shop-s3-replication",
    "rules": [{"id": "to-eu-west-1", "destination_bucket": "shop-data-eu-west-1", "replica_kms_key_arn": WEST_KEY,
               "replication_time_control": True}],
}


def test_replication_check_set_rerun_and_remove(module, aws):
    _buckets(aws)
    assert module("s3_bucket_replication", REPLICATION, check=True)["changed"]
    s3 = aws("s3")
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_replication(Bucket="shop-data-us-east-1")
    made = module("s3_bucket_replication", REPLICATION, diff=True)
    assert made["changed"] and made["diff"]["before"] == {}, made
    (rule,) = s3.get_bucket_replication(Bucket="shop-data-us-east-1")["ReplicationConfiguration"]["Rules"]
    assert rule["Destination"]["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert not module("s3_bucket_replication", REPLICATION)["changed"]
    assert module("s3_bucket_replication", dict(REPLICATION, state="absent"))["changed"]
    assert not module("s3_bucket_replication", dict(REPLICATION, state="absent"))["changed"]


def test_replication_refuses_an_unversioned_bucket(module, aws):
    _buckets(aws, versioned=False)
    result = module("s3_bucket_replication", REPLICATION)
    assert result["failed"] and "shop-data-us-east-1 has versioning" in result["msg"], result


DISTRIBUTION = {
    "caller_reference": "shop-cdn", "comment": "shop", "poll_interval": 0.1,
    "origins": [{"id": r, "domain_name": f"origin-{r}.shop.example.com"} for r in ("us-east-1", "us-west-2", "eu-west-1")],
    "primary_origin": "us-east-1", "secondary_origin": "us-west-2", "tags": {"Application": "shop"},
}


def test_distribution_create_rerun_failover_change_and_delete(module, aws, sim):
    cf = aws("cloudfront")
    assert module("cloudfront_failover_distribution", DISTRIBUTION, check=True)["changed"]
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0
    sim.latency(True, 0.002)  # deployment: 0.6 s
    made = module("cloudfront_failover_distribution", DISTRIBUTION)
    assert made["changed"] and made["statuses_seen"][-1] == "Deployed", made
    assert not module("cloudfront_failover_distribution", DISTRIBUTION)["changed"]

    moved = module("cloudfront_failover_distribution", dict(DISTRIBUTION, primary_origin="us-west-2", secondary_origin="eu-west-1"), diff=True)
    assert moved["changed"] and moved["statuses_seen"] == ["InProgress", "Deployed"], moved
    config = cf.get_distribution_config(Id=made["distribution_id"])["DistributionConfig"]
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["us-west-2", "eu-west-1"]

    # A failover names only the members: the origins are kept, and it need not wait for the deployment
    members_only = {"caller_reference": "shop-cdn", "primary_origin": "eu-west-1", "secondary_origin": "us-east-1", "wait": False}
    bad = module("cloudfront_failover_distribution", dict(members_only, secondary_origin="standby"))
    assert bad["failed"] and "secondary_origin='standby' is not one of the origins: us-east-1, us-west-2, eu-west-1" in bad["msg"], bad
    switched = module("cloudfront_failover_distribution", members_only)
    assert switched["changed"] and switched["status"] == "InProgress" and switched["statuses_seen"] == [], switched
    config = cf.get_distribution_config(Id=made["distribution_id"])["DistributionConfig"]
    assert [m["OriginId"] for m in config["OriginGroups"]["Items"][0]["Members"]["Items"]] == ["eu-west-1", "us-east-1"]
    assert [o["DomainName"] for o in config["Origins"]["Items"]] == [o["domain_name"] for o in DISTRIBUTION["origins"]]
    assert config["Comment"] == "shop"
    assert not module("cloudfront_failover_distribution", dict(members_only, comment="shop"))["changed"]

    gone = module("cloudfront_failover_distribution", {"caller_reference": "shop-cdn", "state": "absent", "poll_interval": 0.1})
    assert gone["changed"] and "InProgress" in gone["statuses_seen"], gone
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0


def test_writes_get_a_behavior_of_their_own_that_a_failover_leaves_alone(module, aws):
    """CloudFront forwards only GET, HEAD and OPTIONS to an origin group: writes go to the application's DNS name."""
    writes = dict(DISTRIBUTION, origins=DISTRIBUTION["origins"] + [{"id": "writes", "domain_name": "api.shop.example.com"}],
                  write_path_patterns=["/api/*", "/orders"], write_origin="writes")
    refused = module("cloudfront_failover_distribution", dict(writes, write_origin="failover"))
    assert refused["failed"] and "write_origin='failover': CloudFront forwards only GET, HEAD and OPTIONS to an origin group" in refused["msg"]
    made = module("cloudfront_failover_distribution", writes)
    assert made["changed"] and not module("cloudfront_failover_distribution", writes)["changed"]

    def behaviors():
        config = aws("cloudfront").get_distribution_config(Id=made["distribution_id"])["DistributionConfig"]
        return [(b["PathPattern"], b["TargetOriginId"], len(b["AllowedMethods"]["Items"])) for b in config["CacheBehaviors"].get("Items") or []]

    assert behaviors() == [("/api/*", "writes", 7), ("/orders", "writes", 7)]
    # a failover moves the group's members only: the writes follow DNS, their behaviors stay as they are
    moved = module("cloudfront_failover_distribution", {"caller_reference": "shop-cdn", "primary_origin": "eu-west-1",
                                                        "secondary_origin": "us-east-1", "poll_interval": 0.1})
    assert moved["changed"] and behaviors() == [("/api/*", "writes", 7), ("/orders", "writes", 7)]
    assert module("cloudfront_failover_distribution", dict(writes, primary_origin="eu-west-1", secondary_origin="us-east-1",
                                                           write_path_patterns=[]))["changed"]
    assert behaviors() == []


@pytest.mark.parametrize(
    "args, named",
    [
        (dict(DISTRIBUTION, secondary_origin="ap-south-1"), "secondary_origin='ap-south-1'"),
        (dict(DISTRIBUTION, secondary_origin="us-east-1"), "both 'us-east-1'"),
        (dict(DISTRIBUTION, failover_status_codes=[500, 501]), "501"),
        ({k: v for k, v in DISTRIBUTION.items() if k != "origins"}, "no distribution with caller_reference='shop-cdn' exists: give origins"),
    ],
    ids=["unknown-origin", "same-origin", "bad-status-code", "no-origins-to-create"],
)
def test_distribution_bad_input_fails_before_any_change(module, aws, args, named):
    result = module("cloudfront_failover_distribution", args)
    assert result["failed"] and named in result["msg"], result
    assert aws("cloudfront").list_distributions()["DistributionList"]["Quantity"] == 0
