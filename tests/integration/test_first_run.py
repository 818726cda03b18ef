"""A clinic starts on an empty database from the terminal: ``ptbill init`` sets up the clinic and its
first admin (the password from a hidden prompt or stdin, never argv), ``ptbill users`` adds, lists and
deactivates accounts; a refused field writes nothing and says which field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.cli.commands import register
from ptbill.cli.main import cli
from ptbill.services.users import authenticate
from ptbill.settings import Settings
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, ClinicRow, UserRow

register(cli)
PASSWORD = "quiet-harbor-traction-41"
INIT = [
    "init",
    "--clinic", "Cedar Street Physical Therapy LLC",
    "--npi", "1245319599",
    "--tax-id", "12-3456789",
    "--address", "410 Cedar Street",
    "--city", "Salem",
    "--state", "or",
    "--zip", "97301",
    "--admin-email", "Owner@Cedar.example",
    "--admin-name", "Dana Reyes",
    "--password-stdin",
]  # fmt: skip


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PTBILL_SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PTBILL_USER", raising=False)
    url = Settings.from_environment().database_url
    upgrade(url)
    return session_factory(make_engine(url))


def _run(arguments: list[str], stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(cli, arguments, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_init_sets_up_the_clinic_and_an_admin_who_can_log_in(factory: sessionmaker[Session]) -> None:
    code, output = _run(INIT, PASSWORD + "\n")
    assert code == 0, output
    assert "owner@cedar.example is its admin" in output
    with transaction(factory) as session:
        clinic = session.scalars(select(ClinicRow)).one()
        assert (clinic.npi, clinic.tax_id, clinic.state, clinic.zip) == ("1245319599", "123456789", "OR", "97301")
        actor = authenticate(session, "owner@cedar.example", PASSWORD)
        assert actor is not None
        assert (actor.role, actor.clinic_id) == ("admin", clinic.id)
        audited = session.scalars(
            select(AuditRow.entity).where(AuditRow.clinic_id == clinic.id, AuditRow.action == "create")
        ).all()
        assert sorted(audited) == ["clinic", "user"]

    again, output = _run(INIT, PASSWORD + "\n")
    assert again == 2
    assert "already set up" in output or "already has an account" in output


def test_a_refused_field_is_named_and_nothing_is_written(factory: sessionmaker[Session]) -> None:
    bad = [*INIT]
    bad[bad.index("--npi") + 1] = "1245319598"  # wrong check digit
    bad[bad.index("--tax-id") + 1] = "12345"
    bad[bad.index("--zip") + 1] = "9730１"  # a fullwidth digit
    code, output = _run(bad, PASSWORD + "\n")
    assert code == 2
    lines = output.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["npi", "tax_id", "zip"]
    assert "Traceback" not in output
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(ClinicRow)) == 0
        assert session.scalar(select(func.count()).select_from(UserRow)) == 0


def test_a_weak_password_is_refused_and_the_clinic_is_not_half_created(factory: sessionmaker[Session]) -> None:
    code, output = _run(INIT, "password\n")
    assert code == 2
    assert output.startswith("password:")
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(ClinicRow)) == 0


def test_the_password_cannot_be_given_on_the_command_line(factory: sessionmaker[Session]) -> None:
    code, output = _run([*INIT, "--password", PASSWORD])
    assert code == 2
    assert "No such option" in output


def test_an_admin_adds_lists_and_deactivates_users(factory: sessionmaker[Session]) -> None:
    assert _run(INIT, PASSWORD + "\n")[0] == 0
    code, output = _run(
        ["users", "add", "Biller@Cedar.example", "--name", "Sam  Ortiz", "--role", "biller", "--password-stdin"],
        "another-long-passphrase-7\n",
    )
    assert code == 0, output
    code, output = _run(["users", "add", "pt@cedar.example", "--name", "Lee Park", "--role", "therapist",
                         "--credential", "PT", "--npi", "1093817461", "--password-stdin"], "x\n")  # fmt: skip
    assert code == 2
    assert output.startswith("--npi:")

    code, listing = _run(["users", "list"])
    assert code == 0
    assert "biller@cedar.example" in listing
    assert "Sam Ortiz" in listing
    assert listing.count("active") == 2

    assert _run(["users", "deactivate", "biller@cedar.example"])[0] == 0
    listing = _run(["users", "list"])[1]
    assert "deactivated" in listing.splitlines()[1]
    with transaction(factory) as session:
        assert authenticate(session, "biller@cedar.example", "another-long-passphrase-7") is None

    code, output = _run(["users", "deactivate", "owner@cedar.example"])
    assert code == 2
    assert "cannot deactivate their own account" in output


def test_users_commands_need_a_clinic_first(factory: sessionmaker[Session]) -> None:
    code, output = _run(["users", "list"])
    assert code == 2
    assert "ptbill init" in output
