"""`ptbill explain` answers for every parameter of every payer: the value in force, its dates, its source."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from ptbill.cli.commands import explain
from ptbill.reference.catalog import default_catalog

DAY = date(2026, 3, 2)


def test_every_parameter_of_every_payer_has_dates_and_a_source() -> None:
    catalog = default_catalog()
    checked = 0
    for payer_id in catalog.payers():
        snapshot = catalog.snapshot(payer_id, DAY)
        for name in snapshot.names():
            history = catalog.parameter_history(payer_id, name)
            assert history, f"{payer_id}: {name} has no definition"
            for definition in history:
                for dated in definition.values:
                    assert dated.reference.strip(), f"{payer_id}: {name} from {dated.effective.start} has no source"
            checked += 1
    assert checked > 26 * 20  # every payer has its baseline parameters, and more


def test_explain_prints_value_dates_and_source_for_each_parameter_of_a_payer() -> None:
    runner = CliRunner()
    catalog = default_catalog()
    for payer_id in ("ca-medicare-south", "aetna", "cencal-health", "onecall-care", "optum-vaccn-regions-1-2-3"):
        for name in catalog.snapshot(payer_id, DAY).names():
            result = runner.invoke(explain, [name, "--payer", payer_id, "--date", DAY.isoformat()])
            assert result.exit_code == 0, result.output
            assert f"{name} for {payer_id} on {DAY}" in result.output
            assert "history" in result.output
            if "no value" not in result.output:
                assert "in force:" in result.output
                assert "source:" in result.output


def test_explain_cites_the_cy2026_final_rule_for_the_2026_kx_threshold() -> None:
    result = CliRunner().invoke(explain, ["therapy.kx_threshold", "--payer", "ca-medicare", "--date", "2026-03-02"])
    assert result.exit_code == 0
    assert ": 2480" in result.output
    assert "in force: 2026-01-01" in result.output
    assert "confidence: cms" in result.output
    assert "90 FR 49266" in result.output
    assert "[baseline:medicare] 2024-01-01 .. 2025-01-01: 2330 (cms;" in result.output


def test_explain_an_unknown_parameter_suggests_close_names() -> None:
    result = CliRunner().invoke(explain, ["traction.minimum", "--payer", "aetna"])
    assert result.exit_code == 2
    assert "traction.minimum_minutes" in result.output
