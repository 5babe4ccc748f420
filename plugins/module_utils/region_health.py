# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Region health for automatic failover, and what the auto_failover rulebook does about it, in one place.

A region's health is what a quorum of observers sees: each Route 53 health checker that checks the region's
endpoint (GetHealthCheckStatus gives one observation per checker) and the region's own API as the rulebook's host
sees it. One observer alone never makes an outage; when too few observers answer (Route 53 unreachable, say) the
region's state stays what it was, and after ``debounce_polls`` such polls the team is told. A region changes state
only after ``debounce_polls`` polls in a row agree, and each change is one event carrying a decision:

- ``failover``: the active region (where DNS sends the traffic) went down; the target is the first region of
  the priority list that is up (debounced and in this poll) and whose replica-lag alarm is known to be quiet.
  Once per outage: the latch ends when the region is back and DNS has moved away, or after the cool-down.
- ``fence``: a region that was down came back beside an active region that is up, and no run holds the lock:
  playbooks/fence.yml makes any database there read-only and aligns the configuration. Failback stays a human
  decision.
- ``notify``: a guard holds the action back (the lock is held or unreadable, the cool-down runs, no region is
  fit, no active region is known, a region cannot be judged, an old primary is back while DNS still points at
  it), or ``notify_only`` is set; the reason and the exact command to run are in the event.
- ``none``: nothing to do (a region seen up, a standby region going down, an outage already acted on).

A region that is already down when the rulebook starts is judged like any other: the guards decide.

The probe (boto3 calls) lives in the event source plugin; what it reads is decided here, without I/O."""

import re

REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")
DECISIONS = ("failover", "fence", "notify", "none")
DEFAULTS = {
    "poll_interval": 10.0,
    "debounce_polls": 3,
    "quorum": None,
    "cooldown_seconds": 3600,
    "notify_only": False,
    "api_timeout": 3.0,
    "playbook_dir": "playbooks",
}
API_OBSERVER = "api"  # the region's own API, as the rulebook's host sees it


def _number(args, name, minimum, kind=float, exclusive=False):
    value = args.get(name)
    if value is None or value == "":
        return DEFAULTS[name], None
    try:
        number = kind(value)
        if kind is int and float(value) != number:
            raise ValueError
    except (TypeError, ValueError):
        return None, f"{name}={value!r} is not {'a whole number' if kind is int else 'a number'}"
    if number < minimum or (exclusive and number == minimum):
        return None, f"{name}={value!r} must be {'above' if exclusive else 'at least'} {minimum}"
    return number, None


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def config(args, known_regions=None):
    """The event source's arguments checked and completed; ValueError naming every bad value and what is allowed."""
    problems = []
    regions = args.get("regions")
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    if not regions or not isinstance(regions, (list, tuple)):
        problems.append(f"regions={regions!r}: give the application's regions, e.g. [us-east-1, us-west-2, eu-west-1]")
        regions = []
    regions = [str(r) for r in regions]
    for region in regions:
        if not REGION_NAME.match(region) or (known_regions and region not in known_regions):
            problems.append(f"regions has {region!r}: not an AWS region name")
    if len(set(regions)) != len(regions):
        problems.append(f"regions={regions}: a region is named twice")
    priority = args.get("priority") or list(regions)
    if isinstance(priority, str):
        priority = [r.strip() for r in priority.split(",") if r.strip()]
    for region in priority:
        if region not in regions:
            problems.append(f"priority has {region!r}: not one of the regions ({', '.join(regions) or 'none given'})")
    for name in ("hosted_zone", "record_name"):
        if not str(args.get(name) or "").strip():
            problems.append(f"{name} is missing: give the application's DNS {'zone' if name == 'hosted_zone' else 'name'}"
                            f" (inventory dns_{'zone' if name == 'hosted_zone' else 'record'})")
    result = {"regions": regions, "priority": [str(r) for r in priority], "hosted_zone": str(args.get("hosted_zone") or ""),
              "record_name": str(args.get("record_name") or ""), "notify_only": _bool(args.get("notify_only", False)),
              "playbook_dir": str(args.get("playbook_dir") or DEFAULTS["playbook_dir"]),
              "app_name": str(args.get("app_name") or ""), "lock_table": str(args.get("lock_table") or "")}
    if not result["app_name"]:
        problems.append("app_name is missing: give the application's name (inventory app_name; its replica-lag alarm is <app_name>-replica-lag)")
    for name, minimum, kind, exclusive in (("poll_interval", 0, float, True), ("debounce_polls", 1, int, False),
                                           ("cooldown_seconds", 0, int, False), ("api_timeout", 0, float, True)):
        result[name], problem = _number(args, name, minimum, kind, exclusive)
        if problem:
            problems.append(problem + (" (polls in a row that must agree before a region changes state)" if name == "debounce_polls" else ""))
    result["quorum"], problem = (None, None) if args.get("quorum") in (None, "") else _number(args, "quorum", 2, int)
    if problem:
        problems.append(problem + " (observers that must see a region down; never one alone)")
    if problems:
        raise ValueError("multiregion.dr.region_health: " + "; ".join(problems))
    return result


