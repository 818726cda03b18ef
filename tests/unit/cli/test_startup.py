"""Start-up of `ptbill check` and `ptbill units` (issue 17): each loads only what it uses, every other command
is still there when asked for, and the garbage collector that start-up pauses is running again when a
command works on its input and after it ends."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
NOTE = ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"

# Run `ptbill ARGS` in a fresh interpreter and print, as the last line of stderr, the modules it loaded.
PROBE = """
import json, sys
from ptbill.cli.main import main
try:
    main()
except SystemExit as end:
    status = end.code
built = []  # what start-up builds only when a note needs it
encounter = sys.modules.get("ptbill.domain.encounter")
if encounter is not None and encounter.validators_built():
    built.append("encounter validators")
icd10 = sys.modules.get("ptbill.reference.icd10")
if icd10 is not None and icd10.default_catalog.cache_info().currsize:
    built += [f"ICD-10-CM sets {v.id}" for v in icd10.default_catalog().versions if v._sets]
print(json.dumps({"status": status, "modules": sorted(sys.modules), "built": built}), file=sys.stderr)
"""

# Neither command needs the app's libraries, the terminal styling, PyYAML (cached), process pools, sqlite or the
# other commands.
NEVER = ("sqlalchemy", "httpx", "jinja2", "fastapi", "rich", "yaml", "multiprocessing", "sqlite3")
NEVER += ("ptbill.cli.commands",)


def probe(*args: str) -> dict[str, Any]:
    command = [sys.executable, "-c", PROBE, *args]
    for _ in range(2):  # the first run may parse reference YAML (and import PyYAML) to fill the cache
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    report: dict[str, Any] = json.loads(result.stderr.splitlines()[-1])
    report["stdout"] = result.stdout
    return report


def loaded_by(*args: str) -> tuple[int, set[str], str]:
    report = probe(*args)
    return report["status"], set(report["modules"]), report["stdout"]


def loaded_packages(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


def test_units_loads_no_validation_library_no_engine_and_no_other_command() -> None:
    status, modules, output = loaded_by("units", "97110=33", "97012=15")
    assert status == 0
    assert "97110  2 unit(s)" in output
    not_for_units = ("pydantic", "ptbill.rules.engine", "ptbill.domain.encounter")
    parameters = ("ptbill.reference.parameters", "ptbill.reference.declarations", "ptbill.reference.yaml_cache")
    assert loaded_packages(modules, (*NEVER, *not_for_units, *parameters)) == []


def test_check_loads_the_engine_but_not_what_only_claims_and_the_app_use() -> None:
    status, modules, output = loaded_by("check", str(NOTE))
    assert status == 0
    assert output.startswith("enc-1001  READY  payer ca-medicare-south;")
    assert "ptbill.rules.engine" in modules
    only_elsewhere = (
        "ptbill.domain.claim",  # the claim and the 835's classes: the checks need one constant of them
        "ptbill.domain.remittance",
        "ptbill.domain.eligibility",  # the app hands a 271 on file over; a note checked alone has none
        "ptbill.domain.note_template",  # the blank's text is all note_blanks needs
        "ptbill.pricing.installed",  # installed CMS tables, read only when the data folder has them
        "ptbill.pricing.fee_schedules",  # a clinic's contracted fee schedule, read only when one is installed
    )
    assert loaded_packages(modules, (*NEVER, *only_elsewhere)) == []
    # a Medicare locality is looked up by ZIP code only for a Medicare note whose clinic does not name its own
    status, modules, _ = loaded_by("check", str(NOTE.with_name("commercial-lumbar-clean.json")))
    assert status == 0
    assert "ptbill.pricing.localities" not in modules


def test_a_plain_note_is_checked_without_building_validators_or_code_sets(tmp_path: Path) -> None:
    # pydantic (its import, its validators, its plugin scan through importlib.metadata) and the ICD-10-CM sets
    # cost more than the rest of checking one note; a plainly valid note needs none of them (issue 17, rounds 4
    # and 9).
    report = probe("check", str(NOTE))
    assert report["status"] == 0
    assert report["stdout"].startswith("enc-1001  READY  payer ca-medicare-south;")
    assert report["built"] == []
    assert loaded_packages(set(report["modules"]), ("importlib.metadata", "pydantic", "pydantic_core")) == []
    # a note pydantic must read (a whole-visit section) builds the validators, with the same answer as before
    note = json.loads(NOTE.read_text(encoding="utf-8"))
    note["subjective"] = {"text": "Better today.", "pain_now": 3}
    other = tmp_path / "with-subjective.json"
    other.write_text(json.dumps(note), encoding="utf-8")
    report = probe("check", str(other))
    assert report["status"] == 0
    assert report["built"] == ["encounter validators"]


def test_a_batch_builds_the_validators_once_its_first_notes_are_read_plainly(tmp_path: Path) -> None:
    # pydantic's compiled validators read a note about twice as fast as the plain reader, so a batch longer than
    # the plain reader's quota builds them and reads the rest with them, with the same reports.
    from ptbill.domain.encounter_json import PLAIN_NOTES

    text = NOTE.read_text(encoding="utf-8")
    files = []
    for index in range(PLAIN_NOTES + 2):
        path = tmp_path / f"note-{index:04d}.json"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    report = probe("check", *files)
    assert report["status"] == 0
    assert "encounter validators" in report["built"]  # (and the ICD-10-CM sets, after the text's first questions)
    lines = [line for line in report["stdout"].splitlines() if line.startswith("enc-1001")]
    assert len(lines) == PLAIN_NOTES + 2
    assert len(set(lines)) == 1  # the plainly read notes and the validated ones get the same report
    assert report["stdout"].count("READY") >= PLAIN_NOTES + 2


def test_every_command_is_still_listed_found_and_suggested() -> None:
    def ptbill(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ptbill", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)

    listed = ptbill("--help")
    assert listed.returncode == 0
    for name in ("check", "units", "claim", "payers", "reference", "read", "worker", "init", "users", "mailbox"):
        assert f"\n  {name} " in listed.stdout, name
    payers = ptbill("payers", "list", "--json")
    assert payers.returncode == 0
    assert any(payer["id"] == "ca-medicare-south" for payer in json.loads(payers.stdout))
    unknown = ptbill("unitz")
    assert unknown.returncode == 2
    assert unknown.stderr.endswith("Error: No such command 'unitz'. (Did you mean one of: 'init', 'units'?)\n")


def test_logging_loaded_after_the_start_still_withholds_exception_messages() -> None:
    # check and units never load logging; main() has the filter that keeps a logged exception's text out of the
    # logs installed on every logger that records exceptions the moment anything loads it.
    script = """
