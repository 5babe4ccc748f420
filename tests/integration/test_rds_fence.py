"""multiregion.dr.rds_fence against the simulator: fence, rerun, lift, and the instances it refuses."""

EAST = "us-east-1"


def read_only(rds):
    params = rds.describe_db_parameters(DBParameterGroupName="orders-mysql", Source="user")["Parameters"]
    return next((p.get("ParameterValue") for p in params if p["ParameterName"] == "read_only"), None)


def modifications(sim):
    return [e for e in sim.log(0) if e["action"] in ("ModifyDBParameterGroup", "ResetDBParameterGroup")]


def db(aws, name, **extra):
    return aws("rds", EAST).create_db_instance(
        DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", MasterUsername="admin", MasterUserPassword="secret123456",
        AllocatedStorage=20, **extra)["DBInstance"]


def test_fence_rerun_and_lift(sim, aws, module):
    rds = aws("rds", EAST)
    rds.create_db_parameter_group(DBParameterGroupName="orders-mysql", DBParameterGroupFamily="mysql8.0", Description="orders")
    db(aws, "orders-db", Engine="mysql", DBParameterGroupName="orders-mysql")
    args = {"region": EAST, "db_instance_identifier": "orders-db", "poll_interval": 0.1}

    planned = module("rds_fence", args, check=True, diff=True)
    assert planned["changed"] and planned["fenced"] and planned["diff"] == {"before": {"fenced": False}, "after": {"fenced": True}}, planned
    assert read_only(rds) is None and not modifications(sim)

    result = module("rds_fence", args)
    assert result["changed"] and result["fence"] == {"parameter_group": "orders-mysql", "parameter": "read_only", "value": "1"}, result
    assert read_only(rds) == "1" and result["statuses"][-1] == "available/in-sync", result["statuses"]

    again = module("rds_fence", args)
    assert not again["changed"] and again["fenced"] and len(modifications(sim)) == 1

    lifted = module("rds_fence", dict(args, state="unfenced"))
    assert lifted["changed"] and not lifted["fenced"] and read_only(rds) is None
    assert [e["action"] for e in modifications(sim)] == ["ModifyDBParameterGroup", "ResetDBParameterGroup"]


def test_refuses_what_cannot_be_fenced_before_any_change(sim, aws, module):
    db(aws, "plain-db", Engine="postgres")
    result = module("rds_fence", {"region": EAST, "db_instance_identifier": "plain-db"})
    assert result.get("failed") and "cannot be fenced" in result["msg"] and "default.postgres" in result["msg"], result
    missing = module("rds_fence", {"region": EAST, "db_instance_identifier": "nope"})
    assert missing.get("failed") and "db_instance_identifier='nope' not found in us-east-1" in missing["msg"], missing
    assert not modifications(sim)
