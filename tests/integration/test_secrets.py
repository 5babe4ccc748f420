"""No secret reaches the output: playbooks run at -vvv with known secret values, and neither their output nor
the reports they write holds any of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def verbose_run(playbook, inventory, extravars=None, env=None, args=()):
    """stdout + stderr of ansible-playbook -vvv with the default (human) output, as a user sees it."""
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1", **(env or {}))
    cmd = [str(BIN / "ansible-playbook"), "-vvv", "-i", inventory, playbook, "-e", json.dumps(extravars or {}), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=600, check=False)
    return proc


def leaked(text, secrets):
    return [name for name, value in secrets.items() if value in text]


def test_awx_configure_shows_no_aws_key_or_smtp_password_at_vvv():
    secrets = {"AWX_AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-known-secret-key-0001",
               "AWX_SMTP_PASSWORD": "smtp-known-password-0002"}
    proc = verbose_run("playbooks/awx_configure.yml", "inventories/example",
                       {"awx_show_only": True, "awx_organization": "Default", "awx_project_scm_url": "https://git.example.com/dr.git"},
                       env={"AWX_AWS_ACCESS_KEY_ID": "AKIAKNOWNKEYID000001", **secrets})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "password: <hidden>" in proc.stdout  # the objects were shown, their secrets masked
    assert leaked(proc.stdout + proc.stderr, secrets) == []


SAMPLE = "regionsim-only-not-a-secret"
SECRET = "shop/rds/master"


def key_arn(aws, region):
    return aws("kms", region).describe_key(KeyId="alias/shop-data")["KeyMetadata"]["Arn"]


@pytest.mark.slow(90)
def test_passwords_are_generated_into_replicated_secrets_a_given_one_replaces_it_and_none_is_printed(
        provisioned, aws, tmp_path, strategy_env, strategy_args):
    home = aws("secretsmanager", "us-east-1")
    generated = json.loads(home.get_secret_value(SecretId=SECRET)["SecretString"])
    assert generated["username"] == "admin" and len(generated["password"]) == 40 and generated["password"] != SAMPLE
    described = home.describe_secret(SecretId=SECRET)
    assert described["KmsKeyId"] == key_arn(aws, "us-east-1")
    replicas = {r["Region"]: r.get("KmsKeyId") for r in described["ReplicationStatus"]}
    # Replicated to both other regions. Each replica should name its region's key: on regionsim it shows
    # alias/aws/secretsmanager (not yet known whether community.aws or moto drops the key: see the issue note).
    assert sorted(replicas) == ["eu-west-1", "us-west-2"]
    # the application of a surviving region reads it there
    assert json.loads(aws("secretsmanager", "eu-west-1").get_secret_value(SecretId=SECRET)["SecretString"]) == generated
    # Redis: AUTH with a generated token in the same kind of secret, transit encryption kept
    auth = json.loads(home.get_secret_value(SecretId="shop/redis/auth")["SecretString"])["auth_token"]
    assert len(auth) == 64
    assert {r["Region"]: r.get("KmsKeyId") for r in home.describe_secret(SecretId="shop/redis/auth")["ReplicationStatus"]} == replicas
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        group = aws("elasticache", region).describe_replication_groups(ReplicationGroupId="shop-redis")["ReplicationGroups"][0]
        assert group["AuthTokenEnabled"] is True and group["TransitEncryptionEnabled"] is True, (region, group)

    given = "Given-by-the-user-0003"
    proc = verbose_run("playbooks/provision.yml", "inventories/local", {"rds_master_password": given, "report_dir": str(tmp_path)},
                       env={"AWS_ENDPOINT_URL": provisioned.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            **strategy_env}, args=strategy_args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert json.loads(home.get_secret_value(SecretId=SECRET)["SecretString"])["password"] == given
    reports = "".join(path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file())
    assert leaked(proc.stdout + proc.stderr + reports, {"generated": generated["password"], "given": given, "redis": auth}) == []


def test_no_default_password_and_samples_refused_outside_the_simulator(playbook):
    defaults = (ROOT / "roles/rds/defaults/main.yml").read_text() + (ROOT / "playbooks/awx/job_templates.yml").read_text()
    assert SAMPLE not in defaults
    play = "tests/integration/playbooks/preflight.yml"
    for password, message in ((SAMPLE, "rds_master_password is a published sample value"),
                              ("", "rds_master_password is empty or shorter than 8 characters")):
        run = playbook(play, inventory="inventories/local", extravars={"regionsim_autostart": False, "rds_master_password": password})
        assert run.rc != 0 and any(message in failure for failure in run.failures()), run.failures()
    # on the simulator a sample value is fine
    assert playbook(play, inventory="inventories/local", extravars={"rds_master_password": SAMPLE}).rc == 0
