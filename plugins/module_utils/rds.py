# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS and Aurora rules in one place: engine families, fencing, instance roles and promotion states.

Fencing is how a planned failover stops the old primary's writes: a parameter that makes the engine
refuse writes, set in the instance's own custom DB parameter group (AWS allows no change to default.*
groups). rds_promote fences and lifts fences with it, topology_info recognises a fenced instance with it.
"""

import datetime

from ansible_collections.multiregion.dr.plugins.module_utils.clients import RETRY

AURORA_ENGINES = ("aurora-mysql", "aurora-postgresql")
WRITABLE_ROLES = ("primary", "standalone")
# rds_promote stamps each instance it promotes with the time (epoch seconds). Of two writers, the one promoted last is
# the one whose writes count: DNS can lag behind (a move deferred while the Route 53 API does not answer).
PROMOTED_TAG = "multiregion-dr:promoted-at"
# engine family -> (parameter, value) that makes an RDS instance refuse writes
FENCE_PARAMETERS = {
    "mysql": ("read_only", "1"),
    "mariadb": ("read_only", "1"),
    "postgres": ("default_transaction_read_only", "on"),
}


# ARNs ---------------------------------------------------------------------------------------------
def arn_region(arn):
    """The region field of an ARN, None for a plain identifier."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return (parts[3] or None) if len(parts) > 3 else None


def arn_name(arn):
    return arn.split(":")[-1] if arn else arn


def arn_location(reference, default_region):
    """(region, identifier) of an RDS ARN, or (default_region, reference) for a plain identifier
    (a same-region replica names its source by identifier, a cross-region one by ARN)."""
    if reference and reference.startswith("arn:"):
        return arn_region(reference), arn_name(reference)
    return default_region, reference


# engine families and fencing ------------------------------------------------------------------------
def engine_family(engine):
    """The fencing family of an engine (mysql, mariadb, postgres), None for one fencing does not support
    (Aurora engines among them: an Aurora switchover fences the old primary itself)."""
    return next((name for name in FENCE_PARAMETERS if (engine or "").startswith(name)), None)


def fence_parameter(engine):
    """(parameter, value) that fences an instance of this engine, or None."""
    family = engine_family(engine)
    return FENCE_PARAMETERS[family] if family else None


def parameter_group(instance):
    """The name of the instance's (first) DB parameter group, None when it lists none."""
    groups = instance.get("DBParameterGroups") or []
    return groups[0]["DBParameterGroupName"] if groups else None


def is_custom_group(group):
    """Only a custom parameter group can be changed: AWS refuses any change to default.* groups."""
    return bool(group) and not group.startswith("default.")


def fence_target(instance):
    """(group, parameter, value) that fences the instance, None when it cannot be fenced (an engine
    without a fence, or no custom parameter group)."""
    fence = fence_parameter(instance.get("Engine"))
    group = parameter_group(instance)
    if not fence or not is_custom_group(group):
        return None
    return (group,) + fence


def unfenceable_reason(engine, group):
    """Why an instance of this engine in this parameter group cannot be fenced, None when it can."""
    if not is_custom_group(group):
        return f"its parameter group {group} is a default one, which AWS does not let change; attach a custom DB parameter group first"
    if engine_family(engine) is None:
        return f"fencing supports {', '.join(FENCE_PARAMETERS)}, not {engine}"
    return None


def describe_fence(fence):
    """'read_only=1 in shop-mysql80' for a (group, parameter, value) fence."""
    group, name, value = fence
    return f"{name}={value} in {group}"


def read_parameter(rds, group, name, call=None, **filters):
    """The value of parameter name in group (None when it has none).

    call(read) runs the paginated read; the default is the retry policy (RETRY). A probe of a region
    that may be down passes its own (retries on throttling only)."""
    def read():
        return rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, **filters).build_full_result()

    pages = call(read) if call else RETRY(read)()
    return next((p.get("ParameterValue") for p in pages.get("Parameters", []) if p["ParameterName"] == name), None)


def fence_in_place(rds, instance, call=None):
    """(group, parameter, value) when the instance's custom parameter group holds its fence now, else None."""
    fence = fence_target(instance)
    if fence and read_parameter(rds, fence[0], fence[1], call, Source="user") == fence[2]:
        return fence
    return None


def set_fence(rds, fence):
    """Set the fence in its parameter group (no call when it is set already); True when it was changed.
    Every instance that uses the group becomes read-only once the group is in-sync (params_in_sync)."""
    group, name, value = fence
    if read_parameter(rds, group, name) == value:
        return False
    rds.modify_db_parameter_group(
        DBParameterGroupName=group, Parameters=[{"ParameterName": name, "ParameterValue": value, "ApplyMethod": "immediate"}], aws_retry=True
    )
    return True


def lift_fence(rds, fence):
    """Reset the fence's parameter to the engine default (replicas stay read-only through {TrueIfReplica})."""
    group, name, _value = fence
    rds.reset_db_parameter_group(DBParameterGroupName=group, Parameters=[{"ParameterName": name, "ApplyMethod": "immediate"}], aws_retry=True)


# roles and states -----------------------------------------------------------------------------------
def params_in_sync(instance):
    """The instance is available with every parameter group applied (a fence or its lifting took effect)."""
    return instance["DBInstanceStatus"] == "available" and all(
        g.get("ParameterApplyStatus") == "in-sync" for g in instance.get("DBParameterGroups", [])
    )


