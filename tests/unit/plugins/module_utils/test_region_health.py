"""Pure logic of module_utils/region_health.py: the quorum verdict, the debounced state and the decisions the
auto_failover rulebook acts on (failover, fence, notify, none) with their guards."""

import pytest

from ansible_collections.multiregion.dr.plugins.module_utils import region_health

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
CHECKERS = [f"route53:{r}" for r in ("us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1")]
ARGS = {"app_name": "shop", "regions": REGIONS, "hosted_zone": "shop.example.com", "record_name": "api.shop.example.com",
        "priority": ["us-west-2", "eu-west-1", "us-east-1"], "debounce_polls": 2}


def seen(up, failing=()):
    """Every observer sees the region up (or down), except those in failing (which see the opposite)."""
    observers = CHECKERS + [region_health.API_OBSERVER]
    return {o: (not up) if o in failing else up for o in observers}


def poll(down=(), active="us-east-1", lock=None, last=None, lag_alarms=None, observations=None, at=0):
    """One poll; lock/last None (the default) is no record, "unread" a failed read."""
    result = {"time": at, "active_region": active, "lock": None if lock == "unread" else lock or {},
              "last": None if last == "unread" else last or {}, "errors": [],
              "lag_alarms": {**{r: [] for r in REGIONS}, **(lag_alarms or {})}, "observations": {r: seen(r not in down) for r in REGIONS}}
    result["observations"].update(observations or {})
    return result


def run(monitor, *polls):
    """The events of the polls, as (region, decision, target) and the last events in full."""
    found = []
    for item in polls:
        found += monitor.update(item)
    return [(e["region_health"]["region"], e["region_health"]["decision"], e["region_health"]["target"]) for e in found], found


def started(**overrides):
    monitor = region_health.Monitor(region_health.config(dict(ARGS, **overrides), REGIONS))
    events = run(monitor, *[poll()] * monitor.settings["debounce_polls"])[0]
    assert events == [(r, "none", None) for r in REGIONS]  # the first state seen: nothing to do
    return monitor


# the quorum ------------------------------------------------------------------------------------------------
def test_a_majority_of_the_observers_that_answered_makes_a_region_down():
    assert region_health.verdict(seen(True))["healthy"] is True
    assert region_health.verdict(seen(False))["healthy"] is False
    three_of_seven = seen(True, failing=CHECKERS[:3])
    assert region_health.verdict(three_of_seven)["healthy"] is True
    four_of_seven = seen(True, failing=CHECKERS[:4])
    assert region_health.verdict(four_of_seven)["healthy"] is False and region_health.verdict(four_of_seven)["quorum"] == 4


def test_one_observer_alone_never_makes_an_outage_and_silence_is_no_evidence():
    assert region_health.verdict({"api": False})["healthy"] is None
    assert region_health.verdict({"api": False, "route53:us-east-1": None})["healthy"] is None
    assert region_health.verdict({"api": False, "route53:us-east-1": True})["healthy"] is True
    assert region_health.verdict(seen(True, failing=["api"]))["healthy"] is True
    assert region_health.verdict(seen(False), quorum=7)["healthy"] is False
    assert region_health.verdict(seen(True, failing=CHECKERS), quorum=7)["healthy"] is True


def test_checker_observations_read_the_status_reports():
    observations = [{"Region": "us-east-1", "StatusReport": {"Status": "Success: HTTP Status Code 200, OK"}},
                    {"Region": "eu-west-1", "StatusReport": {"Status": "Failure: Connection timed out."}}]
    observations.append({"Region": "us-east-1", "IPAddress": "15.177.2.2", "StatusReport": {"Status": "Failure"}})
    assert region_health.checker_observations(observations) == {
        "route53:us-east-1/None": True, "route53:eu-west-1/None": False, "route53:us-east-1/15.177.2.2": False}  # one vote per checker


# debounce and the decisions ---------------------------------------------------------------------------------
def test_the_active_region_down_for_the_debounce_fails_over_once_to_the_first_healthy_region_of_the_priority():
    monitor = started()
    assert run(monitor, poll(down=["us-east-1"]))[0] == []  # one poll: not yet
    events, full = run(monitor, poll(down=["us-east-1"]))
    assert events == [("us-east-1", "failover", "us-west-2")]
    event = full[0]["region_health"]
    assert event["command"] == "ansible-playbook playbooks/failover.yml -e target=us-west-2" and event["notify_region"] == "us-west-2"
    assert "api" in event["observers"]["failing"] and event["previous"] is True and event["healthy"] is False
    assert run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))[0] == []  # never twice for one outage


def test_an_outage_shorter_than_the_debounce_changes_nothing():
    monitor = started(debounce_polls=3)
    assert run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]), poll(), poll(down=["us-east-1"]), poll())[0] == []


