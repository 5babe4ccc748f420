"""IAM authorization as AWS does it, for requests signed with an IAM user's access key.

moto's own enforcement (INITIAL_NO_AUTH_ACTION_COUNT) checks every request against resource "*" for most services,
takes the signing name for the IAM prefix ("monitoring:GetMetricData") and turns an Allow statement whose condition
does not hold into an explicit deny. A resource-scoped least-privilege policy cannot pass there. Here every request
gets the ARNs IAM would evaluate (per service and action, from its parameters; "*" for the actions that take no
resource, the Describe/List calls), and policies are evaluated with AWS's logic: an explicit Deny wins, then any Allow,
else the implicit deny; a statement whose condition does not hold does not apply.

Who is checked: a request signed with an access key of an IAM user (made through the simulator's IAM) is allowed only
what that user's policies allow (inline, attached, through groups), and refused with the service's AccessDenied error
and AWS's message. Any other key (the simulator's default "testing" keys) acts as the account's administrator, as the
root user would; AWS would refuse a key it never issued. Signatures are not verified: this proves authorization, not
authentication.
"""

import json
import re
from urllib.parse import parse_qs, unquote

ACCOUNT = "123456789012"  # moto's default account
# IAM's service prefix where botocore's service name differs
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "ses": "ses", "apigateway": "apigateway"}
# The error AWS sends when IAM refuses (code, HTTP status); the rest send AccessDenied
DENIED_CODE = {
    "ec2": ("UnauthorizedOperation", 403),
    "sns": ("AuthorizationError", 403),
    "ssm": ("AccessDeniedException", 400),
    "secretsmanager": ("AccessDeniedException", 400),
    "kms": ("AccessDeniedException", 400),
    "dynamodb": ("AccessDeniedException", 400),
    "backup": ("AccessDeniedException", 403),
    "logs": ("AccessDeniedException", 400),
}
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}  # AWS answers it even under an explicit deny


# Where the IAM action is not the operation's name (S3's and CloudFront's differ); a list when AWS checks several.
IAM_ACTIONS = {
    "s3": {
        "ListBuckets": "ListAllMyBuckets", "HeadBucket": "ListBucket", "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket",
        "ListObjectVersions": "ListBucketVersions", "DeleteObjects": ["DeleteObject", "DeleteObjectVersion"],
        "ListMultipartUploads": "ListBucketMultipartUploads",
        "GetBucketLifecycle": "GetLifecycleConfiguration", "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "PutBucketLifecycle": "PutLifecycleConfiguration", "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
        "DeleteBucketLifecycle": "PutLifecycleConfiguration",
        "GetBucketReplication": "GetReplicationConfiguration", "PutBucketReplication": "PutReplicationConfiguration",
        "DeleteBucketReplication": "PutReplicationConfiguration",
        "GetBucketEncryption": "GetEncryptionConfiguration", "PutBucketEncryption": "PutEncryptionConfiguration",
        "DeleteBucketEncryption": "PutEncryptionConfiguration",
        "GetPublicAccessBlock": "GetBucketPublicAccessBlock", "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
        "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
        "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration", "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
        "GetBucketInventoryConfiguration": "GetInventoryConfiguration", "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
        "GetBucketCors": "GetBucketCORS", "PutBucketCors": "PutBucketCORS", "DeleteBucketCors": "PutBucketCORS",
        "GetBucketNotificationConfiguration": "GetBucketNotification", "PutBucketNotificationConfiguration": "PutBucketNotification",
        "DeleteBucketTagging": "PutBucketTagging", "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
        "HeadObject": "GetObject", "CopyObject": ["GetObject", "PutObject"],
    },
    "cloudfront": {"CreateDistributionWithTags": ["CreateDistribution", "TagResource"]},
}


def iam_actions(service, action):
    """The IAM actions AWS checks for the operation (most often one, of the same name)."""
    mapped = IAM_ACTIONS.get(service, {}).get(action, action)
    prefix = IAM_PREFIX.get(service, service)
    return [f"{prefix}:{name}" for name in (mapped if isinstance(mapped, list) else [mapped])]


def iam_action(service, action):
    """The (first) IAM action of the operation."""
    return iam_actions(service, action)[0]


# --- request parameters ---------------------------------------------------------------

