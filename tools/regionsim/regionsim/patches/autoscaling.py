"""EC2 Auto Scaling as AWS has it (Auto Scaling API reference).

moto 5.2.5: DisableMetricsCollection and StartInstanceRefresh are missing (500; amazon.aws
autoscaling_group calls DisableMetricsCollection on every rerun, so every rerun failed);
EnableMetricsCollection replaces the list (and enables nothing when Metrics is omitted);
PutScalingPolicy answers "PolicyArn" (botocore reads PolicyARN) with the same ARN for every
policy and creates no CloudWatch alarms for target tracking; new instances are InService at
once. Here target tracking creates the AlarmHigh/AlarmLow alarms AWS creates (deleted with
the policy or the group), and new instances go Pending then InService with the latency
model ("autoscaling.launch_instance").
"""

import datetime

from moto.autoscaling import models as asg_models
from moto.autoscaling import responses as asg_responses
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random as random
from moto.utilities.utils import get_partition

from .. import timeline
from ..state import STATE

# EnableMetricsCollection without Metrics enables all of these (API reference).
GROUP_METRICS = (
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
    "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances",
    "GroupInServiceCapacity", "GroupPendingCapacity", "GroupStandbyCapacity", "GroupTerminatingCapacity",
    "GroupTotalCapacity", "WarmPoolDesiredCapacity", "WarmPoolWarmedCapacity", "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity", "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
)
# Target tracking predefined metrics -> (namespace, metric, statistic)
PREDEFINED = {
    "ASGAverageCPUUtilization": ("AWS/EC2", "CPUUtilization", "Average"),
    "ASGAverageNetworkIn": ("AWS/EC2", "NetworkIn", "Average"),
    "ASGAverageNetworkOut": ("AWS/EC2", "NetworkOut", "Average"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}
LAUNCHING = ("Pending", "Pending:Wait", "Pending:Proceed")
MOTO_POLICY_ID = "c322761b-3172-4d56-9a21-0ed9d6161d67"  # the one id moto gives every policy

_refreshes = {}  # (account, region, group) -> [refresh dicts], newest first
KEPT = ("_refreshes",)  # for snapshots (regionsim.snapshot)


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


def _group(backend, name):
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    return group


# --- metrics collection ---------------------------------------------------------------

def _enable_metrics_collection(self):
    group = _group(self.autoscaling_backend, self._get_param("AutoScalingGroupName"))
    if self._get_param("Granularity") != "1Minute":
        raise ValidationError("Valid granularity is 1Minute.")
    wanted = self._get_param("Metrics") or GROUP_METRICS
    group.metrics = group.metrics + [m for m in wanted if m not in group.metrics]
    return EmptyResult()


def _disable_metrics_collection(self):
    group = _group(self.autoscaling_backend, self._get_param("AutoScalingGroupName"))
    unwanted = self._get_param("Metrics")
    group.metrics = [m for m in group.metrics if unwanted and m not in unwanted]
    return EmptyResult()


# --- scaling policies -------------------------------------------------------------------

def _policy_arn(self):
    backend = self.autoscaling_backend
    return (
        f"arn:{get_partition(backend.region_name)}:autoscaling:{backend.region_name}:{backend.account_id}:scalingPolicy:{getattr(self, 'sim_id', MOTO_POLICY_ID)}"
        f":autoScalingGroupName/{self.auto_scaling_group_name}:policyName/{self.name}"
    )


def _cloudwatch(policy):
    from moto.cloudwatch.models import cloudwatch_backends

    backend = policy.autoscaling_backend
    return cloudwatch_backends[backend.account_id][backend.region_name]


def _alarm_metric(policy):
    config = policy.target_tracking_configuration.__dict__
    group_dimension = [{"Name": "AutoScalingGroupName", "Value": policy.auto_scaling_group_name}]
    predefined = config.get("PredefinedMetricSpecification")
    if predefined:
        namespace, metric, statistic = PREDEFINED[predefined["PredefinedMetricType"]]
        dimensions = group_dimension
        if metric == "RequestCountPerTarget":
            label = predefined.get("ResourceLabel", "")
            dimensions = [{"Name": "TargetGroup", "Value": label[label.find("targetgroup/"):]}]
        return namespace, metric, statistic, dimensions
    custom = config.get("CustomizedMetricSpecification") or {}
    if not custom.get("MetricName"):
        return None  # metric math specifications: no single metric to alarm on here
    return custom["Namespace"], custom["MetricName"], custom.get("Statistic", "Average"), custom.get("Dimensions", [])


def _delete_alarms(policy):
    names = [a["AlarmName"] for a in getattr(policy, "alarms", [])]
    if names:
        _cloudwatch(policy).delete_alarms(names)
    policy.alarms = []


def _put_target_tracking_alarms(policy, previous):
    """AWS creates AlarmHigh (3 of 3 minutes above target) and, unless scale-in is disabled,
    AlarmLow (15 of 15 minutes below 90% of target); an update keeps the alarm names."""
    metric = _alarm_metric(policy)
    if metric is None:
        return
    namespace, metric_name, statistic, dimensions = metric
    config = policy.target_tracking_configuration.__dict__
    target = float(config["TargetValue"])
    old = {("AlarmLow" if "-AlarmLow-" in a["AlarmName"] else "AlarmHigh"): a["AlarmName"] for a in getattr(previous, "alarms", [])}
    specs = [("AlarmHigh", "GreaterThanThreshold", 3, target)]
    if not config.get("DisableScaleIn"):
        specs.append(("AlarmLow", "LessThanThreshold", 15, target * 0.9))
    cloudwatch = _cloudwatch(policy)
    keep = set()
    policy.alarms = []
    for kind, operator, periods, threshold in specs:
        name = old.get(kind) or f"TargetTracking-{policy.auto_scaling_group_name}-{kind}-{random.uuid4()}"
        keep.add(name)
        alarm = cloudwatch.put_metric_alarm(
            name=name,
            namespace=namespace,
            metric_name=metric_name,
            comparison_operator=operator,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            period=60,
            threshold=threshold,
            statistic=statistic,
            description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.policy_arn}.",
            dimensions=dimensions,
            alarm_actions=[policy.policy_arn],
        )
        policy.alarms.append({"AlarmName": name, "AlarmARN": alarm.alarm_arn})
    stale = [n for n in old.values() if n not in keep]
    if stale:
        cloudwatch.delete_alarms(stale)


