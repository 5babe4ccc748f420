# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: mitogen_collections
type: aggregate
short_description: Lists the installed collections once, before mitogen's task workers need the list
version_added: 1.1.0
description:
  - With mitogen's strategy (C(mitogen_linear)), the worker process Ansible forks for each task lists every installed
    collection before it runs a collection module (ansible_mitogen's planner), and the first listing in a process
    costs about 0.1 s. This callback lists them once in the controller process when the playbook starts, so each
    worker is forked with the listing's imports and caches in place (a C(failover.yml) run makes about 30 such tasks).
  - It changes no result and prints nothing; without mitogen it only costs that one listing.
requirements:
  - enabled in C(callbacks_enabled) (C(ANSIBLE_CALLBACKS_ENABLED=multiregion.dr.mitogen_collections))
author:
  - multiregion.dr maintainers (@multiregion)
"""

from ansible.collections.list import list_collection_dirs
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "multiregion.dr.mitogen_collections"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        list(list_collection_dirs())
