"""module_utils/lock.py: the lock's TXT record, its heartbeat and when it is stale."""

from ansible_collections.multiregion.dr.plugins.module_utils import lock


def record(value):
    return {"Name": "_multiregion-dr-lock.shop.example.com.", "Type": "TXT", "ResourceRecords": [{"Value": value}]}


def test_a_long_owner_or_operation_is_cut_never_the_times():
    text = lock.encode({"owner": "o" * 200, "operation": "failover to eu-west-1 " * 10, "since": 1795600000, "beat": 1795600300})
    assert len(text) == 252 and text.startswith('"since=1795600000;beat=1795600300;owner=ooo')
    entry = lock.decode(record(text), now=1795600310)
    assert (entry["since"], entry["beat"], entry["age_seconds"], entry["idle_seconds"]) == (1795600000, 1795600300, 310, 10)


def test_a_record_without_heartbeat_beats_when_it_was_taken():
    entry = lock.decode(record('"owner=alice;operation=failover;since=1795600000"'), now=1795603700)
    assert entry["beat"] == 1795600000 and entry["idle_seconds"] == 3700 and entry["owner"] == "alice"
    assert lock.stale(entry, 3600) and not lock.stale(entry, 3700)
    assert not lock.stale({}, 0) and lock.decode(None) == {}


def test_stale_counts_from_the_last_heartbeat_not_from_when_it_was_taken():
    entry = lock.decode(record('"since=1795600000;beat=1795607000;owner=alice;operation=failover"'), now=1795607060)
    assert entry["age_seconds"] == 7060 and not lock.stale(entry, 3600)


def test_the_probe_tells_a_rerun_and_a_resumed_run_from_anything_else():
    held = lock.decode(record('"since=1795600000;token=0123456789ab;owner=alice;operation=failover to eu-west-1"'), now=1795600010)
    assert lock.probe(held, "alice", "failover to eu-west-1") == "alice already holds the lock for failover to eu-west-1"
    assert lock.probe(held, "bob", "failover to eu-west-1", "0123456789ab") == "bob resumes the run of alice for failover to eu-west-1"
    # another operation, a wrong token, another holder, a free lock: not this run's
    assert lock.probe(held, "alice", "failback to us-east-1") is None
    assert lock.probe(held, "bob", "failover to eu-west-1", "ba9876543210") is None
    assert lock.probe(held, "bob", "failover to eu-west-1") is None
    assert lock.probe({}, "alice", "failover to eu-west-1", "0123456789ab") is None
