"""Input printed by the CLI cannot drive the terminal: control characters in a note id, a file name or an
835 value come out escaped (\\x1b), through one helper, while ordinary names print as they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ptbill.cli.terminal import printable
from ptbill.services.demo_data import seed_demo
from ptbill.storage.session import make_engine, session_factory, transaction
from tests.demo_day import DEMO_TODAY
from tests.migrated import migrate
from tests.unit.remittance import synthetic_835
from tests.unit.remittance.synthetic_835 import CLAIM_PAID, interchange

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json"
# Sets the window title, clears the screen, turns the text red, and reverses what follows.
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31m\u202e"
SHOWN = "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31m\\u202e"


def ptbill(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptbill", *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )


def test_control_characters_are_escaped_and_other_text_is_kept() -> None:
    assert printable(HOSTILE) == SHOWN
    assert printable("line\r\nfeed\tand\x7fdel\x9bcsi") == "line\\x0d\\x0afeed\\x09and\\x7fdel\\x9bcsi"
    assert printable("Muñoz-Peña, Nguyễn 97012-GP") == "Muñoz-Peña, Nguyễn 97012-GP"
    assert printable(12) == "12"


def test_check_escapes_the_note_id_and_the_file_name(tmp_path: Path) -> None:
    document = json.loads(CLEAN.read_text())
    document["id"] = f"enc-{HOSTILE}-1"
    note = tmp_path / "note.json"
    note.write_text(json.dumps(document))
    checked = ptbill("check", str(note))
    # Control characters cannot go on a claim either (CLAIM_TEXT_NOT_TRANSLITERABLE): the note is blocked.
    assert checked.returncode == 1, checked.stderr
    assert f"enc-{SHOWN}-1  BLOCKED" in checked.stdout
    assert "\x1b" not in checked.stdout

    unreadable = tmp_path / f"note{HOSTILE}.json"
    unreadable.write_text("{")
    refused = ptbill("check", str(unreadable))
    assert refused.returncode == 2
    assert f"note{SHOWN}.json: not valid JSON" in refused.stderr
    assert "\x1b" not in refused.stderr


def test_claim_escapes_the_name_of_a_refused_file(tmp_path: Path) -> None:
    document = json.loads(CLEAN.read_text())
    del document["services"][0]["traction"]["force_lbs"]  # blocks the claim
    blocked = tmp_path / f"blocked{HOSTILE}.json"
    blocked.write_text(json.dumps(document))
    claimed = ptbill("claim", "-o", str(tmp_path / "out.837"), str(blocked))
    assert claimed.returncode == 1
    assert f"blocked{SHOWN}.json: refused:" in claimed.stderr
    assert "\x1b" not in claimed.stderr


def test_remit_escapes_a_claim_number_from_the_835(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    migrate(url)
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, encounters=2, patients=2, today=DEMO_TODAY)
    # A balanced 835 whose claim number carries escape sequences: a payer's file might; ours never would.
    claim = [segment.replace("PT1001", f"X{HOSTILE}9") for segment in CLAIM_PAID]
    era = tmp_path / "era.835"
    era.write_text(interchange(synthetic_835.transaction([claim], "66.4")))
    environment = {**os.environ, "DATABASE_URL": url, "PTBILL_DATA_DIR": str(tmp_path)}
    posted = ptbill("remit", "--user", "biller@harbor.example", str(era), env=environment)
    output = posted.stdout + posted.stderr
    assert f"unmatched claim X{SHOWN}9" in output, output
    assert "\x1b" not in output
