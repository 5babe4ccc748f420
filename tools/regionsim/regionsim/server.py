"""Build and serve the simulator: moto's server app, patched, behind RegionSimMiddleware."""

import argparse
import logging
import sys
import threading

from . import DEFAULT_HOST, DEFAULT_PORT


def build_app():
    from moto.moto_api._internal.models import moto_api_backend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import patches
    from .middleware import RegionSimMiddleware

    patches.apply_all()

    def reset_backends():
        moto_api_backend.reset()
        patches.reset_all()

    return RegionSimMiddleware(DomainDispatcherApplication(create_backend_app), reset_backends)


def make_server(host=DEFAULT_HOST, port=DEFAULT_PORT):
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as werkzeug_make_server

    # one line per request drowns test and CI output; `regionsim log` keeps the requests
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return werkzeug_make_server(host, port, build_app(), threaded=True, request_handler=MotoRequestHandler)


class ThreadedRegionSim:
    """The simulator in a thread of the calling process (for tests): start(), endpoint, stop()."""

    def __init__(self, host=DEFAULT_HOST, port=0):
        self._server = make_server(host, port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m regionsim.server")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port)
    print(f"regionsim listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
