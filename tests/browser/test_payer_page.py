"""A biller's payer change in a real Chromium: a value the parameter does not allow is refused with the
reason right under the field, what was typed stays in the form, and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.live_app import LiveApp, log_in

pytestmark = pytest.mark.browser


def test_a_refused_value_is_explained_under_its_field_and_stays_typed(live_app: LiveApp, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_app.url, "biller@harbor.example")
    page.goto(f"{live_app.url}/payers/medrisk-epo")
    page.get_by_label("Parameter").fill("units.method")
    page.get_by_label("New value").fill("banana")
    page.get_by_label("In force from").fill("2026-12-01")
    page.get_by_label("Source (required)").fill("Call with MedRisk 2026-11-20, ref 88123")
    page.get_by_role("button", name="Save change").click()

    value = page.get_by_label("New value")
    message = page.locator("#p-value-error")
    expect(message).to_have_text("units.method must be one of cms, per_code, got 'banana'")
    expect(value).to_have_value("banana")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Parameter")).to_have_value("units.method")
    expect(page.get_by_label("Source (required)")).to_have_value("Call with MedRisk 2026-11-20, ref 88123")
    expect(page.locator(".notice-error")).to_contain_text("see the message under New value")

    # Beside the field: right under the value input, within its column, not at the top of the page.
    field, said = value.bounding_box(), message.bounding_box()
    assert 0 <= said["y"] - (field["y"] + field["height"]) <= 12
    assert abs(said["x"] - field["x"]) <= 2

    # Nothing was saved: the unit method in force is still the shipped one.
    row = page.locator("table.params tr", has=page.locator("span.mono", has_text="units.method"))
    expect(row.locator("td.value")).to_have_text("cms")
    expect(row.locator(".layer")).to_have_text("baseline")
