"""In Chromium: a long action's button says what it is doing and sends once, with its name and value;
signing with findings marked "Check" open asks for a yes; the note's check panel goes below the form
on a phone; /api/docs and the pages load nothing from another host and nothing that is not there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.live_app import NEW_PATIENT, LiveApp, T, fill_visit, log_in, start_live_app, start_note

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_app(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own: the note signed here would otherwise carry its force into test_pages' first visit."""
    app = start_live_app(tmp_path_factory.mktemp("busy-app"))
    yield app
    app.stop()


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_sign_says_signing_and_sends_its_action_once(live_app: LiveApp, page: Any) -> None:
    expect = _expect()
    log_in(page, live_app.url, "therapist1@harbor.example")
    start_note(page, live_app.url, str(NEW_PATIENT["last_name"]), "2026-11-20")
    fill_visit(page)
    page.get_by_label("Force", exact=True).fill("65")
    expect(page.locator("#sign-button")).to_be_enabled()
    sent: list[str] = []

    def hold(route: Any) -> None:  # a server that has not answered yet: the page stays as it is
        sent.append(route.request.post_data or "")
        route.fulfill(status=204)

    page.route(re.compile(r"/notes$"), hold)
    page.locator("#sign-button").click()
    expect(page.locator("#sign-button")).to_have_text("Signing…")
    expect(page.locator("#sign-button")).to_be_disabled()
    expect(page.locator("#sign-button")).to_have_attribute("aria-busy", "true")
    page.get_by_role("button", name="Save draft").click(force=True)  # an impatient second click
    page.wait_for_timeout(300)
    assert len(sent) == 1
    assert parse_qs(sent[0])["action"] == ["sign"]


def test_signing_with_warnings_open_asks_for_a_yes_then_signs(live_app: LiveApp, page: Any) -> None:
    expect = _expect()
    log_in(page, live_app.url, "therapist1@harbor.example")
    start_note(page, live_app.url, str(NEW_PATIENT["last_name"]), "2026-11-19")
    fill_visit(page)
    page.get_by_label("Force", exact=True).fill("65")
    page.fill(f'[name="{T}monitoring_checks"]', "")  # a finding marked "Check", not one that blocks
    page.locator("#sign-button").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=confirm-sign$"))
    expect(page.locator(".notice-warning")).to_contain_text("not signed yet")
    expect(page.locator(".badge-status-draft")).to_be_visible()
    page.get_by_label(re.compile("Sign with .* still open")).check()
    page.locator("#sign-button").click()
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=signed$"))
    expect(page.locator(".badge-status-signed")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_check_panel_is_beside_the_note_on_a_desktop_and_below_it_on_a_phone(
    live_app: LiveApp, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_app.url, "therapist1@harbor.example")
    start_note(page, live_app.url, str(NEW_PATIENT["last_name"]), "2026-11-18")
    form = page.locator("form#note").bounding_box()
    panel = page.locator("aside.note-side").bounding_box()
    if width < 700:
        assert panel["y"] >= form["y"] + form["height"]
    else:
        assert panel["x"] >= form["x"] + form["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _watch(page: Any, base: str) -> tuple[list[str], list[str]]:
    """Requests to any other host (refused, as on a server without internet) and answers of 404."""
    elsewhere: list[str] = []
    missing: list[str] = []
    host = urlsplit(base).netloc

    def refuse(route: Any) -> None:
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", refuse)
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    return elsewhere, missing


def test_the_api_docs_work_without_internet(live_app: LiveApp, page: Any) -> None:
    elsewhere, missing = _watch(page, live_app.url)
    page.goto(f"{live_app.url}/api/docs")
    _expect()(page.locator(".swagger-ui .info .title")).to_contain_text("ptbill")
    _expect()(page.locator(".opblock").first).to_be_visible()
    assert elsewhere == []
    assert missing == []


def test_a_page_asks_for_nothing_that_is_not_there(live_app: LiveApp, page: Any) -> None:
    elsewhere, missing = _watch(page, live_app.url)
    log_in(page, live_app.url, "therapist1@harbor.example")
    page.goto(f"{live_app.url}/notes")
    page.wait_for_load_state("networkidle")
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).ok
    assert page.request.get(f"{live_app.url}/favicon.ico").ok
    assert elsewhere == []
    assert missing == []
