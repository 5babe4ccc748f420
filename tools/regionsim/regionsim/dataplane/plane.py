"""The servers behind RDS and ElastiCache resources, reconciled with moto's state (see __init__)."""

import itertools
import os
import shutil
import time
import threading

from ..state import STATE
from .proxy import Proxy
from .servers import MariaDB, Redis

RDS_ENGINES = ("mysql", "mariadb")
REDIS_ENGINES = ("redis", "valkey")
HOST = "127.0.0.1"
SAMPLE_EVERY = 1.0  # s: how often a replica's lag is measured, so the lag before a stop is known after it


class Served:
    """One resource's server, its clients' proxy and (for a replica) the link to its source."""

    def __init__(self, resource, kind, account, region, name, server):
        self.resource = resource  # the moto object (kept: its identity is the key)
        self.kind, self.account, self.region, self.name = kind, account, region, name
        self.server = server
        self.proxy = Proxy(server.port, [region])
        self.source = None  # the Served it replicates from
        self.link = None  # the proxy replication runs through (source's and own region)
        self.read_only = None
        self.delay = 0
        self.password = None
        self.last_lag = None  # the last lag measured while replication ran
        self.stopped = None  # when replication was last seen stopped (epoch) after running, None while it runs

    def close(self):
        for proxy in (self.proxy, self.link):
            if proxy is not None:
                proxy.close()
        self.server.stop(remove=True)

    def view(self):
        return {"kind": self.kind, "region": self.region, "name": self.name, "address": HOST, "port": self.proxy.port,
                "server_port": self.server.port, "source": self.source and f"{self.source.region}/{self.source.name}",
                "read_only": self.read_only, "delay": self.delay, "folder": self.server.folder}


def _moto_items(backend_dict):
    for account, per_account in list(backend_dict.items()):
        for region, backend in list(per_account.items()):
            yield account, region, backend


