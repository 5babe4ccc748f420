"""The AWX definitions (playbooks/awx/*.yml as playbooks/awx_configure.yml renders them) against the installed
awx.awx modules' argument specs and AWX's survey rules, without an AWX; and the checker itself, fed mistakes."""

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import awx_checks  # noqa: E402  (tests/awx_checks.py, shared with tests/integration/test_awx.py)

BIN = Path(sys.executable).parent
REGIONS = list(yaml.safe_load((ROOT / "inventories/local/hosts.yml").read_text())["regions"]["hosts"])
HOME = yaml.safe_load((ROOT / "inventories/local/group_vars/all/app.yml").read_text())["home_region"]


@pytest.fixture(scope="module")
def objects():
    return awx_checks.render()


def by_name(objects, module, suffix):
    found = [args for args in objects[module] if args["name"].endswith(suffix)]
    assert len(found) == 1, f"{module} named ...{suffix}: {[a['name'] for a in objects[module]]}"
    return found[0]


def test_every_definition_fits_the_awx_awx_modules(objects):
    assert set(objects) == {"execution_environment", "credential_type", "credential", "project", "inventory", "inventory_source",
                            "notification_template", "job_template", "workflow_job_template", "schedule", "role"}
    problems = awx_checks.check(objects)
    assert problems == [], "\n".join(problems)


def test_with_aws_keys_the_credential_is_created_and_fits(objects):
    keyed = awx_checks.render(extravars={"awx_aws_access_key_id": "AKIAEXAMPLE", "awx_aws_secret_access_key": "secret"})
    assert objects["credential"] == [], "without keys the templates only reference an existing credential"
    [credential] = keyed["credential"]
    assert credential["credential_type"] == "Amazon Web Services" and credential["inputs"] == {"username": "<hidden>", "password": "<hidden>"}  # never shown
    assert credential["name"] in {name for t in keyed["job_template"] for name in t["credentials"]}
    assert awx_checks.check(keyed) == []


def test_with_a_role_to_assume_no_key_is_stored(objects):
    role = "arn:aws:iam::123456789012:role/shop-dr-operator"
    assumed = awx_checks.render(extravars={"awx_aws_role_arn": role})
    assert objects["credential_type"] == []
    [kind] = assumed["credential_type"]
    [credential] = assumed["credential"]
    assert credential["credential_type"] == kind["name"] and credential["inputs"] == {"role_arn": role, "credential_source": "Ec2InstanceMetadata"}
    assert credential["name"] in {name for t in assumed["job_template"] for name in t["credentials"]}
    # AWX fills the profile in the job: the role and the file's path stay AWX's variables, not Ansible's here
    profile = kind["injectors"]["file"]["template.aws_config"]
    assert "role_arn = {{ role_arn }}" in profile and "credential_source = {{ credential_source }}" in profile
    assert kind["injectors"]["env"] == {"AWS_CONFIG_FILE": "{{ tower.filename.aws_config }}", "AWS_PROFILE": "multiregion-dr"}
    assert {field["id"] for field in kind["inputs"]["fields"]} == set(kind["inputs"]["required"]) == {"role_arn", "credential_source"}
    assert awx_checks.check(assumed) == []


def test_a_role_and_keys_together_are_refused():
    with pytest.raises(AssertionError, match="not both"):
        awx_checks.render(extravars={"awx_aws_role_arn": "arn:aws:iam::123456789012:role/x", "awx_aws_access_key_id": "AKIAEXAMPLE"})


def test_team_roles_launch_and_approve(objects):
    assert objects["role"] == []
    teams = awx_checks.render(extravars={"awx_oncall_team": "SRE on-call", "awx_approver_team": "SRE leads"})
    oncall, approvers = teams["role"]
    assert (oncall["team"], oncall["role"], approvers["team"], approvers["role"]) == ("SRE on-call", "execute", "SRE leads", "approval")
    assert approvers["workflows"] == [w["name"] for w in teams["workflow_job_template"]]
    assert awx_checks.check(teams) == []


def test_job_templates_one_per_playbook_in_the_ee(objects):
    templates = {t["playbook"]: t for t in objects["job_template"]}
    assert set(templates) >= {f"playbooks/{p}.yml" for p in ("provision", "failover", "failback", "status", "drill", "teardown")}
    [ee] = objects["execution_environment"]
    [project] = objects["project"]
    [inventory] = objects["inventory"]
    for template in templates.values():
        assert template["execution_environment"] == ee["name"], template["name"]
        assert (template["project"], template["inventory"]) == (project["name"], inventory["name"]), template["name"]
    assert project["default_environment"] == ee["name"]
    [source] = objects["inventory_source"]
    assert (source["source"], source["source_project"], source["inventory"]) == ("scm", project["name"], inventory["name"])
    assert (ROOT / source["source_path"]).is_file(), source["source_path"]


def test_job_template_playbooks_exist(objects):
    """AWX refuses a job template whose playbook is not in the project."""
    missing = [f"{t['name']}: {t['playbook']}" for t in objects["job_template"] if not (ROOT / t["playbook"]).is_file()]
    assert missing == [], "playbooks not in the repository: " + ", ".join(missing)


