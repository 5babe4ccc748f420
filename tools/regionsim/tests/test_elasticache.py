"""ElastiCache Global Datastore, deletions and cache cluster details as real AWS shows them."""

import botocore.exceptions
import pytest

PRIMARY, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def make_group(ec, group_id, **extra):
    params = {
        "CacheNodeType": "cache.r6g.large",
        "Engine": "redis",
        "NumCacheClusters": 2,
        "AutomaticFailoverEnabled": True,
    }
    params.update(extra)
    return ec.create_replication_group(ReplicationGroupId=group_id, ReplicationGroupDescription=group_id, **params)[
        "ReplicationGroup"
    ]


@pytest.fixture
def datastore(sim, client):
    """A global datastore: primary in us-east-1, secondaries in us-west-2 and eu-west-1."""
    ec = {region: client("elasticache", region) for region in (PRIMARY, WEST, EU)}
    make_group(ec[PRIMARY], "app-use1")
    created = ec[PRIMARY].create_global_replication_group(
        GlobalReplicationGroupIdSuffix="app",
        PrimaryReplicationGroupId="app-use1",
        GlobalReplicationGroupDescription="sessions",
    )["GlobalReplicationGroup"]
    gid = created["GlobalReplicationGroupId"]
    for region, group_id in ((WEST, "app-usw2"), (EU, "app-euw1")):
        ec[region].create_replication_group(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription=group_id,
            GlobalReplicationGroupId=gid,
            NumCacheClusters=2,
        )
    return gid, ec


def members(ec, gid):
    group = ec.describe_global_replication_groups(GlobalReplicationGroupId=gid, ShowMemberInfo=True)[
        "GlobalReplicationGroups"
    ][0]
    return {m["ReplicationGroupRegion"]: (m["ReplicationGroupId"], m["Role"]) for m in group["Members"]}


def member_role(ec, group_id):
    info = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0].get(
        "GlobalReplicationGroupInfo"
    )
    return info and info["GlobalReplicationGroupMemberRole"]


def status_or_gone(read, not_found):
    def wrapped():
        try:
            return read()
        except botocore.exceptions.ClientError as err:
            if err.response["Error"]["Code"] == not_found:
                return "gone"
            raise

    return wrapped


def test_global_datastore_is_visible_from_every_member_region(datastore):
    gid, ec = datastore
    # AWS prefixes the suffix with the creating region's code (ldgnf for us-east-1).
    assert gid == "ldgnf-app"
    for region in (PRIMARY, WEST, EU):
        group = ec[region].describe_global_replication_groups(GlobalReplicationGroupId=gid, ShowMemberInfo=True)[
            "GlobalReplicationGroups"
        ][0]
        assert group["Status"] == "available"
        assert group["Engine"] == "redis" and group["CacheNodeType"] == "cache.r6g.large"
        assert group["ClusterEnabled"] is False
        assert group["GlobalReplicationGroupDescription"] == "sessions"
        assert group["ARN"].endswith(f":globalreplicationgroup:{gid}")
        assert {m["Status"] for m in group["Members"]} == {"associated"}
        assert members(ec[region], gid) == {
            PRIMARY: ("app-use1", "PRIMARY"),
            WEST: ("app-usw2", "SECONDARY"),
            EU: ("app-euw1", "SECONDARY"),
        }
    # Members only with ShowMemberInfo, as AWS answers.
    assert "Members" not in ec[WEST].describe_global_replication_groups()["GlobalReplicationGroups"][0]
    # A secondary inherits the node type and shows its membership.
    secondary = ec[EU].describe_replication_groups(ReplicationGroupId="app-euw1")["ReplicationGroups"][0]
    assert secondary["CacheNodeType"] == "cache.r6g.large"
    assert secondary["GlobalReplicationGroupInfo"] == {
        "GlobalReplicationGroupId": gid,
        "GlobalReplicationGroupMemberRole": "SECONDARY",
    }
    assert member_role(ec[PRIMARY], "app-use1") == "PRIMARY"


