"""ptbill served by uvicorn in a process of its own that a test can kill (SIGKILL, as a crash or a power cut
would) and start again on the same database and the same loopback port, so the browser's origin, and with it
the page's localStorage, stays the same across the restart.

Each start binds the port (SO_REUSEADDR: the old connections may linger) and hands the socket to uvicorn; the
test keeps no copy, so while the server is down the port refuses connections, as a stopped server's would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class KillableServer:
    database_url: str
    data_dir: Path
    secret: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None, "already running"
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PTBILL_DATA_DIR": str(self.data_dir),
            "PTBILL_SECRET_KEY": self.secret,
            "PTBILL_SECURE_COOKIES": "0",
        }
        command = [sys.executable, "-m", "uvicorn", "ptbill.server:serving_app", "--factory"]
        command += ["--fd", str(listener.fileno()), "--log-level", "warning"]
        try:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, pass_fds=[listener.fileno()])
        finally:
            listener.close()  # the server holds the socket now; once it dies, the port refuses connections
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, "the server exited"
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code in (200, 303):
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, no response to the requests in flight."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
