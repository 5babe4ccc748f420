"""Simulator-wide state: outages, faults, latency model and the request log.

One instance lives in the server process; the control API (/_regionsim/...) reads and
changes it, and the patches consult it (for example a health check is unhealthy while the
region of its endpoint is out).
"""

import collections
import random
import threading
import time

# Services that answer from every region even when one region is out (they are global in AWS).
GLOBAL_SERVICES = frozenset(
    {"route53", "iam", "sts", "cloudfront", "organizations", "route53-recovery-control-config", "moto-api"}
)
OUTAGE_MODES = ("drop", "timeout", "503")
# Global services whose control plane (every API call) runs in one region: an outage of that region with
# control_planes=True takes their APIs down too, while their data planes (health checkers, DNS answers,
# edge locations) keep working (AWS fault-isolation guidance: static stability).
CONTROL_PLANES = {"route53": "us-east-1", "cloudfront": "us-east-1"}
FAULT_KINDS = ("throttle", "latency", "error")


class SimState:
    def __init__(self):
        self.lock = threading.RLock()
        self.rng = random.Random()
        self.outages = {}  # region -> {"since": epoch, "mode": str}
        self.faults = []  # list of dicts, see add_fault
        self.latency = {"enabled": False, "scale": 0.01}
        self.log = collections.deque(maxlen=200_000)
        # Replication lag the simulator reports in CloudWatch (patches/cloudwatch.py):
        # {(region, service, resource): seconds}; region/resource may be "*". Default 0.
        self.lag = {}
        # Route 53 health checkers cut off from a region (a network partition, not an outage): {(checker, region)}
        self.partitions = set()
        self.outage_released = threading.Condition(self.lock)

    # outages -------------------------------------------------------------
    def set_outage(self, region, mode="drop", control_planes=False):
        if mode not in OUTAGE_MODES:
            raise ValueError(f"outage mode {mode!r} is not one of {', '.join(OUTAGE_MODES)}")
        with self.lock:
            outage = self.outages.setdefault(region, {"since": time.time(), "mode": mode})
            outage.update(mode=mode, control_planes=bool(control_planes))

    def control_plane_outage(self, service):
        """(region, outage) when the control plane of this global service is down with its region, else None."""
        region = CONTROL_PLANES.get(service)
        with self.lock:
            outage = self.outages.get(region)
            return (region, outage) if outage and outage.get("control_planes") else None

    def restore(self, region=None):
        """End the outage of region (of every region when None), and the partitions from its checkers."""
        with self.lock:
            if region is None:
                self.outages.clear()
                self.partitions.clear()
            else:
                self.outages.pop(region, None)
                self.partitions = {(checker, cut) for checker, cut in self.partitions if cut != region}
            self.outage_released.notify_all()

    # partitions ------------------------------------------------------------
    def partition(self, checker, region):
        """The Route 53 health checker in `checker` can no longer reach endpoints in `region`."""
        with self.lock:
            self.partitions.add((checker, region))

    def partitioned_checkers(self, regions):
        """The checker regions cut off from any of `regions`."""
        with self.lock:
            return {checker for checker, region in self.partitions if region in regions}

    def is_down(self, region):
        with self.lock:
            return region in self.outages

    def outage_of(self, region):
        with self.lock:
            return self.outages.get(region)

    # faults --------------------------------------------------------------
    def add_fault(self, kind, probability=1.0, region="*", service="*", action="*", delay_ms=0, code=None, count=None):
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
        probability = float(probability)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} is not between 0 and 1")
        fault = {
            "kind": kind,
            "probability": probability,
            "region": region or "*",
            "service": service or "*",
            "action": action or "*",
            "delay_ms": int(delay_ms or 0),
            "code": code,
            "count": None if count is None else int(count),
            "hits": 0,
        }
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def matching_faults(self, region, service, action):
        """The faults that fire for this request (each rolled once)."""
        fired = []
        with self.lock:
            for fault in self.faults:
                if not all(
                    scope == "*" or scope.lower() == (value or "").lower()
                    for scope, value in ((fault["region"], region), (fault["service"], service), (fault["action"], action))
                ):
                    continue
                if fault["count"] is not None and fault["hits"] >= fault["count"]:
                    continue
                if self.rng.random() < fault["probability"]:
                    fault["hits"] += 1
                    fired.append(dict(fault))
        return fired

    # latency model -------------------------------------------------------
    def set_latency(self, enabled, scale=None):
        with self.lock:
            self.latency["enabled"] = bool(enabled)
            if scale is not None:
                scale = float(scale)
                if scale <= 0:
                    raise ValueError(f"time scale {scale} must be above 0")
                self.latency["scale"] = scale

    # replication lag -----------------------------------------------------
    def set_lag(self, seconds, region="*", service="*", resource="*"):
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError(f"lag {seconds} must be 0 or more seconds")
        with self.lock:
            self.lag[(region or "*", service or "*", resource or "*")] = seconds

    def lag_for(self, region, service, resource):
        """The configured lag (seconds) of one replica: the most specific rule wins."""
        with self.lock:
            for key in (
                (region, service, resource),
                ("*", service, resource),
                (region, service, "*"),
                ("*", service, "*"),
                (region, "*", "*"),
                ("*", "*", "*"),
            ):
                if key in self.lag:
                    return self.lag[key]
        return 0.0

    # request log ---------------------------------------------------------
    def record(self, entry):
        self.log.append(entry)

    def entries(self, since=0.0):
        return [e for e in list(self.log) if e["ts"] >= since]

    def snapshot(self, regions):
        with self.lock:
            return {
                "regions": {r: ("down" if r in self.outages else "up") for r in regions},
                "outages": dict(self.outages),
                "faults": [dict(f) for f in self.faults],
                "latency": dict(self.latency),
                "lag": [{"region": r, "service": s, "resource": res, "seconds": v} for (r, s, res), v in self.lag.items()],
                "partitions": [{"checker": c, "region": r} for c, r in sorted(self.partitions)],
                "requests_logged": len(self.log),
            }

    def reset(self):
        with self.lock:
            self.restore()
            self.clear_faults()
            self.latency.update({"enabled": False, "scale": 0.01})
            self.log.clear()
            self.lag.clear()


STATE = SimState()
