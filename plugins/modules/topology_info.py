#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) 2025 multiregion.dr contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: topology_info
version_added: 1.0.0
short_description: Live multi-region topology of an application, read from AWS
description:
  - Reads, from AWS and never from what the inventory assumes, which region holds the writable
    database, the ElastiCache primary and the active DNS target, which replicas exist and where,
    and how healthy each region is. Failover and status playbooks decide from its result.
  - It exists because M(amazon.aws.rds_instance_info), M(community.aws.elasticache_info) and
    M(amazon.aws.route53_info) each read one region or one service, retry a dead region's endpoint
    for minutes and then fail the task. None of them tells a primary in an unreachable region from
    a missing one, reads a Global Datastore, or works out where Route 53 sends traffic.
  - Every region is probed at the same time, with one attempt per call and a short connect timeout
    (retries on throttling only), so a region in an outage costs about O(connect_timeout) and is
    reported as unreachable instead of failing the module.
  - Route 53 is a global service and answers during a regional outage, so health check statuses and
    DNS records are known for every region.
  - When the primary database's region is unreachable, its role there is V(unknown); the replicas
    in other regions still name it (by ARN) as their source, so RV(primary_region) still names it,
    with RV(primary_reachable=false).
  - More than one region whose database takes writes (after a promotion while the old primary was
    cut off) is a split brain; RV(split_brain) flags it and RV(primary_region) is left unset.
  - An RDS instance fenced by a planned failover (V(read_only=1), or V(default_transaction_read_only=on), set in
    its custom parameter group) answers but refuses writes; it is reported with C(fenced=true) and
    C(writable=false), so the old primary of a planned failover is no split brain.
  - An info module; it changes nothing, also in check mode.
author:
  - multiregion.dr maintainers (@multiregion)
options:
  regions:
    description:
      - The AWS regions the application runs in. Each must be an AWS region name.
    type: list
    elements: str
    required: true
  database:
    description:
      - The database to locate. Omit to skip databases.
    type: dict
    suboptions:
      engine:
        description:
          - The database engine. RDS engines need O(database.db_instance_identifier),
            Aurora engines O(database.global_cluster_identifier).
        type: str
        required: true
        choices: [mysql, mariadb, postgres, aurora-mysql, aurora-postgresql]
      db_instance_identifier:
        description:
          - RDS instance identifier, the same in every region (the primary in one region,
            cross-region read replicas in the others).
        type: str
      global_cluster_identifier:
        description:
          - Aurora global database identifier; its member clusters are found in each region.
        type: str
  cache:
    description:
      - The ElastiCache (Redis OSS / Valkey) replication groups to locate. Omit to skip caches.
    type: dict
    suboptions:
      global_replication_group_id:
        description:
          - Global Datastore identifier (with its region prefix, for example C(ldgnf-sessions)).
            Member roles are read from any reachable member region.
        type: str
      replication_group_id:
        description:
          - Replication group identifier, the same in every region, when there is no Global Datastore
            (or to look at the groups directly).
        type: str
  dns:
    description:
      - The DNS name that sends users to a region. Omit to skip DNS.
      - Records are mapped to regions by the latency record's region, a set identifier equal to a
        region name, or the one region named in the alias target (a load balancer DNS name such as
        C(web-1.us-east-1.elb.amazonaws.com)), the record values or the set identifier (none when they name
        several), as M(multiregion.dr.route53_switch) maps them.
    type: dict
    suboptions:
      hosted_zone:
        description:
          - Hosted zone name (for example C(example.com)) or id (C(Z...)).
        type: str
        required: true
      private_zone:
        description:
          - Look the zone name up among private hosted zones.
        type: bool
        default: false
      record_name:
        description:
          - Record name (for example C(app.example.com)).
        type: str
        required: true
      record_type:
        description:
          - Record type.
        type: str
        default: A
        choices: [A, AAAA, CNAME]
  cdn:
    description:
      - The CloudFront distribution in front of the regions (CloudFront is global and answers during a regional
        outage). Omit to skip it.
      - Reports the origin group's primary origin and region, and where its secondary sends requests - a region's
        origin, or a name in O(dns.hosted_zone) (the dns role's standby name) whose records Route 53 resolves with
        the regions' health checks, as for O(dns).
    type: dict
    suboptions:
      caller_reference:
        description: The distribution's caller reference (the cdn role's is C(<app_name>-cdn)).
        type: str
        required: true
      origin_group_id:
        description: Id of the origin group of the default cache behavior.
        type: str
        default: failover
  health_check_ids:
    description:
      - Route 53 health check id for each region (region name -> id). Regions missing here use the
        C(HealthCheckId) of their DNS record.
      - A health check is healthy when more than 18% of the Route 53 health checkers report success,
        as Route 53 decides it.
    type: dict
  auto_scaling_group:
    description:
      - The application's auto scaling group (the same name in every region); its sizes are read in each region
        (RV(regions.capacity)), so a failover scales only the groups that are not at their capacity yet.
    type: str
