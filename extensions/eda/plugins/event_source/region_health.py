# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
short_description: The health of an application's regions, as a quorum of observers sees it, with what to do about it
description:
  - An ansible-rulebook event source. Every O(poll_interval) seconds it reads, for each region of the
    application, the Route 53 health check of the region's DNS record (one observation per Route 53 health
    checker region, from GetHealthCheckStatus) and whether the region's API answers from this host; the lock
    and cool-down records of multiregion.dr.failover_lock; which region DNS makes active; and the replica-lag
    alarms in ALARM.
  - A region is down when a quorum of observers sees it down (a majority of those that answered by default,
    never one alone); it changes state after O(debounce_polls) polls in a row agree. Each change is one event,
    C(region_health), with a decision (failover, fence, notify or none), its reason and the exact command
    a person would run. The rules, and the guards (lock, cool-down, once per outage, a healthy target), live in
    the collection's module_utils/region_health.py.
  - Bad arguments (an unknown region in O(priority), O(debounce_polls=0), a hosted zone that does not exist)
    stop the source at start with a message that names them.
  - The auto_failover rulebook (extensions/eda/rulebooks/auto_failover.yml) acts on the decisions.
options:
  app_name:
    description: The application's name (inventory C(app_name)); its replica-lag alarm is C(<app_name>-replica-lag).
    type: str
    required: true
  regions:
    description: The application's regions (the inventory's region hosts).
    type: list
    elements: str
    required: true
  hosted_zone:
    description: The application's hosted zone (inventory C(dns_zone)); it also holds the lock records without O(lock_table).
    type: str
    required: true
  lock_table:
    description:
      - The DynamoDB global table of multiregion.dr.failover_lock's lock (C(<app_name>-dr-lock), the playbooks'
        default), read from the first region of O(regions) whose replica answers. Empty - the lock records in O(hosted_zone).
    type: str
    default: ""
  record_name:
    description: The application's DNS name (inventory C(dns_record)), whose records carry the health checks.
    type: str
    required: true
  priority:
    description:
      - The failover policy - the regions in the order they are preferred as a failover target. The first one
        that is up and whose replica-lag alarm is known and not in ALARM is chosen. Default, the order of O(regions).
    type: list
    elements: str
  poll_interval:
    description: Seconds between polls.
    type: float
    default: 10
  debounce_polls:
    description: Polls in a row that must agree before a region changes state (1 or more).
    type: int
    default: 3
  quorum:
    description: Observers that must see a region down (2 or more). Default, a majority of those that answered.
    type: int
  cooldown_seconds:
    description: No automatic failover within this time after the last failover or failback finished (inventory C(failover_cooldown_seconds)).
    type: int
    default: 3600
  notify_only:
    description: Decide C(notify), with the command to run, where it would fail over or fence.
    type: bool
    default: false
  api_timeout:
    description: Seconds to wait for a region's API before it counts as not answering.
    type: float
    default: 3
  playbook_dir:
    description: Where the commands in the events find the playbooks.
    type: str
    default: playbooks
"""

EXAMPLES = r"""
- name: Region health of the shop
  multiregion.dr.region_health:
    app_name: shop
    regions: [us-east-1, us-west-2, eu-west-1]
    hosted_zone: shop.example.com
    record_name: api.shop.example.com
    lock_table: shop-dr-lock
    priority: [us-west-2, eu-west-1, us-east-1]
    poll_interval: 10
    debounce_polls: 3
