"""RDS as real AWS runs it for cross-region DR (shared notes: moto-gaps.md, aws-dr-facts.md).

- Cross-region read replicas: the replica lives in its own region (subnet group, AZ, security
  groups), both sides list each other, StatusInfos carries the replication state (error while
  the source's region is out), PromoteReadReplica walks modifying -> rebooting -> available and
  only then detaches, deleting a replica or a source keeps both sides consistent.
- Aurora global databases: members found across regions, FailoverGlobalCluster (planned and
  unplanned), SwitchoverGlobalCluster, RemoveFromGlobalCluster, with FailoverState and statuses.
- A renamed instance keeps its replication: replicas name its new ARN, its source lists the new name.
- ResetDBParameterGroup, which moto lacks (a failback lifts a fence with it).
- Engine versions: a major version (8.0) resolves to its default minor, and a modify that would
  downgrade (or upgrade the major without AllowMajorVersionUpgrade) is refused with AWS's error.

Global clusters stay in the us-east-1 backend as moto keeps them; every call reaches them
in-process, so they answer from any region, also while us-east-1 is out.
"""

import copy

from moto.core.responses import ActionResult
from moto.rds import models, responses
from moto.rds.exceptions import DBClusterNotFoundError, DBParameterGroupNotFoundError, RDSClientError

from .. import timeline
from ..state import STATE

_ORIGINAL = {}


def _error(code, message):
    return RDSClientError(code, message)


def _is_arn(identifier):
    return identifier.startswith("arn:")


def _backend(account_id, region):
    return models.rds_backends[account_id][region]


def _global_backend(account_id):
    return _backend(account_id, "us-east-1")


# read replicas ---------------------------------------------------------------------------
def _source_location(replica):
    """(region, identifier) of a replica's source, from the ARN or plain id it was made from."""
    source = replica.source_db_instance_identifier
    if _is_arn(source):
        parts = source.split(":")
        return parts[3], parts[-1]
    return replica.region, source


def _source_of(replica):
    region, identifier = _source_location(replica)
    return _backend(replica.account_id, region).databases.get(identifier)


def _replica_ref(source, replica):
    # AWS lists a cross-region replica by ARN, a same-region one by identifier
    return replica.db_instance_arn if source.region != replica.region else replica.db_instance_identifier


def _detach(replica):
    """Make a replica standalone and drop it from its source's list (the source may be in a region that is out)."""
    source = _source_of(replica)
    if source is not None:
        ref = _replica_ref(source, replica)
        source.replicas = [r for r in source.replicas if r != ref]
    replica.is_replica = False
    replica.source_db_instance_identifier = None


def _status_infos(self):
    if not self.is_replica or not self.source_db_instance_identifier:
        return None
    if STATE.is_down(_source_location(self)[0]):
        return [
            {
                "StatusType": "read replication",
                "Normal": False,
                "Status": "error",
                "Message": "Replication has stopped: the source DB instance cannot be reached.",
            }
        ]
    return [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]


def create_db_instance_read_replica(self, db_kwargs):
    source_id = db_kwargs["source_db_instance_identifier"]
    if db_kwargs["db_instance_identifier"] in self.databases:
        raise models.DBInstanceAlreadyExists()
    self._validate_db_identifier(db_kwargs["db_instance_identifier"])
    primary = self.find_db_from_id(source_id)
    if not primary.backup_retention_period:
        raise _error(
            "InvalidDBInstanceState",
            "Automated backups are not enabled for this database instance. To enable automated backups, "
            "use ModifyDBInstance to set the backup retention period to a non-zero value.",
        )
    cross_region = primary.region != self.region_name
    replica = copy.copy(primary)
    # the replica belongs to this region before any setter looks up region-scoped resources
    replica.backend = self
    for name in ("tags", "enabled_cloudwatch_logs_exports", "domain_memberships", "_associated_roles", "vpc_security_group_ids"):
        if hasattr(primary, name):
            setattr(replica, name, list(getattr(primary, name)))
    replica.tags = []
    if cross_region:
        replica.availability_zone = f"{self.region_name}a"
        replica._db_subnet_group_name = None
        replica.db_subnet_group = None
        ec2 = models.ec2_backends[self.account_id][self.region_name]
        replica.vpc_security_group_ids = [ec2.get_default_security_group(ec2.default_vpc.id).id]
    kwargs = {k: v for k, v in db_kwargs.items() if k != "backend"}
    replica.update(**kwargs)
    replica.set_as_replica()
    replica.instance_create_time = models.utcnow()
    self.databases[replica.db_instance_identifier] = replica
    primary.add_replica(replica)

    def apply(status):
        replica.status = status

    timeline.run("rds.create_db_instance_read_replica", apply)
    return replica


