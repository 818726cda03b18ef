"""Every command refuses hostile arguments and files with one line naming them and its documented exit
status (2: an argument, option or file it cannot use), never a traceback; on a real clinic database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ptbill.cli.commands import register
from ptbill.cli.main import EXIT_BUG, cli, main
from ptbill.services.demo_data import seed_demo
from ptbill.services.demo_payments import simulate_payments
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimRow
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate

ROOT = Path(__file__).resolve().parents[2]
CLEAN = str(ROOT / "examples" / "medicare-lumbar-traction-clean.json")
HUGE = "99999999999999999999999999999"
USER = ("--user", "biller@harbor.example")
register(cli)

# (arguments, text the one line must hold); {missing}, {folder}, {garbage}, {binary}, {nowhere}, {tmp}
# and {denied} are filled in by the test. Every case exits 2.
CASES = [
    (["check", "{missing}"], "cannot read the file"),
    (["check", "{folder}"], "cannot read the file"),
    (["check", "{garbage}"], "not valid JSON"),
    (["check", "{binary}"], "binary.json"),
    (["units", "97110=²"], "97110=²"),
    (["units", "97110=٣"], "97110=٣"),
    (["units", f"97110={HUGE}"], "minutes 0 to 1440"),
    (["units", "97110=abc"], "CODE=MINUTES"),
    (["units", "97110"], "CODE=MINUTES"),
    (["claim", "{garbage}"], "not valid JSON"),
    (["claim", "-o", "{nowhere}/claims.x12", CLEAN], "'--output'"),
    (["claim", "--format", "cms1500", "-o", "{nowhere}/claims.pdf", CLEAN], "'--output'"),
    (["claim", "--charges", "{garbage}", CLEAN], "garbage.json"),
    (["claim", "--trading", "{garbage}", CLEAN], "garbage.json"),
    (["report", *USER, "documentation-audit", "--period", "2026-13"], "'--period': '2026-13'"),
    (["report", *USER, "documentation-audit", "--period", "²"], "'--period'"),
    (["report", *USER, "documentation-audit", "--sample", "0"], "'--sample'"),
    (["report", *USER, "denial-rate", "--png", "{nowhere}/chart.png"], "'--png': the folder"),
    (["report", *USER, "denial-rate", "--csv", "{nowhere}/rows.csv"], "'--csv': the folder"),
    (["report", *USER, "best-payer", "--code", "²"], "'--code'"),
    (["report", *USER, "no-such-report"], "'no-such-report'"),
    (["report", *USER, "denial-rate", "--payer", "no-such-payer"], "'--payer': 'no-such-payer'"),
    (["report", *USER, "denial-rate", "--from", "2026-02-30"], "'--from'"),
    (["appeal", *USER, "999999", "-o", "{tmp}/appeal.pdf"], "claim 999999 not found"),
    (["appeal", *USER, HUGE, "-o", "{tmp}/appeal.pdf"], "'CLAIM_ID'"),
    (["appeal", *USER, "²", "-o", "{tmp}/appeal.pdf"], "'CLAIM_ID'"),
    (["appeal", *USER, "{denied}", "-o", "{nowhere}/appeal.pdf"], "'--output': the folder"),
    (["appeal", *USER, "{denied}", "-o", "{folder}"], "'--output'"),
    (["remit", *USER, "{garbage}"], "garbage.json: not posted"),
    (["remit", *USER, "{binary}"], "binary.json: not posted"),
    (["remit", *USER, "{missing}"], "missing.json"),
    (["remit", *USER, "{folder}"], "folder"),
    (["explain", "traction.minimum_minutes", "--date", "2026-02-30"], "'--date': '2026-02-30'"),
    (["explain", "no.such.parameter"], "no parameter named 'no.such.parameter'"),
    (["payers", "show", "aetna", "--date", "2026-02-30"], "'--date': '2026-02-30'"),
    (["payers", "show", "aetna", "--date", "٢٠٢٦-٠١-٠١"], "'--date'"),
    (["payers", "show", "no-such-payer"], "'no-such-payer' is not in the payer catalog"),
    (["reference", "load-ncci", "{missing}"], "missing.json: file not found"),
    (["reference", "load-ncci", "{garbage}"], "garbage.json: no CMS PTP file"),
    (["reference", "load-mue", "{missing}"], "missing.json: file not found"),
    (["reference", "load-mue", "{garbage}"], "garbage.json: no CMS practitioner MUE table"),
    (["reference", "load-mue", "{garbage}", "--effective", "2026-02-30"], "'--effective'"),
]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo clinic paid and denied by the simulated payers, and the files and paths the cases name."""
    tmp = tmp_path_factory.mktemp("cli-hostile")
    url = f"sqlite:///{tmp / 'clinic.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        seed_demo(session, encounters=30, patients=8, today=DEMO_TODAY)
        simulate_payments(session, today=DEMO_TODAY)
        denied = session.scalar(select(ClaimRow.id).where(ClaimRow.status == "denied"))
    engine.dispose()
    assert denied is not None
    (tmp / "garbage.json").write_text('{"id": ')
    (tmp / "binary.json").write_bytes(b"\xff\xfe\x00ISA")
    (tmp / "folder").mkdir()
    return {
        "missing": str(tmp / "missing.json"),
        "folder": str(tmp / "folder"),
        "garbage": str(tmp / "garbage.json"),
        "binary": str(tmp / "binary.json"),
        "nowhere": str(tmp / "no-such-folder"),
        "tmp": str(tmp),
        "denied": str(denied),
        "DATABASE_URL": url,
        "PTBILL_DATA_DIR": str(tmp / "data"),
    }


