"""AWX as code, without an AWX: the job templates' playbooks launched through ansible-runner the way AWX launches a
job (a private data dir per job with project/, inventory/, env/extravars holding the survey answers,
env/envvars holding what the AWS credential injects) on the simulator, in one chain from the provisioned stack (the
provision template's playbook is the one test_provision runs); and the execution environment's build context from
ansible-builder."""

import itertools
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import ansible_runner
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import awx_checks  # noqa: E402  (tests/awx_checks.py)
from aws_checks import record_weights  # noqa: E402  (tests/aws_checks.py)

BIN = Path(sys.executable).parent
APP = "shop"
ZONE = "shop.example.com."
RECORD = "api.shop.example.com."
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


class Job:
    def __init__(self, runner, job_id, template, extravars):
        self.status, self.rc, self.job_id, self.template, self.extravars = runner.status, runner.rc, job_id, template, extravars
        self.events = list(runner.events)
        self.stdout = runner.stdout.read()

    def results(self, event, task):
        return [e["event_data"]["res"] for e in self.events
                if e["event"] == event and e["event_data"].get("task") == task and "res" in e["event_data"]]

    def result(self, task):
        found = self.results("runner_on_ok", task)
        assert found, f"{self.template}: no task {task!r} succeeded\n{self.stdout[-3000:]}"
        return found[0]

    def failures(self):
        return [e["event_data"]["res"].get("msg") for e in self.events
                if e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors")]

    def assert_successful(self):
        assert (self.status, self.rc) == ("successful", 0), f"{self.template} {self.extravars}: {self.status}, rc {self.rc}: " \
            f"{self.failures() or self.stdout[-3000:]}"
        stats = [e for e in self.events if e["event"] == "playbook_on_stats"]
        assert stats and not stats[0]["event_data"]["failures"], stats


class AWX:
    """Launches the rendered job templates like AWX: survey answers validated and completed with the survey's
    defaults, plus the awx_* variables AWX adds; the project is a checkout of this repository."""

    def __init__(self, objects, endpoint, tmp_path, envvars=None, args=()):
        self.templates = objects["job_template"]
        self.endpoint, self.tmp_path, self.envvars, self.args = endpoint, tmp_path, envvars or {}, list(args)
        self.job_ids = itertools.count(4201)
        self.project = tracked_files(tmp_path / "project")

    def template(self, suffix):
        [template] = [t for t in self.templates if t["name"].endswith(suffix)]
        return template

    def launch(self, suffix, **answers):
        template = self.template(suffix)
        answered = awx_checks.survey_answers(template, answers)
        job_id = next(self.job_ids)
        extravars = {**answered, "awx_job_id": job_id, "awx_job_template_name": template["name"]}
        data = self.tmp_path / f"job-{job_id}"
        (data / "env").mkdir(parents=True)
        (data / "project").symlink_to(self.project)
        shutil.copytree(ROOT / "inventories/local", data / "inventory")
        (data / "env/extravars").write_text(yaml.safe_dump(extravars))
        (data / "env/envvars").write_text(yaml.safe_dump({
            # what AWX's Amazon Web Services credential injects; the endpoint points the EE at the simulator
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": self.endpoint,
            # the collections the execution environment has installed
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.envvars,
        }))
        runner = ansible_runner.run(private_data_dir=str(data), playbook=template["playbook"], ident=str(job_id), quiet=True,
                                    cmdline=shlex.join(self.args) or None)
        return Job(runner, job_id, template["name"], extravars)


def weights(aws):
    return record_weights(aws("route53"), ZONE, RECORD)


def assert_active(aws, region):
    db = aws("rds", region).describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in db, db
    datastore = aws("elasticache", region).describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    roles = {m["ReplicationGroupRegion"]: m["Role"] for m in datastore["Members"]}
    assert roles[region] == "PRIMARY" and list(roles.values()).count("PRIMARY") == 1, roles
    assert weights(aws) == {r: (100 if r == region else 0) for r in REGIONS}


@pytest.mark.slow(150)
def test_awx_jobs_status_failover_verify_failback(provisioned, aws, tmp_path, strategy_env, strategy_args):
    """From the provisioned stack (the snapshot of test_provision_three_regions' run of the same playbook the provision
    template launches: a launch here would provision a second time for nothing new)."""
    sim = provisioned
    awx = AWX(awx_checks.render(), sim.endpoint, tmp_path, strategy_env, strategy_args)
    timings = {}
    assert awx.template("- provision")["playbook"] == "playbooks/provision.yml"
    assert_active(aws, "us-east-1")
    replica = aws("rds", "eu-west-1").describe_db_instances(DBInstanceIdentifier=f"{APP}-db")["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"].endswith(f":{APP}-db"), replica

    status = awx.launch("- status")
    status.assert_successful()
    lines = status.result("Show the status")["msg"]
    assert lines[0].startswith("active: database us-east-1, cache us-east-1, DNS us-east-1"), lines

    # us-east-1 fails; the on-call engineer answers the failover survey with eu-west-1, the rest defaults
    sim.outage("us-east-1")
    sim.lag(20, region="eu-west-1", service="rds")
    with pytest.raises(AssertionError, match="target='ap-south-1' is not one of"):
        awx.launch("- failover", target="ap-south-1")
    started = time.monotonic()
    failover = awx.launch("- failover", target="eu-west-1")
    timings["failover"] = time.monotonic() - started
    failover.assert_successful()
    assert failover.extravars == {"target": "eu-west-1", "mode": "auto", "allow_data_loss": "false", "ignore_cooldown": "false", "take_over": "false",
                                  "awx_job_id": failover.job_id, "awx_job_template_name": "Shop DR - failover"}
    settings = failover.result("Remember the run's settings")["ansible_facts"]["dr_run"]
    assert (settings["target"], settings["requested_mode"], settings["allow_data_loss"]) == ("eu-west-1", "auto", False), settings
    assert settings["lock"]["owner"] == f"awx-job-{failover.job_id}", "the lock names the AWX job"
    assert_active(aws, "eu-west-1")

    # the workflow's last node, and the same node failing when the region it expects is not the active one
    awx.launch("verify active region", target="eu-west-1").assert_successful()
    wrong = awx.launch("verify active region", target="us-west-2")
    assert (wrong.status, wrong.rc != 0) == ("failed", True)
    assert any(msg.startswith("us-west-2 is not the active region: the writable database is in eu-west-1") for msg in wrong.failures()), \
        wrong.failures()

    # us-east-1 is back: failback (its survey's default target is the home region), inside the failover's
    # cool-down, which a failback honours too: refused, then run with ignore_cooldown
    sim.restore()
    assert (awx.project / "playbooks/failback.yml").is_file(), "playbooks/failback.yml is not written yet: the failback step cannot run"
    started = time.monotonic()
    refused = awx.launch("- failback")
    assert (refused.status, refused.rc != 0) == ("failed", True) and any("cool-down" in m and "ignore_cooldown=true" in m for m in refused.failures()), \
        refused.failures()
    failback = awx.launch("- failback", ignore_cooldown="true")
    timings["failback"] = time.monotonic() - started
    failback.assert_successful()
    assert failback.extravars["target"] == "us-east-1"
    assert_active(aws, "us-east-1")
    awx.launch("verify active region").assert_successful()
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})


