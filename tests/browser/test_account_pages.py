"""A user changes their own password in a real Chromium: a mistyped repeat and a common password are
refused beside their fields, the change logs out their other sessions, and logging out ends the
session cookie at once (replaying it lands on the login form)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ptbill.services import access, users
from ptbill.storage.tables import UserRow
from tests.browser.live_app import LiveApp, log_in

pytestmark = pytest.mark.browser
FIRST_PASSWORD = "spinal-decompression-log"
NEW_PASSWORD = "harbor-intermittent-pull"


def _new_therapist(live_app: LiveApp, email: str) -> None:
    with live_app.sessions() as session, session.begin():
        admin = session.scalars(select(UserRow).where(UserRow.email == "admin@harbor.example")).one()
        actor = access.Actor(admin.id, admin.clinic_id, admin.role, admin.name)
        data = {"email": email, "name": "Pat Newhire", "role": "therapist", "credential": "PT"}
        users.create_user(session, actor, data, FIRST_PASSWORD)


def test_a_user_changes_their_password_and_logs_in_with_the_new_one(live_app: LiveApp, page: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    email = "pat.newhire@harbor.example"
    _new_therapist(live_app, email)
    other_device = browser.new_context()
    try:
        other = other_device.new_page()
        log_in(other, live_app.url, email, FIRST_PASSWORD)
        log_in(page, live_app.url, email, FIRST_PASSWORD)

        page.get_by_role("link", name="Password").click()
        page.get_by_label("Current password").fill(FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD + "x")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator("#new_password_again-error")).to_have_text("The two new passwords are not the same.")

        page.get_by_label("Current password").fill(FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill("Password2026!")
        page.get_by_label("New password again").fill("Password2026!")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator("#new_password-error")).to_contain_text("common passwords")

        page.get_by_label("Current password").fill(FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password is changed")

        other.goto(f"{live_app.url}/notes")  # the other device's session ended with the change
        expect(other).to_have_url(f"{live_app.url}/login?next=/notes")
    finally:
        other_device.close()

    cookie = next(c for c in page.context.cookies() if c["name"] == "ptbill_session")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_app.url}/login")
    page.context.add_cookies([cookie])  # the old cookie, replayed after logging out
    page.goto(f"{live_app.url}/notes")
    expect(page).to_have_url(f"{live_app.url}/login?next=/notes")

    log_in(page, live_app.url, email, NEW_PASSWORD)
    expect(page.locator(".who")).to_contain_text("Pat Newhire")
