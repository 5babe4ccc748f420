"""The regionsim command as a user runs it, with the AWS CLI as an independent client."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cli(tmp_path):
    env = dict(os.environ, REGIONSIM_PORT=str(free_port()), REGIONSIM_STATE_DIR=str(tmp_path),
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("AWS_PROFILE", None)

    def run(*args, check=True):
        proc = subprocess.run([str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=120)
        if check and proc.returncode:
            raise AssertionError(f"{args} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
        return proc

    run.endpoint = f"http://127.0.0.1:{env['REGIONSIM_PORT']}"
    run.state = tmp_path
    yield run
    run("regionsim", "stop", check=False)


def test_start_outage_restore_with_the_aws_cli(cli):
    assert "started" in cli("regionsim", "start").stdout
    assert "already running" in cli("regionsim", "start").stdout  # a second start is a no-op
    assert list(cli.state.glob("regionsim-*.pid")) and list(cli.state.glob("regionsim-*.log"))

    def aws(region, *args, check=True):
        return cli("aws", "--endpoint-url", cli.endpoint, "--region", region, *args, check=check)

    assert '"DBInstances": []' in aws("us-east-1", "rds", "describe-db-instances").stdout
    cli("regionsim", "outage", "us-east-1")
    down = aws("us-east-1", "rds", "describe-db-instances", "--cli-connect-timeout", "2", check=False)
    assert down.returncode != 0
    assert "Connection was closed" in down.stderr or "Could not connect" in down.stderr, down.stderr
    assert "DBInstances" in aws("eu-west-1", "rds", "describe-db-instances").stdout
    assert "HostedZones" in aws("us-east-1", "route53", "list-hosted-zones").stdout
    status = cli("regionsim", "status").stdout
    assert "us-east-1        down" in status and "eu-west-1        up" in status
    # --control-planes: the Route 53 (and CloudFront) APIs go down with us-east-1, whatever region signs
    assert "with the Route 53 and CloudFront control planes" in cli("regionsim", "outage", "us-east-1", "--control-planes").stdout
    assert "control planes)" in cli("regionsim", "status").stdout
    assert aws("eu-west-1", "route53", "list-hosted-zones", "--cli-connect-timeout", "2", check=False).returncode != 0
    cli("regionsim", "restore", "us-east-1")
    assert "DBInstances" in aws("us-east-1", "rds", "describe-db-instances").stdout
    log = cli("regionsim", "log").stdout
    assert '"status": "dropped"' in log and '"action": "DescribeDBInstances"' in log
    assert "latency clock held; 0 status change(s) applied, 0 pending" in cli("regionsim", "clock", "hold").stdout
    assert "clock held, 0 status change(s) pending" in cli("regionsim", "status").stdout
    assert "latency clock running" in cli("regionsim", "clock", "release").stdout
    proc = cli("regionsim", "clock", "step", check=False)
    assert proc.returncode == 1 and "hold it before stepping it" in proc.stderr

    # a snapshot: save, delete the resource and take a region down, load: the resource is back, the region up
    aws("us-east-1", "sqs", "create-queue", "--queue-name", "orders")
    assert "snapshot before saved" in cli("regionsim", "snapshot", "save", "before").stdout
    assert cli("regionsim", "snapshot", "list").stdout.split() == ["before"]
    aws("us-east-1", "sqs", "delete-queue", "--queue-url", f"{cli.endpoint}/123456789012/orders")
    cli("regionsim", "outage", "us-east-1")
    cli("regionsim", "snapshot", "load", "before")
    assert "orders" in aws("us-east-1", "sqs", "list-queues").stdout
    proc = cli("regionsim", "snapshot", "load", "after", check=False)
    assert proc.returncode == 1 and "no snapshot named 'after'; saved: before" in proc.stderr


def test_snapshot_file_outlives_the_simulator(cli, tmp_path):
    """save --file in one simulator process, load --file in the next: a KMS key (its private key), an SSM
    parameter and a global table's replication come back, and the key still encrypts."""
    cli("regionsim", "start")

    def aws(region, *args):
        return json.loads(cli("aws", "--endpoint-url", cli.endpoint, "--region", region, "--output", "json", *args).stdout or "{}")

    key = aws("us-east-1", "kms", "create-key", "--multi-region")["KeyMetadata"]["KeyId"]
    aws("us-west-2", "ssm", "put-parameter", "--name", "/app/active_region", "--value", "us-east-1", "--type", "String")
    aws("us-east-1", "dynamodb", "create-table", "--table-name", "t", "--billing-mode", "PAY_PER_REQUEST",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
    aws("us-east-1", "dynamodb", "update-table", "--table-name", "t", "--replica-updates", '[{"Create": {"RegionName": "eu-west-1"}}]')
    path = tmp_path / "saved" / "provisioned.pickle"
    assert f"also in {path}" in cli("regionsim", "snapshot", "save", "provisioned", "--file", str(path)).stdout
    cli("regionsim", "stop")
    cli("regionsim", "start")
    assert aws("us-east-1", "kms", "list-keys")["Keys"] == []

    assert f"loaded from {path}" in cli("regionsim", "snapshot", "load", "provisioned", "--file", str(path)).stdout
    assert aws("us-east-1", "kms", "describe-key", "--key-id", key)["KeyMetadata"]["MultiRegion"] is True
    assert aws("us-east-1", "kms", "encrypt", "--key-id", key, "--plaintext", "aGVsbG8=")["KeyId"].endswith(key)
    assert aws("us-west-2", "ssm", "get-parameter", "--name", "/app/active_region")["Parameter"]["Value"] == "us-east-1"
    aws("us-east-1", "dynamodb", "put-item", "--table-name", "t", "--item", '{"pk": {"S": "after-load"}}')
    assert aws("eu-west-1", "dynamodb", "get-item", "--table-name", "t", "--key", '{"pk": {"S": "after-load"}}')["Item"]
    assert cli("regionsim", "snapshot", "list").stdout.split() == ["provisioned"]

    missing = cli("regionsim", "snapshot", "load", "other", "--file", str(tmp_path / "nope.pickle"), check=False)
    assert missing.returncode == 1 and f"no snapshot file {tmp_path / 'nope.pickle'}" in missing.stderr
    wrong = cli("regionsim", "snapshot", "list", "--file", str(path), check=False)
    assert wrong.returncode == 1 and "--file goes with snapshot save or load" in wrong.stderr


def test_bad_region_and_stopped_simulator_say_what_is_wrong(cli):
    proc = cli("regionsim", "status", check=False)
    assert proc.returncode == 1 and "not running" in proc.stderr
    cli("regionsim", "start")
    proc = cli("regionsim", "outage", "us-esat-1", check=False)
    assert proc.returncode == 1 and "us-esat-1" in proc.stderr
    cli("regionsim", "stop")
    assert cli("regionsim", "status", check=False).returncode == 1
