"""Denial knowledge: each CARC/RARC gets a biller's reason, a next step and the checks that should have caught it."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ServicePayment
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.denials import (
    DEFAULT_PATH,
    DenialKnowledge,
    DenialReason,
    appeal_deadline,
    classify,
    classify_each,
    shipped_knowledge,
)
from ptbill.remittance.x12_835.reader import read_835
from ptbill.rules import checks  # noqa: F401  (importing registers every check)
from ptbill.rules.registry import rule_by_id
from tests.unit.remittance.synthetic_835 import medicare_remittance

CO, PR, OA = AdjustmentGroup.CONTRACTUAL, AdjustmentGroup.PATIENT, AdjustmentGroup.OTHER
TODAY = date(2026, 11, 26)


def reason_for(group: AdjustmentGroup, carc: str, *remarks: str, deadline: int | None = None) -> DenialReason:
    return classify(Adjustment(group, carc, Decimal("40")), remarks=remarks, appeal_deadline_days=deadline)


# The closed loop: what should have been caught before the claim went out.
@pytest.mark.parametrize(
    ("group", "carc", "remarks", "rules"),
    [
        (CO, "4", (), ["MODIFIER_GP_MISSING", "MODIFIER_CQ_MISSING", "MODIFIER_KX_MISSING", "NCCI_MODIFIER_REQUIRED"]),
        (CO, "50", (), ["JUSTIFICATION_MISSING", "DIAGNOSIS_NOT_COVERED"]),
        (CO, "16", ("N661",), ["JUSTIFICATION_MISSING", "DIAGNOSIS_NOT_COVERED"]),
        (CO, "197", (), ["AUTH_MISSING", "AUTH_EXPIRED", "AUTH_VISITS_EXHAUSTED"]),
        (CO, "16", ("N443",), ["TIME_NOT_DOCUMENTED", "START_END_TIMES_MISSING", "TOTAL_TIME_MISSING"]),
        (CO, "236", (), ["NCCI_MODIFIER_REQUIRED", "NCCI_PAIR_NOT_ALLOWED"]),
        (CO, "151", (), ["AUTH_VISITS_EXHAUSTED", "UNITS_EXCEED_MUE"]),
        (CO, "96", ("N640",), ["AUTH_VISITS_EXHAUSTED", "UNITS_EXCEED_MUE", "SERVICE_NOT_COVERED", "CODE_NOT_PAYABLE"]),
        (CO, "16", ("M53",), ["UNITS_MISMATCH", "UNITS_EXCEED_MUE", "TIMED_MINUTES_MISSING"]),
        (CO, "16", ("N362",), ["UNITS_EXCEED_MUE", "UNITS_MISMATCH"]),
        (CO, "16", ("N430",), ["UNITS_MISMATCH", "UNITS_EXCEED_MUE"]),
        (CO, "16", ("M141",), ["POC_MISSING", "POC_NOT_CERTIFIED"]),
        (CO, "16", ("N485",), ["POC_MISSING", "POC_NOT_CERTIFIED"]),
        (CO, "16", ("N486",), ["POC_NOT_CERTIFIED", "POC_EXPIRED", "POC_MISSING"]),
        (CO, "167", (), ["DIAGNOSIS_NOT_COVERED"]),
        (CO, "97", (), ["NCCI_MODIFIER_REQUIRED", "NCCI_PAIR_NOT_ALLOWED", "CODE_NOT_PAYABLE"]),
        (CO, "119", (), ["AUTH_VISITS_EXHAUSTED"]),
        (CO, "204", (), ["SERVICE_NOT_COVERED"]),
        (CO, "234", (), ["NCCI_MODIFIER_REQUIRED", "NCCI_PAIR_NOT_ALLOWED", "CODE_NOT_PAYABLE"]),
    ],
)  # fmt: skip
def test_each_denial_names_the_checks_that_should_have_caught_it(
    group: AdjustmentGroup, carc: str, remarks: tuple[str, ...], rules: list[str]
) -> None:
    reason = reason_for(group, carc, *remarks)
    assert reason.is_denial
    assert list(reason.rules) == rules
    assert reason.reason
    assert reason.next_action
    assert reason.sources


def test_a_remark_explains_a_see_the_remark_carc_better_than_the_carc() -> None:
    reason = reason_for(CO, "16", "N443")
    assert "treatment times" in reason.reason
    assert (reason.carc, reason.rarcs, reason.group) == ("16", ("N443",), CO)


def test_the_carc_speaks_first_when_it_is_specific() -> None:
    reason = reason_for(CO, "50", "N661")
    assert "medically necessary" in reason.reason
    assert reason.rules == ("JUSTIFICATION_MISSING", "DIAGNOSIS_NOT_COVERED")


@pytest.mark.parametrize(
    ("group", "carc", "words"),
    [
        (CO, "45", "contractual"),
        (CO, "253", "sequestration"),
        (PR, "1", "deductible"),
        (PR, "2", "coinsurance"),
        (PR, "3", "copay"),
        (CO, "59", "multiple procedure"),
    ],
)
def test_write_offs_and_patient_shares_are_not_denials(group: AdjustmentGroup, carc: str, words: str) -> None:
    reason = reason_for(group, carc, "N661", deadline=120)  # a remark meant for another line changes nothing
    assert not reason.is_denial
    assert words in reason.reason.lower()
    assert reason.rules == ()
    assert reason.appeal_deadline_days is None


def test_an_unknown_code_says_so_and_asks_for_a_newer_list() -> None:
    reason = reason_for(CO, "999")
    assert reason.reason == "unknown CARC 999 (load a newer list)"
    assert not reason.is_denial
    assert reason.rules == ()
    line = ServicePayment(
        "HC", "97012", ("GP",), Decimal(40), Decimal(0), adjustments=(Adjustment(CO, "999", Decimal(40)),)
    )
    assert classify(line, appeal_deadline_days=120).is_denial  # nothing paid: a denial, whatever the code
    prior_payer = reason_for(OA, "23")  # a secondary payer's share of what the primary settled: an entry of its own
    assert "secondary or tertiary" in prior_payer.reason
    assert not prior_payer.is_denial


def test_appeal_deadline_comes_from_the_payer_parameter_and_only_for_appealable_denials() -> None:
    medicare = default_catalog().snapshot("ca-medicare", TODAY)
    days = medicare.value("appeals.redetermination_days")
    assert days == 120
    resolved = medicare.resolved("appeals.redetermination_days")
    assert resolved is not None
    assert "405.942" in resolved.reference
    assert reason_for(CO, "50", deadline=days).appeal_deadline_days == 120
    assert reason_for(CO, "50").appeal_deadline_days is None  # no parameter given, no deadline invented
    unprocessable = reason_for(CO, "16", "MA130", "M53", deadline=days)
    assert unprocessable.is_denial
    assert unprocessable.appeal_deadline_days is None
    assert "No appeal rights" in unprocessable.next_action
    assert reason_for(OA, "18", deadline=days).appeal_deadline_days is None  # duplicates are not appealed
    receipt = medicare.value("appeals.receipt_presumed_days")
    assert appeal_deadline(date(2026, 11, 20), days, receipt) == date(2027, 3, 25)
    assert default_catalog().snapshot("aetna", TODAY).value("appeals.redetermination_days", None) is None


def test_patient_liable_denials_say_to_bill_the_patient() -> None:
    reason = reason_for(PR, "96", "N425")
    assert reason.is_denial
    assert reason.next_action.endswith("bill the patient.")
    assert "Group PR" in reason.next_action


def test_a_read_remittance_classifies_claim_by_claim() -> None:
    (remittance,) = read_835(medicare_remittance())
    reversal, corrected, paid, denied = remittance.claims
    assert not classify(reversal).is_denial
    assert "reversed" in classify(reversal).reason
    main = classify(denied, appeal_deadline_days=120)
    assert main.is_denial
    assert main.carc == "50"
    assert main.appeal_deadline_days == 120
    each = classify_each(denied)
    assert [(r.carc, r.rarcs, r.rules) for r in each] == [
        ("50", ("N661",), ("JUSTIFICATION_MISSING", "DIAGNOSIS_NOT_COVERED")),
        ("16", ("N443",), ("TIME_NOT_DOCUMENTED", "START_END_TIMES_MISSING", "TOTAL_TIME_MISSING")),
    ]
    assert not classify(paid).is_denial
    assert [r.carc for r in classify_each(paid)] == ["45", "2", "45", "2"]
    line_reason = classify(corrected.service_lines[1])
    assert line_reason.carc == "45"
    assert not line_reason.is_denial


def test_a_line_with_only_a_remark_is_explained_by_the_remark() -> None:
    line = ServicePayment("HC", "97110", ("GP",), Decimal(40), Decimal(40), remark_codes=("N670",))
    reason = classify(line)
    assert not reason.is_denial
    assert "multiple procedure" in reason.reason
    plain = classify(ServicePayment("HC", "97110", ("GP",), Decimal(40), Decimal(40)))
    assert plain.reason == "Paid with no adjustment."
    assert not plain.is_denial


def test_every_rule_named_exists_and_every_entry_cites_a_source() -> None:
    knowledge = shipped_knowledge()
    assert len(knowledge.entries) >= 50
    for entry in knowledge.entries:
        assert entry.source, entry.name
        for rule_id in entry.rules:
            assert rule_by_id(rule_id), f"{entry.name} names unknown check {rule_id}"


def test_the_brief_s_codes_all_have_entries() -> None:
    knowledge = shipped_knowledge()
    carcs = {e.carc for e in knowledge.entries}
    rarcs = {r for e in knowledge.entries for r in e.rarcs}
    wanted_carcs = {"1", "2", "3", "4", "16", "18", "45", "50", "96", "97", "119", "151", "167", "197", "204"}
    assert wanted_carcs | {"234", "236", "253"} <= carcs
    assert {"N661", "N443", "N640", "M53", "N362", "N430", "M141", "N485", "N486", "N465", "N466"} <= rarcs


def test_the_denial_file_is_also_a_parameter_file_the_catalog_layers() -> None:
    snapshot = default_catalog().snapshot("aetna", TODAY)
    assert snapshot.resolved("denials.carc.197") is not None
    from_catalog = DenialKnowledge.from_snapshot(snapshot)
    from_file = DenialKnowledge.load(on=TODAY)
    assert {e.name for e in from_catalog.entries} == {e.name for e in from_file.entries}


def test_a_clinic_or_payer_file_can_replace_an_entry(tmp_path: Path) -> None:
    own = tmp_path / "denials.yaml"
    own.write_text(
        """
