# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSM Parameter Store rules for multiregion.dr: parameter names, batch reads and what a run changes.

AWS limits (SSM API reference): GetParameters takes at most 10 names, DeleteParameters 10, a DescribeParameters
Name filter 50 values; PutParameter refuses Tags together with Overwrite (tags go with AddTagsToResource then);
a StringList is one string whose items are separated by commas."""

import re

GET_BATCH = 10
DESCRIBE_BATCH = 50
NAME_PATH = re.compile(r"^/([A-Za-z0-9_.-]+/)+$")
NAME_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


def request_problems(path, parameters, names, check_mode=False):
    """Bad input, each naming the bad value and what is allowed (checked before any call). In check mode an
    empty value passes: it comes from something not made yet (a plan on an empty account)."""
    problems = []
    if not NAME_PATH.match(path or ""):
        problems.append(f"path={path!r} must start and end with / (letters, digits, _ . - between)")
    for key in list(parameters) + list(names):
        if not NAME_KEY.match(str(key)):
            problems.append(f"parameter name {key!r} under {path} may hold only letters, digits, _ . -")
    for key, value in parameters.items():
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value and not check_mode:
            problems.append(f"{key} is an empty list: a StringList needs at least one item")
        for item in items:
            if (item is None or str(item) == "") and not check_mode:
                problems.append(f"{key} has an empty value: set it (an empty SSM parameter cannot be stored)")
            elif isinstance(value, list) and "," in str(item):
                problems.append(f"{key} has the item {str(item)!r}: StringList items cannot hold commas")
    return problems


def wanted(path, parameters):
    """{full name: (type, value)}: a list is a StringList (items joined with commas), anything else a String."""
    return {f"{path}{key}": ("StringList", ",".join(str(i) for i in value)) if isinstance(value, list) else ("String", str(value))
            for key, value in parameters.items()}


def batches(items, size):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def read(ssm, names, with_tags=True):
    """{name: {"type", "value", "description", "tags"}} of the parameters that exist among names."""
    found = {}
    for batch in batches(names, GET_BATCH):
        for parameter in ssm.get_parameters(Names=batch, aws_retry=True)["Parameters"]:
            found[parameter["Name"]] = {"type": parameter["Type"], "value": parameter["Value"]}
    for batch in batches(found, DESCRIBE_BATCH):
        paginator = ssm.get_paginator("describe_parameters")
        for page in paginator.paginate(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}]):
            for parameter in page["Parameters"]:
                if parameter["Name"] in found:
                    found[parameter["Name"]]["description"] = parameter.get("Description")
    if with_tags:
        for name, seen in found.items():
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name, aws_retry=True)["TagList"]
            seen["tags"] = {t["Key"]: t["Value"] for t in tags}
    return found


def changes(current, want, description, tags):
    """What a run does: (create, overwrite, tag) name lists, from the current parameters and the wanted ones."""
    create = [name for name in want if name not in current]
    overwrite = [name for name, (kind, value) in want.items() if name in current and (
        (current[name]["type"], current[name]["value"]) != (kind, value)
        or (description is not None and current[name].get("description") != description))]
    tag = [name for name in want if name in current and any(current[name].get("tags", {}).get(k) != v for k, v in tags.items())]
    return create, overwrite, tag