extends_documentation_fragment:
  - multiregion.dr.dr.connect
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Replication lag is not read here; use M(multiregion.dr.replication_lag_info).
  - An alias record with C(EvaluateTargetHealth) counts as healthy unless its health check says
    otherwise; the health of a load balancer's targets is not read.
"""

EXAMPLES = r"""
- name: Where do the database, the cache and the traffic live right now?
  multiregion.dr.topology_info:
    regions: [us-east-1, us-west-2, eu-west-1]
    database:
      engine: mysql
      db_instance_identifier: orders
    cache:
      global_replication_group_id: ldgnf-sessions
    dns:
      hosted_zone: example.com
      record_name: app.example.com
    cdn:
      caller_reference: shop-cdn
    connect_timeout: 3
  register: topology

- name: Stop when two databases take writes
  ansible.builtin.assert:
    that: not topology.split_brain
    fail_msg: "split brain: {{ topology.writable_databases | join(', ') }} all take writes"

- name: Fail over only when the primary's region is really gone
  ansible.builtin.include_tasks: failover.yml
  when:
    - topology.primary_reachable is false
    - topology.primary_region not in topology.healthy_regions

- name: Aurora global database with explicit health checks
  multiregion.dr.topology_info:
    regions: [us-east-1, eu-west-1]
    database:
      engine: aurora-postgresql
      global_cluster_identifier: orders-global
    health_check_ids:
      us-east-1: 0d5a6f1e-1111-2222-3333-444455556666
      eu-west-1: 7b1c2d3e-7777-8888-9999-000011112222