def request_params(environ, body):
    """The request's parameters: form/query fields (first value each) or the JSON body."""
    text = (body or b"").decode("utf-8", "replace")
    if environ.get("HTTP_X_AMZ_TARGET"):
        try:
            return json.loads(text or "{}")
        except ValueError:
            return {}
    params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") or text.startswith("Action="):
        params.update({k: v[0] for k, v in parse_qs(text).items()})
    return params


def _members(params, prefix):
    """Query-protocol lists: Prefix.member.1, Prefix.member.2, ... (also Prefix.1)."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(?:member\.)?(\d+)$")
    found = sorted((int(m.group(1)), v) for k, v in params.items() if (m := pattern.match(k)))
    return [v for _, v in found]


# --- the resources IAM evaluates ------------------------------------------------------

def _rds(action, params, region, account):
    base = f"arn:aws:rds:{region}:{account}"
    if action == "ListTagsForResource" or action in ("AddTagsToResource", "RemoveTagsFromResource"):
        return [params.get("ResourceName", "*")]
    # every resource the call names: the instance, and the groups it is made or modified with (each must be allowed)
    found = [f"{base}:{kind}:{params[key]}" for key, kind in (
        ("DBInstanceIdentifier", "db"), ("DBClusterIdentifier", "cluster"), ("DBParameterGroupName", "pg"),
        ("DBClusterParameterGroupName", "cluster-pg"), ("DBSubnetGroupName", "subgrp"), ("OptionGroupName", "og"),
        ("DBSnapshotIdentifier", "snapshot")) if params.get(key)]
    # FailoverGlobalCluster and SwitchoverGlobalCluster: IAM checks the target cluster and the global cluster
    target = params.get("TargetDbClusterIdentifier", "")
    if target:
        found += [target if target.startswith("arn:") else f"{base}:cluster:{target}"]
        if params.get("GlobalClusterIdentifier"):
            found.append(f"arn:aws:rds::{account}:global-cluster:{params['GlobalClusterIdentifier']}")
    source = params.get("SourceDBInstanceIdentifier", "")
    if action == "CreateDBInstanceReadReplica" and source:
        found.append(source if source.startswith("arn:") else f"{base}:db:{source}")
    if found:
        return found
    if params.get("GlobalClusterIdentifier"):
        return [f"arn:aws:rds::{account}:global-cluster:{params['GlobalClusterIdentifier']}"]
    return ["*"]


def _elasticache(action, params, region, account):
    if params.get("GlobalReplicationGroupId") and "Global" in action:
        found = [f"arn:aws:elasticache::{account}:globalreplicationgroup:{params['GlobalReplicationGroupId']}"]
        # a failover also names the member that becomes primary: its ARN is evaluated too (AWS's reference does not
        # say it is not; a policy that grants it works either way)
        if action == "FailoverGlobalReplicationGroup" and params.get("PrimaryReplicationGroupId"):
            found.append(f"arn:aws:elasticache:{params.get('PrimaryRegion') or region}:{account}:replicationgroup:"
                         f"{params['PrimaryReplicationGroupId']}")
        return found
    for key, kind in (("ReplicationGroupId", "replicationgroup"), ("CacheClusterId", "cluster"),
                      ("CacheSubnetGroupName", "subnetgroup"), ("CacheParameterGroupName", "parametergroup")):
        if params.get(key):
            return [f"arn:aws:elasticache:{region}:{account}:{kind}:{params[key]}"]
    if params.get("ResourceName"):
        return [params["ResourceName"]]
    return ["*"]


def _autoscaling(action, params, region, account):
    if action.startswith("Describe") or not params.get("AutoScalingGroupName"):
        return ["*"]
    # the group's id is in its ARN; policies name the group with a wildcard there
    return [f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{params['AutoScalingGroupName']}"]


def _cloudwatch(action, params, region, account):
    names = _members(params, "AlarmNames") or ([params["AlarmName"]] if params.get("AlarmName") else [])
    names += params.get("AlarmNames", []) if isinstance(params.get("AlarmNames"), list) else []
    if action in ("PutMetricAlarm", "DeleteAlarms", "SetAlarmState", "EnableAlarmActions", "DisableAlarmActions") and names:
        return [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" for name in names]
    if action in ("PutDashboard", "GetDashboard", "DeleteDashboards"):
        listed = params.get("DashboardNames")
        names = listed if isinstance(listed, list) else _members(params, "DashboardNames") or [params.get("DashboardName", "*")]
        return [f"arn:aws:cloudwatch::{account}:dashboard/{name}" for name in names]
    return ["*"]


def _ssm(action, params, region, account):
    def arn(name):
        return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"

    if action in ("ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource") and params.get("ResourceType") == "Parameter":
        return [arn(params["ResourceId"])]
    if params.get("Names"):
        return [arn(name) for name in params["Names"]]
    if params.get("Name"):
        return [arn(params["Name"])]
    if params.get("Path"):
        return [arn(params["Path"])]
    return ["*"]


def _secretsmanager(action, params, region, account):
    secret = params.get("SecretId") or params.get("Name")
    if not secret:
        return ["*"]
    if secret.startswith("arn:"):
        return [secret]
    try:  # the ARN ends in a random suffix: the one the secret really has
        from moto.secretsmanager.models import secretsmanager_backends

        return [secretsmanager_backends[account][region].secrets[secret].arn]
    except Exception:  # unknown secret: the service answers ResourceNotFound after authorization
        return [f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}"]


def _kms(action, params, region, account):
    key = params.get("KeyId") or params.get("TargetKeyId")
    alias = params.get("AliasName")
    # an alias's own calls are checked on the alias and on the key it names
    found = [f"arn:aws:kms:{region}:{account}:{alias}"] if alias and action.endswith("Alias") else []
    if not key and alias and action == "DeleteAlias":
        key = alias
    if not key:
        return found or ["*"]
    try:  # aliases and key ids authorize against the key's ARN
        from moto.kms.models import kms_backends

        return found + [kms_backends[account][region].describe_key(key).arn]
    except Exception:  # no such key (yet): IAM sees the ARN the name would have
        if key.startswith("alias/"):
            return found + [f"arn:aws:kms:{region}:{account}:{key}"]
        return found + [key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"]


# EC2's resources by the parameter that names them (a list as Name.1, Name.2, ...), and the resource a Create call
# makes: IAM evaluates the new resource's ARN with a "*" id, and the request's tags (aws:RequestTag).
EC2_IDS = (("VpcId", "vpc"), ("SubnetId", "subnet"), ("GroupId", "security-group"), ("SecurityGroupId", "security-group"),
           ("RouteTableId", "route-table"), ("InternetGatewayId", "internet-gateway"), ("VpcEndpointId", "vpc-endpoint"),
           ("LaunchTemplateId", "launch-template"), ("NatGatewayId", "natgateway"), ("AllocationId", "elastic-ip"),
           ("InstanceId", "instance"))
EC2_CREATES = {"CreateVpc": "vpc", "CreateSubnet": "subnet", "CreateSecurityGroup": "security-group",
               "CreateInternetGateway": "internet-gateway", "CreateRouteTable": "route-table", "CreateVpcEndpoint": "vpc-endpoint",
               "CreateLaunchTemplate": "launch-template", "CreateNatGateway": "natgateway", "AllocateAddress": "elastic-ip"}


def _ec2(action, params, region, account):
    if action.startswith("Describe"):
        return ["*"]
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    ids = []
    for key, kind in EC2_IDS:
        ids += [(kind, value) for value in ([params[key]] if params.get(key) else _members(params, key))]
    if params.get("LaunchTemplateName") and action != "CreateLaunchTemplate":
        ids.append(("launch-template", backend.launch_template_name_to_ids.get(params["LaunchTemplateName"], params["LaunchTemplateName"])))
    if action == "DeleteSecurityGroup" and params.get("GroupName") and not params.get("GroupId"):
        group = next((g for groups in backend.groups.values() for g in groups.values() if g.name == params["GroupName"]), None)
        ids.append(("security-group", group.id if group else params["GroupName"]))
    if action == "DisassociateRouteTable":  # the association belongs to a route table
        table = next((t for t in backend.route_tables.values() if params.get("AssociationId") in t._associations), None)
        ids.append(("route-table", table.id if table else params.get("AssociationId")))
    found = [f"arn:aws:ec2:{region}:{account}:{EC2_CREATES[action]}/*"] if action in EC2_CREATES else []
    return found + [f"arn:aws:ec2:{region}:{account}:{kind}/{rid}" for kind, rid in ids] or ["*"]


def _sns(action, params, region, account):
    if params.get("TopicArn"):
        return [params["TopicArn"]]
    if action == "CreateTopic" and params.get("Name"):
        return [f"arn:aws:sns:{region}:{account}:{params['Name']}"]
    return ["*"]


def _dynamodb(action, params, region, account):
    if params.get("TableName"):
        return [f"arn:aws:dynamodb:{region}:{account}:table/{params['TableName']}"]
    if params.get("ResourceArn"):
        return [params["ResourceArn"]]
    return ["*"]


def _elbv2(action, params, region, account):
    if action.startswith("Describe"):
        return ["*"]
    found = [params[key] for key in ("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "RuleArn") if params.get(key)]
    found += _members(params, "ResourceArns")
    base = f"arn:aws:elasticloadbalancing:{region}:{account}"
    if action == "CreateLoadBalancer" and params.get("Name"):
        found.append(f"{base}:loadbalancer/{'net' if params.get('Type') == 'network' else 'app'}/{params['Name']}/*")
    if action == "CreateTargetGroup" and params.get("Name"):
        found.append(f"{base}:targetgroup/{params['Name']}/*")
    return found or ["*"]


def _route53(action, path, account):
    match = re.search(r"/(hostedzone|healthcheck|change)/([^/]+)", path)
    if match and not action.startswith("List"):
        return [f"arn:aws:route53:::{match.group(1)}/{match.group(2)}"]
    if match and action == "ListResourceRecordSets":
        return [f"arn:aws:route53:::hostedzone/{match.group(2)}"]
    return ["*"]


def _cloudfront(action, path, account):
    match = re.search(r"/distribution/([^/]+)", path)
    return [f"arn:aws:cloudfront::{account}:distribution/{match.group(1)}"] if match else ["*"]


def _backup(action, path, region, account):
    """Vaults by name; plans by the id AWS makes (a new plan as backup-plan:*); the rest (listing, jobs) "*"."""
    vault = re.search(r"/backup-vaults/([^/]+)", path)
    if vault:
        return [f"arn:aws:backup:{region}:{account}:backup-vault:{unquote(vault.group(1))}"]
    plan = re.search(r"/backup/plans/([^/]+)", path)
    if plan:
        return [f"arn:aws:backup:{region}:{account}:backup-plan:{plan.group(1)}"]
    return [f"arn:aws:backup:{region}:{account}:backup-plan:*"] if action == "CreateBackupPlan" else ["*"]


def _iam(action, params, account):
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("InstanceProfileName", "instance-profile"), ("GroupName", "group")):
        if params.get(key):
            return [f"arn:aws:iam::{account}:{kind}/{params[key]}"]
    if params.get("PolicyArn"):
        return [params["PolicyArn"]]
    if action == "CreatePolicy" and params.get("PolicyName"):
        return [f"arn:aws:iam::{account}:policy{params.get('Path', '/')}{params['PolicyName']}"]
    return ["*"]


def _s3(environ):
    host = environ.get("HTTP_HOST", "").split(":")[0]
    path = unquote(environ.get("PATH_INFO", "")).lstrip("/")
    bucket, _, key = path.partition("/")
    if ".s3." in host or host.endswith(".s3.amazonaws.com"):  # virtual-hosted style
        bucket, key = host.split(".s3", 1)[0], path
    if not bucket:
        return ["*"]
    return [f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"]


def resources(environ, body, region, service, action, account=ACCOUNT):
    """The ARNs IAM evaluates the request against (every one must be allowed); ["*"] for actions without one."""
    region = region or "us-east-1"
    if service == "route53":
        return _route53(action or "", environ.get("PATH_INFO", ""), account)
    if service == "cloudfront":
        return _cloudfront(action or "", environ.get("PATH_INFO", ""), account)
    if service == "s3":
        return ["*"] if action == "ListBuckets" else _s3(environ)
    if service == "backup":
        return _backup(action or "", environ.get("PATH_INFO", ""), region, account)
    params = request_params(environ, body)
    handler = {"rds": _rds, "elasticache": _elasticache, "autoscaling": _autoscaling, "cloudwatch": _cloudwatch,
               "ssm": _ssm, "secretsmanager": _secretsmanager, "kms": _kms, "sns": _sns, "dynamodb": _dynamodb,
               "elbv2": _elbv2, "ec2": _ec2}.get(service)
    if handler:
        return handler(action or "", params, region, account)
    if service == "iam":
        return _iam(action or "", params, account)
    return ["*"]


# --- who signed it --------------------------------------------------------------------

ACCESS_KEY_RE = re.compile(r"Credential=([^/]+)/")


def iam_user(environ, account=ACCOUNT):
    """(user ARN, [policy documents]) of the IAM user whose access key signed the request, else None."""
    match = ACCESS_KEY_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return None
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    for user in list(backend.users.values()):
        if any(key.access_key_id == match.group(1) for key in user.access_keys):
            return user.arn, _policies(backend, user)
    return None


def _document(policy):
    if isinstance(policy, dict):
        return json.loads(policy["policy_document"]) if isinstance(policy.get("policy_document"), str) else policy.get("policy_document")
    version = next(v for v in policy.versions if v.is_default)
    return json.loads(version.document) if isinstance(version.document, str) else version.document


def _policies(backend, user):
    documents = [json.loads(doc) if isinstance(doc, str) else doc for doc in user.policies.values()]
    documents += [_document(policy) for policy in user.managed_policies.values()]
    for group in backend.get_groups_for_user(user.name):
        documents += [json.loads(doc) if isinstance(doc, str) else doc for doc in group.policies.values()]
        documents += [_document(policy) for policy in group.managed_policies.values()]
    return documents


# --- policy evaluation ----------------------------------------------------------------

def _listed(value):
    return value if isinstance(value, list) else [value]


def _matches(pattern, value, ignore_case=False):
    regex = "^" + ".*".join(re.escape(part).replace(r"\?", ".") for part in pattern.split("*")) + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


KNOWN_OPERATORS = {"StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals",
                   "ArnNotLike", "Bool"}


def _condition_holds(conditions, context):
    """Every operator and key must hold. A key absent from the request context fails a positive test (IfExists
    operators excepted) and passes a negated one. None for an operator the simulator does not know."""
    for operator, keys in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        base = operator[:-len("IfExists")] if if_exists else operator
        if base not in KNOWN_OPERATORS:
            return None  # the caller decides: a Deny applies (fail closed), an Allow does not
        for key, expected in keys.items():
            actual = context.get(key.lower())
            if actual is None:
                # a missing key fails a positive test and passes a negated one (StringNotEquals, ...)
                if if_exists or "Not" in base:
                    continue
                return False
            expected = [str(e) for e in _listed(expected)]
            if base in ("StringEquals", "ArnEquals"):
                ok = actual in expected
            elif base in ("StringLike", "ArnLike"):
                ok = any(_matches(e, actual) for e in expected)
            elif base in ("StringNotEquals", "ArnNotEquals"):
                ok = actual not in expected
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(_matches(e, actual) for e in expected)
            else:
                ok = actual.lower() in [e.lower() for e in expected]  # Bool
            if not ok:
                return False
    return True


def _applies(statement, action, resource, context):
    if "Action" in statement:
        if not any(_matches(a, action, ignore_case=True) for a in _listed(statement["Action"])):
            return False
    elif any(_matches(a, action, ignore_case=True) for a in _listed(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_matches(r, resource) for r in _listed(statement["Resource"])):
            return False
    elif any(_matches(r, resource) for r in _listed(statement.get("NotResource", []))):
        return False
    holds = _condition_holds(statement.get("Condition"), context)
    return statement.get("Effect") == "Deny" if holds is None else holds


def evaluate(documents, action, resource, context=None):
    """'allowed', 'explicit' (an explicit Deny) or 'implicit' (no statement allows it), as IAM decides for
    identity-based policies."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    allowed = False
    for document in documents:
        for statement in _listed(document.get("Statement", [])):
            if _applies(statement, action, resource, context):
                if statement.get("Effect") == "Deny":
                    return "explicit"
                allowed = allowed or statement.get("Effect") == "Allow"
    return "allowed" if allowed else "implicit"


