"""EC2 launch templates: template tags stay out of the version data; later versions launch. Instances take their\nnetwork interfaces along; DescribeTags names a NAT gateway natgateway."""

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


def test_terminated_instance_takes_its_network_interface_along(client):
    ec2 = client("ec2", "eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-03cf127a", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    assert instance["NetworkInterfaces"][0]["Attachment"]["DeleteOnTermination"] is True
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_describe_tags_names_a_nat_gateway_as_aws_does(client):
    ec2 = client("ec2", "us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address,
                                 TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "shop-nat"}]}])["NatGateway"]
    by_type = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat["NatGatewayId"]]},
                                         {"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
    assert [(t["ResourceType"], t["Key"], t["Value"]) for t in by_type] == [("natgateway", "Name", "shop-nat")]
