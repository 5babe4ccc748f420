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
  - The archive is deterministic (names sorted, fixed times, no C(__pycache__)), so the user data of a launch
    template that carries it changes only when the code does, and a rerun of provision changes nothing.
  - The asg role puts the reference application (C(examples/app/regionapp)) into the instances' user data with it.
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
author:
  - multiregion.dr maintainers (@multiregion)
"""

EXAMPLES = r"""
- name: The application as a zip application, for the user data
  ansible.builtin.set_fact:
    app_pyz_b64: "{{ lookup('multiregion.dr.zipapp', playbook_dir ~ '/../examples/app/regionapp') }}"
"""

RETURN = r"""
_raw:
  description: The zip application, base64 encoded (one string per term).
  type: list
  elements: str
"""

import base64
import io
import os
import zipfile

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold: the same bytes on every run


def build(folder):
    """The zip application's bytes: the package's .py files under its name, and a __main__.py that runs it."""
    folder = os.path.abspath(folder)
    package = os.path.basename(folder.rstrip(os.sep))
    if not os.path.isfile(os.path.join(folder, "__main__.py")):
        raise AnsibleLookupError(f"{folder} is not a runnable Python package folder: it has no __main__.py")
    if not package.isidentifier():
        raise AnsibleLookupError(f"{folder}: {package!r} is not a Python package name")
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        files += [os.path.join(root, n) for n in names if n.endswith(".py")]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            entry = zipfile.ZipInfo(name, FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)

        add("__main__.py", f"import runpy\nrunpy.run_module({package!r}, run_name='__main__', alter_sys=True)\n")
        for path in sorted(files):
            with open(path, "rb") as source:
                add(package + "/" + os.path.relpath(path, folder).replace(os.sep, "/"), source.read())
    return out.getvalue()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        limit = self.get_option("max_bytes")
        result = []
        for term in terms:
            text = base64.b64encode(build(term)).decode("ascii")
            if len(text) > limit:
                raise AnsibleLookupError(f"the zip application of {term} is {len(text)} bytes in base64, more than max_bytes={limit}")
            result.append(text)
        return result
