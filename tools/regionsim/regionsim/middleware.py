"""WSGI middleware in front of moto: the control API, outages, faults and the request log."""

import io
import json
import socket
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

from . import access, dataplane, protocol, snapshot, timeline
from .state import GLOBAL_SERVICES, STATE

CONTROL_PREFIX = "/_regionsim/"
OUTAGE_TIMEOUT_MAX = 120  # "timeout" outages hold a request at most this long, then drop it


def known_regions():
    import botocore.session

    return sorted(botocore.session.get_session().get_available_regions("ec2"))


def _json(start_response, status, payload):
    data = json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class _DroppedConnection(Exception):
    pass


def _drop(environ):
    """Close the client's connection without an answer, as an unreachable endpoint does."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class RegionSimMiddleware:
    def __init__(self, app, reset_backends):
        self.app = app
        self.reset_backends = reset_backends
        self.regions = known_regions()

    # control API -------------------------------------------------------------------
    def control(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        command = environ["PATH_INFO"][len(CONTROL_PREFIX):].strip("/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        args = json.loads(raw) if raw else {}
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if command == "status":
                shown = sorted(set(self.default_regions()) | set(STATE.outages))
                clock = {"timeline_pending": timeline.SCHEDULER.pending(), "clock_held": timeline.SCHEDULER.held()}
                return _json(start_response, "200 OK", STATE.snapshot(shown) | clock)
            if command == "outage" and method == "POST":
                region = args.get("region")
                self.check_region(region)
                STATE.set_outage(region, args.get("mode") or "drop", bool(args.get("control_planes")))
                return _json(start_response, "200 OK", {"region": region, "state": "down"})
            if command == "restore" and method == "POST":
                region = args.get("region")
                if region:
                    self.check_region(region)
                STATE.restore(region)
                return _json(start_response, "200 OK", {"region": region or "all", "state": "up"})
            if command == "partition" and method == "POST":
                from .patches.route53 import CHECKER_REGIONS  # here: the patches load after the middleware

                region, checker = args.get("region"), args.get("checker")
                self.check_region(region)
                if checker not in CHECKER_REGIONS:
                    raise ValueError(f"checker={checker!r} is not a Route 53 health checker region ({', '.join(CHECKER_REGIONS)})")
                STATE.partition(checker, region)
                return _json(start_response, "200 OK", {"partitions": STATE.snapshot([])["partitions"]})
            if command == "faults" and method == "POST":
                if args.get("region") not in (None, "*"):
                    self.check_region(args["region"])
                fault = STATE.add_fault(**args)
                return _json(start_response, "200 OK", fault)
            if command == "faults" and method == "DELETE":
                STATE.clear_faults()
                return _json(start_response, "200 OK", {"faults": []})
            if command == "latency" and method == "POST":
                STATE.set_latency(args.get("enabled", True), args.get("scale"))
                return _json(start_response, "200 OK", dict(STATE.latency))
            if command == "clock" and method == "POST":
                return _json(start_response, "200 OK", self.clock(args.get("action")))
            if command == "lag" and method == "POST":
                if args.get("region") not in (None, "*"):
                    self.check_region(args["region"])
                STATE.set_lag(args["seconds"], args.get("region"), args.get("service"), args.get("resource"))
                return _json(start_response, "200 OK", {"lag": STATE.snapshot([])["lag"]})
            if command == "log" and method == "GET":
                return _json(start_response, "200 OK", STATE.entries(float(query.get("since", 0))))
            if command == "log" and method == "DELETE":
                STATE.log.clear()
                return _json(start_response, "200 OK", {"cleared": True})
            if command == "durations":
                return _json(start_response, "200 OK", timeline.DURATIONS)
            if command == "reset" and method == "POST":
                self.reset()
                return _json(start_response, "200 OK", {"reset": True})
            if command == "snapshots" and method == "GET":
                return _json(start_response, "200 OK", {"snapshots": snapshot.names()})
            if command == "snapshots" and method == "POST":
                return _json(start_response, "200 OK", snapshot.save(args.get("name"), args.get("path")))
            if command == "snapshots/load" and method == "POST":
                return _json(start_response, "200 OK", snapshot.load(args.get("name"), self.reset, args.get("path")))
            if command in ("data-plane", "replication"):
                return _json(start_response, "200 OK", dataplane.control(command, method, args))
            if command == "snapshots" and method == "DELETE":
                snapshot.delete(args.get("name"))
                return _json(start_response, "200 OK", {"snapshots": snapshot.names()})
        except (ValueError, TypeError) as exc:
            return _json(start_response, "400 Bad Request", {"error": str(exc)})
        return _json(start_response, "404 Not Found", {"error": f"unknown control call {method} {command!r}"})

    @staticmethod
    def clock(action):
        """Hold the latency model's clock, apply its next step, or let it run again."""
        scheduler = timeline.SCHEDULER
        applied = 0
        if action == "hold":
            scheduler.hold()
        elif action == "release":
            scheduler.release()
        elif action == "step":
            if not scheduler.held():
                raise ValueError("the clock is running: hold it before stepping it")
            applied = scheduler.step()
        else:
            raise ValueError(f"unknown clock action {action!r}; allowed: hold, step, release")
        return {"held": scheduler.held(), "applied": applied, "pending": scheduler.pending()}

    def reset(self):
        """Every resource, outage, fault, lag and log entry forgotten (snapshots are kept)."""
        timeline.reset()
        STATE.reset()
        self.reset_backends()

    def check_region(self, region):
        if region not in self.regions:
            raise ValueError(f"unknown region {region!r}; AWS regions are: {', '.join(self.regions)}")

    @staticmethod
    def default_regions():
        import os

        names = os.environ.get("REGIONSIM_REGIONS", "us-east-1,us-west-2,eu-west-1")
        return [r.strip() for r in names.split(",") if r.strip()]

    # AWS requests ------------------------------------------------------------------
    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        region, service = protocol.region_and_service(environ)
        action = protocol.action_of(environ, body, service) if service else None
        started = time.time()
        entry = {
            "time": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds"),
            "ts": started,
            "region": region,
            "service": service,
            "action": action,
            # who called: tells the application's calls from the playbooks' (benchmarks/failover.py counts them apart)
            "agent": environ.get("HTTP_USER_AGENT", "")[:300],
        }

        def finish(status, fault=None):
            entry["status"] = status
            entry["ms"] = round((time.time() - started) * 1000, 1)
            if fault:
                entry["fault"] = fault
            STATE.record(entry)

        if region and service not in GLOBAL_SERVICES:
            outage = STATE.outage_of(region)
            if outage:
                return self.outage(environ, start_response, body, outage, region, finish)
        down = STATE.control_plane_outage(service) if service in GLOBAL_SERVICES else None
        if down:
            return self.outage(environ, start_response, body, down[1], down[0], finish)

        for fault in STATE.matching_faults(region, service, action):
            if fault["kind"] == "latency":
                time.sleep(fault["delay_ms"] / 1000.0)
            elif fault["kind"] == "throttle":
                code, status = protocol.throttle_code(environ, body)
                code = fault.get("code") or code
                finish(status, "throttle")
                return self.send_error(environ, start_response, body, code, "Rate exceeded", status)
            elif fault["kind"] == "error":
                code = fault.get("code") or "InternalFailure"
                finish(500, "error")
                return self.send_error(environ, start_response, body, code, "Injected fault (regionsim)", 500)

        # IAM decides after the region answers and before the service does
        refusal, principal, resources = access.authorize(environ, body, region, service, action)
        if principal:
            entry["principal"], entry["resources"] = principal, resources
        if refusal:
            code, message, status = refusal
            finish(status, "denied")
            return self.send_error(environ, start_response, body, code, message, status)

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, capture)
        finally:
            finish(captured.get("status", 500))
            dataplane.after_request(service)

    @staticmethod
    def send_error(environ, start_response, body, code, message, status):
        status_line, headers, payload = protocol.error_response(environ, body, code, message, status)
        start_response(status_line, headers)
        return [payload]

    def outage(self, environ, start_response, body, outage, region, finish):
        mode = outage["mode"]
        if mode == "503":
            finish(503, "outage")
            return self.send_error(
                environ, start_response, body, "ServiceUnavailable", f"{region} is unavailable (regionsim outage)", 503
            )
        if mode == "timeout":
            deadline = time.time() + OUTAGE_TIMEOUT_MAX
            with STATE.outage_released:
                while STATE.is_down(region) and time.time() < deadline:
                    STATE.outage_released.wait(deadline - time.time())
        finish("dropped", "outage")
        _drop(environ)
        start_response("503 Service Unavailable", [("Content-Length", "0")])
        return [b""]
