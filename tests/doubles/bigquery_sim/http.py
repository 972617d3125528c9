"""The simulator over HTTP, for a client pointed at it with ``BIGQUERY_EMULATOR_HOST``
(google-cloud-bigquery then sends every request to ``$BIGQUERY_EMULATOR_HOST/bigquery/v2``).

Loopback only. Keep-alive connections (HTTP/1.1), one thread per connection, so each
client thread's long-polling getQueryResults waits on its own.

HTTP faults (``faults.HttpFaults``, from ``SimConfig.http_faults``) are injected here, on
every request: a 503 before or after the action, or a stall.
"""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.doubles.bigquery_sim.faults import BACKEND_ERROR_503, HttpFault, HttpFaultPlan
from tests.doubles.bigquery_sim.rest import ApiError
from tests.doubles.bigquery_sim.simulator import BigQuerySimulator


class EmulatorServer:
    """Serves ``simulator`` on 127.0.0.1 (``port`` 0 picks a free one) until closed."""

    def __init__(self, simulator: BigQuerySimulator, port: int = 0) -> None:
        self.faults = HttpFaultPlan(simulator.config.http_faults)
        handler = type("Handler", (_Handler,), {"simulator": simulator, "faults": self.faults})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bqsim-http", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm and the client's
    # delayed ACK each keep-alive response would stall ~40 ms.
    disable_nagle_algorithm = True
    simulator: BigQuerySimulator
    faults: HttpFaultPlan

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = self.faults.pick()
        if fault is HttpFault.STALL:
            time.sleep(self.faults.faults.stall_s)
        try:
            if fault is HttpFault.BEFORE:
                raise BACKEND_ERROR_503
            body: Any = json.loads(raw) if raw else {}
            answer = self.simulator.handle(
                method, unquote(url.path), body, dict(parse_qsl(url.query))
            )
            status = HTTPStatus.OK if answer else HTTPStatus.NO_CONTENT
            if fault is HttpFault.AFTER:
                raise BACKEND_ERROR_503
        except ApiError as error:
            answer, status = error.to_body(), HTTPStatus(error.status)
        except json.JSONDecodeError:
            refused = ApiError(400, "parseError", "request body is not JSON")
            answer, status = refused.to_body(), HTTPStatus.BAD_REQUEST
        payload = json.dumps(answer).encode() if status != HTTPStatus.NO_CONTENT else b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            # The client gave up (a stall outlasted its timeout): nobody reads the answer.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base
        """Quiet: the simulator's statistics say what happened."""
