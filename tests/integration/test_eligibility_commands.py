"""`ptbill eligibility request|record|show` against a real SQLite clinic database, in a subprocess as a user
types them: a 270 written or sent, a 271 recorded, the latest answer printed; refusals on one line."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ptbill.eligibility.x12_270_271.reader import read_270
from ptbill.storage.session import make_engine, session_factory, transaction
from tests.eligibility_271 import ACTIVE_500_20, write_271
from tests.integration.test_back_office_commands import ptbill
from tests.integration.test_eligibility import NOTE, _coverage
from tests.integration.test_storage_services import make_clinic
from tests.migrated import migrate


def test_a_270_is_written_and_sent_a_271_recorded_and_the_latest_answer_shown(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        _pt, biller, patient = make_clinic(session, "elig-cli")
        coverage_id = _coverage(session, biller, patient.id)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path), "PTBILL_TODAY": "2026-02-27"}
    out = tmp_path / "ask.270"

    written = ptbill(env, "eligibility", "request", str(patient.id), "--date", "2026-03-02", "--out", str(out))
    assert written.returncode == 0, written.stderr
    (request,) = read_270(out.read_text())
    (inquiry,) = request.inquiries
    assert (inquiry.service_date, inquiry.subscriber.id) == (date(2026, 3, 2), NOTE["coverage"]["member_id"])
    sent = ptbill(env, "eligibility", "request", str(patient.id), "--coverage", str(coverage_id), "--send")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("270 for 2026-02-27 sent as ")
    assert ".270 (trace " in sent.stdout
    answer = tmp_path / "answer.271"
    answer.write_text(write_271(member_id=NOTE["coverage"]["member_id"], last="TESTWELL", first="AVA",
                                trace=inquiry.trace_number, benefits=ACTIVE_500_20))  # fmt: skip

    recorded = ptbill(env, "eligibility", "record", str(answer))
    shown = ptbill(env, "eligibility", "show", str(patient.id))

    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout.splitlines() == [
        "1 eligibility answer(s): 1 matched, 0 unmatched",
        f"  matched: patient {patient.id}, coverage {coverage_id}: active",
    ]
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[:5] == [
        f"coverage {coverage_id}: Active (271 received 2026-02-27 for 2026-03-02)",
        "  plan dates: 2026-01-01 to open",
        "  deductible left $500.00 of $1,500.00; out of pocket left $4,200.00 of $6,000.00",
        "  coinsurance 20 %; copay —",
        "  visits left 12 of 30",
    ]


def test_the_commands_refuse_on_one_line_without_a_user_or_with_a_broken_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path)}
    nobody = ptbill(env, "eligibility", "show", "1")
    assert nobody.returncode == 2
    assert "no biller or admin in the database" in nobody.stderr
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        make_clinic(session, "elig-cli2")
    engine.dispose()
    broken = tmp_path / "broken.271"
    broken.write_text("ISA*00*not a 271~")
    refused = ptbill(env, "eligibility", "record", str(broken))
    assert refused.returncode == 1
    assert refused.stderr.startswith("broken.271 not recorded: not a readable 271")
    assert "Traceback" not in refused.stderr
    missing = ptbill(env, "eligibility", "request", "999")
    assert (missing.returncode, missing.stderr.strip()) == (1, "no 270 for patient 999: patient 999 not found")
