"""Client for the simulator's control API (/_regionsim/...), used by the CLI and by tests."""

import json
import os
import urllib.error
import urllib.request

from . import security


class SimError(Exception):
    pass


class Control:
    def __init__(self, endpoint, token=None, state_dir=None):
        """token: the simulator's (default: found as security.token_for() finds it, in state_dir or the default)."""
        self.endpoint = endpoint.rstrip("/")
        self.token = token or security.token_for(self.endpoint, state_dir)

    def call(self, method, command, payload=None, timeout=30):
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers[security.TOKEN_HEADER] = self.token
        request = urllib.request.Request(f"{self.endpoint}/_regionsim/{command}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
            raise SimError(detail) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise SimError(f"regionsim is not running at {self.endpoint} ({exc}); run 'regionsim start'") from None

    def status(self):
        return self.call("GET", "status")

    def outage(self, region, mode="drop", control_planes=False):
        """control_planes: also the Route 53 and CloudFront APIs, whose control planes run in us-east-1."""
        return self.call("POST", "outage", {"region": region, "mode": mode, "control_planes": control_planes})

    def restore(self, region=None):
        return self.call("POST", "restore", {"region": region})

    def partition(self, checker, region):
        """The Route 53 health checker in region `checker` cannot reach `region` (until restore of that region)."""
        return self.call("POST", "partition", {"checker": checker, "region": region})

    def fault(self, kind, **scope):
        return self.call("POST", "faults", {"kind": kind, **scope})

    def clear_faults(self):
        return self.call("DELETE", "faults")

    def latency(self, enabled=True, scale=0.01):
        return self.call("POST", "latency", {"enabled": enabled, "scale": scale})

    def hold_clock(self):
        """Latency model: no status change applies until step_clock() or release_clock()."""
        return self.call("POST", "clock", {"action": "hold"})

    def step_clock(self):
        """Apply the next status change due (the clock must be held); answers how many applied and pending."""
        return self.call("POST", "clock", {"action": "step"})

    def release_clock(self):
        return self.call("POST", "clock", {"action": "release"})

    def lag(self, seconds, region="*", service="*", resource="*"):
        return self.call("POST", "lag", {"seconds": seconds, "region": region, "service": service, "resource": resource})

    def log(self, since=0):
        return self.call("GET", f"log?since={since}", timeout=60)

    def clear_log(self):
        return self.call("DELETE", "log")

    def durations(self):
        return self.call("GET", "durations")

    def data_plane(self):
        """The data plane's servers: kind, region, name, address and port (its proxy), source, read_only."""
        return self.call("GET", "data-plane")

    def replication(self, action, resource, region=None, seconds=None):
        """Real lag on the data plane: delay (MASTER_DELAY seconds), stop or start an RDS read replica."""
        return self.call("POST", "replication", {"action": action, "resource": resource, "region": region, "seconds": seconds})

    def reset(self):
        return self.call("POST", "reset", {})

    def snapshots(self):
        return self.call("GET", "snapshots")["snapshots"]

    def save_snapshot(self, name, path=None):
        """Keep every resource as snapshot `name`; also write it to path (a file another simulator can load)."""
        return self.call("POST", "snapshots", {"name": name, "path": path and os.path.abspath(path)}, timeout=120)

    def load_snapshot(self, name, path=None):
        """Load snapshot `name` (first read from path, when given)."""
        return self.call("POST", "snapshots/load", {"name": name, "path": path and os.path.abspath(path)}, timeout=120)

    def delete_snapshot(self, name=None):
        return self.call("DELETE", "snapshots", {"name": name})
