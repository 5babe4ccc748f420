"""ansible-doc prints complete documentation for every module of the collection."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
DR_MODULES = {"rds_promote", "elasticache_global_failover", "replication_lag_info", "route53_switch", "topology_info"}


@pytest.fixture(scope="module")
def docs():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", *[f"multiregion.dr.{m}" for m in MODULES]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", MODULES)
def test_module_docs_are_complete(docs, name):
    entry = docs[f"multiregion.dr.{name}"]
    doc = entry["doc"]
    assert doc["short_description"] and doc["description"] and doc["author"]
    assert all(option.get("description") for option in doc["options"].values()), name
    assert entry["examples"].strip() and entry["return"], name
    assert all(value.get("description") for value in entry["return"].values()), name


def test_the_five_dr_modules_are_there():
    assert DR_MODULES <= set(MODULES)
