"""S3 replication configuration read back as it was put (S3 API reference: GetBucketReplication).

moto 5.2.5 answers GetBucketReplication with DeleteMarkerReplication Disabled and Filter
{"Prefix": ""} whatever was put, and drops SourceSelectionCriteria and
ExistingObjectReplication, so a replication of KMS-encrypted objects (which AWS requires
SourceSelectionCriteria.SseKmsEncryptedObjects for) never reads back as configured. Here every
rule comes back with the fields it was put with. Objects are still not copied between buckets.
"""

from moto.core.responses import ActionResult
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import ReplicationConfigurationNotFoundError

OPTIONAL = ("SourceSelectionCriteria", "ExistingObjectReplication")


def _rule(rule):
    out = {
        "ID": rule["ID"],
        "Priority": rule["Priority"],
        "Status": rule["Status"],
        "Filter": rule.get("Filter") or ({"Prefix": rule["Prefix"]} if rule.get("Prefix") is not None else {}),
        "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
        "Destination": rule["Destination"],
    }
    out.update({k: rule[k] for k in OPTIONAL if rule.get(k)})
    return out


def get_bucket_replication(self):
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    return self.serialized(ActionResult({
        "ReplicationConfiguration": {"Role": replication["Role"], "Rules": [_rule(r) for r in replication["Rule"]]},
    }))


def apply():
    s3_responses.S3Response.get_bucket_replication = get_bucket_replication
