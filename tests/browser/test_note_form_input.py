"""A therapist's typing survives a date that is not one, in a real Chromium against the real app.

Chromium's own date picker never sends an impossible date: it sends nothing, and the page must say the
date is missing. A browser without a date picker (the input falls back to text, as the HTML standard
allows) sends what was typed, "2026-02-30"; that once answered 500 and lost the whole note. Either way
the note comes back with the error beside the date and every other value as typed, and saves once the
date is fixed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.live_app import VISIT, VISIT_CHOICES, VISIT_RADIOS, LiveApp, T, fill_visit, log_in, start_note

pytestmark = pytest.mark.browser
DAY = "2026-11-25"
DATE = '[name="date_of_service"]'


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _every_value_kept(page: Any) -> None:
    expect = _expect()
    for name, value in VISIT.items():
        expect(page.locator(f'[name="{name}"]')).to_have_value(value)
    for name, value in VISIT_CHOICES.items():
        expect(page.locator(f'[name="{name}"]')).to_have_value(value)
    for name, value in VISIT_RADIOS.items():
        expect(page.locator(f'[name="{name}"][value="{value}"]')).to_be_checked()
    expect(page.get_by_label("Force", exact=True)).to_have_value("65")


def test_an_impossible_date_is_marked_beside_the_date_and_nothing_typed_is_lost(live_app: LiveApp, page: Any) -> None:
    expect = _expect()
    log_in(page, live_app.url, "therapist1@harbor.example")
    start_note(page, live_app.url, "HPT-1004", DAY)
    fill_visit(page)
    page.get_by_label("Force", exact=True).fill("65")
    date_findings = page.locator('[data-findings-for="date_of_service"]')

    # Chromium's picker: February 30th typed on the keyboard leaves the input empty.
    page.locator(DATE).click()
    page.keyboard.type("02302026")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".notice-error")).to_contain_text("everything you typed is kept")
    expect(date_findings).to_contain_text("not a date")
    _every_value_kept(page)

    # A browser without a date picker sends the text as typed. The input this test turned into text is marked:
    # the page the save leaves already shows the same error (the live check writes it as the date is typed) and
    # the same URL, so only the mark's going tells that the server's page has replaced it.
    page.locator(DATE).evaluate("input => { input.type = 'text'; input.dataset.madeText = 'by the test'; }")
    page.locator(DATE).fill("2026-02-30")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(f"{DATE}[data-made-text]")).to_have_count(0)
    expect(page.locator(DATE)).to_have_attribute("type", "text")  # the server's choice for a date it cannot read
    expect(date_findings).to_contain_text('not a date: "2026-02-30"')
    expect(date_findings.locator(".finding.sev-error")).to_have_count(1)
    expect(page.locator(DATE)).to_have_value("2026-02-30")  # shown as typed, beside its error
    _every_value_kept(page)

    page.locator(DATE).fill(DAY)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=saved$"))
    expect(page.locator(DATE)).to_have_value(DAY)
    expect(page.locator(f'[name="{T}device_name"]')).to_have_value(VISIT[T + "device_name"])
    _every_value_kept(page)
