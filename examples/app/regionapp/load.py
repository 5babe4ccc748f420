"""Load mode (sequenced, acknowledged writes at a steady rate, every acknowledgement logged) and the count
that compares what was acknowledged with what the final primary holds."""

import json
import math
import time

from .client import TABLE, WriteError


def run_load(app, ack_log, rate=10.0, duration=60.0, start_seq=1, should_stop=lambda: False):
    """Write seq, seq+1, ... at `rate` per second for `duration` seconds; one JSON line per attempt in ack_log:
    {"run", "seq", "acked_at", "writer"} when acknowledged, {"run", "seq", "failed_at", "error"} when not."""
    interval = 1.0 / rate
    began = time.monotonic()
    seq = start_seq
    with open(ack_log, "a", encoding="utf-8") as log:
        while time.monotonic() - began < duration and not should_stop():
            try:
                app.write(seq)
                entry = {"run": app.run, "seq": seq, "acked_at": time.time(), "writer": str(app.config.writer)}
            except WriteError as exc:
                entry = {"run": app.run, "seq": seq, "failed_at": time.time(), "error": str(exc)}
            log.write(json.dumps(entry) + "\n")
            log.flush()
            seq += 1
            # a steady rate: the next write is due one interval after this one was due
            delay = began + (seq - start_seq) * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return seq


def read_acks(path):
    with open(path, encoding="utf-8") as log:
        entries = [json.loads(line) for line in log if line.strip()]
    return [e for e in entries if "acked_at" in e]


def key(ack):
    """What identifies a write: its run and its seq."""
    return ack["run"], ack["seq"]


def present_on(connection, runs):
    """The (run, seq) of every row of these runs the database holds."""
    runs = sorted(set(runs))
    if not runs:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT run, seq FROM {TABLE} WHERE run IN ({', '.join(['%s'] * len(runs))})", runs)
        return {(row[0], row[1]) for row in cursor.fetchall()}


def _figures(acks, present):
    lost = [a for a in acks if key(a) not in present]
    times = sorted(a["acked_at"] for a in acks)
    return {
        "writes_acknowledged": len(acks),
        "writes_lost": len(lost),
        # the age span of the lost writes: from the first to the last acknowledged write that is gone
        "data_loss_window_s": round(max(a["acked_at"] for a in lost) - min(a["acked_at"] for a in lost), 3) if lost else 0.0,
        "lost_seqs": sorted(a["seq"] for a in lost)[:50],
        "first_ack": times[0] if times else None,
        "last_ack": times[-1] if times else None,
    }


def outcome(acks, present, moves=()):
    """The measured outcome. present: the (run, seq) the final primary holds. moves: [{"name", "at"}] (epoch seconds, e.g. a failover's start). Each ack counts for
    the first move after it (a write lost in a failover was acknowledged before it); per move also the
    client-observed write downtime: the longest time without an acknowledged write from the last one before the
    move until the next move (a failback's switchover comes well after the failback starts)."""
    result = {"total": _figures(acks, present), "moves": []}
    ordered = sorted(moves, key=lambda m: m["at"])
    previous = -math.inf
    for index, move in enumerate(ordered):
        before = [a for a in acks if previous <= a["acked_at"] < move["at"]]
        until = ordered[index + 1]["at"] if index + 1 < len(ordered) else math.inf
        after = sorted(a["acked_at"] for a in acks if move["at"] <= a["acked_at"] < until)
        figures = _figures(before, present)
        last_before = max((a["acked_at"] for a in before), default=None)
        times = ([last_before] if last_before is not None else []) + after
        figures["write_downtime_s"] = (round(max(b - a for a, b in zip(times, times[1:])), 3)
                                       if last_before is not None and after else None)
        result["moves"].append({"name": move.get("name", f"move {index + 1}"), "at": move["at"], **figures})
        previous = move["at"]
    return result
