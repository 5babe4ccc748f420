"""Real server processes on loopback: MariaDB (for RDS MySQL/MariaDB instances) and redis-server (for
ElastiCache Redis replication groups), each with its data under one folder that stop() removes."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pymysql
import redis as redis_client

# Debian keeps mariadbd in /usr/sbin, which a user's PATH may lack
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
REPLICATION_USER, REPLICATION_PASSWORD = "regionsim_repl", "regionsim-repl"
# a wait on the server answering, not a sleep: under full load (three test workers beside sanity) 30 s was too short once
START_TIMEOUT = 120
# small InnoDB files and relaxed flushing: a data folder of a few MB that starts in a fraction of a second
MARIADB_OPTIONS = [
    "--innodb-buffer-pool-size=8M",
    "--innodb-log-file-size=4M",
    "--innodb-log-buffer-size=1M",
    "--innodb-data-file-path=ibdata1:4M:autoextend",
    "--innodb-autoextend-increment=1",
    "--skip-innodb-doublewrite",
    "--innodb-undo-tablespaces=0",
    "--innodb-flush-log-at-trx-commit=2",
    "--performance-schema=OFF",
    "--skip-name-resolve",
    "--max-connections=100",
    "--key-buffer-size=1M",
]
# RDS gives the master user every privilege but SUPER (so read_only=1 stops it); REPLICATION CLIENT is
# MariaDB's BINLOG MONITOR + SLAVE MONITOR (SHOW SLAVE STATUS)
MASTER_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, SHOW DATABASES, "
    "CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR, CREATE VIEW, SHOW VIEW, "
    "CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"
)


class ServerError(RuntimeError):
    pass


def binary(name):
    path = shutil.which(name, path=SEARCH_PATH)
    if path is None:
        raise ServerError(f"{name} not found: regionsim's data plane needs the Debian packages mariadb-server and "
                          "redis-server (run 'make setup' as root, or apt-get install them)")
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what, process, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{what} exited with code {process.returncode}: {_tail(log)}")
        try:
            return check()
        except Exception:  # not answering yet
            time.sleep(0.05)
    process.kill()
    raise ServerError(f"{what} did not answer within {START_TIMEOUT} s: {_tail(log)}")


def _tail(path):
    try:
        return open(path, encoding="utf-8", errors="replace").read()[-800:]
    except OSError:
        return "(no log)"


def _as_root():
    return ["--user=root"] if os.geteuid() == 0 else []


class Server:
    """One server process; `port` is its real port (clients use the proxy in front of it)."""

    kind = None

    def __init__(self, folder):
        self.folder = str(folder)
        self.port = free_port()
        self.process = None

    def terminate(self):
        """Ask the server to shut down (stop() waits for it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self, remove=True):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)
            socket_folder = os.path.dirname(getattr(self, "socket", self.folder))
            if socket_folder != self.folder:
                shutil.rmtree(socket_folder, ignore_errors=True)


# A unix socket path holds at most 107 bytes: a deep data folder (pytest's per-test tmp_path under an xdist
# worker, say) would make mariadbd fail to start.
SOCKET_PATH_MAX = 100


def _socket_path(folder):
    """mysqld.sock in the server's folder when that path is short enough, else in a new short temporary folder."""
    path = os.path.join(folder, "mysqld.sock")
    return path if len(path) <= SOCKET_PATH_MAX else os.path.join(tempfile.mkdtemp(prefix="regionsim-"), "mysqld.sock")


