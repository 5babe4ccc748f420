"""Every molecule scenario (extensions/molecule/<role>: syntax, converge, idempotence, verify)
against this test session's simulator."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCENARIOS = sorted(p.parent.name for p in (ROOT / "extensions" / "molecule").glob("*/molecule.yml"))


@pytest.mark.slow(30)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(sim, scenario, tmp_path, strategy_env):
    # HOME of its own: molecule keeps each scenario's state under ~/.ansible/tmp (the collection is not installed
    # there: extensions/molecule/config.yml points ANSIBLE_COLLECTIONS_PATH at this checkout's link)
    env = dict(os.environ, HOME=str(tmp_path), AWS_ENDPOINT_URL=sim.endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **strategy_env)
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([str(BIN / "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


# Roles that create no AWS resources need no scenario: preflight only reads and checks the inputs.
NO_AWS_RESOURCES = {"preflight"}


def test_every_role_with_aws_resources_has_a_scenario():
    roles = {p.parent.parent.name for p in (ROOT / "roles").glob("*/tasks/main.yml")}
    assert NO_AWS_RESOURCES <= roles, f"stale exception: {NO_AWS_RESOURCES - roles} is no role"
    missing = sorted(roles - NO_AWS_RESOURCES - set(SCENARIOS))
    assert not missing, f"roles without extensions/molecule/<role>/molecule.yml: {missing}"