def test_region_choices_are_the_applications_regions(objects):
    assert awx_checks.region_problems(objects, REGIONS, HOME) == []
    asked = {args["name"]: q["choices"] for module in ("job_template", "workflow_job_template") for args in objects[module]
             for q in (args.get("survey_spec") or {}).get("spec", []) if q["variable"] in ("target", "drill_target")}
    assert len(asked) == 6, asked   # failover, failback, drill, verify and both workflows
    assert asked["Shop DR - drill"] == [r for r in REGIONS if r != HOME], "the drill leaves the home region"


def questions(template):
    return {q["variable"]: q for q in template["survey_spec"]["spec"]}


def test_failover_surveys_ask_target_mode_allow_data_loss_and_the_two_lock_decisions(objects):
    for template in (by_name(objects, "job_template", "- failover"), by_name(objects, "workflow_job_template", "Regional failover")):
        asked = questions(template)
        assert list(asked) == ["target", "mode", "allow_data_loss", "ignore_cooldown", "take_over", "resume_token"], template["name"]
        assert (asked["target"]["default"], asked["target"]["required"]) == ("", True), "the on-call engineer picks the target"
        assert asked["mode"]["choices"] == ["auto", "planned", "unplanned"] and asked["mode"]["default"] == "auto"
        risk = asked["allow_data_loss"]
        assert (risk["type"], risk["choices"], risk["default"]) == ("multiplechoice", ["false", "true"], "false"), template["name"]
        assert "RPO budget (300 s)" in risk["question_description"] and "lost for good" in risk["question_description"]
        # two decisions, never one flag: running inside the cool-down does not take another run's lock
        assert asked["ignore_cooldown"]["default"] == "false" and "cool-down" in asked["ignore_cooldown"]["question_description"]
        assert asked["take_over"]["default"] == "false" and "died" in asked["take_over"]["question_description"]
        # a relaunched job is another lock owner: it goes on with the failed run's token, optional and empty by default
        token = asked["resume_token"]
        assert (token["type"], token["default"], token["required"], token["max"]) == ("text", "", False, 12), token


def test_failback_drill_and_teardown_surveys_fit_their_playbooks(objects):
    """failback.yml and drill.yml set mode (and the drill its cool-down) themselves: extra vars would override them."""
    for template in (by_name(objects, "job_template", "- failback"), by_name(objects, "workflow_job_template", "Regional failback")):
        asked = questions(template)
        assert list(asked) == ["target", "keep_old_instances", "ignore_cooldown", "take_over", "resume_token"], template["name"]
        assert asked["target"]["default"] == HOME, "failback goes home by default"
    drill = questions(by_name(objects, "job_template", "- drill"))
    assert list(drill) == ["drill_target", "drill_confirm"] and drill["drill_target"]["default"] != HOME
    assert "type shop to confirm" in drill["drill_confirm"]["question_description"].lower() and drill["drill_confirm"]["required"]
    teardown = questions(by_name(objects, "job_template", "- teardown"))
    assert list(teardown) == ["teardown_confirm"] and teardown["teardown_confirm"]["required"]
    for playbook, variables in (("failback", ("target", "keep_old_instances", "ignore_cooldown", "take_over")), ("drill", ("drill_target", "drill_confirm")),
                                ("teardown", ("teardown_confirm",))):
        text = (ROOT / f"playbooks/{playbook}.yml").read_text()
        assert all(variable in text for variable in variables), f"playbooks/{playbook}.yml does not read {variables}"


def test_workflows_status_approval_move_verify_with_notifications(objects):
    notification = objects["notification_template"][0]["name"]
    for workflow, action in zip(objects["workflow_job_template"], ("failover", "failback")):
        nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
        assert list(nodes) == ["status", "approval", action, "verify"], workflow["name"]
        assert nodes["status"]["unified_job_template"]["name"].endswith("- status")
        assert nodes["status"]["related"] == {"always_nodes": [{"identifier": "approval"}]}
        assert nodes["approval"]["unified_job_template"]["type"] == "workflow_approval"
        assert nodes["approval"]["related"] == {"success_nodes": [{"identifier": action}]}
        assert nodes[action]["unified_job_template"]["name"].endswith(f"- {action}")
        assert nodes[action]["related"] == {"success_nodes": [{"identifier": "verify"}]}
        assert nodes["verify"]["unified_job_template"]["name"].endswith("- verify active region")
        for event in ("success", "error", "approvals"):
            assert workflow[f"notification_templates_{event}"] == [notification], (workflow["name"], event)
    assert objects["notification_template"][0]["notification_configuration"]["recipients"] == ["oncall@shop.example.com"]


