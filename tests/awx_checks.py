"""Offline checks of the AWX definitions (playbooks/awx/*.yml) without a running AWX.

render() runs playbooks/awx_configure.yml with awx_show_only=true, so the objects checked are exactly the
module arguments the playbook would send. check() holds each argument set against the installed awx.awx
module's own argument_spec (and, where the argument_spec leaves nested options open, the suboptions its
DOCUMENTATION gives) and each survey_spec against AWX's survey rules. Every problem is one line naming
the object and the key."""

import ast
import difflib
import importlib
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
AWX_MODULES = "ansible_collections.awx.awx.plugins.modules"

# AWX's survey rules (awx/api/templates/api/job_template_survey_spec.md and the UI's question types).
SURVEY_KEYS = {"name", "description", "spec"}
QUESTION_KEYS = {"question_name", "question_description", "variable", "type", "required", "default", "choices", "min", "max", "new_question"}
QUESTION_REQUIRED = ("question_name", "variable", "type", "required")
QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# awx/main/notifications/email_backend.py: CustomEmailBackend.init_parameters
EMAIL_CONFIGURATION = {"host": str, "port": int, "username": str, "password": str, "use_tls": bool, "use_ssl": bool,
                       "sender": str, "recipients": list, "timeout": int}
PYTHON_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float), "list": list, "dict": dict, "path": str}


class _Captured(Exception):
    pass


@cache
def argument_spec(module):
    """The awx.awx module's argument spec, as its main() builds it, plus the controller connection options.
    Nested options the argument_spec leaves open (workflow_nodes: a list of dicts) come from DOCUMENTATION."""
    sys.path.insert(0, str(ROOT / ".collections"))
    from ansible_collections.awx.awx.plugins.module_utils import controller_api

    mod = importlib.import_module(f"{AWX_MODULES}.{module}")

    def capture(self, argument_spec=None, **_kwargs):
        raise _Captured(argument_spec)

    original = controller_api.ControllerAPIModule.__init__
    controller_api.ControllerAPIModule.__init__ = capture
    spec = None
    try:
        mod.main()
    except _Captured as captured:
        spec = dict(captured.args[0])
    finally:
        controller_api.ControllerAPIModule.__init__ = original
    assert spec is not None, f"awx.awx.{module}: main() built no ControllerAPIModule"
    spec.update(controller_api.ControllerModule.AUTH_ARGSPEC)

    documented = _documentation(Path(mod.__file__))["options"]
    for name, option in spec.items():
        if "options" not in option and documented.get(name, {}).get("suboptions"):
            spec[name] = {**option, "options": _from_docs(documented[name]["suboptions"])}
    return spec


