"""Every page (tests/browser/page_walk.py) in Chromium at a desktop, a tablet and a phone width: axe-core
finds no violation of serious or critical impact (the minor and moderate ones are printed with their
count), and no page is wider than the screen: wide tables scroll inside their card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ptbill.storage.session import transaction
from tests.browser.axe import BLOCKING, violations
from tests.browser.back_office_data import pay_demo_claims
from tests.browser.live_app import LiveApp, log_in, start_live_app
from tests.browser.page_walk import WalkedPage, pages

pytestmark = pytest.mark.browser
WIDTHS = (1280, 768, 390)


@pytest.fixture(scope="module")
def paid_app(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own (the shared one stays as the other tests expect it), with the simulated payers'
    remittances posted: the back-office pages with rows, charts and denials."""
    app = start_live_app(tmp_path_factory.mktemp("paid-app"))
    with transaction(app.sessions) as session:
        pay_demo_claims(session)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def walk(paid_app: LiveApp) -> list[WalkedPage]:
    return pages(paid_app)


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_axe_finds_a_serious_violation_where_there_is_one(axe_page: Any) -> None:
    axe_page.set_content('<html lang="en"><title>t</title><main><img src="/x.png"><a href="/"></a></main></html>')
    assert {"image-alt", "link-name"} <= {v.rule for v in violations(axe_page) if v.impact in BLOCKING}


def test_no_page_has_a_serious_accessibility_violation_or_scrolls_sideways(
    paid_app: LiveApp, walk: list[WalkedPage], axe_page: Any
) -> None:
    blocking: list[str] = []
    too_wide: list[str] = []
    minor: Counter[str] = Counter()
    example: dict[str, str] = {}
    for width in WIDTHS:
        axe_page.set_viewport_size({"width": width, "height": 900})
        who: str | None = None
        axe_page.context.clear_cookies()
        for walked in walk:
            if walked.who != who:
                axe_page.context.clear_cookies()
                if walked.who:
                    log_in(axe_page, paid_app.url, walked.who)
                who = walked.who
            axe_page.goto(paid_app.url + walked.path)
            axe_page.wait_for_load_state("networkidle")
            if (wide := axe_page.evaluate("document.documentElement.scrollWidth")) > width:
                too_wide.append(f"{walked.path} is {wide} px wide on a {width} px screen")
            for violation in violations(axe_page):
                if violation.impact in BLOCKING:
                    blocking.append(f"{walked.path} at {width} px: {violation}")
                else:
                    minor[f"{violation.impact} {violation.rule}"] += len(violation.targets)
                    example.setdefault(f"{violation.impact} {violation.rule}", f"{walked.path} {violation.targets[0]}")
    print(f"axe: {sum(minor.values())} minor or moderate findings: {dict(minor)}, for example {example}")
    assert blocking == [], "\n".join(blocking)
    assert too_wide == [], "\n".join(too_wide)
