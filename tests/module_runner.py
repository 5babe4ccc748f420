"""Run one multiregion.dr module's main() in this process, as amazon.aws's unit tests run theirs: the arguments
AnsibleModule would get from Ansible, the JSON it prints read back. As a script (python tests/module_runner.py
< request.json) it does the same in a process of its own, for tests that need two modules running at once."""

import contextlib
import importlib
import io
import json
import sys
from pathlib import Path

from ansible.module_utils.common import warnings
from ansible.module_utils.testing import patch_module_args

# the collection as ansible_collections.multiregion.dr (make setup links it)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".collections"))


def run_module(name, args, check=False, diff=False):
    module_name = name.rsplit(".", 1)[-1]
    code = importlib.import_module(f"ansible_collections.multiregion.dr.plugins.modules.{module_name}")
    # warnings and deprecations gather in module-level lists, once per process under Ansible
    warnings._global_warnings.clear()  # pylint: disable=protected-access
    warnings._global_deprecations.clear()  # pylint: disable=protected-access
    out = io.StringIO()
    arguments = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_module_name=module_name)
    with patch_module_args(arguments), contextlib.redirect_stdout(out):
        try:
            code.main()
        except SystemExit:
            pass
    result = json.loads(out.getvalue())
    result.setdefault("changed", False)  # as Ansible reports a module that does not say
    # as Ansible shows them: a warning is its message
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    result["deprecations"] = [{"msg": d["event"]["msg"], "version": d.get("version")} if isinstance(d, dict) and "event" in d else d
                              for d in result.get("deprecations", [])]
    return result


if __name__ == "__main__":
    request = json.load(sys.stdin)
    print(json.dumps(run_module(request["name"], request["args"], request.get("check", False), request.get("diff", False))))
