"""`ptbill serve` settles each worker's heap when it builds the app and once more after its first requests
(server.SettleAfterWarmUp): what they loaded for good is then out of the garbage collector's full scans."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ptbill.server import SettleAfterWarmUp


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process collects everything again


def test_the_heap_is_settled_once_after_the_warm_up_requests(unfrozen: None) -> None:
    answered: list[str] = []

    async def app(scope: dict[str, Any], _receive: Any, _send: Any) -> None:
        answered.append(scope["path"])

    settling = SettleAfterWarmUp(app, requests=3)

    def request(path: str, kind: str = "http") -> None:
        # A loop of its own in its own thread: an earlier test's (Playwright's) loop may still run in this one.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, settling({"type": kind, "path": path}, None, None)).result()

    request("/one")
    request("/", "lifespan")  # not a request
    request("/two")
    assert gc.get_freeze_count() == 0
    request("/three")
    frozen = gc.get_freeze_count()
    assert frozen > 0
    gc.unfreeze()
    request("/four")  # once only
    assert gc.get_freeze_count() == 0
    assert answered == ["/one", "/", "/two", "/three", "/four"]
