"""Snapshots of days that resolve alike share what they resolved; a day across a value change never does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ptbill.reference.catalog import ReferenceCatalog, Snapshot, change_days
from ptbill.reference.icd10 import default_catalog as icd10_catalog
from ptbill.reference.parameters import ClinicChange, ParameterLayer, clinic_layer_from
from ptbill.rules.engine import rule_plan

PAYERS = ("ca-medicare", "aetna", "commercial-default")


def _days_around_changes(catalog: ReferenceCatalog, payer_id: str) -> list[date]:
    payer = catalog.payer(payer_id)
    assert payer is not None
    changes = [*change_days(catalog.layers_for(payer))[-12:], date(2026, 3, 2), date(2026, 9, 30)]
    return sorted({day + timedelta(days=shift) for day in changes for shift in (-1, 0, 1)})


@pytest.mark.parametrize("payer_id", PAYERS)
def test_every_parameter_resolves_as_an_unshared_snapshot_of_the_day(payer_id: str) -> None:
    catalog = ReferenceCatalog()
    payer = catalog.payer(payer_id)
    assert payer is not None
    layers = catalog.layers_for(payer)
    days = _days_around_changes(catalog, payer_id)
    names = catalog.snapshot(payer_id, days[0]).names()
    for day in days:  # each day's snapshot after its neighbours' filled the shared state
        shared, alone = catalog.snapshot(payer_id, day), Snapshot(day, payer, layers)
        for name in names:
            assert shared.resolved(name) == alone.resolved(name), (payer_id, day, name)
        assert rule_plan(shared) == rule_plan(alone)


def test_a_value_change_splits_the_days_and_the_days_between_share() -> None:
    catalog = ReferenceCatalog()
    payer = catalog.payer("ca-medicare")
    assert payer is not None
    change = next(d for d in change_days(catalog.layers_for(payer)) if d.year >= 2024)
    before, on, after = change - timedelta(days=1), change, change + timedelta(days=1)
    assert catalog.snapshot("ca-medicare", on)._shared is catalog.snapshot("ca-medicare", after)._shared or (
        after in change_days(catalog.layers_for(payer))
    )
    assert catalog.snapshot("ca-medicare", before)._shared is not catalog.snapshot("ca-medicare", on)._shared


def test_a_clinic_layer_is_never_shared_with_the_payer_snapshot() -> None:
    catalog = ReferenceCatalog()
    plain = catalog.snapshot("aetna", date(2026, 3, 2))
    layered = plain.with_overrides({"units.method": "per_code"})
    assert layered.choice("units.method") == "per_code"
    assert plain.choice("units.method") != "per_code"
    assert catalog.snapshot("aetna", date(2026, 3, 3)).choice("units.method") == plain.choice("units.method")


def test_a_header_lists_exactly_the_billable_codes_below_it() -> None:
    version = icd10_catalog().version_for(date(2026, 3, 2))[0]
    children = version.billable_under("M54.5")
    assert children == sorted(c for c in version.billable_codes if c.startswith("M545"))
    assert children[:3] == ["M5450", "M5451", "M5459"]
    assert version.billable_under("ZZZ9") == []


def _clinic_layer(changed_on: date) -> ParameterLayer:
    return clinic_layer_from(
        "clinic:1",
        [
            ClinicChange("units.method", "per_code", changed_on, "clinic contract", "confirmed", changed_on),
            ClinicChange(
                "severity.KX_MODIFIER_MISSING", "warning", changed_on + timedelta(days=10), "x", "confirmed", changed_on
            ),
        ],
    )


def test_a_kept_clinic_layer_shares_only_between_days_it_resolves_alike() -> None:
    catalog = ReferenceCatalog()
    changed_on = date(2026, 3, 10)
    layer = _clinic_layer(changed_on)
    payer = catalog.payer("ca-medicare")
    assert payer is not None
    days = [changed_on + timedelta(days=shift) for shift in (-2, -1, 0, 1, 9, 10, 11)]
    for day in days:
        shared = catalog.snapshot("ca-medicare", day).with_layer(layer, share=True)
        alone = Snapshot(day, payer, (layer, *catalog.layers_for(payer)))
        for name in shared.names():
            assert shared.resolved(name) == alone.resolved(name), (day, name)
        assert rule_plan(shared) == rule_plan(alone), day
    before = catalog.snapshot("ca-medicare", changed_on - timedelta(days=1)).with_layer(layer, share=True)
    on = catalog.snapshot("ca-medicare", changed_on).with_layer(layer, share=True)
    again = catalog.snapshot("ca-medicare", changed_on).with_layer(layer, share=True)
    assert before.choice("units.method") != "per_code"
    assert on.choice("units.method") == "per_code"
    assert before._shared is not on._shared
    assert again._shared is on._shared  # the next note of the day reuses what the first resolved


def test_another_layer_object_never_reads_what_an_earlier_layer_resolved() -> None:
    catalog = ReferenceCatalog()
    day = date(2026, 3, 20)
    first = catalog.snapshot("aetna", day).with_layer(_clinic_layer(date(2026, 3, 10)), share=True)
    assert first.choice("units.method") == "per_code"
    second = catalog.snapshot("aetna", day).with_layer(_clinic_layer(date(2026, 4, 1)), share=True)
    assert second.choice("units.method") != "per_code"
    assert first._shared is not second._shared
