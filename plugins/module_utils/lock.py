# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover lock's records in one place: the lock (who runs what since when, and the run's last heartbeat) and
the last completed operation (what the cool-down counts from), kept in one of two stores:

- Route53Store: two TXT records in the application's hosted zone. Route 53's API (its control plane) runs in
  us-east-1 only, so this lock cannot be taken while us-east-1 is down with it.
- DynamoStore: two items of a DynamoDB global table with a replica in every application region, written in the
  target region with a conditional write. It can be taken from any region that is up (AWS fault-isolation
  guidance: no global control plane in the recovery path).

The failover_lock module writes them; failover_plan and the region_health event source read them."""

import secrets
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.multiregion.dr.plugins.module_utils.clients import client, error_code, is_unreachable
from ansible_collections.multiregion.dr.plugins.module_utils.route53 import ROUTE53_REGION, ZoneError, absolute_name, find_zone, txt_record
from ansible_collections.multiregion.dr.plugins.module_utils.wait import WaitTimeout, wait_until

LOCK_NAME = "_multiregion-dr-lock"
HISTORY_NAME = "_multiregion-dr-last"
TTL = 60
# A TXT string holds 255 characters; the times and the run's token come first, so that a long owner or operation is
# what gets cut.
KEYS = ("since", "beat", "token", "owner", "operation")

# failover_lock's options (without the connection's): also what failover_plan's read.lock takes, the same dict
ARGUMENT_SPEC = dict(
    hosted_zone=dict(type="str"),
    table=dict(type="str"),
    table_regions=dict(type="list", elements="str", default=[]),
    settle_timeout=dict(type="int", default=30),
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
# one store: the table or the hosted zone
WHERE = dict(required_one_of=[("hosted_zone", "table")], mutually_exclusive=[("hosted_zone", "table")])


def new_token():
    """A run's resume token: what another owner (a relaunched AWX job, a colleague) gives to go on with the run."""
    return secrets.token_hex(6)


def encode(entry):
    """One TXT string: key=value pairs (no quotes, no ; inside values), at most 250 characters."""
    text = ";".join(f"{key}={str(entry[key]).replace(';', ',').replace(chr(34), '')}" for key in KEYS if entry.get(key) is not None)
    return '"' + text[:250] + '"'


def decode(record, now=None):
    """The entry of a TXT record set (Route53Store) or an item (DynamoStore): owner, operation, since, beat (the last
    heartbeat; since when the record has none), age_seconds (since it was taken) and idle_seconds (since the last
    heartbeat); {} for none."""
    if not record:
        return {}
    if "ResourceRecords" in record:
        text = record["ResourceRecords"][0]["Value"].strip('"')
        entry = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    else:
        entry = {key: record[key] for key in KEYS if key in record}
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


class Conflict(Exception):
    """Someone else changed the lock between this run's read and its write."""


class Route53Store:
    """The lock as TXT records in a hosted zone (find_zone's): a change batch that CREATEs a record that exists, or
    DELETEs a value that is not there, is rejected as a whole (InvalidChangeBatch), which makes each change atomic."""

    kind = "route53"

    def __init__(self, r53, zone):
        self.r53, self.zone = r53, zone

    def read(self, name):
        return txt_record(self.r53, self.zone, name)

    @staticmethod
    def record(name, entry):
        return txt(name, encode(entry))

    def _change(self, changes, comment):
        try:
            self.r53.change_resource_record_sets(HostedZoneId=self.zone["Id"], ChangeBatch={"Comment": comment, "Changes": changes})
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "InvalidChangeBatch":
                raise Conflict(str(exc)) from None
            raise

    def replace(self, name, entry, old, comment, settle=True):  # pylint: disable=unused-argument
        """Write entry as the record name, where exactly old is (None: where there is none); Conflict otherwise.
        (One region: nothing to settle.)"""
        changes = ([{"Action": "DELETE", "ResourceRecordSet": old}] if old else []) + [
            {"Action": "CREATE", "ResourceRecordSet": self.record(name, entry)}]
        self._change(changes, comment)

    def remove(self, old, history_name, done, comment):
        """Delete exactly old and, with done, write it as the history record."""
        changes = [{"Action": "DELETE", "ResourceRecordSet": old}]
        if done:
            changes.append({"Action": "UPSERT", "ResourceRecordSet": self.record(history_name, done)})
        self._change(changes, comment)


