"""``ptbill users unlock EMAIL``: the operator clears a lockout, for the admin who locked themselves out
(the `users` group is invoked directly; `ptbill` registers it like every other group)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ptbill.cli.commands import register, users
from ptbill.cli.main import cli
from ptbill.services import login_limits
from ptbill.services.demo_data import seed_demo
from ptbill.services.sessions import system_clock
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, LoginFailureRow, UserRow
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate

ADMIN = "admin@harbor.example"


def test_the_operator_clears_a_locked_out_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PTBILL_SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = Settings.from_environment().database_url
    migrate(url)
    factory = session_factory(make_engine(url))
    now = system_clock()
    with transaction(factory) as session:
        seed_demo(session, encounters=2, patients=1, today=DEMO_TODAY)
        for _ in range(login_limits.ACCOUNT_LIMIT):
            login_limits.record_failure(session, ADMIN, "203.0.113.9", now)
    with transaction(factory) as session:
        assert login_limits.locked_until(session, ADMIN, "198.51.100.1", now) is not None

    result = CliRunner().invoke(users, ["unlock", "Admin@Harbor.example"])
    assert result.exit_code == 0, result.output
    assert "can log in again" in result.output
    with transaction(factory) as session:
        assert login_limits.locked_until(session, ADMIN, "198.51.100.1", now) is None
        assert session.scalar(select(func.count()).where(LoginFailureRow.account == ADMIN)) == 0
        admin_id = session.scalars(select(UserRow.id).where(UserRow.email == ADMIN)).one()
        actions = session.scalars(select(AuditRow.action).where(AuditRow.entity_id == str(admin_id))).all()
        assert [a for a in actions if a in ("lockout", "unlock")] == ["lockout", "unlock"]

    unknown = CliRunner().invoke(users, ["unlock", "nobody@harbor.example"])
    assert unknown.exit_code == 2
    assert "no user nobody@harbor.example" in unknown.output


def test_an_admin_requires_two_step_login_and_turns_it_off_for_a_lost_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PTBILL_SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PTBILL_USER", ADMIN)
    register(cli)  # as `ptbill` does: the users group gains init's account commands
    url = Settings.from_environment().database_url
    migrate(url)
    factory = session_factory(make_engine(url))
    with transaction(factory) as session:
        seed_demo(session, encounters=2, patients=1, today=DEMO_TODAY)
        biller = session.scalars(select(UserRow).where(UserRow.email == "biller@harbor.example")).one()
        biller.totp_secret, biller.totp_enabled_at = "JBSWY3DPEHPK3PXP", system_clock()

    required = CliRunner().invoke(cli, ["users", "require-two-factor", "admin", "biller"])
    assert required.exit_code == 0, required.output
    assert "required of: admin, biller" in required.output
    assert CliRunner().invoke(cli, ["users", "require-two-factor"]).exit_code == 2, "no role named: refused"

    off = CliRunner().invoke(cli, ["users", "two-factor-off", "biller@harbor.example"])
    assert off.exit_code == 0, off.output
    with transaction(factory) as session:
        biller = session.scalars(select(UserRow).where(UserRow.email == "biller@harbor.example")).one()
        assert (biller.totp_secret, biller.totp_enabled_at) == (None, None)
        details = session.scalars(select(AuditRow.detail).where(AuditRow.entity_id == str(biller.id))).all()
        assert "two-factor authentication turned off by an admin" in details
    assert CliRunner().invoke(cli, ["users", "two-factor-off", "nobody@harbor.example"]).exit_code == 2
