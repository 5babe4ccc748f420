"""Writes to the writer, reads from this region's replica, read-your-writes, and the design's custom metrics."""

import re
import secrets
import time

import pymysql

from . import config as app_config

TABLE = "writes"
# A row is (run, seq): every writer run has its own id, so a run's count never takes another run's row for its own
# (drills that each start at seq 1 against one database would otherwise hide each other's lost writes).
SCHEMA = (f"CREATE TABLE IF NOT EXISTS {TABLE} (run VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, written_at DOUBLE NOT NULL, "
          "region VARCHAR(32) NOT NULL, PRIMARY KEY (run, seq))")
RUN_PATTERN = r"[A-Za-z0-9_.:-]{1,64}"


def new_run_id(region):
    """A writer run's id: its region, the time it started and 6 random hex digits (unique across writers)."""
    return f"{region}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(3)}"


RELOAD_INTERVAL = 1.0  # seconds


class WriteError(Exception):
    """A write was not acknowledged (the caller must treat it as not done)."""


class App:
    """The application's data access. load_config() is called again after a failed write (a failover moves the writer)."""

    def __init__(self, load_config, user, password, database, cloudwatch=None, connect_timeout=2, run=None):
        if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", database or ""):
            raise app_config.ConfigError(f"database={database!r} is not a database name: letters, digits and _, at most 64")
        if run is not None and not re.fullmatch(RUN_PATTERN, run):
            raise app_config.ConfigError(f"run={run!r} is not a run id: letters, digits and _.:-, at most 64")
        self.load_config = load_config
        self.user, self.password, self.database = user, password, database
        self.cloudwatch = cloudwatch
        self.connect_timeout = connect_timeout
        self.config = load_config()
        self.run = run or new_run_id(self.config.region)
        self._reloaded = time.monotonic()
        self._writer = None

    # connections --------------------------------------------------------------------------
    def _connect(self, endpoint, database=True):
        return pymysql.connect(host=endpoint.host, port=endpoint.port, user=self.user, password=self.password,
                               database=self.database if database else None, autocommit=True,
                               connect_timeout=self.connect_timeout, read_timeout=5, write_timeout=5)

    def writer(self):
        if self._writer is None:
            # The schema is made on the writer and replicates to every region (an RDS instance made without a
            # database name has none).
            self._writer = self._connect(self.config.writer, database=False)
            with self._writer.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{self.database}`")
                cursor.execute(f"USE `{self.database}`")
                cursor.execute(SCHEMA)
        return self._writer

    def _drop_writer(self):
        if self._writer is not None:
            try:
                self._writer.close()
            except pymysql.err.Error:
                pass
        self._writer = None

    # operations -------------------------------------------------------------------------------
    def write(self, seq):
        """Insert row (run, seq) on the writer; returns the write's GTID once the writer acknowledged it."""
        started = time.monotonic()
        try:
            with self.writer().cursor() as cursor:
                cursor.execute(f"INSERT INTO {TABLE} (run, seq, written_at, region) VALUES (%s, %s, %s, %s)",
                               (self.run, seq, time.time(), self.config.region))
                cursor.execute("SELECT @@last_gtid")
                gtid = cursor.fetchone()[0]
        except pymysql.err.Error as exc:
            self._failed("write", exc)
            self._drop_writer()
            self._reload()
            raise WriteError(f"write {seq} to {self.config.writer} failed: {exc}") from exc
        self._metric("OperationLatency", (time.monotonic() - started) * 1000, "Milliseconds", Operation="write")
        return gtid

    def read(self, seq, after_gtid=None, timeout=5.0):
        """Row seq of this run from this region's replica; with after_gtid, first wait until the replica applied that write
        (read-your-writes); raises TimeoutError when it has not within timeout."""
        started = time.monotonic()
        try:
            with self._connect(self.config.reader) as connection, connection.cursor() as cursor:
                if after_gtid:
                    cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (after_gtid, timeout))
                    if cursor.fetchone()[0] != 0:
                        self._failed("read", TimeoutError(), "ReplicationTimeout")
                        raise TimeoutError(f"{self.config.reader} did not apply {after_gtid} within {timeout} s")
                cursor.execute(f"SELECT seq, written_at, region FROM {TABLE} WHERE run = %s AND seq = %s", (self.run, seq))
                row = cursor.fetchone()
        except pymysql.err.Error as exc:
            self._failed("read", exc)
            raise
        self._metric("OperationLatency", (time.monotonic() - started) * 1000, "Milliseconds", Operation="read")
        return row

    def replication_lag(self):
        """Seconds this region's replica is behind (None on the writer itself, -1 when replication is stopped)."""
        with self._connect(self.config.reader) as connection, connection.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute("SHOW SLAVE STATUS")
            status = cursor.fetchone()
        if not status:
            return None
        running = status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes"
        lag = status["Seconds_Behind_Master"] if running and status["Seconds_Behind_Master"] is not None else -1
        self._metric("ReplicationLag", lag, "Seconds")
        return lag

    def can_write(self):
        """Whether the configured writer takes writes now (not read_only); re-reads the configuration when not."""
        try:
            with self.writer().cursor() as cursor:
                cursor.execute("SELECT @@read_only")
                if cursor.fetchone()[0] == 0:
                    return True
        except pymysql.err.Error:
            self._drop_writer()
        self._reload()
        return False

    # helpers ------------------------------------------------------------------------------
    def _reload(self):
        """Read the configuration again, at most once per RELOAD_INTERVAL: a writer failing 20 times a second must
        not read SSM 20 times a second (its API throttles at 40 calls per second per account and region)."""
        if time.monotonic() - self._reloaded < RELOAD_INTERVAL:
            return
        self._reloaded = time.monotonic()
        try:
            self.config = self.load_config()
        except Exception:  # keep the last configuration: SSM in this region may be out too
            pass

    def _failed(self, operation, exc, kind=None):
        self._metric("ErrorCount", 1, "Count", Operation=operation, ErrorType=kind or type(exc).__name__)

    def _metric(self, name, value, unit, **dimensions):
        if self.cloudwatch is None:
            return
        dims = [{"Name": "Region", "Value": self.config.region}] + [{"Name": k, "Value": v} for k, v in dimensions.items()]
        try:
            self.cloudwatch.put_metric_data(Namespace=f"{self.config.app}/MultiRegion",
                                            MetricData=[{"MetricName": name, "Dimensions": dims, "Value": value, "Unit": unit}])
        except Exception:  # metrics never stop the application
            pass


def config_loader(ssm, app):
    return lambda: app_config.load(ssm, app)
