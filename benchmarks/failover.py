#!/usr/bin/env python3
"""Benchmark: the failover's wall time against the critical path the latency model allows, in one run.

Starts its own regionsim on a free port, provisions three regions (latency model off, so it is quick),
takes us-east-1 down, turns the latency model on at a fixed time scale and times
`playbooks/failover.yml -e target=eu-west-1`. Then resets, provisions again and runs the failover's four
long steps (promotion, cache failover, scale-up, DNS switch) one after another with the same modules,
each timed. Prints the orchestration overhead (wall time minus critical path), the ratio to the
sequential run, the RTO projected with real AWS durations and the AWS calls the failover made.
With the simulator's data plane (on unless REGIONSIM_DATA_PLANE=0), the reference application (examples/app)
writes from the target region from before the outage until the failover ends: the client-observed write
downtime and the writes lost.

    .venv/bin/python benchmarks/failover.py [--scale 0.05] [--provision-playbook playbooks/provision.yml] [--mitogen]

--mitogen runs every playbook with mitogen's strategy (a persistent interpreter per region), as the tests do.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import yaml

from regionsim.state import GLOBAL_SERVICES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from strategy import mitogen_args, mitogen_env  # noqa: E402  (tests/strategy.py)

BIN = Path(sys.executable).parent
SOURCE, TARGET = "us-east-1", "eu-west-1"
READS = ("Describe", "List", "Get")
# The failover's long steps and the latency-model entries that bound them.
PARALLEL = {"database": "rds.promote_read_replica", "cache": "elasticache.failover_global_replication_group",
            "capacity": "autoscaling.launch_instance"}
DNS = {"dns": "route53.change_resource_record_sets"}

# The same four steps as failover.yml, with the same modules and arguments, one after another.
# Times are taken between tasks (the module runs and ansible's per-task cost, as in the failover).
SEQUENTIAL_PLAYBOOK = """
- name: The failover's long steps, one after another
  hosts: "{{ target }}"
  gather_facts: false
  module_defaults:
    group/multiregion.dr.aws: "{{ aws_defaults }}"
  tasks:
    - name: Find the Global Datastore (untimed, the failover reads it in its preflight)
      multiregion.dr.topology_info:
        region: "{{ target }}"
        regions: "{{ groups['regions'] }}"
        database: {engine: "{{ db_engine }}", db_instance_identifier: "{{ app_name }}-db"}
        cache: {replication_group_id: "{{ app_name }}-redis"}
      register: topology

    - name: Start
      ansible.builtin.set_fact: {t_start: "{{ now().timestamp() }}"}

    - name: Promote the database
      multiregion.dr.rds_promote:
        target_region: "{{ target }}"
        db_instance_identifier: "{{ app_name }}-db"
        mode: unplanned
        rpo_seconds: "{{ rpo_seconds }}"
        poll_interval: "{{ poll_interval }}"

    - name: Database done
      ansible.builtin.set_fact: {t_database: "{{ now().timestamp() }}"}

    - name: Fail the cache over
      multiregion.dr.elasticache_global_failover:
        global_replication_group_id: "{{ topology.regions[target].cache.global_replication_group_id }}"
        target_region: "{{ target }}"
        replication_group_id: "{{ app_name }}-redis"
        rpo_seconds: "{{ rpo_seconds }}"
        poll_interval: "{{ poll_interval }}"

    - name: Cache done
      ansible.builtin.set_fact: {t_cache: "{{ now().timestamp() }}"}

    - name: Scale the auto scaling group to primary capacity
      amazon.aws.autoscaling_group:
        name: "{{ app_name }}-app"
        min_size: "{{ asg_min_size }}"
        max_size: "{{ asg_max_size }}"
        desired_capacity: "{{ asg_desired_capacity }}"
        health_check_type: ELB
        health_check_period: 300
        wait_for_instances: false

    - name: Wait for the primary capacity InService (as failover.yml waits)
      amazon.aws.autoscaling_group_info:
        name: "^{{ app_name }}-app$"
      register: capacity
      until: >-
        capacity.results | map(attribute='instances') | flatten
        | selectattr('lifecycle_state', 'eq', 'InService') | list | length >= asg_desired_capacity | int
      retries: 600
      delay: "{{ poll_interval }}"

    - name: Capacity done
      ansible.builtin.set_fact: {t_capacity: "{{ now().timestamp() }}"}

    - name: Send the traffic to the target
      multiregion.dr.route53_switch:
        hosted_zone: "{{ dns_zone }}"
        record_name: "{{ dns_record }}"
        record_type: A
        routing: weighted
        target_region: "{{ target }}"
        poll_interval: "{{ poll_interval }}"

    - name: Write the times
      ansible.builtin.copy:
        dest: "{{ times_file }}"
        mode: "0644"
        content: >-
          {{ {'database': t_database | float - t_start | float, 'cache': t_cache | float - t_database | float,
              'capacity': t_capacity | float - t_cache | float, 'dns': now().timestamp() - t_capacity | float} | to_json }}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(endpoint, method, command, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{endpoint}/_regionsim/{command}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


STRATEGY_ARGS = []


def playbook(env, path, *args):
    started = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "inventories/local", str(path), *STRATEGY_ARGS, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode:
        sys.exit(f"{path} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def prepare(endpoint, env, provision_playbook, scale, before_outage=lambda: None):
    """A provisioned application with us-east-1 down and the latency model on."""
    control(endpoint, "POST", "reset", {})
    playbook(env, provision_playbook)
    before_outage()
    control(endpoint, "POST", "outage", {"region": SOURCE, "mode": "drop"})
    control(endpoint, "POST", "latency", {"enabled": True, "scale": scale})


APP = ROOT / "examples" / "app"
APP_NAME = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())["app_name"]


def regionapp(*args):
    """python -m regionapp for the local inventory's application, in the target region."""
    return [sys.executable, "-m", "regionapp", "--app", APP_NAME, "--region", TARGET, "--db-secret", f"{APP_NAME}/rds/master",
            "--no-metrics", *args]


class Writer:
    """The reference application's load (20 writes/s) from the target region, when the data plane runs."""

    def __init__(self, endpoint, env, work):
        self.env, self.log, self.process = env, work / "writes.jsonl", None
        try:
            control(endpoint, "GET", "data-plane")
        except urllib.error.HTTPError:
            return  # no data plane: nothing to write to
        self.process = subprocess.Popen(regionapp("load", "--ack-log", str(self.log), "--rate", "20", "--duration", "3600"),
                                        cwd=APP, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (self.log.exists() and "acked_at" in self.log.read_text()):  # waits on the first acknowledgement
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                sys.exit(f"the application acknowledged no write: {self.process.stderr.read()[-2000:]}")
            time.sleep(0.1)
        self.outage_at = time.time()

    def stop(self):
        """SIGTERM, then the count on the final primary: the failover's move (from the outage)."""
        if self.process is None:
            return None
        self.process.terminate()
        self.process.wait(timeout=30)
        moves = json.dumps([{"name": "failover", "at": self.outage_at}])
        counted = subprocess.run(regionapp("count", "--ack-log", str(self.log), "--moves", moves),
                                 cwd=APP, env=self.env, capture_output=True, text=True, check=True)
        return json.loads(counted.stdout)["moves"][0]


def extra_vars(values):
    return ["-e", json.dumps(values)]


def aws_calls(entries):
    """Per region: reads, writes and calls that got no answer (outage); Route 53 and the like are global."""
    table = {}
    for entry in entries:
        row = table.setdefault("global" if entry["service"] in GLOBAL_SERVICES else entry["region"] or "global", Counter())
        row["reads" if (entry["action"] or "").startswith(READS) else "writes"] += 1
        if entry.get("fault") == "outage":
            row["unanswered"] += 1
    return table


def start_simulator(prefix, mitogen=False, **overrides):
    """Its own regionsim on a free port, its state in a new folder: (endpoint, folder, environment, strategy)."""
    strategy = {}
    if mitogen:
        strategy = mitogen_env()
        if not strategy:
            sys.exit("--mitogen: ansible_mitogen is not installed (make setup installs it)")
        STRATEGY_ARGS.extend(mitogen_args())
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix=prefix))
    env = dict(os.environ, REGIONSIM_PORT=str(port), REGIONSIM_STATE_DIR=str(work), AWS_ENDPOINT_URL=endpoint,
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), **strategy, **overrides)
    subprocess.run([str(BIN / "regionsim"), "start"], env=env, check=True, capture_output=True)
    return endpoint, work, env, strategy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05, help="latency model time scale (default 0.05)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="the failover's poll interval, seconds")
    parser.add_argument("--provision-playbook", default="playbooks/provision.yml")
    parser.add_argument("--mitogen", action="store_true", help="mitogen's strategy, one interpreter per region")
    args = parser.parse_args()
    endpoint, work, env, strategy = start_simulator("regionsim-bench-", args.mitogen)
    writers = []
    try:
        durations = control(endpoint, "GET", "durations")

        prepare(endpoint, env, args.provision_playbook, args.scale, before_outage=lambda: writers.append(Writer(endpoint, env, work)))
        started = time.time()
        wall = playbook(env, "playbooks/failover.yml", *extra_vars(
            {"target": TARGET, "failover_owner": "benchmark", "failover_poll_interval": args.poll_interval,
             "report_dir": str(work / "reports"), "allow_data_loss": True}))
        ended = time.time()
        writes = writers[0].stop()
        entries = [e for e in control(endpoint, "GET", f"log?since={started}")
                   if e["service"] and e["ts"] <= ended and "regionapp/" not in e.get("agent", "")]  # not the application's
        report = json.loads(next((work / "reports").glob(f"failover-{TARGET}-*.json")).read_text())

        prepare(endpoint, env, args.provision_playbook, args.scale)
        sequential_book, times_file = work / "sequential.yml", work / "sequential-times.json"
        sequential_book.write_text(SEQUENTIAL_PLAYBOOK)
        playbook(env, sequential_book, *extra_vars(
            {"target": TARGET, "poll_interval": args.poll_interval, "times_file": str(times_file)}))
        sequential = json.loads(times_file.read_text())
    finally:
        for writer in writers:  # a failed run leaves no writer behind
            if writer.process is not None and writer.process.poll() is None:
                writer.process.kill()
        subprocess.run([str(BIN / "regionsim"), "stop"], env=env, check=False, capture_output=True)
    shutil.rmtree(work)  # kept after a failure: the simulator's log is in it

    # Seconds each step takes in the latency table (scale 1): the final status's time.
    table = {step: durations[key][-1][1] for step, key in {**PARALLEL, **DNS}.items()}
    critical_real = max(table[step] for step in PARALLEL) + table["dns"]
    critical = critical_real * args.scale
    overhead = wall - critical
    sequential_total = sum(sequential.values())
    timeline = {step["step"]: step["seconds"] for step in report["timeline"]}

    print(f"failover.yml to {TARGET} during an outage of {SOURCE} ({report['mode']}), latency model scale {args.scale}, "
          f"poll interval {args.poll_interval} s, strategy {strategy.get('ANSIBLE_STRATEGY', 'linear')}")
    print(f"{'step':12} {'table s':>8} {'scaled s':>9} {'failover s':>11} {'sequential s':>13}")
    for step in ("preflight", *PARALLEL, *DNS, "config", "verify"):
        real = table.get(step)
        cells = (f"{real:8.0f} {real * args.scale:9.2f}" if real is not None else f"{'':8} {'':9}")
        seq = f"{sequential[step]:13.2f}" if step in sequential else ""
        print(f"{step:12} {cells} {timeline.get(step, 0):11.2f} {seq}")
    print("(failover s: the report's timeline; database, cache and capacity run in parallel, each from the same start)")
    print()
    print(f"failover wall time          {wall:8.2f} s  (ansible-playbook start to exit; the report's RTO: {report['rto_seconds']:.2f} s)")
    print(f"critical path (table)       {critical:8.2f} s  = (max(promote, cache failover, launch instance) + route53 change) "
          f"x scale = {critical_real:.0f} s x {args.scale}")
    print(f"orchestration overhead      {overhead:8.2f} s  = wall time - critical path")
    print(f"sequential run              {sequential_total:8.2f} s  (the failover's modules one after another with "
          f"ansible-playbook, each step timed between tasks)")
    print(f"  table, one after another  {sum(table.values()) * args.scale:8.2f} s  = sum of the four steps x scale")
    print(f"failover / sequential       {wall / sequential_total:8.2f}   (whole failover, preflight to report, "
          f"against the four steps alone)")
    slowest = max(PARALLEL, key=timeline.get)
    parallel_part = timeline[slowest] + timeline["dns"]
    print(f"  long steps / sequential   {parallel_part / sequential_total:8.2f}   (the failover's slowest parallel step, {slowest} "
          f"{timeline[slowest]:.2f} s, + dns {timeline['dns']:.2f} s)")
    print(f"projected RTO on AWS        {critical_real + overhead:8.0f} s  = critical path at scale 1 ({critical_real:.0f} s) "
          f"+ orchestration overhead ({overhead:.0f} s), against an RTO budget of {report['rto_budget_seconds']} s")
    print("  (assumes the overhead does not grow with AWS's durations: it is ansible, the checks and the polling, "
          "not waiting on AWS)")
    if writes:
        print(f"write downtime (client)     {writes['write_downtime_s']:8.2f} s  (the application's last acknowledged write before "
              f"the outage to its first after the failover; {writes['writes_acknowledged']} acknowledged before it, "
              f"{writes['writes_lost']} lost; the report claims a data-loss window of {report['data_loss_window_seconds']} s)")
    else:
        print("write downtime (client)          n/a  (the simulator runs without its data plane)")
    print()
    calls = aws_calls(entries)
    total = Counter()
    for row in calls.values():
        total.update(row)
    print(f"AWS calls made by the failover: {total['reads'] + total['writes']} "
          f"({total['reads']} reads: Describe/List/Get, {total['writes']} writes)")
    print(f"{'region':12} {'reads':>6} {'writes':>7} {'no answer (outage)':>19}")
    for region in sorted(calls):
        row = calls[region]
        print(f"{region:12} {row['reads']:6d} {row['writes']:7d} {row['unanswered']:19d}")


if __name__ == "__main__":
    main()
