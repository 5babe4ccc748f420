"""Pure logic of module_utils/lag.py: queries, per-replica summaries and the RPO aggregate."""

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import lag

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def points(*values):
    """values one minute apart, the last at NOW, given newest last but passed shuffled."""
    series = [(NOW - timedelta(minutes=len(values) - 1 - i), v) for i, v in enumerate(values)]
    return list(reversed(series))


def test_latest_valid_value_is_the_lag():
    result = lag.summarize(points(3, 7, 2), 1.0, NOW)
    assert result["lag_seconds"] == 2 and result["replication_running"] is True
    assert result["last_lag_before_stop"] is None and result["datapoints"] == 3 and result["latest_age_seconds"] == 0


def test_minus_one_streak_means_stopped_and_keeps_the_last_lag_before_it():
    result = lag.summarize(points(3, 9, -1, -1), 1.0, NOW)
    assert result["replication_running"] is False
    assert result["last_lag_before_stop"] == 9 and result["lag_seconds"] == 9
    # nothing applied for the two minutes since: the source may have taken writes all that time
    assert result["seconds_since_applied"] == 120 and result["data_loss_window_seconds"] == 129


def test_replication_stopped_long_before_the_outage_is_a_window_of_the_whole_stop():
    # issue 16: replication broke 10 minutes ago at lag 0; the last lag alone (0 s) would pass any RPO gate
    result = lag.summarize(points(0, 0, *([-1] * 10)), 1.0, NOW, lookback_seconds=300)
    assert result["lag_seconds"] == 0 and result["data_loss_window_seconds"] == 600
    result["id"], result["status"] = "db", lag.status_of(result["data_loss_window_seconds"], 300)
    assert result["status"] == "over_rpo"
    verdict, text = lag.rpo_verdict([result], 300)
    assert verdict == "refused" and "db 600.0 s (replication stopped: lag 0.0 s at its last datapoint, 600.0 s ago)" in text
    assert lag.rpo_verdict([result], 300, allow_data_loss=True)[0] == "overridden"
    assert lag.rpo_verdict([result], 700)[0] == "passed"


def test_a_minimum_of_minus_one_stops_replication_in_the_minute_it_happened():
    # the source went out during the last minute: Maximum 5 (before), Minimum -1 (after)
    maxima = points(3, 5)
    minima = [(stamp, -1.0 if stamp == NOW else value) for stamp, value in maxima]
    result = lag.summarize(maxima, 1.0, NOW, 300, minima)
    assert result["replication_running"] is False and result["lag_seconds"] == 5 and result["last_lag_before_stop"] == 5
    assert result["data_loss_window_seconds"] == 5  # stopped within the minute that starts now
    running = lag.summarize(maxima, 1.0, NOW + timedelta(seconds=30), 300, maxima)
    assert running["replication_running"] is True and running["data_loss_window_seconds"] == 5 and running["seconds_since_applied"] is None


def test_only_minus_one_is_unknown_not_zero():
    result = lag.summarize(points(-1, -1), 1.0, NOW)
    assert result["lag_seconds"] is None and result["replication_running"] is False and result["last_lag_before_stop"] is None
    assert result["data_loss_window_seconds"] is None


def test_no_datapoints_is_unknown():
    result = lag.summarize([], 1.0, NOW)
    assert result["lag_seconds"] is None and result["replication_running"] is None


def test_a_stop_longer_than_the_lookback_keeps_the_last_lag_before_it():
    # ten minutes of -1 after a lag of 4 s: a 300 s window alone would call the lag unknown
    result = lag.summarize(points(3, 4, *([-1] * 10)), 1.0, NOW, lookback_seconds=300)
    assert result["replication_running"] is False and result["lag_seconds"] == 4 and result["last_lag_before_stop"] == 4
    assert result["stale"] is False and result["data_loss_window_seconds"] == 604


def test_a_silent_metric_gives_its_last_value_as_stale():
    # Aurora and ElastiCache stop publishing when the source region goes out: the last value is 20 minutes old
    old = [(NOW - timedelta(minutes=20 + i), v) for i, v in enumerate([6, 2, 3])]
    result = lag.summarize(old, 1.0, NOW, lookback_seconds=300)
    assert result["lag_seconds"] == 6 and result["stale"] is True and result["last_lag_before_stop"] == 6
    assert result["replication_running"] is None and result["latest_age_seconds"] == 1200
    assert result["data_loss_window_seconds"] == 1206


