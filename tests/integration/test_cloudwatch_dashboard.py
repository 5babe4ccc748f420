"""multiregion.dr.cloudwatch_dashboard against the simulator; AWS state checked through boto3."""

import json

import pytest

REGION = "eu-west-1"


def body(title="Requests by region", regions=("us-east-1", "eu-west-1")):
    return {
        "widgets": [
            {
                "type": "metric",
                "x": 0,
                "y": 0,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "stat": "Sum",
                    "period": 60,
                    "region": regions[0],
                    "metrics": [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", f"app/shop-{r}/1", {"region": r}] for r in regions],
                },
            }
        ]
    }


def stored(aws, name="shop-dr", region=REGION):
    return json.loads(aws("cloudwatch", region).get_dashboard(DashboardName=name)["DashboardBody"])


def names(aws, region=REGION):
    return [d["DashboardName"] for d in aws("cloudwatch", region).list_dashboards()["DashboardEntries"]]


def test_create_is_idempotent_with_diff(module, aws):
    args = {"name": "shop-dr", "region": REGION, "body": body()}
    first = module("cloudwatch_dashboard", args, diff=True)
    assert first["changed"] is True, first
    assert first["plan"] == {"action": "PutDashboard", "DashboardName": "shop-dr"}
    assert first["diff"] == {"before": None, "after": body()}
    assert first["exists"] is True and first["dashboard_arn"].endswith(":dashboard/shop-dr")
    assert stored(aws) == body()
    # Only the region asked for holds it.
    assert names(aws, "us-east-1") == []

    second = module("cloudwatch_dashboard", args, diff=True)
    assert second["changed"] is False, second
    assert second["plan"] == {}
    assert second["body"] == body()


def test_key_order_and_whitespace_do_not_count(module, aws):
    # Stored by someone else with another key order and indentation: the same dashboard.
    aws("cloudwatch", REGION).put_dashboard(DashboardName="shop-dr", DashboardBody=json.dumps(body(), indent=4))
    reordered = {"widgets": [dict(reversed(list(w.items()))) for w in body()["widgets"]]}
    result = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "body": reordered})
    assert result["changed"] is False, result


def test_update_shows_before_and_after(module, aws):
    module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "body": body()})
    new = body(title="Requests", regions=("us-east-1", "us-west-2", "eu-west-1"))
    result = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "body": new}, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == body() and result["diff"]["after"] == new
    assert stored(aws) == new


def test_check_mode_changes_nothing(module, aws):
    args = {"name": "shop-dr", "region": REGION, "body": body()}
    result = module("cloudwatch_dashboard", args, check=True, diff=True)
    assert result["changed"] is True and result["plan"]["action"] == "PutDashboard"
    assert result["exists"] is True and result["dashboard_arn"] is None
    assert names(aws) == []

    module("cloudwatch_dashboard", args)
    result = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "state": "absent"}, check=True)
    assert result["changed"] is True and result["plan"] == {"action": "DeleteDashboards", "DashboardNames": ["shop-dr"]}
    assert names(aws) == ["shop-dr"]


def test_absent_deletes_once(module, aws):
    module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "body": body()})
    first = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "state": "absent"}, diff=True)
    assert first["changed"] is True and first["exists"] is False
    assert first["diff"] == {"before": body(), "after": None}
    assert names(aws) == []
    second = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "state": "absent"})
    assert second["changed"] is False


@pytest.mark.parametrize(
    "args, words",
    [
        ({"name": "shop dr!", "body": body()}, ["name='shop dr!'", "letters, digits"]),
        ({"name": "x" * 256, "body": body()}, ["1 to 255"]),
        ({"name": "shop-dr", "body": {"widget": []}}, ["'widgets' list"]),
        ({"name": "shop-dr", "body": {"widgets": [{"x": 0}]}}, ["body.widgets[0]", "'type'"]),
        ({"name": "shop-dr"}, ["body"]),
        ({"name": "shop-dr", "body": body(), "region": "mars-1"}, ["region='mars-1'", "is not an AWS region"]),
    ],
)
def test_bad_input_fails_before_any_change(module, aws, sim, args, words):
    result = module("cloudwatch_dashboard", {"region": REGION, **args})
    assert result.get("failed") is True, result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert not [entry for entry in sim.log() if entry.get("service") == "cloudwatch"], "an API call was made"


def test_throttling_is_retried(module, aws, sim):
    sim.fault("throttle", probability=0.3, service="cloudwatch", region=REGION)
    # and for sure the write, twice in a row (30% alone may miss in a handful of calls)
    sim.fault("throttle", probability=1.0, count=2, service="cloudwatch", action="PutDashboard")
    args = {"name": "shop-dr", "region": REGION, "body": body()}
    assert module("cloudwatch_dashboard", args)["changed"] is True
    assert module("cloudwatch_dashboard", args)["changed"] is False
    sim.clear_faults()
    assert stored(aws) == body()
    throttled = [entry["action"] for entry in sim.log() if entry.get("fault") == "throttle"]
    # the two forced throttles, and the 30% may hit a retry too
    assert throttled.count("PutDashboard") >= 2, throttled


def test_region_in_outage_fails_clearly(module, sim):
    sim.outage(REGION)
    result = module("cloudwatch_dashboard", {"name": "shop-dr", "region": REGION, "body": body(), "connect_timeout": 2})
    assert result.get("failed") is True
    assert f"CloudWatch in {REGION} is unreachable" in result["msg"], result["msg"]
