"""The DR operator's least-privilege policy (roles/iam), proven by enforcement on the simulator: every test that runs a
DR playbook on the provisioned stack runs it as dr-operator, who holds only this policy (tests/conftest.py); here, a
policy short of one action stops the run with AWS's refusal naming the action and the resource, and the fence the planned
failover had set is lifted (nothing was promoted)."""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aws_checks import fenced, iam_user_env, operator_policy  # noqa: E402  (tests/aws_checks.py)

ACCOUNT = "123456789012"


@pytest.mark.slow(30)
def test_a_policy_short_of_one_action_stops_the_run_with_a_clear_refusal(provisioned, playbook, aws, sim, tmp_path):
    policy = operator_policy(aws("iam"))
    extravars = {"target": "us-west-2", "failover_owner": "tester@ci", "report_dir": str(tmp_path / "reports")}
    # the policy as provision made it lets the operator run a planned failover's checks (check mode changes nothing)
    allowed = playbook("playbooks/failover.yml", extravars=extravars, check=True, inventory="inventories/local")
    assert allowed.rc == 0, allowed.failures() or allowed.stderr[-2000:]

    # the same without rds:PromoteReadReplica, for another operator
    for statement in policy["Statement"]:
        if isinstance(statement["Action"], list) and "rds:PromoteReadReplica" in statement["Action"]:
            statement["Action"].remove("rds:PromoteReadReplica")
    short = iam_user_env(aws("iam"), "short-operator", inline=policy)
    since = time.time()
    refused = playbook("playbooks/failover.yml", extravars=extravars, inventory="inventories/local", env=short)
    assert refused.rc != 0
    message = (f"User: arn:aws:iam::{ACCOUNT}:user/short-operator is not authorized to perform: rds:PromoteReadReplica on resource: "
               f"arn:aws:rds:us-west-2:{ACCOUNT}:db:shop-db because no identity-based policy allows the rds:PromoteReadReplica action")
    assert any(message in failure for failure in refused.failures()), refused.failures()
    assert any("nothing was promoted, and the fence on the source was lifted" in failure for failure in refused.failures())
    # refused by IAM, so the replica was never promoted, and the source that the planned failover had fenced takes
    # writes again: the application is not left without a writer
    denied = [(e["region"], e["action"]) for e in sim.log(since) if e.get("fault") == "denied"]
    assert denied == [("us-west-2", "PromoteReadReplica")], denied
    replica = aws("rds", "us-west-2").describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")
    assert not fenced(aws("rds", "us-east-1"), "shop-db")
