"""DynamoDB global tables, version 2019.11.21 (DynamoDB Developer Guide, GlobalTables).

moto 5.2.5 ignores UpdateTable ReplicaUpdates and has no TableId in DescribeTable (the
community.aws dynamodb_table module fails on 'table_id'). Here ReplicaUpdates Create makes
a real table of the same name and key schema in the other region (items copied; encrypted
with the Create's KMSMasterKeyId, listed in the other members' Replicas), Delete
removes it; every member's DescribeTable lists the other members under Replicas with their
ReplicaStatus, and TableStatus is CREATING/UPDATING while a replica is added or removed
(latency model keys "dynamodb.create_replica", "dynamodb.delete_replica").

Writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems once it
commits) in any member are copied to the others, last writer wins. With the latency model
on, a write reaches region R after the lag set for (R, "dynamodb", table name) (regionsim
lag), scaled; otherwise at once. PartiQL writes are not replicated.
"""

import copy
import threading
import time
import uuid

from moto.dynamodb import models as ddb_models
from moto.dynamodb import responses as ddb_responses
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from .. import timeline
from ..state import STATE

GLOBAL_TABLE_VERSION = "2019.11.21"

_groups = {}  # (account, table name) -> {region: ReplicaStatus}; only tables with replicas
_last_write = {}  # (account, table name, region, key) -> time of the write that item holds
KEPT = ("_groups", "_last_write")  # for snapshots (regionsim.snapshot)
_tx = threading.local()  # writes of a TransactWriteItems in progress, replicated on commit


def _backend(account_id, region):
    return ddb_models.dynamodb_backends[account_id][region]


def _group(table):
    return _groups.get((table.account_id, table.name))


def _key_repr(hash_key, range_key):
    return (hash_key.type, str(hash_key.value)) + ((range_key.type, str(range_key.value)) if range_key else ())


# --- DescribeTable ------------------------------------------------------------------------

def _table_status(group, region):
    if group[region] in ("CREATING", "DELETING"):
        return group[region]
    return "UPDATING" if any(s in ("CREATING", "DELETING") for s in group.values()) else "ACTIVE"


_original_describe = Table.describe


def describe(self, base_key="TableDescription"):
    result = _original_describe(self, base_key)
    body = result[base_key]
    if not hasattr(self, "sim_table_id"):
        self.sim_table_id = str(uuid.uuid4())
    body["TableId"] = self.sim_table_id
    with STATE.lock:
        group = dict(_group(self) or {})
    if self.region_name in group:
        body["TableStatus"] = _table_status(group, self.region_name)
        body["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        body["Replicas"] = [
            {"RegionName": region, "ReplicaStatus": status, **_replica_key(self, region)}
            for region, status in sorted(group.items())
            if region != self.region_name
        ]
    return result


def _replica_key(table, region):
    member = _backend(table.account_id, region).tables.get(table.name)
    key = ((member and member.sse_specification) or {}).get("KMSMasterKeyId")
    return {"KMSMasterKeyId": key} if key else {}


# --- ReplicaUpdates -----------------------------------------------------------------------

def _replica_sse(source, kms_key):
    # AWS encrypts a replica like its source table, with the key named for the replica's region
    if kms_key:
        return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key}
    if source.sse_specification and source.sse_specification.get("Enabled"):
        return {"Enabled": True, "SSEType": "KMS"}
    return None


