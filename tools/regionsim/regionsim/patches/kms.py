"""KMS multi-Region keys as AWS has them (KMS Developer Guide, multi-region-keys-overview).

moto 5.2.5 gets them wrong in four ways: ReplicateKey shallow-copies the primary, so the
replica shares its aliases, grants and MultiRegionConfiguration (ReplicaKeyMetadata says
PRIMARY, an alias made in one region "exists" in the other); the ciphertext header keeps
36 characters of the key id, so any mrk- ciphertext (40 characters) fails with
AccessDeniedException; and UpdatePrimaryRegion is missing (500).

Here each region holds its own key object with the same key id and key material. The
MultiRegionConfiguration of every member is rewritten from the members themselves
(PRIMARY in the primary's region, REPLICA elsewhere), so no side table is needed.
"""

import json
import re
import struct
from copy import copy

from moto.core.exceptions import JsonRESTError
from moto.kms import models as kms_models
from moto.kms import responses as kms_responses
from moto.kms import utils as kms_utils
from moto.kms.exceptions import AlreadyExistsException, NotFoundException, ValidationException
from moto.utilities.utils import get_partition

_KEY_ID_RE = re.compile(r"^(mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class UnsupportedOperationException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("UnsupportedOperationException", message)


# --- ciphertext blobs: a length-prefixed key id, so mrk- ids (40 chars) survive ----------

def _serialize_ciphertext_blob(ciphertext):
    key_id = ciphertext.key_id.encode("utf-8")
    return struct.pack(">B", len(key_id)) + key_id + ciphertext.iv + ciphertext.tag + ciphertext.ciphertext


def _deserialize_ciphertext_blob(ciphertext_blob):  # moto passes it by this keyword
    blob = ciphertext_blob
    length = blob[0]
    key_id = blob[1 : 1 + length].decode("utf-8")
    if not _KEY_ID_RE.match(key_id):
        raise ValueError("not a ciphertext of this simulator")
    rest = blob[1 + length :]
    iv, tag = rest[: kms_utils.IV_LEN], rest[kms_utils.IV_LEN : kms_utils.IV_LEN + kms_utils.TAG_LEN]
    body = rest[kms_utils.IV_LEN + kms_utils.TAG_LEN :]
    if len(iv) != kms_utils.IV_LEN or len(tag) != kms_utils.TAG_LEN:
        raise ValueError("truncated ciphertext")
    return kms_utils.Ciphertext(key_id=key_id, iv=iv, ciphertext=body, tag=tag)


# --- multi-Region key families ----------------------------------------------------------

def _key_arn(region, account_id, key_id):
    return f"arn:{get_partition(region)}:kms:{region}:{account_id}:key/{key_id}"


def _members(account_id, key_id):
    """{region: Key} of every region that holds this multi-Region key."""
    return {
        region: backend.keys[key_id]
        for region, backend in list(kms_models.kms_backends[account_id].items())
        if key_id in backend.keys
    }


def _sync(account_id, key_id, primary_region):
    members = _members(account_id, key_id)
    primary = {"Arn": members[primary_region].arn, "Region": primary_region}
    replicas = [{"Arn": key.arn, "Region": region} for region, key in sorted(members.items()) if region != primary_region]
    for region, key in members.items():
        key.multi_region_configuration = {
            "MultiRegionKeyType": "PRIMARY" if region == primary_region else "REPLICA",
            "PrimaryKey": dict(primary),
            "ReplicaKeys": [dict(r) for r in replicas],
        }


def _primary_key(backend, key_id):
    """The key in this region, which must be the primary of a multi-Region key."""
    key = backend.keys[backend.any_id_to_key_id(key_id)]
    if not key.multi_region:
        raise UnsupportedOperationException(f"{key.arn} is not a multi-Region key.")
    if key.multi_region_configuration["PrimaryKey"]["Region"] != backend.region_name:
        raise UnsupportedOperationException(f"{key.arn} is not a multi-Region primary key.")
    return key


def replicate_key(self, key_id, replica_region, description=None, policy=None, tags=None):
    primary = _primary_key(self, key_id)
    target = kms_models.kms_backends[self.account_id][replica_region]
    if primary.id in target.keys:
        raise AlreadyExistsException(
            f"Key '{_key_arn(replica_region, self.account_id, primary.id)}' already exists"
        )
    replica = copy(primary)  # shares the immutable key material; the mutable parts are new below
    replica.region = replica_region
    replica.arn = _key_arn(replica_region, self.account_id, primary.id)
    replica.description = description or ""
    replica.policy = policy or replica.generate_default_policy()
    replica.aliases = {}
    replica.grants = {}
    replica.rotations = []
    replica.key_state = "Enabled"
    replica.enabled = True
    replica.deletion_date = None
    target.keys[replica.id] = replica
    if tags:
        target.tagger.tag_resource(replica.id, tags)
    _sync(self.account_id, primary.id, self.region_name)
    return replica


def update_primary_region(self, key_id, primary_region):
    key = _primary_key(self, key_id)
    if primary_region == self.region_name:
        raise ValidationException(f"{key.arn} is already the primary key in {primary_region}.")
    if primary_region not in _members(self.account_id, key.id):
        raise NotFoundException(
            f"Key '{_key_arn(primary_region, self.account_id, key.id)}' does not exist"
        )
    _sync(self.account_id, key.id, primary_region)


def describe_key(self, key_id):
    # moto's version rewrites MultiRegionKeyType on describe; the configuration is kept right by _sync.
    return self.keys[self.any_id_to_key_id(key_id)]


# --- responses ----------------------------------------------------------------------------

def _replicate_key_response(self):
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    replica = self.kms_backend.replicate_key(
        key_id,
        self._get_param("ReplicaRegion"),
        description=self._get_param("Description"),
        policy=self._get_param("Policy"),
        tags=self._get_param("Tags"),
    )
    return json.dumps({"ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"], "ReplicaPolicy": replica.policy})


def _update_primary_region_response(self):
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    self.kms_backend.update_primary_region(key_id, self._get_param("PrimaryRegion"))
    return "{}"


def _schedule_key_deletion_response(self):
    # AWS takes a key id or ARN and answers with the key ARN, its new state and the window;
    # moto takes only an id (KeyError on an ARN) and gives only id and date.
    key = self.kms_backend.describe_key(self._get_param("KeyId"))
    window = self._get_param("PendingWindowInDays") or 30
    if not 7 <= int(window) <= 30:
        raise ValidationException(f"PendingWindowInDays {window} must be between 7 and 30")
    deletion_date = self.kms_backend.schedule_key_deletion(key.id, int(window))
    return json.dumps({"KeyId": key.arn, "DeletionDate": deletion_date, "KeyState": key.key_state, "PendingWindowInDays": int(window)})


def apply():
    kms_responses.KmsResponse.schedule_key_deletion = _schedule_key_deletion_response
    kms_utils._serialize_ciphertext_blob = _serialize_ciphertext_blob
    kms_utils._deserialize_ciphertext_blob = _deserialize_ciphertext_blob
    kms_models.KmsBackend.replicate_key = replicate_key
    kms_models.KmsBackend.update_primary_region = update_primary_region
    kms_models.KmsBackend.describe_key = describe_key
    kms_responses.KmsResponse.replicate_key = _replicate_key_response
    kms_responses.KmsResponse.update_primary_region = _update_primary_region_response
