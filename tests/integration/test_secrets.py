"""No secret reaches the output: playbooks run at -vvv with known secret values, and neither their output nor
the reports they write holds any of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def verbose_run(playbook, inventory, extravars=None, env=None, tmp_path=None):
    """stdout + stderr of ansible-playbook -vvv with the default (human) output, as a user sees it."""
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1", **(env or {}))
    cmd = [str(BIN / "ansible-playbook"), "-vvv", "-i", inventory, playbook, "-e", json.dumps(extravars or {})]
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