def test_failover_to_eu_west_1(datastore):
    gid, ec = datastore
    ec[EU].failover_global_replication_group(
        GlobalReplicationGroupId=gid, PrimaryRegion=EU, PrimaryReplicationGroupId="app-euw1"
    )
    expected = {PRIMARY: ("app-use1", "SECONDARY"), WEST: ("app-usw2", "SECONDARY"), EU: ("app-euw1", "PRIMARY")}
    for region in (PRIMARY, WEST, EU):
        assert members(ec[region], gid) == expected
    assert member_role(ec[EU], "app-euw1") == "PRIMARY"
    assert member_role(ec[PRIMARY], "app-use1") == "SECONDARY"
    # and back (failback is another failover)
    ec[PRIMARY].failover_global_replication_group(
        GlobalReplicationGroupId=gid, PrimaryRegion=PRIMARY, PrimaryReplicationGroupId="app-use1"
    )
    assert members(ec[WEST], gid)[PRIMARY] == ("app-use1", "PRIMARY")


def test_failover_while_the_primary_region_is_out(sim, client, datastore):
    gid, ec = datastore
    sim.outage(PRIMARY)
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)):
        client("elasticache", PRIMARY, retries=0).describe_global_replication_groups()
    ec[EU].failover_global_replication_group(
        GlobalReplicationGroupId=gid, PrimaryRegion=EU, PrimaryReplicationGroupId="app-euw1"
    )
    expected = {PRIMARY: ("app-use1", "SECONDARY"), WEST: ("app-usw2", "SECONDARY"), EU: ("app-euw1", "PRIMARY")}
    assert members(ec[EU], gid) == expected
    assert members(ec[WEST], gid) == expected
    sim.restore(PRIMARY)
    # The old primary rejoined as a secondary.
    assert member_role(ec[PRIMARY], "app-use1") == "SECONDARY"


def test_failover_errors(datastore):
    gid, ec = datastore
    failover = ec[EU].failover_global_replication_group
    with pytest.raises(botocore.exceptions.ClientError) as err:
        failover(GlobalReplicationGroupId=gid, PrimaryRegion=PRIMARY, PrimaryReplicationGroupId="app-use1")
    assert error_code(err) == "InvalidParameterValue" and "already the primary" in str(err.value)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        failover(GlobalReplicationGroupId=gid, PrimaryRegion=WEST, PrimaryReplicationGroupId="app-euw1")
    assert error_code(err) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        failover(GlobalReplicationGroupId="ldgnf-nope", PrimaryRegion=EU, PrimaryReplicationGroupId="app-euw1")
    assert error_code(err) == "GlobalReplicationGroupNotFoundFault"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert members(ec[EU], gid)[PRIMARY] == ("app-use1", "PRIMARY")


def test_secondary_limits(client, datastore):
    gid, ec = datastore
    # one member per region, the primary's region included
    for region in (WEST, PRIMARY):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            ec[region].create_replication_group(
                ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid
            )
        assert error_code(err) == "InvalidParameterValue"
    # at most two secondaries
    central = client("elasticache", "eu-central-1")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        central.create_replication_group(
            ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid
        )
    assert error_code(err) == "InvalidParameterValue" and "maximum" in str(err.value)
    # same node type everywhere
    ec[EU].disassociate_global_replication_group(
        GlobalReplicationGroupId=gid, ReplicationGroupId="app-euw1", ReplicationGroupRegion=EU
    )
    with pytest.raises(botocore.exceptions.ClientError) as err:
        central.create_replication_group(
            ReplicationGroupId="extra",
            ReplicationGroupDescription="x",
            GlobalReplicationGroupId=gid,
            CacheNodeType="cache.t3.micro",
        )
    assert error_code(err) == "InvalidParameterCombination"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        central.create_replication_group(
            ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId="ldgnf-nope"
        )
    assert error_code(err) == "GlobalReplicationGroupNotFoundFault"
    central.create_replication_group(
        ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid
    )
    assert members(central, gid)["eu-central-1"] == ("extra", "SECONDARY")
    # the primary cannot start a second global datastore, nor can a suffix be reused
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[PRIMARY].create_global_replication_group(
            GlobalReplicationGroupIdSuffix="other", PrimaryReplicationGroupId="app-use1"
        )
    assert error_code(err) == "InvalidReplicationGroupState"
    make_group(ec[PRIMARY], "second")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[PRIMARY].create_global_replication_group(
            GlobalReplicationGroupIdSuffix="app", PrimaryReplicationGroupId="second"
        )
    assert error_code(err) == "GlobalReplicationGroupAlreadyExistsFault"


# CreateReplicationGroup with GlobalReplicationGroupId: a secondary inherits these from the Global Datastore.
INHERITED = {
    "Engine": "redis",
    "EngineVersion": "7.1",
    "CacheNodeType": "cache.r6g.large",
    "CacheParameterGroupName": "default.redis7",
    "AtRestEncryptionEnabled": True,
    "TransitEncryptionEnabled": False,
}


