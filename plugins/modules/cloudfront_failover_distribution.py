#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudfront_failover_distribution
version_added: 0.1.0
short_description: A CloudFront distribution that fails over between regional origins
description:
  - Makes a CloudFront distribution (found by O(caller_reference)) whose origins are the regional endpoints of an
    application (custom origins, HTTPS only) and whose default cache behavior targets an origin group that fails
    over from O(primary_origin) to O(secondary_origin) on O(failover_status_codes); or disables and deletes it.
  - Why this module exists - M(community.aws.cloudfront_distribution) has no origin groups (OriginGroups), so
    it cannot make a distribution fail over between origins.
  - CloudFront is global; the module talks to its endpoint whatever O(region) is.
  - An origin group has exactly two members (CloudFront's limit); list every region as an origin so that a
    failover only changes the group's members, and give a secondary origin whose DNS name spans the standby
    regions to cover more than two regions. CloudFront fails over only GET, HEAD and OPTIONS requests, and a
    cache behavior that targets an origin group may allow no other methods, so the default cache behavior
    allows those three.
  - The distribution's other settings (aliases, certificate, logging, restrictions, ...) are kept as they are;
    on creation they are CloudFront's defaults (the C(*.cloudfront.net) certificate).
  - O(state=absent) disables the distribution, waits until it is V(Deployed) (CloudFront deletes only disabled,
    deployed distributions), then deletes it; with O(wait=false) a rerun finishes the deletion.
author:
  - multiregion.dr developers (@multiregion)
options:
  caller_reference:
    description: Unique reference of the distribution; the module finds the distribution by it.
    type: str
    required: true
  comment:
    description: Comment of the distribution; empty for a new one, kept when omitted.
    type: str
  origins:
    description:
      - Custom origins (e.g. the regional load balancers). Required to create the distribution; when omitted, the
        distribution's origins are kept and only the origin group changes (what a failover does).
      - The secondary may be a name that Route 53 resolves to several regions (weighted records with health
        checks), so that one group of two members covers three or more regions (the cdn role's standby name).
    type: list
    elements: dict
    suboptions:
      id:
        description: Origin id (unique in the distribution), e.g. the region name.
        type: str
        required: true
      domain_name:
        description: DNS name of the origin. CloudFront checks the origin's certificate against it.
        type: str
        required: true
      https_port:
        description: HTTPS port of the origin.
        type: int
        default: 443
      read_timeout:
        description: Seconds CloudFront waits for the origin's response (1 to 60).
        type: int
        default: 30
  origin_group_id:
    description: Id of the origin group.
    type: str
    default: failover
  primary_origin:
    description: Origin id CloudFront sends requests to. Required with O(state=present).
    type: str
  secondary_origin:
    description: Origin id CloudFront retries on when the primary answers a failover status code or does not answer.
      Required with O(state=present).
    type: str
  write_path_patterns:
    description:
      - Path patterns that take writes (C(POST), C(PUT), C(PATCH), C(DELETE)), for example V(/api/*). Each gets a cache
        behavior of its own to O(write_origin) that forwards all seven methods, with the default behavior's policies and no
        caching of writes. A behavior that targets the origin group may allow only C(GET), C(HEAD) and C(OPTIONS)
        (CloudFront fails over only those), so writes cannot use the group.
      - Omitted - the distribution's own cache behaviors are kept; V([]) removes them.
    type: list
    elements: str
  write_origin:
    description:
      - The origin id the writes go to; one of the origins, never the origin group. Required with O(write_path_patterns).
      - Best an origin whose name Route 53 answers with the active region (the application's weighted, health-checked
        DNS name, as the cdn role does) - writes then follow a failover through DNS with no change to the
        distribution, and reach a healthy region while the CloudFront API is down.
    type: str
  failover_status_codes:
    description:
      - HTTP status codes of the primary that make CloudFront try the secondary.
      - V([500, 502, 503, 504]) for a new distribution; kept when omitted.
    type: list
    elements: int
  viewer_protocol_policy:
    description:
      - What viewers may use; HTTP requests are redirected to HTTPS or refused.
      - V(redirect-to-https) for a new distribution; kept when omitted.
    type: str
    choices: [redirect-to-https, https-only]
  cache_policy_id:
    description:
      - Cache policy of the default cache behavior.
      - The managed CachingDisabled policy (C(4135ea2d-6df8-44a3-9df3-4b5a84be39ad), an API) for a new
        distribution; kept when omitted.
    type: str
  origin_request_policy_id:
    description:
      - Origin request policy of the default cache behavior.
      - The managed AllViewerExceptHostHeader policy (C(b689b0a8-53d0-40ab-baf2-68738e2966ac)) for a new
        distribution (headers, cookies and query strings reach the origin, with the origin's own Host header);
        kept when omitted.
    type: str
  price_class:
    description: CloudFront price class; V(PriceClass_All) for a new distribution, kept when omitted.
    type: str
    choices: [PriceClass_All, PriceClass_200, PriceClass_100]
  enabled:
    description: Whether the distribution serves requests; V(true) for a new distribution, kept when omitted.
    type: bool
  tags:
    description: Tags of the distribution; tags not given are kept.
    type: dict
    default: {}
  state:
    description: V(present) makes or updates the distribution; V(absent) disables and deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - multiregion.dr.dr.control_plane
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Distribution failing over from us-east-1 to us-west-2
  multiregion.dr.cloudfront_failover_distribution:
    caller_reference: shop-cdn
    comment: shop
    origins:
      - id: us-east-1
        domain_name: origin-us-east-1.shop.example.com
      - id: us-west-2
        domain_name: origin-us-west-2.shop.example.com
      - id: eu-west-1
        domain_name: origin-eu-west-1.shop.example.com
    primary_origin: us-east-1
    secondary_origin: us-west-2
    tags:
      Application: shop
  run_once: true

- name: After a failover to eu-west-1, send requests there first (origins kept, CloudFront deploys in the background)
  multiregion.dr.cloudfront_failover_distribution:
    caller_reference: shop-cdn
    primary_origin: eu-west-1
    secondary_origin: standby
    wait: false
"""

RETURN = r"""
deferred:
  description:
    - The control plane did not answer and O(when_unreachable=defer) - nothing was changed; run again to make the change.
  returned: when deferred
  type: bool
  sample: true
distribution_id:
  description: Id of the distribution.
  returned: when it exists
  type: str
  sample: E2QWRUHAPOMQZL
arn:
  description: ARN of the distribution.
  returned: when it exists
  type: str
domain_name:
  description: The distribution's C(*.cloudfront.net) name.
  returned: when it exists
  type: str
  sample: d111111abcdef8.cloudfront.net
status:
  description: V(InProgress) or V(Deployed); V(absent) once deleted.
  returned: always
  type: str
plan:
  description: What the module does (or would do in check mode).
  returned: always
  type: list
  elements: str
statuses_seen:
  description: Distribution statuses seen while waiting.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONTROL_PLANE_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.clients import defer_unless_reachable
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.cloudfront import CLOUDFRONT_REGION, FAILOVER_CODES, find_distribution, listed, origin_group
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC, wait_or_fail

METHODS = ["GET", "HEAD", "OPTIONS"]
# what a write behavior forwards: the largest of CloudFront's three method sets (AllowedMethods Quantity 7)
WRITE_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
# A new distribution's settings, for the options not given (an existing one keeps its own)
NEW_DISTRIBUTION = {
    "comment": "",
    "failover_status_codes": [500, 502, 503, 504],
    "viewer_protocol_policy": "redirect-to-https",
    "cache_policy_id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",  # managed CachingDisabled
    "origin_request_policy_id": "b689b0a8-53d0-40ab-baf2-68738e2966ac",  # managed AllViewerExceptHostHeader
    "price_class": "PriceClass_All",
    "enabled": True,
}
# default cache behavior fields the module does not manage but keeps on update (the legacy
# ForwardedValues/TTL fields are dropped: CloudFront refuses them beside a cache policy)
KEPT_BEHAVIOR_FIELDS = ("TrustedSigners", "TrustedKeyGroups", "LambdaFunctionAssociations", "FunctionAssociations",
                        "FieldLevelEncryptionId", "RealtimeLogConfigArn", "ResponseHeadersPolicyId", "SmoothStreaming")


def current_settings(config, group_id):
    """The settings a new distribution gets, or those an existing one has (for the options not given)."""
    if not config:
        return dict(NEW_DISTRIBUTION)
    behavior = config.get("DefaultCacheBehavior", {})
    group = origin_group(config, group_id)
    codes = group["FailoverCriteria"]["StatusCodes"].get("Items") if group else None
    return {
        "comment": config.get("Comment", ""),
        "failover_status_codes": [int(c) for c in codes] if codes else NEW_DISTRIBUTION["failover_status_codes"],
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy") or NEW_DISTRIBUTION["viewer_protocol_policy"],
        "cache_policy_id": behavior.get("CachePolicyId") or NEW_DISTRIBUTION["cache_policy_id"],
        "origin_request_policy_id": behavior.get("OriginRequestPolicyId") or NEW_DISTRIBUTION["origin_request_policy_id"],
        "price_class": config.get("PriceClass") or NEW_DISTRIBUTION["price_class"],
        "enabled": bool(config.get("Enabled")),
    }


def desired_parts(params, config=None):
    """The managed parts of the distribution config: the options given, the current (or a new
    distribution's) settings for those omitted, and the current origins when none are given."""
    params = dict(params, **{k: v for k, v in current_settings(config, params["origin_group_id"]).items() if params[k] is None})
    origins = config["Origins"]["Items"] if params["origins"] is None else [
        {
            "Id": o["id"],
            "DomainName": o["domain_name"],
            "OriginPath": "",
            "CustomHeaders": {"Quantity": 0},
            "CustomOriginConfig": {
                "HTTPPort": 80,
                "HTTPSPort": o["https_port"],
                "OriginProtocolPolicy": "https-only",
                "OriginSslProtocols": listed(["TLSv1.2"]),
                "OriginReadTimeout": o["read_timeout"],
                "OriginKeepaliveTimeout": 5,
            },
        }
        for o in params["origins"]
    ]
    group = {
        "Id": params["origin_group_id"],
        "FailoverCriteria": {"StatusCodes": listed(sorted(params["failover_status_codes"]))},
        "Members": listed([{"OriginId": params["primary_origin"]}, {"OriginId": params["secondary_origin"]}]),
    }
    behavior = {
        "TargetOriginId": params["origin_group_id"],
        "ViewerProtocolPolicy": params["viewer_protocol_policy"],
        "CachePolicyId": params["cache_policy_id"],
        "OriginRequestPolicyId": params["origin_request_policy_id"],
        "AllowedMethods": dict(listed(METHODS), CachedMethods=listed(["GET", "HEAD"])),
        "Compress": True,
    }
    if params["write_path_patterns"] is None:
        behaviors = (config or {}).get("CacheBehaviors") or listed([])
    else:
        behaviors = listed([
            dict(behavior, PathPattern=pattern, TargetOriginId=params["write_origin"],
                 AllowedMethods=dict(listed(WRITE_METHODS), CachedMethods=listed(["GET", "HEAD"])))
            for pattern in params["write_path_patterns"]])
    return {
        "Origins": listed(origins),
        "OriginGroups": listed([group]),
        "DefaultCacheBehavior": behavior,
        "CacheBehaviors": behaviors,
        "Comment": params["comment"],
        "PriceClass": params["price_class"],
        "Enabled": params["enabled"],
    }


def summary(config):
    """The settings this module manages, in a form that compares equal when they are the same."""
    origins = sorted(
        (o["Id"], o["DomainName"], o.get("CustomOriginConfig", {}).get("OriginProtocolPolicy"),
         int(o.get("CustomOriginConfig", {}).get("HTTPSPort", 443)), int(o.get("CustomOriginConfig", {}).get("OriginReadTimeout", 30)))
        for o in config.get("Origins", {}).get("Items") or []
    )
    groups = sorted(
        (g["Id"], tuple(sorted(int(c) for c in g["FailoverCriteria"]["StatusCodes"].get("Items") or [])),
         tuple(m["OriginId"] for m in g["Members"].get("Items") or []))
        for g in config.get("OriginGroups", {}).get("Items") or []
    )
    behavior = config.get("DefaultCacheBehavior", {})
    return {
        "origins": origins,
        "origin_groups": groups,
        "target": behavior.get("TargetOriginId"),
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy"),
        "cache_policy_id": behavior.get("CachePolicyId"),
        "origin_request_policy_id": behavior.get("OriginRequestPolicyId"),
        "allowed_methods": sorted(behavior.get("AllowedMethods", {}).get("Items") or []),
        "write_behaviors": sorted((b["PathPattern"], b["TargetOriginId"], tuple(sorted(b.get("AllowedMethods", {}).get("Items") or [])))
                                  for b in (config.get("CacheBehaviors") or {}).get("Items") or []),
        "comment": config.get("Comment", ""),
        "price_class": config.get("PriceClass"),
        "enabled": bool(config.get("Enabled")),
    }


def validate(module):
    params = module.params
    if params["state"] == "absent":
        return
    for option in ("primary_origin", "secondary_origin"):
        if not params[option]:
            module.fail_json(msg=f"{option} is required with state=present")
    patterns = params["write_path_patterns"] or []
    if patterns and not params["write_origin"]:
        module.fail_json(msg=f"write_path_patterns={patterns} needs write_origin, the origin the writes go to")
    if len(set(patterns)) != len(patterns) or [p for p in patterns if not p.startswith("/") and p != "*"]:
        module.fail_json(msg=f"write_path_patterns={patterns}: each must start with / (or be *), once")
    if params["origins"] is not None:
        if not params["origins"]:
            module.fail_json(msg="origins is empty: give the origins, or omit the option to keep the distribution's own")
        ids = [o["id"] for o in params["origins"]]
        if len(set(ids)) != len(ids):
            module.fail_json(msg=f"origins[].id must be unique, got {', '.join(ids)}")
        check_members(module, ids)
    if params["primary_origin"] == params["secondary_origin"]:
        module.fail_json(msg=f"primary_origin and secondary_origin are both {params['primary_origin']!r}: an origin group needs two origins")
    codes = params["failover_status_codes"]
    if codes is not None and (not codes or [c for c in codes if c not in FAILOVER_CODES]):
        module.fail_json(msg=f"failover_status_codes={params['failover_status_codes']} : CloudFront fails over on {FAILOVER_CODES} only")
    for origin in params["origins"] or []:
        if not 1 <= origin["read_timeout"] <= 60:
            module.fail_json(msg=f"origins[{origin['id']}].read_timeout={origin['read_timeout']} must be 1 to 60 seconds")


def check_members(module, ids):
    """The group's members and id against the origin ids (given, or the distribution's own)."""
    params = module.params
    for option in ("primary_origin", "secondary_origin"):
        if params[option] not in ids:
            module.fail_json(msg=f"{option}={params[option]!r} is not one of the origins: {', '.join(ids)}")
    if params["origin_group_id"] in ids:
        module.fail_json(msg=f"origin_group_id={params['origin_group_id']!r} is also an origin id")
    if params["write_path_patterns"] and params["write_origin"] not in ids:
        why = ("CloudFront forwards only GET, HEAD and OPTIONS to an origin group" if params["write_origin"] == params["origin_group_id"]
               else f"not one of the origins: {', '.join(ids)}")
        module.fail_json(msg=f"write_origin={params['write_origin']!r}: {why}")


def main():
    argument_spec = dict(
        caller_reference=dict(type="str", required=True),
        comment=dict(type="str"),
        origins=dict(type="list", elements="dict", options=dict(
            id=dict(type="str", required=True),
            domain_name=dict(type="str", required=True),
            https_port=dict(type="int", default=443),
            read_timeout=dict(type="int", default=30),
        )),
        origin_group_id=dict(type="str", default="failover"),
        primary_origin=dict(type="str"),
        write_path_patterns=dict(type="list", elements="str"),
        write_origin=dict(type="str"),
        secondary_origin=dict(type="str"),
        failover_status_codes=dict(type="list", elements="int"),
        viewer_protocol_policy=dict(type="str", choices=["redirect-to-https", "https-only"]),
        cache_policy_id=dict(type="str"),
        origin_request_policy_id=dict(type="str"),
        price_class=dict(type="str", choices=["PriceClass_All", "PriceClass_200", "PriceClass_100"]),
        enabled=dict(type="bool"),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **WAIT_ARGUMENT_SPEC,
        **CONTROL_PLANE_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    defer_unless_reachable(module, "cloudfront", plan=[], statuses_seen=[])
    params = module.params
    reference = params["caller_reference"]
    cf = client(module, "cloudfront", CLOUDFRONT_REGION)
    plan, seen = [], []

    def wait_deployed(dist_id):
        if not params["wait"]:
            return cf.get_distribution(Id=dist_id)["Distribution"]
        return wait_or_fail(
            module, lambda: cf.get_distribution(Id=dist_id)["Distribution"], lambda d: d["Status"] == "Deployed",
            f"distribution {dist_id} to be Deployed", status_of=lambda d: d["Status"], statuses=seen,
            fail=lambda msg: module.fail_json(msg=msg, plan=plan, statuses_seen=seen),
        )

    try:
        item, config, etag = find_distribution(cf, reference)
        dist_id = item and item["Id"]
        before = summary(config) if config else {}

        if params["state"] == "absent":
            if not dist_id:
                module.exit_json(changed=False, plan=[], status="absent", statuses_seen=[])
            if config["Enabled"]:
                plan.append(f"disable distribution {dist_id}")
            plan.append(f"delete distribution {dist_id}")
            if module.check_mode:
                module.exit_json(changed=True, plan=plan, status="absent", statuses_seen=[], diff={"before": before, "after": {}})
            if config["Enabled"]:
                config["Enabled"] = False
                etag = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=config)["ETag"]
            dist = wait_deployed(dist_id)
            if dist["Status"] != "Deployed":
                module.exit_json(changed=True, plan=plan[:1], status=dist["Status"], statuses_seen=seen,
                                 msg=f"distribution {dist_id} is disabled and {dist['Status']}: rerun to delete it once Deployed")
            cf.delete_distribution(Id=dist_id, IfMatch=cf.get_distribution(Id=dist_id)["ETag"])
            module.exit_json(changed=True, plan=plan, status="absent", statuses_seen=seen, diff={"before": before, "after": {}})

        if params["origins"] is None:
            if not dist_id:
                module.fail_json(msg=f"no distribution with caller_reference={reference!r} exists: give origins to create it")
            check_members(module, [o["Id"] for o in config["Origins"].get("Items") or []])
        want = desired_parts(params, config)
        if not dist_id:
            plan.append(f"create distribution {reference} failing over from {params['primary_origin']} to {params['secondary_origin']}")
            dist = None
            if not module.check_mode:
                new = dict(want, CallerReference=reference, Aliases={"Quantity": 0})
                tags = [{"Key": k, "Value": str(v)} for k, v in params["tags"].items()]
                dist = cf.create_distribution_with_tags(
                    DistributionConfigWithTags={"DistributionConfig": new, "Tags": {"Items": tags}}
                )["Distribution"]
                dist = wait_deployed(dist["Id"])
            module.exit_json(changed=True, plan=plan, statuses_seen=seen, status=(dist or {}).get("Status", "absent"),
                             distribution_id=(dist or {}).get("Id"), arn=(dist or {}).get("ARN"),
                             domain_name=(dist or {}).get("DomainName"), diff={"before": {}, "after": summary(want)})

        if summary(config) != summary(want):
            changed_keys = sorted(k for k, v in summary(want).items() if before.get(k) != v)
            plan.append(f"update distribution {dist_id}: {', '.join(changed_keys)}")
            if not module.check_mode:
                behavior = {k: v for k, v in config["DefaultCacheBehavior"].items() if k in KEPT_BEHAVIOR_FIELDS}
                behavior.update(want["DefaultCacheBehavior"])
                config.update(want, DefaultCacheBehavior=behavior)
                cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=config)
        dist = cf.get_distribution(Id=dist_id)["Distribution"]
        if params["tags"]:
            current = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=dist["ARN"])["Tags"].get("Items") or []}
            missing = {k: str(v) for k, v in params["tags"].items() if current.get(k) != str(v)}
            if missing:
                plan.append(f"tag distribution {dist_id} with {', '.join(sorted(missing))}")
                if not module.check_mode:
                    cf.tag_resource(Resource=dist["ARN"], Tags={"Items": [{"Key": k, "Value": v} for k, v in missing.items()]})
        if plan and not module.check_mode:
            dist = wait_deployed(dist_id)
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"CloudFront distribution {reference}", plan=plan)

    module.exit_json(changed=bool(plan), plan=plan, statuses_seen=seen, status=dist["Status"], distribution_id=dist_id,
                     arn=dist["ARN"], domain_name=dist["DomainName"], diff={"before": before, "after": summary(want)})


if __name__ == "__main__":
    main()
