"""Who may drive the simulator: the control API (/_regionsim/, and moto's own /moto-api/) answers only
requests a local user meant to send.

- The server listens on loopback unless --allow-remote (REGIONSIM_ALLOW_REMOTE=1) says otherwise.
- A web page must not reach it: a control request whose Host is not a loopback name (DNS rebinding) or
  that carries a foreign Origin (a cross-site form or fetch) is refused.
- A token made at start is written 0600 to the state dir (regionsim-<port>.token); Control and the CLI send
  it (X-Regionsim-Token). It is required when the server listens beyond loopback, or with --require-token.
- Snapshot files are read and written only inside the state dir or a snapshot dir named at start.
"""

import hmac
import io
import ipaddress
import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_HEADER = "X-Regionsim-Token"
CONTROL_PATHS = ("/_regionsim/", "/moto-api/")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}

# tokens of the simulators running in this process (ThreadedRegionSim), by port: Control finds them there
_LOCAL_TOKENS = {}


def default_state_dir():
    base = os.environ.get("REGIONSIM_STATE_DIR")
    if not base:
        base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "regionsim"
    return Path(base)


def is_loopback(host):
    host = (host or "").strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen_host(host, allow_remote):
    if not is_loopback(host) and not allow_remote:
        raise ValueError(
            f"refusing to listen on {host!r}: the simulator's control API resets, snapshots and takes regions down; "
            "it listens on loopback (127.0.0.1, ::1, localhost) unless you opt in with --allow-remote "
            "(REGIONSIM_ALLOW_REMOTE=1), which also requires the token"
        )


def token_file(state_dir, port):
    return Path(state_dir) / f"regionsim-{port}.token"


def write_token(state_dir, port, token):
    path = token_file(state_dir, port)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_CREAT
    return path


def register_local(port, token):
    _LOCAL_TOKENS[int(port)] = token


def forget_local(port):
    _LOCAL_TOKENS.pop(int(port), None)


def token_for(endpoint, state_dir=None):
    """The token of the simulator at endpoint: $REGIONSIM_TOKEN, one running in this process, or its token file."""
    if os.environ.get("REGIONSIM_TOKEN"):
        return os.environ["REGIONSIM_TOKEN"]
    port = urlsplit(endpoint).port
    if port in _LOCAL_TOKENS:
        return _LOCAL_TOKENS[port]
    try:
        return token_file(state_dir or default_state_dir(), port).read_text().strip() or None
    except OSError:
        return None


def confine(path, allowed_dirs):
    """The real path of a snapshot file, refused (ValueError) unless inside one of allowed_dirs."""
    real = os.path.realpath(path)
    for folder in allowed_dirs:
        root = os.path.realpath(folder)
        if os.path.commonpath([real, root]) == root:
            return real
    allowed = ", ".join(str(folder) for folder in allowed_dirs) or "none (start the simulator with a state dir or --snapshot-dir)"
    raise ValueError(f"snapshot file {path} is outside the folders the simulator may read and write: {allowed}")


def _refuse(start_response, status, message):
    data = json.dumps({"error": message}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class ControlGuard:
    """WSGI wrapper: the checks above on control requests; AWS requests pass through untouched."""

    def __init__(self, app, token, require_token=False, snapshot_dirs=()):
        self.app = app
        self.token = token
        self.require_token = require_token
        self.snapshot_dirs = [Path(folder) for folder in snapshot_dirs if folder]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PATHS):
            return self.app(environ, start_response)
        refusal = self.refusal(environ)
        if refusal:
            return _refuse(start_response, "403 Forbidden", refusal)
        if path.startswith("/_regionsim/snapshots"):
            try:
                self.confine_snapshot_path(environ)
            except ValueError as exc:
                return _refuse(start_response, "400 Bad Request", str(exc))
        return self.app(environ, start_response)

    def refusal(self, environ):
        sent = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"), "")
        if sent and not hmac.compare_digest(sent, self.token):
            return "wrong regionsim token (see regionsim-<port>.token in the state dir)"
        if self.require_token and not sent:
            return f"this simulator requires its token in the {TOKEN_HEADER} header (regionsim-<port>.token in its state dir)"
        if not sent:
            host = urlsplit("//" + environ.get("HTTP_HOST", "")).hostname
            if not is_loopback(host):
                return f"control requests must be addressed to a loopback host, not {host!r} (DNS rebinding?)"
        origin = environ.get("HTTP_ORIGIN")
        if origin and not is_loopback(urlsplit(origin).hostname):
            return f"control requests from a web page ({origin}) are refused"
        return None

    def confine_snapshot_path(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return
        if isinstance(args, dict) and args.get("path"):
            confine(args["path"], self.snapshot_dirs)


def new_token():
    return secrets.token_urlsafe(32)
