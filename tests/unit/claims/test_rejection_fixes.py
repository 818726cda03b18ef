"""A rejection's fix and the ptbill checks it names: every rule id exists in the registry, a 277CA's STC is
judged by its status code then its entity, a 999's NM1 by the entity the segment we sent names."""

from __future__ import annotations

from ptbill.claim_status import rejections
from ptbill.claim_status.x12_276_277.codes import category, entity, status_code
from ptbill.domain.acknowledgment import SegmentNote
from ptbill.domain.claim_status import Status
from ptbill.domain.coded import Coded
from ptbill.rules.registry import all_rules


def test_every_check_a_rejection_names_is_a_registered_rule() -> None:
    known = {rule.id for rule in all_rules()}
    fixes = [value for value in vars(rejections).values() if isinstance(value, rejections.Fix)]
    assert len(fixes) >= 7
    assert {rule for fix in fixes for rule in fix.rule_ids} <= known


def test_the_277ca_status_code_names_the_fix_before_the_entity() -> None:
    npi = Status(category("A7"), status_code("562"), entity("85"))
    assert rejections.fix_for_statuses((npi,)) is rejections.NPI
    member = Status(category("A7"), status_code("21"), entity("IL"))
    assert rejections.fix_for_statuses((member,)) is rejections.MEMBER_ID
    diagnosis = Status(category("A6"), status_code("254"), entity("IL"))
    assert rejections.fix_for_statuses((diagnosis,)) is rejections.DIAGNOSIS
    assert rejections.fix_for_statuses((Status(category("A3"), status_code("999"), None),)) is rejections.GENERAL


def test_a_999_segment_error_is_judged_by_the_segment_we_sent_at_its_position() -> None:
    note = SegmentNote("NM1", 12, "2010", Coded("8", ""), (), ())
    sent = {12: ["NM1", "IL", "1", "GARCIA"], 7: ["NM1", "85", "2", "HARBOR PT"]}
    assert rejections.fix_for_segments((note,), sent.get) is rejections.MEMBER_ID
    billing = SegmentNote("NM1", 7, "2010", Coded("8", ""), (), ())
    assert rejections.fix_for_segments((billing,), sent.get) is rejections.NPI
    hi = SegmentNote("HI", 30, "2300", Coded("8", ""), (), ())
    assert rejections.fix_for_segments((hi,), sent.get) is rejections.DIAGNOSIS