def test_secondary_rejects_what_it_inherits(client, datastore):
    """AWS rejects each inherited parameter on a secondary, even with the primary's value."""
    gid, ec = datastore
    ec[EU].disassociate_global_replication_group(
        GlobalReplicationGroupId=gid, ReplicationGroupId="app-euw1", ReplicationGroupRegion=EU
    )
    central = client("elasticache", "eu-central-1")
    for name, value in INHERITED.items():
        with pytest.raises(botocore.exceptions.ClientError) as err:
            central.create_replication_group(
                ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid, **{name: value}
            )
        error = err.value.response["Error"]
        assert (name, error["Code"], error["Message"]) == (
            name,
            "InvalidParameterCombination",
            "Cannot use the given parameters when creating new replication group in an existing global "
            "replication group.",
        )
    created = central.create_replication_group(
        ReplicationGroupId="extra", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid
    )["ReplicationGroup"]
    primary = ec[PRIMARY].describe_replication_groups(ReplicationGroupId="app-use1")["ReplicationGroups"][0]
    for key in ("CacheNodeType", "AtRestEncryptionEnabled", "TransitEncryptionEnabled"):
        assert created[key] == primary[key]


def test_secondary_uses_the_primarys_auth_token(client):
    """A secondary cannot be given an AUTH token; it shows AuthTokenEnabled from its primary."""
    ec = client("elasticache", PRIMARY)
    make_group(ec, "auth-use1", TransitEncryptionEnabled=True, AuthToken="a" * 32)
    gid = ec.create_global_replication_group(GlobalReplicationGroupIdSuffix="auth", PrimaryReplicationGroupId="auth-use1")[
        "GlobalReplicationGroup"
    ]["GlobalReplicationGroupId"]
    created = client("elasticache", WEST).create_replication_group(
        ReplicationGroupId="auth-usw2", ReplicationGroupDescription="x", GlobalReplicationGroupId=gid
    )["ReplicationGroup"]
    assert (created["AuthTokenEnabled"], created["TransitEncryptionEnabled"]) == (True, True)


def test_disassociate_makes_a_standalone_group(datastore):
    gid, ec = datastore
    ec[WEST].disassociate_global_replication_group(
        GlobalReplicationGroupId=gid, ReplicationGroupId="app-usw2", ReplicationGroupRegion=WEST
    )
    assert (
        "GlobalReplicationGroupInfo"
        not in ec[WEST].describe_replication_groups(ReplicationGroupId="app-usw2")["ReplicationGroups"][0]
    )
    assert set(members(ec[EU], gid)) == {PRIMARY, EU}
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[PRIMARY].disassociate_global_replication_group(
            GlobalReplicationGroupId=gid, ReplicationGroupId="app-use1", ReplicationGroupRegion=PRIMARY
        )
    assert error_code(err) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[WEST].disassociate_global_replication_group(
            GlobalReplicationGroupId=gid, ReplicationGroupId="app-usw2", ReplicationGroupRegion=WEST
        )
    assert error_code(err) == "InvalidParameterValue"
    # a standalone group can be deleted; a member cannot
    ec[WEST].delete_replication_group(ReplicationGroupId="app-usw2")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[EU].delete_replication_group(ReplicationGroupId="app-euw1")
    assert error_code(err) == "InvalidParameterValue" and gid in str(err.value)


def test_delete_global_datastore_needs_secondaries_removed_first(datastore):
    gid, ec = datastore
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[PRIMARY].delete_global_replication_group(GlobalReplicationGroupId=gid, RetainPrimaryReplicationGroup=True)
    assert error_code(err) == "InvalidGlobalReplicationGroupState"
    for region, group_id in ((WEST, "app-usw2"), (EU, "app-euw1")):
        ec[region].disassociate_global_replication_group(
            GlobalReplicationGroupId=gid, ReplicationGroupId=group_id, ReplicationGroupRegion=region
        )
    ec[PRIMARY].delete_global_replication_group(GlobalReplicationGroupId=gid, RetainPrimaryReplicationGroup=True)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[EU].describe_global_replication_groups(GlobalReplicationGroupId=gid)
    assert error_code(err) == "GlobalReplicationGroupNotFoundFault"
    assert ec[WEST].describe_global_replication_groups()["GlobalReplicationGroups"] == []
    primary = ec[PRIMARY].describe_replication_groups(ReplicationGroupId="app-use1")["ReplicationGroups"][0]
    assert primary["Status"] == "available" and "GlobalReplicationGroupInfo" not in primary


