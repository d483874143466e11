"""HTTP plumbing: a threading HTTP/1.1 keep-alive server that writes each response
in one ``send`` with TCP_NODELAY (headers and body in separate packets stall every
keep-alive call ~40 ms on delayed ACK)."""

from __future__ import annotations

import socket
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .messages import Request, text_response

_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "XeroSandbox/1.0"
    timeout = 300  # idle keep-alive connections are closed after this many seconds

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, self.path, headers, body)
        limit = self.server.app.state.config.get("max_body_bytes", 0)
        if limit and length > limit:
            resp = text_response(413, "Request entity too large")  # [INFERRED] no verified Xero body
        else:
            try:
                resp = self.server.app.handle(req)
            except Exception as exc:  # a sandbox bug must not look like a hang
                resp = text_response(500, "Sandbox error: %r" % (exc,))
        try:
            if resp.delay:
                time.sleep(resp.delay)
            if resp.action == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._write(resp)
        finally:
            resp.done()  # the call is over only once it has answered (or dropped)

    def _write(self, resp):
        lines = ["HTTP/1.1 %d %s" % (resp.status, _REASONS.get(resp.status, "Unknown")),
                 "Date: " + formatdate(usegmt=True), "Server: " + self.server_version]
        lines.extend("%s: %s" % (k, v) for k, v in resp.headers)
        if resp.status not in (204, 304):
            lines.append("Content-Length: %d" % len(resp.body))
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = resp.body if (self.command != "HEAD" and resp.status not in (204, 304)) else b""
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves one SandboxApp; remembers open sockets so ``close_all`` can cut keep-alives."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    block_on_close = False

    def __init__(self, address, app):
        self.app = app
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, sock, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(sock)

    def close_all(self) -> None:
        """Shut down every open client connection."""
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
