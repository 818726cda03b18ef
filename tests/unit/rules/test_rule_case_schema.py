"""The rule-case files are checked against their schema when collected: a misspelt key, a missing
answer or a payer and date left implicit fail the suite, naming the file, the case and the key."""

from __future__ import annotations

import pytest

# The same hook as tests/conftest.py: the temporary directory gets ptbill's rule-case collector.
CONFTEST = "from tests.conftest import pytest_collect_file  # noqa: F401\n"

GOOD = """\
rule: TRACTION_FORCE_MISSING
given: {scenario: medicare-lumbar-clean, payer: ca-medicare-south, date_of_service: 2026-03-02}
cases:
  - name: Mechanical traction without a force is an error
    change: {services.0.traction.force_lbs: null}
    fires: {severity: error, service: 0}
    verdict: blocked
"""


def _run(pytester: pytest.Pytester, text: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    (pytester.mkdir("rule_cases") / "force_missing.yaml").write_text(text, encoding="utf-8")
    return pytester.runpytest_inprocess("-p", "no:cacheprovider")


def test_a_well_formed_case_file_collects_and_passes(pytester: pytest.Pytester) -> None:
    _run(pytester, GOOD).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("good", "misspelt"),
    [("fires:", "fire:"), ("verdict:", "verdikt:"), ("given:", "givn:"), ("service: 0", "servise: 0")],
)
def test_a_misspelt_key_fails_collection_naming_the_key(pytester: pytest.Pytester, good: str, misspelt: str) -> None:
    result = _run(pytester, GOOD.replace(good, misspelt))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting*force_missing.yaml*"])
    key = misspelt.split(":", 1)[0]
    assert f"{key}: unknown key" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()  # the file and key, not a stack


def test_the_error_line_names_the_file_the_case_and_the_key(pytester: pytest.Pytester) -> None:
    result = _run(pytester, GOOD.replace("fires:", "fire:"))
    result.stdout.fnmatch_lines(["force_missing.yaml: cases[[]0[]].fire: unknown key"])


def test_a_case_must_say_whether_the_rule_fires(pytester: pytest.Pytester) -> None:
    result = _run(pytester, GOOD.replace("    fires: {severity: error, service: 0}\n", ""))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "cases[0]: give either fires or quiet: true" in result.stdout.str()


def test_the_payer_and_the_date_of_service_are_stated_not_hidden_in_the_scenario(pytester: pytest.Pytester) -> None:
    no_payer = GOOD.replace(" payer: ca-medicare-south,", "")
    assert "given.payer: required" in _run(pytester, no_payer).stdout.str()


def test_a_change_cannot_set_the_payer_or_the_date_behind_the_visible_keys(pytester: pytest.Pytester) -> None:
    hidden = GOOD.replace("{services.0.traction.force_lbs: null}", "{coverage.payer: aetna}")
    result = _run(pytester, hidden)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "cases[0].change: set coverage.payer with the case's payer: key" in result.stdout.str()


def test_a_case_with_its_own_scenario_states_its_own_payer_and_date(pytester: pytest.Pytester) -> None:
    other = GOOD.replace("    change:", "    scenario: commercial-lumbar-clean\n    change:")
    result = _run(pytester, other)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "cases[0]: a case with its own scenario states its payer and date_of_service too" in result.stdout.str()


def test_a_parameter_override_passes_the_parameter_declarations(pytester: pytest.Pytester) -> None:
    result = _run(pytester, GOOD.replace("    verdict:", "    parameters: {units.method: banana}\n    verdict:"))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "units.method" in result.stdout.str()
    assert "must be one of cms, per_code" in result.stdout.str()
