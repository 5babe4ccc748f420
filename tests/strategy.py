"""mitogen's strategy for the ansible-playbook runs of the tests and benchmarks: one place for its settings."""

import importlib.util
import json
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def mitogen_env():
    """The settings that run a playbook with mitogen's strategy (a persistent interpreter per host: boto3 and the
    module_utils are imported once per host, not once per task): about half the CPU of a multi-task playbook
    (provision.yml: 138 instead of 297 CPU-s). Empty without mitogen (requirements-dev.txt has it; users need
    not). Not for one-task playbooks: starting mitogen costs more than it saves there."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None:
        return {}
    # multiregion.dr.mitogen_collections: the collection list made once, not in every task's worker (about 0.1 s a task)
    return {"ANSIBLE_STRATEGY_PLUGINS": str(Path(spec.origin).parent / "plugins" / "strategy"),
            "ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_CALLBACKS_ENABLED": "multiregion.dr.mitogen_collections"}


# mitogen keeps one interpreter per connection, and the regions of inventories/local share one (local, the same
# python): their tasks then run one region after the other (mitogen issue 496), and the fixed sleeps of amazon.aws
# modules (3 s per new security group, 5 s per changed route table) add up region by region. A python path of its
# own per region (a link to the venv's python beside it, so the venv and its packages stay the same) gives each
# region its own interpreter: provision.yml 152 -> 109 s. Tasks mitogen hands back to Ansible run the same python.
MITOGEN_HOSTS = REGIONS


def mitogen_interpreter_links():
    for host in MITOGEN_HOSTS:
        link = BIN / f"python-mitogen-{host}"
        if not link.exists():
            try:
                link.symlink_to("python")
            except FileExistsError:  # another xdist worker made it meanwhile
                pass


MITOGEN_INTERPRETER_PER_HOST = json.dumps({"ansible_python_interpreter": (
    "{{ (ansible_playbook_python | dirname) ~ '/python-mitogen-' ~ inventory_hostname if inventory_hostname in "
    + json.dumps(list(MITOGEN_HOSTS)) + " else ansible_playbook_python }}")})


def mitogen_args():
    """With mitogen: the ansible-playbook arguments that give each region its own interpreter (see above)."""
    if not mitogen_env():
        return []
    mitogen_interpreter_links()
    return ["-e", MITOGEN_INTERPRETER_PER_HOST]