import sys
from ptbill.cli.main import main
try:
    main()
except SystemExit:
    pass
print("logging" in sys.modules)
import logging.handlers
from ptbill.log_privacy import LOGGERS, WithholdExceptionMessages
print(all(any(isinstance(f, WithholdExceptionMessages) for f in logging.getLogger(n).filters) for n in ("", *LOGGERS)))
waiting = [finder for finder in sys.meta_path if type(finder).__module__ == "ptbill.cli.main"]
print(logging.__loader__ is logging.__spec__.loader, type(logging.__loader__).__name__, len(waiting))
"""
    command = [sys.executable, "-c", script, "units", "97110=33"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.stdout.splitlines()[-3:] == ["False", "True", "True SourceFileLoader 0"], result.stderr


@pytest.fixture
def collector_restored() -> object:
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize(
    ("args", "patched"),
    [
        (["check", str(NOTE)], ("ptbill.cli.check_cmd", "run_check")),
        (["units", "97110=33"], ("ptbill.units", "compute_units")),
        (["rules"], ("ptbill.rules.catalog_doc", "rules_text")),
    ],
)
def test_the_collector_runs_while_the_command_works_and_after_it(
    monkeypatch: pytest.MonkeyPatch, args: list[str], patched: tuple[str, str]
) -> None:
    import importlib

    from ptbill.cli import main as cli_main

    module = importlib.import_module(patched[0])
    original = getattr(module, patched[1])
    seen: list[bool] = []

    def watched(*a: object, **k: object) -> object:
        seen.append(gc.isenabled())
        return original(*a, **k)

    monkeypatch.setattr(module, patched[1], watched)
    monkeypatch.setattr(sys, "argv", ["ptbill", *args])
    with pytest.raises(SystemExit):
        cli_main.main()
    assert seen == [True]
    assert gc.isenabled()