def tracked_files(dest):
    """The repository as git knows it (tracked and new files, not ignored ones): what AWX syncs, what a tarball holds."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and not name.startswith(("tools/", "benchmarks/", ".ci/", "build/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_ansible_builder_creates_the_ee_build_context(tmp_path):
    """The steps of make ee-context: execution-environment.yml, with the collection tarball where it expects it,
    gives a build context that installs amazon.aws, community.aws, ansible.utils and this collection; ansible-builder's
    introspection of the installed collection finds its Python requirements (meta/execution-environment.yml)."""
    checkout = tracked_files(tmp_path / "checkout")
    run = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", "build/ee", "."], cwd=checkout,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    [tarball] = (checkout / "build/ee").glob("multiregion-dr-*.tar.gz")

    run = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "--context", str(tmp_path / "context"),
                          "--output-filename", "Containerfile"], cwd=checkout, capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Complete!" in run.stdout, run.stdout + run.stderr
    build = tmp_path / "context/_build"
    assert (build / "collections" / tarball.name).is_file()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} == {"amazon.aws", "community.aws", "ansible.utils"}
    assert (build / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    containerfile = (tmp_path / "context/Containerfile").read_text()
    assert "ansible-core>=2.17,<2.20" in containerfile and "ansible-runner" in containerfile
    assert "ansible-galaxy collection install --no-deps -p /usr/share/ansible/collections /build/collections/multiregion-dr-*.tar.gz" \
        in containerfile

    # the decision environment of the auto_failover rulebook: the same tarball, ansible-rulebook and a Java runtime
    run = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "decision-environment.yml", "--context", str(tmp_path / "de"),
                          "--output-filename", "Containerfile"], cwd=checkout, capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Complete!" in run.stdout, run.stdout + run.stderr
    assert (tmp_path / "de/_build/collections" / tarball.name).is_file()
    assert "ansible-rulebook" in (tmp_path / "de/_build/requirements.txt").read_text()
    assert "java-17-openjdk-headless" in (tmp_path / "de/_build/bindep.txt").read_text()

    installed = tmp_path / "installed"
    run = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-p", str(installed), str(tarball)],
                         capture_output=True, text=True, check=False)
    assert (installed / "ansible_collections/multiregion/dr/meta/execution-environment.yml").is_file(), run.stdout + run.stderr
    run = subprocess.run([str(BIN / "ansible-builder"), "introspect", str(installed)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    python = yaml.safe_load(run.stdout)["python"]
    assert python == [f"{line}  # from collection multiregion.dr" for line in (ROOT / "requirements.txt").read_text().splitlines()
                      if line and not line.startswith("#")], run.stdout
