"""module_utils/clients.py: error codes and the retry on throttling."""

import botocore.exceptions
import botocore.session
import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import clients


def client_error(code, status=400):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Describe")


def test_throttle_retry_retries_throttling_only(monkeypatch):
    monkeypatch.setattr(clients.time, "sleep", lambda seconds: None)
    calls = []

    def throttled_twice():
        calls.append(1)
        if len(calls) < 3:
            raise client_error("Throttling")
        return "ok"

    assert clients.throttle_retry(throttled_twice) == "ok" and len(calls) == 3

    unavailable = []

    def dead_region():
        unavailable.append(1)
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(botocore.exceptions.ClientError):
        clients.throttle_retry(dead_region)
    assert len(unavailable) == 1  # one attempt: a dead region is not retried


def test_error_code_and_text_read_one_way():
    exc = client_error("DBInstanceNotFound")
    assert clients.error_code(exc) == "DBInstanceNotFound"
    assert clients.error_text(exc) == "DBInstanceNotFound: DBInstanceNotFound"
    assert clients.error_code(ValueError("x")) is None
    assert clients.error_text(ValueError("x")) == "ValueError: x"


@pytest.mark.parametrize("code, throttled", [
    ("Throttling", True), ("ThrottlingException", True), ("RequestLimitExceeded", True), ("SlowDown", True),
    ("TooManyRequestsException", True), ("ProvisionedThroughputExceededException", True),
    ("ServiceUnavailable", False), ("AccessDenied", False),
])
def test_is_throttled(code, throttled):
    assert clients.is_throttled(client_error(code)) is throttled


def test_known_regions_are_every_partitions_regions_without_pseudo_regions():
    regions = clients.known_regions()
    session = botocore.session.get_session()
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assert set(session.get_available_regions("ec2", partition_name=partition)) <= set(regions), partition
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= set(regions)
    assert not [r for r in regions if r.endswith("-global")] and regions == sorted(regions)