_original_put_scaling_policy = asg_models.AutoScalingBackend.put_scaling_policy


def put_scaling_policy(self, name, *args, **kwargs):
    previous = self.policies.get(name)
    policy = _original_put_scaling_policy(self, name, *args, **kwargs)
    policy.sim_id = getattr(previous, "sim_id", None) or str(random.uuid4())
    if policy.policy_type == "TargetTrackingScaling":
        _put_target_tracking_alarms(policy, previous)
    else:
        policy.alarms = []
        if previous is not None:
            _delete_alarms(previous)
    return policy


def _put_scaling_policy_response(self):
    _group(self.autoscaling_backend, self._get_param("AutoScalingGroupName"))
    _original_put_scaling_policy_response(self)
    policy = self.autoscaling_backend.policies[self._get_param("PolicyName")]
    return ActionResult({"PolicyARN": policy.policy_arn, "Alarms": policy.alarms})


_original_put_scaling_policy_response = asg_responses.AutoScalingResponse.put_scaling_policy
_original_delete_policy = asg_models.AutoScalingBackend.delete_policy
_original_delete_group = asg_models.AutoScalingBackend.delete_auto_scaling_group


def delete_policy(self, policy_name):
    policy = self.policies.get(policy_name)
    if policy is not None:
        _delete_alarms(policy)
    _original_delete_policy(self, policy_name)


def delete_auto_scaling_group(self, group_name):
    _original_delete_group(self, group_name)
    # AWS deletes the group's scaling policies (and their alarms) with it
    for name, policy in list(self.policies.items()):
        if policy.auto_scaling_group_name == group_name:
            _delete_alarms(policy)
            del self.policies[name]
    with STATE.lock:
        for refresh in _refreshes.get((self.account_id, self.region_name, group_name), []):
            if refresh["Status"] in ("Pending", "InProgress"):
                refresh["Status"] = "Cancelled"


