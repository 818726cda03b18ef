"""``build_context`` makes the rule context positionally (cheaper than keywords): each field must still get its own
value, whatever the order the dataclass declares them in."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.rules.context import CheckContext
from ptbill.rules.engine import ClinicContext, build_context

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "medicare-lumbar-clean.json"


def test_build_context_gives_each_field_its_own_value() -> None:
    catalog = default_catalog()
    encounter = encounter_from_dict(json.loads(SCENARIO.read_text(encoding="utf-8")))
    # Distinct objects for what the app hands over, so that two fields swapped cannot compare equal.
    eligibility, plan, signatures, same_day, abn = (object() for _ in range(5))
    clinic = ClinicContext(
        medicare_locality="01112-75",
        therapy_claims_this_year=Decimal("123.45"),
        eligibility=cast(Any, eligibility),
        visits_this_week=(date(2026, 3, 2),),
        certified_plan=cast(Any, plan),
        signatures=cast(Any, signatures),
    )
    today = date(2026, 12, 7)
    context = build_context(
        encounter, catalog, clinic=clinic, today=today, same_day=[cast(Any, same_day)], abns=[cast(Any, abn)]
    )
    snapshot = catalog.snapshot(encounter.coverage.payer, encounter.date_of_service)
    icd10, exact = catalog.icd10_for(encounter.date_of_service)
    expected = CheckContext(
        encounter=encounter,
        snapshot=snapshot,
        codes=catalog.procedure_codes,
        icd10=icd10,
        icd10_exact=exact,
        ptp=catalog.ptp_table(),
        mue=catalog.mue_table(),
        payer_known=True,
        is_medicare=True,
        medicare_schedule=context.medicare_schedule,  # the shipped schedule: checked below
        fee_schedule=None,
        medicare_locality="01112-75",
        zip_table=None,
        therapy_claims_this_year=Decimal("123.45"),
        modifiers=ModifierCodeSet.default(),
        today=today,
        same_day=(cast(Any, same_day),),
        abns=(cast(Any, abn),),
        eligibility=cast(Any, eligibility),
        visits_this_week=(date(2026, 3, 2),),
        certified_plan=cast(Any, plan),
        signatures=cast(Any, signatures),
    )
    for field in dataclasses.fields(CheckContext):
        assert getattr(context, field.name) == getattr(expected, field.name), field.name
    assert context.medicare_schedule is CheckContext(encounter, snapshot, {}).medicare_schedule
