"""Build and serve the simulator: moto's server app, patched, behind RegionSimMiddleware."""

import argparse
import logging
import signal
import sys
import threading

from . import DEFAULT_HOST, DEFAULT_PORT


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


def make_server(host=DEFAULT_HOST, port=DEFAULT_PORT, **app_options):
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as werkzeug_make_server

    # one line per request drowns test and CI output; `regionsim log` keeps the requests
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return werkzeug_make_server(host, port, build_app(**app_options), threaded=True, request_handler=MotoRequestHandler)


class ThreadedRegionSim:
    """The simulator in a thread of the calling process (for tests): start(), endpoint, stop().
    The data plane is off unless asked for (the control-plane tests stay fast); dataplane.enable() turns it on later."""

    def __init__(self, host=DEFAULT_HOST, port=0, data_plane=False, data_dir=None):
        self._server = make_server(host, port, data_plane=data_plane, data_dir=data_dir)
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
        dataplane.disable()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m regionsim.server")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--data-plane", action=argparse.BooleanOptionalAction, default=None,
                        help="real MariaDB/Redis servers behind RDS/ElastiCache (default: $REGIONSIM_DATA_PLANE, on)")
    parser.add_argument("--data-dir", help="the data plane's folder (default: a temporary one)")
    args = parser.parse_args(argv)
    from . import dataplane

    server = make_server(args.host, args.port, data_plane=dataplane.wanted(args.data_plane), data_dir=args.data_dir)
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
