"""Every time on every page is in the clinic's time zone, never UTC: the clinic is put in a zone 14 hours
from UTC (Pacific/Kiritimati), every page a therapist and an admin can reach is opened, and each time
printed must carry that zone; the times of known records are checked to the minute."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ptbill.storage.tables import AuditRow, ClinicRow, EncounterRow, UserRow, UserSessionRow
from tests.integration.api.world import A_USERS, World, build_world, fresh_database
from tests.integration.page_forms import PageReader, logged_in

ZONE = "Pacific/Kiritimati"  # UTC+14: a time shown in UTC would be a day off
SHOWN_TIME = re.compile(r"\b([0-2][0-9]:[0-5][0-9]) (UTC|GMT|[A-Z]{2,5}|[+-][0-9]{2,4})\b")
START_PAGES = ("/notes", "/queue", "/claims", "/batches", "/denials", "/reports", "/payers", "/admin/clinic")
SKIP = ("/logout", "/static/", "/api")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("clinic-zone")
    with fresh_database("sqlite", tmp) as url:
        built = build_world(url, tmp, encounters=8, patients=3)
        with built.session() as session:
            clinic = session.get(ClinicRow, built.clinic_a)
            assert clinic is not None
            clinic.time_zone = ZONE
            session.commit()
        try:
            yield built
        finally:
            built.close()


def walk(world: World, email: str, limit: int = 120) -> dict[str, str]:
    """Each page reachable from the start pages by links (one of each address shape), by its address."""
    client = logged_in(world.app, email)
    seen: dict[str, str] = {}
    shapes: set[str] = set()
    queue = list(START_PAGES)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        shape = re.sub(r"/[0-9]+", "/#", urlsplit(url).path)
        if url in seen or shape in shapes or url.startswith(SKIP) or url.endswith((".csv", ".png", ".pdf", ".x12")):
            continue
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or not response.headers["content-type"].startswith("text/html"):
            continue
        seen[url] = response.text
        shapes.add(shape)
        reader = PageReader()
        reader.feed(response.text)
        queue.extend(link for link in reader.links if link not in seen)
    return seen


@pytest.mark.parametrize("role", ["therapist", "admin"])
def test_every_time_on_every_page_is_in_the_clinics_zone(world: World, role: str) -> None:
    pages = walk(world, A_USERS[role])
    assert len(pages) >= 8
    zone_name = ZoneInfo(ZONE).tzname(None) or "+14"
    shown = {(url, zone) for url, html in pages.items() for _time, zone in SHOWN_TIME.findall(html)}
    assert shown, "no page printed a time: the walk proves nothing"
    assert {zone for _url, zone in shown} == {zone_name}, sorted(shown)


def test_known_moments_are_shown_at_the_clinics_wall_clock_time(world: World) -> None:
    admin = logged_in(world.app, A_USERS["admin"])
    local = ZoneInfo(ZONE)
    with world.session() as session:
        admin_id = session.scalar(select(UserRow.id).where(UserRow.email == A_USERS["admin"]))
        login = session.scalars(
            select(AuditRow).where(AuditRow.user_id == admin_id, AuditRow.action == "login").order_by(AuditRow.id)
        ).first()
        live = session.scalars(select(UserSessionRow).where(UserSessionRow.user_id == admin_id)).all()
        signed = session.scalars(
            select(EncounterRow).where(EncounterRow.clinic_id == world.clinic_a, EncounterRow.signed_at.is_not(None))
        ).first()
    assert login is not None
    assert signed is not None

    def wall(moment: datetime | None) -> str:
        assert moment is not None
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return f"{aware.astimezone(local):%H:%M} +14"

    assert wall(login.at) in admin.get("/admin/audit", params={"action": "login"}).text
    sessions_page = admin.get("/admin/sessions").text
    assert any(wall(s.created_at) in sessions_page for s in live)
    assert wall(signed.signed_at) in admin.get(f"/notes/{signed.id}").text
    csv_text = admin.get("/admin/audit.csv", params={"action": "login"}).text
    assert "+14:00" in csv_text