# IAM's iam:PermissionsBoundary key (Service Authorization Reference): the boundary a call sets, or the one the
# role or user it changes has. Absent when there is none, so a condition requiring one does not hold.
SETS_BOUNDARY = {"CreateRole", "CreateUser", "PutRolePermissionsBoundary", "PutUserPermissionsBoundary"}
HAS_BOUNDARY = {"AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "DeleteRolePermissionsBoundary",
                "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy", "DeleteUserPermissionsBoundary"}


def permissions_boundary(action, params, account=ACCOUNT):
    if action in SETS_BOUNDARY:
        return params.get("PermissionsBoundary") or None
    if action not in HAS_BOUNDARY:
        return None
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    if params.get("RoleName"):
        entity = next((r for r in list(backend.roles.values()) if r.name == params["RoleName"]), None)
    else:
        entity = backend.users.get(params.get("UserName", ""))
    return getattr(entity, "permissions_boundary_arn", None) or None


TAGGED = ("ec2", "kms", "backup", "cloudfront")  # the services whose aws:RequestTag and aws:ResourceTag are evaluated


def request_tags(service, params, body=b""):
    """The tags a call puts on what it makes (aws:RequestTag/<key>): EC2's TagSpecification.N.Tag.M, KMS's Tags,
    AWS Backup's BackupPlanTags/BackupVaultTags, CloudFront's Tags (XML)."""
    if service == "cloudfront":
        text = (body or b"").decode("utf-8", "replace")
        return dict(re.findall(r"<Tag>\s*<Key>([^<]*)</Key>\s*<Value>([^<]*)</Value>\s*</Tag>", text))
    if service == "backup":  # rest-json: the tags are in the body
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}
        return dict(data.get("BackupPlanTags") or data.get("BackupVaultTags") or {}) if isinstance(data, dict) else {}
    if service == "ec2":
        keys = {k[:-len(".Key")]: v for k, v in params.items() if re.match(r"^TagSpecification\.\d+\.Tag\.\d+\.Key$", k)}
        return {key: params.get(f"{prefix}.Value", "") for prefix, key in keys.items()}
    if service == "kms" and isinstance(params.get("Tags"), list):
        return {t.get("TagKey"): t.get("TagValue", "") for t in params["Tags"]}
    return {}


