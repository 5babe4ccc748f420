"""Shared fixtures: a regionsim per test session, boto3 clients on it, and runners for
modules and playbooks through ansible-playbook (the way users run them)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import filelock
from botocore.config import Config
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
# Unit tests import the collection as ansible_collections.multiregion.dr (make setup links it).
sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.multiregion.dr.tests.module_runner import run_module  # noqa: E402 (needs the path above)
from ansible_collections.multiregion.dr.tests.strategy import mitogen_args, mitogen_env  # noqa: E402 (needs the path above)
from ansible_collections.multiregion.dr.tests.aws_checks import iam_user_env  # noqa: E402 (needs the path above)

# Every Python the tests start (ansible-playbook, mitogen's interpreters, ansible-runner, ansible-rulebook) shares
# one botocore data loader per process (tests/pythonpath/sitecustomize.py says why); so does this one, for the
# modules the tests run in-process.
PYTHONPATH = ROOT / "tests" / "pythonpath"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHONPATH), os.environ.get("PYTHONPATH")]))
_spec = importlib.util.spec_from_file_location("shared_botocore_loader", PYTHONPATH / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))


def pytest_collection_modifyitems(items):
    """Slowest first (the estimate in @pytest.mark.slow(seconds)): with one test handed out at a time
    (make's --maxschedchunk 1), the long end-to-end runs start at once on both workers instead of ending one
    of them alone. The test that provisions comes first of all: its run is the snapshot every `provisioned`
    test loads, so none of them has to provision for it. While it runs, the other workers take the long tests
    that need no snapshot, instead of waiting for it."""
    def estimate(item):
        marker = item.get_closest_marker("slow")
        return marker.args[0] if marker else 0

    def builds_snapshot(item):
        return "provision" in item.fixturenames and "provisioned" not in item.fixturenames

    items.sort(key=lambda item: (not builds_snapshot(item), -estimate(item)))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2 or len(items) < 2 * workers or not builds_snapshot(items[0]):
        return
    window, early = estimate(items[0]) * (workers - 1), []
    for item in items[1:]:
        if sum(map(estimate, early)) >= window:
            break
        if estimate(item) and "provisioned" not in item.fixturenames:
            early.append(item)
    items[1:] = early + [item for item in items[1:] if item not in early]
    # xdist starts each worker with two consecutive tests (worker k: items 2k and 2k+1). Deal the head so that
    # worker k starts with items k and k + workers: the builder and the longest tests that need no snapshot first.
    head = items[:2 * workers]
    items[:2 * workers] = [head[k + j * workers] for k in range(workers) for j in (0, 1)]


@pytest.fixture(scope="session")
def simulator(shared_dir):
    from regionsim.control import Control
    from regionsim.server import ThreadedRegionSim

    # the provisioned snapshot file lives in shared_dir: the simulator reads and writes files only there
    server = ThreadedRegionSim(snapshot_dir=shared_dir).start()
    yield Control(server.endpoint)
    server.stop()


@pytest.fixture
def sim(simulator):
    """A simulator with no resources, outages or faults, for one test."""
    simulator.reset()
    simulator.operator_env = simulator.provisioner_env = {}  # `provision` and `provisioned` make them
    yield simulator
    simulator.reset()


TEST_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 10})


@pytest.fixture
def aws(sim):
    """aws("rds", "eu-west-1") -> a boto3 client on the simulator (the test's view of AWS state).

    Ten attempts: a test that injects 30% throttling reads state through the same faults, and botocore's
    default three attempts fail such a read about once in 40 (a CI run failed so)."""

    def make(service, region="us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=sim.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=TEST_CLIENT_CONFIG,
        )

    return make


# Left out of every run's environment: each task names its region and uses the simulator's dummy keys.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION")


def ansible_env(endpoint, **extra):
    """The environment of an ansible-playbook run: the simulator's endpoint and dummy keys, and no default
    region (a user of inventories/local sets none: every task must name its region)."""
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    for name in UNSET:
        env.pop(name, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="session")
def strategy_env():
    """mitogen_env() for the tests that start ansible-playbook their own way (ansible-runner, molecule)."""
    return mitogen_env()


@pytest.fixture(scope="session")
def strategy_args():
    """mitogen_args() for the tests that start ansible-playbook their own way."""
    return mitogen_args()


@pytest.fixture
def ansible_environment(sim):
    """ansible_env() for the test's simulator: for an ansible-playbook the test starts itself (to kill it, say)."""
    return ansible_env(sim.endpoint)


class TaskResult(dict):
    """A task's result; its repr leads with what a failing assertion needs to show."""

    def __repr__(self):
        head = {k: self[k] for k in ("failed", "changed", "msg", "exception") if k in self}
        rest = {k: v for k, v in self.items() if k not in head and k != "invocation"}
        return f"TaskResult({head!r}, {rest!r})"


class PlaybookRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stderr = proc.stderr
        try:
            self.data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

    @property
    def stats(self):
        return self.data["stats"]

    def results(self, host="localhost"):
        """Every task's result for host, in order: [(task name, result)]."""
        return [
            (task["task"]["name"], TaskResult(task["hosts"][host]))
            for play in self.data["plays"]
            for task in play["tasks"]
            if host in task["hosts"]
        ]

    def result(self, name, host="localhost"):
        """The result of the task called name (a role's task also answers to its name without "<role> : ")."""
        for task_name, result in self.results(host):
            if task_name == name or task_name.endswith(f" : {name}"):
                return result
        raise KeyError(f"no task named {name!r} ran on {host}")

    def failures(self):
        """The msg of every failed task, on every host; of a loop, the msg of each failed item."""
        found = []
        for host in self.stats:
            for _name, result in self.results(host):
                if result.get("failed"):
                    items = [item.get("msg", "") for item in result.get("results", []) if isinstance(item, dict) and item.get("failed")]
                    found += items or [result.get("msg", "")]
        return found

    def changed(self):
        return sum(stat.get("changed", 0) for stat in self.stats.values())


# On a provisioned stack the DR playbooks run as an operator who holds nothing but the operator policy that provision
# made (roles/iam): the simulator authorizes each of their calls against it, on the resources AWS evaluates
# (regionsim/access.py), so a call the policy does not allow fails the test with AWS's AccessDenied.
# Likewise provision.yml and teardown.yml run as a provisioner holding only the provisioning policies that roles/iam
# ships for an administrator to install (templates/provisioning_policy_*.json.j2).
OPERATOR_PLAYBOOKS = frozenset({"failover.yml", "failback.yml", "status.yml", "fence.yml", "drill.yml"})
PROVISIONER_PLAYBOOKS = frozenset({"provision.yml", "teardown.yml"})
OPERATOR, PROVISIONER = "dr-operator", "dr-provisioner"
ACCOUNT = "123456789012"


def admin_iam(sim):
    return boto3.client("iam", region_name="us-east-1", endpoint_url=sim.endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=TEST_CLIENT_CONFIG)


def make_operator(iam, app="shop"):
    """dr-operator, holding only the <app>-dr-operator policy that provision made."""
    policy = f"arn:aws:iam::{ACCOUNT}:policy/{app}-dr-operator"
    try:
        iam.get_policy(PolicyArn=policy)
    except iam.exceptions.NoSuchEntityException:
        raise AssertionError(f"the provisioned stack has no {policy} (a snapshot from before roles/iam? make a new one)") from None
    return iam_user_env(iam, OPERATOR, managed=[policy])


def install_policy(iam, name, template, app="shop"):
    """The managed policy `name` from roles/iam/templates/`template`, as an administrator installs it; its ARN."""
    import jinja2

    document = jinja2.Template((ROOT / "roles/iam/templates" / template).read_text()).render(app_name=app, iam_account_id=ACCOUNT)
    document = json.dumps(json.loads(document))
    try:
        return iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:  # a snapshot's: the template as it is now
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        current = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        if iam.get_policy_version(PolicyArn=arn, VersionId=current)["PolicyVersion"]["Document"] == json.loads(document):
            return arn
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
        return arn


def make_provisioner(iam, app="shop"):
    """dr-provisioner, holding only the provisioning policies roles/iam ships, installed as an administrator would
    with the permissions boundary of the roles provision makes."""
    install_policy(iam, f"{app}-dr-boundary", "boundary_policy.json.j2", app)
    templates = sorted(path.name for path in (ROOT / "roles/iam/templates").glob("provisioning_policy_*.json.j2"))
    arns = [install_policy(iam, f"{PROVISIONER}-{number}", template, app) for number, template in enumerate(templates, 1)]
    return iam_user_env(iam, PROVISIONER, managed=arns)


@pytest.fixture
def playbook(sim, tmp_path):
    """playbook("playbooks/x.yml", extravars={}, check=False, env={}) runs ansible-playbook on the simulator."""

    def run(path, extravars=None, check=False, diff=False, env=None, inventory=None, timeout=900):
        cmd = [str(BIN / "ansible-playbook"), str(ROOT / path) if not os.path.isabs(path) else path]
        if inventory:
            cmd += ["-i", inventory]
        if extravars:
            cmd += ["-e", json.dumps(extravars)]
        strategy = mitogen_env()
        cmd += mitogen_args()
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        operator = (sim.operator_env if Path(path).name in OPERATOR_PLAYBOOKS
                    else sim.provisioner_env if Path(path).name in PROVISIONER_PLAYBOOKS else {})
        proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(sim.endpoint, **{**strategy, **operator, **(env or {})}), capture_output=True, text=True,
                              timeout=timeout, check=False)
        return PlaybookRun(proc)

    return run


# The simulator snapshot of the stack that playbooks/provision.yml builds with inventories/local.
PROVISIONED = "provisioned"


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id):
    """A directory every xdist worker of this test session sees (the parent of each worker's own)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def provisioned_lock(shared_dir):
    # one object per worker: FileLock is reentrant in its process, and shuts out the other workers
    return filelock.FileLock(shared_dir / f"{PROVISIONED}.lock")


@pytest.fixture
def provision(sim, playbook, shared_dir, provisioned_lock):
    """provision() runs playbooks/provision.yml (inventories/local), checks it succeeded and keeps the result as
    the PROVISIONED snapshot, in this simulator and in a file the other workers' simulators load."""

    def run():
        with provisioned_lock:
            sim.provisioner_env = make_provisioner(admin_iam(sim))
            done = playbook("playbooks/provision.yml", inventory="inventories/local")
            assert done.rc == 0, done.failures() or done.stderr[-2000:]
            sim.save_snapshot(PROVISIONED, shared_dir / f"{PROVISIONED}.pickle")
        return done

    return run


