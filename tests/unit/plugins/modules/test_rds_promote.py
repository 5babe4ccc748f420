"""Pure parts of rds_promote: where a replica's source is, and the RPO gate."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules import rds_promote


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = {"rpo_seconds": None, "allow_data_loss": False, **params}

    def fail_json(self, msg, **kwargs):
        raise Failed(msg)


def test_source_location_from_arn_or_identifier():
    assert rds_promote.arn_location("arn:aws:rds:us-east-1:123456789012:db:orders", "us-west-2") == ("us-east-1", "orders")
    assert rds_promote.arn_location("orders", "us-west-2") == ("us-west-2", "orders")


def test_gate_refuses_a_lag_above_the_budget_naming_both_and_the_option():
    with pytest.raises(Failed) as excinfo:
        rds_promote.gate(FakeModule(rpo_seconds=60), 120.0, {})
    assert "120.0 s" in str(excinfo.value) and "rpo_seconds=60" in str(excinfo.value) and "allow_data_loss=true" in str(excinfo.value)


def test_gate_refuses_unknown_lag_even_without_a_budget():
    with pytest.raises(Failed) as excinfo:
        rds_promote.gate(FakeModule(), None, {"reason": "no ReplicaLag datapoints"})
    assert "unknown" in str(excinfo.value) and "no ReplicaLag datapoints" in str(excinfo.value)


@pytest.mark.parametrize("params, lag", [({}, 500.0), ({"rpo_seconds": 60}, 60.0), ({"allow_data_loss": True, "rpo_seconds": 1}, None)])
def test_gate_lets_through(params, lag):
    rds_promote.gate(FakeModule(**params), lag, {})


def test_fencing_parameters_per_engine():
    assert rds_promote.FENCE_PARAMETERS["mysql"] == ("read_only", "1")
    assert rds_promote.FENCE_PARAMETERS["postgres"] == ("default_transaction_read_only", "on")