denials.carc.197:
  description: Our payer's authorization denial.
  reference: "Acme Health provider manual 2026, ch. 4"
  confidence: payer
  values:
    2000-01-01:
      carc: "197"
      groups: [CO]
      reason: Acme requires an authorization from the 7th visit.
      next_action: Call Acme's utilization line for a retro-authorization within 14 days.
      rules: [AUTH_MISSING]
      denial: true
    2027-01-01: null
""",
        encoding="utf-8",
    )
    knowledge = DenialKnowledge.load(own, on=TODAY)
    reason = classify(Adjustment(CO, "197", Decimal(10)), knowledge)
    assert reason.rules == ("AUTH_MISSING",)
    assert reason.sources == ("Acme Health provider manual 2026, ch. 4",)
    # Group PR is outside the entry: the code's own text answers.
    other = classify(Adjustment(PR, "197", Decimal(10)), knowledge)
    assert other.reason == "Precertification/authorization/notification/pre-treatment absent."
    assert not other.rules
    assert DenialKnowledge.load(own, on=date(2027, 2, 1)).entries == ()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("reason: r\n      next_action: n\n      rules: []\n      denial: true", "needs a carc, or rarcs"),
        ('carc: "4"\n      next_action: n\n      rules: []\n      denial: true', "reason and next_action"),
        ('carc: "4"\n      reason: r\n      next_action: n\n      rules: []', "denial (required)"),
        ('carc: "4"\n      reason: r\n      next_action: n\n      denial: true\n      colour: red', "unknown field"),
        ('carc: "4"\n      groups: [ZZ]\n      reason: r\n      next_action: n\n      denial: true', "ZZ"),
    ],
)
def test_a_malformed_entry_is_refused_with_its_name(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "denials.yaml"
    path.write_text(
        f'denials.x:\n  reference: "test"\n  confidence: clinic\n  values:\n    2000-01-01:\n      {body}\n',
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match=re.escape(problem)) as caught:
        DenialKnowledge.load(path, on=TODAY)
    assert "denials.x" in str(caught.value)


def test_the_shipped_file_is_where_the_package_says() -> None:
    assert DEFAULT_PATH.name == "denials.yaml"
    assert DEFAULT_PATH.is_file()


def test_a_denied_claim_without_any_code_still_reads_as_a_denial() -> None:
    (remittance,) = read_835(medicare_remittance())
    denied = remittance.claims[3]
    bare = dataclasses.replace(denied, service_lines=())
    reason = classify(bare, appeal_deadline_days=120)
    assert reason.is_denial
    assert reason.reason == "The payer denied the claim without an adjustment reason code."
    assert reason.appeal_deadline_days == 120