@pytest.fixture
def provisioned(sim, provision, shared_dir, provisioned_lock):
    """The simulator holding the provisioned stack: the first test of the session that needs it runs
    provision.yml, the others load its snapshot (seconds instead of minutes), from the file when it was made by
    another worker. The lock makes a worker wait for a provision under way instead of running its own."""
    path = shared_dir / f"{PROVISIONED}.pickle"
    # For a quick loop on one test: a snapshot kept from an earlier session (it must match the playbooks).
    kept = os.environ.get("DR_TEST_PROVISIONED_SNAPSHOT")
    with provisioned_lock:
        if kept and not path.exists():  # under the lock: another worker must not load a half-written copy
            path.write_bytes(Path(kept).read_bytes())
        if PROVISIONED in sim.snapshots():
            sim.load_snapshot(PROVISIONED)
        elif path.exists():
            sim.load_snapshot(PROVISIONED, path)
        else:
            provision()
    iam = admin_iam(sim)
    sim.operator_env, sim.provisioner_env = make_operator(iam), make_provisioner(iam)
    return sim


@pytest.fixture
def data_plane(sim, tmp_path):
    """Real MariaDB and Redis servers behind this worker's simulator (regionsim's data plane), for one test."""
    from regionsim import dataplane

    dataplane.enable(tmp_path / "dataplane")
    yield
    dataplane.disable()


