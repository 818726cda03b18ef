"""Notes written through the services for the note and episode PDFs: one note holding every section, and a
patient with three episodes (daily notes before any evaluation; evaluation, daily notes, a progress report and
a discharge summary; a second evaluation with a draft after it)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.services import access, addenda, notes, patients
from tests.integration.test_storage_services import CLEAN, make_clinic

ROOT = Path(__file__).resolve().parents[2]
EVALUATION: dict[str, Any] = json.loads((ROOT / "tests/scenarios/medicare-lumbar-evaluation.json").read_text())
CLOCK = FixedClock(date(2026, 6, 20))
HOSTILE = "<b>&amp; </para>"
FIRST, LAST = "Thị Hồng", "Nguyễn"


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    """The text poppler's pdftotext reads from ``pdf`` (pages separated by form feeds)."""
    with tempfile.TemporaryDirectory(prefix="ptbill-note-pdf-") as folder:
        path = Path(folder) / "note.pdf"
        path.write_bytes(pdf)
        command = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", str(path), "-"]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(page.split()) for page in pdf_text(pdf).split("\f") if page.strip()]


def flat(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def document(note_id: str, day: str, **sections: Any) -> dict[str, Any]:
    """The clean daily note with the patient's own name, another id and date, and ``sections`` added."""
    found: dict[str, Any] = json.loads(json.dumps(CLEAN))
    found.update(id=note_id, date_of_service=day)
    found["patient"].update(first_name=FIRST, last_name=LAST)
    found["coverage"]["authorization"].update(valid_from="2025-10-01", valid_to="2026-12-31", visits_approved=40)
    found.update(sections)
    return found


def every_section(note_id: str = "enc-all", day: str = "2026-02-20", *, hostile: bool = True) -> dict[str, Any]:
    """An initial evaluation with every section ptbill knows filled in, hostile text in two typed fields (plain
    words instead when not ``hostile``: the screenshots)."""
    typed = HOSTILE if hostile else "and standing"
    found = json.loads(json.dumps(EVALUATION))
    found.update(id=note_id, date_of_service=day)
    found["patient"].update(first_name=FIRST, last_name=LAST)
    found["coverage"]["authorization"].update(valid_from="2025-10-01", valid_to="2026-12-31", visits_approved=40)
    start = date.fromisoformat(day)
    found["plan_of_care"].update(
        start_date=day,
        end_date=(start + timedelta(weeks=6)).isoformat(),
        certified_date=(start + timedelta(days=4)).isoformat(),
        visit_number=1,
    )
    found["subjective"] = {"text": f"Sitting hurts {typed} after 10 min.", "pain_now": 6, "pain_best": 2}
    found["subjective"]["pain_worst"] = 8
    found["objective"] = {
        "text": "Antalgic gait, guarded lumbar flexion.",
        "range_of_motion": [
            {"joint": "lumbar spine", "motion": "flexion", "degrees": 40, "active": True},
            {"joint": "hip", "motion": "internal rotation", "degrees": 25, "side": "left", "active": False},
        ],
        "strength": [{"muscle_group": "hip abductors", "grade": "4-", "side": "left"}],
        "special_tests": [{"name": "straight leg raise", "result": "positive", "side": "left"}],
        "outcome_measures": [{"name": "Oswestry", "score": 42, "scale_max": 100}],
    }
    found["flowsheet"] = [
        {"exercise": "bridges", "sets": 2, "reps": 10, "load": "body weight", "cues": "neutral spine"},
        {"exercise": "recumbent bike", "minutes": 8, "cues": HOSTILE if hostile else "steady cadence"},
    ]
    found["assessment"] = "Lumbar radiculopathy limiting sitting tolerance; responds to unloading."
    found["plan"] = "Traction, exercise and manual therapy; progress loading as leg pain settles."
    found["services"][1].update(clinical_justification="Core control for sitting tolerance.", goal_ids=["STG1"])
    return found


def progress_goals(status: str) -> list[dict[str, Any]]:
    return [
        dict(goal, status=status, progress=f"{goal['id']} {status.replace('_', ' ')} by the report")
        for goal in EVALUATION["goals"]
    ]


def write(session: Session, pt: access.Actor, patient_id: int, doc: dict[str, Any], *, sign: bool = True) -> int:
    note, _ = notes.save_encounter(session, pt, doc, patient_id, clock=CLOCK)
    if sign:
        notes.sign_encounter(session, pt, note.id, clock=CLOCK)
    return note.id


def patient_of_clinic(session: Session, name: str) -> tuple[access.Actor, access.Actor, int]:
    """A clinic (therapist Dana Reyes, biller) and a patient named in Vietnamese, chart VN-1."""
    pt, biller, _ = make_clinic(session, name)
    data = {"chart_number": "VN-1", "first_name": FIRST, "last_name": LAST, "sex": "F"}
    data["birth_date"] = date(1958, 7, 14)
    return pt, biller, patients.create_patient(session, pt, data).id


@dataclass(frozen=True)
class EpisodeWorld:
    therapist: access.Actor
    biller: access.Actor
    patient_id: int
    before: list[int]  # notes before any evaluation
    episode: list[int]  # evaluation → daily notes → progress report → discharge
    after: list[int]  # the next evaluation, then a draft
    external: dict[int, str]  # note id → its note id as written


def _report(note_id: str, day: str, note_type: str, status: str, assessment: str, oswestry: int) -> dict[str, Any]:
    """A progress report or discharge summary: the goals with their status, the Oswestry score, assessment, plan."""
    found = document(note_id, day, note_type=note_type, goals=progress_goals(status), assessment=assessment)
    found["objective"] = {"outcome_measures": [{"name": "Oswestry", "score": oswestry, "scale_max": 100}]}
    found["plan"] = "Continue 2x/week; add lifting mechanics." if note_type == "progress_report" else None
    return found


def episode_world(session: Session, name: str, *, hostile: bool = True) -> EpisodeWorld:
    pt, biller, patient = patient_of_clinic(session, name)
    written = [("orphan", document("enc-before", "2025-11-10"))]
    written.append(("eval", every_section("enc-eval", "2026-02-20", hostile=hostile)))
    for number, day in enumerate(("2026-02-23", "2026-02-25", "2026-02-27", "2026-03-02"), start=1):
        written.append((f"daily{number}", document(f"enc-daily{number}", day)))
    settling = "Sitting tolerance up to 20 minutes; leg pain settling."
    written.append(("progress", _report("enc-progress", "2026-03-04", "progress_report", "progressing", settling, 30)))
    home = "Goals met; independent with the home program."
    written.append(("discharge", _report("enc-discharge", "2026-03-06", "discharge_summary", "met", home, 12)))
    written.append(("eval2", every_section("enc-eval-2", "2026-06-01", hostile=hostile)))
    written.append(("draft", document("enc-after-draft", "2026-06-03")))
    ids = {key: write(session, pt, patient, doc, sign=key != "draft") for key, doc in written}
    addenda.add_addendum(
        session, pt, ids["daily2"], "Late entry", "Home program reviewed with the patient.", clock=CLOCK
    )
    external = {ids[key]: doc["id"] for key, doc in written}
    order = ("eval", "daily1", "daily2", "daily3", "daily4", "progress", "discharge")
    return EpisodeWorld(
        pt, biller, patient, [ids["orphan"]], [ids[key] for key in order], [ids["eval2"], ids["draft"]], external
    )
