"""The network and asg roles against the simulator, in the three regions of inventories/local: check mode
on an empty account and bad variables. Their state after a real run is checked in test_provision.py (the
whole stack, rerun and check mode) and in the molecule scenarios."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
PLAYBOOK = "tests/integration/playbooks/network_asg.yml"
INVENTORY = "inventories/local"
APP = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())


def app_vpcs(aws, region):
    return aws("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Application", "Values": [APP["app_name"]]}])["Vpcs"]


def test_check_mode_on_an_empty_simulator_changes_nothing(playbook, aws):
    run = playbook(PLAYBOOK, check=True, inventory=INVENTORY)
    assert run.rc == 0, run.data
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)


@pytest.mark.parametrize(
    "extravars, named",
    [
        (
            {"region_cidrs": {**APP["region_cidrs"], "us-west-2": "10.10.128.0/17"}},
            "region_cidrs[us-east-1] = 10.10.0.0/16 overlaps region_cidrs[us-west-2] = 10.10.128.0/17",
        ),
        ({"aws_region": "us-moon-1"}, "us-moon-1 is not an AWS region name"),
        ({"region_cidrs": {**APP["region_cidrs"], "eu-west-1": "10.30.0.1/16"}}, "region_cidrs[eu-west-1] = 10.30.0.1/16"),
    ],
    ids=["overlapping-cidr", "unknown-region", "host-bits-set"],
)
def test_bad_vars_fail_in_every_region_before_any_change(playbook, aws, extravars, named):
    run = playbook(PLAYBOOK, inventory=INVENTORY, extravars=extravars)
    assert run.rc != 0
    assert all(stats["failures"] == 1 and stats["changed"] == 0 for stats in run.stats.values()), run.stats
    messages = run.failures()
    assert len(messages) == len(REGIONS) and all(named in message for message in messages), messages
    assert all(app_vpcs(aws, region) == [] for region in REGIONS)
