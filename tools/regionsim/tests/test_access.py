"""IAM authorization (regionsim/access.py): a request signed with an IAM user's key gets what the user's policies allow,
on the resources AWS evaluates, and AWS's refusal otherwise; the default keys act as the account's administrator."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from regionsim import access

ACCOUNT = "123456789012"


@pytest.fixture
def user(sim, client):
    """user(policy) -> make(service, region): clients signed with the keys of a new IAM user holding only `policy`."""
    iam = client("iam")

    def create(policy, name="operator", managed=True):
        iam.create_user(UserName=name)
        if managed:
            arn = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        else:
            iam.put_user_policy(UserName=name, PolicyName=f"{name}-inline", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]

        def make(service, region="us-east-1"):
            return boto3.client(service, region_name=region, endpoint_url=sim.endpoint, aws_access_key_id=key["AccessKeyId"],
                                aws_secret_access_key=key["SecretAccessKey"])

        return make

    return create


def allow(*statements):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]}


def refusal(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_user_gets_what_its_policy_allows_on_the_named_resources_only(user, client, sim):
    ssm_admin = client("ssm", "us-west-2")
    for name in ("/shop/config/active_region", "/other/secret"):
        ssm_admin.put_parameter(Name=name, Value="x", Type="String")
    as_user = user(allow({"Action": ["ssm:GetParameter", "ssm:PutParameter"], "Resource": f"arn:aws:ssm:*:{ACCOUNT}:parameter/shop/*"},
                         {"Action": "rds:DescribeDBInstances", "Resource": "*"}))
    ssm = as_user("ssm", "us-west-2")
    assert ssm.get_parameter(Name="/shop/config/active_region")["Parameter"]["Value"] == "x"
    ssm.put_parameter(Name="/shop/config/active_region", Value="us-west-2", Type="String", Overwrite=True)
    assert as_user("rds", "eu-west-1").describe_db_instances()["DBInstances"] == []

    error, status = refusal(lambda: ssm.get_parameter(Name="/other/secret"))
    assert (error["Code"], status) == ("AccessDeniedException", 400)
    assert error["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/operator is not authorized to perform: ssm:GetParameter on resource: "
                                f"arn:aws:ssm:us-west-2:{ACCOUNT}:parameter/other/secret because no identity-based policy allows "
                                "the ssm:GetParameter action")
    # an action it was not given, in a query-protocol service, is refused with that service's code and status
    error, status = refusal(lambda: as_user("rds").promote_read_replica(DBInstanceIdentifier="shop-db"))
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert f"rds:PromoteReadReplica on resource: arn:aws:rds:us-east-1:{ACCOUNT}:db:shop-db" in error["Message"]
    # the log names who asked and what IAM evaluated; the default keys are the administrator and pass
    denied = [e for e in sim.log() if e.get("fault") == "denied"]
    assert [(e["action"], e["principal"], e["resources"]) for e in denied][-1] == (
        "PromoteReadReplica", f"arn:aws:iam::{ACCOUNT}:user/operator", [f"arn:aws:rds:us-east-1:{ACCOUNT}:db:shop-db"])
    assert ssm_admin.get_parameter(Name="/other/secret")["Parameter"]["Value"] == "x"


def test_an_explicit_deny_wins_and_a_condition_that_does_not_hold_does_not_apply(user):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cloudwatch:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "cloudwatch:DeleteAlarms", "Resource": f"arn:aws:cloudwatch:*:{ACCOUNT}:alarm:keep-*"},
        # only in eu-west-1: elsewhere the statement does not apply (it neither allows nor denies)
        {"Effect": "Allow", "Action": "sns:ListTopics", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
    ]}
    as_user = user(policy, managed=False)  # an inline policy counts too
    cloudwatch = as_user("cloudwatch", "us-west-2")
    cloudwatch.put_metric_alarm(AlarmName="shop-lag", MetricName="ReplicaLag", Namespace="AWS/RDS", Statistic="Maximum", Period=60,
                                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cloudwatch.delete_alarms(AlarmNames=["shop-lag"])
    error, status = refusal(lambda: cloudwatch.delete_alarms(AlarmNames=["shop-lag", "keep-me"]))
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"].endswith(f"cloudwatch:DeleteAlarms on resource: arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:keep-me "
                                     "with an explicit deny in an identity-based policy")
    assert as_user("sns", "eu-west-1").list_topics()["Topics"] == []
    error, status = refusal(lambda: as_user("sns", "us-east-1").list_topics())
    assert (error["Code"], status) == ("AuthorizationError", 403)


def test_global_services_and_rest_apis_name_their_resources(user, client):
    zone = client("route53").create_hosted_zone(Name="shop.example.com", CallerReference="z")["HostedZone"]["Id"].split("/")[-1]
    as_user = user(allow({"Action": ["route53:ListResourceRecordSets"], "Resource": f"arn:aws:route53:::hostedzone/{zone}"},
                         {"Action": "route53:ListHostedZones", "Resource": "*"}))
    route53 = as_user("route53")
    assert route53.list_hosted_zones()["HostedZones"][0]["Id"].endswith(zone)
    assert route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    error, _ = refusal(lambda: route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": "a.shop.example.com", "Type": "A", "TTL": 60,
                                                  "ResourceRecords": [{"Value": "192.0.2.1"}]}}]}))
    assert error["Code"] == "AccessDenied"
    assert f"route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/{zone}" in error["Message"]


@pytest.mark.parametrize("service, action, params, expected", [
    ("rds", "ModifyDBParameterGroup", {"DBParameterGroupName": "shop-mysql"}, [f"arn:aws:rds:us-west-2:{ACCOUNT}:pg:shop-mysql"]),
    ("rds", "DescribeDBInstances", {}, ["*"]),
    ("rds", "ModifyDBInstance", {"DBInstanceIdentifier": "shop-db", "DBParameterGroupName": "shop-pg"},
     [f"arn:aws:rds:us-west-2:{ACCOUNT}:db:shop-db", f"arn:aws:rds:us-west-2:{ACCOUNT}:pg:shop-pg"]),
    # the Aurora global database's failover: IAM checks the target cluster and the global cluster
    ("rds", "FailoverGlobalCluster", {"GlobalClusterIdentifier": "shop-global",
                                      "TargetDbClusterIdentifier": f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:shop-db"},
     [f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:shop-db", f"arn:aws:rds::{ACCOUNT}:global-cluster:shop-global"]),
    ("rds", "DescribeGlobalClusters", {"GlobalClusterIdentifier": "shop-global"}, [f"arn:aws:rds::{ACCOUNT}:global-cluster:shop-global"]),
    ("elasticache", "FailoverGlobalReplicationGroup", {"GlobalReplicationGroupId": "ldgnf-shop", "PrimaryRegion": "eu-west-1",
                                                       "PrimaryReplicationGroupId": "shop-redis"},
     [f"arn:aws:elasticache::{ACCOUNT}:globalreplicationgroup:ldgnf-shop", f"arn:aws:elasticache:eu-west-1:{ACCOUNT}:replicationgroup:shop-redis"]),
    ("elasticache", "DescribeReplicationGroups", {"ReplicationGroupId": "shop-cache"},
     [f"arn:aws:elasticache:us-west-2:{ACCOUNT}:replicationgroup:shop-cache"]),
    ("autoscaling", "UpdateAutoScalingGroup", {"AutoScalingGroupName": "shop-asg"},
     [f"arn:aws:autoscaling:us-west-2:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/shop-asg"]),
    ("elbv2", "CreateTargetGroup", {"Name": "shop-app"}, [f"arn:aws:elasticloadbalancing:us-west-2:{ACCOUNT}:targetgroup/shop-app/*"]),
    ("elbv2", "DeleteLoadBalancer", {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/shop-alb/5d"},
     ["arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/shop-alb/5d"]),
    ("cloudwatch", "DeleteAlarms", {"AlarmNames.member.1": "a", "AlarmNames.member.2": "b"},
     [f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:a", f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:b"]),
    # EC2 by id; a Create call's new resource is the type with a "*" id
    ("ec2", "CreateSubnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"},
     [f"arn:aws:ec2:us-west-2:{ACCOUNT}:subnet/*", f"arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/vpc-1"]),
    ("ec2", "DeleteVpcEndpoints", {"VpcEndpointId.1": "vpce-1", "VpcEndpointId.2": "vpce-2"},
     [f"arn:aws:ec2:us-west-2:{ACCOUNT}:vpc-endpoint/vpce-1", f"arn:aws:ec2:us-west-2:{ACCOUNT}:vpc-endpoint/vpce-2"]),
    ("ec2", "DescribeVpcs", {"VpcId.1": "vpc-1"}, ["*"]),
])
def test_query_requests_name_the_resources_iam_evaluates(service, action, params, expected):
    from urllib.parse import urlencode

    body = urlencode({"Action": action, **params}).encode()
    environ = {"CONTENT_TYPE": "application/x-www-form-urlencoded", "QUERY_STRING": ""}
    assert access.resources(environ, body, "us-west-2", service, action) == expected


def test_iam_logic_for_absent_keys_unknown_operators_and_renamed_actions():
    allow_outside_eu = {"Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*",
                                       "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}]}
    assert access.evaluate([allow_outside_eu], "sns:Publish", "arn:aws:sns:us-east-1:1:t") == "allowed"  # absent key: a negated test holds
    unknown = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny_unknown = {"Effect": "Deny", "Action": "rds:*", "Resource": "*", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}
    assert access.evaluate([{"Statement": [unknown, deny_unknown]}], "rds:DeleteDBInstance", "*") == "explicit"  # fails closed
    allow_unknown = dict(deny_unknown, Effect="Allow")
    assert access.evaluate([{"Statement": [allow_unknown]}], "rds:DeleteDBInstance", "*") == "implicit"
    # IAM's names where the operation's differ, and every one AWS checks
    assert access.iam_actions("s3", "ListBuckets") == ["s3:ListAllMyBuckets"]
    assert access.iam_actions("s3", "PutBucketLifecycleConfiguration") == ["s3:PutLifecycleConfiguration"]
    assert access.iam_actions("cloudfront", "CreateDistributionWithTags") == ["cloudfront:CreateDistribution", "cloudfront:TagResource"]
    assert access.iam_actions("elbv2", "CreateLoadBalancer") == ["elasticloadbalancing:CreateLoadBalancer"]


def test_an_alias_call_is_checked_on_the_alias_and_its_key(user, client):
    key = client("kms", "us-west-2").create_key()["KeyMetadata"]
    as_user = user(allow({"Action": "kms:CreateAlias", "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*"}))
    error, _ = refusal(lambda: as_user("kms", "us-west-2").create_alias(AliasName="alias/shop-data", TargetKeyId=key["KeyId"]))
    assert f"kms:CreateAlias on resource: arn:aws:kms:us-west-2:{ACCOUNT}:alias/shop-data" in error["Message"]


def test_the_permissions_boundary_key_is_the_boundary_a_call_sets_or_the_role_has(user, client):
    """iam:PermissionsBoundary (the Service Authorization Reference's condition key): CreateRole and
    PutRolePermissionsBoundary are evaluated with the boundary they set, PutRolePolicy and AttachRolePolicy with the
    role's own; a role without one has no key, so a condition requiring it does not hold."""
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/shop-dr-boundary"
    admin = client("iam")
    admin.create_policy(PolicyName="shop-dr-boundary", PolicyDocument=json.dumps(allow({"Action": "ssm:GetParameter", "Resource": "*"})))
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    admin.create_role(RoleName="shop-legacy", AssumeRolePolicyDocument=trust)  # made before the boundary
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    iam = user({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"],
         "Resource": f"arn:aws:iam::{ACCOUNT}:role/shop-*", "Condition": bounded},
        {"Effect": "Allow", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*", "Condition": bounded},
    ]})("iam")
    inline = json.dumps(allow({"Action": "*", "Resource": "*"}))

    error, _ = refusal(lambda: iam.create_role(RoleName="shop-admin", AssumeRolePolicyDocument=trust))
    assert error["Code"] == "AccessDenied" and f"iam:CreateRole on resource: arn:aws:iam::{ACCOUNT}:role/shop-admin" in error["Message"]
    iam.create_role(RoleName="shop-app", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="shop-app", PolicyName="anything", PolicyDocument=inline)
    # the role without a boundary takes no policy until it is given the boundary
    error, _ = refusal(lambda: iam.put_role_policy(RoleName="shop-legacy", PolicyName="anything", PolicyDocument=inline))
    assert "iam:PutRolePolicy on resource: arn:aws:iam::123456789012:role/shop-legacy" in error["Message"]
    iam.put_role_permissions_boundary(RoleName="shop-legacy", PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="shop-legacy", PolicyName="anything", PolicyDocument=inline)
    error, _ = refusal(lambda: iam.delete_role_permissions_boundary(RoleName="shop-app"))
    assert "with an explicit deny" in error["Message"]
    assert admin.get_role(RoleName="shop-app")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_the_tag_keys_are_the_tags_a_call_puts_and_the_tags_its_resource_has(user, client):
    """aws:RequestTag/<key> from EC2's TagSpecification (and KMS's Tags), aws:ResourceTag/<key> from the resource
    the call names: a policy scoped by the Application tag lets a user make and delete only what carries it."""
    app = {"StringEquals": {"aws:ResourceTag/Application": "shop"}}
    ec2 = user({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:CreateVpc", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/Application": "shop"}}},
        {"Effect": "Allow", "Action": "ec2:DeleteVpc", "Resource": "*", "Condition": app},
    ]})("ec2", "us-west-2")
    error, status = refusal(lambda: ec2.create_vpc(CidrBlock="10.1.0.0/16"))
    assert (error["Code"], status) == ("UnauthorizedOperation", 403)
    spec = [{"ResourceType": "vpc", "Tags": [{"Key": "Application", "Value": "shop"}]}]
    ec2.delete_vpc(VpcId=ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"])
    other = client("ec2", "us-west-2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]  # no tag
    error, _ = refusal(lambda: ec2.delete_vpc(VpcId=other))
    assert f"ec2:DeleteVpc on resource: arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/{other}" in error["Message"]
    assert access.request_tags("kms", {"Tags": [{"TagKey": "Application", "TagValue": "shop"}]}) == {"Application": "shop"}


def test_aws_backup_names_vaults_by_name_and_plans_by_id_and_reads_their_tags():
    assert access._backup("DeleteBackupVault", "/backup-vaults/shop-vault", "us-west-2", ACCOUNT) == [
        f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:shop-vault"]
    assert access._backup("DeleteBackupPlan", "/backup/plans/abc-123", "us-west-2", ACCOUNT) == [
        f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-plan:abc-123"]
    assert access._backup("CreateBackupPlan", "/backup/plans/", "us-west-2", ACCOUNT) == [f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-plan:*"]
    assert access._backup("ListBackupJobs", "/backup-jobs/", "us-west-2", ACCOUNT) == ["*"]
    assert access.request_tags("backup", {}, b'{"BackupPlan": {}, "BackupPlanTags": {"Application": "shop"}}') == {"Application": "shop"}
    body = b"<DistributionConfigWithTags><Tags><Items><Tag><Key>Application</Key><Value>shop</Value></Tag></Items></Tags>"
    assert access.request_tags("cloudfront", {}, body) == {"Application": "shop"}
