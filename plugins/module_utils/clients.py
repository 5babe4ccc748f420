# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regional AWS clients for multiregion.dr modules: one place for retries, timeouts,
region validation and telling "the region is unreachable" apart from an API error."""

import functools
import random
import threading
import time

try:
    import boto3
    import botocore
    import botocore.loaders
    from botocore.config import Config
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

# The one retry policy: the error codes that mean "throttled, ask again later" (the query-protocol codes
# AWSRetry knows itself, plus those of JSON-protocol services and S3), retried with jittered backoff.
THROTTLING_CODES = [
    "Throttling", "ThrottlingException", "RequestLimitExceeded", "RequestThrottled", "ThrottledException",
    "SlowDown", "ProvisionedThroughputExceededException", "TooManyRequestsException",
]
RETRY_ATTEMPTS = 10  # as many as amazon.aws AWSRetry.jittered_backoff makes by default

# Default retry decorator: throttling and transient 5xx, with jitter, bounded in time.
RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20, catch_extra_error_codes=THROTTLING_CODES)

# What an AWS call raises: modules catch these without importing botocore themselves.
AWS_ERRORS = ()
try:
    AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
except NameError:
    pass

CONNECTION_ERRORS = ()
try:
    CONNECTION_ERRORS = (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectionClosedError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
        botocore.exceptions.ConnectionError,
    )
except NameError:
    pass

UNAVAILABLE_CODES = ("ServiceUnavailable", "Unavailable", "InternalFailure", "InternalError", "503")

CONNECTION_ARGUMENT_SPEC = dict(
    connect_timeout=dict(type="int", default=5),
)

# The global services whose API (control plane) runs in one region, where their clients sign (AWS fault-isolation
# guidance): route53.ROUTE53_REGION, cloudfront.CLOUDFRONT_REGION, and what defer_unless_reachable probes.
CONTROL_PLANES = {"route53": "us-east-1", "cloudfront": "us-east-1"}
SERVICE_NAMES = {"route53": "Route 53", "cloudfront": "CloudFront"}
CONTROL_PLANE_ARGUMENT_SPEC = dict(
    when_unreachable=dict(type="str", choices=["fail", "defer"], default="fail"),
)


def error_code(exc):
    """The AWS error code of exc (a botocore ClientError), else None: the one way modules read error codes."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def on_error(call, answers):
    """call(), or answers[code] when AWS refuses it with one of those error codes (a lookup of something
    that may not exist: {"NotFoundException": None}); any other error is raised."""
    try:
        return call()
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in answers:
            return answers[error_code(exc)]
        raise


def error_text(exc):
    """'Code: Message' of an AWS error, else 'ExceptionType: text'."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


def is_throttled(exc):
    return error_code(exc) in THROTTLING_CODES


def throttle_retry(call, *args, **kwargs):
    """call(*args, **kwargs), retried on throttling only, with jittered backoff: for probe clients, which
    make one attempt each (a retry on a connection error would multiply the time a dead region costs)."""
    for attempt in range(RETRY_ATTEMPTS):
        try:
            return call(*args, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if not is_throttled(exc) or attempt == RETRY_ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0.05, min(2.0, 0.1 * 2 ** attempt)))
    return None  # not reached: the last attempt returns or raises


@functools.lru_cache(maxsize=None)
def known_regions():
    """AWS region names botocore knows of (all partitions), from its small partitions file: asking a session for
    each partition's regions loads a service model per partition (seconds of JSON in every module run)."""
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    # without the partitions' pseudo-regions (aws-global, aws-cn-global, ...)
    return sorted(region for partition in partitions for region in partition["regions"] if not region.endswith("-global"))


def check_region(module, value, option="region", allowed=None):
    """Fail early, naming the value and what is allowed, unless value is a region (of allowed)."""
    choices = list(allowed) if allowed else known_regions()
    if value not in choices:
        module.fail_json(msg=f"{option}={value!r} is not {'one of ' + ', '.join(choices) if allowed else 'an AWS region'}"
                         + ("" if allowed else f"; AWS regions are: {', '.join(choices)}"))
    return value


def check_non_negative(module, option, value):
    if value is not None and (not isinstance(value, (int, float)) or value < 0):
        module.fail_json(msg=f"{option}={value!r} must be a number of 0 or more")
    return value


