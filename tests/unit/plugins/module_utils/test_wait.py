"""module_utils/wait.py: the one wait-or-fail helper and its argument spec."""

import pytest
import yaml

from ansible_collections.multiregion.dr.plugins.module_utils import wait
from ansible_collections.multiregion.dr.plugins.module_utils.clients import CONNECTION_ARGUMENT_SPEC
from ansible_collections.multiregion.dr.plugins.doc_fragments.dr import ModuleDocFragment


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = dict({"wait": True, "wait_timeout": 0, "poll_interval": 0.01}, **params)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def fail_json_aws(self, exception, **kwargs):
        raise Failed(dict(kwargs, exception=exception))


def test_argument_spec_matches_the_doc_fragment():
    documented = yaml.safe_load(ModuleDocFragment.WAIT)["options"]
    assert set(documented) == set(wait.WAIT_ARGUMENT_SPEC)
    for name, spec in wait.WAIT_ARGUMENT_SPEC.items():
        assert (documented[name]["type"], documented[name]["default"]) == (spec["type"], spec["default"]), name


def test_returns_when_done_and_records_the_statuses():
    answers = iter(["creating", "creating", "available"])
    statuses = ["requested"]
    result = wait.wait_or_fail(FakeModule(wait_timeout=5), lambda: next(answers), lambda s: s == "available", "x", status_of=str,
                               statuses=statuses, prefix="group: ")
    assert result == "available" and statuses == ["requested", "group: creating", "group: available"]


def test_time_out_fails_with_the_statuses_seen_and_the_note():
    statuses = []
    with pytest.raises(Failed) as failed:
        wait.wait_or_fail(FakeModule(), lambda: "modifying", lambda s: False, "cluster c to be available", status_of=str,
                          statuses=statuses, note=" Rerun.")
    msg = failed.value.args[0]["msg"]
    assert msg.startswith("timed out after 0 s waiting for cluster c to be available; last seen: 'modifying'") and msg.endswith(" Rerun.")
    assert statuses == ["modifying"]


def test_time_out_goes_through_the_module_s_own_fail():
    reported = []

    def fail(msg):
        reported.append(msg)
        raise Failed(msg)

    with pytest.raises(Failed):
        wait.wait_or_fail(FakeModule(), lambda: None, lambda s: False, "y", fail=fail)
    assert len(reported) == 1 and "waiting for y" in reported[0]


def test_an_aws_error_while_polling_fails_the_module_cleanly_with_the_note():
    from botocore.exceptions import ClientError

    def refused():
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: route53:GetChange"}}, "GetChange")

    with pytest.raises(Failed) as failed:
        wait.wait_or_fail(FakeModule(wait_timeout=5), refused, lambda s: True, "change C1 to be INSYNC", note=" The change is made.")
    assert failed.value.args[0]["msg"] == ("AWS answered with an error while waiting for change C1 to be INSYNC: An error occurred "
                                           "(AccessDenied) when calling the GetChange operation: not authorized to perform: "
                                           "route53:GetChange. The change is made.")
    assert failed.value.args[0]["exception"].response["Error"]["Code"] == "AccessDenied"
    # through the caller's own fail when it has one (rds_promote's undoes its fence there)
    reported = []

    def fail(msg):
        reported.append(msg)
        raise Failed(msg)

    with pytest.raises(Failed):
        wait.wait_or_fail(FakeModule(wait_timeout=5), refused, lambda s: True, "lag to reach 0", fail=fail)
    assert reported and reported[0].startswith("AWS answered with an error while waiting for lag to reach 0: ")


def test_connection_spec_matches_the_connect_fragment():
    documented = yaml.safe_load(ModuleDocFragment.CONNECT)["options"]
    assert {name: (doc["type"], doc["default"]) for name, doc in documented.items()} == {
        name: (spec["type"], spec["default"]) for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