def params_status(instance):
    """'available/in-sync' style status of an instance and its parameter groups, for the statuses seen."""
    return "/".join([instance["DBInstanceStatus"]] + [g.get("ParameterApplyStatus", "") for g in instance.get("DBParameterGroups", [])])


# A promotion that turns backups on takes a first full backup: the instance is standalone and writable while
# backing-up, which can last long (AWS: complete a backup before promoting).
WRITABLE_STATUSES = ("available", "backing-up")


def promoted(instance):
    """A promotion has finished: writable (available or taking its first backup), no source left and no
    replication status left."""
    return (
        instance["DBInstanceStatus"] in WRITABLE_STATUSES
        and not instance.get("ReadReplicaSourceDBInstanceIdentifier")
        and not instance.get("StatusInfos")
    )


def instance_role(instance):
    """replica (it has a source), primary (it has replicas) or standalone."""
    if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        return "replica"
    return "primary" if instance.get("ReadReplicaDBInstanceIdentifiers") else "standalone"


def promoted_at(instance):
    """When rds_promote promoted the instance (PROMOTED_TAG, from DescribeDBInstances' TagList), else None."""
    for tag in instance.get("TagList") or []:
        if tag.get("Key") == PROMOTED_TAG:
            try:
                return int(tag.get("Value"))
            except (TypeError, ValueError):
                return None
    return None


def rds_instance_role(instance):
    """Role of an RDS instance (DescribeDBInstances entry) in its replication topology."""
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    region = arn_region(instance.get("DBInstanceArn"))
    replicas = list(instance.get("ReadReplicaDBInstanceIdentifiers") or [])
    role = instance_role(instance)
    return {
        "role": role,
        "identifier": instance.get("DBInstanceIdentifier"),
        "arn": instance.get("DBInstanceArn"),
        "engine": instance.get("Engine"),
        "status": instance.get("DBInstanceStatus"),
        # stays the same through a promotion: the configuration step writes it without reading it again
        "endpoint": (instance.get("Endpoint") or {}).get("Address"),
        "port": (instance.get("Endpoint") or {}).get("Port"),
        "writable": role in WRITABLE_ROLES,
        "promoted_at": promoted_at(instance),
        # False: a fence cannot be set (a default.* parameter group, which AWS does not let change, or an engine without one)
        "parameter_group": parameter_group(instance),
        "fenceable": fence_target(instance) is not None,
        "source": source,
        # a same-region replica names its source by identifier, a cross-region one by ARN
        "source_region": (arn_region(source) or region) if source else None,
        "replicas": replicas,
        "replica_regions": sorted({arn_region(r) or region for r in replicas}),
        "replication": [
            {"status_type": s.get("StatusType"), "normal": s.get("Normal"), "status": s.get("Status"), "message": s.get("Message")}
            for s in instance.get("StatusInfos") or []
        ],
    }


def global_writer(global_cluster):
    """The ARN of the writer cluster of an Aurora global cluster (DescribeGlobalClusters entry), or None."""
    return next((m["DBClusterArn"] for m in global_cluster.get("GlobalClusterMembers") or [] if m.get("IsWriter")), None)


def aurora_member_roles(global_cluster):
    """DescribeGlobalClusters entry -> {region: role dict} for each member cluster."""
    writer = global_writer(global_cluster)
    roles = {}
    for member in global_cluster.get("GlobalClusterMembers") or []:
        arn = member["DBClusterArn"]
        is_writer = bool(member.get("IsWriter"))
        roles[arn_region(arn)] = {
            "role": "primary" if is_writer else "replica",
            "identifier": arn_name(arn),
            "arn": arn,
            "writable": is_writer,
            "source": None if is_writer else writer,
            "source_region": None if is_writer else arn_region(writer),
            "synchronization_status": member.get("SynchronizationStatus"),
        }
    return roles


# Retired databases ----------------------------------------------------------------------------------
# A failback that keeps the database it replaces renames it <name>-retired-<UTC time> (failback.yml's run stamp).
RETIRED_STAMP = "%Y%m%d%H%M%S"


def retired_at(identifier, name):
    """When the database `identifier` was retired (aware UTC datetime), None if it is not one of `name`'s retired."""
    prefix = f"{name}-retired-"
    if not identifier.startswith(prefix):
        return None
    try:
        return datetime.datetime.strptime(identifier[len(prefix):], RETIRED_STAMP).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def expired_retired(instances, name, retention_days, now):
    """The retired databases of `name` older than retention_days, oldest first, as dicts (identifier, retired_at,
    age_days, replica); retention_days 0 keeps them forever. Instances are DescribeDBInstances entries (boto3 or
    amazon.aws snake_case keys); one already being deleted is left to finish."""
    if not retention_days:
        return []
    found = []
    for instance in instances:
        identifier = instance.get("DBInstanceIdentifier") or instance.get("db_instance_identifier") or ""
        status = instance.get("DBInstanceStatus") or instance.get("db_instance_status")
        when = retired_at(identifier, name)
        if when is None or status == "deleting":
            continue
        age = (now - when).total_seconds() / 86400
        if age >= retention_days:
            source = instance.get("ReadReplicaSourceDBInstanceIdentifier") or instance.get("read_replica_source_db_instance_identifier")
            found.append({"identifier": identifier, "retired_at": when.isoformat(), "age_days": round(age, 1), "replica": bool(source)})
    return sorted(found, key=lambda entry: entry["retired_at"])
