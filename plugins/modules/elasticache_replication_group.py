#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: multiregion.dr developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticache_replication_group
short_description: Manage an ElastiCache (Redis OSS/Valkey) replication group and its Global Datastore membership
version_added: 0.1.0
description:
  - Creates, updates or deletes an ElastiCache replication group (cluster mode disabled, one primary and
    O(num_cache_clusters) - 1 read replicas), with encryption, Multi-AZ and automatic failover, in one region.
  - It also manages the group's place in an ElastiCache Global Datastore. On the primary, O(global_datastore)
    creates the Global Datastore (C(CreateGlobalReplicationGroup)) when the group is not in one yet; in another
    region, O(global_replication_group_id) creates the group as a secondary member of that Global Datastore.
  - It exists because neither amazon.aws nor community.aws can do this. community.aws.elasticache manages single
    cache clusters (C(CreateCacheCluster)), not replication groups, so it has no replicas, automatic failover
    or Multi-AZ; and no module in either collection creates or joins a Global Datastore.
  - "Idempotent: an existing group is compared with the options, and what AWS can change in place is changed
    (description, automatic failover, Multi-AZ, security groups, node type, engine version, number of nodes, tags).
    What AWS cannot change without replacing the group (subnet group, port, encryption at rest and its KMS key,
    encryption in transit, engine, membership of another Global Datastore) is reported in RV(drift) with a warning;
    the module never deletes and recreates a group by itself."
  - Node type and engine version of a Global Datastore member belong to the Global Datastore (AWS changes them for all
    members at once with C(ModifyGlobalReplicationGroup)); a difference is reported in RV(drift), not changed here.
  - With O(state=absent), a member of a Global Datastore leaves it first, as AWS requires. A secondary is disassociated
    (C(DisassociateGlobalReplicationGroup)), then deleted. The primary can only go when no secondary is left; the
    Global Datastore is deleted first (C(DeleteGlobalReplicationGroup), keeping the primary), then the group.
  - Security groups, subnet group and engine version are read from the group's primary cache cluster
    (C(DescribeCacheClusters)), since AWS does not show them on the replication group. When that cluster cannot be read
    they are returned as null and not compared.
