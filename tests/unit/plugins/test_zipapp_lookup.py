"""The zipapp lookup: a package folder as a runnable, deterministic zip application."""

import base64
import hashlib
import io
import os
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
    monkeypatch.setattr(LookupModule, "get_option", lambda self, name: options.get(name, {"vendor": [], "output": "base64"}.get(name, 14336)))
    [text] = LookupModule().run([str(APP)], {})
    assert base64.b64decode(text) == build(str(APP))
    with pytest.raises(AnsibleLookupError, match="more than max_bytes=100"):
        LookupModule().run([str(APP)], {}, max_bytes=100)


def test_a_folder_that_is_not_a_runnable_package_is_named(tmp_path):
    with pytest.raises(AnsibleLookupError, match="has no __main__.py"):
        build(str(tmp_path))


def test_vendored_pymysql_is_imported_from_the_zip_with_its_license(tmp_path):
    data = build(str(APP), ["pymysql"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "pymysql/__init__.py" in names and "pymysql/constants/CLIENT.py" in names and not any(n.endswith(".pyc") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names), names
    assert "PyMySQL" in archive.read("VENDORED.txt").decode() and "MIT" in archive.read("VENDORED.txt").decode()
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and i.external_attr == 0o644 << 16 for i in archive.infolist())
    pyz = tmp_path / "app.pyz"
    pyz.write_bytes(data)
    # the zip first on sys.path, as when python3 runs app.pyz: pymysql comes from it, not from site-packages
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import pymysql; print(pymysql.__file__)", str(pyz)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.strip() == str(pyz / "pymysql" / "__init__.py"), run.stdout + run.stderr


def test_vendoring_is_deterministic_whatever_the_files_times_and_modes(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    (lib / "vendorme" / "sub").mkdir(parents=True)
    (lib / "vendorme" / "__init__.py").write_text("from .sub import VALUE\n")
    (lib / "vendorme" / "sub" / "__init__.py").write_text("VALUE = 42\n")
    (lib / "single.py").write_text("ONE = 1\n")
    monkeypatch.syspath_prepend(str(lib))
    first = build(str(APP), ["vendorme", "single"])
    for path in (lib / "vendorme" / "sub" / "__init__.py", lib / "single.py"):
        path.chmod(0o755)
        os.utime(path, (0, 2_000_000_000))
    (lib / "vendorme" / "__pycache__").mkdir()
    (lib / "vendorme" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert build(str(APP), ["single", "vendorme", "single"]) == first  # order and repeats do not matter either
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names[:2] == ["__main__.py", "VENDORED.txt"] and names[2:] == sorted(names[2:])
    assert {"vendorme/__init__.py", "vendorme/sub/__init__.py", "single.py"} <= set(names)
    assert "vendorme: no installed distribution" in zipfile.ZipFile(io.BytesIO(first)).read("VENDORED.txt").decode()


def test_a_package_that_is_not_pure_python_or_not_installed_is_refused(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    (lib / "compiled").mkdir(parents=True)
    (lib / "compiled" / "__init__.py").write_text("")
    (lib / "compiled" / "_speedups.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\0")
    monkeypatch.syspath_prepend(str(lib))
    with pytest.raises(AnsibleLookupError, match="compiled extension modules"):
        build(str(APP), ["compiled"])
    with pytest.raises(AnsibleLookupError, match="not installed for the controller's Python"):
        build(str(APP), ["no_such_package_here"])
    with pytest.raises(AnsibleLookupError, match="not a top-level Python package"):
        build(str(APP), ["pymysql.cursors"])


def test_the_artifact_output_carries_the_sha256_of_the_bytes(monkeypatch):
    options = {"max_bytes": 14336, "vendor": [], "output": "base64"}
    monkeypatch.setattr(LookupModule, "set_options", lambda self, var_options=None, direct=None: options.update(direct))
    monkeypatch.setattr(LookupModule, "get_option", lambda self, name: options[name])
    [artifact] = LookupModule().run([str(APP)], {}, vendor=["pymysql"], output="artifact", max_bytes=200000)
    data = base64.b64decode(artifact["content_base64"])
    assert data == build(str(APP), ["pymysql"])
    assert artifact == {"content_base64": artifact["content_base64"], "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
