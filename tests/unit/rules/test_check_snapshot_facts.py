"""What the checks work out once per snapshot, or once per value that comes back note after note, is what they would
work out on each note.

TRACTION_REGION_DIAGNOSIS_MISMATCH reads the regions' diagnosis lists, DIAGNOSIS_NOT_COVERED the payer's
diagnosis policies and PAYER_SETTING_INVALID the clinic's refused values once per snapshot (``Snapshot.derived``);
DIAGNOSIS_POINTER_INVALID judges each tuple of pointers once; a traction line's region answer is read without
listing the diagnoses it points to. Each is compared here with the straightforward reading, over many values; the
rule cases and ``test_rule_plan_shapes`` check the findings themselves.
"""

from __future__ import annotations

import random
from datetime import date

from ptbill.domain.claim_line import MAX_DIAGNOSIS_POINTERS
from ptbill.domain.encounter import BodyRegion, normalize_diagnosis
from ptbill.reference.catalog import ResolvedValue, Snapshot, default_catalog
from ptbill.rules.checks.diagnoses import _HIGHEST, _highest, _policies
from ptbill.rules.checks.traction import _region_lists, _RegionCodes

DIAGNOSES = ["M54.16", "M50.122", "M54.5", "S13.4XXA", "M47.816", "M54.12", "M48.061", "G44.1", "M51.16", "Z99.99"]


def _snapshots() -> list[Snapshot]:
    catalog = default_catalog()
    days = [date(2015, 9, 1), date(2024, 3, 4), date(2026, 5, 6)]
    found = [catalog.snapshot(payer, day) for payer in sorted(catalog.payers()) for day in days]
    found.append(
        catalog.snapshot("aetna", date(2026, 5, 6)).with_overrides(
            {
                "coverage.covered_diagnoses.97110": ["M54.1", "M50.1"],
                "coverage.covered_diagnoses.97012": ["M51.1", "S13"],
                "traction.region_diagnoses.lumbar": ["M54.1"],
            }
        )
    )
    return found


def test_a_line_s_region_answer_is_that_of_the_diagnoses_it_points_to() -> None:
    """``name_pointed`` answers as the list of the diagnoses the line points to within the note's list would (all
    the note's diagnoses when it points to none of them)."""
    rng = random.Random(71)
    region = _RegionCodes(("M54.1", "M51.1", "M48.06", "M47.816"))
    for _ in range(5000):
        diagnoses = tuple(normalize_diagnosis(d) for d in rng.sample(DIAGNOSES, rng.randint(0, 4)))
        pointers = tuple(rng.choice([1, 1, 2, 3, 4, 5, 12]) for _ in range(rng.randint(0, 5)))
        pointed = [diagnoses[p - 1] for p in pointers if 1 <= p <= len(diagnoses)] or list(diagnoses)
        expected = any(code.startswith(region.prefixes) for code in pointed)
        assert region.name_pointed(diagnoses, pointers) is expected, (diagnoses, pointers)


def test_a_line_s_pointers_are_judged_as_their_least_and_greatest_judge_them() -> None:
    rng = random.Random(72)
    _HIGHEST.clear()
    for _ in range(5000):
        pointers = tuple(rng.randint(0, 14) for _ in range(rng.randint(1, 6)))
        count = rng.randint(0, 12)
        expected = len(pointers) > MAX_DIAGNOSIS_POINTERS or min(pointers) < 1 or max(pointers) > count
        assert ((_HIGHEST.get(pointers) or _highest(pointers)) > count) is expected, (pointers, count)


def _resolved(snapshot: Snapshot, family: str, keys: list[str]) -> dict[str, ResolvedValue]:
    """The snapshot's value of each ``family.key`` that has one, by key."""
    return {key: value for key in keys if (value := snapshot.resolved(f"{family}.{key}")) is not None}


def test_a_snapshot_s_diagnosis_policies_are_what_each_code_resolves_to() -> None:
    codes = sorted(default_catalog().procedure_codes)
    for snapshot in _snapshots():
        policies = _policies(snapshot)
        assert {code: policy for code, (policy, _) in policies.items()} == _resolved(
            snapshot, "coverage.covered_diagnoses", codes
        )
        for policy, prefixes in policies.values():
            assert prefixes == tuple(normalize_diagnosis(p) for p in policy.codes)
    assert any(_policies(snapshot) for snapshot in _snapshots())


def test_a_snapshot_s_region_lists_are_what_each_region_resolves_to() -> None:
    for snapshot in _snapshots():
        lists = _region_lists(snapshot)
        assert {region.value: parameter for region, (parameter, _) in lists.items()} == _resolved(
            snapshot, "traction.region_diagnoses", [region.value for region in BodyRegion]
        )
        for parameter, codes in lists.values():
            assert codes.prefixes == tuple(normalize_diagnosis(c) for c in parameter.codes)
