"""AWS state that the end-to-end tests and benchmarks read back through boto3, in one place."""


def record_weights(route53, zone, record):
    """{SetIdentifier: Weight} of the weighted records called `record` in the hosted zone `zone` (both with the
    final dot), read with the Route 53 client `route53`."""
    hosted = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone)
    records = route53.list_resource_record_sets(HostedZoneId=hosted["Id"])["ResourceRecordSets"]
    return {r["SetIdentifier"]: r["Weight"] for r in records if r["Name"] == record and "Weight" in r}


def fenced(rds, db_instance_identifier):
    """Whether the instance's parameter group sets read_only=1 (the fence), read with the RDS client `rds`."""
    instance = rds.describe_db_instances(DBInstanceIdentifier=db_instance_identifier)["DBInstances"][0]
    group = instance["DBParameterGroups"][0]["DBParameterGroupName"]
    parameters = rds.describe_db_parameters(DBParameterGroupName=group)["Parameters"]
    return {p["ParameterName"]: p.get("ParameterValue") for p in parameters}.get("read_only") == "1"


def operator_policy(iam, app="shop", account="123456789012"):
    """The policy document of <app>-dr-operator (roles/iam), read back from IAM."""
    arn = f"arn:aws:iam::{account}:policy/{app}-dr-operator"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def allowed_actions(document):
    """Every action an Allow statement of the policy names."""
    found = set()
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            actions = statement["Action"]
            found.update([actions] if isinstance(actions, str) else actions)
    return found


def called_actions(entries, user="dr-operator"):
    """The IAM actions (rds:PromoteReadReplica, ...) that the simulator's log entries show `user` calling."""
    from regionsim.access import iam_actions

    return {name for e in entries if e.get("principal", "").endswith(f":user/{user}") for name in iam_actions(e["service"], e["action"])}


def iam_user_env(iam, name, managed=(), inline=None):
    """The IAM user `name` holding only the managed policies `managed` (ARNs) and the inline policy document `inline`,
    with a new access key: the environment of a run signed with it (an existing user keeps its policies)."""
    import json

    try:
        iam.create_user(UserName=name)
        for policy in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=policy)
        if inline is not None:
            iam.put_user_policy(UserName=name, PolicyName=f"{name}-inline", PolicyDocument=inline if isinstance(inline, str) else json.dumps(inline))
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
