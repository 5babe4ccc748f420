# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: zipapp
short_description: A Python package folder as a runnable zip application, base64 encoded, the same bytes every time
version_added: 0.1.0
description:
  - Packs the C(.py) files of a Python package folder (on the controller) into a zip application
    (C(python3 app.pyz ARGS) runs C(python3 -m PACKAGE ARGS)) and returns it base64 encoded.
  - With O(vendor), pure-Python packages installed on the controller go into the archive beside it (zipimport
    loads them from there, the zip being first on C(sys.path)), with their distribution's license files and a
    C(VENDORED.txt) that names each one's distribution and version. A package with compiled extension modules
    is refused (zipimport cannot load them).
  - The archive is deterministic (names sorted, fixed times and permissions, no C(__pycache__)), so a launch
    template or an S3 object that carries it changes only when the code does, and a rerun of provision changes nothing.
  - The asg role uploads the reference application (C(examples/app/regionapp), with PyMySQL vendored) to each
    region's bucket with it (O(output=artifact)).
options:
  _terms:
    description: The package folder (its name is the package's name; it must hold C(__main__.py)).
    type: list
    elements: path
    required: true
  max_bytes:
    description: Fail when the base64 text is longer than this (EC2 takes at most 16 KB of user data, script included).
    type: int
    default: 14336
  vendor:
    description:
      - Top-level names of pure-Python packages (or modules) to include, found with importlib in the Python that
        runs the lookup (the controller's), for example V(pymysql).
    type: list
    elements: str
    default: []
  output:
    description:
      - V(base64) returns the base64 text; V(artifact) returns a dictionary with C(content_base64), C(sha256) (hex
        digest of the archive) and C(size) (bytes).
    type: str
    choices: [base64, artifact]
    default: base64
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: The application as a zip application, for the user data
  ansible.builtin.set_fact:
    app_pyz_b64: "{{ lookup('multiregion.dr.zipapp', playbook_dir ~ '/../examples/app/regionapp') }}"

- name: The application with PyMySQL inside, its sha256 and its base64 content for amazon.aws.s3_object
  ansible.builtin.set_fact:
    app_artifact: "{{ lookup('multiregion.dr.zipapp', playbook_dir ~ '/../examples/app/regionapp', vendor=['pymysql'], output='artifact') }}"
"""

RETURN = r"""
_raw:
  description:
    - The zip application, base64 encoded (one string per term).
    - With O(output=artifact), one dictionary per term (C(content_base64), C(sha256), C(size)).
  type: list
  elements: raw
"""

import base64
import hashlib
import importlib.metadata
import importlib.util
import io
import os
import zipfile

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold: the same bytes on every run
EXTENSION_SUFFIXES = (".so", ".pyd", ".dylib")  # compiled modules: zipimport cannot load them
LICENSE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")


def _py_files(folder):
    """The .py files under folder (no __pycache__), sorted; fails on a compiled extension module."""
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        compiled = [n for n in names if n.endswith(EXTENSION_SUFFIXES)]
        if compiled:
            raise AnsibleLookupError(f"{root} holds compiled extension modules ({', '.join(sorted(compiled))}): "
                                     "a zip application can carry pure-Python packages only")
        files += [os.path.join(root, n) for n in names if n.endswith(".py")]
    return sorted(files)


def vendored(name):
    """(entries, note) of a pure-Python package or module importable by the controller's Python: its .py files
    under their import names, its distribution's license files under <dist>-<version>.dist-info/, and a line naming
    where it comes from."""
    if not name.isidentifier():
        raise AnsibleLookupError(f"vendor: {name!r} is not a top-level Python package or module name")
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        raise AnsibleLookupError(f"vendor: {name} is not installed for the controller's Python (pip install it there)")
    entries = {}
    if spec.submodule_search_locations:  # a package: its folder
        folder = os.path.dirname(spec.origin)
        for path in _py_files(folder):
            entries[name + "/" + os.path.relpath(path, folder).replace(os.sep, "/")] = path
    elif spec.origin.endswith(".py"):  # a single module
        entries[name + ".py"] = spec.origin
    else:
        raise AnsibleLookupError(f"vendor: {name} is not pure Python ({spec.origin}): zipimport cannot load it")
    dists = sorted(set(importlib.metadata.packages_distributions().get(name, [])))
    if not dists:
        return entries, f"{name}: no installed distribution names it (no license file found)"
    notes = []
    for dist_name in dists:
        dist = importlib.metadata.distribution(dist_name)
        meta = dist.metadata
        info = f"{meta['Name']}-{dist.version}.dist-info/"
        for file in dist.files or []:
            if os.path.basename(str(file)).upper().startswith(LICENSE_PREFIXES) and ".dist-info" in str(file):
                entries[info + str(file).split(".dist-info/", 1)[1]] = str(file.locate())
        license_name = (meta.get("License-Expression") or meta.get("License") or "").strip().splitlines() or ["see its license files"]
        notes.append(f"{name}: {meta['Name']} {dist.version} as installed on the controller, license {license_name[0]}")
    return entries, "\n".join(notes)


def build(folder, vendor=()):
    """The zip application's bytes: the package's .py files under its name, the vendored packages beside it,
    and a __main__.py that runs it."""
    folder = os.path.abspath(folder)
    package = os.path.basename(folder.rstrip(os.sep))
    if not os.path.isfile(os.path.join(folder, "__main__.py")):
        raise AnsibleLookupError(f"{folder} is not a runnable Python package folder: it has no __main__.py")
    if not package.isidentifier():
        raise AnsibleLookupError(f"{folder}: {package!r} is not a Python package name")
    entries = {package + "/" + os.path.relpath(path, folder).replace(os.sep, "/"): path for path in _py_files(folder)}
    notes = []
    for name in sorted(set(vendor)):
        if name == package:
            raise AnsibleLookupError(f"vendor: {name} is the application's own package")
        found, note = vendored(name)
        entries.update(found)
        notes.append(note)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            entry = zipfile.ZipInfo(name, FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)

        add("__main__.py", f"import runpy\nrunpy.run_module({package!r}, run_name='__main__', alter_sys=True)\n")
        if notes:
            add("VENDORED.txt", "Packages vendored into this zip application (pure Python, loaded by zipimport):\n"
                + "\n".join(notes) + "\n")
        for name in sorted(entries):
            with open(entries[name], "rb") as source:
                add(name, source.read())
    return out.getvalue()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        limit = self.get_option("max_bytes")
        vendor = self.get_option("vendor") or []
        result = []
        for term in terms:
            data = build(term, vendor)
            text = base64.b64encode(data).decode("ascii")
            if len(text) > limit:
                raise AnsibleLookupError(f"the zip application of {term} is {len(text)} bytes in base64, more than max_bytes={limit}")
            if self.get_option("output") == "artifact":
                result.append({"content_base64": text, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
            else:
                result.append(text)
        return result