def promote_read_replica(self, db_kwargs):
    database = self.describe_db_instances(db_kwargs["db_instance_identifier"])[0]
    if not database.is_replica:
        raise _error("InvalidDBInstanceState", "DB Instance is not a read replica.")
    if database.status != "available":
        raise _error("InvalidDBInstanceState", f"DB instance {database.db_instance_identifier} is not in available state.")
    retention = db_kwargs.get("backup_retention_period")
    if retention is not None and not 0 <= int(retention) <= 35:
        raise _error("InvalidParameterValue", "The backup retention period must be between 0 and 35 days.")
    # AWS: a replica without backups that is promoted with backups on takes a first full backup (backing-up,
    # standalone and writable) before it is available; one that had backups skips it.
    first_backup = not database.backup_retention_period and bool(retention and int(retention) > 0)
    database.update(
        backup_retention_period=retention,
        preferred_backup_window=db_kwargs.get("preferred_backup_window"),
    )
    _promote(database, first_backup)
    return database


def _promote(database, first_backup=False):
    steps = list(timeline.DURATIONS["rds.promote_read_replica"])
    if first_backup:
        steps.insert(-1, ("backing-up", steps[-1][1]))
        steps[-1] = (steps[-1][0], steps[-1][1] + timeline.DURATIONS["rds.first_backup"][-1][1])
    detach_at = {"backing-up", steps[-1][0]} if first_backup else {steps[-1][0]}
    detached = []

    def apply(status):
        database.status = status
        if status in detach_at and not detached:
            detached.append(status)
            _detach(database)

    timeline.run("rds.promote_read_replica", apply, steps)


def delete_db_instance(self, *args, **kwargs):
    identifier = kwargs.get("db_instance_identifier", args[0] if args else None)
    database = self.databases.get(identifier) if identifier else None
    if database is None or database.deletion_protection:
        return _ORIGINAL["delete_db_instance"](self, *args, **kwargs)
    was_replica = database.is_replica
    database.is_replica = False  # moto's own detach fails for cross-region replicas (list.remove of the id)
    try:
        result = _ORIGINAL["delete_db_instance"](self, *args, **kwargs)
    except Exception:
        database.is_replica = was_replica
        raise
    if was_replica:
        database.is_replica = True
        _detach(database)
    # RDS User Guide (USER_ReadRepl, deleting replicas): deleting a source promotes its replicas
    for ref in list(database.replicas):
        region, name = (ref.split(":")[3], ref.split(":")[-1]) if _is_arn(ref) else (database.region, ref)
        replica = _backend(database.account_id, region).databases.get(name)
        if replica is not None and replica.is_replica:
            _promote(replica)
    database.replicas = []
    return result


# engine versions --------------------------------------------------------------------------
# RDS resolves a major version to that major's default minor (DescribeDBEngineVersions, DefaultOnly).
DEFAULT_MINOR = {("mysql", "8.0"): "8.0.40", ("mysql", "8.4"): "8.4.3", ("mysql", "5.7"): "5.7.44"}


def _major(engine, version):
    # mysql 8.0.36 -> 8.0; aurora-mysql 8.0.mysql_aurora.3.05.2 -> 8.0.mysql_aurora.3
    parts = version.split(".")
    return ".".join(parts[:4] if engine.startswith("aurora") and len(parts) > 4 else parts[:2])


def _version_key(version):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split(".")]


def _resolve_version(engine, version):
    return DEFAULT_MINOR.get((engine, version), version) if version else version


