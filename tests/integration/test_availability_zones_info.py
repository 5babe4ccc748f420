"""multiregion.dr.availability_zones_info on the simulator: moto carries AWS's instance type offerings per zone."""

import time

REGION = "us-west-2"


def test_zones_by_id_that_offer_the_instance_types(module, sim):
    everywhere = module("availability_zones_info", {"region": REGION, "instance_types": ["t3.micro"], "count": 2})
    assert not everywhere.get("failed") and not everywhere["changed"], everywhere
    ids = [z["zone_id"] for z in everywhere["zones"]]
    assert ids == sorted(ids) and len(ids) >= 2 and everywhere["lacking"] == {}
    # a1.large: only some zones of us-west-2 offer it (AWS's data, in moto)
    some = module("availability_zones_info", {"region": REGION, "instance_types": ["t3.micro", "a1.large"]})
    assert some["lacking"] and all(types == ["a1.large"] for types in some["lacking"].values()), some
    assert {z["zone_name"] for z in some["zones"]}.isdisjoint(some["lacking"])
    too_many = module("availability_zones_info", {"region": REGION, "instance_types": ["a1.large"], "count": len(some["zones"]) + 1})
    assert too_many.get("failed") and "are needed" in too_many["msg"] and "lacks a1.large" in too_many["msg"], too_many


def test_bad_input_is_named_before_any_call(module, sim):
    since = time.time()
    result = module("availability_zones_info", {"region": REGION, "instance_types": ["large"], "count": 0})
    assert result.get("failed") and "'large' is not an instance type" in result["msg"] and "count=0" in result["msg"], result
    assert [e for e in sim.log(since) if e["service"] == "ec2"] == []
