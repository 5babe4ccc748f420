"""Reading a raw AWS request (region, service, action) and answering it with an error
in the service's own wire protocol, so that botocore parses it as AWS would send it."""

import functools
import json
import re
import struct
import uuid
from urllib.parse import parse_qs

CREDENTIAL_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
# Signing names that botocore service names differ from.
SIGNING_TO_SERVICE = {
    "monitoring": "cloudwatch",
    "elasticloadbalancing": "elbv2",
    "email": "ses",
    "execute-api": "apigateway",
}


def region_and_service(environ):
    """(region, service) from the SigV4 credential scope, or (None, None) if unsigned."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL_RE.search(auth)
    if not match:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        cred = (query.get("X-Amz-Credential") or [""])[0]
        match = CREDENTIAL_RE.search("Credential=" + cred)
    if not match:
        return None, None
    region, signing = match.groups()
    return region, SIGNING_TO_SERVICE.get(signing, signing)


def protocol_of(environ, body):
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return "cbor"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    content_type = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in content_type or b"Action=" in (body or b"")[:200] or "Action=" in environ.get("QUERY_STRING", ""):
        return "query"
    return "rest"


def action_of(environ, body, service):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return path.rstrip("/").rsplit("/", 1)[-1]
    for source in (environ.get("QUERY_STRING", ""), (body or b"").decode("utf-8", "replace")):
        params = parse_qs(source)
        if "Action" in params:
            return params["Action"][0]
    operation = rest_operation(service, environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""))
    # S3's copies share their upload's method and URI: the copy-source header tells them apart
    if operation in COPIES and not environ.get("HTTP_X_AMZ_COPY_SOURCE"):
        return COPIES[operation]
    return operation


COPIES = {"CopyObject": "PutObject", "UploadPartCopy": "UploadPart"}


@functools.lru_cache(maxsize=None)
def _rest_routes(service):
    """[(method, regex, query keys, operation)] from botocore's model, longest URI first."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # unknown service: log the raw method and path
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        # a greedy label ({Key+}: an S3 key with slashes) spans segments; the others are one segment each
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", re.escape(path.rstrip("/")))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        keys = tuple(k.split("=")[0] for k in query.split("&") if k)
        routes.append((http.get("method", "GET"), re.compile("^" + pattern + "/?$"), keys, name, len(path)))
    routes.sort(key=lambda r: (-len(r[2]), -r[4]))
    return routes


def rest_operation(service, method, path, query_string):
    query = parse_qs(query_string, keep_blank_values=True)
    for route_method, regex, keys, name, _ in _rest_routes(service or ""):
        if route_method == method and regex.match(path) and all(k in query for k in keys):
            return name
    return f"{method} {path}"


# --- error bodies ---------------------------------------------------------------------

def _cbor_head(major, length):
    if length < 24:
        return bytes([(major << 5) | length])
    if length < 256:
        return bytes([(major << 5) | 24, length])
    if length < 65536:
        return bytes([(major << 5) | 25]) + struct.pack(">H", length)
    return bytes([(major << 5) | 26]) + struct.pack(">I", length)


def cbor_map(mapping):
    """The little CBOR botocore's rpc-v2-cbor parser needs: a map of text to text."""
    out = _cbor_head(5, len(mapping))
    for key, value in mapping.items():
        for text in (key, value):
            data = str(text).encode()
            out += _cbor_head(3, len(data)) + data
    return out


def error_response(environ, body, code, message, status):
    """(status line, headers, body) for an AWS error in the request's protocol."""
    request_id = str(uuid.uuid4())
    proto = protocol_of(environ, body)
    _, service = region_and_service(environ)
    headers = [("x-amzn-RequestId", request_id)]
    if proto == "cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        payload = cbor_map({"__type": code, "message": message})
    elif proto == "json":
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        if environ.get("HTTP_X_AMZN_QUERY_MODE") == "true":
            # awsQueryCompatible services (CloudWatch, SQS) carry the query-protocol code here
            headers.append(("x-amzn-query-error", f"{code};Sender"))
        payload = json.dumps({"__type": code, "message": message}).encode()
    elif service == "ec2":
        headers.append(("Content-Type", "text/xml"))
        payload = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    elif service == "s3":
        headers.append(("Content-Type", "application/xml"))
        payload = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
    elif proto == "rest" and service not in ("route53", "cloudfront"):
        # rest-json services (backup, lambda, ...)
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        payload = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    else:
        # query services and route53/cloudfront rest-xml
        headers.append(("Content-Type", "text/xml"))
        payload = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    headers.append(("Content-Length", str(len(payload))))
    reasons = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}
    return f"{status} {reasons.get(status, 'Error')}", headers, payload


def throttle_code(environ, body):
    """The throttling error code the service really sends."""
    proto = protocol_of(environ, body)
    _, service = region_and_service(environ)
    if service == "ec2":
        return "RequestLimitExceeded", 503
    if service == "s3":
        return "SlowDown", 503
    if proto == "cbor" or environ.get("HTTP_X_AMZN_QUERY_MODE") == "true":
        return "Throttling", 400  # CloudWatch keeps its query-protocol error codes
    if proto in ("json", "rest") and service not in ("route53", "cloudfront"):
        return "ThrottlingException", 400
    return "Throttling", 400