# --- instance launches ------------------------------------------------------------------

def active_instances(self):
    # instances still launching count toward the desired capacity, as in AWS
    return [s for s in self.instance_states if s.lifecycle_state == "InService" or s.lifecycle_state in LAUNCHING]


_original_replace = asg_models.FakeAutoScalingGroup.replace_autoscaling_group_instances


def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
    before = set(map(id, self.instance_states))
    _original_replace(self, count_needed, propagated_tags)
    for state in self.instance_states:
        if id(state) not in before:
            timeline.run("autoscaling.launch_instance", lambda status, state=state: setattr(state, "lifecycle_state", status))


# --- instance refresh -------------------------------------------------------------------

def _refresh_step(backend, group_name, refresh, status):
    if refresh["Status"] == "Cancelled":
        return
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        refresh["Status"] = "Cancelled"
        return
    if not refresh["replaced"]:
        # replace every instance with one from the group's current launch template/configuration
        old = [s for s in group.instance_states if s.lifecycle_state != "Standby"]
        if old:
            backend.ec2_backend.terminate_instances([s.instance.id for s in old])
            group.instance_states = [s for s in group.instance_states if s not in old]
            group.replace_autoscaling_group_instances(len(old), group.get_propagated_tags())
        backend.update_attached_elbs(group_name)
        backend.update_attached_target_groups(group_name)
        refresh["replaced"] = True
    refresh["Status"] = status
    if status == "Successful":
        refresh.update(PercentageComplete=100, InstancesToUpdate=0, EndTime=datetime.datetime.now(datetime.timezone.utc))


def _start_instance_refresh(self):
    backend = self.autoscaling_backend
    name = self._get_param("AutoScalingGroupName")
    group = _group(backend, name)
    key = (backend.account_id, backend.region_name, name)
    with STATE.lock:
        history = _refreshes.setdefault(key, [])
        if any(r["Status"] in ("Pending", "InProgress", "Cancelling") for r in history):
            raise InstanceRefreshInProgress("An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
        refresh = {
            "InstanceRefreshId": str(random.uuid4()),
            "AutoScalingGroupName": name,
            "Status": "Pending",
            "StartTime": datetime.datetime.now(datetime.timezone.utc),
            "PercentageComplete": 0,
            "InstancesToUpdate": len(group.instance_states),
            "Preferences": self._get_param("Preferences") or {"MinHealthyPercentage": 90, "InstanceWarmup": 300},
            "Strategy": self._get_param("Strategy") or "Rolling",
            "replaced": False,
        }
        history.insert(0, refresh)
    timeline.run("autoscaling.instance_refresh", lambda status: _refresh_step(backend, name, refresh, status))
    return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})


def _describe_instance_refreshes(self):
    backend = self.autoscaling_backend
    name = self._get_param("AutoScalingGroupName")
    ids = self._get_param("InstanceRefreshIds")
    with STATE.lock:
        found = [
            {k: v for k, v in r.items() if k != "replaced"}
            for r in _refreshes.get((backend.account_id, backend.region_name, name), [])
            if not ids or r["InstanceRefreshId"] in ids
        ]
    return ActionResult({"InstanceRefreshes": found})


def apply():
    responses = asg_responses.AutoScalingResponse
    responses.enable_metrics_collection = _enable_metrics_collection
    responses.disable_metrics_collection = _disable_metrics_collection
    responses.put_scaling_policy = _put_scaling_policy_response
    responses.start_instance_refresh = _start_instance_refresh
    responses.describe_instance_refreshes = _describe_instance_refreshes
    backend = asg_models.AutoScalingBackend
    backend.put_scaling_policy = put_scaling_policy
    backend.delete_policy = delete_policy
    backend.delete_auto_scaling_group = delete_auto_scaling_group
    group = asg_models.FakeAutoScalingGroup
    group.active_instances = active_instances
    group.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    policy = asg_models.FakeScalingPolicy
    policy.arn = policy.policy_arn = property(_policy_arn)
    policy.alarms = []  # class default for policies made before apply() or not target tracking