def test_a_few_failing_observers_are_not_an_outage():
    monitor = started()
    flaky = {"us-east-1": seen(True, failing=CHECKERS[:2] + ["api"])}
    assert run(monitor, *[poll(observations=flaky)] * 5)[0] == []


def test_the_target_skips_regions_that_are_down_or_behind_their_rpo_alarm():
    monitor = started()
    events = run(monitor, poll(down=["us-west-2"]), poll(down=["us-west-2"]))[0]
    assert events == [("us-west-2", "none", None)]  # a standby region down: no failover
    down = ["us-east-1", "us-west-2"]
    assert run(monitor, poll(down=down), poll(down=down))[0] == [("us-east-1", "failover", "eu-west-1")]
    monitor = started()
    alarms = {"us-west-2": ["shop-db-replica-lag"]}
    assert run(monitor, poll(down=["us-east-1"], lag_alarms=alarms), poll(down=["us-east-1"], lag_alarms=alarms))[0] == \
        [("us-east-1", "failover", "eu-west-1")]


def test_no_healthy_target_notifies():
    monitor = started()
    down = REGIONS
    events, full = run(monitor, poll(down=down), poll(down=down))
    assert ("us-east-1", "notify", None) in events
    assert "no region of the priority list" in next(e for e in full if e["region_health"]["region"] == "us-east-1")["region_health"]["reason"]


def test_the_lock_and_the_cooldown_hold_the_failover_back_with_one_notification_that_says_why():
    monitor = started()
    lock = {"owner": "alice@laptop", "operation": "failover to eu-west-1", "age_seconds": 30}
    events, full = run(monitor, poll(down=["us-east-1"], lock=lock), poll(down=["us-east-1"], lock=lock))
    assert events == [("us-east-1", "notify", "us-west-2")]
    assert "the lock is held by alice@laptop" in full[0]["region_health"]["reason"]
    assert run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))[0] == []  # once per outage

    monitor = started(cooldown_seconds=3600)
    last = {"owner": "eda-auto-failover", "operation": "failover to us-east-1", "age_seconds": 600}
    events, full = run(monitor, poll(down=["us-east-1"], last=last), poll(down=["us-east-1"], last=last))
    assert events == [("us-east-1", "notify", "us-west-2")]
    reason = full[0]["region_health"]["reason"]
    assert "cool-down" in reason and "600 s ago" in reason and "3600 s" in reason and "ignore_cooldown=true" in reason
    monitor = started(cooldown_seconds=3600)
    old = dict(last, age_seconds=4000)
    assert run(monitor, poll(down=["us-east-1"], last=old), poll(down=["us-east-1"], last=old))[0] == [("us-east-1", "failover", "us-west-2")]


def test_the_old_primary_back_beside_the_new_active_region_is_fenced_never_failed_back():
    monitor = started()
    run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))
    # the failover moved DNS: us-west-2 is active; us-east-1 comes back
    assert run(monitor, poll(down=["us-east-1"], active="us-west-2"))[0] == []
    events, full = run(monitor, poll(active="us-west-2"), poll(active="us-west-2"))
    assert events == [("us-east-1", "fence", None)]
    assert full[0]["region_health"]["command"] == "ansible-playbook playbooks/fence.yml"
    # the active region recovering before any failover: nothing to do
    monitor = started(debounce_polls=1)
    lock = {"owner": "bob", "operation": "failback", "age_seconds": 1}
    run(monitor, poll(down=["us-east-1"], lock=lock))
    assert run(monitor, poll())[0] == [("us-east-1", "none", None)]


def test_notify_only_turns_every_action_into_a_notification_with_the_command():
    monitor = started(notify_only=True)
    events, full = run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))
    assert events == [("us-east-1", "notify", "us-west-2")]
    assert full[0]["region_health"]["command"] == "ansible-playbook playbooks/failover.yml -e target=us-west-2"
    events = run(monitor, poll(active="us-west-2"), poll(active="us-west-2"))[0]
    assert events == [("us-east-1", "notify", None)]


def test_no_active_region_known_notifies():
    monitor = started()
    events, full = run(monitor, poll(down=["us-east-1"], active=None), poll(down=["us-east-1"], active=None))
    assert events == [("us-east-1", "notify", None)] and "no active region" in full[0]["region_health"]["reason"]


def test_what_could_not_be_read_is_never_taken_for_all_clear():
    monitor = started()
    events, full = run(monitor, poll(down=["us-east-1"], lock="unread"), poll(down=["us-east-1"], lock="unread"))
    assert events == [("us-east-1", "notify", "us-west-2")] and "could not be read" in full[0]["region_health"]["reason"]
    monitor = started()
    unknown = {"us-west-2": None}  # its alarms could not be read: not a target
    assert run(monitor, poll(down=["us-east-1"], lag_alarms=unknown), poll(down=["us-east-1"], lag_alarms=unknown))[0] == \
        [("us-east-1", "failover", "eu-west-1")]


