"""A TCP proxy in front of a server, for breaking the network on purpose (``Proxy``)."""

import socket
import threading


class Proxy:
    """A TCP proxy in front of a server, for breaking the network on purpose.

    ``cut()`` drops every open connection; ``down()`` refuses new ones until ``up()``;
    ``hang()`` keeps the open connections but stops carrying their bytes, like a network that
    went silent without the browser noticing.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.refusing = False
        self.pairs = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            pair = {"sockets": (client, upstream), "hung": False}
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, upstream, client), daemon=True).start()

    def _pump(self, pair, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not pair["hung"]:
                    sink.sendall(data)
        except OSError:
            pass
        if not pair["hung"]:
            for sock in pair["sockets"]:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair["sockets"]:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass

    def hang(self):
        with self.lock:
            for pair in self.pairs:
                pair["hung"] = True

    def down(self):
        self.refusing = True

    def up(self):
        self.refusing = False

    def close(self):
        self.listener.close()
        self.cut()
