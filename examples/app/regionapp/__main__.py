"""python -m regionapp serve|load|count (examples/app/README.md)."""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import botocore.exceptions
import pymysql

from . import config as app_config
from .client import App, config_loader
from .load import outcome, present_on, read_acks, run_load

# Its AWS calls say who made them (regionsim's log tells them from the playbooks').
CLIENT_CONFIG = botocore.config.Config(user_agent_extra="regionapp/1")


def db_password(args):
    """APP_DB_PASSWORD, else the password of the Secrets Manager secret --db-secret (JSON with "password", as the
    rds role keeps the master password, replicated to every region) read in this region."""
    password = os.environ.get("APP_DB_PASSWORD")
    if password:
        return password
    if not args.db_secret:
        raise app_config.ConfigError("no database password: set APP_DB_PASSWORD, or name its Secrets Manager secret with --db-secret")
    if not args.region:
        raise app_config.ConfigError(f"--db-secret {args.db_secret} needs --region (the secret is read in this region)")
    try:
        text = boto3.client("secretsmanager", region_name=args.region, config=CLIENT_CONFIG).get_secret_value(SecretId=args.db_secret)["SecretString"]
        return json.loads(text)["password"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise app_config.ConfigError(f"the secret {args.db_secret} cannot be read in {args.region}: {exc}") from None
    except (ValueError, KeyError, TypeError):
        raise app_config.ConfigError(f"the secret {args.db_secret} is not JSON with a password") from None


def make_app(args):
    ssm = boto3.client("ssm", region_name=args.region, config=CLIENT_CONFIG)
    cloudwatch = boto3.client("cloudwatch", region_name=args.region, config=CLIENT_CONFIG) if args.metrics else None
    return App(config_loader(ssm, args.app), args.user, db_password(args), args.database, cloudwatch,
               run=getattr(args, "run", None))


def make_server(app, host, port):
    """GET /health: 200 while the application runs with its configuration (liveness: what the load balancer and the
    auto scaling group check, so that a database outage never makes them replace every instance); GET /ready: 200
    when the configured writer takes writes now, else 503 (readiness to write, for monitoring and drills)."""
    lock = threading.Lock()

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            path = self.path.split("?")[0]
            if path not in ("/health", "/ready"):
                self.send_error(404)
                return
            body = {"region": app.config.region, "active_region": app.config.active_region, "writer": str(app.config.writer)}
            status = 200
            if path == "/ready":
                with lock:
                    body["can_write"] = app.can_write()
                status = 200 if body["can_write"] else 503
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_):
            pass

    return ThreadingHTTPServer((host, port), Health)


def serve(args):
    app = make_app(args)
    server = make_server(app, args.host, args.port)
    print(f"regionapp: /health and /ready on http://{args.host}:{args.port} (region {app.config.region})", flush=True)
    server.serve_forever()


def load(args):
    app = make_app(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    last = run_load(app, args.ack_log, args.rate, args.duration, args.start_seq, stop.is_set)
    print(json.dumps({"run": app.run, "last_seq": last - 1, "ack_log": args.ack_log}))


def count(args):
    password = db_password(args)
    if args.writer:
        writer = app_config.Endpoint.parse(args.writer, "--writer")
    elif args.region:
        writer = config_loader(boto3.client("ssm", region_name=args.region, config=CLIENT_CONFIG), args.app)().writer
    else:
        raise app_config.ConfigError("count needs --writer HOST[:PORT], or --region to read the writer from its configuration")
    acks = read_acks(args.ack_log)
    with pymysql.connect(host=writer.host, port=writer.port, user=args.user, password=password, database=args.database,
                         connect_timeout=5) as connection:
        present = present_on(connection, {a["run"] for a in acks})
    moves = json.loads(args.moves) if args.moves else []
    print(json.dumps(outcome(acks, present, moves), indent=2))


def parser():
    p = argparse.ArgumentParser(prog="python -m regionapp")
    p.add_argument("--app", default=os.environ.get("APP_NAME", "multiregion-app"), help="application name (SSM /<app>/config/)")
    p.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    p.add_argument("--user", default=os.environ.get("APP_DB_USER", "admin"))
    p.add_argument("--database", default=os.environ.get("APP_DB_NAME", "app"))
    p.add_argument("--db-secret", default=os.environ.get("APP_DB_SECRET"),
                   help="Secrets Manager secret with the database password (when APP_DB_PASSWORD is not set)")
    p.add_argument("--no-metrics", dest="metrics", action="store_false", help="publish no CloudWatch metrics")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve /health (200 while running) and /ready (200 when the writer takes writes)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.set_defaults(func=serve)
    s = sub.add_parser("load", help="write sequenced rows at a steady rate; log every acknowledgement")
    s.add_argument("--ack-log", required=True)
    s.add_argument("--rate", type=float, default=10.0)
    s.add_argument("--duration", type=float, default=60.0)
    s.add_argument("--start-seq", type=int, default=1)
    s.add_argument("--run", help="this run's id (default: region, start time and random digits); rows are (run, seq)")
    s.set_defaults(func=load)
    s = sub.add_parser("count", help="compare the acknowledged writes with what the final primary holds")
    s.add_argument("--ack-log", required=True)
    s.add_argument("--writer", help="the final primary, host[:port] (default: the writer of --region's configuration)")
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
