"""roles/redis over the three regions of inventories/local, checked through boto3: one Global Datastore
with its primary in us-east-1 and secondaries in us-west-2 and eu-west-1, three encrypted nodes each."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HOME = "us-east-1"
RG = "shop-redis"


@pytest.fixture
def network(aws):
    """What the network role gives the redis role: private subnets and a cache security group per region."""
    subnets, groups = {}, {}
    for index, region in enumerate(REGIONS):
        ec2 = aws("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{index + 1}0.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets[region] = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{index + 1}0.{128 + i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(zones)
        ]
        groups[region] = ec2.create_security_group(GroupName="shop-cache", Description="cache", VpcId=vpc)["GroupId"]
    return subnets, groups


@pytest.fixture
def redis_playbook(tmp_path):
    play = [
        {
            "name": "Redis in every region",
            "hosts": "regions",
            "gather_facts": False,
            "module_defaults": {"group/multiregion.dr.aws": "{{ aws_defaults }}"},
            "pre_tasks": [
                {
                    "name": "Network role outputs (made by the test)",
                    "ansible.builtin.set_fact": {
                        "network_private_subnet_ids": "{{ test_subnets[aws_region] | default([]) }}",
                        "network_security_group_ids": "{{ {'cache': test_groups[aws_region]} if aws_region in test_groups else {} }}",
                    },
                }
            ],
            "roles": ["multiregion.dr.redis"],
            "tasks": [
                {
                    "name": "Outputs",
                    "ansible.builtin.debug": {
                        "msg": {
                            "id": "{{ redis_replication_group_id }}",
                            "endpoint": "{{ redis_primary_endpoint }}",
                            "global": "{{ redis_global_replication_group_id }}",
                        }
                    },
                }
            ],
        }
    ]
    path = tmp_path / "redis.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return str(path)


def run(playbook, path, subnets, groups, check=False):
    result = playbook(path, {"test_subnets": subnets, "test_groups": groups, "redis_poll_interval": 1},
                      check=check, inventory=str(ROOT / "inventories/local/hosts.yml"))
    assert result.rc == 0, f"{result.stderr}\n{[(n, r) for h in REGIONS for n, r in result.results(h) if r.get('failed')]}"
    return result


@pytest.mark.slow(40)
def test_global_datastore_in_three_regions(playbook, aws, sim, network, redis_playbook):
    subnets, groups = network

    # --check on an empty account runs through and changes nothing.
    checked = run(playbook, redis_playbook, {}, {}, check=True)
    assert aws("elasticache", HOME).describe_replication_groups()["ReplicationGroups"] == []
    assert checked.result("Replication group and Global Datastore in the home region", HOME)["changed"] is True

    first = run(playbook, redis_playbook, subnets, groups)
    global_id = f"ldgnf-{RG}"
    outputs = {region: first.result("Outputs", region)["msg"] for region in REGIONS}
    assert {o["global"] for o in outputs.values()} == {global_id}
    assert {o["id"] for o in outputs.values()} == {RG}

    found = aws("elasticache", HOME).describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True)
    members = {m["ReplicationGroupRegion"]: (m["ReplicationGroupId"], m["Role"]) for m in found["GlobalReplicationGroups"][0]["Members"]}
    assert members == {HOME: (RG, "PRIMARY"), "us-west-2": (RG, "SECONDARY"), "eu-west-1": (RG, "SECONDARY")}
    for region in REGIONS:
        ec = aws("elasticache", region)
        group = ec.describe_replication_groups(ReplicationGroupId=RG)["ReplicationGroups"][0]
        assert len(group["MemberClusters"]) == 3
        assert group["AtRestEncryptionEnabled"] is True and group["TransitEncryptionEnabled"] is True
        assert group["AutomaticFailover"] == "enabled" and group["MultiAZ"] == "enabled"
        assert group["CacheNodeType"] == "cache.r6g.large"
        assert outputs[region]["endpoint"] == group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
        tags = {t["Key"]: t["Value"] for t in ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]}
        assert tags == {"Application": "shop", "ManagedBy": "multiregion.dr"}
        subnet_group = ec.describe_cache_subnet_groups(CacheSubnetGroupName=RG)["CacheSubnetGroups"][0]
        assert sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == sorted(subnets[region])

    second = run(playbook, redis_playbook, subnets, groups)
    assert second.changed() == 0, second.stats
    provisioned_check = run(playbook, redis_playbook, subnets, groups, check=True)
    assert provisioned_check.changed() == 0, provisioned_check.stats


def test_missing_subnets_fail_before_any_change(playbook, aws, sim, redis_playbook):
    result = playbook(redis_playbook, {"test_subnets": {}, "test_groups": {}}, inventory=str(ROOT / "inventories/local/hosts.yml"))
    assert result.rc != 0
    failed = result.result("Check the inputs before any change", HOME)
    assert failed["failed"] is True and "redis_subnet_ids is empty in us-east-1" in failed["msg"]
    for region in REGIONS:
        assert aws("elasticache", region).describe_replication_groups()["ReplicationGroups"] == []