def verdict(observations, quorum=None):
    """observations: {observer: True (sees the region up), False (down) or None (did not answer)}.

    Down when at least quorum observers see it down (default: a majority of those that answered), and never
    on fewer than two; up when it is not down and enough observers answered; None (cannot tell) otherwise."""
    answered = {name: seen for name, seen in observations.items() if seen is not None}
    failing = sorted(name for name, seen in answered.items() if seen is False)
    passing = sorted(name for name, seen in answered.items() if seen is True)
    silent = sorted(name for name, seen in observations.items() if seen is None)
    need = max(2, quorum or len(answered) // 2 + 1)
    if len(failing) >= need:
        healthy = False
    elif len(answered) >= need:
        healthy = True
    else:
        healthy = None
    return {"healthy": healthy, "failing": failing, "passing": passing, "silent": silent, "quorum": need}


def checker_observations(observations):
    """GetHealthCheckStatus observations -> {"route53:<checker region>/<checker IP>": True/False}: one vote per
    checker (Route 53 has several per region)."""
    seen = {}
    for observation in observations or []:
        status = (observation.get("StatusReport") or {}).get("Status", "")
        seen[f"route53:{observation.get('Region')}/{observation.get('IPAddress')}"] = status.startswith("Success")
    return seen


class Monitor:
    """The debounced state of every region and the decisions, poll after poll.

    update(poll) takes one poll: {"time", "observations": {region: {observer: bool|None}}, "active_region",
    "lock": failover_lock entry, {} for none, None when it could not be read; "last": the last completed operation,
    the same way; "lag_alarms": {region: [names in ALARM], None when unread}, "errors": [...]}; it returns the
    events of this poll: one per region that changed state, and one when a region could not be judged for
    debounce_polls polls in a row. A region that is already down when the rulebook starts is judged like any other:
    if it is the active one, the failover guards decide."""

    def __init__(self, settings):
        self.settings = settings
        self.state = dict.fromkeys(settings["regions"])
        self.streak = {region: (None, 0) for region in settings["regions"]}
        self.undecided = dict.fromkeys(settings["regions"], 0)
        # region -> (poll time, decision) of the action on its outage (a failover, or a notice that a guard held it back): once per
        # outage; the latch ends when DNS has moved away and the region is back, or after the cool-down
        self.handled = {}
        self.verdicts = {}

    def update(self, poll):
        events = []
        self.verdicts = {region: verdict(poll["observations"].get(region, {}), self.settings["quorum"]) for region in self.settings["regions"]}
        changes = []
        for region in self.settings["regions"]:
            healthy = self.verdicts[region]["healthy"]
            if healthy is None:  # too few observers answered: no evidence either way, and the streak is broken
                self.streak[region] = (None, 0)
                self.undecided[region] += 1
                if self.undecided[region] == self.settings["debounce_polls"]:
                    events.append(self.blind(region, poll))
                continue
            self.undecided[region] = 0
            seen, count = self.streak[region]
            count = count + 1 if seen == healthy else 1
            self.streak[region] = (healthy, count)
            if healthy != self.state[region] and count >= self.settings["debounce_polls"]:
                changes.append((region, self.state[region]))
                self.state[region] = healthy
        for region, previous in changes:  # after every region's state is updated: a target must be up now
            events.append(self.event(region, previous, poll))
        return events

    def up(self, region):
        """Up by the debounced state and by this poll's verdict."""
        return self.state.get(region) is True and self.verdicts.get(region, {}).get("healthy") is True

    def target(self, failed, poll):
        """The first region of the priority list that is up and whose replica-lag alarm is known to be quiet."""
        alarms = poll.get("lag_alarms") or {}
        for region in self.settings["priority"]:
            if region != failed and self.up(region) and alarms.get(region) == []:
                return region
        return None

    def recovered(self, region, active, poll):
        """(decision, target, reason, command) for a region that is up again."""
        book = self.settings["playbook_dir"]
        acted = self.handled.get(region) if active == region else self.handled.pop(region, None)
        if active == region and acted and acted[1] != "failover":
            self.handled.pop(region)  # back before anything moved: a held-back outage is over
        elif active == region and acted:  # the latch stays: until DNS moves, or the cool-down ends
            # a failover was decided, yet DNS still sends the traffic here: it did not finish; a database may take
            # writes on both sides. A person looks (fence.yml, which trusts DNS, would fence the wrong one).
            return "notify", None, (f"{region} is back and DNS still points at it, though its outage was acted on: a failover may "
                                    "have stopped half-way (two writable databases?); look before anything else"), \
                f"ansible-playbook {book}/status.yml"
        if active == region or not active:
            return "none", None, f"{region} is back" + (" and is the active region" if active else ""), None
        command = f"ansible-playbook {book}/fence.yml"
        lock = poll.get("lock")
        if not self.up(active) or lock or lock is None:
            why = (f"the active region {active} is not up" if not self.up(active) else
                   "the failover lock could not be read" if lock is None else
                   f"the lock is held by {lock.get('owner')} for {lock.get('operation')} (a run is under way)")
            return "notify", None, f"{region} is back beside the active region {active}, but {why}: not fenced automatically", command
        if self.settings["notify_only"]:
            return "notify", None, f"{region} is back and is not the active region ({active}): notify_only, so not fenced", command
        return "fence", None, f"{region} is back and is not the active region ({active}): fence it (failback stays a human decision)", command

    def decide(self, region, previous, poll):
        """(decision, target, reason, command) for region's new state."""
        healthy, active = self.state[region], poll.get("active_region")
        book = self.settings["playbook_dir"]
        if healthy:
            if previous is False:
                return self.recovered(region, active, poll)
            return "none", None, f"{region} is up", None
        if not active:
            return "notify", None, f"{region} is down and no active region is known from DNS: no automatic failover", \
                f"ansible-playbook {book}/status.yml"
        if region != active:
            return "none", None, f"{region} is down; it is a standby region (the active region is {active}): no failover", None
        acted = self.handled.get(region)
        if acted and (poll.get("time") or 0) - (acted[0] or 0) < self.settings["cooldown_seconds"]:
            return "none", None, f"{region} is down again, or still; this outage was already acted on", None
        target = self.target(region, poll)
        if not target:  # not latched: the next change of this region judges again
            return "notify", None, (f"the active region {region} is down and no region of the priority list "
                                    f"({', '.join(self.settings['priority'])}) is up with its replica-lag alarm known and quiet"), \
                f"ansible-playbook {book}/status.yml"
        command = f"ansible-playbook {book}/failover.yml -e target={target}"
        decided = self.guarded(region, target, command, poll)
        self.handled[region] = (poll.get("time"), decided[0])
        return decided

    def guarded(self, region, target, command, poll):
        """failover to target, unless a guard (the lock, the cool-down, notify_only) holds it back: notify."""
        lock, last = poll.get("lock"), poll.get("last")
        if lock is None or last is None:
            return "notify", target, (f"the active region {region} is down, but the failover lock or the last operation could not "
                                      f"be read ({'; '.join(poll.get('errors') or ['no detail'])}): no automatic failover"), command
        if lock:
            return "notify", target, (f"the active region {region} is down, but the lock is held by {lock.get('owner')} for "
                                      f"{lock.get('operation')} since {lock.get('age_seconds')} s ago: a run is under way; no automatic failover"), command
        cooldown = self.settings["cooldown_seconds"]
        if last and cooldown and last.get("age_seconds", cooldown) < cooldown:
            return "notify", target, (f"the active region {region} is down, but the cool-down holds automation back: the last "
                                      f"operation ({last.get('operation')} by {last.get('owner')}) finished {last['age_seconds']} s ago "
                                      f"and the cool-down is {cooldown} s; a person decides (add -e ignore_cooldown=true to override it)"), command
        if self.settings["notify_only"]:
            return "notify", target, f"the active region {region} is down: notify_only, so no automatic failover", command
        return "failover", target, f"the active region {region} is down: fail over to {target}", command

    def blind(self, region, poll):
        """The event of a region that could not be judged for debounce_polls polls: too few observers answered."""
        seen = self.verdicts[region]
        reason = (f"cannot tell whether {region} is up: {len(seen['failing']) + len(seen['passing'])} observer(s) answered, "
                  f"{seen['quorum']} needed ({'; '.join(poll.get('errors') or ['no error reported'])}); no automatic action")
        return self.payload(region, self.state[region], poll, ("notify", None, reason, f"ansible-playbook {self.settings['playbook_dir']}/status.yml"))

    def notify_region(self, region, target):
        """Where a notification is published: the target, else a region that is up, else any other region."""
        if target:
            return target
        others = [r for r in self.settings["priority"] + self.settings["regions"] if r != region]
        return next((r for r in others if self.state.get(r) is True), others[0] if others else region)

    def event(self, region, previous, poll):
        return self.payload(region, previous, poll, self.decide(region, previous, poll))

    def payload(self, region, previous, poll, decided):
        decision, target, reason, command = decided
        seen = self.verdicts[region]
        return {"region_health": {
            "region": region, "healthy": self.state[region], "previous": previous, "active_region": poll.get("active_region"),
            "observers": {key: seen[key] for key in ("failing", "passing", "silent", "quorum")},
            "decision": decision, "target": target, "reason": reason, "command": command,
            "notify_region": self.notify_region(region, target),
            "time": poll.get("time"), "errors": poll.get("errors", []),
        }}
