"""TCP proxies on loopback that make a regional outage real for the data plane.

Each proxy forwards to one server and belongs to one or more regions: a client's proxy to the
region of the server, a replication link's proxy to the source's and the replica's regions. While
any of its regions is out (STATE.is_down), it refuses new connections (accept, then reset) and
resets the ones it carries, so clients and replication threads see the server as unreachable.
"""

import select
import socket
import struct
import threading

from ..state import STATE

POLL = 0.1  # how soon an idle connection notices an outage (s)


def _reset(sock):
    # SO_LINGER 0: close with a RST, as an unreachable host's firewall would answer
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Proxy:
    def __init__(self, target_port, regions):
        self.target_port = target_port
        self.regions = tuple(regions)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self._connections = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name=f"regionsim-proxy-{self.port}", daemon=True).start()

    def down(self):
        return any(STATE.is_down(region) for region in self.regions)

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client, upstream):
        pair = (client, upstream)
        with self._lock:
            self._connections.add(pair)
        other = {client: upstream, upstream: client}
        try:
            for sock in pair:
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self.closed and not self.down():
                readable, _, _ = select.select(pair, [], [], POLL)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data or self.down():
                        return
                    other[sock].sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(pair)
            for sock in pair:
                _reset(sock)

    def close(self):
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of its thread
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass
