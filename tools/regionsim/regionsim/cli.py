"""regionsim command line: start/stop/status/reset the simulator, outages, faults, latency, clock, log, snapshots."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import DEFAULT_HOST, DEFAULT_PORT, security
from .control import Control, SimError


def state_dir(args):
    path = Path(args.state_dir) if args.state_dir else security.default_state_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def client(args):
    return Control(endpoint(args), state_dir=state_dir(args))


def endpoint(args):
    return f"http://{args.host}:{args.port}"


def call(args, method, command, payload=None, timeout=10):
    return client(args).call(method, command, payload, timeout)


def running(args):
    try:
        call(args, "GET", "status", timeout=2)
        return True
    except SimError:
        return False


def pid_file(args):
    return state_dir(args) / f"regionsim-{args.port}.pid"


def cmd_start(args):
    if running(args):
        print(f"regionsim already running at {endpoint(args)}")
        return 0
    log_path = state_dir(args) / f"regionsim-{args.port}.log"
    data_plane = ["--no-data-plane"] if args.no_data_plane else ["--data-dir", str(state_dir(args) / f"dataplane-{args.port}")]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "regionsim.server", "--host", args.host, "--port", str(args.port), "--state-dir", str(state_dir(args)),
             *data_plane],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file(args).write_text(str(process.pid))
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SimError(f"regionsim exited with code {process.returncode}; see {log_path}")
        if running(args):
            print(f"regionsim started at {endpoint(args)} (pid {process.pid}, log {log_path})")
            return 0
        time.sleep(0.2)
    process.kill()
    raise SimError(f"regionsim did not answer within 60 s; see {log_path}")


def cmd_stop(args):
    path = pid_file(args)
    if not path.exists():
        print("regionsim is not running" if not running(args) else f"regionsim at {endpoint(args)} was not started by this state folder")
        return 0
    pid = int(path.read_text().strip() or 0)
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 10
        while time.time() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    path.unlink(missing_ok=True)
    security.token_file(state_dir(args), args.port).unlink(missing_ok=True)
    print(f"regionsim stopped (pid {pid})")
    return 0


def cmd_status(args):
    status = call(args, "GET", "status")
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"regionsim at {endpoint(args)}")
    for region, state in status["regions"].items():
        outage = status["outages"].get(region) or {}
        planes = ", control planes" if outage.get("control_planes") else ""
        extra = f" (since {time.strftime('%H:%M:%S', time.localtime(outage['since']))}, mode {outage['mode']}{planes})" if state == "down" else ""
        print(f"  {region:16} {state}{extra}")
    latency = status["latency"]
    print(f"  latency model: {'on, scale ' + str(latency['scale']) if latency['enabled'] else 'off'}"
          f"{', clock held' if status.get('clock_held') else ''}, {status.get('timeline_pending', 0)} status change(s) pending")
    for fault in status["faults"]:
        print(f"  fault: {fault['kind']} p={fault['probability']} region={fault['region']} service={fault['service']} action={fault['action']} hits={fault['hits']}")
    print(f"  requests logged: {status['requests_logged']}")
    return 0


def cmd_reset(args):
    call(args, "POST", "reset", {})
    print("regionsim reset: all resources, outages, faults and the log cleared")
    return 0


def cmd_outage(args):
    call(args, "POST", "outage", {"region": args.region, "mode": args.mode, "control_planes": args.control_planes})
    planes = ", with the Route 53 and CloudFront control planes" if args.control_planes else ""
    print(f"{args.region} is down ({args.mode}{planes})")
    return 0


def cmd_partition(args):
    call(args, "POST", "partition", {"checker": args.checker, "region": args.region})
    print(f"the Route 53 health checker in {args.checker} cannot reach {args.region} (until: regionsim restore {args.region})")
    return 0


def cmd_restore(args):
    call(args, "POST", "restore", {"region": args.region})
    print(f"{args.region or 'every region'} is up")
    return 0


def cmd_fault(args):
    if args.kind == "clear":
        call(args, "DELETE", "faults")
        print("faults cleared")
        return 0
    if args.kind == "list":
        print(json.dumps(call(args, "GET", "status")["faults"], indent=2))
        return 0
    fault = call(
        args,
        "POST",
        "faults",
        {
            "kind": args.kind,
            "probability": args.probability,
            "region": args.region,
            "service": args.service,
            "action": args.action,
            "delay_ms": args.delay_ms,
            "code": args.code,
            "count": args.count,
        },
    )
    print(json.dumps(fault))
    return 0


def cmd_latency(args):
    result = call(args, "POST", "latency", {"enabled": args.state == "on", "scale": args.scale})
    print(f"latency model {'on, scale ' + str(result['scale']) if result['enabled'] else 'off'}")
    return 0


def cmd_clock(args):
    result = call(args, "POST", "clock", {"action": args.action})
    state = "held" if result["held"] else "running"
    print(f"latency clock {state}; {result['applied']} status change(s) applied, {result['pending']} pending")
    return 0


def cmd_lag(args):
    call(args, "POST", "lag", {"seconds": args.seconds, "region": args.region, "service": args.service, "resource": args.resource})
    print(f"replication lag {args.seconds} s for {args.service} {args.resource} in {args.region}")
    return 0


def cmd_log(args):
    if args.clear:
        call(args, "DELETE", "log")
        return 0
    for entry in call(args, "GET", f"log?since={args.since}", timeout=60):
        print(json.dumps(entry))
    return 0


def cmd_snapshot(args):
    control = client(args)
    if args.file and args.action not in ("save", "load"):
        raise SimError("--file goes with snapshot save or load")
    if args.action == "list":
        print("\n".join(control.snapshots()) or "no snapshots")
        return 0
    if not args.name and args.action != "delete":
        raise SimError(f"snapshot {args.action} needs a name")
    if args.action == "save":
        control.save_snapshot(args.name, args.file)
        print(f"snapshot {args.name} saved: every resource as it is now" + (f", also in {args.file}" if args.file else ""))
    elif args.action == "load":
        control.load_snapshot(args.name, args.file)
        print(f"snapshot {args.name} loaded" + (f" from {args.file}" if args.file else "") + ": its resources, with no outage, fault, lag or log")
    else:
        control.delete_snapshot(args.name)
        print(f"snapshot {args.name or 'every snapshot'} deleted")
    return 0


def cmd_replication(args):
    if args.action == "delay" and args.seconds is None:
        raise SimError("replication delay needs SECONDS")
    served = Control(endpoint(args)).replication(args.action, args.resource, args.region, args.seconds)
    print(f"{served['region']}/{served['name']}: replication {args.action}"
          f"{' ' + str(served['delay']) + ' s' if args.action == 'delay' else ''} (source {served['source']})")
    return 0


def cmd_data_plane(args):
    print(json.dumps(Control(endpoint(args)).data_plane(), indent=2))
    return 0


def cmd_durations(args):
    print(json.dumps(call(args, "GET", "durations"), indent=2))
    return 0


def parser():
    p = argparse.ArgumentParser(prog="regionsim", description="Local multi-region AWS simulator (moto, made to follow AWS).")
    p.add_argument("--host", default=os.environ.get("REGIONSIM_HOST", DEFAULT_HOST))
    p.add_argument("--port", type=int, default=int(os.environ.get("REGIONSIM_PORT", DEFAULT_PORT)))
    p.add_argument("--state-dir", help="pid and log folder (default $REGIONSIM_STATE_DIR or ~/.local/state/regionsim)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="start in the background (a no-op when running)")
    s.add_argument("--no-data-plane", action="store_true", default=os.environ.get("REGIONSIM_DATA_PLANE", "1") in ("0", "false", "no", "off"),
                   help="no real MariaDB/Redis servers behind RDS/ElastiCache (also REGIONSIM_DATA_PLANE=0)")
    s.set_defaults(func=cmd_start)
    sub.add_parser("stop", help="stop the background simulator").set_defaults(func=cmd_stop)
    s = sub.add_parser("status", help="regions up or down, faults, latency model")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    sub.add_parser("reset", help="forget every resource, outage, fault and log entry").set_defaults(func=cmd_reset)
    s = sub.add_parser("outage", help="take a region down (global services keep answering)")
    s.add_argument("region")
    s.add_argument("--mode", choices=["drop", "timeout", "503"], default="drop", help="drop: connection closed (default); timeout: no answer; 503: ServiceUnavailable")
    s.add_argument("--control-planes", action="store_true",
                   help="also take down the global control planes homed in the region (us-east-1: the Route 53 and "
                        "CloudFront APIs); health checks keep checking")
    s.set_defaults(func=cmd_outage)
    s = sub.add_parser("partition", help="cut one Route 53 health checker off from a region (its observations fail, the others not)")
    s.add_argument("checker", help="the checker's region, e.g. sa-east-1")
    s.add_argument("region")
    s.set_defaults(func=cmd_partition)
    s = sub.add_parser("restore", help="end an outage and the partitions from a region (every region when none is named)")
    s.add_argument("region", nargs="?")
    s.set_defaults(func=cmd_restore)
    s = sub.add_parser("fault", help="inject throttling, latency or errors")
    s.add_argument("kind", choices=["throttle", "latency", "error", "clear", "list"])
    s.add_argument("--probability", type=float, default=1.0)
    s.add_argument("--region", default="*")
    s.add_argument("--service", default="*", help="botocore service name: rds, ec2, elasticache, cloudwatch, ...")
    s.add_argument("--action", default="*", help="API action, e.g. PromoteReadReplica")
    s.add_argument("--delay-ms", type=int, default=0)
    s.add_argument("--code", help="error code to send instead of the service's own")
    s.add_argument("--count", type=int, help="fire at most this many times")
    s.set_defaults(func=cmd_fault)
    s = sub.add_parser("latency", help="latency model: long operations take (scaled) AWS time")
    s.add_argument("state", choices=["on", "off"])
    s.add_argument("--scale", type=float, help="time scale, e.g. 0.01 (a 4 minute promotion takes 2.4 s)")
    s.set_defaults(func=cmd_latency)
    s = sub.add_parser("clock", help="latency model clock: hold it (status changes wait), step it (apply the next), release it")
    s.add_argument("action", choices=["hold", "step", "release"])
    s.set_defaults(func=cmd_clock)
    s = sub.add_parser("lag", help="replication lag (seconds) that CloudWatch reports for replicas")
    s.add_argument("seconds", type=float)
    s.add_argument("--region", default="*", help="the replica's region")
    s.add_argument("--service", default="*", choices=["*", "rds", "aurora", "elasticache", "dynamodb", "s3"])
    s.add_argument("--resource", default="*", help="replica id: DB instance, DB cluster, replication group, table, bucket")
    s.set_defaults(func=cmd_lag)
    s = sub.add_parser("log", help="the request log as JSON lines")
    s.add_argument("--since", type=float, default=0.0, help="epoch seconds")
    s.add_argument("--clear", action="store_true")
    s.set_defaults(func=cmd_log)
    sub.add_parser("durations", help="the latency model's table").set_defaults(func=cmd_durations)
    s = sub.add_parser("replication", help="data plane: delay (MASTER_DELAY), stop or start an RDS read replica's replication")
    s.add_argument("action", choices=["delay", "stop", "start"])
    s.add_argument("resource", help="the read replica's DB instance identifier")
    s.add_argument("seconds", nargs="?", type=float, help="delay: how many seconds the replica stays behind its source")
    s.add_argument("--region", help="the replica's region (when the identifier is in several)")
    s.set_defaults(func=cmd_replication)
    sub.add_parser("data-plane", help="the data plane's servers as JSON (address, port, source, read_only)").set_defaults(func=cmd_data_plane)
    s = sub.add_parser("snapshot", help="save every resource under a name, load it back (resets the rest), list, delete")
    s.add_argument("action", choices=["save", "load", "list", "delete"])
    s.add_argument("name", nargs="?", help="the snapshot's name (delete without one: every snapshot)")
    s.add_argument("--file", help="save: also write the snapshot to this file; load: read it from this file first "
                                  "(a file outlives the simulator: load it after a restart)")
    s.set_defaults(func=cmd_snapshot)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SimError as exc:
        print(f"regionsim: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
