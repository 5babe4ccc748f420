"""python -m regionapp serve|load|count (examples/app/README.md)."""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pymysql

from . import config as app_config
from .client import App, config_loader
from .load import outcome, present_on, read_acks, run_load


def make_app(args):
    ssm = boto3.client("ssm", region_name=args.region)
    cloudwatch = boto3.client("cloudwatch", region_name=args.region) if args.metrics else None
    password = os.environ.get("APP_DB_PASSWORD")
    if not password:
        raise app_config.ConfigError("APP_DB_PASSWORD is not set: the database password comes from the environment")
    return App(config_loader(ssm, args.app), args.user, password, args.database, cloudwatch)


def serve(args):
    app = make_app(args)
    lock = threading.Lock()

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path != "/health":
                self.send_error(404)
                return
            with lock:
                ok = app.can_write()
                body = {"region": app.config.region, "active_region": app.config.active_region,
                        "writer": str(app.config.writer), "can_write": ok}
            data = json.dumps(body).encode()
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer((args.host, args.port), Health)
    print(f"regionapp: /health on http://{args.host}:{args.port} (region {app.config.region})", flush=True)
    server.serve_forever()


def load(args):
    app = make_app(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    last = run_load(app, args.ack_log, args.rate, args.duration, args.start_seq, stop.is_set)
    print(json.dumps({"last_seq": last - 1, "ack_log": args.ack_log}))


def count(args):
    writer = app_config.Endpoint.parse(args.writer, "--writer")
    password = os.environ.get("APP_DB_PASSWORD")
    if not password:
        raise app_config.ConfigError("APP_DB_PASSWORD is not set")
    with pymysql.connect(host=writer.host, port=writer.port, user=args.user, password=password, database=args.database,
                         connect_timeout=5) as connection:
        present = present_on(connection)
    moves = json.loads(args.moves) if args.moves else []
    print(json.dumps(outcome(read_acks(args.ack_log), present, moves), indent=2))


def parser():
    p = argparse.ArgumentParser(prog="python -m regionapp")
    p.add_argument("--app", default=os.environ.get("APP_NAME", "multiregion-app"), help="application name (SSM /<app>/config/)")
    p.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    p.add_argument("--user", default=os.environ.get("APP_DB_USER", "admin"))
    p.add_argument("--database", default=os.environ.get("APP_DB_NAME", "app"))
    p.add_argument("--no-metrics", dest="metrics", action="store_false", help="publish no CloudWatch metrics")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve /health (200 when this region's configuration can write)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.set_defaults(func=serve)
    s = sub.add_parser("load", help="write sequenced rows at a steady rate; log every acknowledgement")
    s.add_argument("--ack-log", required=True)
    s.add_argument("--rate", type=float, default=10.0)
    s.add_argument("--duration", type=float, default=60.0)
    s.add_argument("--start-seq", type=int, default=1)
    s.set_defaults(func=load)
    s = sub.add_parser("count", help="compare the acknowledged writes with what the final primary holds")
    s.add_argument("--ack-log", required=True)
    s.add_argument("--writer", required=True, help="the final primary, host[:port]")
    s.add_argument("--moves", help='JSON list of {"name", "at"} (epoch seconds): figures per move')
    s.set_defaults(func=count)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command != "count" and not args.region:
        print("regionapp: no region: pass --region or set AWS_REGION", file=sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except app_config.ConfigError as exc:
        print(f"regionapp: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