def test_a_window_with_data_is_not_stale():
    result = lag.summarize(points(5, 1), 1.0, NOW, lookback_seconds=300)
    assert result["lag_seconds"] == 1 and result["stale"] is False and result["replication_running"] is True


def test_milliseconds_are_converted():
    assert lag.summarize(points(1500), 0.001, NOW)["lag_seconds"] == 1.5


@pytest.mark.parametrize("kind, published, seconds", [
    ("rds", 30, 30), ("aurora", 1500, 1.5), ("elasticache", 2, 2),
    # same metric name, different units: DynamoDB in milliseconds, S3 in seconds (S3 User Guide)
    ("dynamodb", 1500, 1.5), ("s3", 30, 30),
])
def test_each_metric_is_read_in_its_aws_unit(kind, published, seconds):
    assert lag.summarize(points(published), lag.METRICS[kind][2], NOW)["lag_seconds"] == seconds


@pytest.mark.parametrize("value, rpo, status", [(None, 10, "unknown"), (11, 10, "over_rpo"), (10, 10, "ok"), (500, None, "ok"), (None, None, "unknown")])
def test_status(value, rpo, status):
    assert lag.status_of(value, rpo) == status


def reading(ident, lag_seconds, window=None):
    window = lag_seconds if window is None else window
    return {"id": ident, "lag_seconds": lag_seconds, "data_loss_window_seconds": window, "status": lag.status_of(window, 10)}


def test_aggregate_unknown_is_never_within_rpo():
    results = [reading("a", 2), reading("b", None)]
    assert lag.aggregate(results, 10) == {"max_lag_seconds": 2, "max_data_loss_window_seconds": 2, "within_rpo": False, "unknown": ["b"]}
    assert lag.aggregate(results[:1], 10)["within_rpo"] is True
    assert lag.aggregate([], 10)["within_rpo"] is False
    over = [reading("a", 12)]
    assert lag.aggregate(over, 10) == {"max_lag_seconds": 12, "max_data_loss_window_seconds": 12, "within_rpo": False, "unknown": []}
    # a stopped replica: a small last lag, a large window; the window decides
    stopped = [reading("a", 1, 400)]
    assert lag.aggregate(stopped, 10) == {"max_lag_seconds": 1, "max_data_loss_window_seconds": 400, "within_rpo": False, "unknown": []}


def test_rpo_verdict_unknown_refuses_and_no_budget_accepts_any_known_window():
    assert lag.rpo_verdict([reading("a", 2), reading("b", None)], None)[0] == "refused"
    assert lag.rpo_verdict([reading("a", 2000)], None)[0] == "passed"
    verdict, text = lag.rpo_verdict([reading("a", 2), {"id": "b", "data_loss_window_seconds": None, "reason": "region down"}], 10, True)
    assert verdict == "overridden" and text == "a 2 s, b unknown (region down)"


def test_queries_are_grouped_by_region_with_the_metric_of_each_type():
    replicas = [
        {"type": "rds", "region": "us-west-2", "id": "db1"},
        {"type": "aurora", "region": "us-west-2", "id": "c1", "metric": "AuroraGlobalDBReplicationLag"},
        {"type": "elasticache", "region": "eu-west-1", "id": "rg"},
        {"type": "dynamodb", "region": "us-east-1", "id": "t", "receiving_region": "us-west-2"},
        {"type": "s3", "region": "us-east-1", "id": "src", "destination_bucket": "dst", "rule_id": "r1"},
    ]
    queries = lag.build_queries(replicas, {2: ["rg-001", "rg-002"]})
    assert sorted(queries) == ["eu-west-1", "us-east-1", "us-west-2"]
    west = [q for q, _index in queries["us-west-2"] if q["MetricStat"]["Stat"] == "Maximum"]
    assert [q["MetricStat"]["Metric"]["MetricName"] for q in west] == ["ReplicaLag", "AuroraGlobalDBReplicationLag"]
    assert west[0]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "db1"}]
    # each dimension set twice: Maximum (the lag) and Minimum (-1 once replication stopped)
    assert [(q["Id"], q["MetricStat"]["Stat"]) for q, _index in queries["eu-west-1"]] == [
        ("r2_0", "Maximum"), ("m2_0", "Minimum"), ("r2_1", "Maximum"), ("m2_1", "Minimum")]
    assert queries["eu-west-1"][2][0]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "CacheClusterId", "Value": "rg-002"}]
    east = {q["MetricStat"]["Metric"]["Namespace"]: q for q, _index in queries["us-east-1"]}
    assert {d["Name"] for d in east["AWS/S3"]["MetricStat"]["Metric"]["Dimensions"]} == {"SourceBucket", "DestinationBucket", "RuleId"}
    assert east["AWS/DynamoDB"]["MetricStat"]["Metric"]["Dimensions"][1] == {"Name": "ReceivingRegion", "Value": "us-west-2"}