def _check_version_change(engine, current, wanted, allow_major):
    """AWS refuses a downgrade (ModifyDBInstance/ModifyDBCluster) and a major upgrade without the flag."""
    if not wanted or not current or wanted == current:
        return
    if _major(engine, wanted) != _major(engine, current):
        if _version_key(wanted) < _version_key(current):
            raise _error("InvalidParameterCombination", f"Cannot find upgrade path from {current} to {wanted}.")
        if not allow_major:
            raise _error("InvalidParameterCombination",
                         "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
    elif _version_key(wanted) < _version_key(current):
        raise _error("InvalidParameterCombination", f"Cannot upgrade {engine} from {current} to {wanted}")


def _versioned(db_kwargs, engine, current):
    """db_kwargs with a major-only EngineVersion resolved, after the change is checked against current."""
    wanted = _resolve_version(engine, db_kwargs.get("engine_version"))
    if wanted:
        _check_version_change(engine, current, wanted, db_kwargs.get("allow_major_version_upgrade"))
        db_kwargs["engine_version"] = wanted
    return db_kwargs


def modify_db_cluster(self, kwargs):
    cluster = self.clusters.get(kwargs.get("db_cluster_identifier"))
    if cluster is not None:
        _versioned(kwargs, cluster.engine, cluster.engine_version)
    return _ORIGINAL["modify_db_cluster"](self, kwargs)


def modify_db_instance(self, db_instance_identifier, db_kwargs):
    before = self.databases.get(db_instance_identifier)
    if before is not None:
        _versioned(db_kwargs, before.engine, before.engine_version)
    old_ref = (before.db_instance_arn, before.db_instance_identifier) if before is not None else None
    database = _ORIGINAL["modify_db_instance"](self, db_instance_identifier, db_kwargs)
    if old_ref and database.db_instance_identifier != db_instance_identifier:
        _renamed(database, *old_ref)

    def apply(status):
        database.status = status

    timeline.run("rds.modify_db_instance", apply)
    return database


def _renamed(database, old_arn, old_id):
    """AWS keeps replication across a rename: the replicas name the source's new ARN, the source lists the new name."""
    for ref in database.replicas:
        region, name = (ref.split(":")[3], ref.split(":")[-1]) if _is_arn(ref) else (database.region, ref)
        replica = _backend(database.account_id, region).databases.get(name)
        if replica is not None and replica.source_db_instance_identifier in (old_arn, old_id):
            replica.source_db_instance_identifier = database.db_instance_arn if _is_arn(replica.source_db_instance_identifier) else database.db_instance_identifier
    if database.is_replica and database.source_db_instance_identifier:
        source = _source_of(database)
        if source is not None:
            old_ref = old_arn if source.region != database.region else old_id
            source.replicas = [_replica_ref(source, database) if r == old_ref else r for r in source.replicas]


def reboot_db_instance(self, db_instance_identifier):
    database = _ORIGINAL["reboot_db_instance"](self, db_instance_identifier)

    def apply(status):
        database.status = status

    timeline.run("rds.reboot_db_instance", apply)
    return database


def describe_db_parameter_groups(self, db_parameter_group_kwargs):
    # AWS answers DBParameterGroupNotFound for a name that does not exist; moto returns an empty list
    name = db_parameter_group_kwargs.get("db_parameter_group_name")
    if name and name not in self.db_parameter_groups:
        raise DBParameterGroupNotFoundError(name)
    return _ORIGINAL["describe_db_parameter_groups"](self, db_parameter_group_kwargs)


def create_db_instance(self, db_kwargs):
    if db_kwargs.get("engine") and db_kwargs.get("engine_version"):
        db_kwargs["engine_version"] = _resolve_version(db_kwargs["engine"], db_kwargs["engine_version"])
    database = _ORIGINAL["create_db_instance"](self, db_kwargs)
    # an Aurora cluster's instances report the cluster's DB subnet group, as DescribeDBInstances does on AWS
    cluster = self.clusters.get(database.db_cluster_identifier) if database.db_cluster_identifier else None
    if cluster is not None and getattr(database, "db_subnet_group", None) is None and cluster.db_subnet_group_name in self.subnet_groups:
        database.db_subnet_group_name = cluster.db_subnet_group_name
    return database


# RDS User Guide (gp3 storage): an instance without provisioned values reports the baseline,
# 3000 IOPS / 125 MiBps below 400 GiB and 12000 / 500 from 400 GiB (MySQL, MariaDB, PostgreSQL)
def _gp3_baseline(instance, small, large):
    return large if (instance.allocated_storage or 0) >= 400 else small


def _get_iops(self):
    if self.__dict__.get("_iops") is None and self.__dict__.get("_storage_type") == "gp3":
        return _gp3_baseline(self, 3000, 12000)
    return self.__dict__.get("_iops")


def _set_iops(self, value):
    self.__dict__["_iops"] = value


def _get_storage_throughput(self):
    if self.__dict__.get("_storage_throughput") is None and self.__dict__.get("_storage_type") == "gp3":
        return _gp3_baseline(self, 125, 500)
    return self.__dict__.get("_storage_throughput")


# Aurora global databases -------------------------------------------------------------------
def _get_global_cluster(account_id, identifier):
    gc = _global_backend(account_id).global_clusters.get(identifier)
    if gc is None:
        raise _error("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")
    return gc


def _find_cluster(account_id, identifier, default_region):
    """A DB cluster by ARN (any region) or by identifier (in the caller's region)."""
    if _is_arn(identifier):
        region, name = identifier.split(":")[3], identifier.split(":")[-1]
    else:
        region, name = default_region, identifier
    cluster = _backend(account_id, region).clusters.get(name)
    if cluster is None:
        raise DBClusterNotFoundError(identifier)
    return cluster


def _member(gc, cluster):
    if cluster not in gc.members:
        raise _error(
            "InvalidParameterValue",
            f"DB cluster {cluster.db_cluster_arn} is not a member of global cluster {gc.global_cluster_identifier}.",
        )
    return cluster


def _global_cluster_of(cluster):
    identifier = cluster.global_cluster_identifier
    if not identifier:
        return None
    return _global_backend(cluster.account_id).global_clusters.get(identifier.split(":")[-1])


def create_global_cluster(self, global_cluster_identifier, source_db_cluster_identifier, engine, engine_version, storage_encrypted, deletion_protection):
    if global_cluster_identifier in self.global_clusters:
        raise _error("GlobalClusterAlreadyExistsFault", f"Global cluster {global_cluster_identifier} already exists.")
    source = None
    if source_db_cluster_identifier is not None:
        if not _is_arn(source_db_cluster_identifier):
            raise models.InvalidParameterValue("Malformed db cluster arn dbci")
        source = _find_cluster(self.account_id, source_db_cluster_identifier, self.region_name)
        if _global_cluster_of(source) is not None:
            raise _error("InvalidDBClusterStateFault", f"DB cluster {source.db_cluster_identifier} is already a member of a global cluster.")
        if engine is not None:
            raise models.InvalidParameterCombination(
                "When creating global cluster from existing db cluster, value for engineName should not be specified "
                "since it will be inherited from source cluster"
            )
        engine, engine_version = source.engine, source.engine_version
    elif engine is None:
        raise models.InvalidParameterValue("When creating standalone global cluster, value for engineName should be specified")
    gc = models.GlobalCluster(
        backend=self,
        global_cluster_identifier=global_cluster_identifier,
        engine=engine,
        engine_version=engine_version,
        storage_encrypted=storage_encrypted,
        deletion_protection=deletion_protection,
    )
    self.global_clusters[global_cluster_identifier] = gc
    if source is not None:
        source.global_cluster_identifier = gc.global_cluster_identifier
        source.is_writer = True
        gc.members.append(source)
    return gc


def create_db_cluster(self, kwargs):
    identifier = kwargs.get("global_cluster_identifier")
    if identifier:
        _get_global_cluster(self.account_id, identifier)
    return _ORIGINAL["create_db_cluster"](self, kwargs)


def modify_global_cluster(self):
    # moto has no ModifyGlobalCluster; the simulator serves its DeletionProtection
    gc = _get_global_cluster(self.current_account, self.params["GlobalClusterIdentifier"])
    if self.params.get("DeletionProtection") is not None:
        gc.deletion_protection = bool(self.params["DeletionProtection"])
    return ActionResult({"GlobalCluster": gc})


def delete_global_cluster(self, global_cluster_identifier):
    gc = self.global_clusters.get(global_cluster_identifier)
    if gc is not None and gc.deletion_protection:
        raise _error("InvalidGlobalClusterStateFault", "Cannot delete protected Global Cluster, please disable deletion protection and try again.")
    return _ORIGINAL["delete_global_cluster"](self, global_cluster_identifier)


def describe_global_clusters(self):
    identifier = self.params.get("GlobalClusterIdentifier")
    if identifier:
        clusters = [_get_global_cluster(self.current_account, identifier)]
    else:
        clusters = self.global_backend.describe_global_clusters()
    return ActionResult({"GlobalClusters": clusters})


def delete_db_cluster(self, cluster_identifier, snapshot_name=None):
    cluster = self.clusters.get(cluster_identifier)
    gc = _global_cluster_of(cluster) if cluster is not None else None
    if gc is not None and cluster in gc.members:
        raise _error(
            "InvalidDBClusterStateFault",
            "This cluster is a part of a global cluster, please remove it from globalcluster first",
        )
    return _ORIGINAL["delete_db_cluster"](self, cluster_identifier, snapshot_name)


def _check_idle(gc):
    if gc.status != "available":
        raise _error(
            "InvalidGlobalClusterStateFault",
            f"Global cluster {gc.global_cluster_identifier} is in {gc.status} state; wait until it is available.",
        )


def _change_writer(gc, target, key, data_loss):
    """Run a switchover or failover to target on the latency model; returns the global cluster."""
    old_writer = next((m for m in gc.members if m.is_writer), None)
    final = timeline.DURATIONS[key][-1][0]

    def apply(status):
        gc.status = status
        if status == final:
            for member in gc.members:
                member.is_writer = member is target
            gc.failover_state = None
        else:
            gc.failover_state = {
                "Status": status,
                "FromDbClusterArn": old_writer.db_cluster_arn if old_writer else None,
                "ToDbClusterArn": target.db_cluster_arn,
                "IsDataLossAllowed": data_loss,
            }

    timeline.run(key, apply)
    return gc


def _start_change(response, target_identifier, data_loss):
    account_id = response.current_account
    gc = _get_global_cluster(account_id, response.params["GlobalClusterIdentifier"])
    target = _member(gc, _find_cluster(account_id, target_identifier, response.region))
    _check_idle(gc)
    if target.is_writer:
        raise _error(
            "InvalidParameterValue",
            f"DB cluster {target.db_cluster_arn} is already the primary cluster of global cluster {gc.global_cluster_identifier}.",
        )
    if not data_loss:
        # a switchover demotes the old primary and waits for it to sync: it needs its region
        old_writer = next((m for m in gc.members if m.is_writer), None)
        if old_writer is not None and STATE.is_down(old_writer.region):
            raise _error(
                "InvalidGlobalClusterStateFault",
                f"The primary cluster {old_writer.db_cluster_arn} is unavailable, so the global cluster cannot switch over. "
                "Use FailoverGlobalCluster with AllowDataLoss to fail over.",
            )
    key = "rds.failover_global_cluster" if data_loss else "rds.switchover_global_cluster"
    return ActionResult({"GlobalCluster": _change_writer(gc, target, key, data_loss)})


def failover_global_cluster(self):
    allow_data_loss = self.params.get("AllowDataLoss")
    switchover = self.params.get("Switchover")
    if allow_data_loss is not None and switchover is not None:
        raise models.InvalidParameterCombination("AllowDataLoss and Switchover can't be specified together.")
    return _start_change(self, self.params["TargetDbClusterIdentifier"], data_loss=bool(allow_data_loss))


def switchover_global_cluster(self):
    return _start_change(self, self.params["TargetDbClusterIdentifier"], data_loss=False)


def remove_from_global_cluster(self):
    account_id = self.current_account
    gc = _get_global_cluster(account_id, self.params["GlobalClusterIdentifier"])
    cluster = _member(gc, _find_cluster(account_id, self.params["DbClusterIdentifier"], self.region))
    if cluster.is_writer and len(gc.members) > 1:
        raise _error(
            "InvalidGlobalClusterStateFault",
            f"The primary cluster {cluster.db_cluster_arn} can be removed only after all secondary clusters are removed.",
        )
    final = timeline.DURATIONS["rds.remove_from_global_cluster"][-1][0]

    def apply(status):
        cluster.status = status
        if status == final and cluster in gc.members:
            gc.members.remove(cluster)
            cluster.global_cluster_identifier = None
            cluster.is_writer = False

    timeline.run("rds.remove_from_global_cluster", apply)
    return ActionResult({"GlobalCluster": gc})


def _global_cluster_members(self):
    writer = next((m for m in self.members if m.is_writer), None)
    members = []
    for member in self.members:
        entry = {"DBClusterArn": member.db_cluster_arn, "IsWriter": member is writer, "DBClusterParameterGroupStatus": "in-sync", "PromotionTier": 1}
        if member is writer:
            entry["Readers"] = [m.db_cluster_arn for m in self.members if m is not writer]
        else:
            entry["Readers"] = []
            entry["GlobalWriteForwardingStatus"] = "disabled"
            entry["SynchronizationStatus"] = "connected"
        members.append(entry)
    return members


# ResetDBParameterGroup (moto lacks it): named parameters, or all, go back to the engine default,
# which for a user-set value means it is no longer in the group's user parameters.
def reset_db_parameter_group(self):
    name = self.params.get("DBParameterGroupName")
    if name not in self.backend.db_parameter_groups:
        raise DBParameterGroupNotFoundError(name)
    group = self.backend.db_parameter_groups[name]
    if name.startswith("default."):
        raise _error("InvalidParameterValue", f"The parameter group {name} is a default group and cannot be modified")
    names = [param.original_dict()["ParameterName"] for param in self.params.get("Parameters", [])]
    if self.params.get("ResetAllParameters"):
        if names:
            raise _error("InvalidParameterCombination", "Specify either ResetAllParameters or Parameters, not both")
        group.parameters.clear()
    elif not names:
        raise _error("InvalidParameterCombination", "Specify ResetAllParameters=true or at least one parameter to reset")
    for parameter in names:
        group.parameters.pop(parameter, None)
    return ActionResult({"DBParameterGroupName": name})


# wiring -------------------------------------------------------------------------------------
def apply():
    if _ORIGINAL:
        return
    backend = models.RDSBackend
    for name in ("delete_db_instance", "modify_db_instance", "reboot_db_instance", "create_db_cluster", "delete_db_cluster",
                 "describe_db_parameter_groups", "delete_global_cluster", "create_db_instance", "modify_db_cluster"):
        _ORIGINAL[name] = getattr(backend, name)
    backend.create_db_instance_read_replica = create_db_instance_read_replica
    backend.promote_read_replica = promote_read_replica
    backend.delete_db_instance = delete_db_instance
    backend.modify_db_instance = modify_db_instance
    backend.reboot_db_instance = reboot_db_instance
    backend.describe_db_parameter_groups = describe_db_parameter_groups
    backend.create_db_instance = create_db_instance
    backend.modify_db_cluster = modify_db_cluster
    backend.create_global_cluster = create_global_cluster
    backend.delete_global_cluster = delete_global_cluster
    backend.create_db_cluster = create_db_cluster
    backend.delete_db_cluster = delete_db_cluster
    models.DBInstance.status_infos = property(_status_infos)
    models.DBInstance.iops = property(_get_iops, _set_iops)
    models.DBInstance.storage_throughput = property(_get_storage_throughput, models.DBInstance.storage_throughput.fset)
    models.GlobalCluster.failover_state = None
    models.GlobalCluster.global_cluster_members = property(_global_cluster_members)
    response = responses.RDSResponse
    response.describe_global_clusters = describe_global_clusters
    response.modify_global_cluster = modify_global_cluster
    response.failover_global_cluster = failover_global_cluster
    response.switchover_global_cluster = switchover_global_cluster
    response.remove_from_global_cluster = remove_from_global_cluster
    response.reset_db_parameter_group = reset_db_parameter_group
