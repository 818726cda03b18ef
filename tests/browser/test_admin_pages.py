"""The admin pages in a real Chromium, at a desktop width (1280 px) and a phone's (390 px): each opens,
nothing runs off the side of the phone's screen, and a refused setting is explained right under its
field. Screenshots go to $PTBILL_SCREENSHOTS when it is set (to look at them), else to the test's folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live_app import LiveApp, log_in

pytestmark = pytest.mark.browser
PAGES = {
    "admin-clinic": "/admin/clinic",
    "admin-providers": "/admin/providers",
    "admin-users": "/admin/users",
    "admin-sessions": "/admin/sessions",
    "admin-audit": "/admin/audit",
    "admin-reference": "/admin/reference",
    "payer-ca-medicare": "/payers/ca-medicare",
}

OFF_SCREEN = """() => [...document.querySelectorAll('main *')]
  .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PTBILL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", [1280, 390])
def test_each_admin_page_fits_the_screen(live_app: LiveApp, page: Any, tmp_path: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_app.url, "admin@harbor.example")
    for name, path in PAGES.items():
        page.goto(f"{live_app.url}{path}")
        assert page.locator("h1").count() >= 1, path
        # The page's own content (the top bar is the layout's; a wide table scrolls in its own box).
        overflow = page.evaluate(OFF_SCREEN)
        assert overflow == [], f"{path} runs off a {width} px screen: {overflow}"
        page.screenshot(path=str(shots(tmp_path) / f"{name}-{width}.png"), full_page=True)


def test_a_refused_npi_is_explained_under_its_field_and_stays_typed(live_app: LiveApp, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_app.url, "admin@harbor.example")
    page.goto(f"{live_app.url}/admin/clinic")
    npi = page.get_by_label("Group NPI (type 2)")
    npi.fill("1234567890")
    page.get_by_role("button", name="Save the settings").click()
    message = page.locator("#npi-error")
    expect(message).to_contain_text("not a valid NPI")
    expect(npi).to_have_value("1234567890")
    expect(npi).to_have_attribute("aria-invalid", "true")
    field, said = npi.bounding_box(), message.bounding_box()
    assert 0 <= said["y"] - (field["y"] + field["height"]) <= 12