class DataPlane:
    def __init__(self, root):
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)
        self.lock = threading.RLock()
        self.served = {}  # id(moto object) -> Served
        self._ids = itertools.count(1)
        self.closed = threading.Event()
        threading.Thread(target=self._sample, name="regionsim-dataplane-lag", daemon=True).start()

    # reconciliation -------------------------------------------------------------------------
    def reconcile(self):
        # STATE.lock first, always: the latency model's thread calls in holding it
        with STATE.lock, self.lock:
            wanted = self._wanted()
            for key in [k for k in self.served if k not in wanted]:
                self.served.pop(key).close()
            for key, (kind, account, region, name, resource) in wanted.items():
                if key not in self.served:
                    self.served[key] = self._start(kind, account, region, name, resource)
                else:
                    self.served[key].name = name
            for key, (kind, account, region, name, resource) in wanted.items():
                served = self.served[key]
                if kind == "rds":
                    self._sync_rds(served)
                else:
                    self._sync_redis(served)

    def _wanted(self):
        from moto.elasticache.models import elasticache_backends
        from moto.rds.models import rds_backends

        wanted = {}
        for account, region, backend in _moto_items(rds_backends):
            for db in list(backend.databases.values()):
                if (db.engine or "").lower() in RDS_ENGINES:
                    wanted[id(db)] = ("rds", account, region, db.db_instance_identifier, db)
        for account, region, backend in _moto_items(elasticache_backends):
            for group in list(backend.replication_groups.values()):
                if (getattr(group, "engine", None) or "redis").lower() in REDIS_ENGINES:
                    wanted[id(group)] = ("elasticache", account, region, group.replication_group_id, group)
        return wanted

    def _start(self, kind, account, region, name, resource):
        number = next(self._ids)
        folder = os.path.join(self.root, f"{kind}-{region}-{name}-{number}")
        shutil.rmtree(folder, ignore_errors=True)
        server = MariaDB(folder, number, self._template()) if kind == "rds" else Redis(folder)
        try:
            server.start()
            if kind == "rds":
                server.create_users(resource.master_username, _password(resource), getattr(resource, "db_name", None))
            served = Served(resource, kind, account, region, name, server)
        except BaseException:
            server.stop(remove=True)
            raise
        served.password = _password(resource)
        return served

    def _template(self):
        template = os.path.join(self.root, "template")
        return template if os.path.isdir(template) else MariaDB.install(template)

    def _link_to(self, served, source):
        """Point served's replication at source (or at nothing); only when that changes."""
        if served.source is source:
            return
        if served.link is not None:
            served.link.close()
            served.link = None
        if source is None:
            served.server.stop_replication()
        else:
            served.link = Proxy(source.server.port, sorted({source.region, served.region}))
            if served.kind == "rds":
                served.server.replicate_from(HOST, served.link.port, served.delay)
            else:
                served.server.replicate_from(HOST, served.link.port)
        served.source = source

    def _sync_rds(self, served):
        from ..patches import rds

        db = served.resource
        source = None
        if db.is_replica and db.source_db_instance_identifier:
            source_db = rds._source_of(db)
            source = self.served.get(id(source_db)) if source_db is not None else None
        self._link_to(served, source)
        password = _password(db)
        if password != served.password and db.master_username:  # ModifyDBInstance MasterUserPassword
            served.server.execute("SET SESSION sql_log_bin=0", ("ALTER USER %s@'%%' IDENTIFIED BY %s", (db.master_username, password or "")))
            served.password = password
        read_only = _read_only(db)
        if read_only != served.read_only:
            served.server.set_read_only(read_only)
            served.read_only = read_only

    def _sync_redis(self, served):
        from ..patches import elasticache

        group = served.resource
        source = None
        global_group, member = elasticache._membership(served.account, served.region, group.replication_group_id)
        if member is not None and member["role"] == "SECONDARY":
            primary = next((m for m in global_group.members if m["role"] == "PRIMARY"), None)
            primary_group = primary and elasticache._replication_group(served.account, primary["region"], primary["id"])
            source = self.served.get(id(primary_group)) if primary_group is not None else None
        self._link_to(served, source)

    # reading ---------------------------------------------------------------------------------
    def address(self, resource):
        served = self.served.get(id(resource))
        return (HOST, served.proxy.port) if served is not None and served.resource is resource else None

    def lag(self, resource, fallback):
        """The replica's lag now; once its replication stopped because its source's region is out, the last lag
        measured before (CloudWatch's history shows that before the outage and the stop after it: RDS -1,
        ElastiCache nothing). A stop without an outage reads -1 (RDS) or no datapoint (ElastiCache)."""
        with self.lock:
            served = self.served.get(id(resource))
            if served is None or served.resource is not resource or served.source is None:
                return fallback
            value = self._measure(served)
            if value is not None and value >= 0:
                return value
            if served.source.region in STATE.outages or served.region in STATE.outages or served.stopped is not None:
                return served.last_lag if served.last_lag is not None else value
            return value

    def stopped_since(self, resource):
        with self.lock:
            served = self.served.get(id(resource))
            if served is None or served.resource is not resource or served.kind != "rds" or served.last_lag is None:
                return None
            return served.stopped

    def _measure(self, served):
        value = served.server.lag() if served.kind == "rds" else _redis_lag(served)
        if value is not None and value >= 0:
            served.last_lag, served.stopped = value, None
        elif served.kind == "rds" and served.stopped is None:
            served.stopped = time.time()
        return value

    def _sample(self):
        while not self.closed.wait(SAMPLE_EVERY):
            with self.lock:
                for served in list(self.served.values()):
                    if served.source is not None and not (served.source.region in STATE.outages or served.region in STATE.outages):
                        try:
                            self._measure(served)
                        except Exception:  # a server going away between two samples
                            pass

    def describe(self):
        with self.lock:
            return {"root": self.root, "servers": [s.view() for s in self.served.values()]}

    # lag injection ----------------------------------------------------------------------------
    def replication(self, action, resource, region=None, seconds=None):
        if action not in ("delay", "stop", "start"):
            raise ValueError(f"replication action {action!r} is not one of delay, stop, start")
        with STATE.lock, self.lock:
            found = [s for s in self.served.values()
                     if s.kind == "rds" and s.name == resource and region in (None, "", "*", s.region)]
            if not found:
                raise ValueError(f"no RDS read replica {resource!r}{' in ' + region if region else ''} on the data plane")
            served = found[0]
            if served.source is None:
                raise ValueError(f"DB instance {resource} is not replicating (not a read replica)")
            if action == "delay":
                if seconds is None or float(seconds) < 0:
                    raise ValueError(f"replication delay needs seconds >= 0, got {seconds!r}")
                served.delay = int(float(seconds))
                served.server.execute("STOP SLAVE", f"CHANGE MASTER TO MASTER_DELAY={served.delay}", "START SLAVE")
            elif action == "stop":
                self._measure(served)  # the lag just before the stop
                served.server.execute("STOP SLAVE")
                served.stopped = time.time()
            else:
                served.server.execute("START SLAVE")
            return served.view()

    # teardown -----------------------------------------------------------------------------------
    def close(self):
        self.closed.set()
        self.reset()

    def reset(self):
        # the template data folder stays: the next server starts from a copy of it
        with self.lock:
            served, self.served = list(self.served.values()), {}
            for item in served:  # all shut down at once: `regionsim stop` gives the simulator 10 s
                item.server.terminate()
            for item in served:
                item.close()


def _password(db):
    return db.__dict__.get("_master_user_password")  # moto's property refuses to give it back


def _read_only(db):
    """The instance's read_only: its parameter group's value, else RDS's default {TrueIfReplica}."""
    from moto.rds.models import rds_backends

    backend = rds_backends[db.account_id][db.region]
    group = backend.db_parameter_groups.get(db.db_parameter_group_name or "")
    value = None
    if group is not None and "read_only" in group.parameters:
        value = group.parameters["read_only"].get("ParameterValue")
    if value is None or str(value).strip() == "{TrueIfReplica}":
        return bool(db.is_replica)
    return str(value).strip().lower() in ("1", "on", "true")


def _redis_lag(served):
    """Seconds the secondary is behind: 0 at the primary's offset, else the age of its last data from it;
    None while its link is down (CloudWatch then has no datapoint, as for a secondary cut off on AWS)."""
    info = served.server.info()
    if info.get("master_link_status") != "up":
        return None
    primary = served.source.server.info()
    if int(info.get("slave_repl_offset", -1)) >= int(primary.get("master_repl_offset", 0)):
        return 0
    return max(1, int(info.get("master_last_io_seconds_ago", 1)))