options:
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it (leaving its Global Datastore first).
      - With O(state=absent) and O(wait=false) the module still waits for the group to leave its Global Datastore
        (AWS deletes no member), but not for the deletion itself.
    type: str
    choices: [present, absent]
    default: present
  replication_group_id:
    description:
      - The replication group ID. 1 to 40 lowercase letters, digits and hyphens; it starts with a letter and has no
        two hyphens in a row and no hyphen at the end.
    type: str
    required: true
  description:
    description:
      - The replication group description. Defaults to O(replication_group_id) when the group is created.
    type: str
  engine:
    description:
      - The cache engine. Cannot be changed on an existing group.
    type: str
    choices: [redis, valkey]
    default: redis
  node_type:
    description:
      - The cache node type, for example C(cache.r6g.large). Required to create a group that is not a secondary.
      - Leave it out with O(global_replication_group_id), since a secondary takes the node type of its Global Datastore.
    type: str
  engine_version:
    description:
      - The engine version, for example C(7.1). AWS picks its default when left out on creation.
      - Leave it out with O(global_replication_group_id), since a secondary takes the engine version of its Global Datastore.
    type: str
  num_cache_clusters:
    description:
      - Number of nodes (cache clusters) in the group, the primary included; 1 to 6.
    type: int
    default: 3
  automatic_failover:
    description:
      - Promote a replica when the primary fails. Defaults to V(true) with 2 or more nodes and V(false) with one
        (AWS needs a replica for it).
    type: bool
  multi_az:
    description:
      - Place replicas in other Availability Zones than the primary. Defaults to V(true) with 2 or more nodes.
        Needs O(automatic_failover=true).
    type: bool
  cache_subnet_group:
    description:
      - The cache subnet group the nodes are placed in (the VPC). Set only on creation.
    type: str
  security_group_ids:
    description:
      - VPC security group IDs of the nodes. Compared as a set.
    type: list
    elements: str
  at_rest_encryption:
    description:
      - Encrypt data at rest. Set only on creation.
      - A Global Datastore secondary (O(global_replication_group_id)) takes it from the Global Datastore; a different
        value is reported in RV(drift).
    type: bool
    default: true
  kms_key_id:
    description:
      - The KMS key (ID or ARN) for encryption at rest; the AWS managed key when left out. Set only on creation.
      - Needs O(at_rest_encryption=true). A Global Datastore secondary uses a key of its own region.
    type: str
  transit_encryption:
    description:
      - Encrypt traffic with TLS. Set only on creation.
      - A Global Datastore secondary (O(global_replication_group_id)) takes it from the Global Datastore; a different
        value is reported in RV(drift).
    type: bool
    default: true
  auth_token:
    description:
      - The Redis AUTH token (password) clients must give. Set only on creation, and only on a group that is no
        Global Datastore secondary (a secondary uses its primary's). Needs O(transit_encryption=true).
      - 16 to 128 printable ASCII characters, without C(/), C(") or C(@).
      - AWS never shows a token, so it is not compared; an existing group without AUTH is reported in RV(drift).
    type: str
  port:
    description:
      - The port the nodes listen on. Set only on creation.
    type: int
    default: 6379
  tags:
    description:
      - Tags of the replication group.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not in O(tags). Has no effect when O(tags) is not given.
    type: bool
    default: true
  global_replication_group_id:
    description:
      - Create the group as a secondary member of this Global Datastore (the full ID, with the region prefix AWS gives it,
        for example C(ldgnf-shop-redis)). The Global Datastore must exist and have no member in this region yet.
      - Only a new group can join, AWS adds no existing group to a Global Datastore as a secondary.
      - Mutually exclusive with O(global_datastore), O(node_type) and O(engine_version).
    type: str
  global_datastore:
    description:
      - On the primary group, create a Global Datastore with this group as its primary, unless the group already
        is the primary of one. AWS puts a region prefix before the suffix; the real ID is returned in
        RV(global_replication_group_id).
      - Mutually exclusive with O(global_replication_group_id).
    type: dict
    suboptions:
      suffix:
        description:
          - The Global Datastore ID suffix. Letters, digits and hyphens.
        type: str
        required: true
      description:
        description:
          - The Global Datastore description.
        type: str
author:
  - multiregion.dr developers (@multiregion-dr)
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Primary in us-east-1, three nodes, encrypted, with a Global Datastore
  multiregion.dr.elasticache_replication_group:
    region: us-east-1
    replication_group_id: shop-redis
    node_type: cache.r6g.large
    engine_version: "7.1"
    cache_subnet_group: shop-redis
    security_group_ids: [sg-0123456789abcdef0]
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab
    global_datastore:
      suffix: shop-redis
      description: shop sessions
    tags:
      Application: shop
  register: redis_primary

- name: Secondary in us-west-2
  multiregion.dr.elasticache_replication_group:
    region: us-west-2
    replication_group_id: shop-redis
    global_replication_group_id: "{{ redis_primary.global_replication_group_id }}"
    cache_subnet_group: shop-redis
    security_group_ids: [sg-0fedcba9876543210]

- name: Remove the us-west-2 member (leaves the Global Datastore, then is deleted)
  multiregion.dr.elasticache_replication_group:
    region: us-west-2
    replication_group_id: shop-redis
    state: absent
"""

RETURN = r"""
changed:
  description: Whether anything was changed (in check mode, would be).
  returned: always
  type: bool
replication_group_id:
  description: The replication group ID.
  returned: always
  type: str
  sample: shop-redis
exists:
  description: Whether the group exists at the end of the run (in check mode, would exist).
  returned: always
  type: bool
status:
  description: The group status at the end of the run, null when it does not exist.
  returned: always
  type: str
  sample: available
primary_endpoint:
  description: Address of the primary endpoint (writes), null when unknown.
  returned: always
  type: str
  sample: master.shop-redis.abc123.use1.cache.amazonaws.com
reader_endpoint:
  description: Address of the reader endpoint, null when unknown.
  returned: always
  type: str
  sample: replica.shop-redis.abc123.use1.cache.amazonaws.com
port:
  description: The port of the endpoints, null when unknown.
  returned: always
  type: int
  sample: 6379
member_clusters:
  description: The cache clusters (nodes) of the group.
  returned: always
  type: list
  elements: str
  sample: ["shop-redis-001", "shop-redis-002", "shop-redis-003"]
global_replication_group_id:
  description: The Global Datastore the group is a member of (the real ID, with the region prefix), null when none
    (also in check mode when it would only be created).
  returned: always
  type: str
  sample: ldgnf-shop-redis
global_role:
  description: C(PRIMARY) or C(SECONDARY) in the Global Datastore, null when the group is in none.
  returned: always
  type: str
  sample: PRIMARY
plan:
  description: The API calls made, in order (in check mode, that would be made); empty when nothing was to do.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "CreateReplicationGroup", "ReplicationGroupId": "shop-redis"},
           {"action": "CreateGlobalReplicationGroup", "GlobalReplicationGroupIdSuffix": "shop-redis"}]
