"""The simulator behind a real HTTP server on loopback (stdlib ThreadingHTTPServer).

``serve_in_thread(sim, port=0)`` starts it in a background thread for tests and returns a
``SimulatorServer`` (``base_url``, ``root_url``, ``simulator``, ``stop()``);
``serve_forever(sim, host, port)`` runs it in the foreground until SIGINT/SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from orders_app.clopos.simulator.api import PREFIX, Api
from orders_app.clopos.simulator.brand import Simulator
from orders_app.clopos.simulator.responses import Response, error

logger = logging.getLogger("orders_app.clopos.simulator")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a requests.Session reuses one connection
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
    # the body back until the client's delayed ACK, on every keep-alive response.
    disable_nagle_algorithm = True
    server_version = "clopos-simulator"
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    server: _HTTPServer

    def _dispatch(self) -> None:
        if self.server.stopping.is_set():  # stopped: a kept-alive connection dies like the host
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            response = self.server.api.handle(
                self.command,
                self.path,
                {k: v for k, v in self.headers.items()},
                body,
                client=self.client_address[0],
            )
        except Exception:  # a simulator bug must look like a server error, not a hang
            logger.exception("simulator error on %s %s", self.command, self.path)
            response = error(500, "simulator_error", "The simulator failed; see its log")
            self.close_connection = True
        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timeout)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: Api):
        self.api = api
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class SimulatorServer:
    """A running simulator. ``base_url`` is what a Clopos client uses as CLOPOS_BASE_URL."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0):
        self.simulator = simulator
        self.httpd = _HTTPServer((host, port), Api(simulator))
        self.host = host
        self.port: int = self.httpd.server_address[1]
        self.root_url = f"http://{host}:{self.port}"
        self.base_url = f"{self.root_url}{PREFIX}"
        self.sim_url = f"{self.root_url}/_sim"
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"clopos-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop accepting requests, cut short any "slow" answer, and close the socket."""
        self.httpd.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0):
    """Start ``simulator`` on host:port (0 = a free port) in a daemon thread."""
    return SimulatorServer(simulator, host, port).start()


def serve_forever(
    simulator: Simulator,
    *,
    host: str = "127.0.0.1",
    port: int,
    ready: Callable[[SimulatorServer], None] | None = None,
) -> None:
    """Serve in the foreground; SIGINT or SIGTERM stops it cleanly."""
    server = SimulatorServer(simulator, host, port)

    def stop(signum: int, frame: object) -> None:
        server.httpd.stopping.set()
        threading.Thread(target=server.httpd.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if ready is not None:
            ready(server)
        server.serve()
    finally:
        server.httpd.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
