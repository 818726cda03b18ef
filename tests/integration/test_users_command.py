"""``ptbill users unlock EMAIL``: the operator clears a lockout, for the admin who locked themselves out
(the `users` group is invoked directly; `ptbill` registers it like every other group)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ptbill.cli.commands import users
from ptbill.services import login_limits
from ptbill.services.demo_data import seed_demo
from ptbill.services.sessions import system_clock
from ptbill.settings import Settings
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, LoginFailureRow, UserRow
from tests.demo_day import DEMO_TODAY

ADMIN = "admin@harbor.example"


def test_the_operator_clears_a_locked_out_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTBILL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PTBILL_SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = Settings.from_environment().database_url
    upgrade(url)
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