"""

RETURN = r"""
regions:
  description: Per region (region name -> dict) what AWS shows there.
  returned: always
  type: dict
  contains:
    reachable:
      description: Whether the region's API endpoints answered.
      type: bool
      sample: false
    detail:
      description: Why a region counts as unreachable (the error and the call), or V(reachable).
      type: str
      sample: "unreachable: ConnectionClosedError on DescribeDBInstances"
    health_check:
      description:
        - The region's Route 53 health check; V(null) when the region has none.
        - C(status) is V(healthy), V(unhealthy) or V(unknown) (no observations yet, or an error in C(error)).
      type: dict
      sample: {"id": "abcd-1234", "status": "unhealthy", "checkers_success": 0, "checkers_total": 8}
    healthy:
      description: Reachable and its health check (if any) not unhealthy.
      type: bool
    database:
      description:
        - The database in this region; V(null) without O(database).
        - C(role) is V(primary) (has replicas), V(standalone) (takes writes, no replicas), V(replica)
          (C(source) and C(source_region) name what it replicates from), V(absent), or V(unknown)
          (region unreachable, or an error in C(error)).
        - C(replication) is the instance's StatusInfos (read replication state).
        - C(fenced) is true (with C(fence), for example V(read_only=1 in shop-mysql80)) for a primary or standalone
          instance whose parameter group makes it refuse writes; it is then not C(writable).
        - C(parameter_group) names the instance's DB parameter group; C(fenceable) is false when no fence can be set
          (a C(default.*) group, which AWS does not let change, or an engine fencing does not support).
        - C(endpoint) is an RDS instance's endpoint address (it stays the same through a promotion), C(port) its port.
        - For Aurora, C(synchronization_status) of the member; for an unreachable region the global
          cluster's view of the member is in C(global_view).
      type: dict
      sample: {"role": "replica", "identifier": "orders", "status": "available", "writable": false,
               "endpoint": "orders.abcdefghijkl.us-west-2.rds.amazonaws.com", "port": 3306,
               "source": "arn:aws:rds:us-east-1:123456789012:db:orders", "source_region": "us-east-1",
               "replicas": [], "replica_regions": [],
               "replication": [{"status_type": "read replication", "normal": true, "status": "replicating", "message": null}]}
    cache:
      description:
        - The cache replication group in this region; V(null) without O(cache).
        - C(role) is V(primary), V(secondary), V(standalone), V(absent) or V(unknown).
        - C(primary_endpoint) is the group's primary endpoint address; a Global Datastore's secondary has one too,
          which takes writes once the group is promoted. C(port) is its port.
      type: dict
      sample: {"role": "secondary", "replication_group_id": "sessions-west", "status": "available",
               "global_replication_group_id": "ldgnf-sessions", "member_status": "associated",
               "primary_endpoint": "master.sessions-west.abc123.usw2.cache.amazonaws.com", "port": 6379}
    capacity:
      description:
        - The O(auto_scaling_group)'s C(min_size), C(max_size) and C(desired_capacity) in this region, C(absent=true)
          without the group, C(error) when Auto Scaling refused or did not answer (it never makes the region
          unreachable); V(null) without O(auto_scaling_group), or when the region did not answer.
      type: dict
      sample: {"min_size": 1, "max_size": 4, "desired_capacity": 1}
    dns:
      description: This region's DNS records (set identifiers) and whether Route 53 sends it traffic now; V(null) without O(dns).
      type: dict
      sample: {"records": ["us-east-1"], "receives_traffic": true}
