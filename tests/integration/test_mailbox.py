"""The clearinghouse mailbox through its folder transport, on SQLite and PostgreSQL: a batch sent into the
outbox, the payer's 835 polled from the inbox and posted once, failures left in place and tried again with a
doubling wait, a 271 kept waiting for its reader (the 999, 277CA and 277: test_claim_answers), and the credential
kept encrypted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.mailbox.folder import FolderMailbox
from ptbill.mailbox.kinds import transaction_kind
from ptbill.mailbox.transport import MailboxError
from ptbill.services import access, mailbox, mailbox_settings
from ptbill.services.clinic import SettingsRefusedError
from ptbill.storage.tables import AuditRow, ClaimBatchRow, ClinicMailboxRow, MailboxFileRow, RemittanceFileRow
from tests.integration.mailbox_world import MovingClock, answer_835, batched_claim
from tests.integration.test_storage_services import make_clinic

SECRET = "the-installation-secret-key-for-tests"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def count(session: Session, table: type, clinic_id: int) -> int:
    return session.scalar(select(func.count()).select_from(table).where(table.clinic_id == clinic_id)) or 0  # type: ignore[attr-defined]


def utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def received(session: Session, clinic_id: int) -> list[MailboxFileRow]:
    query = select(MailboxFileRow).where(MailboxFileRow.clinic_id == clinic_id, MailboxFileRow.direction == "in")
    return list(session.scalars(query.order_by(MailboxFileRow.id)))


def test_a_batch_sent_to_the_folder_mailbox_is_answered_by_an_835_that_one_poll_posts_and_a_second_leaves_alone(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claim, batch_id = batched_claim(session, "mb1", clock)
    box = FolderMailbox(tmp_path)
    sent = mailbox.send_batch(session, biller, box, batch_id, clock)
    assert sent.name == f"{mailbox_settings.clinic_code(session, biller.clinic_id)}_{batch_id}_20260316_" + (
        f"{session.get(ClaimBatchRow, batch_id).interchange_control_number:09d}.837"  # type: ignore[union-attr]
    )
    assert (tmp_path / "outbox" / sent.name).read_bytes().startswith(b"ISA*")
    assert session.get(ClaimBatchRow, batch_id).status == "submitted"  # type: ignore[union-attr]
    assert claim.status == "submitted"

    (tmp_path / "inbox" / "era-0316.835").write_bytes(answer_835(claim, "EFT-MB1"))
    first = mailbox.poll(session, biller, box, clock)
    assert (first.listed, first.received, first.handled, first.failed, first.problems) == (1, 1, 1, 0, ())
    [row] = received(session, biller.clinic_id)
    assert (row.transaction_type, row.outcome, row.attempts, utc(row.archived_at)) == ("835", "posted", 0, clock.now())
    assert claim.paid_amount > 0
    assert list((tmp_path / "inbox").iterdir()) == []
    assert (tmp_path / "archive" / "era-0316.835").is_file()

    clock.later(hours=1)
    again = mailbox.poll(session, biller, box, clock)
    assert (again.listed, again.received, again.handled, again.failed) == (0, 0, 0, 0)
    (tmp_path / "inbox" / "era-0316 (resent).835").write_bytes(answer_835(claim, "EFT-MB1"))
    resent = mailbox.poll(session, biller, box, clock)
    assert (resent.listed, resent.received, resent.handled) == (1, 0, 0)
    assert count(session, RemittanceFileRow, biller.clinic_id) == 1
    assert len(received(session, biller.clinic_id)) == 1
    assert [f.name for f in mailbox.list_files(session, biller, mailbox.OUT)] == [sent.name]


def test_a_file_that_fails_stays_in_the_inbox_and_is_tried_again_after_a_doubling_wait(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    biller, claim, _ = batched_claim(session, "mb2", clock)
    box = FolderMailbox(tmp_path)
    text = answer_835(claim, "EFT-MB2").decode()
    marker = f"CLP*{claim.patient_control_number}*1*"
    broken = text.replace(marker, marker + "X", 1).encode()
    (tmp_path / "inbox" / "broken.835").parent.mkdir(parents=True)
    (tmp_path / "inbox" / "broken.835").write_bytes(broken)

    first = mailbox.poll(session, biller, box, clock)
    assert (first.received, first.failed) == (1, 1)
    [row] = received(session, biller.clinic_id)
    assert (row.outcome, row.attempts, utc(row.next_try_at)) == ("retrying", 1, clock.now() + mailbox.FIRST_WAIT)
    assert "CLP03" in (row.message or "")
    assert (tmp_path / "inbox" / "broken.835").is_file()

    clock.later(minutes=4)
    mailbox.poll(session, biller, box, clock)
    assert row.attempts == 1  # not due yet: nothing tried
    clock.later(minutes=2)
    mailbox.poll(session, biller, box, clock)
    assert (row.attempts, utc(row.next_try_at)) == (2, clock.now() + 2 * mailbox.FIRST_WAIT)
    assert (tmp_path / "inbox" / "broken.835").is_file()
    assert count(session, RemittanceFileRow, biller.clinic_id) == 0
    assert [mailbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert mailbox.backoff(30) == mailbox.LONGEST_WAIT


def test_a_cut_off_271_is_done_as_unreadable_and_a_cut_off_999_or_277_is_left_in_the_inbox_naming_the_segment(
    session: Session, tmp_path: Path
) -> None:
    clock = MovingClock()
    _, biller, _ = make_clinic(session, "mb3")
    isa = "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*PTBILLTEST     *260316*1500*^*00501*000000001*0*T*:~"
    files = {
        "ack.999": isa + "GS*FA*CH*PT*20260316*1500*1*X*005010X231A1~ST*999*0001*005010X231A1~",
        "claims.277": isa + "GS*HN*CH*PT*20260316*1500*2*X*005010X214~ST*277*0001*005010X214~",
        "status.277": isa + "GS*HN*CH*PT*20260316*1500*3*X*005010X212~ST*277*0001*005010X212~",
        "benefits.271": isa + "GS*HB*CH*PT*20260316*1500*4*X*005010X279A1~ST*271*0001*005010X279A1~",
        "notes.txt": "hello, this is not X12",
    }
    (tmp_path / "inbox").mkdir()
    for name, text in files.items():
        (tmp_path / "inbox" / name).write_text(text)
    result = mailbox.poll(session, biller, FolderMailbox(tmp_path), clock)
    assert (result.received, result.handled, result.failed) == (5, 2, 3)
    rows = {row.name: row for row in received(session, biller.clinic_id)}
    assert {name: (row.transaction_type, row.outcome) for name, row in rows.items()} == {
        "ack.999": ("999", "retrying"),
        "claims.277": ("277CA", "retrying"),
        "status.277": ("277", "retrying"),
        "benefits.271": ("271", "unreadable"),  # its reader is registered: a 271 cut off after ST is unreadable
        "notes.txt": ("unknown", "not_recognised"),
    }
    assert "not a readable 999: segment 3 (ST): the file ends before SE" in (rows["ack.999"].message or "")
    assert all(row.content == files[row.name].encode() for row in rows.values())
    assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == ["ack.999", "claims.277", "status.277"]
    assert transaction_kind(b"") == "unknown"


def test_another_clinics_batch_cannot_be_sent_and_its_files_are_not_listed(session: Session, tmp_path: Path) -> None:
    clock = MovingClock()
    biller, _, batch_id = batched_claim(session, "mb4", clock)
    _, other, _ = make_clinic(session, "mb4-other")
    with pytest.raises(access.NotFoundError):
        mailbox.send_batch(session, other, FolderMailbox(tmp_path / "other"), batch_id, clock)
    mailbox.send_batch(session, biller, FolderMailbox(tmp_path / "own"), batch_id, clock)
    assert mailbox.list_files(session, other, mailbox.OUT) == []


def test_a_failed_upload_leaves_the_batch_built_so_it_can_be_sent_again(session: Session, tmp_path: Path) -> None:
    clock = MovingClock()
    biller, claim, batch_id = batched_claim(session, "mb5", clock)
    (tmp_path / "outbox").write_text("a file where the outbox folder should be")
    with pytest.raises(MailboxError):
        mailbox.send_batch(session, biller, FolderMailbox(tmp_path), batch_id, clock)
    assert session.get(ClaimBatchRow, batch_id).status == "built"  # type: ignore[union-attr]
    assert claim.status != "submitted"
    assert mailbox.list_files(session, biller, mailbox.OUT) == []


def test_the_sftp_credential_is_stored_encrypted_never_shown_back_nor_audited(session: Session) -> None:
    clock = MovingClock()
    admin = make_admin(session, "mb6")
    password = "Correct-Horse-Battery-9"
    form = {
        "transport": "sftp",
        "host": "sftp.clearinghouse.example",
        "port": "2222",
        "username": "harbor",
        "auth": "password",
        "password": password,
        "known_host_key": HOST_KEY,
        "outbox_path": "/in",
        "inbox_path": "/out",
        "archive_path": "/out/done",
        "name_template": "{clinic}-{batch}.837",
    }
    saved = mailbox_settings.save_settings(session, admin, form, secret_key=SECRET, clock=clock)
    assert saved.credential_saved
    assert password not in repr(saved)
    row = session.scalar(select(ClinicMailboxRow).where(ClinicMailboxRow.clinic_id == admin.clinic_id))
    assert row is not None
    assert row.credential_encrypted is not None
    assert password not in row.credential_encrypted
    assert all(password not in str(getattr(row, c.key)) for c in ClinicMailboxRow.__table__.columns)
    assert mailbox_settings.decrypt_credential(SECRET, row.credential_encrypted) == password
    with pytest.raises(MailboxError, match="cannot be decrypted"):
        mailbox_settings.decrypt_credential("another-secret", row.credential_encrypted)
    details = session.scalars(select(AuditRow.detail).where(AuditRow.entity == "clinic_mailbox")).all()
    assert details
    assert all(password not in (d or "") for d in details)
    assert "credential replaced" in details[-1]  # type: ignore[operator]

    kept = mailbox_settings.save_settings(session, admin, {**form, "password": ""}, secret_key=SECRET, clock=clock)
    assert kept.credential_saved
    with pytest.raises(SettingsRefusedError) as refused:
        mailbox_settings.save_settings(
            session, admin, {**form, "port": "0", "name_template": "../{batch}"}, secret_key=SECRET, clock=clock
        )
    assert set(refused.value.problems) == {"port", "name_template"}
    biller = access.Actor(admin.user_id, admin.clinic_id, "biller", "B")
    with pytest.raises(access.ForbiddenError):
        mailbox_settings.save_settings(session, biller, form, secret_key=SECRET, clock=clock)


def make_admin(session: Session, name: str) -> access.Actor:
    _, biller, _ = make_clinic(session, name)
    return access.Actor(biller.user_id, biller.clinic_id, "admin", "Admin")


@pytest.mark.postgres
def test_two_polls_at_once_on_two_postgresql_connections_post_the_835_once(tmp_path: Path) -> None:
    from ptbill.storage.session import make_engine, session_factory, transaction
    from tests.integration.api.world import fresh_database
    from tests.integration.test_concurrency import together

    clock = MovingClock()
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            factory = session_factory(engine)
            with transaction(factory) as session:
                biller, claim, _ = batched_claim(session, "mbpg", clock)
                data = answer_835(claim, "EFT-MBPG")
            (tmp_path / "inbox").mkdir()
            (tmp_path / "inbox" / "era.835").write_bytes(data)

            def one_poll() -> mailbox.PollResult:
                with transaction(factory) as session:
                    return mailbox.poll(session, biller, FolderMailbox(tmp_path), clock)

            results = together(one_poll, one_poll)
            assert all(isinstance(r, mailbox.PollResult) for r in results), results
            assert sum(r.received for r in results) == 1
            with factory() as session:
                assert count(session, RemittanceFileRow, biller.clinic_id) == 1
                [row] = received(session, biller.clinic_id)
                assert row.outcome == "posted"
        finally:
            engine.dispose()
