"""Fault injection helpers: a TCP proxy in front of PostgreSQL that can swallow the answer to a COMMIT, or refuse
new connections for a while (the server "down"), and a SQLAlchemy event that does the same on SQLite."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

FIGURES: dict[str, str] = {}
"""What the fault-injection suite measured, by scenario: printed at the end of the run (conftest)."""

COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # the simple-query message psycopg sends for a COMMIT


class PgProxy:
    """Relays 127.0.0.1:<port> to the PostgreSQL server. ``drop_next_commit_reply()`` arms it: the next COMMIT
    goes to the server, which commits, but its answer never comes back (the client's connection is cut)."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.dropped = 0
        self.refusing = threading.Event()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def drop_next_commit_reply(self) -> None:
        self.armed.set()

    def refuse_connections(self, refuse: bool) -> None:
        """While set, new connections are cut at once (the server seems down)."""
        (self.refusing.set if refuse else self.refusing.clear)()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            cut = threading.Event()
            threading.Thread(target=self._pipe, args=(client, server, cut, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, cut, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, cut: threading.Event, from_client: bool) -> None:
        try:
            while not cut.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if from_client and COMMIT in data and self.armed.is_set():
                    self.armed.clear()
                    self.dropped += 1
                    cut.set()  # nothing more goes back to the client…
                    dst.sendall(data)  # …while the server gets the COMMIT and commits
                    time.sleep(0.3)
                    break
                if cut.is_set():
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


@contextlib.contextmanager
def sqlite_commit_reply_lost(db) -> Iterator[list[int]]:
    """SQLite has no network: the next COMMIT of ``db``'s write sessions succeeds, then an OperationalError is
    raised as if its answer had been lost. Yields a list that receives 1 per injected fault."""
    fired: list[int] = []

    def lost(session) -> None:
        if not fired:
            fired.append(1)
            raise OperationalError("COMMIT", {}, Exception("connection lost after COMMIT (injected)"))

    event.listen(db.write_factory, "after_commit", lost)
    try:
        yield fired
    finally:
        event.remove(db.write_factory, "after_commit", lost)
