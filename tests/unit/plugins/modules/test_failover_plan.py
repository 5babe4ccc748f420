"""multiregion.dr.failover_plan run in-process: arguments in, JSON out, nothing changed (also in check mode)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.multiregion.dr.plugins.modules import failover_plan
from ansible_collections.multiregion.dr.tests.unit.plugins.module_utils.test_plan import APP, REGIONS, after_failover, topology


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit):
        failover_plan.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check", [False, True])
def test_a_plan_changes_nothing(capsys, check):
    result = run(capsys, target="eu-west-1", regions=REGIONS, topology=topology(down=("us-east-1",)), app=APP, _ansible_check_mode=check)
    assert result["changed"] is False and not result.get("failed")
    assert result["mode"] == "unplanned" and result["hosts"] == {"target": ["eu-west-1"], "switch": ["eu-west-1"], "config": ["us-west-2", "eu-west-1"],
                                                                 "fence": []}
    assert result["steps"]["database"]["do"] and result["lag_replicas"][0] == {"type": "rds", "region": "eu-west-1", "id": "shop-db"}


def test_a_refusal_is_data_not_a_failure(capsys):
    result = run(capsys, target="ap-south-1", regions=REGIONS, topology=topology(), app=APP)
    assert not result.get("failed") and result["refusal"].startswith("target=ap-south-1 is not a region of the application")


def test_verify(capsys):
    groups = [{"auto_scaling_group_name": "shop-app", "instances": [{"lifecycle_state": "InService"}]}]
    result = run(capsys, step="verify", target="eu-west-1", regions=REGIONS, topology=after_failover(), app={"name": "shop", "asg_min_size": 2},
                 reads={"groups": groups})
    assert result["problems"] == ["1 InService instances in eu-west-1, expected 2"] and result["changed"] is False


def test_a_topology_that_is_not_one_fails(capsys):
    result = run(capsys, target="eu-west-1", regions=REGIONS, topology={"msg": "oops"}, app=APP)
    assert result["failed"] and "topology has no regions" in result["msg"]


@pytest.mark.parametrize("read, expected", [
    ({"topology": {"database": {"engine": "mysql", "db_instance_identifier": "shop-db"}}},
     "read.topology: missing required arguments: regions"),
    ({"topology": {"regions": ["us-east-1", "mars-1"]}}, "read.topology.regions"),
    ({"topology": {"regions": REGIONS, "database": {"engine": "aurora-mysql", "db_instance_identifier": "shop-db"}}},
     "read.topology.database.engine='aurora-mysql' needs read.topology.database.global_cluster_identifier"),
    ({"topology": {"regions": REGIONS}, "lock": {"owner": "alice"}}, "read.lock: one of the following is required: hosted_zone, table"),
])
def test_what_it_reads_is_checked_before_any_call(capsys, read, expected):
    # no endpoint answers here: each message comes from the checks, before a client is made
    result = run(capsys, target="eu-west-1", regions=REGIONS, read=read, app=APP, endpoint_url="http://127.0.0.1:9")
    assert result["failed"] and expected in result["msg"], result["msg"]


def test_a_topology_given_and_one_to_read_are_one_too_many(capsys):
    result = run(capsys, target="eu-west-1", regions=REGIONS, topology=topology(), read={"topology": {"regions": REGIONS}}, app=APP)
    assert result["failed"] and "mutually exclusive" in result["msg"] and "topology|read" in result["msg"], result["msg"]
