"""CloudWatch as real AWS fills it for DR: replica lag metrics, and metric math.

moto publishes no service metrics, so a GetMetricData/GetMetricStatistics for a replica's lag
finds nothing, where AWS returns one datapoint a minute. For a metric with no stored
datapoints (put_metric_data wins, so tests can inject exact values) the simulator makes one
datapoint per 60 s period, from the replica's creation to now, with the value
STATE.lag_for(region, service, resource):

| metric (namespace) | dimensions | unit | published for | after the source region goes out |
|---|---|---|---|---|
| ReplicaLag (AWS/RDS) | DBInstanceIdentifier | s | an instance that is a read replica now, in its region | -1 (replication not running; also after a data-plane stop) |
| AuroraGlobalDBRPOLag, AuroraGlobalDBReplicationLag (AWS/RDS) | DBClusterIdentifier | ms | a secondary cluster of a global cluster | no datapoints |
| GlobalDatastoreReplicationLag (AWS/ElastiCache) | CacheClusterId [, CacheNodeId] | s | the member clusters of a secondary replication group | no datapoints |
| ReplicationLatency (AWS/S3) | SourceBucket, DestinationBucket, RuleId | s | an enabled replication rule, in the source bucket's region | no datapoints |

STATE.lag_for services: "rds" (resource: DB instance id), "aurora" (cluster id),
"elasticache" (replication group id), "s3" (source bucket). The datapoint of a minute shows
the state at the end of the part of it that has passed, so the current minute shows -1 at
once after the source's outage starts (as its Minimum; its Maximum is the lag before, so a replica
made less than a minute before the outage still shows the lag it had). Replica state is read from
moto's backends only.

Metric math (moto answers [] for anything but a bare id): + - * / ^, numbers, ids, and
MAX/MIN/SUM/AVG of [list] (per timestamp) or of one series (a scalar), evaluated per timestamp.
"""

import ast
import time
from datetime import datetime, timedelta, timezone

from moto.cloudwatch import models as cw_models
from moto.cloudwatch.exceptions import ValidationError

from .. import dataplane
from ..state import STATE

PERIOD = 60  # AWS publishes these metrics once a minute (standard resolution)
_ORIGINAL = {}


