"""Every command docs/runbook.md shows is one the project accepts: each ansible-playbook command parses
(--syntax-check, with its extra vars) and each ansible-rulebook command names a rulebook and a vars file that exist.
The rulebook itself runs in test_auto_failover.py."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUNBOOK = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
COMMANDS = [line.split("#")[0].strip() for block in re.findall(r"```bash\n(.*?)```", RUNBOOK, re.S) for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_runbook_shows_the_commands_of_an_outage():
    shown = " ".join(COMMANDS)
    for playbook in ("status", "failover", "fence", "failback", "drill"):
        assert f"playbooks/{playbook}.yml" in shown, playbook
    assert "ansible-rulebook" in shown


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("ansible-playbook")])
def test_every_playbook_command_parses(command):
    args = [a for a in shlex.split(command)[1:] if a != "--check"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("ansible-rulebook")])
def test_every_rulebook_command_names_files_that_exist(command):
    args = shlex.split(command)
    for option in ("-r", "-i", "--vars"):
        assert option in args, (command, option)
        assert (ROOT / args[args.index(option) + 1]).exists(), (command, args[args.index(option) + 1])
