"""The latency model: how long AWS takes for long operations, and the statuses it shows.

DURATIONS is the one table of timings (seconds at time scale 1, close to what AWS shows;
see shared notes aws-dr-facts.md). Each entry is a list of (status, seconds from the start
at which the resource shows that status); the last status is the final one. With the
latency model off (the default) the final status applies at once, so tests stay fast.
With it on, each step applies after seconds * scale. Benchmarks import DURATIONS.

The clock can be held: no step applies until `step()` applies the next one (or `release()`
lets the clock run again, and overdue steps apply at once). Tests and rehearsals use it to
stop a resource in a passing status, such as an RDS promotion at "rebooting", for as long
as they need, instead of racing a window of real time.
"""

import heapq
import itertools
import threading
import time

from .state import STATE

DURATIONS = {
    # RDS (RDS User Guide: promotion reboots the instance and takes several minutes)
    "rds.create_db_instance_read_replica": [("creating", 0), ("backing-up", 420), ("available", 600)],
    "rds.promote_read_replica": [("modifying", 0), ("rebooting", 150), ("available", 240)],
    # a promoted replica that had no backups takes a first full backup (backing-up) after the reboot
    "rds.first_backup": [("backing-up", 0), ("available", 600)],
    "rds.modify_db_instance": [("modifying", 0), ("available", 60)],
    "rds.reboot_db_instance": [("rebooting", 0), ("available", 60)],
    "rds.delete_db_instance": [("deleting", 0), ("deleted", 300)],
    # Aurora global database (Aurora User Guide: switchover/failover take minutes)
    "rds.switchover_global_cluster": [("switching-over", 0), ("available", 120)],
    "rds.failover_global_cluster": [("failing-over", 0), ("available", 90)],
    "rds.remove_from_global_cluster": [("modifying", 0), ("available", 60)],
    # ElastiCache Global Datastore
    "elasticache.create_global_replication_group": [("creating", 0), ("available", 600)],
    "elasticache.failover_global_replication_group": [("modifying", 0), ("available", 120)],
    "elasticache.disassociate_global_replication_group": [("modifying", 0), ("available", 60)],
    "elasticache.delete_global_replication_group": [("deleting", 0), ("deleted", 300)],
    "elasticache.delete_replication_group": [("deleting", 0), ("deleted", 300)],
    "elasticache.delete_cache_cluster": [("deleting", 0), ("deleted", 300)],
    # Auto Scaling: a new instance boots and passes health checks
    "autoscaling.launch_instance": [("Pending", 0), ("InService", 90)],
    "autoscaling.instance_refresh": [("Pending", 0), ("InProgress", 15), ("Successful", 300)],
    # DynamoDB global tables (2019.11.21): adding a replica to an empty table takes minutes
    "dynamodb.create_replica": [("CREATING", 0), ("ACTIVE", 300)],
    "dynamodb.delete_replica": [("DELETING", 0), ("DELETED", 120)],
    # Route 53: a change propagates to all authoritative servers within about 60 s
    "route53.change_resource_record_sets": [("PENDING", 0), ("INSYNC", 30)],
    "cloudfront.deploy": [("InProgress", 0), ("Deployed", 300)],  # a change reaches every edge location
}


def scaled(seconds):
    with STATE.lock:
        return seconds * STATE.latency["scale"] if STATE.latency["enabled"] else 0.0


class _Scheduler:
    """One thread that runs callbacks at their due time (a heap, not a thread per timer)."""

    def __init__(self):
        self._heap = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread = None
        self._generation = 0
        self._held = False

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="regionsim-timeline", daemon=True)
            self._thread.start()

    def call_at(self, when, callback):
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._counter), self._generation, callback))
            self._ensure_thread()
            self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                while self._held or not self._heap or self._heap[0][0] > time.time():
                    timeout = None if self._held or not self._heap else max(0.0, self._heap[0][0] - time.time())
                    self._cond.wait(timeout)
                _, _, generation, callback = heapq.heappop(self._heap)
                if generation != self._generation:
                    continue
            self._apply(callback)

    @staticmethod
    def _apply(callback):
        try:
            with STATE.lock:
                callback()
        except Exception:  # a failed step must not stop the clock for everything else
            import traceback

            traceback.print_exc()

    def pending(self):
        with self._cond:
            return len(self._heap)

    def held(self):
        with self._cond:
            return self._held

    def hold(self):
        with self._cond:
            self._held = True

    def release(self):
        with self._cond:
            self._held = False
            self._cond.notify()

    def step(self):
        """Apply the next due step now (every step due at that same moment); returns how many were applied."""
        with self._cond:
            due = []
            while self._heap and (not due or self._heap[0][0] == due[0][0]):
                entry = heapq.heappop(self._heap)
                if entry[2] == self._generation:
                    due.append(entry)
        for entry in due:
            self._apply(entry[3])
        return len(due)

    def clear(self):
        with self._cond:
            self._heap.clear()
            self._generation += 1
            self._held = False
            self._cond.notify()


SCHEDULER = _Scheduler()


def run(key, apply, steps=None):
    """Walk a resource through the statuses of DURATIONS[key].

    apply(status) is called for every step: at once for the first, then at each step's
    scaled time. With the latency model off only the final status is applied, at once.
    Returns the seconds (scaled) until the final status.
    """
    steps = steps or DURATIONS[key]
    if not scaled(1.0):
        apply(steps[-1][0])
        return 0.0
    start = time.time()
    apply(steps[0][0])
    for status, at in steps[1:]:
        SCHEDULER.call_at(start + scaled(at), lambda status=status: apply(status))
    return scaled(steps[-1][1])


def reset():
    SCHEDULER.clear()