class DynamoStore:
    """The lock as items of a DynamoDB global table (hash key C(name), a string) with a replica in each of regions.

    Writes go to `region` (the failover's target, which must be up) as conditional writes: create only where there
    is no item, replace or delete only the item as read. A conditional write is atomic within a region; between
    regions a global table settles concurrent writes by last writer wins, so after each write the lock waits until
    every replica it can reach shows the same item, and goes on only when that item is its own (Conflict when
    another write won). Reads go to `region`, else to the first other region that answers."""

    kind = "dynamodb"
    NUMBERS = ("since", "beat")

    def __init__(self, client_for, table, region, regions, settle_timeout=30, poll=0.5):
        """client_for(region): a DynamoDB client wrapped by amazon.aws's RetryingBotoClientWrapper (calls pass
        aws_retry=True), best with one attempt per call, so that a region that is down costs seconds."""
        self.client_for, self.table, self.region = client_for, table, region
        self.regions = [region] + [r for r in regions if r != region]
        self.settle_timeout, self.poll = settle_timeout, poll

    @classmethod
    def record(cls, name, entry):
        return dict({key: str(entry[key]) for key in KEYS if entry.get(key) is not None}, name=name)

    @classmethod
    def _attributes(cls, record):
        return {key: ({"N": value} if key in cls.NUMBERS else {"S": value}) for key, value in record.items()}

    def read_in(self, region, name):
        item = self.client_for(region).get_item(TableName=self.table, Key={"name": {"S": name}}, ConsistentRead=True, aws_retry=True).get("Item")
        return {key: next(iter(value.values())) for key, value in item.items()} if item else None

    def read(self, name):
        for region in self.regions:
            try:
                return self.read_in(region, name)
            except Exception as exc:  # pylint: disable=broad-except
                if not is_unreachable(exc) or region == self.regions[-1]:
                    raise
        return None

    def _expect(self, old):
        """A condition that holds only for exactly the item old (none when old is None)."""
        if not old:
            return {"ConditionExpression": "attribute_not_exists(#name)", "ExpressionAttributeNames": {"#name": "name"}}
        names, values, terms = {}, {}, []
        for index, key in enumerate(KEYS):
            names[f"#k{index}"] = key
            if key in old:
                values[f":v{index}"] = self._attributes({key: old[key]})[key]
                terms.append(f"#k{index} = :v{index}")
            else:
                terms.append(f"attribute_not_exists(#k{index})")
        return {"ConditionExpression": " AND ".join(terms), "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}

    def replace(self, name, entry, old, comment=None, settle=True):
        """Write entry where exactly old is (None: no item), then, with settle, wait for the replicas (settle()).
        A heartbeat does not wait: a take-over written elsewhere meanwhile fails its next write or the release."""
        mine = self.record(name, entry)
        try:
            self.client_for(self.region).put_item(TableName=self.table, Item=self._attributes(mine), aws_retry=True, **self._expect(old))
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise Conflict(str(exc)) from None
            raise
        if settle:
            self.settle(name, mine)

    def remove(self, old, history_name, done, comment=None):
        """Delete exactly old, then write done as the history item. Two writes, not TransactWriteItems: IAM checks a
        transaction's items by their own actions, which the operator policy names on the lock table. A run stopped
        between them has released the lock and not started the cool-down."""
        client = self.client_for(self.region)
        try:
            client.delete_item(TableName=self.table, Key={"name": {"S": old["name"]}}, aws_retry=True, **self._expect(old))
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise Conflict(str(exc)) from None
            raise
        if done:
            client.put_item(TableName=self.table, Item=self._attributes(self.record(history_name, done)), aws_retry=True)

    def settle(self, name, mine):
        """Wait until every reachable replica holds the same item (wait.wait_until); Conflict when it is not mine."""
        def replicas():
            seen = {}
            for region in self.regions:
                try:
                    seen[region] = self.read_in(region, name)
                except Exception as exc:  # pylint: disable=broad-except
                    if not is_unreachable(exc):
                        raise
            return seen

        def agree(seen):
            values = list(seen.values())
            return bool(values) and all(value == values[0] for value in values)

        try:
            seen, _answered = wait_until(replicas, agree, f"the replicas of {self.table} to agree", self.settle_timeout, self.poll,
                                         status_of=", ".join)
        except WaitTimeout as exc:
            raise Conflict(f"the replicas of {self.table} in {exc.last} still disagree after {self.settle_timeout} s") from None
        winner = next(iter(seen.values()))
        if winner != mine:
            raise Conflict(f"a write in another region won: {winner}")


def open_store(module, params, region):
    """(store, lock name, history name) for failover_lock's options `params` (ARGUMENT_SPEC): the table's replica in
    region (else the first of table_regions), or the hosted zone; an unknown zone fails the module, naming the zones."""
    if params["table"]:
        store = DynamoStore(lambda where: client(module, "dynamodb", where, probe=True), params["table"],
                            region or (params["table_regions"] or [None])[0], params["table_regions"], params["settle_timeout"])
        return store, params["lock_name"], params["history_name"]
    r53 = client(module, "route53", ROUTE53_REGION)
    try:
        zone = find_zone(r53, params["hosted_zone"], params["private_zone"])
    except ZoneError as exc:
        module.fail_json(msg=str(exc))
    return Route53Store(r53, zone), absolute_name(params["lock_name"], zone["Name"]), absolute_name(params["history_name"], zone["Name"])
