"""multiregion.dr.topology_info on the simulator: a MySQL primary in us-east-1 with cross-region
replicas in us-west-2 and eu-west-1, a Global Datastore (primary us-east-1, secondary
us-west-2), failover DNS records on load balancers with health checks; then an outage of
us-east-1, a promotion while it is out, and the split brain once it is back."""

import time

import pytest

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
DB = "orders"
ZONE = "example.com"
NAME = "app.example.com"


def load_balancer(aws, region):
    ec2 = aws("ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    lb = aws("elbv2", region).create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]
    return lb["DNSName"], lb["CanonicalHostedZoneId"]


@pytest.fixture
def app(aws):
    """The application's AWS state, set up through boto3; returns the module arguments."""
    primary = aws("rds", "us-east-1").create_db_instance(
        DBInstanceIdentifier=DB, Engine="mysql", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="secret-password", BackupRetentionPeriod=1,
    )["DBInstance"]
    for region in ("us-west-2", "eu-west-1"):
        aws("rds", region).create_db_instance_read_replica(
            DBInstanceIdentifier=DB, SourceDBInstanceIdentifier=primary["DBInstanceArn"], DBInstanceClass="db.t3.micro"
        )

    east = aws("elasticache", "us-east-1")
    east.create_replication_group(
        ReplicationGroupId="sessions-east", ReplicationGroupDescription="sessions", Engine="redis",
        CacheNodeType="cache.r6g.large", NumCacheClusters=2,
    )
    global_id = east.create_global_replication_group(
        GlobalReplicationGroupIdSuffix="sessions", PrimaryReplicationGroupId="sessions-east"
    )["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
    aws("elasticache", "us-west-2").create_replication_group(
        ReplicationGroupId="sessions-west", ReplicationGroupDescription="sessions", GlobalReplicationGroupId=global_id,
    )

    route53 = aws("route53")
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference="topology-zone")["HostedZone"]["Id"].split("/")[-1]
    checks, changes = {}, []
    for region, role in (("us-east-1", "PRIMARY"), ("us-west-2", "SECONDARY"), ("eu-west-1", None)):
        dns_name, lb_zone = load_balancer(aws, region)
        checks[region] = route53.create_health_check(
            CallerReference=f"topology-{region}",
            HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": dns_name, "Port": 443, "ResourcePath": "/health",
                               "RequestInterval": 30, "FailureThreshold": 3},
        )["HealthCheck"]["Id"]
        if role:
            changes.append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": NAME, "Type": "A", "SetIdentifier": role.lower(), "Failover": role, "HealthCheckId": checks[region],
                "AliasTarget": {"HostedZoneId": lb_zone, "DNSName": f"dualstack.{dns_name}", "EvaluateTargetHealth": True},
            }})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return {
        "regions": REGIONS,
        "database": {"engine": "mysql", "db_instance_identifier": DB},
        "cache": {"global_replication_group_id": global_id},
        "dns": {"hosted_zone": ZONE, "record_name": NAME},
        # eu-west-1 has no DNS record: its health check is given explicitly
        "health_check_ids": {"eu-west-1": checks["eu-west-1"]},
        "connect_timeout": 2,
    }


def aws_requests(sim, since):
    return [e for e in sim.log(since) if e.get("service")]


def test_healthy_topology(sim, module, app):
    result = module("topology_info", app)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["primary_region"] == "us-east-1" and result["primary_reachable"] is True
    assert result["cache_primary_region"] == "us-east-1"
    assert result["dns_active_region"] == "us-east-1"
    assert result["consistent"] is True
    assert result["reachable_regions"] == REGIONS and result["unreachable_regions"] == []
    assert result["healthy_regions"] == REGIONS
    assert result["writable_databases"] == ["us-east-1"] and result["split_brain"] is False
    assert result["replica_regions"] == ["us-west-2", "eu-west-1"]

    regions = result["regions"]
    east_db = regions["us-east-1"]["database"]
    assert east_db["role"] == "primary" and east_db["writable"] is True
    assert east_db["replica_regions"] == ["eu-west-1", "us-west-2"]
    for region in ("us-west-2", "eu-west-1"):
        db = regions[region]["database"]
        assert db["role"] == "replica" and db["source_region"] == "us-east-1" and db["writable"] is False
        assert db["replication"][0]["status"] == "replicating"
    assert [regions[r]["cache"]["role"] for r in REGIONS] == ["primary", "secondary", "absent"]
    assert regions["us-west-2"]["cache"]["replication_group_id"] == "sessions-west"
    assert regions["us-east-1"]["health_check"]["status"] == "healthy"
    assert regions["eu-west-1"]["health_check"]["status"] == "healthy"  # from health_check_ids
    assert regions["us-east-1"]["dns"] == {"records": ["primary"], "receives_traffic": True}
    assert regions["us-west-2"]["dns"] == {"records": ["secondary"], "receives_traffic": False}
    assert result["dns"]["policy"] == "failover" and result["dns"]["configured_region"] == "us-east-1"


