"""CloudFront origin groups and distribution deployment behave as in AWS: a cache behavior may
target an origin group of two origins; IfMatch must carry the current ETag; a distribution is
deleted only once disabled and Deployed; a change passes InProgress -> Deployed."""

import pytest
from botocore.exceptions import ClientError


def _origin(origin_id):
    return {
        "Id": origin_id,
        "DomainName": f"alb.{origin_id}.elb.amazonaws.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }


def _config(members=("us-east-1", "us-west-2"), codes=(500, 502, 503, 504), enabled=True):
    return {
        "CallerReference": "shop-cdn",
        "Comment": "shop",
        "Enabled": enabled,
        "Origins": {"Quantity": 3, "Items": [_origin(r) for r in ("us-east-1", "us-west-2", "eu-west-1")]},
        "OriginGroups": {"Quantity": 1, "Items": [{
            "Id": "failover",
            "FailoverCriteria": {"StatusCodes": {"Quantity": len(codes), "Items": list(codes)}},
            "Members": {"Quantity": len(members), "Items": [{"OriginId": m} for m in members]},
        }]},
        "DefaultCacheBehavior": {"TargetOriginId": "failover", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},
    }


def test_origin_group_target_update_and_delete(client):
    cf = client("cloudfront")
    made = cf.create_distribution(DistributionConfig=_config())
    dist_id, etag = made["Distribution"]["Id"], made["ETag"]
    config = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "failover"
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["us-east-1", "us-west-2"]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [500, 502, 503, 504]

    with pytest.raises(ClientError) as err:
        cf.update_distribution(Id=dist_id, IfMatch="stale", DistributionConfig=_config(enabled=False))
    assert err.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as err:
        cf.delete_distribution(Id=dist_id, IfMatch=etag)
    assert err.value.response["Error"]["Code"] == "DistributionNotDisabled"

    updated = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=_config(enabled=False))
    assert updated["ETag"] != etag
    with pytest.raises(ClientError) as err:
        cf.delete_distribution(Id=dist_id, IfMatch=etag)
    assert err.value.response["Error"]["Code"] == "PreconditionFailed"
    cf.delete_distribution(Id=dist_id, IfMatch=updated["ETag"])
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0


@pytest.mark.parametrize(
    "config, named",
    [
        (_config(members=("us-east-1", "us-west-2", "eu-west-1")), "exactly two members"),
        (_config(members=("us-east-1", "ap-south-1")), "ap-south-1"),
        (_config(codes=(500, 501)), "501"),
    ],
    ids=["three-members", "unknown-member", "bad-status-code"],
)
def test_bad_origin_group_is_refused(client, config, named):
    cf = client("cloudfront")
    with pytest.raises(ClientError) as err:
        cf.create_distribution(DistributionConfig=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
    assert named in err.value.response["Error"]["Message"]
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0


def test_change_passes_in_progress_then_deployed(client, sim, walk):
    sim.latency(True, 0.02)
    cf = client("cloudfront")
    made = cf.create_distribution(DistributionConfig=_config(enabled=False))
    dist_id = made["Distribution"]["Id"]
    assert made["Distribution"]["Status"] == "InProgress"
    with pytest.raises(ClientError) as err:
        cf.delete_distribution(Id=dist_id, IfMatch=made["ETag"])
    assert err.value.response["Error"]["Code"] == "DistributionNotDisabled"  # not Deployed yet
    assert walk(lambda: cf.get_distribution(Id=dist_id)["Distribution"]["Status"]) == ["InProgress", "Deployed"]
    cf.delete_distribution(Id=dist_id, IfMatch=made["ETag"])


def test_origin_group_target_allows_only_get_head_options(client):
    config = _config()
    config["DefaultCacheBehavior"]["AllowedMethods"] = {
        "Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
    }
    with pytest.raises(ClientError) as err:
        client("cloudfront").create_distribution(DistributionConfig=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgument" and "POST" in err.value.response["Error"]["Message"]


def test_a_write_behavior_goes_to_one_origin_never_to_the_group(client):
    """Writes through CloudFront need a cache behavior of their own: one targeting the group may not allow POST."""
    writes = {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
              "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
    config = _config()
    config["CacheBehaviors"] = {"Quantity": 1, "Items": [{
        "PathPattern": "/api/*", "TargetOriginId": "failover", "ViewerProtocolPolicy": "https-only",
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "AllowedMethods": writes}]}
    with pytest.raises(ClientError) as err:
        client("cloudfront").create_distribution(DistributionConfig=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgument" and "origin group failover" in err.value.response["Error"]["Message"]
    config["CacheBehaviors"]["Items"][0]["TargetOriginId"] = "us-east-1"
    created = client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]
    kept = created["DistributionConfig"]["CacheBehaviors"]["Items"][0]
    assert (kept["PathPattern"], kept["TargetOriginId"], sorted(kept["AllowedMethods"]["Items"])) == ("/api/*", "us-east-1", sorted(writes["Items"]))
