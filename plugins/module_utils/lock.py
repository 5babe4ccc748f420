# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover lock's records in one place: two TXT records in the application's hosted zone, the lock
(who runs what since when) and the last completed operation (what the cool-down counts from). The
failover_lock module writes them; the region_health event source reads them to hold automation back."""

import time

LOCK_NAME = "_multiregion-dr-lock"
HISTORY_NAME = "_multiregion-dr-last"
TTL = 60


def encode(entry):
    """One TXT string: key=value pairs (no quotes, no ; inside values)."""
    text = ";".join(f"{key}={str(entry[key]).replace(';', ',').replace(chr(34), '')}" for key in ("owner", "operation", "since"))
    return '"' + text[:250] + '"'


def decode(record, now=None):
    """The entry of a TXT record set (owner, operation, since, age_seconds); {} for none."""
    if not record:
        return {}
    text = record["ResourceRecords"][0]["Value"].strip('"')
    entry = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    entry["since"] = int(entry.get("since", 0) or 0)
    entry["age_seconds"] = max(0, int(now if now is not None else time.time()) - entry["since"])
    return entry


def txt(name, value):
    return {"Name": name, "Type": "TXT", "TTL": TTL, "ResourceRecords": [{"Value": value}]}


def cooldown_remaining(last, cooldown_seconds):
    """Seconds left of the cool-down after the last completed operation (0 when none)."""
    if not last or not cooldown_seconds:
        return 0
    return max(0, cooldown_seconds - last["age_seconds"])
