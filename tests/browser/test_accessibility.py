"""axe-core in Chromium on every page (tests/browser/page_walk.py), at a desktop and a phone width: no
violation of serious or critical impact. The minor and moderate ones are printed with their count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ptbill.storage.session import transaction
from tests.browser.axe import BLOCKING, violations
from tests.browser.back_office_data import pay_demo_claims
from tests.browser.live_app import LiveApp, log_in
from tests.browser.page_walk import WalkedPage, pages

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def walk(live_app: LiveApp) -> list[WalkedPage]:
    with transaction(live_app.sessions) as session:
        pay_demo_claims(session)  # the back-office pages with rows, charts and denials
    return pages(live_app)


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_axe_finds_a_serious_violation_where_there_is_one(axe_page: Any) -> None:
    axe_page.set_content('<html lang="en"><title>t</title><main><img src="/x.png"><a href="/"></a></main></html>')
    assert {"image-alt", "link-name"} <= {v.rule for v in violations(axe_page) if v.impact in BLOCKING}


def test_no_page_has_a_serious_or_critical_accessibility_violation(
    live_app: LiveApp, walk: list[WalkedPage], axe_page: Any
) -> None:
    blocking: list[str] = []
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
                    log_in(axe_page, live_app.url, walked.who)
                who = walked.who
            axe_page.goto(live_app.url + walked.path)
            axe_page.wait_for_load_state("networkidle")
            for violation in violations(axe_page):
                if violation.impact in BLOCKING:
                    blocking.append(f"{walked.path} at {width} px: {violation}")
                else:
                    minor[f"{violation.impact} {violation.rule}"] += len(violation.targets)
                    example.setdefault(f"{violation.impact} {violation.rule}", f"{walked.path} {violation.targets[0]}")
    print(f"axe: {sum(minor.values())} minor or moderate findings: {dict(minor)}, for example {example}")
    assert blocking == [], "\n".join(blocking)
