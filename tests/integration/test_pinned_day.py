"""PTBILL_TODAY pins the installation's day: the pages, the API and the CLI take their default dates from
the clock in Settings, never from the system (the demo and these tests depend on it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from ptbill.cli.commands import explain, payers_show
from ptbill.domain.clock import SYSTEM_CLOCK, FixedClock
from ptbill.server import create_app
from ptbill.settings import Settings, clock_from_environment
from tests.integration.api.world import A_USERS, build_world, fresh_database
from tests.integration.page_forms import logged_in

PINNED = "2026-02-17"  # not the day the tests run on, and inside the shipped reference data


@pytest.fixture(scope="module")
def pinned_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("pinned-day")
    with pytest.MonkeyPatch.context() as env, fresh_database("sqlite", tmp) as url:
        world = build_world(url, tmp, encounters=2, patients=2)
        world.close()
        env.setenv("DATABASE_URL", url)
        env.setenv("PTBILL_DATA_DIR", str(tmp))
        env.setenv("PTBILL_SECRET_KEY", "test")
        env.setenv("PTBILL_SECURE_COOKIES", "0")
        env.setenv("PTBILL_TODAY", PINNED)
        app = create_app()  # the settings come from the environment, as `ptbill serve` reads them
        assert app.state.ptbill.settings.clock.today() == date.fromisoformat(PINNED)
        yield app
        app.state.ptbill.sessions.kw["bind"].dispose()


def test_the_environment_pins_the_day_or_leaves_the_system_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTBILL_TODAY", raising=False)
    assert clock_from_environment() is SYSTEM_CLOCK
    monkeypatch.setenv("PTBILL_TODAY", PINNED)
    assert clock_from_environment() == FixedClock(date(2026, 2, 17))
    assert clock_from_environment().now().date() == date(2026, 2, 17)
    monkeypatch.setenv("PTBILL_TODAY", "17/02/2026")
    with pytest.raises(ValueError, match="PTBILL_TODAY must be a day written YYYY-MM-DD"):
        Settings.from_environment()


def test_the_api_reads_a_payer_on_the_pinned_day_by_default(pinned_app: FastAPI) -> None:
    client = logged_in(pinned_app, A_USERS["biller"])
    payer = client.get("/api/payers/ca-medicare-south", headers={"Accept": "application/json"})
    assert payer.status_code == 200, payer.text
    assert payer.json()["day"] == PINNED


def test_the_payer_page_and_a_new_note_default_to_the_pinned_day(pinned_app: FastAPI) -> None:
    biller = logged_in(pinned_app, A_USERS["biller"])
    page = biller.get("/payers/ca-medicare-south")
    assert page.status_code == 200
    assert "In force on Feb 17, 2026" in page.text
    assert f'value="{PINNED}"' in page.text  # a change's "effective from" starts on the pinned day
    therapist = logged_in(pinned_app, A_USERS["therapist"])
    form = therapist.get("/notes/new")
    assert form.status_code == 200
    assert f'value="{PINNED}"' in form.text


def test_the_cli_shows_a_payer_and_explains_a_parameter_on_the_pinned_day(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PTBILL_TODAY", PINNED)
    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    shown = CliRunner().invoke(payers_show, ["ca-medicare-south", "--json"])
    assert shown.exit_code == 0, shown.output
    assert f'"date": "{PINNED}"' in shown.output
    explained = CliRunner().invoke(explain, ["therapy.kx_threshold", "--payer", "ca-medicare"])
    assert explained.exit_code == 0, explained.output
    assert explained.output.startswith(f"therapy.kx_threshold for ca-medicare on {PINNED}:")