def test_latency_model_statuses(sim, datastore, walk):
    gid, ec = datastore
    sim.latency(True, scale=0.01)

    def global_status():
        return ec[WEST].describe_global_replication_groups(GlobalReplicationGroupId=gid)["GlobalReplicationGroups"][0][
            "Status"
        ]

    response = ec[EU].failover_global_replication_group(
        GlobalReplicationGroupId=gid, PrimaryRegion=EU, PrimaryReplicationGroupId="app-euw1"
    )
    assert response["GlobalReplicationGroup"]["Status"] == "modifying"
    # While modifying, the roles have not switched yet and no second operation is accepted.
    assert members(ec[EU], gid)[EU] == ("app-euw1", "SECONDARY")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[WEST].failover_global_replication_group(
            GlobalReplicationGroupId=gid, PrimaryRegion=WEST, PrimaryReplicationGroupId="app-usw2"
        )
    assert error_code(err) == "InvalidGlobalReplicationGroupState"
    assert walk(global_status) == ["modifying", "available"]
    assert members(ec[EU], gid)[EU] == ("app-euw1", "PRIMARY")

    response = ec[WEST].disassociate_global_replication_group(
        GlobalReplicationGroupId=gid, ReplicationGroupId="app-usw2", ReplicationGroupRegion=WEST
    )
    assert response["GlobalReplicationGroup"]["Status"] == "modifying"
    assert (
        dict((m["ReplicationGroupId"], m["Status"]) for m in response["GlobalReplicationGroup"]["Members"])["app-usw2"]
        == "disassociating"
    )
    assert walk(global_status) == ["modifying", "available"]
    assert WEST not in members(ec[EU], gid)

    # A standalone group goes "deleting", then is gone.
    assert ec[WEST].delete_replication_group(ReplicationGroupId="app-usw2")["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec[WEST].delete_replication_group(ReplicationGroupId="app-usw2")
    assert error_code(err) == "InvalidReplicationGroupState"
    rg_status = status_or_gone(
        lambda: ec[WEST].describe_replication_groups(ReplicationGroupId="app-usw2")["ReplicationGroups"][0]["Status"],
        "ReplicationGroupNotFoundFault",
    )
    assert walk(rg_status) == ["deleting", "gone"]

    ec[PRIMARY].disassociate_global_replication_group(
        GlobalReplicationGroupId=gid, ReplicationGroupId="app-use1", ReplicationGroupRegion=PRIMARY
    )
    # AWS: the last secondary gone, the Global Datastore is primary-only (and can be deleted).
    assert walk(global_status)[-1] == "primary-only"
    response = ec[EU].delete_global_replication_group(GlobalReplicationGroupId=gid, RetainPrimaryReplicationGroup=True)
    assert response["GlobalReplicationGroup"]["Status"] == "deleting"
    assert walk(status_or_gone(global_status, "GlobalReplicationGroupNotFoundFault")) == [
        "deleting",
        "gone",
    ]


def test_create_global_datastore_passes_through_creating(sim, client, walk):
    ec = client("elasticache", PRIMARY)
    make_group(ec, "primary")
    sim.latency(True, scale=0.01)
    gid = ec.create_global_replication_group(
        GlobalReplicationGroupIdSuffix="slow", PrimaryReplicationGroupId="primary"
    )["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    # No secondary joins before the datastore is available.
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("elasticache", EU).create_replication_group(
            ReplicationGroupId="s", ReplicationGroupDescription="s", GlobalReplicationGroupId=gid
        )
    assert error_code(err) == "InvalidGlobalReplicationGroupState"

    def status():
        return ec.describe_global_replication_groups(GlobalReplicationGroupId=gid)["GlobalReplicationGroups"][0][
            "Status"
        ]

    # AWS: a new Global Datastore has no secondary yet, so it is primary-only, not available.
    assert walk(status) == ["creating", "primary-only"]
    # A secondary joins it then, and the Global Datastore is available.
    client("elasticache", EU).create_replication_group(
        ReplicationGroupId="s", ReplicationGroupDescription="s", GlobalReplicationGroupId=gid
    )
    assert status() == "available"


def test_cluster_mode_and_replica_count(client):
    ec = client("elasticache", WEST)
    sharded = ec.create_replication_group(
        ReplicationGroupId="shards",
        ReplicationGroupDescription="s",
        CacheNodeType="cache.r6g.large",
        NumNodeGroups=2,
        ReplicasPerNodeGroup=1,
    )["ReplicationGroup"]
    assert sharded["ClusterEnabled"] is True
    assert sharded["MemberClusters"] == ["shards-0001-001", "shards-0001-002", "shards-0002-001", "shards-0002-002"]
    assert len(sharded["NodeGroups"]) == 2
    plain = make_group(ec, "plain", NumCacheClusters=3)
    assert plain["ClusterEnabled"] is False
    assert plain["MemberClusters"] == ["plain-001", "plain-002", "plain-003"]


def test_cache_cluster_details_and_deletion(sim, client, walk):
    ec = client("elasticache", EU)
    ec.create_cache_cluster(
        CacheClusterId="cc", CacheNodeType="cache.t3.micro", Engine="redis", SecurityGroupIds=["sg-123"]
    )
    plain = ec.describe_cache_clusters(CacheClusterId="cc")["CacheClusters"][0]
    assert "CacheNodes" not in plain  # only with ShowCacheNodeInfo, as in AWS
    assert plain["CacheSecurityGroups"] == []
    assert plain["SecurityGroups"] == [{"SecurityGroupId": "sg-123", "Status": "active"}]
    detailed = ec.describe_cache_clusters(CacheClusterId="cc", ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert [(n["CacheNodeId"], n["CacheNodeStatus"], n["Endpoint"]["Port"]) for n in detailed["CacheNodes"]] == [
        ("0001", "available", 6379)
    ]

    sim.latency(True, scale=0.005)
    assert ec.delete_cache_cluster(CacheClusterId="cc")["CacheCluster"]["CacheClusterStatus"] == "deleting"
    status = status_or_gone(
        lambda: ec.describe_cache_clusters(CacheClusterId="cc")["CacheClusters"][0]["CacheClusterStatus"],
        "CacheClusterNotFound",
    )
    assert walk(status) == ["deleting", "gone"]


def test_cache_subnet_group_deleted_once_unused(client):
    ec2 = client("ec2", "us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    cache = client("elasticache", "us-west-2")
    cache.create_cache_subnet_group(CacheSubnetGroupName="app", CacheSubnetGroupDescription="app", SubnetIds=[subnet])
    cache.create_replication_group(ReplicationGroupId="web", ReplicationGroupDescription="web", Engine="redis",
                                   CacheNodeType="cache.t3.micro", NumCacheClusters=1, CacheSubnetGroupName="app")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        cache.delete_cache_subnet_group(CacheSubnetGroupName="app")
    assert err.value.response["Error"]["Code"] == "CacheSubnetGroupInUse"
    cache.delete_replication_group(ReplicationGroupId="web")
    cache.delete_cache_subnet_group(CacheSubnetGroupName="app")
    assert cache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    with pytest.raises(botocore.exceptions.ClientError) as err:
        cache.delete_cache_subnet_group(CacheSubnetGroupName="app")
    assert err.value.response["Error"]["Code"] == "CacheSubnetGroupNotFoundFault"


def test_endpoints_and_zones_are_the_region_s(client):
    """moto names every group *.use1.cache.amazonaws.com in us-east-1a; AWS uses the region's short code and zones."""
    from regionsim.patches.elasticache import region_short

    assert [region_short(r) for r in ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "ca-central-1")] == \
        ["use1", "usw2", "euw1", "apse2", "cac1"]
    group = make_group(client("elasticache", EU), "app-euw1")
    (node_group,) = group["NodeGroups"]
    assert node_group["PrimaryEndpoint"]["Address"].endswith(".euw1.cache.amazonaws.com"), node_group
    addresses = [m["ReadEndpoint"]["Address"] for m in node_group["NodeGroupMembers"] if m.get("ReadEndpoint")]
    assert addresses and all(a.endswith(".euw1.cache.amazonaws.com") for a in addresses), node_group
    zones = {m.get("PreferredAvailabilityZone") for m in node_group["NodeGroupMembers"]}
    assert zones and all(z.startswith(EU) for z in zones), zones
    east = make_group(client("elasticache", PRIMARY), "app-use1")
    assert east["NodeGroups"][0]["PrimaryEndpoint"]["Address"].endswith(".use1.cache.amazonaws.com")