"""

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _collections_root():
    """The folder that holds the ansible_collections tree this file sits in (ansible-rulebook runs it by path,
    so the collection's module_utils are importable only once that folder is on sys.path)."""
    for path in (Path(__file__), Path(__file__).resolve()):
        if len(path.parents) > 7 and path.parents[6].name == "ansible_collections":
            return str(path.parents[7])
    return None


_ROOT = _collections_root()
if _ROOT and _ROOT not in sys.path:
    sys.path.append(_ROOT)

import boto3  # noqa: E402 pylint: disable=wrong-import-position
import botocore.config  # noqa: E402 pylint: disable=wrong-import-position

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.multiregion.dr.plugins.module_utils import region_health  # noqa: E402
from ansible_collections.multiregion.dr.plugins.module_utils.clients import RETRY, error_text, is_unreachable, known_regions  # noqa: E402
from ansible_collections.multiregion.dr.plugins.module_utils.lock import HISTORY_NAME, LOCK_NAME, DynamoStore, Route53Store, decode  # noqa: E402
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import (  # noqa: E402
    ROUTE53_REGION, absolute_name, dns_routing, find_zone, record_sets, record_view,
)


class Probe:
    """The AWS reads of one poll. Route 53 (global) with retries on throttling; each region's API with one short
    attempt, so a dead region costs at most api_timeout."""

    def __init__(self, settings):
        self.settings = settings
        quick = botocore.config.Config(connect_timeout=settings["api_timeout"], read_timeout=settings["api_timeout"],
                                       retries={"max_attempts": 1, "mode": "standard"})
        session = boto3.session.Session()
        # Route 53 (global; its control plane is in us-east-1): bounded waits, retried on throttling only
        bounded = botocore.config.Config(connect_timeout=max(settings["api_timeout"], 5), read_timeout=max(settings["api_timeout"], 5),
                                         retries={"max_attempts": 2, "mode": "standard"})
        self.route53 = RetryingBotoClientWrapper(session.client("route53", region_name=ROUTE53_REGION, config=bounded), RETRY)
        self.ec2 = {r: session.client("ec2", region_name=r, config=quick) for r in settings["regions"]}
        self.cloudwatch = {r: session.client("cloudwatch", region_name=r, config=quick) for r in settings["regions"]}
        self.pool = ThreadPoolExecutor(max_workers=2 * len(settings["regions"]) + 1)
        self.zone = find_zone(self.route53, settings["hosted_zone"])  # ZoneError (a ValueError) at start
        if settings["lock_table"]:
            tables = {r: RetryingBotoClientWrapper(session.client("dynamodb", region_name=r, config=quick), RETRY) for r in settings["regions"]}
            self.lock_store = DynamoStore(tables.__getitem__, settings["lock_table"], settings["regions"][0], settings["regions"])
            self.lock_names = {"lock": LOCK_NAME, "last": HISTORY_NAME}
        else:
            self.lock_store = Route53Store(self.route53, self.zone)
            self.lock_names = {"lock": absolute_name(LOCK_NAME, self.zone["Name"]), "last": absolute_name(HISTORY_NAME, self.zone["Name"])}

    def guards(self, poll):
        """The lock and the last completed operation; None for what could not be read (never taken for none)."""
        for key, name in self.lock_names.items():
            try:
                poll[key] = decode(self.lock_store.read(name))
            except Exception as exc:  # pylint: disable=broad-except
                poll[key] = None
                poll["errors"].append(f"{self.lock_store.kind} {key}: {error_text(exc)}")

    def dns(self, poll):
        regions = self.settings["regions"]
        views = [record_view(r, regions) for r in record_sets(self.route53, self.zone["Id"], self.settings["record_name"], "A")]
        poll["active_region"] = dns_routing(views)["configured_region"]
        for view in views:
            if view["region"] in regions and view["health_check_id"]:
                try:
                    status = self.route53.get_health_check_status(HealthCheckId=view["health_check_id"], aws_retry=True)
                except Exception as exc:  # pylint: disable=broad-except
                    poll["errors"].append(f"route53 health check of {view['region']}: {error_text(exc)}")
                    continue
                poll["observations"][view["region"]].update(region_health.checker_observations(status["HealthCheckObservations"]))

    def api(self, region):
        try:
            self.ec2[region].describe_availability_zones()
            return True
        except Exception as exc:  # pylint: disable=broad-except
            return False if is_unreachable(exc) else True  # any answer, even a refusal, is an API that is up

    def lag_alarms(self, region):
        """The application's replica-lag alarm, when in ALARM: [name]; [] when quiet (or absent: the primary's region
        has none); None when it could not be read (then the region is no failover target)."""
        name = f"{self.settings['app_name']}-replica-lag"
        try:
            alarms = self.cloudwatch[region].describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
        except Exception:  # pylint: disable=broad-except
            return None
        return [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]

    def poll(self):
        regions = self.settings["regions"]
        poll = {"time": time.time(), "observations": {r: {} for r in regions}, "active_region": None, "lock": None, "last": None,
                "lag_alarms": {}, "errors": []}
        apis = {r: self.pool.submit(self.api, r) for r in regions}
        alarms = {r: self.pool.submit(self.lag_alarms, r) for r in regions}
        try:
            self.dns(poll)
        except Exception as exc:  # pylint: disable=broad-except
            poll["errors"].append(f"route53: {error_text(exc)}")
        self.guards(poll)
        for region in regions:
            poll["observations"][region][region_health.API_OBSERVER] = apis[region].result()
            poll["lag_alarms"][region] = alarms[region].result()
        return poll


async def main(queue, args):
    """Poll, and put one event on the queue per change of a region's state."""
    settings = region_health.config(args, known_regions())
    probe = await asyncio.to_thread(Probe, settings)
    monitor = region_health.Monitor(settings)
    while True:
        for event in monitor.update(await asyncio.to_thread(probe.poll)):
            await queue.put(event)
        await asyncio.sleep(settings["poll_interval"])


if __name__ == "__main__":
    class _PrintQueue:  # pylint: disable=too-few-public-methods
        async def put(self, event):
            print(event)  # noqa: T201

    asyncio.run(main(_PrintQueue(), {"app_name": sys.argv[1], "regions": sys.argv[2].split(","), "hosted_zone": sys.argv[3],
                                     "record_name": sys.argv[4]}))