def test_a_target_must_be_up_in_this_poll_too():
    monitor = started()
    # us-west-2 fails in the same poll that makes us-east-1's outage count: debounced it is still up, but not now
    run(monitor, poll(down=["us-east-1"]))
    assert run(monitor, poll(down=["us-east-1", "us-west-2"]))[0] == [("us-east-1", "failover", "eu-west-1")]


def test_a_region_that_cannot_be_judged_is_told_once_and_breaks_the_streak():
    monitor = started()
    blind = {"us-east-1": {o: None for o in seen(True)} | {"api": False}}
    events, full = run(monitor, poll(observations=blind), poll(observations=blind), poll(observations=blind))
    assert events == [("us-east-1", "notify", None)] and "cannot tell whether us-east-1 is up" in full[0]["region_health"]["reason"]
    # down, unknown, down is not two polls in a row
    assert run(monitor, poll(down=["us-east-1"]), poll(observations=blind), poll(down=["us-east-1"]))[0] == []


def test_an_old_primary_back_while_dns_still_points_at_it_is_not_fenced_and_the_latch_holds():
    monitor = started()
    run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))  # failover decided
    events, full = run(monitor, poll(at=10), poll(at=11))  # back, DNS never moved
    assert events == [("us-east-1", "notify", None)] and "stopped half-way" in full[0]["region_health"]["reason"]
    assert run(monitor, poll(down=["us-east-1"], at=20), poll(down=["us-east-1"], at=21))[0] == [("us-east-1", "none", None)]
    # after the cool-down, a new outage is judged again
    later = [poll(at=5000), poll(at=5001), poll(down=["us-east-1"], at=5002), poll(down=["us-east-1"], at=5003)]
    assert run(monitor, *later)[0][-1] == ("us-east-1", "failover", "us-west-2")


def test_no_fence_while_the_active_region_is_down_or_a_run_holds_the_lock():
    monitor = started()
    run(monitor, poll(down=["us-east-1"]), poll(down=["us-east-1"]))
    lock = {"owner": "carol", "operation": "failback to us-east-1", "age_seconds": 5}
    events, full = run(monitor, poll(active="us-west-2", lock=lock), poll(active="us-west-2", lock=lock))
    assert events == [("us-east-1", "notify", None)] and "the lock is held by carol" in full[0]["region_health"]["reason"]


# configuration ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, message", [
    ({"priority": ["us-west-2", "ap-south-9"]}, "priority has 'ap-south-9': not one of the regions (us-east-1, us-west-2, eu-west-1)"),
    ({"debounce_polls": 0}, "debounce_polls=0 must be at least 1 (polls in a row that must agree"),
    ({"debounce_polls": "two"}, "debounce_polls='two' is not a whole number"),
    ({"hosted_zone": ""}, "hosted_zone is missing"),
    ({"record_name": None}, "record_name is missing"),
    ({"regions": ["us-east-1", "mars-north-1"]}, "regions has 'mars-north-1': not an AWS region name"),
    ({"regions": []}, "regions=[]: give the application's regions"),
    ({"quorum": 1}, "quorum=1 must be at least 2"),
    ({"poll_interval": 0}, "poll_interval=0 must be above 0"),
])
def test_bad_configuration_is_refused_naming_the_value_and_what_is_allowed(overrides, message):
    with pytest.raises(ValueError) as refused:
        region_health.config(dict(ARGS, **overrides), REGIONS + ["ap-south-1"])
    assert message in str(refused.value)


def test_configuration_defaults_and_strings_from_rulebook_variables():
    settings = region_health.config({"app_name": "shop", "regions": "us-east-1, us-west-2", "hosted_zone": "z", "record_name": "n",
                                     "debounce_polls": "2", "poll_interval": "0.5", "notify_only": "false"})
    assert settings["regions"] == settings["priority"] == ["us-east-1", "us-west-2"]
    assert (settings["debounce_polls"], settings["poll_interval"], settings["notify_only"], settings["quorum"]) == (2, 0.5, False, None)
    assert settings["cooldown_seconds"] == 3600


def test_the_event_source_documents_every_argument_the_configuration_reads():
    import ast
    from pathlib import Path

    import yaml

    source = Path(__file__).resolve().parents[4] / "extensions/eda/plugins/event_source/region_health.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION")
    options = yaml.safe_load(doc)["options"]
    settings = region_health.config(ARGS, REGIONS)
    assert set(options) == set(settings), set(options) ^ set(settings)
    assert all(option["description"] and option["type"] for option in options.values())
    for name, value in region_health.DEFAULTS.items():
        if value is not None:
            assert options[name]["default"] == value, name
