"""Pure parts of rds_promote: where a replica's source is, and the RPO gate."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules import rds_promote


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = {"rpo_seconds": None, "allow_data_loss": False, **params}
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **kwargs):
        raise Failed(msg)


def test_source_location_from_arn_or_identifier():
    assert rds_promote.arn_location("arn:aws:rds:us-east-1:123456789012:db:orders", "us-west-2") == ("us-east-1", "orders")
    assert rds_promote.arn_location("orders", "us-west-2") == ("us-west-2", "orders")


def entry(window, **extra):
    return {"id": "orders-replica", "lag_seconds": window, "data_loss_window_seconds": window, **extra}


def test_gate_refuses_a_lag_above_the_budget_naming_both_and_the_option():
    with pytest.raises(Failed) as excinfo:
        rds_promote.gate(FakeModule(rpo_seconds=60), entry(120.0))
    assert "120.0 s" in str(excinfo.value) and "rpo_seconds=60" in str(excinfo.value) and "allow_data_loss=true" in str(excinfo.value)


def test_gate_refuses_unknown_lag_even_without_a_budget():
    with pytest.raises(Failed) as excinfo:
        rds_promote.gate(FakeModule(), entry(None, reason="no ReplicaLag datapoints"))
    assert "unknown" in str(excinfo.value) and "no ReplicaLag datapoints" in str(excinfo.value)


def test_gate_judges_the_window_of_a_stopped_replica_not_its_last_lag():
    stopped = entry(0.0, data_loss_window_seconds=600.0, seconds_since_applied=600.0)
    with pytest.raises(Failed) as excinfo:
        rds_promote.gate(FakeModule(rpo_seconds=300), stopped)
    assert "600.0 s (replication stopped" in str(excinfo.value)
    module = FakeModule(rpo_seconds=300, allow_data_loss=True)
    rds_promote.gate(module, stopped)
    assert "600.0 s" in module.warnings[0] and "allow_data_loss=true" in module.warnings[0]


@pytest.mark.parametrize("params, lag, refused", [
    ({}, 500.0, False),  # no budget: any known lag
    ({"rpo_seconds": 60}, 60.0, False),  # the budget itself is within it
    ({"rpo_seconds": 60}, 60.5, True),
    ({"allow_data_loss": True, "rpo_seconds": 1}, None, False),
    ({"allow_data_loss": True, "rpo_seconds": 1}, 500.0, False),
])
def test_gate_lets_through_within_the_budget_or_with_allow_data_loss(params, lag, refused):
    try:
        rds_promote.gate(FakeModule(**params), entry(lag))
        outcome = False
    except Failed:
        outcome = True
    assert outcome is refused


class FakePromotion:
    """What RdsPromotion.fence_plan reads of itself: the module (to fail) and the result so far."""

    def __init__(self):
        self.module, self.result = FakeModule(), {}


def source(engine, group="orders-params"):
    return {"DBInstanceIdentifier": "orders", "Engine": engine, "DBParameterGroups": [{"DBParameterGroupName": group}]}


@pytest.mark.parametrize("engine, fence", [("mysql", ("read_only", "1")), ("mariadb", ("read_only", "1")),
                                           ("postgres", ("default_transaction_read_only", "on"))])
def test_a_planned_promotion_fences_the_source_in_its_own_group(engine, fence):
    assert rds_promote.RdsPromotion.fence_plan(FakePromotion(), source(engine)) == ("orders-params",) + fence


@pytest.mark.parametrize("instance, words", [
    (None, "no longer exists"),
    (source("sqlserver-ee"), "cannot fence a sqlserver-ee source"),
    (source("mysql", group="default.mysql8.0"), "does not allow changes to default.* groups"),
])
def test_a_source_that_cannot_be_fenced_is_refused(instance, words):
    with pytest.raises(Failed) as excinfo:
        rds_promote.RdsPromotion.fence_plan(FakePromotion(), instance)
    assert words in str(excinfo.value) and "mode=unplanned" in str(excinfo.value)


@pytest.mark.parametrize("code, replica, lifted", [
    ("AccessDenied", True, True),            # IAM refused the call: nothing started
    ("ThrottlingException", True, True),
    ("AccessDenied", False, False),          # yet the target is no longer a plain replica: something started
    ("InternalFailure", True, False),        # a 5xx proves nothing
    ("InvalidDBInstanceState", True, False),  # a retry meeting the promotion its lost first answer had started
])
def test_the_fence_is_lifted_only_when_the_promotion_certainly_did_not_start(code, replica, lifted):
    from botocore.exceptions import ClientError

    exc = ClientError({"Error": {"Code": code, "Message": "x"}}, "PromoteReadReplica")
    assert rds_promote.refused_before_acting(exc, lambda: replica) is lifted
