"""module_utils/cloudfront.py: a distribution's origin group reduced to regions."""

from ansible_collections.multiregion.dr.plugins.module_utils import cloudfront

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def distribution(members, origins):
    return {
        "Origins": {"Items": [{"Id": i, "DomainName": d} for i, d in origins.items()]},
        "OriginGroups": {"Items": [{"Id": "failover", "Members": {"Items": [{"OriginId": m} for m in members]}}]},
        "Enabled": True,
    }


def test_cdn_view_maps_the_origin_group_to_regions():
    origins = {"us-east-1": "shop-alb-1.us-east-1.elb.amazonaws.com", "us-west-2": "origin-us-west-2.shop.example.com",
               "web-eu": "web.eu-west-1.elb.amazonaws.com", "standby": "standby.api.shop.example.com"}
    view = cloudfront.cdn_view({"Id": "E1", "Status": "Deployed"}, distribution(["us-east-1", "standby"], origins), "failover", REGIONS)
    assert (view["primary_origin"], view["primary_region"]) == ("us-east-1", "us-east-1")
    assert (view["secondary_origin"], view["secondary_region"]) == ("standby", None)
    assert view["secondary_domain_name"] == "standby.api.shop.example.com"
    assert view["region_origins"] == {"us-east-1": "us-east-1", "us-west-2": "us-west-2", "eu-west-1": "web-eu"}
    two = cloudfront.cdn_view({"Id": "E1"}, distribution(["us-west-2", "web-eu"], origins), "failover", REGIONS)
    assert (two["primary_region"], two["secondary_region"]) == ("us-west-2", "eu-west-1")
    other = cloudfront.cdn_view({"Id": "E1"}, distribution(["us-west-2", "web-eu"], origins), "another", REGIONS)
    assert other["origin_group_id"] is None and other["primary_origin"] is None