drift:
  description: Differences between the options and the group that this module does not change, because AWS cannot
    change them in place (or, for a Global Datastore member, only through the Global Datastore).
    Replace the group (state=absent, then present) to apply them.
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option.
      type: str
    wanted:
      description: The value asked for.
      type: raw
    actual:
      description: The value AWS has.
      type: raw
    reason:
      description: Why it is not changed.
      type: str
  sample: [{"option": "port", "wanted": 6380, "actual": 6379, "reason": "set only when the group is created"}]
statuses:
  description: The statuses seen while waiting, in order (of the group, and of the Global Datastore as C(global:<status>)).
  returned: always
  type: list
  elements: str
  sample: ["global:creating", "global:available"]
replication_group:
  description: The group as DescribeReplicationGroups shows it at the end, in snake_case; empty when it does not exist.
  returned: always
  type: dict
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_non_negative
from ansible_collections.multiregion.dr.plugins.module_utils.clients import check_region
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client
from ansible_collections.multiregion.dr.plugins.module_utils.clients import on_error
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import group_endpoints
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import global_info
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import global_members
from ansible_collections.multiregion.dr.plugins.module_utils.elasticache import member_in
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.wait import wait_or_fail

# ElastiCache API reference, CreateReplicationGroup: ReplicationGroupId constraints.
ID_PATTERN = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,39}(?<!-)$")
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,40}$")
MAX_NODES = 6  # a primary and up to five replicas

# Options AWS sets only when the group is created (changing them means a new group).
CREATE_ONLY = "set only when the group is created; replace the group to change it"
# The arguments a plan entry shows (the rest is in the diff).
PLAN_KEYS = ("ReplicationGroupId", "GlobalReplicationGroupId", "GlobalReplicationGroupIdSuffix", "NewReplicaCount")
# Statuses of a Global Datastore with no operation running: AWS shows primary-only while it has no secondary
# (right after creation, and after the last secondary left).
GLOBAL_SETTLED = ("available", "primary-only")
VIA_GLOBAL = "belongs to the Global Datastore: change it there (ModifyGlobalReplicationGroup), for all members at once"


def validate(params):
    """Error texts for bad input, each naming the value and what is allowed. Pure, for unit tests."""
    errors = []
    rg_id = params["replication_group_id"]
    if not ID_PATTERN.match(rg_id or ""):
        errors.append(f"replication_group_id={rg_id!r} must be 1 to 40 lowercase letters, digits and hyphens, start "
                      "with a letter, and have no two hyphens in a row and no hyphen at the end")
    if params["state"] == "absent":
        return errors
    nodes = params["num_cache_clusters"]
    if not 1 <= nodes <= MAX_NODES:
        errors.append(f"num_cache_clusters={nodes!r} must be 1 to {MAX_NODES} (a primary and up to five replicas)")
    if params["automatic_failover"] and nodes < 2:
        errors.append(f"automatic_failover=true needs num_cache_clusters of 2 or more, not {nodes}")
    failover = params["automatic_failover"] if params["automatic_failover"] is not None else nodes >= 2
    if params["multi_az"] and not failover:
        errors.append("multi_az=true needs automatic_failover=true (and num_cache_clusters of 2 or more)")
    if params["kms_key_id"] and not params["at_rest_encryption"]:
        errors.append(f"kms_key_id={params['kms_key_id']!r} needs at_rest_encryption=true")
    if not 1 <= params["port"] <= 65535:
        errors.append(f"port={params['port']!r} must be 1 to 65535")
    token = params.get("auth_token")
    if token is not None:
        # the token itself is never named in a message
        if not params["transit_encryption"]:
            errors.append("auth_token needs transit_encryption=true (AWS sends AUTH only over TLS)")
        if not (16 <= len(token) <= 128 and all(32 < ord(c) < 127 and c not in '/"@' for c in token)):
            errors.append(f"auth_token must be 16 to 128 printable ASCII characters without /, \" or @ ({len(token)} characters given)")
        if params["global_replication_group_id"] is not None:
            errors.append("auth_token cannot be set with global_replication_group_id: a secondary uses its primary's AUTH token")
    if params["global_replication_group_id"] is not None:
        if params["global_datastore"]:
            errors.append("global_replication_group_id (join as a secondary) and global_datastore (create one as the "
                          "primary) are mutually exclusive")
        for option in ("node_type", "engine_version"):
            if params[option]:
                errors.append(f"{option}={params[option]!r} cannot be set with global_replication_group_id: a secondary "
                              f"takes its {option.replace('_', ' ')} from the Global Datastore; leave it out")
        if not params["global_replication_group_id"]:
            errors.append("global_replication_group_id='' must name a Global Datastore (for example ldgnf-shop-redis)")
    suffix = (params["global_datastore"] or {}).get("suffix")
    if params["global_datastore"] and not SUFFIX_PATTERN.match(suffix or ""):
        errors.append(f"global_datastore.suffix={suffix!r} must be 1 to 40 letters, digits and hyphens")
    return errors


