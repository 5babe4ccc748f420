"""Fixtures for the simulator's own tests: one simulator per test session, in a thread,
reset before every test; boto3 clients bound to it."""

import boto3
import pytest
from botocore.config import Config

from regionsim.control import Control
from regionsim.server import ThreadedRegionSim

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@pytest.fixture(scope="session")
def sim_endpoint():
    sim = ThreadedRegionSim().start()
    yield sim.endpoint
    sim.stop()


@pytest.fixture
def sim(sim_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    control = Control(sim_endpoint)
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def walk(sim):
    """Holds the latency model's clock for the test. walk(fetch) returns fetch() now and after
    each status change, applied one by one, without repeats: every passing status is seen, with
    no window of real time to miss on a busy machine."""
    sim.hold_clock()

    def run(fetch):
        seen = [fetch()]
        while sim.step_clock()["applied"]:
            value = fetch()
            if value != seen[-1]:
                seen.append(value)
        return seen

    return run


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
