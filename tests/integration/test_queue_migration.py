"""Migration 0013_queue fills the new columns of the checks stored before it."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from ptbill.storage.migrate import upgrade


def test_0013_backfills_expected_payment_and_rule_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{path}", "0009_password_change")
    lines = [{"code": "97012", "expected_payment": 12.5}, {"code": "97110", "expected_payment": 30.01}]
    findings = [{"rule": "UNITS_MISMATCH"}, {"rule": "CODE_UNKNOWN"}, {"rule": "UNITS_MISMATCH"}]
    with sqlite3.connect(path) as db:  # foreign keys are off on a plain connection: the checks stand alone
        insert = (
            "INSERT INTO encounter_checks (encounter_id, encounter_version, ruleset_version, verdict, findings, "
            "claim_lines) VALUES (?, 1, 't', 'ready', ?, ?)"
        )
        db.execute(insert, (1, json.dumps(findings), json.dumps(lines)))
        db.execute(insert, (2, "[]", json.dumps([{"code": "97012"}])))
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT expected_payment, finding_rules FROM encounter_checks ORDER BY id").fetchall()
    assert Decimal(str(rows[0][0])) == Decimal("42.51")
    assert rows[0][1] == " CODE_UNKNOWN UNITS_MISMATCH "
    assert rows[1] == (None, "")