def wanted_failover(params):
    nodes = params["num_cache_clusters"]
    failover = params["automatic_failover"] if params["automatic_failover"] is not None else nodes >= 2
    multi_az = params["multi_az"] if params["multi_az"] is not None else failover
    return failover, multi_az


def same_version(actual, wanted):
    # AWS shows the full version (7.1.0) for a requested 7.1.
    return actual == wanted or actual.startswith(wanted + ".")


def same_key(actual, wanted):
    # AWS shows the key ARN; a key ID or ARN names the same key.
    return actual == wanted or actual.endswith("/" + wanted) or wanted.endswith("/" + actual)


def observed(group, cluster, tags):
    """The group's settings in option terms; None where AWS does not tell."""
    if not group:
        return {}
    node_group = (group.get("NodeGroups") or [{}])[0]
    global_id, global_role = global_info(group)
    sgs = None if cluster is None else sorted(sg["SecurityGroupId"] for sg in cluster.get("SecurityGroups", []))
    return {
        "replication_group_id": group["ReplicationGroupId"],
        "description": group.get("Description"),
        "engine": group.get("Engine"),
        "node_type": group.get("CacheNodeType"),
        "engine_version": None if cluster is None else cluster.get("EngineVersion"),
        "num_cache_clusters": len(group.get("MemberClusters") or []),
        "automatic_failover": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "multi_az": group.get("MultiAZ") == "enabled",
        "cache_subnet_group": None if cluster is None else cluster.get("CacheSubnetGroupName"),
        "security_group_ids": sgs,
        "at_rest_encryption": bool(group.get("AtRestEncryptionEnabled")),
        "kms_key_id": group.get("KmsKeyId"),
        "transit_encryption": bool(group.get("TransitEncryptionEnabled")),
        "auth_token_enabled": bool(group.get("AuthTokenEnabled")),
        "port": (node_group.get("PrimaryEndpoint") or {}).get("Port"),
        "tags": tags,
        "global_replication_group_id": global_id,
        "global_role": global_role,
    }


def compare(params, current):
    """(modify, replicas, drift) for an existing group. Pure, for unit tests.

    modify: ModifyReplicationGroup arguments for what differs; replicas: the new node count or None;
    drift: what differs but is not changed here (see CREATE_ONLY / VIA_GLOBAL).
    """
    modify, drift = {}, []

    def drifted(option, wanted, actual, reason):
        drift.append({"option": option, "wanted": wanted, "actual": actual, "reason": reason})

    if params["description"] is not None and params["description"] != current["description"]:
        modify["ReplicationGroupDescription"] = params["description"]
    failover, multi_az = wanted_failover(params)
    if failover != current["automatic_failover"]:
        modify["AutomaticFailoverEnabled"] = failover
    if multi_az != current["multi_az"]:
        modify["MultiAZEnabled"] = multi_az
    wanted_sgs = params["security_group_ids"]
    if wanted_sgs is not None and current["security_group_ids"] is not None and sorted(set(wanted_sgs)) != current["security_group_ids"]:
        modify["SecurityGroupIds"] = sorted(set(wanted_sgs))
    member = current["global_replication_group_id"] is not None
    if params["node_type"] and params["node_type"] != current["node_type"]:
        if member:
            drifted("node_type", params["node_type"], current["node_type"], VIA_GLOBAL)
        else:
            modify["CacheNodeType"] = params["node_type"]
    version = params["engine_version"]
    if version and current["engine_version"] and not same_version(current["engine_version"], version):
        if member:
            drifted("engine_version", version, current["engine_version"], VIA_GLOBAL)
        else:
            modify["EngineVersion"] = version
    replicas = params["num_cache_clusters"] if params["num_cache_clusters"] != current["num_cache_clusters"] else None

    for option in ("engine", "at_rest_encryption", "transit_encryption", "port"):
        if params[option] != current[option]:
            drifted(option, params[option], current[option], CREATE_ONLY)
    if params.get("auth_token") and not current.get("auth_token_enabled"):
        drifted("auth_token", "set", "not enabled", "AWS adds an AUTH token to an existing group with ModifyReplicationGroup "
                "(AuthTokenUpdateStrategy=SET); this module sets it only on creation")
    if params["kms_key_id"] and not same_key(current["kms_key_id"] or "", params["kms_key_id"]):
        drifted("kms_key_id", params["kms_key_id"], current["kms_key_id"], CREATE_ONLY)
    subnet_group = params["cache_subnet_group"]
    if subnet_group and current["cache_subnet_group"] is not None and subnet_group != current["cache_subnet_group"]:
        drifted("cache_subnet_group", subnet_group, current["cache_subnet_group"], CREATE_ONLY)
    joining = params["global_replication_group_id"]
    if joining and joining != current["global_replication_group_id"]:
        drifted("global_replication_group_id", joining, current["global_replication_group_id"],
                "only a new group can join a Global Datastore as a secondary; replace the group to make it one")
    if params["global_datastore"] and current["global_role"] == "SECONDARY":
        drifted("global_datastore", params["global_datastore"]["suffix"], current["global_replication_group_id"],
                "the group is a secondary of another Global Datastore; it can create none of its own")
    return modify, replicas, drift