def test_schedules_status_hourly_and_an_optional_drill(objects):
    status = by_name(objects, "schedule", "status - hourly")
    assert status["enabled"] is True and "FREQ=HOURLY" in status["rrule"] and status["unified_job_template"].endswith("- status")
    drill = by_name(objects, "schedule", "drill - monthly")
    assert drill["enabled"] is False and drill["extra_data"] == {"drill_target": "us-west-2", "drill_confirm": "shop"}
    assert awx_checks.render(extravars={"awx_drill_schedule_enabled": True})["schedule"][1]["enabled"] is True


# The checker, fed mistakes: each must fail, naming what is wrong.

def test_checker_names_a_misspelled_key(objects):
    bad = copy.deepcopy(objects)
    template = by_name(bad, "job_template", "- failover")
    template["survey_enable"] = template.pop("survey_enabled")
    bad["workflow_job_template"][0]["workflow_nodes"][0]["related"] = {"sucess_nodes": [{"identifier": "approval"}]}
    problems = awx_checks.check(bad)
    assert "job_template 'Shop DR - failover': 'survey_enable' is not a parameter of awx.awx.job_template (did you mean 'survey_enabled'?)" in problems
    assert any("workflow_nodes[0].related: 'sucess_nodes' is not a parameter of awx.awx.workflow_job_template (did you mean 'success_nodes'?)" in p
               for p in problems), problems


def test_checker_names_wrong_types_choices_and_missing_node_keys(objects):
    bad = copy.deepcopy(objects)
    by_name(bad, "job_template", "- status")["verbosity"] = 9
    by_name(bad, "job_template", "- provision")["allow_simultaneous"] = "no"
    del bad["workflow_job_template"][1]["workflow_nodes"][2]["unified_job_template"]["type"]
    bad["notification_template"][0]["notification_configuration"]["server"] = "smtp.example.com"
    problems = awx_checks.check(bad)
    assert "job_template 'Shop DR - status'.verbosity: 9 is not one of [0, 1, 2, 3, 4, 5]" in problems
    assert "job_template 'Shop DR - provision'.allow_simultaneous: awx.awx.job_template wants bool, got str 'no'" in problems
    assert any("node 'failback': unified_job_template needs 'type'" in p for p in problems), problems
    assert any("'server' is not an e-mail notification field" in p for p in problems), problems


def test_checker_names_a_bad_survey_choice_and_field(objects):
    bad = copy.deepcopy(objects)
    spec = by_name(bad, "job_template", "- failover")["survey_spec"]["spec"]
    spec[0]["choices"] = REGIONS + ["us-east-9"]
    spec[1]["default"] = "automatic"
    spec[2]["type"] = "boolean"
    spec[3]["question_descripton"] = spec[3].pop("question_description")
    problems = awx_checks.check(bad) + awx_checks.region_problems(bad, REGIONS, HOME)
    where = "job_template 'Shop DR - failover'"
    assert f"{where}.survey_spec.spec[1] (mode): default 'automatic' is not one of the choices ['auto', 'planned', 'unplanned']" in problems
    assert any(p.startswith(f"{where}.survey_spec.spec[2] (allow_data_loss): type 'boolean' is not one of") for p in problems), problems
    assert (f"{where}.survey_spec.spec[3] (ignore_cooldown): 'question_descripton' is not a survey question field "
            "(did you mean 'question_description'?)") in problems
    assert (f"{where}, question 'Target region': choices {REGIONS + ['us-east-9']} are not the application's regions {REGIONS}") in problems
    free_text = copy.deepcopy(objects)
    by_name(free_text, "workflow_job_template", "Regional failback")["survey_spec"]["spec"][0].update(type="text", choices="")
    assert awx_checks.region_problems(free_text, REGIONS, HOME) == [
        "workflow_job_template 'Shop DR - Regional failback', question 'Target region': a region is a multiplechoice question, not 'text'"]


def test_the_module_itself_agrees_with_the_checker(objects, tmp_path):
    """awx.awx.job_template run against a closed port: a misspelled key fails on the argument check (before any
    connection), the rendered definition passes it and fails only on the connection."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    good = by_name(objects, "job_template", "- failover")
    bad = {**{k: v for k, v in good.items() if k != "survey_enabled"}, "survey_enable": True}
    play = [{"name": "argument check", "hosts": "localhost", "gather_facts": False, "vars": {"ansible_python_interpreter": sys.executable},
             "tasks": [{"name": name, "awx.awx.job_template": {**args, "controller_host": f"http://127.0.0.1:{port}",
                                                               "controller_username": "x", "controller_password": "x"},
                        "ignore_errors": True}
                       for name, args in (("good", good), ("bad", bad))]}]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    tasks = {t["task"]["name"]: t["hosts"]["localhost"] for t in json.loads(proc.stdout[proc.stdout.index("{"):])["plays"][0]["tasks"]}
    assert tasks["bad"]["failed"] and "Unsupported parameters" in tasks["bad"]["msg"] and "survey_enable" in tasks["bad"]["msg"], tasks["bad"]
    assert tasks["good"]["failed"] and "Unsupported parameters" not in tasks["good"]["msg"], tasks["good"]
    assert "Connection refused" in tasks["good"]["msg"] or "connect" in tasks["good"]["msg"].lower(), tasks["good"]["msg"]
