"""`ptbill remit`, `denials`, `appeal` and `report` against a real (SQLite) clinic database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import AuditRow, ClaimRow, RemittanceRow
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate
from tests.unit.remittance.synthetic_835 import interchange, medicare_remittance

ROOT = Path(__file__).resolve().parents[2]


def ptbill(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptbill", *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )


def test_post_an_835_then_work_its_denial_and_print_reports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    migrate(url)
    factory = session_factory(make_engine(url))
    with transaction(factory) as session:
        seed_demo(session, encounters=40, patients=10, today=DEMO_TODAY)
    # The demo holds two clinics: the commands act as Harbor's biller.
    env = {**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path), "PTBILL_USER": "biller@harbor.example"}

    # The biller bills the signed notes through the app's own services (what the queue page does).
    from ptbill.services import billing, users
    from ptbill.services import queue as queue_service

    with transaction(factory) as session:
        biller = users.authenticate(session, "biller@harbor.example", DEMO_PASSWORD)
        assert biller is not None
        signed = [row.id for row, _ in queue_service.work_queue(session, biller)["ready"]][:2]
        claims = billing.build_claims(session, biller, signed)
        paid, denied = claims[0], claims[1]
        payments = []
        for claim, status in ((paid, ClaimStatus.PRIMARY), (denied, ClaimStatus.DENIED)):
            lines = tuple(
                ServicePayment(
                    "HC",
                    line.code,
                    tuple(line.modifiers),
                    line.charge,
                    Decimal("0") if status is ClaimStatus.DENIED else Decimal("10.00"),
                    service_start=claim.service_date,
                    adjustments=(
                        Adjustment(
                            AdjustmentGroup.CONTRACTUAL,
                            "197" if status is ClaimStatus.DENIED else "45",
                            line.charge - (Decimal(0) if status is ClaimStatus.DENIED else Decimal("10.00")),
                        ),
                    ),
                )
                for line in claim.lines
            )
            payments.append(
                ClaimPayment(
                    claim.patient_control_number,
                    status,
                    claim.total_charge,
                    sum((s.paid for s in lines), Decimal(0)),
                    patient_responsibility=Decimal(0),
                    payer_claim_control_number=f"PCN{claim.id}",
                    service_lines=lines,
                )
            )
        remittance = Remittance(
            payer_name="PAYER",
            payer_id="PAYER1",
            payee_name="HARBOR",
            payee_npi="1245319599",
            payee_tax_id=None,
            handling=None,
            payment_amount=sum((p.paid for p in payments), Decimal(0)),
            credit_debit=None,
            payment_method=None,
            payment_date=paid.service_date,
            trace_number="CLI-TRACE",
            originating_company_id=None,
            production_date=None,
            claims=tuple(payments),
        )
        denied_id = denied.id
    era = tmp_path / "era.835"
    era.write_text(write_835(remittance))

    posted = ptbill(env, "remit", str(era))
    assert posted.returncode == 0, posted.stderr
    assert "2 claim(s) posted, 0 already posted" in posted.stdout
    assert "denied 1 claim(s)" in posted.stdout
    again = ptbill(env, "remit", str(era))
    assert "0 claim(s) posted, 2 already posted" in again.stdout

    worklist = ptbill(env, "denials")
    assert worklist.returncode == 0
    assert "CO-197" in worklist.stdout
    assert "AUTH_MISSING" in worklist.stdout
    assert f"claim {denied_id} " in worklist.stdout

    owed = ptbill(env, "balances", str(denied_id), str(paid.id))
    assert owed.returncode == 0, owed.stderr
    by_claim = {line.split(" (")[0]: line for line in owed.stdout.splitlines()}
    assert set(by_claim) == {f"claim {denied_id}", f"claim {paid.id}"}
    assert f"denied: charge ${denied.total_charge:,.2f}; payer $0.00; patient $0.00" in by_claim[f"claim {denied_id}"]
    assert f"; denied ${denied.total_charge:,.2f}" in by_claim[f"claim {denied_id}"]
    assert f"payer ${Decimal('10.00') * len(paid.lines):,.2f}; patient $0.00" in by_claim[f"claim {paid.id}"]

    pdf = tmp_path / "appeal.pdf"
    appealed = ptbill(env, "appeal", str(denied_id), "-o", str(pdf))
    assert appealed.returncode == 0, appealed.stderr
    assert pdf.read_bytes().startswith(b"%PDF")

    corrected = ptbill(env, "correct", str(paid.id))
    assert corrected.returncode == 0, corrected.stderr
    assert f"corrects claim {paid.id}, payer claim number PCN{paid.id}" in corrected.stdout
    twice = ptbill(env, "correct", str(paid.id))
    assert twice.returncode == 1
    assert "already corrected" in twice.stderr
    assert ptbill(env, "correct", "999999").returncode == 2

    csv_path, png_path = tmp_path / "r.csv", tmp_path / "r.png"
    report = ptbill(env, "report", "reimbursement-97012", "--csv", str(csv_path), "--png", str(png_path))
    assert report.returncode == 0
    assert "guide average" in report.stdout
    assert csv_path.read_text().startswith("payer,type,guide average,your average reimbursed")
    assert png_path.read_bytes().startswith(b"\x89PNG")
    aging = ptbill(env, "report", "ar-aging", "--party", "all", "--basis", "submission", "--by", "patient")
    assert aging.returncode == 0, aging.stderr
    assert aging.stdout.splitlines()[1].split()[:3] == ["name", "claims", "0-30"]
    assert "Aged by date of submission" in aging.stdout
    assert ptbill(env, "report", "productivity", "--location", "home").returncode == 0
    assert ptbill(env, "report", "ar-aging", "--party", "nobody").returncode == 2

    with transaction(factory) as session:
        rows = {row.id: row for row in session.scalars(select(ClaimRow).where(ClaimRow.id.in_([paid.id, denied_id])))}
        assert rows[denied_id].status == "denied"
        assert rows[paid.id].paid_amount == Decimal("10.00") * len(rows[paid.id].lines)


def test_remit_refuses_a_broken_file_without_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    migrate(url)
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, encounters=2, patients=2, today=DEMO_TODAY)
    broken = tmp_path / "broken.835"
    broken.write_text("ISA*00*nonsense~")
    result = ptbill({**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path)}, "remit", str(broken))
    assert result.returncode == 2
    assert "broken.835: not posted" in result.stderr
    assert "Traceback" not in result.stderr


def demo_database(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A two-clinic demo database, and the environment that points `ptbill` at it."""
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    migrate(url)
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, encounters=2, patients=2, today=DEMO_TODAY)
    return url, {**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path)}


