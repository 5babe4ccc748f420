#!/usr/bin/env python3
"""Benchmark: repeated drills on the simulator's data plane, with the writes counted, as a table.

Starts its own regionsim (data plane on: real MariaDB behind RDS) on a free port, provisions three regions once,
then runs `playbooks/drill.yml` N times: the reference application writes from the drill's region while the home
region goes down, the failover runs (unplanned), the region comes back and the failback runs (planned). Every
second drill first delays the drill region's replica (`--lag`, MASTER_DELAY), so the failover really loses the
writes of those seconds. Prints, per drill and move, the writes acknowledged and lost on the final primary, the
data-loss window measured on them beside the one the run claimed, the client's write downtime, and the transactions
the failback found only on the old primary it retired (old only: never fewer than the writes the failover lost);
and whether every planned move lost nothing and no unplanned one lost more than it claimed.

    .venv/bin/python benchmarks/drills.py [--drills 5] [--lag 30] [--target us-west-2] [--mitogen]
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from failover import APP_NAME, BIN, SOURCE as HOME, control, extra_vars, playbook, start_simulator  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drills", type=int, default=5)
    parser.add_argument("--lag", type=float, default=30, help="replication delay of every second drill, seconds (0: none)")
    parser.add_argument("--target", default="us-west-2", help="the drill's region")
    parser.add_argument("--mitogen", action="store_true", help="mitogen's strategy, one interpreter per region")
    args = parser.parse_args()
    endpoint, work, env, _ = start_simulator("regionsim-drills-", args.mitogen, REGIONSIM_DATA_PLANE="1")
    rows = []
    try:
        control(endpoint, "GET", "data-plane")  # fails without the data plane: nothing to count
        playbook(env, "playbooks/provision.yml")
        for number in range(1, args.drills + 1):
            lag = args.lag if number % 2 == 0 else 0
            if lag:
                control(endpoint, "POST", "replication", {"action": "delay", "resource": f"{APP_NAME}-db", "region": args.target, "seconds": lag})
            seconds = playbook(env, "playbooks/drill.yml", *extra_vars({"drill_target": args.target, "report_dir": str(work / "reports")}))
            report = json.loads(sorted((work / "reports").glob("drill-*Z.json"))[-1].read_text())
            # what the failback found only on the old primary it retired (its GTIDs beyond the new primary's)
            retired = json.loads(Path(report["failback"]["report"]).read_text())["retired_databases"]
            report["old_only"] = next((r for r in retired if r["region"] == HOME), None)
            rows.append((number, lag, seconds, report))
    finally:
        subprocess.run([str(BIN / "regionsim"), "stop"], env=env, check=False, capture_output=True)

    print(f"{len(rows)} drills on the data plane: {HOME} down, failover to {args.target} (unplanned), restore, failback (planned); "
          f"the application writes 20 rows/s from {args.target}")
    print(f"{'drill':>5} {'delay s':>7} {'move':9} {'mode':10} {'acked':>6} {'lost':>5} {'measured s':>10} {'claimed s':>9} "
          f"{'claim ok':>8} {'downtime s':>10} {'old only':>8} {'drill s':>7}")
    safe, stalled = True, []
    for number, lag, seconds, report in rows:
        for move in ("failover", "failback"):
            writes, claimed = report[move]["writes"], report[move]["data_loss_window_seconds"]
            mode = report[move].get("mode") or "planned"
            # a planned move loses nothing; an unplanned one never loses writes older than the window it claimed
            ok = writes["writes_lost"] == 0 if mode == "planned" else claimed is not None and claimed >= writes["data_loss_window_s"]
            safe &= ok
            if writes["write_downtime_s"] is None:
                stalled.append(f"drill {number} {move}")
            # the failback's count of the transactions only the retired old primary held: never below the lost writes
            old_only = report["old_only"] if move == "failover" else None
            found = "" if old_only is None else (str(old_only["count"]) if old_only["checked"] else "unknown")
            if move == "failover" and not (old_only and old_only["checked"] and old_only["count"] >= writes["writes_lost"]):
                safe = False
                found += " NO"
            print(f"{number:5d} {lag:7.0f} {move:9} {mode:10} {writes['writes_acknowledged']:6d} {writes['writes_lost']:5d} "
                  f"{writes['data_loss_window_s']:10.2f} {claimed if claimed is not None else 'unknown':>9} {'yes' if ok else 'NO':>8} "
                  f"{writes['write_downtime_s'] if writes['write_downtime_s'] is not None else float('nan'):10.2f} {found:>8} {seconds:7.1f}")
    print()
    print("every planned move lost 0 writes, no unplanned one lost more than it claimed, and every failback found at least the "
          "lost writes on the old primary it retired (old only)" if safe else "UNSAFE: a move lost more than its report claimed (see NO above)")
    if stalled:
        # not a loss the report hides, but an application that could not write again (downtime nan above)
        print(f"NO WRITE ACKNOWLEDGED after: {', '.join(stalled)}")
    if safe and not stalled:
        shutil.rmtree(work)
    else:  # kept: the reports, the writers' logs and the simulator's log are in it
        print(f"kept for reading: {work}")
    sys.exit(0 if safe and not stalled else 1)


if __name__ == "__main__":
    main()
