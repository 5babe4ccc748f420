"""EC2 launch templates as AWS keeps them.

moto 5.2.5 (1) keeps a later version's UserData as a plain str, so an Auto Scaling launch from
that version fails with an AssertionError (500); (2) copies CreateLaunchTemplate's top-level
TagSpecifications (ResourceType launch-template: the template's own tags) into
LaunchTemplateData, where AWS never puts them, so amazon.aws.ec2_launch_template sees a
difference and makes a new version on every run of a tagged template.
"""

from moto.core.types import Base64EncodedString
from moto.ec2.models import launch_templates
from moto.ec2.utils import parse_user_data

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


def apply():
    if launch_templates.LaunchTemplate.create_version is not _create_version:
        launch_templates.LaunchTemplate.create_version = _create_version
