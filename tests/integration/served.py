"""The app served as in production: uvicorn in its own process, on a loopback socket the test binds and
hands over (no race for the port), against a database the test prepared."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServedApp:
    base: str
    process: subprocess.Popen[str]
    log: str = ""  # the server's standard error, once it has stopped (when asked to keep it)


@contextmanager
def served_app(
    database_url: str,
    data_dir: Path,
    secret: str,
    factory: str = "ptbill.server:serving_app",
    log_level: str = "warning",
    keep_log: bool = False,
) -> Iterator[ServedApp]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PTBILL_DATA_DIR": str(data_dir),
        "PTBILL_SECRET_KEY": secret,
        "PTBILL_SECURE_COOKIES": "0",
    }
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--fd", str(listener.fileno())]
    command += ["--log-level", log_level]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        pass_fds=[listener.fileno()],
        stderr=subprocess.PIPE if keep_log else None,
        text=True,
    )
    served = ServedApp(f"http://127.0.0.1:{listener.getsockname()[1]}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the server exited"
            try:
                # The login page, or on an empty database its redirect to the first-run page.
                if httpx.get(f"{served.base}/login", timeout=2).status_code in (200, 303):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
        served.log = log or ""
        listener.close()
