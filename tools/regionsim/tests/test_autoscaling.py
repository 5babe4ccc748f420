"""Auto Scaling behaves as in AWS: metrics collection can be enabled and disabled (so the
amazon.aws autoscaling_group module reruns cleanly), target tracking creates its CloudWatch
alarms, instances launch Pending then InService, instance refreshes replace instances."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

ANSIBLE = Path(sys.executable).with_name("ansible")

AMI = "ami-03cf127a"  # one of the AMIs moto ships (listing them all takes seconds)


def _group(client, region="us-east-1", name="web", desired=2):
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg = client("autoscaling", region)
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"},
        MinSize=1,
        MaxSize=4,
        DesiredCapacity=desired,
        VPCZoneIdentifier=subnet,
    )
    return asg, subnet


def _describe(asg, name="web"):
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def test_enable_and_disable_metrics_collection(client):
    asg, _ = _group(client)
    asg.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute", Metrics=["GroupMinSize", "GroupMaxSize"])
    asg.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute", Metrics=["GroupMaxSize", "GroupTotalInstances"])
    enabled = _describe(asg)["EnabledMetrics"]
    assert sorted(m["Metric"] for m in enabled) == ["GroupMaxSize", "GroupMinSize", "GroupTotalInstances"]
    assert {m["Granularity"] for m in enabled} == {"1Minute"}
    asg.disable_metrics_collection(AutoScalingGroupName="web", Metrics=["GroupMinSize"])
    assert sorted(m["Metric"] for m in _describe(asg)["EnabledMetrics"]) == ["GroupMaxSize", "GroupTotalInstances"]
    asg.disable_metrics_collection(AutoScalingGroupName="web")
    assert _describe(asg)["EnabledMetrics"] == []
    asg.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute")
    assert {"GroupInServiceInstances", "GroupPendingInstances", "GroupTotalCapacity"} <= {m["Metric"] for m in _describe(asg)["EnabledMetrics"]}
    with pytest.raises(ClientError) as err:
        asg.disable_metrics_collection(AutoScalingGroupName="nope")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def _ansible(sim, subnet):
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=sim.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="oneline",
    )
    env.pop("AWS_PROFILE", None)
    args = (
        "name=dr-web region=us-east-1 launch_template={'launch_template_name':'web'} "
        f"min_size=1 max_size=3 desired_capacity=2 vpc_zone_identifier={subnet}"
    )
    run = subprocess.run([str(ANSIBLE), "localhost", "-m", "amazon.aws.autoscaling_group", "-a", args], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return '"changed": true' in run.stdout


def test_amazon_aws_autoscaling_group_reruns_idempotently(sim, client):
    asg, subnet = _group(client, desired=1)
    assert _ansible(sim, subnet) is True
    # the rerun calls DisableMetricsCollection (metrics_collection defaults to false)
    assert _ansible(sim, subnet) is False
    group = _describe(asg, "dr-web")
    assert len(group["Instances"]) == 2 and {i["LifecycleState"] for i in group["Instances"]} == {"InService"}


def _target_tracking(asg, name="cpu50", target=50.0, **config):
    return asg.put_scaling_policy(
        AutoScalingGroupName="web",
        PolicyName=name,
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": target,
            **config,
        },
    )


def test_target_tracking_policy_creates_its_alarms(client):
    asg, _ = _group(client, region="us-west-2")
    asg = client("autoscaling", "us-west-2")
    cloudwatch = client("cloudwatch", "us-west-2")
    out = _target_tracking(asg)
    assert out["PolicyARN"].startswith("arn:aws:autoscaling:us-west-2:") and out["PolicyARN"].endswith(":policyName/cpu50")
    assert len(out["Alarms"]) == 2
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=[a["AlarmName"] for a in out["Alarms"]])["MetricAlarms"]}
    high = next(a for n, a in alarms.items() if n.startswith("TargetTracking-web-AlarmHigh-"))
    low = next(a for n, a in alarms.items() if n.startswith("TargetTracking-web-AlarmLow-"))
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == ("AWS/EC2", "CPUUtilization", "Average")
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "web"}]
    assert (high["ComparisonOperator"], high["Threshold"], high["EvaluationPeriods"]) == ("GreaterThanThreshold", 50.0, 3)
    assert (low["ComparisonOperator"], low["Threshold"], low["EvaluationPeriods"]) == ("LessThanThreshold", 45.0, 15)
    assert high["AlarmActions"] == [out["PolicyARN"]]
    policy = asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"][0]
    assert policy["PolicyARN"] == out["PolicyARN"]
    assert sorted(a["AlarmName"] for a in policy["Alarms"]) == sorted(alarms)
    # alarms live in the group's region only
    assert client("cloudwatch", "us-east-1").describe_alarms()["MetricAlarms"] == []

    # every policy has its own ARN; an update keeps the alarm names and moves the thresholds
    other = _target_tracking(asg, name="cpu70", target=70.0, DisableScaleIn=True)
    assert other["PolicyARN"] != out["PolicyARN"] and len(other["Alarms"]) == 1
    again = _target_tracking(asg, target=60.0)
    assert sorted(a["AlarmName"] for a in again["Alarms"]) == sorted(alarms) and again["PolicyARN"] == out["PolicyARN"]
    assert cloudwatch.describe_alarms(AlarmNames=[high["AlarmName"]])["MetricAlarms"][0]["Threshold"] == 60.0

    asg.delete_policy(AutoScalingGroupName="web", PolicyName="cpu50")
    assert cloudwatch.describe_alarms(AlarmNames=sorted(alarms))["MetricAlarms"] == []
    asg.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    assert asg.describe_policies()["ScalingPolicies"] == []


def test_new_instances_are_pending_then_in_service_with_latency_model(sim, client, walk):
    sim.latency(True, 0.01)
    asg, _ = _group(client, desired=2)
    # launching instances count toward the desired capacity: nothing more is launched
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    assert len(_describe(asg)["Instances"]) == 2
    seen = walk(lambda: {i["LifecycleState"] for i in _describe(asg)["Instances"]})
    assert seen[0] == {"Pending"} and seen[-1] == {"InService"}, seen


def test_instance_refresh_replaces_instances(client):
    asg, _ = _group(client, desired=2)
    before = {i["InstanceId"] for i in _describe(asg)["Instances"]}
    refresh_id = asg.start_instance_refresh(AutoScalingGroupName="web")["InstanceRefreshId"]
    refresh = asg.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"][0]
    assert refresh["InstanceRefreshId"] == refresh_id and refresh["Status"] == "Successful"
    assert refresh["PercentageComplete"] == 100
    after = {i["InstanceId"] for i in _describe(asg)["Instances"]}
    assert len(after) == 2 and not before & after


def test_instance_refresh_statuses_with_latency_model(sim, client, walk):
    asg, _ = _group(client, desired=1)
    sim.latency(True, 0.01)
    refresh_id = asg.start_instance_refresh(AutoScalingGroupName="web")["InstanceRefreshId"]
    with pytest.raises(ClientError) as err:
        asg.start_instance_refresh(AutoScalingGroupName="web")
    assert err.value.response["Error"]["Code"] == "InstanceRefreshInProgress"
    seen = walk(lambda: asg.describe_instance_refreshes(
        AutoScalingGroupName="web", InstanceRefreshIds=[refresh_id])["InstanceRefreshes"][0]["Status"])
    assert seen == ["Pending", "InProgress", "Successful"]
