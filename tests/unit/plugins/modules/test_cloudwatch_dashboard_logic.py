"""The pure logic of cloudwatch_dashboard: input checks and the plan."""

import pytest

from ansible_collections.multiregion.dr.plugins.modules import cloudwatch_dashboard as cd

BODY = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "# DR"}}]}


@pytest.mark.parametrize("name", ["shop-dr", "A_b-9", "x" * 255])
def test_good_names(name):
    assert cd.name_error(name) is None


@pytest.mark.parametrize("name", ["", "shop dr", "shop.dr", "x" * 256, None])
def test_bad_names_are_named(name):
    assert repr(name) in cd.name_error(name)


@pytest.mark.parametrize(
    "body, words",
    [
        ({}, "no widgets key"),
        ({"widgets": {}}, "got dict"),
        ({"widgets": ["text"]}, "body.widgets[0]"),
        ({"widgets": [{"x": 1}]}, "'type'"),
        ({"widgets": [{"type": "text", "when": object()}]}, "JSON"),
    ],
)
def test_bad_bodies(body, words):
    assert words in cd.body_error(body)


def test_good_body():
    assert cd.body_error(BODY) is None
    assert cd.body_error({"widgets": []}) is None


def test_normalise_matches_what_aws_returns():
    assert cd.normalise({"widgets": [{"type": "metric", "properties": {"metrics": [("a", "b")]}}]}) == {
        "widgets": [{"type": "metric", "properties": {"metrics": [["a", "b"]]}}]
    }


def test_plan():
    assert cd.plan_for("present", "d", None, BODY) == ({"action": "PutDashboard", "DashboardName": "d"}, BODY)
    assert cd.plan_for("present", "d", dict(BODY), BODY) == ({}, BODY)
    changed = {"widgets": []}
    assert cd.plan_for("present", "d", changed, BODY)[0]["action"] == "PutDashboard"
    assert cd.plan_for("absent", "d", BODY, None) == ({"action": "DeleteDashboards", "DashboardNames": ["d"]}, None)
    assert cd.plan_for("absent", "d", None, None) == ({}, None)