def _filled(arguments: list[str], clinic: dict[str, str]) -> list[str]:
    return [argument.format(**clinic) if "{" in argument else argument for argument in arguments]


@pytest.mark.parametrize(("arguments", "named"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_hostile_argument_is_one_line_naming_it_and_exit_2(
    clinic: dict[str, str], arguments: list[str], named: str
) -> None:
    environment = {key: clinic[key] for key in ("DATABASE_URL", "PTBILL_DATA_DIR")}
    result = CliRunner().invoke(cli, _filled(arguments, clinic), env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert any(named in line for line in result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["units", "97110=²"],
        ["report", *USER, "documentation-audit", "--period", "2026-13"],
        ["report", *USER, "denial-rate", "--png", "{nowhere}/chart.png"],
        ["appeal", *USER, HUGE, "-o", "{tmp}/appeal.pdf"],
        ["appeal", *USER, "{denied}", "-o", "{nowhere}/appeal.pdf"],
    ],
)
def test_the_installed_command_prints_no_traceback(clinic: dict[str, str], arguments: list[str]) -> None:
    environment = {**os.environ, "DATABASE_URL": clinic["DATABASE_URL"], "PTBILL_DATA_DIR": clinic["PTBILL_DATA_DIR"]}
    result = subprocess.run(
        [sys.executable, "-m", "ptbill", *_filled(arguments, clinic)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Error: Invalid value for" in result.stderr or "expected CODE=MINUTES" in result.stderr


def test_an_unexpected_error_is_one_line_without_its_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last resort: a bug says it is one, and never repeats the error's text (it may hold PHI)."""

    @cli.command("explode")
    def explode() -> None:
        raise RuntimeError("patient Nora Lindqvist, born 1957-05-09")

    monkeypatch.setattr(sys, "argv", ["ptbill", "explode"])
    monkeypatch.delenv("PTBILL_DEBUG", raising=False)
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        cli.commands.pop("explode")
    assert exited.value.code == EXIT_BUG
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "RuntimeError" in error
    assert "bug" in error
    assert "Lindqvist" not in error
    assert "Traceback" not in error
