"""The zipapp lookup: a package folder as a runnable, deterministic zip application."""

import base64
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.multiregion.dr.plugins.lookup.zipapp import LookupModule, build

APP = Path(__file__).resolve().parents[3] / "examples" / "app" / "regionapp"


def test_the_application_runs_from_its_zip_and_the_bytes_never_change(tmp_path):
    first = build(str(APP))
    (APP / "__pycache__").mkdir(exist_ok=True)  # compiled files are left out
    assert build(str(APP)) == first
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names[0] == "__main__.py" and "regionapp/client.py" in names and not any("__pycache__" in n for n in names)
    pyz = tmp_path / "app.pyz"
    pyz.write_bytes(first)
    run = subprocess.run([sys.executable, str(pyz), "--help"], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "serve" in run.stdout, run.stdout + run.stderr


def test_the_lookup_returns_base64_within_the_limit(monkeypatch):
    # (its options as Ansible's plugin loader would set them from DOCUMENTATION)
    options = {}
    monkeypatch.setattr(LookupModule, "set_options", lambda self, var_options=None, direct=None: options.update(direct))
    monkeypatch.setattr(LookupModule, "get_option", lambda self, name: options.get(name, 14336))
    [text] = LookupModule().run([str(APP)], {})
    assert base64.b64decode(text) == build(str(APP))
    with pytest.raises(AnsibleLookupError, match="more than max_bytes=100"):
        LookupModule().run([str(APP)], {}, max_bytes=100)


def test_a_folder_that_is_not_a_runnable_package_is_named(tmp_path):
    with pytest.raises(AnsibleLookupError, match="has no __main__.py"):
        build(str(tmp_path))
