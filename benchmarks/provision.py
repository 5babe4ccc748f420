#!/usr/bin/env python3
"""Benchmark: wall time of playbooks/provision.yml for one region and for three, in one run.

Starts its own regionsim on a free port (latency model off unless --scale is given), provisions
us-east-1 alone (--limit), resets, provisions all three regions, and prints both side by side with
the ratio. Regions run in parallel, so three should cost well under three times one.

    .venv/bin/python benchmarks/provision.py [--scale 0.01] [--repeat 1] [--mitogen]

CPU s is what ansible-playbook and its modules used, sim CPU s the simulator's server (its MariaDB and Redis
servers, REGIONSIM_DATA_PLANE=0 to leave them out, are not counted).

--mitogen runs provision.yml with mitogen's strategy and an interpreter per region, as the tests do.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from strategy import mitogen_args, mitogen_env  # noqa: E402  (tests/strategy.py)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(endpoint, command, payload):
    request = urllib.request.Request(f"{endpoint}/_regionsim/{command}", data=json.dumps(payload).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def calls(endpoint, since):
    with urllib.request.urlopen(f"{endpoint}/_regionsim/log?since={since}", timeout=60) as response:
        return len(json.loads(response.read()))


def sim_cpu(state, port):
    """CPU seconds (user+sys) the simulator's server process has used so far."""
    pid = (Path(state) / f"regionsim-{port}.pid").read_text().strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def provision(env, limit=None, extra=()):
    cmd = [str(BIN / "ansible-playbook"), "playbooks/provision.yml", *extra]
    if limit:
        cmd += ["--limit", limit]
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"provision failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    # CPU (user+sys of ansible-playbook and its modules): what a busy machine does not distort
    return elapsed, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, help="turn the latency model on at this time scale")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mitogen", action="store_true", help="mitogen's strategy, an interpreter per region (as the tests)")
    args = parser.parse_args()
    strategy = mitogen_env() if args.mitogen else {}
    if args.mitogen and not strategy:
        sys.exit("--mitogen: ansible_mitogen is not installed (make setup installs it)")
    extra = mitogen_args() if args.mitogen else []

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    state = tempfile.mkdtemp(prefix="regionsim-bench-")
    env = dict(os.environ, REGIONSIM_PORT=str(port), REGIONSIM_STATE_DIR=state, AWS_ENDPOINT_URL=endpoint,
               AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), **strategy)
    subprocess.run([str(BIN / "regionsim"), "start"], env=env, check=True, capture_output=True)
    try:
        rows = []
        for _ in range(args.repeat):
            for label, limit in (("1 region (us-east-1)", "us-east-1"), ("3 regions", None)):
                control(endpoint, "reset", {})
                if args.scale:
                    control(endpoint, "latency", {"enabled": True, "scale": args.scale})
                since, sim_before = time.time(), sim_cpu(state, port)
                seconds, cpu = provision(env, limit, extra)
                rows.append((label, seconds, cpu, sim_cpu(state, port) - sim_before, calls(endpoint, since)))
    finally:
        subprocess.run([str(BIN / "regionsim"), "stop"], env=env, check=False, capture_output=True)

    print(f"provision.yml wall time (latency model: {'scale ' + str(args.scale) if args.scale else 'off'}; "
          f"strategy {strategy.get('ANSIBLE_STRATEGY', 'linear')})")
    print(f"{'run':24} {'seconds':>9} {'CPU s':>7} {'sim CPU s':>10} {'AWS calls':>10}")
    for label, seconds, cpu, sim, count in rows:
        print(f"{label:24} {seconds:9.1f} {cpu:7.1f} {sim:10.1f} {count:10d}")
    one = min(row[1] for row in rows if row[0].startswith("1"))
    three = min(row[1] for row in rows if row[0].startswith("3"))
    print(f"three regions cost {three / one:.2f}x one region (3.00x would be no parallelism)")


if __name__ == "__main__":
    main()
