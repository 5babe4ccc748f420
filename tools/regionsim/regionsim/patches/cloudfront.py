"""CloudFront origin groups and distribution deployment (CloudFront Developer Guide: origin
failover; API reference: CreateDistribution, UpdateDistribution, DeleteDistribution).

moto 5.2.5 rejects a cache behavior whose TargetOriginId names an origin group (NoSuchOrigin),
never checks IfMatch against the ETag nor changes the ETag on update, deletes enabled
distributions, and leaves an updated distribution Deployed. Here:
- an origin group has exactly two members, both origins of the distribution, and failover
  status codes among 400, 403, 404, 416, 500, 502, 503, 504 (else InvalidArgument); the default
  cache behavior may target it when it allows only GET, HEAD (and OPTIONS);
- UpdateDistribution and DeleteDistribution need IfMatch equal to the current ETag
  (PreconditionFailed otherwise); an update gives a new ETag;
- a create or update passes InProgress -> Deployed (latency model key "cloudfront.deploy");
- DeleteDistribution of a distribution that is enabled or not yet Deployed fails with
  DistributionNotDisabled.
"""

from moto.cloudfront import models as cf_models
from moto.cloudfront.exceptions import CloudFrontException, InvalidIfMatchVersion, NoSuchDistribution
from moto.moto_api._internal import mock_random

from .. import timeline

FAILOVER_CODES = {400, 403, 404, 416, 500, 502, 503, 504}


class InvalidArgument(CloudFrontException):
    def __init__(self, message):
        super().__init__("InvalidArgument", message)


class PreconditionFailed(CloudFrontException):
    def __init__(self):
        super().__init__("PreconditionFailed", "The If-Match version is missing or not valid for the resource.")


class DistributionNotDisabled(CloudFrontException):
    def __init__(self):
        super().__init__("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")


def _check_origin_groups(config):
    origin_ids = {o["Id"] for o in (config.get("Origins") or {}).get("Items") or []}
    groups = (config.get("OriginGroups") or {}).get("Items") or []
    for group in groups:
        members = [m["OriginId"] for m in (group.get("Members") or {}).get("Items") or []]
        if len(members) != 2:
            raise InvalidArgument(f"Origin group {group.get('Id')} must have exactly two members (primary, secondary), not {len(members)}.")
        for member in members:
            if member not in origin_ids:
                raise InvalidArgument(f"Origin group {group.get('Id')} member {member} is not an origin of the distribution.")
        codes = ((group.get("FailoverCriteria") or {}).get("StatusCodes") or {}).get("Items") or []
        bad = [c for c in codes if int(c) not in FAILOVER_CODES]
        if not codes or bad:
            raise InvalidArgument(
                f"Origin group {group.get('Id')} failover status codes {bad or codes} are not valid: use {sorted(FAILOVER_CODES)}."
            )
        group["Members"]["Quantity"] = len(members)
        group["FailoverCriteria"]["StatusCodes"]["Quantity"] = len(codes)
    if groups:
        config["OriginGroups"]["Quantity"] = len(groups)
    return {g["Id"] for g in groups}, sorted(origin_ids)


_original_config_init = cf_models.DistributionConfig.__init__


def config_init(self, config):
    group_ids, origin_ids = _check_origin_groups(config)
    behavior = config.get("DefaultCacheBehavior") or {}
    target = behavior.get("TargetOriginId")
    for checked in [behavior] + list(((config.get("CacheBehaviors") or {}).get("Items")) or []):
        methods = set(((checked.get("AllowedMethods") or {}).get("Items")) or ["GET", "HEAD"])
        if checked.get("TargetOriginId") in group_ids and not methods <= {"GET", "HEAD", "OPTIONS"}:
            # CloudFront fails over only requests it may send twice
            raise InvalidArgument(
                f"The cache behavior's AllowedMethods {sorted(methods)} must be GET, HEAD (and OPTIONS) when it targets origin group "
                f"{checked.get('TargetOriginId')}."
            )
    if target in group_ids and origin_ids:
        # moto checks the target against origins only; let it, then put the group back
        behavior["TargetOriginId"] = origin_ids[0]
        _original_config_init(self, config)
        self.DefaultCacheBehavior.target_origin_id = target
    else:
        _original_config_init(self, config)


def _deploy(dist):
    timeline.run("cloudfront.deploy", lambda status: setattr(dist, "sim_status", status))


def status(self):
    return getattr(self, "sim_status", None) or self._status


_original_create = cf_models.CloudFrontBackend.create_distribution_with_tags
_original_update = cf_models.CloudFrontBackend.update_distribution


def create_distribution_with_tags(self, distribution_config, tags):
    result = _original_create(self, distribution_config, tags)
    _deploy(result[0])
    return result


def update_distribution(self, dist_config, _id, if_match):
    dist = self.distributions.get(_id)
    if dist is None:
        raise NoSuchDistribution
    if not if_match:
        raise InvalidIfMatchVersion
    if if_match != dist.etag:
        raise PreconditionFailed()
    _original_update(self, dist_config, _id, if_match)
    dist.etag = mock_random.get_random_hex(14).upper()
    _deploy(dist)
    return dist, dist.location, dist.etag


def delete_distribution(self, distribution_id, if_match):
    dist = self.distributions.get(distribution_id)
    if dist is None:
        raise NoSuchDistribution
    if not if_match:
        raise InvalidIfMatchVersion
    if if_match != dist.etag:
        raise PreconditionFailed()
    if dist.distribution_config.Enabled or dist.status != "Deployed":
        raise DistributionNotDisabled()
    del self.distributions[distribution_id]


def apply():
    cf_models.DistributionConfig.__init__ = config_init
    cf_models.Distribution.status = property(status, cf_models.Distribution.status.fset)
    backend = cf_models.CloudFrontBackend
    backend.create_distribution_with_tags = create_distribution_with_tags
    backend.update_distribution = update_distribution
    backend.delete_distribution = delete_distribution