def stored(url: str, table: type[RemittanceRow] | type[AuditRow], **where: str) -> int:
    with session_factory(make_engine(url))() as session:
        query = select(func.count()).select_from(table).filter_by(**where)
        return int(session.scalar(query) or 0)


def test_remit_without_user_on_a_database_of_two_clinics_refuses_to_guess_the_clinic(tmp_path: Path) -> None:
    url, env = demo_database(tmp_path)
    era = tmp_path / "era.835"
    era.write_text(medicare_remittance())
    result = ptbill(env, "remit", str(era))
    assert result.returncode == 2
    assert "this database holds 2 clinics: say whose biller or admin you act as with --user EMAIL" in result.stderr
    assert stored(url, RemittanceRow) == 0
    assert ptbill(env, "remit", "--user", "biller@harbor.example", str(era)).returncode == 0
    assert stored(url, RemittanceRow) == 1


def test_remit_on_a_database_without_users_exits_non_zero(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    era = tmp_path / "era.835"
    era.write_text(medicare_remittance())
    result = ptbill({**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path)}, "remit", str(era))
    assert result.returncode == 2
    assert "no biller or admin in the database" in result.stderr


def test_remit_refuses_an_unbalanced_file_naming_the_amounts_unless_accepted_which_is_audited(tmp_path: Path) -> None:
    url, env = demo_database(tmp_path)
    env["PTBILL_USER"] = "biller@harbor.example"
    era = tmp_path / "era.835"
    era.write_text(medicare_remittance().replace("BPR*I*51.3*", "BPR*I*61.3*"))
    refused = ptbill(env, "remit", str(era))
    assert refused.returncode == 2
    assert f"{era}: not posted: its amounts do not balance:" in refused.stderr
    assert (
        "remittance 0001: payment 61.3 (BPR02) is not claims paid 84.8 (Σ CLP04) less provider adjustments "
        "33.5 (Σ PLB) = 51.3" in refused.stderr
    )
    assert "--accept-unbalanced" in refused.stderr
    assert stored(url, RemittanceRow) == 0

    accepted = ptbill(env, "remit", "--accept-unbalanced", str(era))
    assert accepted.returncode == 0, accepted.stderr
    assert "4 claim(s) posted" in accepted.stdout
    assert "posted although it does not balance (audited): remittance 0001: payment 61.3" in accepted.stderr
    assert stored(url, RemittanceRow) == 1
    assert stored(url, AuditRow, action="override", entity="remittance") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            medicare_remittance().replace("~\n", "\n").replace(":\n", ":~", 1),
            "segment 2 (GS): the ISA declares '~' as the segment terminator (the character after ISA16), but the "
            "segments after it end with line breaks",
        ),
        (
            interchange(),
            "the file holds no 835 transaction (ST*835 ... SE)",
        ),
    ],
    ids=["terminator-mismatch", "no-transaction"],
)
def test_remit_refuses_a_file_it_would_post_nothing_from_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    url, env = demo_database(tmp_path)
    era = tmp_path / "era.835"
    era.write_text(text)
    result = ptbill({**env, "PTBILL_USER": "biller@harbor.example"}, "remit", str(era))
    assert result.returncode == 2
    assert f"{era}: not posted: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert stored(url, RemittanceRow) == 0


def test_remit_stores_the_files_summary_and_a_second_run_names_the_file_posted_before(tmp_path: Path) -> None:
    url, env = demo_database(tmp_path)
    env["PTBILL_USER"] = "biller@harbor.example"
    era = tmp_path / "era.835"
    era.write_text(medicare_remittance())
    first = ptbill(env, "remit", str(era))
    assert first.returncode == 0, first.stderr
    stored_as = re.search(r"summary stored as remittance file #(\d+) \(page /remittances/(\d+)\)", first.stdout)
    assert stored_as is not None, first.stdout
    again = ptbill(env, "remit", str(era))
    assert again.returncode == 0, again.stderr
    assert "0 claim(s) posted" in again.stdout
    assert f"the same file was posted before as remittance file #{stored_as.group(1)}" in again.stdout
    assert stored(url, RemittanceRow) == 1