def _epoch(moment):
    if moment.tzinfo is None:  # moto keeps naive UTC datetimes
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _naive(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def _arn_region(arn, default):
    return arn.split(":")[3] if arn and arn.startswith("arn:") else default


def _down_since(region):
    outage = STATE.outage_of(region)
    return outage["since"] if outage else None


# the replicas behind each metric: (born epoch, lag seconds, source region, unit factor, value after the source goes out,
# when replication stopped on its own (data plane) or None)
def _rds_replica(account_id, region, dims):
    from moto.rds.models import rds_backends

    if set(dims) != {"DBInstanceIdentifier"}:
        return None
    instance = rds_backends[account_id][region].databases.get(dims["DBInstanceIdentifier"])
    if instance is None or not instance.is_replica or not instance.source_db_instance_identifier or instance.status == "creating":
        return None
    source_region = _arn_region(instance.source_db_instance_identifier, region)
    lag = dataplane.lag(instance, STATE.lag_for(region, "rds", instance.db_instance_identifier))
    return _epoch(instance.instance_create_time), lag, source_region, 1, -1, dataplane.stopped_since(instance)


def _aurora_secondary(account_id, region, dims):
    from moto.rds.models import rds_backends

    if set(dims) != {"DBClusterIdentifier"}:
        return None
    cluster = rds_backends[account_id][region].clusters.get(dims["DBClusterIdentifier"])
    if cluster is None or not cluster.global_cluster_identifier or cluster.is_writer:
        return None
    global_cluster = rds_backends[account_id]["us-east-1"].global_clusters.get(cluster.global_cluster_identifier.split(":")[-1])
    if global_cluster is None or cluster not in global_cluster.members:
        return None
    writer = next((m for m in global_cluster.members if m.is_writer), None)
    if writer is None:
        return None
    lag = STATE.lag_for(region, "aurora", cluster.db_cluster_identifier)
    return _epoch(cluster.cluster_create_time), lag, writer.region, 1000, None, None


def _elasticache_secondary(account_id, region, dims):
    from moto.elasticache.models import elasticache_backends

    if set(dims) not in ({"CacheClusterId"}, {"CacheClusterId", "CacheNodeId"}):
        return None
    backends = elasticache_backends[account_id]
    group = next(
        (g for g in backends[region].replication_groups.values() if dims["CacheClusterId"] in g.member_clusters),
        None,
    )
    info = getattr(group, "global_replication_group_info", None) if group else None
    if not info or info.get("GlobalReplicationGroupMemberRole") != "SECONDARY":
        return None
    primary_region = None
    for other_region, backend in list(backends.items()):
        for other in list(backend.replication_groups.values()):
            other_info = getattr(other, "global_replication_group_info", None) or {}
            if other_info.get("GlobalReplicationGroupId") == info["GlobalReplicationGroupId"] and other_info.get(
                "GlobalReplicationGroupMemberRole"
            ) == "PRIMARY":
                primary_region = other_region
    if primary_region is None:
        return None
    lag = dataplane.lag(group, STATE.lag_for(region, "elasticache", group.replication_group_id))
    if lag is None:  # the data plane's secondary has lost its primary
        return None
    return _epoch(group.replication_group_create_time), lag, primary_region, 1, None, None


def _s3_rule(account_id, region, dims):
    from moto.s3.models import s3_backends

    if set(dims) != {"SourceBucket", "DestinationBucket", "RuleId"}:
        return None
    backend = s3_backends[account_id]["aws"]
    bucket = backend.buckets.get(dims["SourceBucket"])
    if bucket is None or bucket.region_name != region:
        return None
    for rule in (getattr(bucket, "replication", None) or {}).get("Rule", []):
        destination = rule.get("Destination", {}).get("Bucket", "").split(":")[-1]
        if rule.get("ID") == dims["RuleId"] and destination == dims["DestinationBucket"] and rule.get("Status") == "Enabled":
            target = backend.buckets.get(destination)
            if target is None:
                return None
            lag = STATE.lag_for(region, "s3", bucket.name)
            # S3 publishes ReplicationLatency in seconds (DynamoDB's metric of the same name is in ms)
            return _epoch(bucket.creation_date), lag, target.region_name, 1, None, None
    return None


SOURCES = {
    ("AWS/RDS", "ReplicaLag"): _rds_replica,
    ("AWS/RDS", "AuroraGlobalDBRPOLag"): _aurora_secondary,
    ("AWS/RDS", "AuroraGlobalDBReplicationLag"): _aurora_secondary,
    ("AWS/ElastiCache", "GlobalDatastoreReplicationLag"): _elasticache_secondary,
    ("AWS/S3", "ReplicationLatency"): _s3_rule,
}


def _has_stored(backend, namespace, name, dims):
    wanted = sorted(dims.items())
    return any(
        md.namespace == namespace and md.name == name and sorted((d.name, d.value) for d in md.dimensions) == wanted
        for md in backend.metric_data
    )


def synthesize(backend, namespace, name, dims, start, end):
    """The datapoints AWS would hold for one metric between start and end (MetricDatum list)."""
    source = SOURCES.get((namespace, name))
    if source is None or _has_stored(backend, namespace, name, dims):
        return []
    with STATE.lock:  # the timeline thread changes roles under this lock
        replica = source(backend.account_id, backend.region_name, dims)
    if replica is None:
        return []
    born, lag, source_region, factor, after_stop, stopped = replica
    # replication stops when the source region goes out, or (data plane) when it was stopped on its own
    since = min((moment for moment in (_down_since(source_region), stopped) if moment is not None), default=None)
    now = time.time()
    dimensions = [{"Name": k, "Value": v} for k, v in sorted(dims.items())]
    unit = "Seconds" if factor == 1 else "Milliseconds"
    datums = []
    minute = int(max(_epoch(start), born) // PERIOD) * PERIOD
    while minute < min(_epoch(end), now):
        observed = min(minute + PERIOD, now)  # the state at the end of the part of the minute that has passed
        value = lag * factor
        if since is not None and since <= observed:
            if minute < since:
                # the minute the source went out: samples before it carry the lag (the minute's Maximum),
                # samples after it the stop (RDS: -1, the Minimum); Aurora and ElastiCache then go silent
                datums.append(cw_models.MetricDatum(namespace, name, value, dimensions, _naive(minute), unit))
            if after_stop is None:
                break
            value = after_stop
        datums.append(cw_models.MetricDatum(namespace, name, value, dimensions, _naive(minute), unit))
        minute += PERIOD
    return datums


class _WithSynthetic:
    """The backend as moto's own query code sees it, plus the synthesized datapoints."""

    def __init__(self, backend, extra):
        self._backend, self._extra = backend, extra

    def get_all_metrics(self):
        return self._backend.get_all_metrics() + self._extra


# metric math -------------------------------------------------------------------------------
_FUNCTIONS = {"MAX": max, "MIN": min, "SUM": sum, "AVG": lambda values: sum(values) / len(values)}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b else None,
    ast.BitXor: lambda a, b: a**b,  # CloudWatch's ^ is a power
    ast.Pow: lambda a, b: a**b,
}


def _combine(op, left, right):
    """Apply op to two operands: scalars, or series {timestamp: value} matched on timestamp."""
    if not isinstance(left, dict) and not isinstance(right, dict):
        return op(left, right)
    stamps = set(left) if isinstance(left, dict) else set(right)
    if isinstance(left, dict) and isinstance(right, dict):
        stamps &= set(right)
    out = {}
    for stamp in stamps:
        value = op(left[stamp] if isinstance(left, dict) else left, right[stamp] if isinstance(right, dict) else right)
        if value is not None:
            out[stamp] = value
    return out


def _evaluate(node, series, expression):
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, series, expression)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in series:
            raise ValidationError(f"Error in expression '{expression}': Unrecognized identifier '{node.id}'")
        return series[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return _combine(lambda a, b: a * b, _evaluate(node.operand, series, expression), sign)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _combine(_OPERATORS[type(node.op)], _evaluate(node.left, series, expression), _evaluate(node.right, series, expression))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.upper() in _FUNCTIONS and len(node.args) == 1:
        function = _FUNCTIONS[node.func.id.upper()]
        arg = node.args[0]
        if isinstance(arg, ast.List):  # per timestamp across series
            members = [_evaluate(e, series, expression) for e in arg.elts]
            stamps = set().union(*(m.keys() for m in members if isinstance(m, dict)))
            return {
                s: function([m[s] if isinstance(m, dict) else m for m in members if not isinstance(m, dict) or s in m])
                for s in stamps
            }
        value = _evaluate(arg, series, expression)
        return function(list(value.values())) if isinstance(value, dict) and value else value
    raise ValidationError(f"Error in expression '{expression}': unsupported syntax (regionsim evaluates + - * / ^, MAX/MIN/SUM/AVG)")


def evaluate_expression(expression, results):
    """Values and timestamps of a metric math expression over earlier query results."""
    series = {r["id"]: dict(zip(r["timestamps"], r["values"])) for r in results}
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ValidationError(f"Error in expression '{expression}': syntax error") from None
    value = _evaluate(tree, series, expression)
    if not isinstance(value, dict):  # a scalar is drawn at every timestamp of the series it came from
        stamps = sorted(set().union(*(s.keys() for s in series.values()))) if series else []
        value = dict.fromkeys(stamps, value)
    return value


# the patched backend methods ------------------------------------------------------------------
def _metric_stat_result(data, query, start, end, scan_by):
    """One MetricStat query over data: the metric is its namespace, name and full dimension set (as in AWS)."""
    stat = query["MetricStat"]
    metric = stat["Metric"]
    wanted = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    unit = stat.get("Unit")
    period = int(stat["Period"])
    buckets = {}
    for md in data:
        if (
            md.namespace == metric["Namespace"]
            and md.name == metric["MetricName"]
            and sorted((d.name, d.value) for d in md.dimensions) == wanted
            and (not unit or md.unit == unit)
            and start <= md.timestamp < end
        ):
            buckets.setdefault(int((md.timestamp - start).total_seconds()) // period, []).append(md)
    values, stamps = [], []
    for index in sorted(buckets, reverse=scan_by == "TimestampDescending"):
        statistics = cw_models.Statistics([stat["Stat"]], start + timedelta(seconds=index * period))
        statistics.metric_data = buckets[index]
        values.append(statistics.get_statistics_for_type(stat["Stat"]))
        stamps.append(statistics.timestamp)
    label = query.get("Label") or f"{metric['MetricName']} {stat['Stat']}"
    return {"id": query["Id"], "label": label, "values": values, "timestamps": stamps, "status_code": "Complete"}


def aws_start(start_time, now=None):
    """StartTime as CloudWatch rounds it (GetMetricData reference): down to the minute when less than 15 days ago, to 5
    minutes up to 63 days, else to the hour, so that datapoints are stamped with the start of their minute (moto
    buckets from the StartTime it was given)."""
    age = (now or time.time()) - _epoch(start_time)
    step = 60 if age < 15 * 86400 else 300 if age < 63 * 86400 else 3600
    rounded = _epoch(start_time) // step * step
    return _naive(rounded) if start_time.tzinfo is None else datetime.fromtimestamp(rounded, timezone.utc)


def get_metric_data(self, queries, start_time, end_time, scan_by="TimestampAscending"):
    start_time, end_time = aws_start(start_time.replace(microsecond=0)), end_time.replace(microsecond=0)
    if start_time >= end_time:
        # moto's own checks, same wording as AWS
        return _ORIGINAL["get_metric_data"](self, [], start_time, end_time, scan_by)
    data = self.get_all_metrics()
    for query in queries:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            data = data + synthesize(self, metric["Namespace"], metric["MetricName"], dims, start_time, end_time)
    computed = {}
    insights = [q for q in queries if q.get("Expression", "").startswith("SELECT")]
    if insights:  # Metrics Insights stays moto's
        computed.update((r["id"], r) for r in _ORIGINAL["get_metric_data"](self, insights, start_time, end_time, scan_by))
    for query in queries:
        if "MetricStat" in query:
            computed[query["Id"]] = _metric_stat_result(data, query, start_time, end_time, scan_by)
    # expressions may use the results of queries with ReturnData false and of earlier expressions
    for query in queries:
        if "Expression" in query and query["Id"] not in computed:
            values = evaluate_expression(query["Expression"], list(computed.values()))
            stamps = sorted(values, reverse=scan_by == "TimestampDescending")
            computed[query["Id"]] = {
                "id": query["Id"],
                "label": query.get("Label") or query["Id"],
                "values": [values[s] for s in stamps],
                "timestamps": stamps,
                "status_code": "Complete",
            }
    return [computed[q["Id"]] for q in queries if q.get("ReturnData", True)]


def get_metric_statistics(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit=None):
    start_time = aws_start(start_time)
    dims = {d["Name"]: d.get("Value") for d in dimensions or []}
    extra = synthesize(self, namespace, metric_name, dims, start_time, end_time) if all(dims.values()) else []
    return _ORIGINAL["get_metric_statistics"](
        _WithSynthetic(self, extra), namespace, metric_name, start_time, end_time, period, stats, dimensions, unit=unit
    )


def apply():
    if _ORIGINAL:
        return
    backend = cw_models.CloudWatchBackend
    _ORIGINAL["get_metric_data"] = backend.get_metric_data
    _ORIGINAL["get_metric_statistics"] = backend.get_metric_statistics
    backend.get_metric_data = get_metric_data
    backend.get_metric_statistics = get_metric_statistics
