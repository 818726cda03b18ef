"""The claim page's reads stay few as it grows: one view of an answered claim runs a bounded number of SQL
statements, writes its three audit records (the claim, its balance, the page) in one INSERT, and still shows
this view in the claim's history. A lookup that comes back into the page one query at a time fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from ptbill.storage.tables import AuditRow
from tests.integration.api.world import A_USERS, World, running_world
from tests.integration.page_forms import logged_in
from tests.integration.test_claim_page import denied_claim

# The session lookup, the claim with its flags, its lines, its answers, the payer's clinic parameters, the
# audit INSERT, the history; two to spare (a session's last-seen update). The page made 18 before.
MOST_STATEMENTS = 9


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_world("sqlite", tmp_path_factory.mktemp("claim-page-statements"), encounters=4, patients=2) as built:
        yield built


@pytest.fixture(scope="module")
def claim_id(world: World) -> int:
    return denied_claim(world, "EFT-8812", "era-0321.835")


def statements_of(client: TestClient, path: str) -> tuple[int, list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return status, seen


def test_one_view_runs_few_statements_and_audits_in_one_insert(world: World, claim_id: int) -> None:
    biller = logged_in(world.app, A_USERS["biller"])
    assert biller.get(f"/claims/{claim_id}").status_code == 200  # warm: the session is fresh
    with world.session() as session:
        before = session.scalar(select(AuditRow.id).order_by(AuditRow.id.desc()).limit(1))
    status, seen = statements_of(biller, f"/claims/{claim_id}")
    assert status == 200
    assert len(seen) <= MOST_STATEMENTS, "\n".join(seen)
    assert sum(s.startswith("INSERT INTO audit_log") for s in seen) == 1, "\n".join(seen)
    with world.session() as session:
        written = session.scalars(select(AuditRow).where(AuditRow.id > before).order_by(AuditRow.id)).all()
    assert [(a.action, a.entity, a.entity_id, a.detail) for a in written] == [
        ("read", "claim", str(claim_id), None),
        ("read", "claim_balances", None, "1 claims"),
        ("read", "claim_page", str(claim_id), "1 payments"),
    ]
    assert {a.user_id for a in written} == {written[0].user_id}
    assert written[0].user_id is not None


def test_the_history_shows_this_view(world: World, claim_id: int) -> None:
    biller = logged_in(world.app, A_USERS["biller"])
    first = biller.get(f"/claims/{claim_id}").text.count("<td>read</td>")
    second = biller.get(f"/claims/{claim_id}").text.count("<td>read</td>")
    assert second == first + 1
