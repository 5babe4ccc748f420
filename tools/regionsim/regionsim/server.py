"""Build and serve the simulator: moto's server app, patched, behind RegionSimMiddleware."""

import argparse
import logging
import os
import signal
import sys
import threading

from . import DEFAULT_HOST, DEFAULT_PORT, security


def build_app(data_plane=False, data_dir=None):
    """data_plane: real MariaDB/Redis servers behind RDS and ElastiCache (dataplane/), data under data_dir."""
    from moto.moto_api._internal.models import moto_api_backend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import dataplane, patches
    from .middleware import RegionSimMiddleware

    patches.apply_all()
    if data_plane:
        dataplane.enable(data_dir)

    def reset_backends():
        moto_api_backend.reset()
        patches.reset_all()
        dataplane.reset()

    return RegionSimMiddleware(DomainDispatcherApplication(create_backend_app), reset_backends)


def make_server(host=DEFAULT_HOST, port=DEFAULT_PORT, allow_remote=False, require_token=False, state_dir=None, snapshot_dirs=(),
                **app_options):
    """A werkzeug server (not started); its control API guarded (security.py): server.regionsim_token is the
    token, also written to state_dir when given; snapshot files only in state_dir and snapshot_dirs.
    app_options go to build_app (data_plane, data_dir)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as werkzeug_make_server

    security.check_listen_host(host, allow_remote)
    token = security.new_token()
    app = security.ControlGuard(build_app(**app_options), token, require_token or not security.is_loopback(host), (state_dir, *snapshot_dirs))
    # one line per request drowns test and CI output; `regionsim log` keeps the requests
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = werkzeug_make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    server.regionsim_token = token
    if state_dir:
        security.write_token(state_dir, server.server_address[1], token)
    return server


class ThreadedRegionSim:
    """The simulator in a thread of the calling process (for tests): start(), endpoint, stop().
    The data plane is off unless asked for (the control-plane tests stay fast); dataplane.enable() turns it on later."""

    def __init__(self, host=DEFAULT_HOST, port=0, snapshot_dir=None, data_plane=False, data_dir=None, **options):
        self._server = make_server(host, port, snapshot_dirs=(snapshot_dir,), data_plane=data_plane, data_dir=data_dir, **options)
        # Control(endpoint) in this process finds the token without a file
        security.register_local(self._server.server_address[1], self._server.regionsim_token)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        from . import dataplane

        self._server.shutdown()
        self._thread.join()
        security.forget_local(self._server.server_address[1])
        dataplane.disable()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m regionsim.server")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--state-dir", default=str(security.default_state_dir()), help="where the token file goes; snapshot files may be here")
    parser.add_argument("--snapshot-dir", action="append", default=[d for d in [os.environ.get("REGIONSIM_SNAPSHOT_DIR")] if d],
                        help="another folder snapshot files may be read from and written to (repeatable)")
    parser.add_argument("--allow-remote", action="store_true", default=os.environ.get("REGIONSIM_ALLOW_REMOTE") == "1",
                        help="listen on a non-loopback address (the token is then required)")
    parser.add_argument("--require-token", action="store_true", default=os.environ.get("REGIONSIM_REQUIRE_TOKEN") == "1",
                        help="require the token on loopback too")
    parser.add_argument("--data-plane", action=argparse.BooleanOptionalAction, default=None,
                        help="real MariaDB/Redis servers behind RDS/ElastiCache (default: $REGIONSIM_DATA_PLANE, on)")
    parser.add_argument("--data-dir", help="the data plane's folder (default: a temporary one)")
    args = parser.parse_args(argv)
    from . import dataplane

    try:
        server = make_server(args.host, args.port, args.allow_remote, args.require_token, args.state_dir, args.snapshot_dir,
                             data_plane=dataplane.wanted(args.data_plane), data_dir=args.data_dir)
    except ValueError as exc:
        print(f"regionsim: {exc}", file=sys.stderr)
        return 2
    # `regionsim stop` sends SIGTERM: end through the finally below, so the servers die with the simulator
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"regionsim listening on http://{args.host}:{args.port}"
          f"{' with the data plane' if dataplane.enabled() else ''}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        dataplane.disable()
    return 0


if __name__ == "__main__":
    sys.exit(main())
