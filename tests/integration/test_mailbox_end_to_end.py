"""The clearinghouse loop end to end, on SQLite and PostgreSQL, against a real OpenSSH SFTP server on 127.0.0.1
(a generated host key and user key, a chroot when the tests run as root: ``test_mailbox_sftp.sshd``).

The biller sends a built batch from the /mailbox page; a stand-in clearinghouse script takes the uploaded
837P from the server and answers it with a 999 (accepted) and a 277CA (one claim rejected for its billing
provider's NPI), and later with an 835 for the claims it accepted. Each send and poll is a job: on PostgreSQL
a real procrastinate worker runs it, on SQLite the page runs it in-process. The claim pages (HTML, through the
app) show each step in words; the rejected claim is on the rejection worklist with its fix. A second poll, and
a scheduled one, change nothing."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.server import create_app
from ptbill.services import access, mailbox_settings
from ptbill.settings import Settings
from ptbill.storage.tables import ClaimAnswerRow, ClaimRow, JobRunRow, MailboxFileRow, RemittanceFileRow
from tests.integration.api.world import fresh_database
from tests.integration.clearinghouse import Numbers, answer_277ca, answer_999
from tests.integration.mailbox_world import MovingClock, answer_835, batched_claims
from tests.integration.test_mailbox_sftp import SECRET, Server, settings_form, sshd  # noqa: F401
from tests.pyx12_check import pyx12_errors

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "pw-123456"  # tests.integration.test_storage_services.make_clinic's


def login(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: TestClient, path: str, **fields: str) -> str:
    page = client.get("/mailbox")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = client.post(path, data={"csrf_token": token.group(1), **fields})
    assert answer.status_code == 200, answer.text
    return answer.text


def run_queue(app: FastAPI) -> None:
    """PostgreSQL: a worker, in a thread of its own as ``ptbill worker`` runs it, until the queue is empty."""
    jobs = app.state.ptbill.jobs
    if not jobs.queued:
        return  # SQLite: the page ran the job before it answered
    jobs.close()
    worker = threading.Thread(target=jobs.run_worker, kwargs={"queues": None, "concurrency": 1, "wait": False})
    worker.start()
    worker.join(120)


def timeline(html: str) -> str:
    found = re.search(r'<ol class="timeline".*?</ol>', html, re.S)
    assert found, html
    return re.sub(r"\s+", " ", found.group(0))


def counts(session: Session, clinic_id: int) -> tuple[int, ...]:
    tables = (ClaimAnswerRow, MailboxFileRow, RemittanceFileRow)
    return tuple(
        session.scalar(select(func.count()).select_from(t).where(t.clinic_id == clinic_id)) or 0 for t in tables
    )


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_batch_sent_over_sftp_is_acknowledged_rejected_in_part_and_paid_each_step_on_the_claim_pages(
    kind: str,
    sshd: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    name = f"e2e{kind[:2]}"
    with fresh_database(kind, tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET, secure_cookies=False)
        app = create_app(settings)
        sessions = app.state.ptbill.sessions
        try:
            with sessions() as session:
                biller, claims, batch_id = batched_claims(session, name, MovingClock())
                admin = access.Actor(biller.user_id, biller.clinic_id, "admin", "Admin")
                mailbox_settings.save_settings(
                    session, admin, settings_form(sshd), secret_key=SECRET, clock=MovingClock()
                )
                session.commit()
                ids = [c.id for c in claims]
            rejected, paid_one, paid_two = ids
            client = login(app, f"billing@{name}.example")

            # 1. Send: the mailbox_send job uploads the 837P into the server's outbox.
            page = post_form(client, "/mailbox/send", batch_id=str(batch_id))
            run_queue(app)
            [uploaded] = [p for p in (sshd.files / "outbox").iterdir() if f".{batch_id}." in p.name]
            batch = uploaded.read_bytes()
            assert batch.startswith(b"ISA*")
            assert "Submitted" in client.get(f"/claims/{paid_one}").text
            if not app.state.ptbill.jobs.queued:
                assert f"Batch {batch_id}: batch {batch_id} sent as {uploaded.name}" in page

            # 2. The stand-in clearinghouse answers with a 999 and a 277CA rejecting the first claim.
            numbers, when = Numbers(), datetime(2026, 3, 17, 8, 0)
            with sessions() as session:
                number = session.get(ClaimRow, rejected).patient_control_number  # type: ignore[union-attr]
            ack, claim_ack = answer_999(batch, when, numbers), answer_277ca(batch, when, numbers, number)
            assert pyx12_errors(ack) == []
            assert pyx12_errors(claim_ack) == []
            (sshd.files / "inbox" / f"{uploaded.name}.999").write_text(ack)  # within minutes
            post_form(client, "/mailbox/poll")
            run_queue(app)
            assert "Batch file accepted by the clearinghouse (999)" in client.get(f"/claims/{paid_one}").text
            (sshd.files / "inbox" / f"{uploaded.name}.277").write_text(claim_ack)  # the next day
            post_form(client, "/mailbox/poll")
            run_queue(app)

            rejected_page = timeline(client.get(f"/claims/{rejected}").text)
            assert "Batch file accepted by the clearinghouse (999)" in rejected_page
            assert "Rejected by the payer (277CA)" in rejected_page
            assert "A7 rejected for invalid information: 562 the entity&#39;s NPI (billing provider)" in rejected_page
            assert "NPI_INVALID" in rejected_page
            accepted_page = timeline(client.get(f"/claims/{paid_one}").text)
            assert "Accepted by the payer (277CA)" in accepted_page
            assert "A2 accepted into the adjudication system: 20 accepted for processing" in accepted_page
            worklist = client.get("/claims/rejections").text
            assert f'href="/claims/{rejected}"' in worklist
            assert f'href="/claims/{paid_one}"' not in worklist
            assert '<code class="rule">NPI_INVALID</code>' in worklist
            inbox = client.get("/mailbox").text
            assert inbox.count("Recorded") == 2  # the 999 and the 277CA

            # 3. Later, the payer's 835s for the two claims accepted; then the poll twice more.
            with sessions() as session:
                for claim_id in (paid_one, paid_two):
                    row = session.get(ClaimRow, claim_id)
                    assert row is not None
                    (sshd.files / "inbox" / f"era-{claim_id}.835").write_bytes(answer_835(row, f"EFT-E2E{claim_id}"))
            post_form(client, "/mailbox/poll")
            run_queue(app)
            for claim_id in (paid_one, paid_two):
                steps = timeline(client.get(f"/claims/{claim_id}").text)
                order = ["Submitted", "Batch file accepted by the clearinghouse (999)", "Accepted by the payer"]
                order.append("Partially paid")
                assert [steps.index(step) for step in order] == sorted(steps.index(step) for step in order), steps
            with sessions() as session:
                statuses = [session.get(ClaimRow, i).status for i in ids]  # type: ignore[union-attr]
                before = counts(session, biller.clinic_id)
            assert statuses == ["rejected", "partial", "partial"]
            assert before == (3 * 2, 1 + 4, 2)  # 999 + 277CA per claim; the 837P sent and four files received
            pages = {i: timeline(client.get(f"/claims/{i}").text) for i in ids}

            post_form(client, "/mailbox/poll")
            run_queue(app)
            scheduled = app.state.ptbill.jobs.run_periodic("mailbox_poll")  # as PTBILL_JOB_SCHEDULE runs it
            with sessions() as session:
                assert counts(session, biller.clinic_id) == before
                assert [session.get(ClaimRow, i).status for i in ids] == statuses  # type: ignore[union-attr]
                run = session.get(JobRunRow, scheduled)
                assert run is not None
                assert run.status == "done"
                assert f"clinic {biller.clinic_id}: 0 file(s) in the inbox" in (run.message or "")
                kinds = session.scalars(select(JobRunRow.kind).where(JobRunRow.clinic_id == biller.clinic_id))
                assert sorted(set(kinds)) == ["mailbox_poll", "mailbox_send"]
            assert {i: timeline(client.get(f"/claims/{i}").text) for i in ids} == pages
            assert list((sshd.files / "inbox").iterdir()) == []
        finally:
            app.state.ptbill.jobs.close()
            app.state.ptbill.sessions.kw["bind"].dispose()
