"""Two requests of one login at once on PostgreSQL: the second never waits for the first's last-seen write.

The API's session dependency runs on the server's event loop; a request waiting there for another request's
row lock on its session would hold the loop while the other request's commit waits for it, and the server
process would hang (found by bench/clinic_scale.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ptbill.services.login_state import login_for_token
from ptbill.services.sessions import open_session
from ptbill.storage.session import make_engine
from ptbill.storage.tables import UserSessionRow
from tests.integration.api.world import fresh_database
from tests.integration.test_storage_services import make_clinic

LOGGED_IN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_a_request_does_not_wait_for_another_request_of_the_same_login_writing_its_last_seen(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            with Session(engine) as setup:
                therapist, _, _ = make_clinic(setup, "last-seen")
                token = open_session(setup, therapist, LOGGED_IN)
                setup.commit()
            later = LOGGED_IN + timedelta(minutes=5)  # past LAST_SEEN_EVERY: both requests want to write it
            with Session(engine) as first, Session(engine) as second:
                assert login_for_token(first, token, later).actor == therapist  # its transaction holds the row
                second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail here, not hang
                assert login_for_token(second, token, later + timedelta(seconds=1)).actor == therapist
                second.commit()
                first.commit()
            with Session(engine) as check:
                seen = check.scalar(select(UserSessionRow.last_seen_at))
            assert seen == later
        finally:
            engine.dispose()
