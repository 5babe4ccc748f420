"""EC2 launch templates: template tags stay out of the version data; later versions launch."""

import base64


def test_template_tags_are_not_version_data_and_new_versions_launch(client):
    ec2 = client("ec2", "us-west-2")
    template = ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": "ami-03cf127a", "InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Application", "Value": "shop"}]}],
    )["LaunchTemplate"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])["LaunchTemplateVersions"][0]
    assert "TagSpecifications" not in data["LaunchTemplateData"]
    assert {"Key": "Application", "Value": "shop"} in ec2.describe_launch_templates()["LaunchTemplates"][0]["Tags"]

    user_data = base64.b64encode(b"#!/bin/sh\necho ok\n").decode()
    ec2.create_launch_template_version(
        LaunchTemplateId=template["LaunchTemplateId"],
        LaunchTemplateData={"ImageId": "ami-03cf127a", "InstanceType": "t3.micro", "UserData": user_data},
    )
    asg = client("autoscaling", "us-west-2")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web", MinSize=1, MaxSize=1, DesiredCapacity=1, AvailabilityZones=["us-west-2a"],
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "2"},
    )
    instances = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]["Instances"]
    assert len(instances) == 1