def resource_tags(service, arn, region, account=ACCOUNT):
    """The tags of the resource an ARN names (aws:ResourceTag/<key>), for the TAGGED services; {} when it has none (yet)."""
    rid = arn.rsplit("/", 1)[-1]
    if service == "ec2" and rid != "*":
        from moto.ec2.models import ec2_backends

        return dict(ec2_backends[account][region].tags.get(rid, {}))
    if service in ("backup", "cloudfront") and not arn.endswith("*"):
        from moto.backup.models import backup_backends
        from moto.cloudfront.models import cloudfront_backends

        if service == "backup":
            return dict(backup_backends[account][arn.split(":")[3]].tagger.get_tag_dict_for_resource(arn))
        return {t["Key"]: t["Value"] for t in cloudfront_backends[account]["aws"].tagger.list_tags_for_resource(arn)["Tags"]}
    if service == "kms" and ":key/" in arn:
        from moto.kms.models import kms_backends

        try:
            return {t["TagKey"]: t["TagValue"] for t in kms_backends[account][arn.split(":")[3]].list_resource_tags(rid)["Tags"]}
        except Exception:
            return {}
    return {}


def authorize(environ, body, region, service, action, account=ACCOUNT):
    """None when allowed (or not signed by an IAM user), else (code, message, status) as AWS refuses it.
    Also returns what was evaluated, for the request log: (refusal, principal, resources)."""
    if not service or not action:
        return None, None, None
    user = iam_user(environ, account)
    if user is None:
        return None, None, None
    arn, documents = user
    names = iam_actions(service, action)
    targets = resources(environ, body, region, service, action, account)
    if names[0] in ALWAYS_ALLOWED:
        return None, arn, targets
    context = {"aws:RequestedRegion": region or "us-east-1", "aws:PrincipalArn": arn, "aws:username": arn.rsplit("/", 1)[-1]}
    params = request_params(environ, body)
    if names[0] == "cloudwatch:PutMetricData":  # the services' condition keys: which namespace the metrics go to,
        context["cloudwatch:namespace"] = params.get("Namespace", "")
    if service == "iam" and params.get("PolicyArn"):  # which managed policy is attached or detached
        context["iam:PolicyARN"] = params["PolicyArn"]
    boundary = permissions_boundary(action, params, account) if service == "iam" else None
    if boundary:
        context["iam:PermissionsBoundary"] = boundary
    context.update({f"aws:RequestTag/{k}": v for k, v in request_tags(service, params, body).items()})
    for name, target in ((name, target) for name in names for target in targets):
        tags = resource_tags(service, target, region or "us-east-1", account) if service in TAGGED else {}
        decision = evaluate(documents, name, target, {**context, **{f"aws:ResourceTag/{k}": v for k, v in tags.items()}})
        if decision != "allowed":
            why = ("with an explicit deny in an identity-based policy" if decision == "explicit"
                   else f"because no identity-based policy allows the {name} action")
            message = f"User: {arn} is not authorized to perform: {name} on resource: {target} {why}"
            if service == "ec2":
                message = "You are not authorized to perform this operation. " + message
            code, status = DENIED_CODE.get(service, ("AccessDenied", 403))
            return (code, message, status), arn, targets
    return None, arn, targets
