# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication lag of cross-region replicas, read from CloudWatch the way AWS publishes it.

One GetMetricData call per region (all replicas of a region in one call). The lag is the
latest valid value in the lookback window. When that window has none (RDS reports -1 while
replication is not running; Aurora and ElastiCache stop publishing when the source region goes
out), the last value the replica reported within the history window is the lag, marked stale.

The data-loss window of a promotion is the lag while replication runs. Once it stopped (or the
metric went silent), the replica has applied nothing since its last valid datapoint, and its
source may have taken writes until it died, which the replica side cannot see: the window is
that lag plus the time since that datapoint. No datapoint at all is unknown (None), never 0,
and never counts as within the RPO: a failover decision must not take silence for health.
rpo_verdict() is the one RPO gate (the failover plan, rds_promote and elasticache_global_failover).
"""

import datetime

from ansible_collections.multiregion.dr.plugins.module_utils.clients import client, is_throttled, is_unreachable

PERIOD = 60  # AWS publishes replica lag once a minute
MAX_QUERIES = 500  # GetMetricData limit per call
HISTORY_SECONDS = 86400  # how far back a stopped replica's last lag is looked for

# type -> (namespace, metric, unit factor to seconds); the dimensions come from dimensions_of()
METRICS = {
    "rds": ("AWS/RDS", "ReplicaLag", 1.0),
    "aurora": ("AWS/RDS", "AuroraGlobalDBRPOLag", 0.001),
    "elasticache": ("AWS/ElastiCache", "GlobalDatastoreReplicationLag", 1.0),
    "dynamodb": ("AWS/DynamoDB", "ReplicationLatency", 0.001),
    "s3": ("AWS/S3", "ReplicationLatency", 1.0),  # seconds (S3 User Guide, replication metrics), unlike DynamoDB's ms
}
TYPES = tuple(METRICS)
# what each type needs beside type/region/id
REQUIRED = {"dynamodb": ("receiving_region",), "s3": ("destination_bucket", "rule_id")}


def replica_problem(replica):
    """An error text naming what is wrong with one replica spec, or None."""
    kind = replica.get("type")
    if kind not in METRICS:
        return f"type={kind!r} is not one of {', '.join(TYPES)}"
    if not replica.get("id"):
        return f"a {kind} replica needs an id"
    if not replica.get("region"):
        return f"{kind} replica {replica['id']} needs a region"
    missing = [key for key in REQUIRED.get(kind, ()) if not replica.get(key)]
    if missing:
        return f"{kind} replica {replica['id']} needs {', '.join(missing)}"
    if kind == "aurora" and replica.get("metric") not in (None, "AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"):
        return f"metric={replica['metric']!r} is not one of AuroraGlobalDBRPOLag, AuroraGlobalDBReplicationLag"
    return None


def dimensions_of(replica, cache_cluster_ids=None):
    """The dimension sets to query for a replica (ElastiCache: one per member cluster, lag is their max)."""
    kind, ident = replica["type"], replica["id"]
    if kind == "rds":
        return [{"DBInstanceIdentifier": ident}]
    if kind == "aurora":
        return [{"DBClusterIdentifier": ident}]
    if kind == "elasticache":
        return [{"CacheClusterId": member} for member in (cache_cluster_ids or [])]
    if kind == "dynamodb":
        return [{"TableName": ident, "ReceivingRegion": replica["receiving_region"]}]
    return [{"SourceBucket": ident, "DestinationBucket": replica["destination_bucket"], "RuleId": replica["rule_id"]}]


def metric_of(replica):
    namespace, name, factor = METRICS[replica["type"]]
    if replica["type"] == "aurora" and replica.get("metric"):
        name = replica["metric"]
    return namespace, name, factor


def database_alarms(engine, identifier, rpo_seconds):
    """The two CloudWatch alarms a database replica gets (the monitoring role): lag above the RPO, and replication
    stopped. RDS publishes ReplicaLag (s) per instance and -1 once replication stops; an Aurora global database's
    secondary cluster publishes AuroraGlobalDBRPOLag (ms) per cluster and goes silent instead, so its "stopped"
    alarm is a missing datapoint. Each alarm is the options of amazon.aws.cloudwatch_metric_alarm plus a name suffix."""
    kind = "aurora" if str(engine).startswith("aurora") else "rds"
    replica = {"type": kind, "id": identifier}
    namespace, metric, factor = metric_of(replica)
    unit = "Seconds" if factor == 1.0 else "Milliseconds"
    common = {"namespace": namespace, "metric_name": metric, "dimensions": dimensions_of(replica)[0], "unit": unit}
    what = f"{metric} of {'cluster' if kind == 'aurora' else 'instance'} {identifier}"
    lag = dict(common, suffix="replica-lag", description=f"{what} is above the RPO of {rpo_seconds} s",
               statistic="Maximum", comparison="GreaterThanThreshold", threshold=float(rpo_seconds) / factor, treat_missing_data="missing")
    if kind == "aurora":
        stopped = dict(common, suffix="replication-stopped", description=f"{what} stopped: Aurora publishes no lag once replication stops",
                       statistic="SampleCount", comparison="LessThanThreshold", threshold=1.0, treat_missing_data="breaching")
    else:
        stopped = dict(common, suffix="replication-stopped", description=f"{what} is -1: replication is not running",
                       statistic="Minimum", comparison="LessThanThreshold", threshold=0.0, treat_missing_data="missing")
    return [lag, stopped]


def build_queries(replicas, members=None):
    """{region: [(query, replica index)]} for GetMetricData; members: {index: [cache cluster ids]}."""
    by_region = {}
    for index, replica in enumerate(replicas):
        namespace, name, _factor = metric_of(replica)
        for number, dims in enumerate(dimensions_of(replica, (members or {}).get(index))):
            # Maximum: the lag (a minute's worst); Minimum: -1 as soon as replication stopped within the minute
            for prefix, stat in (("r", "Maximum"), ("m", "Minimum")):
                query = {
                    "Id": f"{prefix}{index}_{number}",
                    "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
                        "Period": PERIOD,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
                by_region.setdefault(replica["region"], []).append((query, index))
    return by_region


def summarize(points, factor, now=None, lookback_seconds=None, minimums=None):
    """One replica's lag from its datapoints [(timestamp, value)] (any order, values in the metric's unit).

    lag_seconds: the latest valid (non-negative) value; replication_running: False when the
    latest value is -1; last_lag_before_stop: the last valid value before the trailing -1 streak.
    With now and lookback_seconds, points older than the lookback window count only when the
    window has no valid value: then the latest older valid value is the lag, and stale is True
    when the window has no datapoint at all (the metric went silent). minimums: the Minimum of each
    minute [(timestamp, value)]; its latest -1 means replication stopped within that minute.
    data_loss_window_seconds: the lag while replication runs; once it stopped or went silent, the
    last valid lag plus the seconds since its datapoint (seconds_since_applied); None when unknown.
    """
    points = sorted(points, key=lambda p: p[0])
    result = {
        "lag_seconds": None,
        "replication_running": None,
        "last_lag_before_stop": None,
        "stale": False,
        "datapoints": len(points),
        "latest_timestamp": None,
        "latest_age_seconds": None,
        "seconds_since_applied": None,
        "data_loss_window_seconds": None,
    }
    if not points:
        return result
    latest_stamp, latest = points[-1]
    result["latest_timestamp"] = latest_stamp.isoformat()
    if now is not None:
        result["latest_age_seconds"] = round((now - latest_stamp).total_seconds(), 1)
    silent = now is not None and lookback_seconds is not None and (now - latest_stamp).total_seconds() > lookback_seconds
    valid = [(stamp, value) for stamp, value in points if value >= 0]
    if valid:
        result["lag_seconds"] = round(valid[-1][1] * factor, 3)
    if silent:
        result["stale"] = result["lag_seconds"] is not None
        result["last_lag_before_stop"] = result["lag_seconds"]
    else:
        lowest = dict(minimums or []).get(latest_stamp, latest)
        result["replication_running"] = latest >= 0 and lowest >= 0
        if not result["replication_running"] and valid:
            result["last_lag_before_stop"] = result["lag_seconds"]
    if not valid:
        return result
    if result["replication_running"]:
        result["data_loss_window_seconds"] = result["lag_seconds"]
    else:
        # nothing applied since the last valid datapoint (its minute's start: never less than the truth)
        since = max(0.0, ((now or latest_stamp) - valid[-1][0]).total_seconds())
        result["seconds_since_applied"] = round(since, 1)
        result["data_loss_window_seconds"] = round(result["lag_seconds"] + since, 1)
    return result


def status_of(window_seconds, rpo_seconds):
    if window_seconds is None:
        return "unknown"
    if rpo_seconds is not None and window_seconds > rpo_seconds:
        return "over_rpo"
    return "ok"


def aggregate(results, rpo_seconds):
    """max_lag_seconds (of the known lags), max_data_loss_window_seconds, within_rpo (every replica's
    window known and within), unknown ids."""
    known = [r["lag_seconds"] for r in results if r["lag_seconds"] is not None]
    windows = [r["data_loss_window_seconds"] for r in results if r.get("data_loss_window_seconds") is not None]
    unknown = [r["id"] for r in results if r.get("data_loss_window_seconds") is None]
    within = bool(results) and not unknown and all(r["status"] == "ok" for r in results)
    return {"max_lag_seconds": max(known) if known else None, "max_data_loss_window_seconds": max(windows) if windows else None,
            "within_rpo": within, "unknown": unknown}


def describe(reading):
    """One reading in a sentence: its data-loss window and where it comes from."""
    window = reading.get("data_loss_window_seconds")
    if window is None:
        return f"{reading['id']} unknown ({reading.get('reason') or 'no data'})"
    if reading.get("seconds_since_applied") is None:
        return f"{reading['id']} {window} s"
    why = "metric silent" if reading.get("stale") else "replication stopped"
    return (f"{reading['id']} {window} s ({why}: lag {reading['lag_seconds']} s at its last datapoint, "
            f"{reading['seconds_since_applied']} s ago)")


def caught_up_after(entry, since):
    """Whether a lag reading proves the replica caught up after `since` (an aware datetime, the fence): replication
    runs, the lag is 0, and the datapoint it comes from is stamped at or after `since`. A CloudWatch datapoint is
    stamped with the start of its minute and holds that minute's Maximum, so a 0 from a minute that began before the
    fence may predate writes the fence had not yet stopped."""
    if not (entry.get("lag_seconds") == 0 and entry.get("replication_running") and entry.get("latest_timestamp")):
        return False
    stamp = datetime.datetime.fromisoformat(entry["latest_timestamp"])
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp >= since


def rpo_verdict(readings, rpo_seconds, allow_data_loss=False):
    """The RPO gate, for every caller: ("passed" | "overridden" | "refused", the windows in words).

    Passed when every reading's data-loss window is known and at most rpo_seconds (no budget: known is
    enough); otherwise refused, unless allow_data_loss, which overrides (the caller warns and reports)."""
    windows = [r.get("data_loss_window_seconds") for r in readings]
    text = ", ".join(describe(r) for r in readings)
    if all(w is not None and (rpo_seconds is None or w <= rpo_seconds) for w in windows):
        return "passed", text
    return ("overridden" if allow_data_loss else "refused"), text


def _call(module, service, region, method, **params):
    """One call through the probe client (a dead region costs connect_timeout at most); a
    throttled answer means the region is up, so the call is repeated with retries."""
    try:
        return getattr(client(module, service, region, probe=True), method)(**params)
    except Exception as exc:  # pylint: disable=broad-except
        if not is_throttled(exc):
            raise
    return getattr(client(module, service, region), method)(aws_retry=True, **params)


def _member_clusters(module, region, replication_group_id):
    answer = _call(module, "elasticache", region, "describe_replication_groups", ReplicationGroupId=replication_group_id)
    return answer["ReplicationGroups"][0].get("MemberClusters", [])


def _metric_data(module, region, queries, start, end):
    """{query id: [(timestamp, value)]} from one GetMetricData call (more only past 500 queries or pages)."""
    points = {}
    for offset in range(0, len(queries), MAX_QUERIES):
        params = dict(MetricDataQueries=queries[offset:offset + MAX_QUERIES], StartTime=start, EndTime=end, ScanBy="TimestampAscending")
        while True:
            answer = _call(module, "cloudwatch", region, "get_metric_data", **params)
            for result in answer.get("MetricDataResults", []):
                points.setdefault(result["Id"], []).extend(zip(result.get("Timestamps", []), result.get("Values", [])))
            if not answer.get("NextToken"):
                break
            params["NextToken"] = answer["NextToken"]
    return points


def read_lag(module, replicas, lookback_seconds=300, rpo_seconds=None, now=None, history_seconds=HISTORY_SECONDS):
    """Lag of every replica: {"replicas": [...], "max_lag_seconds", "within_rpo", "unknown", "regions"}.

    A region that does not answer (or answers with an error) makes its replicas unknown, with
    the reason, instead of failing: the caller decides what unknown means for it.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(seconds=max(lookback_seconds, history_seconds))
    problems = {}
    members = {}
    for index, replica in enumerate(replicas):
        if replica["type"] == "elasticache":
            try:
                members[index] = replica.get("cache_cluster_ids") or _member_clusters(module, replica["region"], replica["id"])
            except Exception as exc:  # pylint: disable=broad-except
                problems[index] = _reason(replica["region"], exc)
    points = {}
    regions = {}
    for region, entries in build_queries(replicas, members).items():
        try:
            points.update(_metric_data(module, region, [query for query, _index in entries], start, now))
            regions[region] = "reachable"
        except Exception as exc:  # pylint: disable=broad-except
            regions[region] = _reason(region, exc)
            for _query, index in entries:
                problems.setdefault(index, regions[region])
    results = []
    for index, replica in enumerate(replicas):
        _namespace, name, factor = metric_of(replica)
        count = len(dimensions_of(replica, members.get(index)))
        # ElastiCache: the lag of a group is the max over its member clusters at each time (the min for the Minimum)
        merged, lowest = {}, {}
        for stamp, value in (p for n in range(count) for p in points.get(f"r{index}_{n}", [])):
            merged[stamp] = max(value, merged.get(stamp, value))
        for stamp, value in (p for n in range(count) for p in points.get(f"m{index}_{n}", [])):
            lowest[stamp] = min(value, lowest.get(stamp, value))
        entry = {"type": replica["type"], "region": replica["region"], "id": replica["id"], "metric": name}
        entry.update(summarize(list(merged.items()), factor, now, lookback_seconds, list(lowest.items())))
        entry["status"] = status_of(entry["data_loss_window_seconds"], rpo_seconds)
        if entry["lag_seconds"] is None:
            window = max(lookback_seconds, history_seconds)
            entry["reason"] = problems.get(index) or (
                f"no valid {name} datapoint in the last {window} s"
                if entry["replication_running"] is None
                else f"replication is not running ({name} -1) and no lag before it stopped in the last {window} s"
            )
        elif entry["stale"]:
            entry["reason"] = (
                f"no {name} datapoint in the last {lookback_seconds} s (replication stopped or its source region is silent); "
                f"the data-loss window is the last lag reported plus the {entry['seconds_since_applied']} s since"
            )
        elif entry["replication_running"] is False:
            entry["reason"] = (f"replication is not running ({name} -1): the data-loss window is the lag before it stopped "
                               f"plus the {entry['seconds_since_applied']} s since")
        results.append(entry)
    summary = aggregate(results, rpo_seconds)
    summary.update(replicas=results, regions=regions)
    return summary


def _reason(region, exc):
    if is_unreachable(exc):
        return f"region {region} unreachable ({type(exc).__name__})"
    return f"region {region} answered with an error: {exc}"
