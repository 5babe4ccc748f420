"""regionsim's data plane: real MariaDB and Redis servers behind RDS and ElastiCache (issue 15).

While enabled, the simulator keeps one real server per resource, reconciled with moto's state after
every RDS/ElastiCache request and every status change of the latency model:

- an RDS MySQL/MariaDB DB instance is a MariaDB server (plane.mysql); a read replica replicates from its
  source (GTID, MASTER_USE_GTID=slave_pos) until it is promoted; `read_only` follows its parameter group
  (default: on for a replica), and the master user has no SUPER, so read_only=1 really fences it;
- an ElastiCache Redis replication group is a redis-server (plane.redis); a Global Datastore secondary
  is a REPLICAOF of the primary, re-pointed when the roles change;
- DescribeDBInstances / DescribeReplicationGroups give the address of a TCP proxy in front of the server
  (proxy.py), which refuses and resets connections while its region is out; replication runs through
  a proxy of both regions, so an outage of either stops it;
- CloudWatch ReplicaLag / GlobalDatastoreReplicationLag read the servers (lag()).

Servers are keyed by the moto object, so a renamed instance keeps its server. reset() (and so
`regionsim reset`, `stop` and a snapshot load) kills every server and removes its data: snapshots hold
no data, and the servers of a loaded snapshot start empty on the next RDS/ElastiCache request.
"""

import os
import shutil
import tempfile
import threading

from ..state import STATE

PLANE = None
_installed = False


def enabled():
    return PLANE is not None


def enable(root=None):
    """Start serving (idempotent); root: the folder for the servers' data (default: a new temporary one)."""
    global PLANE
    _install()
    if PLANE is None:
        from .plane import DataPlane

        PLANE = DataPlane(root or tempfile.mkdtemp(prefix="regionsim-dataplane-"))
    return PLANE


def disable():
    """Kill every server, remove its data and stop serving."""
    global PLANE
    plane, PLANE = PLANE, None
    if plane is not None:
        plane.close()
        shutil.rmtree(plane.root, ignore_errors=True)


def wanted(flag=None):
    """Whether the data plane is asked for: flag if given, else REGIONSIM_DATA_PLANE (default on)."""
    if flag is not None:
        return bool(flag)
    return os.environ.get("REGIONSIM_DATA_PLANE", "1").strip().lower() not in ("0", "false", "no", "off", "")


# hooks called by the simulator -------------------------------------------------------------------
def after_request(service):
    """After an AWS request: reconcile the servers with what RDS/ElastiCache now hold."""
    if PLANE is not None and service in ("rds", "elasticache"):
        PLANE.reconcile()


def reset():
    if PLANE is not None:
        PLANE.reset()


def lag(resource, fallback):
    """The real replication lag (seconds) of an RDS instance or ElastiCache replication group the plane
    serves: -1 for a stopped MariaDB replica, None for a Redis secondary whose link is down (the metric is
    silent). fallback when the plane does not serve it."""
    if PLANE is None:
        return fallback
    return PLANE.lag(resource, fallback)


def stopped_since(resource):
    """When an RDS replica's replication stopped without an outage (epoch), or None: CloudWatch shows its last lag
    before that moment and -1 after, as AWS keeps the history of the minutes it ran."""
    if PLANE is None:
        return None
    return PLANE.stopped_since(resource)


def control(command, method, args):
    """The control API's data-plane calls: GET data-plane (servers), POST replication (delay|stop|start)."""
    if PLANE is None:
        raise ValueError("the data plane is off (start the simulator without --no-data-plane / REGIONSIM_DATA_PLANE=0)")
    if command == "data-plane" and method == "GET":
        return PLANE.describe()
    if command == "replication" and method == "POST":
        return PLANE.replication(args.get("action"), args.get("resource"), args.get("region"), args.get("seconds"))
    return None


def _install():
    """Endpoints from the servers and reconciliation after the latency model's status changes (once)."""
    global _installed
    if _installed:
        return
    from moto.elasticache import models as ec_models
    from moto.rds import models as rds_models

    from .. import timeline

    endpoint = rds_models.DBInstance.endpoint

    def db_endpoint(self):
        served = PLANE.address(self) if PLANE is not None else None
        return {"Address": served[0], "Port": served[1]} if served else endpoint.fget(self)

    rds_models.DBInstance.endpoint = property(db_endpoint)

    def get_node_groups(self):
        raw = self.__dict__.get("node_groups")
        served = PLANE.address(self) if PLANE is not None and raw else None
        if not served or self.__dict__.get("cluster_mode") == "enabled":
            return raw
        host, port = served
        return [dict(ng, primary_endpoint={"address": host, "port": port}, primary_endpoint_address=host,
                     reader_endpoint={"address": host, "port": port}, reader_endpoint_address=host, port=port)
                for ng in raw]

    def set_node_groups(self, value):
        self.__dict__["node_groups"] = value

    ec_models.ReplicationGroup.node_groups = property(get_node_groups, set_node_groups)

    run = timeline.run

    def run_and_reconcile(key, apply, steps=None):
        if key.startswith(("rds.", "elasticache.")):
            inner = apply

            def apply(status):
                inner(status)
                if PLANE is not None:
                    PLANE.reconcile()

        return run(key, apply, steps)

    timeline.run = run_and_reconcile
    _installed = True