def planned(params, region):
    """The settings a group created with params has (check mode and diff)."""
    failover, multi_az = wanted_failover(params)
    return {
        "replication_group_id": params["replication_group_id"],
        "description": params["description"] or params["replication_group_id"],
        "engine": params["engine"],
        "node_type": params["node_type"],
        "engine_version": params["engine_version"],
        "num_cache_clusters": params["num_cache_clusters"],
        "automatic_failover": failover,
        "multi_az": multi_az,
        "cache_subnet_group": params["cache_subnet_group"],
        "security_group_ids": sorted(set(params["security_group_ids"])) if params["security_group_ids"] is not None else None,
        "at_rest_encryption": params["at_rest_encryption"],
        "kms_key_id": params["kms_key_id"],
        "transit_encryption": params["transit_encryption"],
        "auth_token_enabled": bool(params.get("auth_token")),
        "port": params["port"],
        "tags": params["tags"] or {},
        "global_replication_group_id": params["global_replication_group_id"],
        "global_role": "SECONDARY" if params["global_replication_group_id"] else ("PRIMARY" if params["global_datastore"] else None),
    }


class ReplicationGroup:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.region = module.region
        self.rg_id = self.params["replication_group_id"]
        self.ec = client(module, "elasticache", self.region)
        self.plan = []
        self.statuses = []
        self.changed = False

    # --- reading ------------------------------------------------------------------------

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, replication_group_id=self.rg_id, plan=self.plan, statuses=self.statuses, **extra)

    def call(self, what, method, **kwargs):
        try:
            return getattr(self.ec, method)(aws_retry=True, **kwargs)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"{what} failed in {self.region}", plan=self.plan, statuses=self.statuses)

    def describe(self):
        try:
            return on_error(lambda: self.ec.describe_replication_groups(ReplicationGroupId=self.rg_id, aws_retry=True)["ReplicationGroups"][0],
                            {"ReplicationGroupNotFoundFault": None})
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Could not describe replication group {self.rg_id} in {self.region}")

    def primary_cluster(self, group):
        """The primary's cache cluster (security groups, subnet group and engine version live there), None if unreadable."""
        members = [m for ng in group.get("NodeGroups") or [] for m in ng.get("NodeGroupMembers") or []]
        ids = [m["CacheClusterId"] for m in members if m.get("CurrentRole") == "primary"] + list(group.get("MemberClusters") or [])
        for cluster_id in ids:
            try:
                found = on_error(lambda cid=cluster_id: self.ec.describe_cache_clusters(CacheClusterId=cid, aws_retry=True)["CacheClusters"][0],
                                 {"CacheClusterNotFound": None})
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Could not describe cache cluster {cluster_id} in {self.region}")
            if found is not None:
                return found
        return None

    def tags_of(self, group):
        response = self.call(f"ListTagsForResource of {self.rg_id}", "list_tags_for_resource", ResourceName=group["ARN"])
        return boto3_tag_list_to_ansible_dict(response.get("TagList", []))

    def describe_global(self, global_id):
        try:
            response = on_error(
                lambda: self.ec.describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True, aws_retry=True),
                {"GlobalReplicationGroupNotFoundFault": None})
            return response["GlobalReplicationGroups"][0] if response else None
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Could not describe Global Datastore {global_id} from {self.region}")

    def current(self):
        group = self.describe()
        if group is None:
            return None, {}
        return group, observed(group, self.primary_cluster(group), self.tags_of(group))

    # --- waiting ------------------------------------------------------------------------

    def wait_for(self, describe, done, what, status_of, prefix=""):
        return wait_or_fail(self.module, describe, done, what, status_of=status_of, statuses=self.statuses, prefix=prefix, fail=self.fail)

    def wait_group(self, gone=False):
        if gone:
            return self.wait_for(self.describe, lambda g: g is None, f"replication group {self.rg_id} to be deleted",
                                 lambda g: "deleted" if g is None else g.get("Status"))
        return self.wait_for(self.describe, lambda g: g is not None and g.get("Status") == "available",
                             f"replication group {self.rg_id} to be available", lambda g: g and g.get("Status"))

    def wait_global(self, global_id, done, what):
        return self.wait_for(lambda: self.describe_global(global_id), done, f"Global Datastore {global_id} {what}",
                             lambda g: "deleted" if g is None else g.get("Status"), prefix="global:")

    def global_settled(self, global_id, done=None):
        """Wait until the Global Datastore is settled (and done(g), if given); AWS refuses changes before."""
        def finished(g):
            return g is not None and g.get("Status") in GLOBAL_SETTLED and (done is None or done(g))
        return self.wait_global(global_id, finished, "to be available (or primary-only)")

    def act(self, action, method, **kwargs):
        self.plan.append({"action": action, **{k: v for k, v in kwargs.items() if k in PLAN_KEYS}})
        self.changed = True
        if self.module.check_mode:
            return {}
        return self.call(f"{action} of {self.rg_id}", method, **kwargs)

    # --- present ------------------------------------------------------------------------

    def create(self):
        p = self.params
        failover, multi_az = wanted_failover(p)
        args = dict(
            ReplicationGroupId=self.rg_id,
            ReplicationGroupDescription=p["description"] or self.rg_id,
            NumCacheClusters=p["num_cache_clusters"],
            AutomaticFailoverEnabled=failover,
            MultiAZEnabled=multi_az,
            Port=p["port"],
        )
        if p["global_replication_group_id"]:
            # A secondary inherits engine, version, node type, parameter group and encryption from its Global
            # Datastore; AWS rejects the request if any of them is passed (InvalidParameterCombination).
            args["GlobalReplicationGroupId"] = p["global_replication_group_id"]
        else:
            if not p["node_type"]:
                self.fail(f"node_type is required to create replication group {self.rg_id} (it is no Global Datastore secondary)")
            args.update(Engine=p["engine"], CacheNodeType=p["node_type"], AtRestEncryptionEnabled=p["at_rest_encryption"],
                        TransitEncryptionEnabled=p["transit_encryption"])
            if p["engine_version"]:
                args["EngineVersion"] = p["engine_version"]
        optional = dict(CacheSubnetGroupName=p["cache_subnet_group"], SecurityGroupIds=p["security_group_ids"], KmsKeyId=p["kms_key_id"],
                        AuthToken=p["auth_token"])
        args.update({k: v for k, v in optional.items() if v})
        if p["tags"]:
            args["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
        self.act("CreateReplicationGroup", "create_replication_group", **args)

    def join_checks(self):
        """A secondary joins an existing, available Global Datastore with no member in this region (checked before any change)."""
        global_id = self.params["global_replication_group_id"]
        found = self.describe_global(global_id)
        if found is None:
            if self.module.check_mode:
                self.module.warn(f"Global Datastore {global_id} does not exist (yet); the group would be created as its secondary")
                return
            self.fail(f"global_replication_group_id={global_id!r} does not exist (seen from {self.region}); give the full ID "
                      "with its region prefix, as returned by the primary's global_replication_group_id")
        taken = [m for m in found.get("Members", []) if m["ReplicationGroupRegion"] == self.region]
        if taken:
            self.fail(f"Global Datastore {global_id} already has a member in {self.region}: {taken[0]['ReplicationGroupId']}")
        if found.get("Status") not in GLOBAL_SETTLED and self.params["wait"] and not self.module.check_mode:
            self.global_settled(global_id)

    def ensure_global(self, current):
        """On the primary: create the Global Datastore unless the group already is a primary of one."""
        spec = self.params["global_datastore"]
        if not spec or current.get("global_role") == "SECONDARY":
            return current.get("global_replication_group_id")
        global_id = current.get("global_replication_group_id")
        if global_id:
            wanted_suffix = "-" + spec["suffix"]
            if not global_id.endswith(wanted_suffix):
                self.drift.append({"option": "global_datastore", "wanted": spec["suffix"], "actual": global_id,
                                   "reason": "the group already is the primary of another Global Datastore"})
            elif self.params["wait"] and not self.module.check_mode:
                self.global_settled(global_id)  # a run that timed out while it was created picks up here
            return global_id
        args = dict(GlobalReplicationGroupIdSuffix=spec["suffix"], PrimaryReplicationGroupId=self.rg_id)
        if spec.get("description"):
            args["GlobalReplicationGroupDescription"] = spec["description"]
        created = self.act("CreateGlobalReplicationGroup", "create_global_replication_group", **args)
        if self.module.check_mode:
            return None
        global_id = created["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
        self.plan[-1]["GlobalReplicationGroupId"] = global_id
        if self.params["wait"]:
            self.global_settled(global_id)
        return global_id

    def update(self, group, current):
        p = self.params
        modify, replicas, self.drift = compare(p, current)
        if group.get("Status") != "available" and (modify or replicas):
            if not p["wait"] or self.module.check_mode:
                self.fail(f"replication group {self.rg_id} is {group.get('Status')!r}, not 'available': another change is in "
                          "progress; rerun with wait=true, or later")
            self.wait_group()
        if modify:
            self.act("ModifyReplicationGroup", "modify_replication_group", ReplicationGroupId=self.rg_id, ApplyImmediately=True, **modify)
            self.plan[-1]["changes"] = sorted(modify)
            if not self.module.check_mode:
                self.wait_group()
        if replicas is not None:
            grow = replicas > current["num_cache_clusters"]
            self.act("IncreaseReplicaCount" if grow else "DecreaseReplicaCount", "increase_replica_count" if grow else "decrease_replica_count",
                     ReplicationGroupId=self.rg_id, NewReplicaCount=replicas - 1, ApplyImmediately=True)
            if not self.module.check_mode and p["wait"]:
                self.wait_group()
        if p["tags"] is not None:
            add, remove = compare_aws_tags(current["tags"], p["tags"], p["purge_tags"])
            if remove:
                self.act("RemoveTagsFromResource", "remove_tags_from_resource", ResourceName=group["ARN"], TagKeys=remove)
            if add:
                self.act("AddTagsToResource", "add_tags_to_resource", ResourceName=group["ARN"], Tags=ansible_dict_to_boto3_tag_list(add))

    def present(self):
        p = self.params
        self.drift = []
        group, before = self.current()
        if group is None:
            if p["global_replication_group_id"]:
                self.join_checks()
            self.create()
            if self.module.check_mode:
                after = planned(p, self.region)
                self.ensure_global(after)
                return self.result(before, after, None)
            if p["wait"]:
                self.wait_group()
                if p["global_replication_group_id"]:
                    self.global_settled(p["global_replication_group_id"], lambda g: self.member_status(g) == "associated")
            group, current = self.current()
        else:
            current = before
            self.update(group, current)
        self.ensure_global(current)
        for item in self.drift:
            self.module.warn(f"{self.rg_id}: {item['option']} is {item['actual']!r}, not {item['wanted']!r}: {item['reason']}")
        if self.module.check_mode:
            after = dict(before, **{k: v for k, v in planned(p, self.region).items()
                                    if k in ("description", "automatic_failover", "multi_az", "num_cache_clusters")})
            if p["security_group_ids"] is not None and before["security_group_ids"] is not None:
                after["security_group_ids"] = sorted(set(p["security_group_ids"]))
            if p["tags"] is not None:
                after["tags"] = dict(p["tags"]) if p["purge_tags"] else dict(before["tags"], **p["tags"])
            if p["global_datastore"] and not before["global_replication_group_id"]:
                after["global_role"] = "PRIMARY"
            for key, name in (("node_type", "CacheNodeType"), ("engine_version", "EngineVersion")):
                if any(call.get("changes") and name in call["changes"] for call in self.plan):
                    after[key] = p[key]
            return self.result(before, after, group)
        group, after = self.current()
        return self.result(before, after, group)

    def member_status(self, global_group):
        return (member_in(global_members(global_group), self.region, self.rg_id) or {}).get("status")

    # --- absent -------------------------------------------------------------------------

    def absent(self):
        self.drift = []
        group, before = self.current()
        if group is None:
            return self.result(before, {}, None)
        global_id, role = before["global_replication_group_id"], before["global_role"]
        if global_id:
            found = self.describe_global(global_id) or {}
            others = [m for m in found.get("Members", []) if m["ReplicationGroupRegion"] != self.region]
            if role == "PRIMARY" and others:
                regions = ", ".join(f"{m['ReplicationGroupRegion']} ({m['ReplicationGroupId']})" for m in others)
                self.fail(f"{self.rg_id} is the primary of Global Datastore {global_id}, which still has secondaries in {regions}. "
                          "AWS deletes a Global Datastore only without secondaries: remove them first (state=absent in their "
                          "regions), or fail over to one of them")
            if found and found.get("Status") not in GLOBAL_SETTLED and not self.module.check_mode:
                found = self.global_settled(global_id)
            if role == "PRIMARY":
                self.act("DeleteGlobalReplicationGroup", "delete_global_replication_group", GlobalReplicationGroupId=global_id,
                         RetainPrimaryReplicationGroup=True)
                if not self.module.check_mode:
                    self.wait_global(global_id, lambda g: g is None, "to be deleted")
            else:
                self.act("DisassociateGlobalReplicationGroup", "disassociate_global_replication_group", GlobalReplicationGroupId=global_id,
                         ReplicationGroupId=self.rg_id, ReplicationGroupRegion=self.region)
                if not self.module.check_mode:
                    self.global_settled(global_id, lambda g: self.member_status(g) is None)
        if not self.module.check_mode and self.describe().get("Status") != "available":
            self.wait_group()
        self.act("DeleteReplicationGroup", "delete_replication_group", ReplicationGroupId=self.rg_id)
        if self.module.check_mode or not self.params["wait"]:
            group = None if self.module.check_mode else self.describe()
            return self.result(before, {}, group)
        self.wait_group(gone=True)
        return self.result(before, {}, None)

    # --- result -------------------------------------------------------------------------

    def result(self, before, after, group):
        group = group or {}
        primary_endpoint, reader_endpoint, port = group_endpoints(group)
        state = after or {}
        result = dict(
            changed=self.changed,
            replication_group_id=self.rg_id,
            exists=bool(after),
            status=group.get("Status") if group else ("creating" if after else None),
            primary_endpoint=primary_endpoint,
            reader_endpoint=reader_endpoint,
            port=port,
            member_clusters=group.get("MemberClusters", []),
            global_replication_group_id=state.get("global_replication_group_id"),
            global_role=state.get("global_role"),
            plan=self.plan,
            drift=self.drift,
            statuses=self.statuses,
            replication_group=camel_dict_to_snake_dict(group),
        )
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        replication_group_id=dict(type="str", required=True),
        description=dict(type="str"),
        engine=dict(type="str", choices=["redis", "valkey"], default="redis"),
        node_type=dict(type="str"),
        engine_version=dict(type="str"),
        num_cache_clusters=dict(type="int", default=3),
        automatic_failover=dict(type="bool"),
        multi_az=dict(type="bool"),
        cache_subnet_group=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        at_rest_encryption=dict(type="bool", default=True),
        kms_key_id=dict(type="str", no_log=False),
        transit_encryption=dict(type="bool", default=True),
        auth_token=dict(type="str", no_log=True),
        port=dict(type="int", default=6379),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        global_replication_group_id=dict(type="str"),
        global_datastore=dict(type="dict", options=dict(suffix=dict(type="str", required=True), description=dict(type="str"))),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    # Every input is checked before the first API call.
    if not module.region:
        module.fail_json(msg="region is required (or set AWS_REGION / module_defaults)")
    check_region(module, module.region, "region")
    errors = validate(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    check_non_negative(module, "wait_timeout", params["wait_timeout"])
    if params["poll_interval"] <= 0:
        module.fail_json(msg=f"poll_interval={params['poll_interval']!r} must be a number above 0")
    if params["connect_timeout"] <= 0:
        module.fail_json(msg=f"connect_timeout={params['connect_timeout']!r} must be a number above 0")

    manager = ReplicationGroup(module)
    module.exit_json(**(manager.present() if params["state"] == "present" else manager.absent()))


if __name__ == "__main__":
    main()
