"""ElastiCache as real AWS runs it: Global Datastore and deletions that finish.

moto 5.2.5 answers every *GlobalReplicationGroup* call with a 500, leaves deleted replication
groups and cache clusters "deleting" forever, ignores NumNodeGroups>1 (cluster mode stays off,
MemberClusters repeat) and NumCacheClusters, and describe_cache_clusters lacks CacheNodes and
CacheSecurityGroups (community.aws elasticache fails on a rerun). See shared notes moto-gaps.md.

moto also names every replication group's endpoints *.use1.cache.amazonaws.com and puts its nodes
in us-east-1a/b, whatever the region: here they get the region's short code (usw2, euw1, ...) and
the region's own zones, as AWS gives them.

A Global Datastore belongs to the account, not to a region (AWS: "one account", members in up
to three regions), so it is stored once per account, in the us-east-1 backend as moto's RDS does
for global clusters: a call signed for any member region sees it, also while another member's
region is out. Member roles live only there; a replication group's GlobalReplicationGroupInfo
is looked up from it, so a failover never has to reach the old primary's region.
"""

import hashlib

from moto.core.responses import ActionResult, PaginatedResult
from moto.elasticache import models as ec_models
from moto.elasticache.exceptions import (
    CacheClusterNotFound,
    CacheSubnetGroupNotFound,
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.responses import ElastiCacheResponse

from .. import timeline
from ..state import STATE

GLOBAL_HOME = "us-east-1"
MAX_SECONDARIES = 2  # ElastiCache User Guide: up to two secondary regions

# ElastiCache User Guide, "Using global datastores (CLI)": the ID prefix each region applies.
REGION_PREFIXES = {
    "us-east-1": "ldgnf",
    "us-east-2": "fpkhr",
    "us-west-1": "virxk",
    "us-west-2": "sgaui",
    "ca-central-1": "bxodz",
    "ap-south-1": "erpgt",
    "ap-northeast-1": "quwsw",
    "ap-northeast-2": "lfqnh",
    "ap-northeast-3": "nlapn",
    "ap-southeast-1": "vlqxn",
    "ap-southeast-2": "vbgxd",
    "ap-east-1": "knjmp",
    "eu-central-1": "iudkw",
    "eu-west-1": "gxeiz",
    "eu-west-2": "okuqm",
    "eu-west-3": "fgjhi",
    "sa-east-1": "juxlw",
    "cn-north-1": "emvgo",
    "cn-northwest-1": "ckbem",
}


class GlobalReplicationGroupNotFound(ElastiCacheException):
    code = "GlobalReplicationGroupNotFoundFault"

    def __init__(self, global_id):
        super().__init__(f"GlobalReplicationGroup {global_id} not found.")


class GlobalReplicationGroupAlreadyExists(ElastiCacheException):
    code = "GlobalReplicationGroupAlreadyExistsFault"

    def __init__(self, global_id):
        super().__init__(f"GlobalReplicationGroup {global_id} already exists.")


class InvalidGlobalReplicationGroupState(ElastiCacheException):
    code = "InvalidGlobalReplicationGroupState"


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


class InvalidCacheClusterState(ElastiCacheException):
    code = "InvalidCacheClusterState"


DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
              "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}


def region_short(region):
    """The short code of a region in ElastiCache endpoint names: us-east-1 -> use1, eu-west-1 -> euw1,
    ap-southeast-2 -> apse2."""
    parts = region.split("-")
    return parts[0] + "".join(DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]


def _regionalize(value, region):
    """moto's us-east-1 names and zones in a replication group's attributes, made the region's (in place)."""
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _regionalize(item, region)
        return value
    if isinstance(value, list):
        return [_regionalize(item, region) for item in value]
    if isinstance(value, str):
        if value.endswith(".use1.cache.amazonaws.com"):
            return value[: -len("use1.cache.amazonaws.com")] + f"{region_short(region)}.cache.amazonaws.com"
        if value in ("us-east-1a", "us-east-1b"):
            return region + value[-1]
    return value


def region_prefix(region):
    # Regions missing from the AWS table get a stable made-up prefix of the same form.
    return REGION_PREFIXES.get(region) or "".join(
        chr(ord("a") + b % 26) for b in hashlib.sha256(region.encode()).digest()[:5]
    )


class GlobalReplicationGroup:
    def __init__(self, account_id, global_id, description, primary, primary_region):
        self.account_id = account_id
        self.id = global_id
        self.description = description or ""
        self.status = "creating"
        self.engine = primary.engine
        self.engine_version = primary.engine_version
        self.cache_node_type = primary.cache_node_type
        self.cluster_enabled = primary.cluster_enabled
        self.auth_token_enabled = primary.auth_token_enabled
        self.transit_encryption_enabled = primary.transit_encryption_enabled
        self.at_rest_encryption_enabled = primary.at_rest_encryption_enabled
        self.node_groups = [(ng["node_group_id"], ng.get("slots") or "0-16383") for ng in primary.node_groups]
        # members: [{"id", "region", "role", "status"}]; exactly one PRIMARY
        self.members = [
            {"id": primary.replication_group_id, "region": primary_region, "role": "PRIMARY", "status": "associated"}
        ]

    @property
    def arn(self):
        return f"arn:aws:elasticache::{self.account_id}:globalreplicationgroup:{self.id}"

    def member(self, replication_group_id, region):
        for member in self.members:
            if member["id"] == replication_group_id and member["region"] == region:
                return member
        return None

    def secondaries(self):
        return [m for m in self.members if m["role"] == "SECONDARY"]

    def require_available(self):
        # self.status is the operation's: "available" once done, shown as primary-only without secondaries.
        if self.status != "available":
            raise InvalidGlobalReplicationGroupState(f"Global replication group {self.id} is not in available state.")

    @property
    def shown_status(self):
        # AWS: a Global Datastore with no secondary is primary-only (after creation, after the last one left).
        if self.status == "available" and not self.secondaries():
            return "primary-only"
        return self.status

    def view(self, show_members=True):
        result = {
            "GlobalReplicationGroupId": self.id,
            "GlobalReplicationGroupDescription": self.description,
            "Status": self.shown_status,
            "CacheNodeType": self.cache_node_type,
            "Engine": self.engine,
            "EngineVersion": self.engine_version,
            "ClusterEnabled": self.cluster_enabled,
            "GlobalNodeGroups": [
                {"GlobalNodeGroupId": f"{self.id}-{ng_id}", "Slots": slots} for ng_id, slots in self.node_groups
            ],
            "AuthTokenEnabled": self.auth_token_enabled,
            "TransitEncryptionEnabled": self.transit_encryption_enabled,
            "AtRestEncryptionEnabled": self.at_rest_encryption_enabled,
            "ARN": self.arn,
        }
        if show_members:
            result["Members"] = [
                {
                    "ReplicationGroupId": m["id"],
                    "ReplicationGroupRegion": m["region"],
                    "Role": m["role"],
                    "AutomaticFailover": getattr(
                        _replication_group(self.account_id, m["region"], m["id"]), "automatic_failover", None
                    ),
                    "Status": m["status"],
                }
                for m in self.members
            ]
        return result


def _backend(account_id, region):
    return ec_models.elasticache_backends[account_id][region]


def _globals(account_id):
    # Kept on the backend so that moto's reset clears it with everything else.
    return _backend(account_id, GLOBAL_HOME).__dict__.setdefault("regionsim_global_replication_groups", {})


def _get_global(account_id, global_id):
    found = _globals(account_id).get(global_id)
    if found is None:
        raise GlobalReplicationGroupNotFound(global_id)
    return found


def _replication_group(account_id, region, replication_group_id):
    return _backend(account_id, region).replication_groups.get(replication_group_id)


def _membership(account_id, region, replication_group_id):
    for group in _globals(account_id).values():
        member = group.member(replication_group_id, region)
        if member is not None:
            return group, member
    return None, None


def _global_info(self):
    """ReplicationGroup.GlobalReplicationGroupInfo, read from the account's global datastores."""
    _, _, _, region, account_id = self.arn.split(":", 5)[:5]
    with STATE.lock:  # the timeline thread may be removing a member right now
        group, member = _membership(account_id, region, self.replication_group_id)
    if group is None:
        return None
    return {"GlobalReplicationGroupId": group.id, "GlobalReplicationGroupMemberRole": member["role"]}


# --- replication groups -------------------------------------------------------------------

_original_create_replication_group = ec_models.ElastiCacheBackend.create_replication_group


def _create_replication_group(self, **kwargs):
    with STATE.lock:
        global_id = kwargs.get("global_replication_group_id")
        group = None
        if global_id:
            group = _join_checks(self, global_id, kwargs)
        num_node_groups = kwargs.get("num_node_groups") or 0
        # AWS: more than one shard is cluster mode; moto keeps it off and repeats MemberClusters.
        if not kwargs.get("cluster_mode") and (
            num_node_groups > 1
            or len(kwargs.get("node_group_configuration") or []) > 1
            or ".cluster.on" in (kwargs.get("cache_parameter_group_name") or "")
        ):
            kwargs["cluster_mode"] = "enabled"
        # moto sizes a cluster-mode-disabled group from ReplicasPerNodeGroup only.
        if (
            kwargs.get("cluster_mode") != "enabled"
            and kwargs.get("num_cache_clusters")
            and not kwargs.get("replicas_per_node_group")
        ):
            kwargs["replicas_per_node_group"] = kwargs["num_cache_clusters"] - 1
        replication_group = _original_create_replication_group(self, **kwargs)
        if self.region_name != "us-east-1":
            replication_group.node_groups = _regionalize(replication_group.node_groups, self.region_name)
            if getattr(replication_group, "configuration_endpoint", None):
                _regionalize(replication_group.configuration_endpoint, self.region_name)
        if group is not None:
            # AWS: a secondary uses the primary's AUTH token (it cannot be given one of its own)
            replication_group.auth_token_enabled = group.auth_token_enabled
            group.members.append(
                {
                    "id": replication_group.replication_group_id,
                    "region": self.region_name,
                    "role": "SECONDARY",
                    "status": "associated",
                }
            )
        return replication_group


# CreateReplicationGroup with GlobalReplicationGroupId: a secondary inherits these from the Global
# Datastore, and AWS rejects the request when any of them is passed, even with the primary's value.
INHERITED = (
    ("engine", "Engine"),
    ("engine_version", "EngineVersion"),
    ("cache_node_type", "CacheNodeType"),
    ("cache_parameter_group_name", "CacheParameterGroupName"),
    ("at_rest_encryption_enabled", "AtRestEncryptionEnabled"),
    ("transit_encryption_enabled", "TransitEncryptionEnabled"),
)
INHERITED_MESSAGE = "Cannot use the given parameters when creating new replication group in an existing global replication group."


def _join_checks(backend, global_id, kwargs):
    """Validate a secondary joining a global datastore; fill in what it inherits from it."""
    if any(kwargs.get(key) is not None for key, _ in INHERITED):
        raise InvalidParameterCombinationException(INHERITED_MESSAGE)
    group = _get_global(backend.account_id, global_id)
    group.require_available()
    if any(m["region"] == backend.region_name for m in group.members):
        raise InvalidParameterValueException(
            f"Global datastore {global_id} already has a member in region {backend.region_name}; each member must be in a different region."
        )
    if len(group.secondaries()) >= MAX_SECONDARIES:
        raise InvalidParameterValueException(
            f"Global datastore {global_id} already has the maximum of {MAX_SECONDARIES} secondary clusters."
        )
    for key in ("engine", "engine_version", "cache_node_type", "at_rest_encryption_enabled", "transit_encryption_enabled"):
        kwargs[key] = getattr(group, key)
    if group.cluster_enabled:
        kwargs["cluster_mode"] = "enabled"
        kwargs["num_node_groups"] = len(group.node_groups)
    return group


def delete_replication_group(self):
    replication_group_id = self._get_param("ReplicationGroupId")
    final_snapshot = self._get_param("FinalSnapshotIdentifier")
    backend = self.elasticache_backend
    with STATE.lock:
        replication_group = backend.replication_groups.get(replication_group_id)
        if replication_group is None:
            raise ReplicationGroupNotFound(replication_group_id)
        if replication_group.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {replication_group_id} is not in available state.")
        group, _ = _membership(backend.account_id, backend.region_name, replication_group_id)
        if group is not None:
            # Same wording AWS uses when a global datastore member is changed directly.
            raise InvalidParameterValueException(
                f"Cluster [{replication_group_id}] is part of a global cluster [{group.id}]. Request rejected."
            )
        if final_snapshot:
            backend.create_snapshot(
                snapshot_name=final_snapshot,
                replication_group_id=replication_group_id,
                cache_cluster_id=None,
                kms_key_id=None,
                tags=None,
            )
        replication_group.status = "deleting"

        def apply(status):
            if status == "deleted":
                backend.replication_groups.pop(replication_group_id, None)
            else:
                replication_group.status = status

        timeline.run("elasticache.delete_replication_group", apply)
        return ActionResult({"ReplicationGroup": replication_group})


# --- cache clusters -----------------------------------------------------------------------


def _cache_nodes(cluster):
    return [
        {
            "CacheNodeId": f"{i:04d}",
            "CacheNodeStatus": cluster.cache_cluster_status,
            "CacheNodeCreateTime": cluster.cache_cluster_create_time,
            "Endpoint": {"Address": f"{cluster.cache_cluster_id}.{i:04d}.cache.amazonaws.com", "Port": cluster.port},
            "ParameterGroupStatus": "in-sync",
            "CustomerAvailabilityZone": cluster.preferred_availability_zone or "us-east-1a",
        }
        for i in range(1, (getattr(cluster, "num_cache_nodes", None) or 1) + 1)
    ]


def _cache_security_groups(cluster):
    return [{"CacheSecurityGroupName": name, "Status": "active"} for name in cluster.cache_security_group_names]


def _security_groups(cluster):
    return [{"SecurityGroupId": sg, "Status": "active"} for sg in cluster.security_group_ids]


def _configuration_endpoint(cluster):
    # Memcached clusters have one; Redis clusters outside a replication group do not.
    if cluster.engine != "memcached":
        return None
    return {"Address": f"{cluster.cache_cluster_id}.cfg.cache.amazonaws.com", "Port": cluster.port}


class _ClusterWithNodes:
    """A cache cluster as DescribeCacheClusters shows it with ShowCacheNodeInfo=true."""

    def __init__(self, cluster):
        self._cluster = cluster
        self.cache_nodes = _cache_nodes(cluster)

    def __getattr__(self, name):
        return getattr(self._cluster, name)


def describe_cache_clusters(self):
    cache_cluster_id = self._get_param("CacheClusterId")
    show_nodes = self._get_bool_param("ShowCacheNodeInfo", False)
    with STATE.lock:
        clusters = self.elasticache_backend.describe_cache_clusters(cache_cluster_id=cache_cluster_id)
        if show_nodes:
            clusters = [_ClusterWithNodes(c) for c in clusters]
        return PaginatedResult({"CacheClusters": clusters})


def delete_cache_cluster(self):
    cache_cluster_id = self._get_param("CacheClusterId")
    final_snapshot = self._get_param("FinalSnapshotIdentifier")
    backend = self.elasticache_backend
    with STATE.lock:
        cluster = backend.cache_clusters.get(cache_cluster_id)
        if cluster is None:
            raise CacheClusterNotFound(cache_cluster_id)
        if cluster.cache_cluster_status != "available":
            raise InvalidCacheClusterState(f"Cache cluster {cache_cluster_id} is not in available state.")
        if final_snapshot:
            backend.create_snapshot(
                snapshot_name=final_snapshot,
                replication_group_id=None,
                cache_cluster_id=cache_cluster_id,
                kms_key_id=None,
                tags=None,
            )
        cluster.cache_cluster_status = cluster.status = "deleting"

        def apply(status):
            if status == "deleted":
                backend.cache_clusters.pop(cache_cluster_id, None)
            else:
                cluster.cache_cluster_status = cluster.status = status

        timeline.run("elasticache.delete_cache_cluster", apply)
        return ActionResult({"CacheCluster": cluster})


# --- global datastore ---------------------------------------------------------------------


def create_global_replication_group(self):
    suffix = self._get_param("GlobalReplicationGroupIdSuffix")
    primary_id = self._get_param("PrimaryReplicationGroupId")
    description = self._get_param("GlobalReplicationGroupDescription")
    account_id, region = self.current_account, self.region
    with STATE.lock:
        primary = _replication_group(account_id, region, primary_id)
        if primary is None:
            raise ReplicationGroupNotFound(primary_id)
        if primary.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {primary_id} is not in available state.")
        if primary.engine not in ("redis", "valkey"):
            raise InvalidParameterValueException(f"Global datastore is not supported for engine {primary.engine}.")
        existing, _ = _membership(account_id, region, primary_id)
        if existing is not None:
            raise InvalidReplicationGroupState(
                f"Replication group {primary_id} is already a member of Global datastore {existing.id}."
            )
        global_id = f"{region_prefix(region)}-{suffix}"
        groups = _globals(account_id)
        if global_id in groups:
            raise GlobalReplicationGroupAlreadyExists(global_id)
        group = GlobalReplicationGroup(account_id, global_id, description, primary, region)
        groups[global_id] = group

        def apply(status):
            group.status = status

        timeline.run("elasticache.create_global_replication_group", apply)
        return ActionResult({"GlobalReplicationGroup": group.view()})


def describe_global_replication_groups(self):
    global_id = self._get_param("GlobalReplicationGroupId")
    show_members = self._get_bool_param("ShowMemberInfo", False)
    with STATE.lock:
        groups = (
            [_get_global(self.current_account, global_id)]
            if global_id
            else list(_globals(self.current_account).values())
        )
        return PaginatedResult({"GlobalReplicationGroups": [g.view(show_members) for g in groups]})


def failover_global_replication_group(self):
    global_id = self._get_param("GlobalReplicationGroupId")
    region = self._get_param("PrimaryRegion")
    new_primary_id = self._get_param("PrimaryReplicationGroupId")
    with STATE.lock:
        group = _get_global(self.current_account, global_id)
        group.require_available()
        target = group.member(new_primary_id, region)
        if target is None:
            raise InvalidParameterValueException(
                f"Replication group {new_primary_id} in region {region} is not a member of Global datastore {global_id}."
            )
        if target["role"] == "PRIMARY":
            raise InvalidParameterValueException(
                f"Replication group {new_primary_id} in region {region} is already the primary of Global datastore {global_id}."
            )

        def apply(status):
            # Roles switch when the failover completes, as AWS shows them.
            if status == "available":
                for member in group.members:
                    member["role"] = "PRIMARY" if member is target else "SECONDARY"
            group.status = status

        timeline.run("elasticache.failover_global_replication_group", apply)
        return ActionResult({"GlobalReplicationGroup": group.view()})


def disassociate_global_replication_group(self):
    global_id = self._get_param("GlobalReplicationGroupId")
    replication_group_id = self._get_param("ReplicationGroupId")
    region = self._get_param("ReplicationGroupRegion")
    with STATE.lock:
        group = _get_global(self.current_account, global_id)
        group.require_available()
        member = group.member(replication_group_id, region)
        if member is None:
            raise InvalidParameterValueException(
                f"Replication group {replication_group_id} in region {region} is not a member of Global datastore {global_id}."
            )
        if member["role"] == "PRIMARY":
            raise InvalidParameterValueException(
                f"Replication group {replication_group_id} is the primary of Global datastore {global_id} and cannot be disassociated."
            )
        member["status"] = "disassociating"

        def apply(status):
            if status == "available" and member in group.members:
                group.members.remove(member)
            group.status = status

        timeline.run("elasticache.disassociate_global_replication_group", apply)
        return ActionResult({"GlobalReplicationGroup": group.view()})


def delete_global_replication_group(self):
    global_id = self._get_param("GlobalReplicationGroupId")
    # AWS never deletes the primary with the global datastore (API reference,
    # DeleteGlobalReplicationGroup), so RetainPrimaryReplicationGroup changes nothing here.
    account_id = self.current_account
    with STATE.lock:
        group = _get_global(account_id, global_id)
        group.require_available()
        if group.secondaries():
            raise InvalidGlobalReplicationGroupState(
                f"Global datastore {global_id} still has secondary clusters; disassociate them before deleting it."
            )
        group.status = "deleting"

        def apply(status):
            if status == "deleted":
                _globals(account_id).pop(global_id, None)
            else:
                group.status = status

        timeline.run("elasticache.delete_global_replication_group", apply)
        return ActionResult({"GlobalReplicationGroup": group.view()})


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"


def delete_cache_subnet_group(self):
    # moto lacks DeleteCacheSubnetGroup (500); AWS refuses while a cluster or group still uses it.
    name = self._get_param("CacheSubnetGroupName")
    backend = self.elasticache_backend
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    users = [c.cache_cluster_id for c in backend.cache_clusters.values() if getattr(c, "cache_subnet_group_name", None) == name]
    users += [g.replication_group_id for g in backend.replication_groups.values() if getattr(g, "cache_subnet_group_name", None) == name]
    if users:
        raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster or replication group: {', '.join(users)}.")
    del backend.cache_subnet_groups[name]
    return ActionResult({})


def apply():
    ec_models.ElastiCacheBackend.create_replication_group = _create_replication_group
    ec_models.ReplicationGroup.global_replication_group_info = property(_global_info)
    ec_models.CacheCluster.cache_security_groups = property(_cache_security_groups)
    ec_models.CacheCluster.security_groups = property(_security_groups)
    ec_models.CacheCluster.configuration_endpoint = property(_configuration_endpoint)
    for handler in (
        delete_replication_group,
        describe_cache_clusters,
        delete_cache_cluster,
        create_global_replication_group,
        describe_global_replication_groups,
        failover_global_replication_group,
        disassociate_global_replication_group,
        delete_global_replication_group,
        delete_cache_subnet_group,
    ):
        setattr(ElastiCacheResponse, handler.__name__, handler)
