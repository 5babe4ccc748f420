"""EC2 launch templates and instance network interfaces as AWS keeps them.

moto 5.2.5 (1) keeps a later version's UserData as a plain str, so an Auto Scaling launch from
that version fails with an AssertionError (500); (2) copies CreateLaunchTemplate's top-level
TagSpecifications (ResourceType launch-template: the template's own tags) into
LaunchTemplateData, where AWS never puts them, so amazon.aws.ec2_launch_template sees a
difference and makes a new version on every run of a tagged template; (3) creates the network
interfaces of RunInstances with DeleteOnTermination false, so they stay "in-use" after the
instance is terminated and a VPC can never be emptied. AWS deletes them with the instance
unless DeleteOnTermination was set to false for that interface; (4) names a NAT gateway's resource
type "nat-gateway" in DescribeTags, where AWS says (and filters on) "natgateway", so a tag filter by
resource type finds none of its tags and amazon.aws.ec2_vpc_nat_gateway re-tags it on every run.
"""

from moto.core.types import Base64EncodedString
from moto.ec2.models import instances, launch_templates
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, parse_user_data

_moto_create_version = launch_templates.LaunchTemplate.create_version


def _create_version(self, data, description):
    data = dict(data)
    if data.get("UserData") is not None and not isinstance(data["UserData"], Base64EncodedString):
        data["UserData"] = parse_user_data(data["UserData"])
    specs = [s for s in data.get("TagSpecifications") or [] if s.get("ResourceType") != "launch-template"]
    if specs:
        data["TagSpecifications"] = specs
    else:
        data.pop("TagSpecifications", None)
    return _moto_create_version(self, data, description)


_moto_prep_nics = instances.Instance.prep_nics


def _prep_nics(self, nic_spec, *args, **kwargs):
    # interfaces created here (no NetworkInterfaceId) default to DeleteOnTermination=true, as in AWS
    nic_spec = [dict(nic, DeleteOnTermination=nic.get("DeleteOnTermination", True)) if not nic.get("NetworkInterfaceId") else nic
                for nic in nic_spec or []]
    result = _moto_prep_nics(self, nic_spec, *args, **kwargs)
    if not nic_spec:  # moto made the primary interface from the subnet itself
        for nic in self.nics.values():
            if nic.device_index == 0:
                nic.delete_on_termination = True
    return result


def apply():
    EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"  # DescribeTags' resource type, as AWS names it
    if launch_templates.LaunchTemplate.create_version is not _create_version:
        launch_templates.LaunchTemplate.create_version = _create_version
    if instances.Instance.prep_nics is not _prep_nics:
        instances.Instance.prep_nics = _prep_nics
