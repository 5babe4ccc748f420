"""module_utils/ec2.py: which availability zones the subnets use."""
from ansible_collections.multiregion.dr.plugins.module_utils import ec2

# us-west-2 as moto (from AWS's data) has it: zone names and IDs do not sort alike
ZONES = [{"ZoneName": name, "ZoneId": zone_id, "State": "available", "ZoneType": "availability-zone"}
         for name, zone_id in [("us-west-2a", "usw2-az2"), ("us-west-2b", "usw2-az1"), ("us-west-2c", "usw2-az3"), ("us-west-2d", "usw2-az4")]]


def test_zones_are_ordered_by_id_and_those_lacking_an_instance_type_are_named():
    offered = {"t3.micro": {"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}, "a1.large": {"us-west-2a", "us-west-2c"}}
    usable, lacking = ec2.usable_zones(ZONES, offered, ["t3.micro"])
    assert [z["zone_name"] for z in usable] == ["us-west-2b", "us-west-2a", "us-west-2c", "us-west-2d"] and lacking == {}
    usable, lacking = ec2.usable_zones(ZONES, offered, ["t3.micro", "a1.large"])
    assert usable == [{"zone_name": "us-west-2a", "zone_id": "usw2-az2"}, {"zone_name": "us-west-2c", "zone_id": "usw2-az3"}]
    assert lacking == {"us-west-2b": ["a1.large"], "us-west-2d": ["a1.large"]}
    assert ec2.shortage("us-west-2", usable, lacking, 2) is None
    assert ec2.shortage("us-west-2", usable, lacking, 3) == (
        "us-west-2 has 2 availability zones that offer what the application launches (us-west-2a, us-west-2c), 3 are needed: "
        "us-west-2b lacks a1.large; us-west-2d lacks a1.large")


def test_unavailable_zones_and_local_zones_are_left_out():
    zones = ZONES[:2] + [dict(ZONES[2], State="impaired"), dict(ZONES[3], ZoneType="local-zone")]
    usable, _lacking = ec2.usable_zones(zones, {}, [])
    assert [z["zone_name"] for z in usable] == ["us-west-2b", "us-west-2a"]


def test_bad_input_is_named():
    assert ec2.request_problems(["t3.micro", "large", ""], 0) == [
        "instance_types: 'large' is not an instance type (family.size, for example t3.micro)",
        "instance_types: '' is not an instance type (family.size, for example t3.micro)",
        "count=0 must be 1 or more",
    ]
    assert ec2.request_problems(["m7i.large", "u-6tb1.metal"], 2) == []


def test_vpc_cidr_problems_name_each_bad_value_and_what_is_allowed():
    good = {"us-east-1": "10.10.0.0/16", "us-west-2": "10.20.0.0/16", "eu-west-1": "10.30.0.0/16"}
    assert ec2.vpc_cidr_problems(good, ["us-east-1", "us-west-2", "eu-west-1"], known_regions=list(good)) == []
    bad = {"us-east-1": "10.10.0.0/16", "us-west-2": "10.10.128.0/17", "eu-west-1": "10.30.0.0/33", "us-moon-1": "10.40.0.1/16",
           "ap-south-1": "10.50.0.0/12", "ca-central-1": "10.60.0.0/29", "sa-east-1": None}
    known = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1", "ca-central-1", "sa-east-1"]
    assert ec2.vpc_cidr_problems(bad, iter(["us-east-1", "us-west-2", "eu-central-1"]), known_regions=known) == [
        "eu-central-1 is not an AWS region name",
        "us-moon-1 is not an AWS region name",
        "region_cidrs has no CIDR for eu-central-1",
        "region_cidrs[eu-west-1] = 10.30.0.0/33 is not an IPv4 network address with a /16 to /28 prefix",
        "region_cidrs[us-moon-1] = 10.40.0.1/16 is not an IPv4 network address with a /16 to /28 prefix",
        "region_cidrs[ap-south-1] = 10.50.0.0/12 is not an IPv4 network address with a /16 to /28 prefix",
        "region_cidrs[ca-central-1] = 10.60.0.0/29 is not an IPv4 network address with a /16 to /28 prefix",
        "region_cidrs[sa-east-1] = None is not an IPv4 network address with a /16 to /28 prefix",
        "region_cidrs[us-east-1] = 10.10.0.0/16 overlaps region_cidrs[us-west-2] = 10.10.128.0/17",
    ]
    # without known_regions, no region-name check (preflight names a region host that is no AWS region itself)
    assert ec2.vpc_cidr_problems({"xx-1": "10.0.0.0/16"}, ["xx-1"]) == []
    assert ec2.vpc_cidr_problems({}, ["us-east-1"]) == ["region_cidrs has no CIDR for us-east-1"]
    assert ec2.vpc_cidr_problems(None, []) == []
