"""The control API answers only a local user: loopback unless opted in, no foreign Host or Origin, the token
when required, snapshot files only in the allowed folders, and a snapshot file is data, never code."""

import json
import os
import pickle
import stat
import urllib.error
import urllib.request

import pytest

from regionsim import security, snapshot
from regionsim.control import Control, SimError
from regionsim.server import ThreadedRegionSim, make_server


def raw(endpoint, path="/_regionsim/status", method="GET", headers=None, body=None):
    """(HTTP status, parsed answer) of a control request sent as a browser or a stranger would."""
    request = urllib.request.Request(endpoint + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_listens_on_loopback_unless_opted_in_and_then_requires_the_token():
    with pytest.raises(ValueError, match=r"refusing to listen on '0.0.0.0'.*--allow-remote"):
        make_server("0.0.0.0", 0)
    remote = ThreadedRegionSim("0.0.0.0", allow_remote=True).start()
    try:
        endpoint = remote.endpoint.replace("0.0.0.0", "127.0.0.1")
        code, answer = raw(endpoint)
        assert code == 403 and "requires its token" in answer["error"]
        assert Control(endpoint).status()["regions"]  # in-process: Control finds the token
    finally:
        remote.stop()


def test_foreign_host_origin_or_token_is_refused(sim):
    code, answer = raw(sim.endpoint, "/_regionsim/reset", "POST", {"Host": "attacker.example:4566"}, b"{}")
    assert code == 403 and "loopback host, not 'attacker.example'" in answer["error"]
    code, _ = raw(sim.endpoint, "/moto-api/data.json", headers={"Host": "attacker.example"})
    assert code == 403  # moto's own API (every resource, secrets included) is guarded too
    code, answer = raw(sim.endpoint, "/_regionsim/outage", "POST", {"Origin": "https://attacker.example"},
                       json.dumps({"region": "us-east-1"}).encode())
    assert code == 403 and "from a web page (https://attacker.example)" in answer["error"]
    code, answer = raw(sim.endpoint, headers={security.TOKEN_HEADER: "guessed"})
    assert code == 403 and "wrong regionsim token" in answer["error"]
    assert sim.status()["outages"] == {}
    assert raw(sim.endpoint)[0] == 200  # a local tool on loopback (drill.yml's uri, the benchmarks)


def test_token_file_is_private_and_found_by_control(tmp_path):
    guarded = ThreadedRegionSim(require_token=True, state_dir=tmp_path).start()
    try:
        port = guarded.endpoint.rsplit(":", 1)[1]
        token_file = tmp_path / f"regionsim-{port}.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        code, answer = raw(guarded.endpoint)
        assert code == 403 and "requires its token" in answer["error"]
        assert Control(guarded.endpoint, token=token_file.read_text()).status()["regions"]
        security.forget_local(port)  # as another process would: from the file in the state dir
        assert Control(guarded.endpoint, state_dir=tmp_path).status()["regions"]
    finally:
        guarded.stop()


def test_snapshot_files_stay_in_the_allowed_folders(sim, tmp_path):
    for path in (tmp_path / "elsewhere.pickle", "/etc/regionsim.pickle"):
        with pytest.raises(SimError, match=r"snapshot file .* is outside the folders the simulator may read and write"):
            sim.save_snapshot("outside", path)
        with pytest.raises(SimError, match="is outside the folders"):
            sim.load_snapshot("outside", path)
    allowed = tmp_path / "snapshots"
    confined = ThreadedRegionSim(snapshot_dir=allowed).start()
    try:
        control = Control(confined.endpoint)
        control.save_snapshot("inside", allowed / "inside.pickle")
        assert (allowed / "inside.pickle").exists()
        with pytest.raises(SimError, match="is outside the folders"):
            control.save_snapshot("escape", allowed / ".." / "escape.pickle")
        assert not (tmp_path / "escape.pickle").exists()
        control.delete_snapshot("inside")
    finally:
        confined.stop()


class _Reach:
    """getattr(<an allowed moto class>, '__init__') on the way to its globals"""

    def __reduce__(self):
        from moto.core.base_backend import BaseBackend

        return getattr, (BaseBackend, "__init__")


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_crafted_snapshot_file_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    crafted = tmp_path / "crafted.pickle"
    crafted.write_bytes(pickle.dumps({"backends": {}, "kept": _Exploit(marker)}))
    with pytest.raises(ValueError, match=r"(posix|os)\.system is not something a regionsim snapshot holds"):
        snapshot.load("crafted", lambda: None, str(crafted))
    assert not marker.exists()
    crafted.write_bytes(pickle.dumps({"backends": {}, "kept": _Reach()}))
    with pytest.raises(ValueError, match=r"getattr\(BaseBackend, '__init__'\) is not a method of a moto object"):
        snapshot.load("crafted", lambda: None, str(crafted))
    # a persistent reference must name a moto BackendDict, not whatever a moto module imported
    crafted.write_bytes(b"\x80\x04(\x8c\x0fmoto.core.utils\x94\x8c\x02os\x94t\x94Q.")
    with pytest.raises(ValueError, match="is not a moto BackendDict"):
        snapshot.load("crafted", lambda: None, str(crafted))