class MariaDB(Server):
    kind = "mariadb"

    def __init__(self, folder, server_id, template):
        super().__init__(folder)
        self.server_id = server_id
        self.template = template
        self.socket = _socket_path(self.folder)

    @staticmethod
    def install(data):
        """A fresh data folder (about 20 MB): made once per data plane, then copied for each server."""
        # A temporary folder of its own: two data planes installing at once collided on /tmp's temporary tables.
        tmp = data + ".tmp"
        os.makedirs(tmp, exist_ok=True)
        install = subprocess.run(
            [binary("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
             "--skip-test-db", f"--tmpdir={tmp}", *_as_root(), *MARIADB_OPTIONS],
            capture_output=True, text=True, check=False,
        )
        if install.returncode:
            shutil.rmtree(data, ignore_errors=True)
            raise ServerError(f"mariadb-install-db failed: {install.stdout[-400:]} {install.stderr[-400:]}")
        return data

    def start(self):
        data = os.path.join(self.folder, "data")
        os.makedirs(os.path.join(self.folder, "tmp"), exist_ok=True)
        shutil.copytree(self.template, data)
        log = os.path.join(self.folder, "error.log")
        as_root = _as_root()
        self.process = subprocess.Popen(
            [binary("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--server-id={self.server_id}", f"--log-bin={self.folder}/binlog",
             "--log-slave-updates", "--binlog-format=ROW", f"--pid-file={self.folder}/mariadbd.pid", f"--log-error={log}",
             "--skip-slave-start", f"--tmpdir={self.folder}/tmp", *as_root, *MARIADB_OPTIONS],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        _wait(lambda: self.admin().close(), f"mariadbd in {self.folder}", self.process, log)
        return self

    def admin(self):
        """root over the unix socket (not reachable through any proxy)."""
        return pymysql.connect(unix_socket=self.socket, user="root", autocommit=True, connect_timeout=10, read_timeout=60)

    def execute(self, *statements):
        with self.admin() as connection, connection.cursor(pymysql.cursors.DictCursor) as cursor:
            rows = None
            for statement in statements:
                if isinstance(statement, tuple):
                    cursor.execute(*statement)
                else:
                    cursor.execute(statement)
                rows = cursor.fetchall()
            return rows

    def create_users(self, master_user, master_password, database=None):
        """The RDS master user and the replication user, on this server only (not into its binlog)."""
        statements = ["SET SESSION sql_log_bin=0",
                      (f"CREATE USER IF NOT EXISTS '{REPLICATION_USER}'@'%%' IDENTIFIED BY %s", (REPLICATION_PASSWORD,)),
                      f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'%'"]
        if master_user:
            statements += [(f"CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (master_user, master_password or "")),
                           (f"GRANT {MASTER_PRIVILEGES} ON *.* TO %s@'%%' WITH GRANT OPTION", (master_user,))]
        if database:
            statements.append(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        self.execute(*statements)

    def replicate_from(self, host, port, delay=0):
        self.execute(
            "STOP SLAVE", "RESET SLAVE ALL",
            ("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
             "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_DELAY=%s",
             (host, port, REPLICATION_USER, REPLICATION_PASSWORD, int(delay))),
            "START SLAVE",
        )

    def stop_replication(self):
        self.execute("STOP SLAVE", "RESET SLAVE ALL")

    def set_read_only(self, read_only):
        self.execute(f"SET GLOBAL read_only={1 if read_only else 0}")

    def slave_status(self):
        rows = self.execute("SHOW SLAVE STATUS")
        return rows[0] if rows else None

    def lag(self):
        """Seconds_Behind_Master, or -1 when a replication thread is not running (as RDS's ReplicaLag)."""
        status = self.slave_status()
        if not status or status["Slave_IO_Running"] != "Yes" or status["Slave_SQL_Running"] != "Yes":
            return -1
        behind = status["Seconds_Behind_Master"]
        return -1 if behind is None else int(behind)


class Redis(Server):
    kind = "redis"

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        log = os.path.join(self.folder, "redis.log")
        self.process = subprocess.Popen(
            [binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
             "--save", "", "--appendonly", "no", "--protected-mode", "no", "--logfile", log, "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        _wait(lambda: self.client().ping(), f"redis-server in {self.folder}", self.process, log)
        return self

    def client(self):
        return redis_client.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, decode_responses=True)

    def replicate_from(self, host, port):
        self.client().replicaof(host, port)

    def stop_replication(self):
        self.client().replicaof("NO", "ONE")

    def info(self):
        return self.client().info("replication")
