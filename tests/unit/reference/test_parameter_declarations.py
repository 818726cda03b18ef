"""The strict parameter layer: a file with a duplicate key, an unknown parameter or a value of the wrong
type does not load, and says which file and key; the snapshot reads values of their declared type."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.domain.errors import ReferenceDataError
from ptbill.reference.catalog import DATA_DIR, ReferenceCatalog, default_catalog
from ptbill.reference.declarations import Kind, declaration_for
from ptbill.reference.parameters import load_parameter_file

DAY = date(2026, 3, 2)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "traction.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ReferenceDataError) as caught:
        load_parameter_file(path, "baseline")
    return str(caught.value)


MINIMUM = """\
traction.minimum_minutes:
  reference: "payer bulletin (test)"
  confidence: payer
  values:
    2000-01-01: 15
"""


def test_a_well_formed_file_loads_with_values_of_the_declared_type(tmp_path: Path) -> None:
    (parameter,) = load_parameter_file(_write(tmp_path, MINIMUM), "baseline")
    assert parameter.name == "traction.minimum_minutes"
    assert parameter.declaration.kind is Kind.INTEGER
    assert parameter.declaration.unit == "minutes"
    in_force = parameter.at(DAY)
    assert in_force is not None
    assert in_force.value == 15


def test_a_duplicate_parameter_name_is_refused_naming_the_file_and_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMUM + MINIMUM.replace("15", "20"))
    message = _refusal(path)
    assert str(path) in message
    assert "duplicate key 'traction.minimum_minutes'" in message
    assert "line 6" in message  # where the second one starts, so the author finds it


def test_a_duplicate_key_deeper_in_the_file_is_refused_too(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMUM + "    2000-01-01: 20\n")
    message = _refusal(path)
    assert str(path) in message
    assert "duplicate key 2000-01-01" in message
    same_reference_twice = MINIMUM.replace("  confidence: payer\n", '  confidence: payer\n  reference: "other"\n')
    assert "duplicate key 'reference'" in _refusal(_write(tmp_path, same_reference_twice))


def test_a_key_written_twice_on_one_line_in_a_flow_mapping_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "traction.minimum_minutes: {reference: a, reference: b, confidence: payer}\n")
    message = _refusal(path)
    assert str(path) in message
    assert "duplicate key 'reference' (first on line 1)" in message


def test_an_unknown_parameter_is_refused_naming_the_file_and_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMUM.replace("traction.minimum_minutes", "traction.minimum_minute"))
    message = _refusal(path)
    assert str(path) in message
    assert "traction.minimum_minute" in message
    assert "no parameter is declared" in message


def test_a_code_keyed_family_needs_a_well_formed_code(tmp_path: Path) -> None:
    good = MINIMUM.replace("traction.minimum_minutes", "mue.97140")
    assert load_parameter_file(_write(tmp_path, good), "baseline")[0].declaration.name == "mue.<code>"
    message = _refusal(_write(tmp_path, MINIMUM.replace("traction.minimum_minutes", "mue.971")))
    assert "mue.971" in message
    assert "no parameter is declared" in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"fifteen"', "must be a whole number"),
        ("true", "must be a whole number"),
        ("15.5", "must be a whole number"),
        ("-3", "at least 0"),
        ("100000", "at most 1440"),
        ("[15]", "must be a whole number"),
    ],
)
def test_a_wrongly_typed_value_is_refused_naming_the_file_the_key_and_the_date(
    tmp_path: Path, value: str, problem: str
) -> None:
    path = _write(tmp_path, MINIMUM.replace("2000-01-01: 15", f"2000-01-01: {value}"))
    message = _refusal(path)
    assert str(path) in message
    assert "traction.minimum_minutes" in message
    assert "2000-01-01" in message
    assert problem in message


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("units.method", "banana", "must be one of cms, per_code"),
        ("units.method", "null", "needs a value"),
        ("modifiers.gp_required", '"yes"', "must be true or false"),
        ("therapy.kx_threshold", '"2410"', "must be a number"),
        ("therapy.kx_threshold", "2410.123", "at most 2 decimal places"),
        ("coverage.covered_codes", '"97012"', "must be a list"),
        ("coverage.covered_codes", '["9701"]', "'9701' is not a procedure code"),
        ("codes.not_payable", "{97010: bundled}", "97010 must be text in quotes"),
        ("severity.TRACTION_FORCE_MISSING", "fatal", "must be one of error, warning, info, off"),
    ],
)
def test_each_kind_refuses_what_its_rules_could_not_read(tmp_path: Path, name: str, value: str, problem: str) -> None:
    text = MINIMUM.replace("traction.minimum_minutes", name).replace("2000-01-01: 15", f"2000-01-01: {value}")
    message = _refusal(_write(tmp_path, text))
    assert name in message
    assert problem in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (MINIMUM.replace("  values:", "  valeus:"), "unknown key 'valeus'"),
        (MINIMUM.replace("  values:", "  unit: minutes\n  values:"), "unknown key 'unit'"),
        (MINIMUM.replace("2000-01-01: 15", "2000-01-01: {value: 15, refrence: x}"), "unknown key 'refrence'"),
        (MINIMUM.replace("confidence: payer", "confidence: sure"), "confidence 'sure'"),
    ],
)
def test_a_misspelt_key_in_a_parameter_body_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    message = _refusal(_write(tmp_path, text))
    assert "traction.minimum_minutes" in message
    assert problem in message


def test_a_date_that_is_no_day_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMUM.replace("2000-01-01: 15", "2000-13-01: 15"))
    message = _refusal(path)
    assert message.startswith(f"{path}: line 5: '2000-13-01' is not a date")


def test_a_payer_file_with_a_bad_value_stops_the_catalog_naming_the_payer_file(tmp_path: Path) -> None:
    data = tmp_path / "reference_data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("pfs", "code_sets"))
    (data / "payers" / "aetna" / "units.yaml").write_text(
        MINIMUM.replace("traction.minimum_minutes", "units.method").replace("15", "banana"), encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError, match=re.escape("payers/aetna/units.yaml: parameter units.method")):
        ReferenceCatalog(data).snapshot("aetna", DAY)


def test_every_shipped_parameter_of_every_payer_loads_and_is_declared() -> None:
    catalog = default_catalog()
    for payer_id in catalog.payers():
        for name in catalog.snapshot(payer_id, DAY).names():
            assert declaration_for(name) is not None, name


def test_the_typed_readers_return_the_declared_types() -> None:
    medicare = default_catalog().snapshot("ca-medicare-south", DAY)
    assert medicare.decimal("therapy.kx_threshold") == Decimal("2480")
    assert medicare.integer("plan_of_care.max_days") == 90
    assert medicare.flag("modifiers.gp_required") is True
    assert medicare.choice("units.method") == "cms"
    assert medicare.choice("severity.TRACTION_DECOMPRESSION_DEVICE") == "error"
    assert medicare.code_texts("codes.not_payable")["97014"].startswith("not valid for Medicare")
    assert medicare.integer("traction.minimum_minutes") is None  # Medicare sets none
    aetna = default_catalog().snapshot("aetna", DAY)
    assert aetna.decimal("fees.seed_average.97012") == Decimal("19.21")
    assert aetna.codes("coverage.covered_codes") is None


def test_reading_a_parameter_as_another_type_is_a_programming_error() -> None:
    snapshot = default_catalog().snapshot("ca-medicare-south", DAY)
    with pytest.raises(ReferenceDataError, match=r"therapy\.kx_threshold is money, not read as integer"):
        snapshot.integer("therapy.kx_threshold")


def test_a_what_if_override_passes_the_same_declarations() -> None:
    snapshot = default_catalog().snapshot("aetna", DAY)
    assert snapshot.with_overrides({"units.method": "per_code"}).choice("units.method") == "per_code"
    with pytest.raises(ReferenceDataError, match=r"units\.method.*must be one of cms, per_code"):
        snapshot.with_overrides({"units.method": "banana"})
    with pytest.raises(ReferenceDataError, match="no parameter is declared"):
        snapshot.with_overrides({"units.methd": "cms"})


def test_every_shipped_severity_parameter_names_a_registered_check() -> None:
    from ptbill.rules.registry import all_rules

    registered = {rule.id for rule in all_rules()}
    catalog = default_catalog()
    named = {
        name.removeprefix("severity.")
        for payer_id in catalog.payers()
        for name in catalog.snapshot(payer_id, DAY).names()
        if name.startswith("severity.")
    }
    assert named
    assert named <= registered