def _create_replica(source, region, kms_key=None):
    account_id, name = source.account_id, source.name
    if region == source.region_name:
        raise MockValidationException(f"Cannot add replica in the table's own region {region}")
    group = _groups.setdefault((account_id, name), {source.region_name: "ACTIVE"})
    if region in group:
        raise MockValidationException(f"Failed to create a new replica of table with name: '{name}' because it already has a replica in {region}")
    target = _backend(account_id, region)
    if name in target.tables:
        raise MockValidationException(
            f"Failed to create a new replica of table with name: '{name}' because one or more replicas already existed as tables."
        )
    replica = target.create_table(
        name,
        schema=copy.deepcopy(source.schema),
        throughput={k: v for k, v in source.throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")},
        attr=copy.deepcopy(source.attr),
        global_indexes=[
            {"IndexName": i.name, "KeySchema": i.schema, "Projection": i.projection,
             "ProvisionedThroughput": {k: v for k, v in i.throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")}}
            for i in source.global_indexes
        ],
        indexes=[{"IndexName": i.name, "KeySchema": i.schema, "Projection": i.projection} for i in source.indexes],
        streams=copy.deepcopy(source.stream_specification) if source.stream_specification.get("StreamEnabled") else None,
        billing_mode=source.billing_mode,
        sse_specification=_replica_sse(source, kms_key),
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    replica.items = copy.deepcopy(source.items)  # the initial backfill
    group[region] = "CREATING"
    timeline.run("dynamodb.create_replica", lambda status: group.__setitem__(region, status) if region in group else None)


def _delete_replica(source, region):
    account_id, name = source.account_id, source.name
    group = _group(source)
    if not group or region not in group or region == source.region_name:
        raise MockValidationException(
            f"Replica specified in the Replica Update or Replica Delete action of the request was not found: {region}"
        )

    def step(status):
        if region not in group:
            return
        if status != "DELETED":
            group[region] = status
            return
        del group[region]
        _backend(account_id, region).tables.pop(name, None)
        if len(group) < 2:
            _groups.pop((account_id, name), None)

    timeline.run("dynamodb.delete_replica", step)


_original_update_table = ddb_responses.DynamoHandler.update_table


def _update_table_response(self):
    updates = self.body.get("ReplicaUpdates")
    if not updates:
        return _original_update_table(self)
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    with STATE.lock:
        for update in updates:
            if "Create" in update:
                _create_replica(table, update["Create"]["RegionName"], update["Create"].get("KMSMasterKeyId"))
            elif "Delete" in update:
                _delete_replica(table, update["Delete"]["RegionName"])
    others = set(self.body) - {"TableName", "ReplicaUpdates"}
    if others:
        return _original_update_table(self)
    return ddb_responses.DynamoResult(table.describe())


_original_delete_table = ddb_models.DynamoDBBackend.delete_table


def delete_table(self, name):
    table = _original_delete_table(self, name)
    with STATE.lock:
        group = _group(table)
        if group:
            group.pop(self.region_name, None)
            if len(group) < 2:
                _groups.pop((table.account_id, table.name), None)
    return table


# --- replication --------------------------------------------------------------------------

def _apply_replicated(account_id, region, name, hash_key, range_key, item, written_at):
    table = _backend(account_id, region).tables.get(name)
    key = (account_id, name, region, _key_repr(hash_key, range_key))
    if table is None or _last_write.get(key, 0) > written_at:
        return  # replica gone, or a later write in that region wins
    _last_write[key] = written_at
    old = table.get_item(hash_key, range_key)
    if item is None:
        table.delete_item(hash_key, range_key)
        return
    item = copy.deepcopy(item)
    if range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item
    if table.stream_shard is not None:
        table.stream_shard.add(old, item)


def _replicate(backend, table_name, hash_key, range_key):
    table = backend.get_table(table_name)
    pending = getattr(_tx, "pending", None)
    if pending is not None:
        pending.append((backend, table.name, hash_key, range_key))
        return
    with STATE.lock:
        group = _group(table)
        if not group or backend.region_name not in group:
            return
        now = time.time()
        _last_write[(table.account_id, table.name, backend.region_name, _key_repr(hash_key, range_key))] = now
        item = copy.deepcopy(table.get_item(hash_key, range_key))
        for region in group:
            if region == backend.region_name:
                continue
            args = (table.account_id, region, table.name, hash_key, range_key, item, now)
            delay = timeline.scaled(STATE.lag_for(region, "dynamodb", table.name))
            if delay:
                timeline.SCHEDULER.call_at(now + delay, lambda args=args: _apply_replicated(*args))
            else:
                _apply_replicated(*args)


_original_put_item = ddb_models.DynamoDBBackend.put_item
_original_update_item = ddb_models.DynamoDBBackend.update_item
_original_delete_item = ddb_models.DynamoDBBackend.delete_item
_original_transact = ddb_models.DynamoDBBackend.transact_write_items


def put_item(self, table_name, item_attrs, *args, **kwargs):
    result = _original_put_item(self, table_name, item_attrs, *args, **kwargs)
    table = self.get_table(table_name)
    range_key = DynamoType(item_attrs[table.range_key_attr]) if table.range_key_attr else None
    _replicate(self, table_name, DynamoType(item_attrs[table.hash_key_attr]), range_key)
    return result


def update_item(self, table_name, key, *args, **kwargs):
    result = _original_update_item(self, table_name, key, *args, **kwargs)
    _replicate(self, table_name, *self.get_keys_value(self.get_table(table_name), key))
    return result


def delete_item(self, table_name, key, *args, **kwargs):
    result = _original_delete_item(self, table_name, key, *args, **kwargs)
    _replicate(self, table_name, *self.get_keys_value(self.get_table(table_name), key))
    return result


def transact_write_items(self, transact_items):
    _tx.pending = []
    try:
        _original_transact(self, transact_items)
        pending = _tx.pending
    finally:
        _tx.pending = None
    for backend, table_name, hash_key, range_key in pending:
        _replicate(backend, table_name, hash_key, range_key)


def apply():
    Table.describe = describe
    ddb_responses.DynamoHandler.update_table = _update_table_response
    backend = ddb_models.DynamoDBBackend
    backend.delete_table = delete_table
    backend.put_item = put_item
    backend.update_item = update_item
    backend.delete_item = delete_item
    backend.transact_write_items = transact_write_items