def _documentation(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{path} has no DOCUMENTATION")


def _from_docs(suboptions):
    return {name: {**{k: v for k, v in option.items() if k in ("type", "choices", "required", "aliases", "elements")},
                   **({"options": _from_docs(option["suboptions"])} if option.get("suboptions") else {})}
            for name, option in suboptions.items()}


def check_args(module, args, where):
    """Problems of one argument set for awx.awx.<module>; where names the object in messages."""
    return _check_options(argument_spec(module), args, where, f"awx.awx.{module}")


def _check_options(spec, args, where, owner):
    problems = []
    names = {alias: name for name, option in spec.items() for alias in [name, *option.get("aliases", [])]}
    for key, value in args.items():
        if key not in names:
            close = difflib.get_close_matches(key, list(names), n=1)
            problems.append(f"{where}: {key!r} is not a parameter of {owner}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        if value is not None:
            problems += _check_value(spec[names[key]], value, f"{where}.{key}", owner)
    given = {names[key] for key, value in args.items() if key in names and value is not None}
    problems += [f"{where}: {owner} requires {name!r}" for name, option in spec.items() if option.get("required") and name not in given]
    return problems


def _check_value(option, value, where, owner):
    kind = option.get("type", "str")
    expected = PYTHON_TYPES.get(kind)
    if expected and (not isinstance(value, expected) or (kind in ("int", "float") and isinstance(value, bool))):
        return [f"{where}: {owner} wants {kind}, got {type(value).__name__} {value!r}"]
    items = value if kind == "list" else [value]
    if option.get("choices") is not None:
        bad = [item for item in items if item not in option["choices"]]
        if bad:
            return [f"{where}: {bad[0]!r} is not one of {option['choices']}"]
    if "options" in option:
        if kind == "dict":
            return _check_options(option["options"], value, where, owner)
        return [p for i, item in enumerate(items) for p in (
            _check_options(option["options"], item, f"{where}[{i}]", owner) if isinstance(item, dict)
            else [f"{where}[{i}]: {owner} wants a dict, got {item!r}"])]
    return []


def check_survey(survey, where):
    """Problems of one survey_spec, by AWX's rules."""
    if not isinstance(survey, dict):
        return [f"{where}: a survey_spec is a dict, got {survey!r}"]
    problems = [f"{where}: {key!r} is not a survey_spec field ({', '.join(sorted(SURVEY_KEYS))})" for key in survey if key not in SURVEY_KEYS]
    problems += [f"{where}: the survey_spec has no {key!r}" for key in ("name", "description") if key not in survey]
    if not isinstance(survey.get("spec"), list) or not survey["spec"]:
        return problems + [f"{where}: the survey_spec's 'spec' must be a non-empty list of questions"]
    seen = set()
    for i, question in enumerate(survey["spec"]):
        at = f"{where}.spec[{i}]" + (f" ({question.get('variable')})" if isinstance(question, dict) and question.get("variable") else "")
        if not isinstance(question, dict):
            problems.append(f"{at}: a question is a dict, got {question!r}")
            continue
        for key in question:
            if key not in QUESTION_KEYS:
                close = difflib.get_close_matches(key, list(QUESTION_KEYS), n=1)
                problems.append(f"{at}: {key!r} is not a survey question field" + (f" (did you mean {close[0]!r}?)" if close else ""))
        problems += [f"{at}: the question has no {key!r}" for key in QUESTION_REQUIRED if key not in question]
        variable, kind, default = question.get("variable"), question.get("type"), question.get("default", "")
        if variable in seen:
            problems.append(f"{at}: variable {variable!r} is asked twice")
        seen.add(variable)
        if variable is not None and not (isinstance(variable, str) and variable.isidentifier()):
            problems.append(f"{at}: variable {variable!r} is not a valid extra-var name")
        if "required" in question and not isinstance(question["required"], bool):
            problems.append(f"{at}: required must be true or false, got {question['required']!r}")
        if kind not in QUESTION_TYPES:
            problems.append(f"{at}: type {kind!r} is not one of {', '.join(sorted(QUESTION_TYPES))}")
        elif kind in ("multiplechoice", "multiselect"):
            choices = question.get("choices")
            choices = choices.split("\n") if isinstance(choices, str) else choices
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                problems.append(f"{at}: a {kind} question needs choices, a list of strings, got {question.get('choices')!r}")
            else:
                picked = default.split("\n") if kind == "multiselect" and isinstance(default, str) else default
                for answer in (picked if isinstance(picked, list) else [picked]):
                    if answer not in ("", None) and answer not in choices:
                        problems.append(f"{at}: default {answer!r} is not one of the choices {choices}")
        elif kind in ("integer", "float"):
            if default not in ("", None) and (isinstance(default, bool) or not isinstance(default, (int, float))):
                problems.append(f"{at}: default {default!r} is not a number")
        elif not isinstance(default, str):
            problems.append(f"{at}: default {default!r} of a {kind} question is not a string")
    return problems


def check(objects):
    """Every problem of the rendered definitions: {module: [argument sets]} as awx_configure.yml builds them."""
    problems = []
    names = {module: {args.get("name") for args in calls} for module, calls in objects.items()}
    for module, calls in objects.items():
        for args in calls:
            where = f"{module} {args.get('name') or args.get('team', '') + ' ' + args.get('role', '')!r}"
            problems += check_args(module, args, where)
            if module in ("job_template", "workflow_job_template"):
                if args.get("survey_enabled") and not args.get("survey_spec"):
                    problems.append(f"{where}: survey_enabled without a survey_spec")
                if args.get("survey_spec") is not None:
                    problems += check_survey(args["survey_spec"], f"{where}.survey_spec")
            if module == "notification_template" and args.get("notification_type") == "email":
                problems += _check_email(args.get("notification_configuration") or {}, f"{where}.notification_configuration")
            if module == "workflow_job_template":
                problems += _check_graph(args.get("workflow_nodes") or [], names.get("job_template", set()), where)
            if module == "role":
                for kind, defined in (("workflows", "workflow_job_template"), ("job_templates", "job_template")):
                    problems += [f"{where}: {kind} {name!r} is not defined here" for name in args.get(kind) or [] if name not in names.get(defined, set())]
            if module == "schedule" and args.get("unified_job_template") not in names.get("job_template", set()):
                problems.append(f"{where}: runs {args.get('unified_job_template')!r}, which is no job template here")
    return problems


def _check_email(configuration, where):
    problems = [f"{where}: {key!r} is not an e-mail notification field" for key in configuration if key not in EMAIL_CONFIGURATION]
    return problems + [f"{where}.{key}: wants {kind.__name__}, got {configuration[key]!r}" for key, kind in EMAIL_CONFIGURATION.items()
                       if key in configuration and not isinstance(configuration[key], kind)]


def _check_graph(nodes, job_templates, where):
    """Nodes the module reads without defaults (identifier, unified_job_template name and type), links to
    existing nodes, and job template nodes naming a job template defined here."""
    problems = []
    identifiers = [node.get("identifier") for node in nodes]
    for node in nodes:
        at = f"{where}: node {node.get('identifier')!r}"
        template = node.get("unified_job_template") or {}
        problems += [f"{at}: unified_job_template needs {key!r} (the module reads it without a default)"
                     for key in ("name", "type") if not template.get(key)]
        if template.get("type") == "job_template" and template.get("name") not in job_templates:
            problems.append(f"{at}: job template {template.get('name')!r} is not defined")
        for relation, targets in (node.get("related") or {}).items():
            if relation.endswith("_nodes"):
                problems += [f"{at}: {relation} names {t.get('identifier')!r}, which is no node of this workflow"
                             for t in targets if t.get("identifier") not in identifiers]
    return problems


def region_problems(objects, regions, home_region):
    """Every survey question about a region is a multiple choice of exactly the application's regions (the
    drill's standby region: all but the home region)."""
    expected = {"target": list(regions), "drill_target": [r for r in regions if r != home_region]}
    problems = []
    for module in ("job_template", "workflow_job_template"):
        for args in objects.get(module, []):
            for question in (args.get("survey_spec") or {}).get("spec", []):
                if question.get("variable") not in expected:
                    continue
                where = f"{module} {args['name']!r}, question {question.get('question_name')!r}"
                if question.get("type") != "multiplechoice":
                    problems.append(f"{where}: a region is a multiplechoice question, not {question.get('type')!r}")
                elif list(question.get("choices") or []) != expected[question["variable"]]:
                    problems.append(f"{where}: choices {question.get('choices')} are not the application's regions "
                                    f"{expected[question['variable']]}")
    return problems


def render(inventory="inventories/local", extravars=None):
    """{module: [argument sets]} exactly as playbooks/awx_configure.yml would send them (awx_show_only)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    cmd = [str(BIN / "ansible-playbook"), "-i", inventory, "playbooks/awx_configure.yml",
           "-e", json.dumps({"awx_show_only": True, **(extravars or {})})]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"awx_configure.yml awx_show_only=true failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    for task in data["plays"][0]["tasks"]:
        if task["task"]["name"] == "Show the AWX objects (secrets hidden)":
            return task["hosts"]["localhost"]["awx_shown"]
    raise AssertionError("awx_configure.yml did not show the AWX objects")


def survey_answers(template, answers):
    """The extra vars AWX launches template with: each question's answer or default, validated like AWX does."""
    extravars = {}
    for question in (template.get("survey_spec") or {}).get("spec", []):
        variable = question["variable"]
        value = answers.get(variable, question.get("default", ""))
        if question["type"] == "multiplechoice" and value not in ("", None):
            assert value in question["choices"], f"{template['name']}: {variable}={value!r} is not one of {question['choices']}"
        assert value not in ("", None) or not question["required"], f"{template['name']}: {variable} is required"
        if value not in ("", None):
            extravars[variable] = value
    unknown = set(answers) - set(extravars)
    assert not unknown, f"{template['name']}: the survey does not ask {sorted(unknown)}"
    return extravars
