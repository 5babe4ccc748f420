"""Fixtures for the simulator's own tests: one simulator per test session, in a thread,
reset before every test; boto3 clients bound to it."""

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config

from regionsim.server import ThreadedRegionSim

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@pytest.fixture(scope="session")
def sim_endpoint():
    sim = ThreadedRegionSim().start()
    yield sim.endpoint
    sim.stop()


class Sim:
    """Control API of the simulator under test (the same calls the CLI makes)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, method, command, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.endpoint}/_regionsim/{command}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def outage(self, region, mode="drop"):
        return self.call("POST", "outage", {"region": region, "mode": mode})

    def restore(self, region=None):
        return self.call("POST", "restore", {"region": region})

    def fault(self, kind, **scope):
        return self.call("POST", "faults", {"kind": kind, **scope})

    def latency(self, enabled=True, scale=0.01):
        return self.call("POST", "latency", {"enabled": enabled, "scale": scale})

    def lag(self, seconds, region="*", service="*", resource="*"):
        return self.call("POST", "lag", {"seconds": seconds, "region": region, "service": service, "resource": resource})

    def log(self, since=0):
        return self.call("GET", f"log?since={since}")

    def status(self):
        return self.call("GET", "status")

    def reset(self):
        return self.call("POST", "reset", {})


@pytest.fixture
def sim(sim_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    control = Sim(sim_endpoint)
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def client(sim):
    """client("rds", "eu-west-1", retries=0) -> a boto3 client bound to the simulator
    (retries: how many times botocore retries; 0 makes one attempt)."""

    def make(service, region="us-east-1", retries=None, **config):
        if retries is not None:
            config["retries"] = {"total_max_attempts": retries + 1, "mode": "standard"}
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=sim.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(**config) if config else None,
        )

    return make