primary_region:
  description:
    - The region of the writable database. Also named when that region is unreachable (from the
      replicas' source ARNs, or the Aurora global cluster). V(null) when unknown or on a split brain.
  returned: always
  type: str
  sample: us-east-1
primary_reachable:
  description: Whether RV(primary_region) is reachable; V(null) when there is no primary region.
  returned: always
  type: bool
  sample: false
cache_primary_region:
  description: The region of the cache primary; V(null) without O(cache) or when unknown.
  returned: always
  type: str
  sample: us-east-1
dns_active_region:
  description:
    - The region Route 53 sends the name's traffic to now, given the health checks (failover
      PRIMARY while healthy, else SECONDARY; the highest weight; a simple record's target).
      V(null) without O(dns), or when traffic is spread over several regions.
  returned: always
  type: str
  sample: us-west-2
dns:
  description: How the name is routed; V(null) without O(dns).
  returned: always
  type: dict
  contains:
    policy:
      description: V(failover), V(weighted), V(latency), V(simple) or V(multivalue).
      type: str
    configured_region:
      description: Where traffic goes when every record is healthy (the failover PRIMARY, the highest weight).
      type: str
    configured_regions:
      description: Every region that gets traffic when all records are healthy (several for equal top weights).
      type: list
      elements: str
    active_regions:
      description: Every region receiving traffic now.
      type: list
      elements: str
    active_region:
      description: Same as RV(dns_active_region).
      type: str
    zone_id:
      description: Hosted zone id.
      type: str
    records:
      description: The record sets with their region, target, health check and its status.
      type: list
      elements: dict
  sample: {"policy": "failover", "configured_region": "us-east-1", "active_regions": ["us-west-2"], "active_region": "us-west-2",
           "zone_id": "Z123", "records": [{"set_identifier": "primary", "failover": "PRIMARY", "weight": null, "latency_region": null,
           "target": "web-1.us-east-1.elb.amazonaws.com", "alias": true, "health_check_id": "abcd", "region": "us-east-1",
           "health": "unhealthy", "healthy": false}]}
cdn:
  description:
    - The CloudFront distribution's origin group; V(null) without O(cdn) or when no distribution has the caller
      reference (RV(notes) says so).
    - C(primary_region) is the region of the primary origin; C(secondary_regions) where the secondary sends requests
      now (its region, or the healthy regions its DNS name resolves to, with the routing in C(secondary_routing));
      C(serving_regions) where requests end up now - the primary region while it is healthy, else the secondary's;
      C(region_origins) the origin id of each region.
  returned: always
  type: dict
  sample: {"distribution_id": "E2QWRUHAPOMQZL", "domain_name": "d111111abcdef8.cloudfront.net", "status": "Deployed",
           "enabled": true, "origin_group_id": "failover", "primary_origin": "us-east-1", "primary_region": "us-east-1",
           "secondary_origin": "standby", "secondary_domain_name": "standby.api.shop.example.com", "secondary_region": null,
           "secondary_regions": ["us-west-2", "eu-west-1"], "serving_regions": ["us-west-2", "eu-west-1"],
           "region_origins": {"us-east-1": "us-east-1", "us-west-2": "us-west-2", "eu-west-1": "eu-west-1"},
           "secondary_routing": {"policy": "weighted", "configured_region": null, "configured_regions": ["us-west-2", "eu-west-1"],
                                 "active_regions": ["us-west-2", "eu-west-1"],
                                 "active_region": null, "records": []}}
consistent:
  description:
    - Whether the database primary, cache primary and DNS target (those asked for) are all known and in one region,
      with no split brain. V(false) when none of O(database), O(cache), O(dns) is given.
  returned: always
  type: bool
  sample: true
reachable_regions:
  description: Regions whose API answered.
  returned: always
  type: list
  elements: str
  sample: [us-west-2, eu-west-1]
unreachable_regions:
  description: Regions whose API did not answer within O(connect_timeout).
  returned: always
  type: list
  elements: str
  sample: [us-east-1]
healthy_regions:
  description: Reachable regions whose health check is not unhealthy.
  returned: always
  type: list
  elements: str
  sample: [us-west-2, eu-west-1]
writable_databases:
  description: Regions whose database is known to take writes. More than one is a split brain.
  returned: always
  type: list
  elements: str
  sample: [us-east-1]
split_brain:
  description: More than one region's database takes writes.
  returned: always
  type: bool
  sample: false
active_writer:
  description:
    - The database whose writes count - of several writers the one M(multiregion.dr.rds_promote) promoted last (its
      C(multiregion-dr:promoted-at) tag; DNS may not have followed yet), else where DNS sends the traffic when it
      takes writes, else the only writer.
    - Null when no database takes writes, or when several do, none was stamped and DNS sends the traffic to none of them.
  returned: always
  type: str
  sample: us-east-1
stale_writers:
  description: Regions whose database takes writes beside RV(active_writer) - an old primary back from an outage, to be fenced.
  returned: always
  type: list
  elements: str
  sample: []
split_brain_advice:
  description: On a split brain, what is wrong and what to run (C(playbooks/fence.yml), then a failback); else null.
  returned: always
  type: str
replica_regions:
  description: Regions holding a database replica (or an Aurora secondary cluster).
  returned: always
  type: list
  elements: str
  sample: [us-west-2, eu-west-1]
notes:
  description: What the topology cannot tell for sure, in words (an unreachable primary, a replica still following a cut-off region, unmapped DNS records).
  returned: always
  type: list
  elements: str
control_planes_down:
  description:
    - The global services whose API (control plane, in us-east-1) did not answer - V(route53) (then the DNS records,
      health checks and the CDN were not read) and V(cloudfront). Their data planes (DNS answers, health checkers,
      edge locations) work on without them.
  returned: always
  type: list
  elements: str
  sample: [route53, cloudfront]
elapsed:
  description: Seconds the discovery took.
  returned: always
  type: float
  sample: 0.42
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.module_utils.topology import ARGUMENT_SPEC, discover, validate


def main():
    argument_spec = dict(ARGUMENT_SPEC, **CONNECTION_ARGUMENT_SPEC)
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module, module.params)
    params = module.params
    result = discover(
        module,
        params["regions"],
        database=params["database"],
        cache=params["cache"],
        dns=params["dns"],
        health_check_ids=params["health_check_ids"],
        cdn=params["cdn"],
        auto_scaling_group=params["auto_scaling_group"],
    )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
