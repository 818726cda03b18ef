"""Fixtures for the browser tests: one live app and one Chromium for the whole run, a fresh browser
context (cookies, downloads) per test. Everything is skipped, with the reason, when Debian's
Chromium or the Playwright package is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.live_app import CHROMIUM, VIEWPORT, LiveApp, launch_chromium, start_live_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _skip_without_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    _skip_without_browser()
    app = start_live_app(tmp_path_factory.mktemp("live-app"))
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