def test_check_mode_reads_the_same_and_changes_nothing(sim, module, app):
    since = time.time()
    result = module("topology_info", app, check=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["primary_region"] == "us-east-1" and result["consistent"] is True
    actions = {e["action"] for e in aws_requests(sim, since)}
    assert actions and all(a.startswith(("Describe", "List", "Get")) for a in actions), actions


@pytest.mark.parametrize("mode", ["drop", "503"])
def test_outage_of_the_primary_region(sim, module, app, mode):
    sim.outage("us-east-1", mode=mode)
    since = time.time()
    started = time.monotonic()
    result = module("topology_info", app)
    elapsed = time.monotonic() - started
    assert not result.get("failed"), result.get("msg")
    east = result["regions"]["us-east-1"]
    assert east["reachable"] is False and east["detail"].startswith("unreachable")
    assert east["database"]["role"] == "unknown" and east["cache"]["role"] == "unknown"
    assert east["health_check"]["status"] == "unhealthy" and east["healthy"] is False
    assert result["unreachable_regions"] == ["us-east-1"]
    assert result["reachable_regions"] == ["us-west-2", "eu-west-1"]
    assert result["healthy_regions"] == ["us-west-2", "eu-west-1"]
    # the replicas still name the primary by ARN: the module reports it, unreachable
    assert result["primary_region"] == "us-east-1" and result["primary_reachable"] is False
    assert result["writable_databases"] == [] and result["split_brain"] is False
    assert any("us-east-1" in note and "unreachable" in note for note in result["notes"])
    west_db = result["regions"]["us-west-2"]["database"]
    assert west_db["source_region"] == "us-east-1" and west_db["replication"][0]["status"] == "error"
    # the Global Datastore answers from a member region: its primary is still us-east-1
    assert result["cache_primary_region"] == "us-east-1"
    assert east["cache"]["global_view"]["role"] == "primary"
    # Route 53 fails the PRIMARY record's health check over to the SECONDARY
    assert result["dns_active_region"] == "us-west-2" and result["dns"]["configured_region"] == "us-east-1"
    assert result["consistent"] is False
    east_calls = [e for e in aws_requests(sim, since) if e["region"] == "us-east-1" and e["service"] != "route53"]
    # one attempt against the dead region, no retries
    assert len(east_calls) == 1, east_calls
    print(f"outage ({mode}): module {result['elapsed']} s, task {elapsed:.1f} s; us-east-1 calls: {east_calls}")


def test_promotion_during_outage_then_split_brain(sim, module, aws, app):
    sim.outage("us-east-1")
    aws("rds", "eu-west-1").promote_read_replica(DBInstanceIdentifier=DB, BackupRetentionPeriod=1)

    during = module("topology_info", app)
    assert not during.get("failed"), during.get("msg")
    assert during["regions"]["eu-west-1"]["database"]["role"] == "standalone"
    assert during["writable_databases"] == ["eu-west-1"] and during["split_brain"] is False
    assert during["primary_region"] == "eu-west-1" and during["primary_reachable"] is True
    # us-west-2 still follows the cut-off old primary, which may still take writes
    assert any(n.startswith("the replica in us-west-2 still follows us-east-1") for n in during["notes"]), during["notes"]

    sim.restore("us-east-1")
    after = module("topology_info", app)
    assert not after.get("failed"), after.get("msg")
    assert after["writable_databases"] == ["us-east-1", "eu-west-1"]
    assert after["split_brain"] is True and after["primary_region"] is None and after["primary_reachable"] is None
    assert after["consistent"] is False
    assert after["regions"]["us-east-1"]["database"]["role"] == "primary"
    assert after["regions"]["us-east-1"]["database"]["replica_regions"] == ["us-west-2"]
    assert any(n.startswith("split brain") for n in after["notes"])

    # fencing the old primary (read_only=1 in its own parameter group) ends the split brain
    east = aws("rds", "us-east-1")
    east.create_db_parameter_group(DBParameterGroupName="old-primary", DBParameterGroupFamily="mysql8.0", Description="fence")
    east.modify_db_parameter_group(DBParameterGroupName="old-primary",
                                   Parameters=[{"ParameterName": "read_only", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    east.modify_db_instance(DBInstanceIdentifier=DB, DBParameterGroupName="old-primary", ApplyImmediately=True)
    fenced = module("topology_info", app)
    old = fenced["regions"]["us-east-1"]["database"]
    assert old["fenced"] is True and old["writable"] is False and old["fence"] == "read_only=1 in old-primary", old
    assert fenced["writable_databases"] == ["eu-west-1"] and fenced["split_brain"] is False
    assert fenced["primary_region"] == "eu-west-1"


def test_throttling_is_retried(sim, module, app):
    for service in ("rds", "elasticache", "route53"):
        sim.fault("throttle", probability=0.3, service=service)
    # and for sure twice in a row (30% alone may miss in a handful of calls)
    sim.fault("throttle", probability=1.0, count=2, service="rds", action="DescribeDBInstances")
    since = time.time()
    result = module("topology_info", app)
    assert not result.get("failed"), result.get("msg")
    assert result["primary_region"] == "us-east-1" and result["consistent"] is True
    assert result["unreachable_regions"] == []
    assert sum(e.get("fault") == "throttle" and e.get("action") == "DescribeDBInstances" for e in aws_requests(sim, since)) >= 2


def test_aurora_global_database(sim, module, aws):
    primary = aws("rds", "us-east-1").create_db_cluster(
        DBClusterIdentifier="orders-east", Engine="aurora-postgresql", EngineVersion="15.4",
        MasterUsername="admin", MasterUserPassword="secret-password",
    )["DBCluster"]["DBClusterArn"]
    aws("rds", "us-east-1").create_global_cluster(GlobalClusterIdentifier="orders-global", SourceDBClusterIdentifier=primary)
    aws("rds", "eu-west-1").create_db_cluster(
        DBClusterIdentifier="orders-west", Engine="aurora-postgresql", EngineVersion="15.4", GlobalClusterIdentifier="orders-global",
    )
    args = {"regions": ["us-east-1", "eu-west-1"], "connect_timeout": 2,
            "database": {"engine": "aurora-postgresql", "global_cluster_identifier": "orders-global"}}
    result = module("topology_info", args)
    assert not result.get("failed"), result.get("msg")
    assert result["primary_region"] == "us-east-1" and result["writable_databases"] == ["us-east-1"]
    assert result["regions"]["eu-west-1"]["database"]["role"] == "replica"
    assert result["regions"]["eu-west-1"]["database"]["source_region"] == "us-east-1"

    sim.outage("us-east-1")
    result = module("topology_info", args)
    assert not result.get("failed"), result.get("msg")
    assert result["unreachable_regions"] == ["us-east-1"]
    assert result["primary_region"] == "us-east-1" and result["primary_reachable"] is False
    assert result["regions"]["us-east-1"]["database"]["global_view"]["role"] == "primary"


BAD_INPUTS = [
    ({"regions": ["us-east-1", "us-moon-1"]}, "regions='us-moon-1' is not an AWS region"),
    ({"regions": []}, "regions=[] must name at least one AWS region"),
    ({"regions": ["us-east-1", "us-east-1"]}, "names a region more than once"),
    ({"regions": ["us-east-1"], "database": {"engine": "aurora-mysql", "db_instance_identifier": DB}},
     "database.engine='aurora-mysql' needs database.global_cluster_identifier"),
    ({"regions": ["us-east-1"], "database": {"engine": "mysql"}}, "database.engine='mysql' needs database.db_instance_identifier"),
    ({"regions": ["us-east-1"], "health_check_ids": {"eu-west-1": "abc"}}, "health_check_ids key='eu-west-1' is not one of us-east-1"),
    ({"regions": ["us-east-1"], "connect_timeout": 0}, "connect_timeout=0 must be 1 or more"),
]


def test_bad_input_fails_early(sim, module):
    since = time.time()
    for args, message in BAD_INPUTS:
        result = module("topology_info", args)
        assert result.get("failed") and message in result["msg"], (args, result.get("msg"))
    assert aws_requests(sim, since) == []


def test_unknown_hosted_zone_fails_naming_it(sim, module):
    result = module("topology_info", {"regions": ["us-east-1"], "dns": {"hosted_zone": "nowhere.example", "record_name": "app.nowhere.example"}})
    assert result.get("failed") and "dns.hosted_zone='nowhere.example' has no public zone" in result["msg"], result.get("msg")
