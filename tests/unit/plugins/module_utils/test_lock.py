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


class FakeTable:
    """One region's replica of the lock table: get_item answers what `items` hold (a list: one answer per read, the
    last repeated), or raises `down`."""

    def __init__(self, *answers, down=None):
        self.answers, self.down, self.reads = list(answers), down, 0

    def get_item(self, **kwargs):
        self.reads += 1
        if self.down:
            raise self.down
        answer = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        return {"Item": {key: {"S": value} for key, value in answer.items()}} if answer else {}


def store(tables, timeout=5):
    return lock.DynamoStore(tables.__getitem__, "shop-dr-lock", "eu-west-1", ["us-east-1", "us-west-2", "eu-west-1"], timeout, poll=0)


def test_a_write_settles_when_every_replica_that_answers_holds_it():
    import botocore.exceptions

    mine = lock.DynamoStore.record("_multiregion-dr-lock", {"owner": "alice", "since": 1, "token": "a" * 12})
    # us-east-1 is down (skipped), us-west-2 sees the write on its second read
    dead = botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
    tables = {"eu-west-1": FakeTable(mine), "us-west-2": FakeTable(None, mine), "us-east-1": FakeTable(down=dead)}
    store(tables).settle("_multiregion-dr-lock", mine)
    assert tables["us-west-2"].reads == 2


def test_a_write_that_lost_to_another_region_is_a_conflict():
    mine = lock.DynamoStore.record("_multiregion-dr-lock", {"owner": "alice", "since": 1, "token": "a" * 12})
    bobs = lock.DynamoStore.record("_multiregion-dr-lock", {"owner": "bob", "since": 1, "token": "b" * 12})
    # bob wrote in us-west-2 at the same moment: last writer wins, and every replica ends with his
    tables = {"eu-west-1": FakeTable(mine, bobs), "us-west-2": FakeTable(bobs), "us-east-1": FakeTable(mine, bobs)}
    try:
        store(tables).settle("_multiregion-dr-lock", mine)
        raise AssertionError("no conflict")
    except lock.Conflict as exc:
        assert "a write in another region won" in str(exc) and "bob" in str(exc)


def test_replicas_that_never_agree_fail_the_write_after_the_settle_timeout():
    mine = lock.DynamoStore.record("_multiregion-dr-lock", {"owner": "alice", "since": 1, "token": "a" * 12})
    tables = {"eu-west-1": FakeTable(mine), "us-west-2": FakeTable(None), "us-east-1": FakeTable(mine)}
    try:
        store(tables, timeout=0).settle("_multiregion-dr-lock", mine)
        raise AssertionError("no conflict")
    except lock.Conflict as exc:
        assert "still disagree after 0 s" in str(exc)


def test_an_item_decodes_as_a_record_does():
    item = lock.DynamoStore.record("_multiregion-dr-lock", {"owner": "alice", "operation": "failover", "since": 1795600000, "beat": 1795600300})
    assert item == {"name": "_multiregion-dr-lock", "owner": "alice", "operation": "failover", "since": "1795600000", "beat": "1795600300"}
    entry = lock.decode(item, now=1795600310)
    assert (entry["owner"], entry["age_seconds"], entry["idle_seconds"]) == ("alice", 310, 10)