@pytest.mark.parametrize(
    "replica, words",
    [
        ({"type": "mongo", "region": "us-east-1", "id": "x"}, ["type='mongo'", "rds, aurora"]),
        ({"type": "dynamodb", "region": "us-east-1", "id": "t"}, ["receiving_region"]),
        ({"type": "s3", "region": "us-east-1", "id": "b", "rule_id": "r"}, ["destination_bucket"]),
        ({"type": "aurora", "region": "us-east-1", "id": "c", "metric": "CPU"}, ["metric='CPU'"]),
        ({"type": "rds", "region": "us-east-1", "id": ""}, ["needs an id"]),
    ],
)
def test_replica_problems_name_the_value(replica, words):
    problem = lag.replica_problem(replica)
    assert problem and all(word in problem for word in words)
    assert lag.replica_problem({"type": "rds", "region": "us-east-1", "id": "db"}) is None


def test_database_alarms_follow_the_engine_and_the_metric_units():
    rds_lag, rds_stopped = lag.database_alarms("mysql", "shop-db", 300)
    assert (rds_lag["metric_name"], rds_lag["dimensions"], rds_lag["threshold"], rds_lag["unit"]) == (
        "ReplicaLag", {"DBInstanceIdentifier": "shop-db"}, 300.0, "Seconds")
    # RDS publishes -1 while replication is not running
    assert (rds_stopped["statistic"], rds_stopped["comparison"], rds_stopped["threshold"], rds_stopped["treat_missing_data"]) == (
        "Minimum", "LessThanThreshold", 0.0, "missing")
    aurora_lag, aurora_stopped = lag.database_alarms("aurora-mysql", "shop-db", 30)
    # the secondary cluster's AuroraGlobalDBRPOLag, in milliseconds: the RPO scaled, not compared as seconds
    assert (aurora_lag["metric_name"], aurora_lag["dimensions"], aurora_lag["threshold"], aurora_lag["unit"]) == (
        "AuroraGlobalDBRPOLag", {"DBClusterIdentifier": "shop-db"}, 30000.0, "Milliseconds")
    # Aurora goes silent when replication stops: a missing datapoint is the alarm
    assert (aurora_stopped["statistic"], aurora_stopped["comparison"], aurora_stopped["threshold"], aurora_stopped["treat_missing_data"]) == (
        "SampleCount", "LessThanThreshold", 1.0, "breaching")
    assert [a["suffix"] for a in (aurora_lag, aurora_stopped)] == ["replica-lag", "replication-stopped"]


def test_caught_up_only_on_a_zero_stamped_at_or_after_the_fence():
    fence = datetime(2026, 12, 5, 4, 40, 12, tzinfo=timezone.utc)
    zero = {"lag_seconds": 0, "replication_running": True}
    # the minute 04:40 began before the fence: its 0 may predate writes the fence had not yet stopped
    assert not lag.caught_up_after(dict(zero, latest_timestamp="2026-12-05T04:40:00+00:00"), fence)
    assert lag.caught_up_after(dict(zero, latest_timestamp="2026-12-05T04:41:00+00:00"), fence)
    assert lag.caught_up_after(dict(zero, latest_timestamp="2026-12-05T04:41:00"), fence)  # naive: UTC
    assert not lag.caught_up_after(dict(zero, latest_timestamp="2026-12-05T04:41:00+00:00", lag_seconds=2.0), fence)
    assert not lag.caught_up_after(dict(zero, latest_timestamp="2026-12-05T04:41:00+00:00", replication_running=False), fence)
    assert not lag.caught_up_after(dict(zero, latest_timestamp=None), fence)