def client(module, service, region, probe=False):
    """A client for service in region, with retries on throttling.

    probe=True is for a region that may be down (the old primary in an unplanned failover):
    one attempt and a short connect timeout, so a dead region costs seconds, not minutes; a call
    with aws_retry=True is still retried when throttled.
    """
    connect_timeout = module.params.get("connect_timeout") or 5
    if probe:
        # a refused or dropped connection fails at once; a region that accepts and hangs costs 2 x connect_timeout
        config = Config(connect_timeout=connect_timeout, read_timeout=2 * connect_timeout,
                        retries={"total_max_attempts": 1, "mode": "standard"})
        # aws_retry=True still retries a throttled call (AWSRetry retries error codes, never a dead connection)
        return RetryingBotoClientWrapper(_connect(module, service, region, config), RETRY)
    # botocore's standard mode retries every throttling code with jittered backoff, on every call
    # and paginator; 10 attempts make a 30% throttling rate harmless. AWSRetry (aws_retry=True)
    # stays available on top for codes botocore does not know.
    config = Config(connect_timeout=connect_timeout, read_timeout=60, retries={"total_max_attempts": RETRY_ATTEMPTS, "mode": "standard"})
    return RetryingBotoClientWrapper(_connect(module, service, region, config), RETRY)


_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()  # a boto3 session is not thread-safe; the clients it makes are


def _connect(module, service, region, config):
    """module.client(service, region=region, config=config) from one boto3 session per profile and process.

    amazon.aws makes a new session for every client, and each session loads botocore's endpoint data and the
    service's model again: about 0.1-0.3 s of CPU per client, most of a topology_info run (8 clients). The
    connection settings (credentials, endpoint_url, aws_config, certificates) are still the module's own."""
    _region, endpoint_url, settings = get_aws_connection_info(module)
    settings = dict(settings)
    profile = settings.pop("profile_name", None)
    extra = settings.pop("aws_config", None)
    if extra:  # the user's aws_config wins, as amazon.aws merges it
        config = config.merge(Config(**extra) if isinstance(extra, dict) else extra)
    try:
        with _SESSIONS_LOCK:
            if profile not in _SESSIONS:
                _SESSIONS[profile] = boto3.session.Session(profile_name=profile)
            return _SESSIONS[profile].client(service, region_name=region, endpoint_url=endpoint_url, config=config, **settings)
    except (ValueError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Couldn't connect to AWS ({service} in {region})")
    return None  # not reached: fail_json_aws exits


@RETRY
def paginate(client, operation, **kwargs):
    """All pages of operation as one result, retried as a whole on throttling.

    amazon.aws's retrying client wrapper does not retry paginators, so a throttled page
    would otherwise fail after botocore's own few attempts."""
    return client.get_paginator(operation).paginate(**kwargs).build_full_result()


def is_unreachable(exc):
    """True when exc means the region's endpoint did not answer (as in a regional outage)."""
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 and error_code(exc) in UNAVAILABLE_CODES
    return False


def region_reachable(module, region, service="sts"):
    """(reachable, detail): one cheap call with the probe client."""
    try:
        probe = client(module, "ec2" if service == "sts" else service, region, probe=True)
        if service == "sts":
            probe.describe_availability_zones()
        elif service == "rds":
            probe.describe_db_instances(MaxRecords=20)
        elif service == "route53":
            probe.list_hosted_zones(MaxItems="1")
        elif service == "cloudfront":
            probe.list_distributions(MaxItems="1")
        else:
            probe.describe_regions()
        return True, "reachable"
    except Exception as exc:  # pylint: disable=broad-except
        if is_unreachable(exc):
            return False, f"unreachable: {type(exc).__name__}"
        return True, f"answers with an error: {exc}"


def defer_unless_reachable(module, service, **result):
    """With when_unreachable=defer, exit the module (changed=false, deferred=true, and result) when the control plane
    of the global service (CONTROL_PLANES) does not answer one probe call; otherwise return."""
    if module.params.get("when_unreachable") != "defer":
        return
    up, detail = region_reachable(module, CONTROL_PLANES[service], service)
    if not up:
        module.exit_json(changed=False, deferred=True, **result,
                         msg=f"the {SERVICE_NAMES[service]} API in {CONTROL_PLANES[service]} does not answer ({detail}): nothing was changed; "
                             "run again once it answers to make the change")


class Stopwatch:
    def __init__(self):
        self.started = time.monotonic()

    @property
    def seconds(self):
        return round(time.monotonic() - self.started, 3)
