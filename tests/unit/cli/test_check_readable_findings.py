"""`ptbill check` as a person reads it: the finding's words first and the rule id small after them, one
line for a problem of the whole visit, and a note dated after today refused."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from ptbill.domain.clock import SYSTEM_CLOCK
from tests.unit.cli.test_cli_contract import ROOT, ptbill

PTA_SCENARIO = ROOT / "tests" / "scenarios" / "medicare-lumbar-pta-cq.json"


def test_a_note_dated_after_today_is_blocked_by_the_command(tmp_path: Path) -> None:
    document = json.loads(PTA_SCENARIO.read_text())
    document["date_of_service"] = (SYSTEM_CLOCK.today() + timedelta(days=30)).isoformat()
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document))
    result = ptbill("check", "--json", str(path))
    assert result.returncode == 1
    refused = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "DATE_OF_SERVICE_IN_FUTURE"]
    assert [(f["severity"], f["field"]) for f in refused] == [("error", "date_of_service")]


def test_a_visit_wide_problem_is_one_readable_line_with_the_rule_id_after_the_words(tmp_path: Path) -> None:
    document = json.loads(PTA_SCENARIO.read_text())
    for service in document["services"]:
        service["modifiers"] = ["GP"]
    path = tmp_path / "pta.json"
    path.write_text(json.dumps(document))
    result = ptbill("check", str(path))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "MODIFIER_CQ_MISSING" in line]
    assert lines == [
        "  error   97012, 97110 and 97140 were furnished by PTA Sam Ortiz and have no CQ.  [MODIFIER_CQ_MISSING]"
    ]
