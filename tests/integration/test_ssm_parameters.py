"""multiregion.dr.ssm_parameters: the region-aware configuration written in one module run, only what changed."""

import time

REGION = "eu-west-1"
PATH = "/shop/config/"
TAGS = {"Application": "shop", "ManagedBy": "multiregion.dr"}
CONFIG = {"active_region": "us-east-1", "write_endpoint": "db.us-east-1", "read_endpoints": ["db.eu-west-1", "db2.eu-west-1"]}


def write(module, parameters, check=False, **extra):
    args = {"region": REGION, "path": PATH, "parameters": parameters, "description": "shop DR configuration", "tags": TAGS, **extra}
    return module("ssm_parameters", args, check=check, diff=True)


def writes(sim, since):
    return [e["action"] for e in sim.log(since) if e["service"] == "ssm" and not e["action"].startswith(("Get", "Describe", "List"))]


def test_written_in_one_run_then_only_what_changed(module, sim, aws):
    ssm = aws("ssm", REGION)
    since = time.time()
    planned = write(module, CONFIG, check=True)
    assert planned["changed"] and planned["created"] == [PATH + k for k in CONFIG] and writes(sim, since) == []

    made = write(module, CONFIG)
    assert made["changed"] and sorted(made["created"]) == sorted(PATH + k for k in CONFIG), made
    assert writes(sim, since) == ["PutParameter"] * 3
    read = ssm.get_parameter(Name=PATH + "read_endpoints")["Parameter"]
    assert (read["Type"], read["Value"]) == ("StringList", "db.eu-west-1,db2.eu-west-1")
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=PATH + "active_region")["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS

    # a rerun writes nothing; a failover changes two values: two writes, the others untouched
    since = time.time()
    assert write(module, CONFIG)["changed"] is False and writes(sim, since) == []
    moved = write(module, dict(CONFIG, active_region="eu-west-1", write_endpoint="db.eu-west-1"))
    assert moved["changed"] and moved["updated"] == [PATH + "active_region", PATH + "write_endpoint"] and moved["created"] == []
    assert moved["diff"]["before"][PATH + "active_region"] == "us-east-1" and moved["diff"]["after"][PATH + "active_region"] == "eu-west-1"
    assert writes(sim, since) == ["PutParameter", "PutParameter"]
    assert ssm.get_parameter(Name=PATH + "active_region")["Parameter"]["Value"] == "eu-west-1"

    # one made by hand, untagged: it gets the tags (AWS refuses tags with an overwrite)
    ssm.put_parameter(Name=PATH + "region", Value="eu-west-1", Type="String", Description="shop DR configuration")
    since = time.time()
    tagged = write(module, dict(CONFIG, active_region="eu-west-1", write_endpoint="db.eu-west-1", region="eu-west-1"))
    assert tagged["changed"] and tagged["updated"] == [PATH + "region"] and writes(sim, since) == ["AddTagsToResource"]

    # absent: gone, those already gone are fine, and a rerun changes nothing
    gone = module("ssm_parameters", {"region": REGION, "path": PATH, "names": [*CONFIG, "region", "bucket"], "state": "absent"})
    assert gone["changed"] and sorted(gone["deleted"]) == sorted(PATH + k for k in [*CONFIG, "region"])
    assert ssm.get_parameters_by_path(Path=PATH)["Parameters"] == []
    assert module("ssm_parameters", {"region": REGION, "path": PATH, "names": list(CONFIG), "state": "absent"})["changed"] is False


def test_bad_input_is_refused_before_any_call_naming_it(module, sim):
    since = time.time()
    for args, words in (
        ({"path": "shop/config"}, "path='shop/config' must start and end with /"),
        ({"parameters": {"write_endpoint": ""}}, "write_endpoint has an empty value"),
        ({"parameters": {"read_endpoints": ["a,b"]}}, "read_endpoints has the item 'a,b': StringList items cannot hold commas"),
        ({"parameters": {"bad name": "x"}}, "parameter name 'bad name'"),
    ):
        result = module("ssm_parameters", {"region": REGION, "path": PATH, **args})
        assert result["failed"] and words in result["msg"], result
    assert [e for e in sim.log(since) if e["service"] == "ssm"] == []
    # in check mode an empty value is a value not known yet (a plan on an empty account)
    assert write(module, {"write_endpoint": ""}, check=True)["changed"]


def test_throttling_is_retried(module, sim, aws):
    sim.fault("throttle", probability=1.0, count=2, service="ssm", action="PutParameter")
    assert write(module, CONFIG)["changed"]
    assert len(aws("ssm", REGION).get_parameters_by_path(Path=PATH)["Parameters"]) == 3
