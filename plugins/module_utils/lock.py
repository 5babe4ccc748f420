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
