# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover lock's records in one place: two TXT records in the application's hosted zone, the lock
(who runs what since when, and the run's last heartbeat) and the last completed operation (what the cool-down
counts from). The failover_lock module writes them; the region_health event source reads them to hold
automation back."""

import secrets
import time

LOCK_NAME = "_multiregion-dr-lock"
HISTORY_NAME = "_multiregion-dr-last"
TTL = 60
# A TXT string holds 255 characters; the times and the run's token come first, so that a long owner or operation is
# what gets cut.
KEYS = ("since", "beat", "token", "owner", "operation")

# failover_lock's options (without the connection's): also what failover_plan's read.lock takes, the same dict
ARGUMENT_SPEC = dict(
    hosted_zone=dict(type="str", required=True),
    private_zone=dict(type="bool", default=False),
    lock_name=dict(type="str", default=LOCK_NAME),
    history_name=dict(type="str", default=HISTORY_NAME),
    state=dict(type="str", choices=["acquired", "refreshed", "released"], default="acquired"),
    owner=dict(type="str", required=True),
    operation=dict(type="str", default="failover"),
    stale_after_seconds=dict(type="int", default=3600),
    cooldown_seconds=dict(type="int", default=0),
    take_over=dict(type="bool", default=False),
    ignore_cooldown=dict(type="bool", default=False),
    resume_token=dict(type="str", default="", no_log=False),
    record_completion=dict(type="bool", default=True),
)


def new_token():
    """A run's resume token: what another owner (a relaunched AWX job, a colleague) gives to go on with the run."""
    return secrets.token_hex(6)


def encode(entry):
    """One TXT string: key=value pairs (no quotes, no ; inside values), at most 250 characters."""
    text = ";".join(f"{key}={str(entry[key]).replace(';', ',').replace(chr(34), '')}" for key in KEYS if entry.get(key) is not None)
    return '"' + text[:250] + '"'


def decode(record, now=None):
    """The entry of a TXT record set: owner, operation, since, beat (the last heartbeat; since when the record has
    none), age_seconds (since it was taken) and idle_seconds (since the last heartbeat); {} for none."""
    if not record:
        return {}
    text = record["ResourceRecords"][0]["Value"].strip('"')
    entry = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    now = int(now if now is not None else time.time())
    entry["since"] = int(entry.get("since", 0) or 0)
    entry["beat"] = int(entry.get("beat", 0) or 0) or entry["since"]
    entry["age_seconds"] = max(0, now - entry["since"])
    entry["idle_seconds"] = max(0, now - entry["beat"])
    return entry


def holds(held, owner, operation):
    """Whether owner already holds the lock for operation (a rerun of the same run)."""
    return bool(held) and held.get("owner") == owner and held.get("operation") == operation


def resumes(held, resume_token, operation):
    """Whether resume_token is the token of the run that holds the lock for operation."""
    return bool(held) and bool(resume_token) and held.get("token") == resume_token and held.get("operation") == operation


def probe(held, owner, operation, resume_token=""):
    """What taking the lock says of a run that goes on (failover_plan's `resumed` reads it): owner holds it already,
    or resumes the holder's run with its token; None for anything else (a free lock, another holder's)."""
    if holds(held, owner, operation):
        return f"{owner} already holds the lock for {operation}"
    if resumes(held, resume_token, operation):
        return f"{owner} resumes the run of {held.get('owner')} for {operation}"
    return None


def stale(held, stale_after_seconds):
    """Whether a held lock is abandoned: no heartbeat for longer than stale_after_seconds."""
    return bool(held) and held["idle_seconds"] > stale_after_seconds


def txt(name, value):
    return {"Name": name, "Type": "TXT", "TTL": TTL, "ResourceRecords": [{"Value": value}]}


def cooldown_remaining(last, cooldown_seconds):
    """Seconds left of the cool-down after the last completed operation (0 when none)."""
    if not last or not cooldown_seconds:
        return 0
    return max(0, cooldown_seconds - last["age_seconds"])