@pytest.fixture
def provisioned_data(provisioned, data_plane, aws):
    """The provisioned stack with real databases behind it: the snapshot was provisioned without the data plane, so
    its servers start now (as on the next RDS request) and each region's configuration names them, as provision
    writes it (the home region's database is the writer)."""
    from regionsim import dataplane

    dataplane.PLANE.reconcile()
    app = "shop"

    def endpoint(region):
        found = aws("rds", region).describe_db_instances(DBInstanceIdentifier=f"{app}-db")["DBInstances"][0]["Endpoint"]
        return f"{found['Address']}:{found['Port']}"

    home = endpoint("us-east-1")
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        for name, value in (("write_endpoint", home), ("read_endpoints", endpoint(region))):
            aws("ssm", region).put_parameter(Name=f"/{app}/config/{name}", Value=value, Overwrite=True)
    return provisioned


@pytest.fixture
def module(sim, monkeypatch):
    """module("rds_promote", {...}, check=False, diff=False) runs one multiregion.dr module on the simulator and
    returns its result dict (failed results included): in this process (tests/module_runner.py; a fraction of a
    second where an ansible-playbook takes seconds to start: the playbooks run the modules through Ansible), or
    with process=True in a process of its own, for modules that must run at the same time."""

    def run(name, args, check=False, diff=False, env=None, process=False):
        environment = ansible_env(sim.endpoint, **(env or {}))
        if process:
            request = json.dumps({"name": name, "args": args, "check": check, "diff": diff})
            proc = subprocess.run([sys.executable, str(ROOT / "tests" / "module_runner.py")], input=request, env=environment,
                                  capture_output=True, text=True, timeout=900, check=True)
            return TaskResult(json.loads(proc.stdout))
        with monkeypatch.context() as patched:
            for key in UNSET:
                patched.delenv(key, raising=False)
            for key, value in environment.items():
                if key.startswith("AWS_"):
                    patched.setenv(key, value)
            return TaskResult(run_module(name, args, check, diff))

    return run
