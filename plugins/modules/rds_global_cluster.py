#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_global_cluster
version_added: 0.1.0
short_description: Create or delete an Aurora global database (global cluster)
description:
  - Makes sure an Aurora global cluster exists (CreateGlobalCluster), optionally built from an existing
    Aurora cluster that becomes its primary, and keeps its deletion protection as asked (ModifyGlobalCluster);
    or deletes it (DeleteGlobalCluster), detaching its member clusters first when O(remove_members=true).
  - Why this module exists - nothing in amazon.aws or community.aws creates or deletes a global cluster.
    amazon.aws has only M(amazon.aws.rds_global_cluster_info) (read only); M(amazon.aws.rds_cluster) can join a
    cluster to an existing global cluster (O(amazon.aws.rds_cluster#module:global_cluster_identifier)) and detach
    it (O(amazon.aws.rds_cluster#module:remove_from_global_db)), but the global cluster itself must exist first.
  - Global clusters are not regional; the API answers in every region. The module calls it in O(region), which is
    also where a primary built from O(source_db_cluster_identifier) lives.
  - Regional clusters join with M(amazon.aws.rds_cluster) and O(amazon.aws.rds_cluster#module:global_cluster_identifier);
    the first one becomes the primary (writer), the others secondaries.
  - Failover and switchover are M(multiregion.dr.rds_promote)'s job, not this module's.
author:
  - multiregion.dr developers (@multiregion)
options:
  global_cluster_identifier:
    description:
      - Name of the global cluster; 1 to 63 letters, digits or hyphens, starting with a letter, no two
        consecutive hyphens and no hyphen at the end. AWS stores it in lower case.
    type: str
    required: true
    aliases: [id]
  state:
    description:
      - V(present) creates the global cluster when it does not exist.
      - V(absent) deletes it. AWS refuses to delete a global cluster with members; see O(remove_members).
    type: str
    choices: [present, absent]
    default: present
  source_db_cluster_identifier:
    description:
      - ARN of an existing Aurora cluster that becomes the primary of a new global cluster; its engine,
        engine version and encryption carry over, so O(engine) and O(engine_version) must not be set with it.
      - Only used at creation. If the global cluster exists without this cluster as a member the module fails
        (AWS cannot add an existing cluster to an existing global cluster).
    type: str
  engine:
    description:
      - Engine of a global cluster created without O(source_db_cluster_identifier) (then required).
    type: str
    choices: [aurora-mysql, aurora-postgresql]
  engine_version:
    description:
      - Engine version of a global cluster created without O(source_db_cluster_identifier).
        AWS picks its default when omitted. Not changed on an existing global cluster (a warning says when it differs).
    type: str
  storage_encrypted:
    description:
      - Whether the global cluster's storage is encrypted. Only used at creation; a different value on an
        existing global cluster fails (AWS cannot change it). Member clusters then give a KMS key of their region.
    type: bool
  database_name:
    description:
      - Name of a database the global cluster creates in its first cluster. Only used at creation.
    type: str
  deletion_protection:
    description:
      - Whether AWS refuses to delete the global cluster. Changed on an existing global cluster when different.
      - With O(state=absent) a protected global cluster is not deleted; the module fails before any change.
    type: bool
  remove_members:
    description:
      - With O(state=absent), detach every member cluster first (secondaries, then the primary;
        RemoveFromGlobalCluster, waiting for each), then delete the global cluster. The clusters themselves
        stay, as standalone clusters.
      - When V(false) and the global cluster has members, the module fails before any change and names them.
    type: bool
    default: false
extends_documentation_fragment:
  - multiregion.dr.dr.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: An empty Aurora MySQL global database, encrypted
  multiregion.dr.rds_global_cluster:
    global_cluster_identifier: shop-global
    engine: aurora-mysql
    engine_version: 8.0.mysql_aurora.3.05.2
    storage_encrypted: true
    region: us-east-1

- name: Its primary cluster in us-east-1 joins it (the first member is the writer)
  amazon.aws.rds_cluster:
    db_cluster_identifier: shop-db
    global_cluster_identifier: shop-global
    engine: aurora-mysql
    engine_version: 8.0.mysql_aurora.3.05.2
    username: admin
    password: "{{ vault_db_password }}"
    storage_encrypted: true
    region: us-east-1

- name: A global database from an existing cluster
  multiregion.dr.rds_global_cluster:
    global_cluster_identifier: orders-global
    source_db_cluster_identifier: arn:aws:rds:us-east-1:123456789012:cluster:orders
    deletion_protection: true
    region: us-east-1

- name: Tear down, leaving the regional clusters standalone
  multiregion.dr.rds_global_cluster:
    global_cluster_identifier: shop-global
    state: absent
    remove_members: true
    region: us-east-1
"""

RETURN = r"""
global_cluster:
  description: The global cluster as DescribeGlobalClusters returns it, keys in snake case.
  returned: when the global cluster exists after the run (not in check mode when it is to be created)
  type: dict
  contains:
    global_cluster_identifier:
      description: Name of the global cluster.
      type: str
      returned: always
      sample: shop-global
    global_cluster_arn:
      description: ARN of the global cluster (it has no region).
      type: str
      returned: always
      sample: arn:aws:rds::123456789012:global-cluster:shop-global
    status:
      description: Status of the global cluster.
      type: str
      returned: always
      sample: available
    engine:
      description: Engine of the global cluster.
      type: str
      returned: always
      sample: aurora-mysql
    engine_version:
      description: Engine version of the global cluster.
      type: str
      returned: always
      sample: 8.0.mysql_aurora.3.05.2
    storage_encrypted:
      description: Whether storage is encrypted.
      type: bool
      returned: always
    deletion_protection:
      description: Whether deletion protection is on.
      type: bool
      returned: always
    global_cluster_members:
      description: The member clusters, each with C(db_cluster_arn), C(is_writer) and C(readers).
      type: list
      elements: dict
      returned: always
members:
  description: The member clusters in short, writer first.
  returned: always
  type: list
  elements: dict
  contains:
    db_cluster_arn:
      description: ARN of the member cluster.
      type: str
      returned: always
    region:
      description: Region of the member cluster.
      type: str
      returned: always
    is_writer:
      description: Whether the member is the primary (writer) cluster.
      type: bool
      returned: always
  sample: [{"db_cluster_arn": "arn:aws:rds:us-east-1:123456789012:cluster:shop-db", "region": "us-east-1", "is_writer": true}]
plan:
  description: What the module does (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create global cluster shop-global (aurora-mysql 8.0.mysql_aurora.3.05.2, encrypted)"]
statuses_seen:
  description: Statuses read while waiting, in order (for example C(creating), C(available)), by what was waited for.
  returned: always
  type: dict
  sample: {"global cluster shop-global": ["creating", "available"]}
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.multiregion.dr.plugins.module_utils.clients import AWS_ERRORS
from ansible_collections.multiregion.dr.plugins.module_utils.clients import client, on_error, paginate
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WAIT_ARGUMENT_SPEC, wait_or_fail

IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:cluster:[A-Za-z][A-Za-z0-9-]*$")


def check_inputs(module):
    """Fail before any change on a bad value, naming it and what is allowed."""
    params = module.params
    name = params["global_cluster_identifier"]
    if not IDENTIFIER.match(name):
        module.fail_json(msg=f"global_cluster_identifier={name!r} is not valid: 1 to 63 letters, digits or hyphens, "
                             "starting with a letter, without two consecutive hyphens or a hyphen at the end")
    source = params["source_db_cluster_identifier"]
    if source is not None:
        if not CLUSTER_ARN.match(source):
            module.fail_json(msg=f"source_db_cluster_identifier={source!r} is not an Aurora cluster ARN "
                                 "(arn:aws:rds:REGION:ACCOUNT:cluster:NAME)")
        for option in ("engine", "engine_version"):
            if params[option] is not None:
                module.fail_json(msg=f"{option}={params[option]!r} cannot be given with source_db_cluster_identifier: "
                                     "the global cluster takes it from the source cluster")
    if params["state"] == "absent" and source is not None:
        module.fail_json(msg="source_db_cluster_identifier is only used with state=present")


def describe(rds, name):
    found = on_error(lambda: paginate(rds, "describe_global_clusters", GlobalClusterIdentifier=name).get("GlobalClusters", []),
                     {"GlobalClusterNotFoundFault": []})
    return found[0] if found else None


def members_of(cluster):
    members = [
        {"db_cluster_arn": m["DBClusterArn"], "region": m["DBClusterArn"].split(":")[3], "is_writer": bool(m.get("IsWriter"))}
        for m in (cluster or {}).get("GlobalClusterMembers", [])
    ]
    return sorted(members, key=lambda m: not m["is_writer"])


def summary(cluster):
    """What the diff shows of a global cluster."""
    if not cluster:
        return {"exists": False}
    return {
        "exists": True,
        "engine": cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "storage_encrypted": bool(cluster.get("StorageEncrypted")),
        "deletion_protection": bool(cluster.get("DeletionProtection")),
        "members": [m["db_cluster_arn"] for m in members_of(cluster)],
    }


class Runner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params["global_cluster_identifier"].lower()
        self.rds = client(module, "rds", module.region)
        self.plan = []
        self.seen = {}

    def wait(self, what, done):
        if not self.params["wait"]:
            return describe(self.rds, self.name)
        self.seen[what] = []
        return wait_or_fail(self.module, lambda: describe(self.rds, self.name), done, what,
                            status_of=lambda c: c["Status"] if c else "deleted", statuses=self.seen[what], fail=self.fail)

    def fail(self, msg):
        self.module.fail_json(msg=msg, plan=self.plan, statuses_seen=self.seen)

    def wait_available(self):
        return self.wait(f"global cluster {self.name}", lambda c: bool(c) and c.get("Status") == "available")

    def finish(self, changed, before, after, planned=None):
        """Exit with after (the global cluster as it is now); planned is what check mode would make of it."""
        result = dict(changed=changed, plan=self.plan, statuses_seen=self.seen, members=members_of(after))
        if after:
            result["global_cluster"] = camel_dict_to_snake_dict(after)
        if self.module._diff:
            result["diff"] = {"before": summary(before), "after": planned if planned is not None else summary(after)}
        self.module.exit_json(**result)

    # state=present -----------------------------------------------------------------------
    def present(self, current):
        params = self.params
        if current is None:
            return self.create()
        if params["storage_encrypted"] is not None and bool(current.get("StorageEncrypted")) != params["storage_encrypted"]:
            self.module.fail_json(msg=f"storage_encrypted={params['storage_encrypted']} but global cluster {self.name} is "
                                      f"{'' if current.get('StorageEncrypted') else 'not '}encrypted: AWS cannot change it")
        if params["engine"] and params["engine"] != current.get("Engine"):
            self.module.fail_json(msg=f"engine={params['engine']!r} but global cluster {self.name} runs {current.get('Engine')!r}: "
                                      "AWS cannot change it")
        source = params["source_db_cluster_identifier"]
        if source and source not in [m["db_cluster_arn"] for m in members_of(current)]:
            self.module.fail_json(msg=f"source_db_cluster_identifier={source!r} is not a member of the existing global cluster "
                                      f"{self.name}: AWS cannot add an existing cluster to an existing global cluster")
        if params["engine_version"] and params["engine_version"] != current.get("EngineVersion"):
            self.module.warn(f"global cluster {self.name} runs {current.get('EngineVersion')}, not {params['engine_version']}: "
                             "this module does not upgrade engines")
        protection = params["deletion_protection"]
        if protection is None or protection == bool(current.get("DeletionProtection")):
            if current.get("Status") != "available" and params["wait"] and not self.module.check_mode:
                current = self.wait_available()
            self.finish(False, current, current)
        self.plan.append(f"{'enable' if protection else 'disable'} deletion protection of global cluster {self.name}")
        if self.module.check_mode:
            self.finish(True, current, current, planned=dict(summary(current), deletion_protection=protection))
        self.rds.modify_global_cluster(GlobalClusterIdentifier=self.name, DeletionProtection=protection)
        self.finish(True, current, self.wait_available())

    def create(self):
        params = self.params
        request = {"GlobalClusterIdentifier": self.name}
        source = params["source_db_cluster_identifier"]
        if source:
            request["SourceDBClusterIdentifier"] = source
            self.plan.append(f"create global cluster {self.name} with {source} as its primary")
        else:
            if not params["engine"]:
                self.module.fail_json(msg=f"global cluster {self.name} does not exist: engine (aurora-mysql or aurora-postgresql) "
                                          "or source_db_cluster_identifier is needed to create it")
            request["Engine"] = params["engine"]
            described = params["engine"] + (f" {params['engine_version']}" if params["engine_version"] else "")
            if params["storage_encrypted"]:
                described += ", encrypted"
            self.plan.append(f"create global cluster {self.name} ({described})")
        for option, key in (("engine_version", "EngineVersion"), ("storage_encrypted", "StorageEncrypted"),
                            ("database_name", "DatabaseName"), ("deletion_protection", "DeletionProtection")):
            if params[option] is not None:
                request[key] = params[option]
        if self.module.check_mode:
            self.finish(True, None, None, planned={
                "exists": True, "engine": params["engine"], "engine_version": params["engine_version"],
                "storage_encrypted": bool(params["storage_encrypted"]), "deletion_protection": bool(params["deletion_protection"]),
                "members": [source] if source else [],
            })
        self.rds.create_global_cluster(**request)
        self.finish(True, None, self.wait_available())

    def detach(self, member):
        """RemoveFromGlobalCluster in the member's region; waits until it is out and its cluster available again."""
        arn = member["db_cluster_arn"]
        regional = client(self.module, "rds", member["region"])
        # a cluster that is not available is already being detached (a rerun after a time-out): only wait for it
        if regional.describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]["Status"] == "available":
            regional.remove_from_global_cluster(GlobalClusterIdentifier=self.name, DbClusterIdentifier=arn)
        if not self.params["wait"]:
            return

        def state():
            cluster = regional.describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]
            return {"status": cluster["Status"], "member": arn in [m["db_cluster_arn"] for m in members_of(describe(self.rds, self.name))]}

        what = f"{arn} to leave global cluster {self.name}"
        self.seen[what] = []
        wait_or_fail(self.module, state, lambda s: not s["member"] and s["status"] == "available", what,
                     status_of=lambda s: s["status"] + (" (member)" if s["member"] else " (detached)"), statuses=self.seen[what], fail=self.fail)

    # state=absent ------------------------------------------------------------------------
    def absent(self, current):
        if current is None:
            self.finish(False, None, None)
        if current.get("DeletionProtection"):
            self.module.fail_json(msg=f"global cluster {self.name} has deletion protection: set deletion_protection=false "
                                      "with state=present first")
        members = members_of(current)
        if members and not self.params["remove_members"]:
            self.module.fail_json(msg=f"global cluster {self.name} still has members ({', '.join(m['db_cluster_arn'] for m in members)}): "
                                      "AWS deletes only an empty global cluster; set remove_members=true to detach them first")
        # secondaries first: AWS detaches the primary only when it is the last member
        for member in reversed(members):
            self.plan.append(f"detach {member['db_cluster_arn']} from global cluster {self.name}")
        self.plan.append(f"delete global cluster {self.name}")
        if self.module.check_mode:
            self.finish(True, current, None)
        for member in reversed(members):
            self.detach(member)
        self.rds.delete_global_cluster(GlobalClusterIdentifier=self.name)
        self.wait(f"global cluster {self.name} to be deleted", lambda c: c is None)
        self.finish(True, current, None)


def main():
    argument_spec = dict(
        global_cluster_identifier=dict(type="str", required=True, aliases=["id"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        source_db_cluster_identifier=dict(type="str"),
        engine=dict(type="str", choices=["aurora-mysql", "aurora-postgresql"]),
        engine_version=dict(type="str"),
        storage_encrypted=dict(type="bool"),
        database_name=dict(type="str"),
        deletion_protection=dict(type="bool"),
        remove_members=dict(type="bool", default=False),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_inputs(module)
    runner = Runner(module)
    try:
        current = describe(runner.rds, runner.name)
        if module.params["state"] == "present":
            runner.present(current)
        else:
            runner.absent(current)
    except AWS_ERRORS as exc:
        module.fail_json_aws(exc, msg=f"global cluster {runner.name}", plan=runner.plan, statuses_seen=runner.seen)


if __name__ == "__main__":
    main()
