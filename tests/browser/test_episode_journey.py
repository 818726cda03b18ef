"""An episode of care in Chromium, from the initial evaluation to the discharge, as one therapist writes it.

Monday 2026-10-05, the initial evaluation: plan of care (2-3 visits a week for 6 weeks, the physician's order,
the plan sent for signature), measures (range of motion, strength, a special test, the Oswestry), the exercise
flowsheet, short- and long-term goals with baseline, target and date, the evaluation code with traction and
exercise; signed. Treatment days 2 to 7 (Mon/Wed/Fri): six daily notes, each opened from the new-note page so
copy-forward fills it (flowsheet, goals, plan with its visit counters, diagnoses, codes, traction settings);
the therapist types today's times, minutes, force, response and justification and edits the flowsheet grid (a
set added, a load changed, an exercise added); the physician's signature date goes in when the plan comes back.
Treatment days 8 and 9 come from the clinic's EMR through the JSON API (``POST /api/encounters`` with a bearer
token, then ``/sign``), each built from the last stored note, as an integration would: the page is not what is
tested there, and it keeps the run short. On treatment day 10 the daily note's check says the progress report
is due (``PROGRESS_REPORT_DUE``); the therapist turns the note into a progress report and writes it: the
measures again, each goal's status and progress, the assessment; signed. An addendum (a late entry) goes on a
signed daily note. Treatment day 11, the discharge summary, with each goal's final status; signed.

The biller's queue then lists every note of the episode as ready to bill with its codes, and builds their claims
in one go; each claim records the note version it was built from (the addendum counted). Last, the episode PDF
from the patient's chart holds every note: each date of service and note type, and the addendum.

The app's calendar turns to each visit's day, so every note is written and signed on its date of service.
``PTBILL_SCREENSHOTS=docs/screenshots`` keeps a page of each note type (``note-type-*.png``), a re-evaluation
form among them (filled, not saved: this episode needs none).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import time as monotonic_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ptbill.domain.note_content import NOTE_TYPE_LABELS, NoteType
from ptbill.services.addenda import note_version
from ptbill.services.demo_data import DEMO_PASSWORD
from ptbill.storage.tables import ClaimRow, EncounterCheckRow, EncounterRow, UserRow
from tests.browser import episode_visits as ep
from tests.browser.live_app import VIEWPORT, LiveApp, T, fill_visit, log_in, start_live_app

pytestmark = pytest.mark.browser
THERAPIST, BILLER = "therapist1@harbor.example", "biller@harbor.example"
PROMPT = '[data-findings-for="plan_of_care.visits_since_progress_report"]'


class Calendar:
    """The clinic's calendar, turned to each visit's day: 10:00 in California, then on by the seconds that pass."""

    def __init__(self, day: date) -> None:
        self.day = day
        self._started = monotonic_time.monotonic()

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        passed = timedelta(seconds=monotonic_time.monotonic() - self._started)
        return datetime.combine(self.day, time(17, 0), tzinfo=UTC) + passed


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, Calendar]]:
    """An app of its own (its seeded new Medicare patient has no visit yet) on a calendar the test turns."""
    calendar = Calendar(ep.EVALUATION_DAY)
    live = start_live_app(tmp_path_factory.mktemp("episode"), clock=calendar)
    yield live, calendar
    live.stop()


# the page ----------------------------------------------------------------------------------------


def _shoot(page: Any, name: str, anchor: str) -> None:
    """The page at 1440x900 with ``anchor`` (the section the note type is about) at the top."""
    folder = os.environ.get("PTBILL_SCREENSHOTS")
    if folder:
        from playwright.sync_api import expect

        # The live check has caught up with the last entry: the claim panel shows the exercise line it adds.
        expect(page.locator("#claim-preview")).to_contain_text("97110")
        expect(page.locator("#check-verdict")).to_contain_text("Ready")
        page.evaluate("(selector) => { document.querySelector(selector).scrollIntoView(); scrollBy(0, -64); }", anchor)
        page.screenshot(path=str(Path(folder) / f"note-type-{name}.png"))


def _start_day(page: Any, app: LiveApp, calendar: Calendar, day: date, email: str = THERAPIST) -> None:
    """A new working day: yesterday's login has expired, so the therapist logs in again."""
    calendar.day = day
    log_in(page, app.url, email)


def _open(page: Any, app: LiveApp, day: date, note_type: str) -> None:
    page.goto(f"{app.url}/notes/new?patient_id={app.new_patient_id}&date_of_service={day}&note_type={note_type}")
    page.wait_for_selector("form#note")


def _type(page: Any, values: dict[str, str], choices: dict[str, str] | None = None) -> None:
    for name, value in (choices or {}).items():
        page.select_option(f'[name="{name}"]', value)
    for name, value in values.items():
        page.fill(f'[name="{name}"]', value)


def _form(page: Any) -> dict[str, str]:
    """The note form's values as the browser would send them."""
    values: dict[str, str] = page.eval_on_selector(
        "form#note", "(form) => Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]))"
    )
    return values


def _sign(page: Any) -> int:
    """Sign the note; it must come back signed and ready to bill. Returns the note's id."""
    page.get_by_role("button", name="Sign note").click()
    # Twice in about eight runs of `make test` (load 5 to 6.5, three pytest processes and Chromium on 2 cores) a
    # sign took longer than the context's 30 s; alone the journey takes 74 s, before round 9 as after it.
    page.wait_for_url(re.compile(r"/notes/\d+\?outcome=(signed|not-signed|confirm-sign)"), timeout=60_000)
    if "outcome=signed" not in page.url:
        findings = page.locator(".finding").all_inner_texts()
        raise AssertionError(f"not signed ({page.url}): " + " | ".join(" ".join(f.split()) for f in findings))
    from playwright.sync_api import expect

    expect(page.locator("#check-verdict")).to_contain_text("Ready")
    found = re.search(r"/notes/(\d+)\?", page.url)
    assert found is not None
    return int(found.group(1))


# what the journey keeps track of ------------------------------------------------------------------


def _grid(rows: list[dict[str, Any]], path: str) -> dict[str, str]:
    return {f"{path}[{row}].{key}": str(value) for row, entry in enumerate(rows) for key, value in entry.items()}


def _edit(flowsheet: list[dict[str, str]], edits: dict[tuple[int, str], str]) -> dict[str, str]:
    """Apply the day's grid edits to the expected flowsheet; the inputs to type."""
    for (row, key), value in edits.items():
        while len(flowsheet) <= row:
            flowsheet.append({})
        flowsheet[row][key] = value
    return {f"flowsheet[{row}].{key}": value for (row, key), value in edits.items()}


def _stored(app: LiveApp, note_id: int) -> dict[str, Any]:
    with app.sessions() as session:
        row = session.get(EncounterRow, note_id)
        assert row is not None
        return dict(row.document)


def _as_text(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{key: str(value) for key, value in row.items()} for row in rows]


def _assert_carried(form: dict[str, str], flowsheet: list[dict[str, str]], visit: int, since: int, force: str) -> None:
    """Copy-forward filled the new note from the last visit: every flowsheet row, the goals, the plan, the force."""
    for name, value in _grid(flowsheet, "flowsheet").items():
        assert form.get(name) == value, f"copy-forward lost {name}: {form.get(name)!r}, not {value!r}"
    assert form.get(f"flowsheet[{len(flowsheet)}].exercise") == ""  # a spare row to add an exercise
    for name, value in _grid(ep.GOALS, "goals").items():
        assert form.get(name) == value, f"copy-forward lost {name}"
    for name, value in ep.PLAN.items():
        assert form.get(name) == value, f"copy-forward lost {name}"
    assert form["plan_of_care.visit_number"] == str(visit)
    assert form["plan_of_care.visits_since_progress_report"] == str(since)
    assert form[T + "force_lbs"] == force
    assert form["diagnoses[0]"] == "M51.16"
    assert form["services[1].code"] == "97110"
    assert form.get("services[2].code", "") == ""  # the evaluation's code is not billed again
    assert form["subjective.text"] == ""  # today's words are today's


# the steps ---------------------------------------------------------------------------------------


def _evaluation(page: Any, app: LiveApp, calendar: Calendar) -> int:
    from playwright.sync_api import expect

    _start_day(page, app, calendar, ep.EVALUATION_DAY)
    _open(page, app, ep.EVALUATION_DAY, "initial_evaluation")
    fill_visit(page)  # the traction visit, then the evaluation's own entries over it
    _type(page, ep.EVALUATION, ep.EVALUATION_CHOICES)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "outcome=saved" in url)
    expect(page.locator("#check-verdict")).to_contain_text("Ready")
    expect(page.locator("#claim-preview")).to_contain_text("97162")
    _shoot(page, "initial-evaluation", "[data-field=objective]")
    note_id = _sign(page)
    document = _stored(app, note_id)
    assert document["note_type"] == "initial_evaluation"
    assert _as_text(document["flowsheet"]) == ep.FLOWSHEET
    assert [goal["id"] for goal in document["goals"]] == ["STG1", "LTG1"]
    assert document["plan_of_care"]["frequency_max_per_week"] == 3
    assert document["objective"]["outcome_measures"] == [{"name": "Oswestry", "score": 42, "scale_max": 100}]
    assert [s["code"] for s in document["services"]] == ["97012", "97110", "97162"]
    return note_id


def _daily_notes(page: Any, app: LiveApp, calendar: Calendar, flowsheet: list[dict[str, str]]) -> dict[date, int]:
    from playwright.sync_api import expect

    written: dict[date, int] = {}
    force = ep.EVALUATION[T + "force_lbs"]
    for treatment_day, visit in enumerate(ep.DAILY, start=2):
        _start_day(page, app, calendar, visit.day)
        _open(page, app, visit.day, "daily_note")
        expect(page.locator("[data-carried-note]")).to_contain_text("Carried forward from the visit of")
        _assert_carried(_form(page), flowsheet, treatment_day, treatment_day - 1, force)
        _type(page, {**visit.typed(), **_edit(flowsheet, visit.flowsheet)})
        if treatment_day == 4:  # the flowsheet after three visits of edits, on a note started by copy-forward
            _shoot(page, "daily-note", "section:has(> [data-field=flowsheet])")
        written[visit.day] = note_id = _sign(page)
        document = _stored(app, note_id)
        assert "note_type" not in document  # a daily note is a plain format-1 document
        assert _as_text(document["flowsheet"]) == flowsheet
        assert [{k: g[k] for k in ep.GOALS[0]} for g in document["goals"]] == ep.GOALS
        assert document["plan_of_care"]["visit_number"] == treatment_day
        assert document["services"][0]["traction"]["force_lbs"] == int(visit.force)
        force = visit.force
    assert _stored(app, written[ep.DAILY[-1].day])["plan_of_care"]["certified_date"] == ep.CERTIFIED_ON
    return written


def _from_the_emr(app: LiveApp, calendar: Calendar, last_id: int, flowsheet: list[dict[str, str]]) -> dict[date, int]:
    """Treatment days 8 and 9 as the clinic's EMR sends them: the last note, today's entries, saved and signed."""
    written: dict[date, int] = {}
    with httpx.Client(base_url=app.url, timeout=30) as emr:
        for day, force, (row_edit) in ep.EMR_DAYS:
            calendar.day = day
            login = emr.post("/api/session", json={"email": THERAPIST, "password": DEMO_PASSWORD})
            assert login.status_code == 200, login.text
            emr.cookies.clear()
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            last = emr.get(f"/api/encounters/{last_id}", headers=headers).json()["document"]
            document = copy.deepcopy(last)
            document.update(id=f"EMR-{day:%Y%m%d}", date_of_service=day.isoformat(), total_treatment_minutes=43)
            plan = document["plan_of_care"]
            plan.update(visit_number=plan["visit_number"] + 1)
            plan.update(visits_since_progress_report=plan["visits_since_progress_report"] + 1)
            traction = document["services"][0]
            traction.update(start_time="09:02", end_time="09:20")
            traction["traction"].update(force_lbs=force, monitoring_checks=["09:08", "09:15"])
            traction["patient_response"] = f"Leg pain 3/10 before, 1/10 after at {force} lb; no adverse response."
            document["services"][1]["minutes"] = 25
            document["subjective"] = {
                "text": "Sitting is easier; standing at work still tires the back.",
                "pain_now": 3,
            }
            for row, (key, value) in row_edit.items():
                flowsheet[row][key] = value
                document["flowsheet"][row][key] = int(value) if value.isdigit() else value
            saved = emr.post(
                "/api/encounters", headers=headers, json={"patient_id": app.new_patient_id, "document": document}
            )
            assert saved.status_code == 201, saved.text
            assert saved.json()["check"]["verdict"] == "ready", saved.json()["check"]
            signed = emr.post(f"/api/encounters/{saved.json()['id']}/sign", headers=headers)
            assert signed.status_code == 200, signed.text
            written[day] = last_id = saved.json()["id"]
    return written


def _progress_report(page: Any, app: LiveApp, calendar: Calendar, flowsheet: list[dict[str, str]]) -> int:
    """Treatment day 10: the daily note asks for the progress report; the therapist turns it into one."""
    from playwright.sync_api import expect

    visit = ep.REPORT_VISIT
    _start_day(page, app, calendar, visit.day)
    _open(page, app, visit.day, "daily_note")
    _assert_carried(_form(page), flowsheet, 10, 9, str(ep.EMR_DAYS[-1][1]))
    _type(page, visit.typed())
    expect(page.locator(PROMPT)).to_contain_text("progress report")  # the live check, as the therapist types
    expect(page.locator(PROMPT)).to_contain_text("due today")
    expect(page.locator(PROMPT)).to_contain_text("PROGRESS_REPORT_DUE")
    page.select_option('[name="note_type"]', "progress_report")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "outcome=saved" in url)
    expect(page.locator(".note-title .eyebrow")).to_contain_text("Progress report")
    expect(page.locator("th.col-status")).to_be_visible()  # each goal's status, on a report
    expect(page.locator(PROMPT)).to_be_empty()  # the report is the report
    assert _form(page)["services[0].start_time"] == visit.start  # nothing typed was lost on the way
    _type(page, ep.REPORT, ep.REPORT_STATUSES)
    _shoot(page, "progress-report", "section:has(> [data-field=assessment])")
    note_id = _sign(page)
    document = _stored(app, note_id)
    assert document["note_type"] == "progress_report"
    assert [(g["id"], g["status"], g["progress"]) for g in document["goals"]] == [
        ("STG1", "met", ep.REPORT["goals[0].progress"]),
        ("LTG1", "progressing", ep.REPORT["goals[1].progress"]),
    ]
    assert document["objective"]["outcome_measures"][0]["score"] == 24
    assert (document["plan_of_care"]["visit_number"], document["plan_of_care"]["visits_since_progress_report"]) == (
        10,
        9,
    )
    return note_id


def _addendum(page: Any, app: LiveApp, note_id: int) -> None:
    """A late entry on a signed daily note: author, time, reason and text, shown under the unchanged note."""
    from playwright.sync_api import expect

    page.goto(f"{app.url}/notes/{note_id}")
    page.locator("#addendum-reason").fill("Late entry")
    page.locator("#addendum-text").fill(ep.LATE_ENTRY)
    page.get_by_role("button", name="Add addendum").click()
    page.wait_for_url(lambda url: "outcome=amended" in url)
    with app.sessions() as session:
        author = session.scalars(select(UserRow.name).where(UserRow.email == THERAPIST)).one()
    added = page.locator("[data-addendum='1']")
    expect(added).to_contain_text(ep.LATE_ENTRY)
    expect(added).to_contain_text("Late entry")
    expect(added).to_contain_text(author)
    expect(added).to_contain_text("Oct 26, 2026")  # written on the report's day, not the note's
    expect(page.locator('[name="services[0].patient_response"]')).to_be_disabled()  # the note stays as signed
    _shoot(page, "addendum", "#addenda")


def _re_evaluation_page(page: Any, app: LiveApp, day: date) -> None:
    """A re-evaluation form filled for its screenshot: the episode needs none, so it is not saved."""
    from playwright.sync_api import expect

    _open(page, app, day, "re_evaluation")
    expect(page.locator("th.col-status")).to_be_visible()
    _type(page, {**ep.DISCHARGE_VISIT.typed(), **ep.RE_EVALUATION}, ep.RE_EVALUATION_CHOICES)
    expect(page.locator('[data-findings-for="goals"]')).to_be_empty()
    _shoot(page, "re-evaluation", "[data-field=objective]")


def _discharge(page: Any, app: LiveApp, calendar: Calendar, flowsheet: list[dict[str, str]]) -> int:
    from playwright.sync_api import expect

    visit = ep.DISCHARGE_VISIT
    _start_day(page, app, calendar, visit.day)
    # A re-evaluation form filled for its picture only, dated the day before: its autosaved draft is that day's
    # new note, so it is not restored into the discharge form (a draft of the same day would be, as it should).
    _re_evaluation_page(page, app, visit.day - timedelta(days=1))
    _open(page, app, visit.day, "discharge_summary")
    form = _form(page)
    _assert_carried(form, flowsheet, 11, 0, ep.REPORT_VISIT.force)  # the report started the count again
    assert (form["goals[0].status"], form["goals[1].status"]) == ("met", "progressing")  # as last reported
    expect(page.locator("th.col-status")).to_be_visible()
    _type(page, {**visit.typed(), **ep.DISCHARGE}, ep.DISCHARGE_STATUSES)
    _shoot(page, "discharge-summary", "section:has(> [data-field=assessment])")
    note_id = _sign(page)
    document = _stored(app, note_id)
    assert document["note_type"] == "discharge_summary"
    assert [(g["id"], g["status"]) for g in document["goals"]] == [("STG1", "met"), ("LTG1", "partially_met")]
    return note_id


def _billed_from_the_queue(browser: Any, app: LiveApp, notes: dict[date, int], amended: int) -> None:
    """The biller's queue lists every note of the episode as ready, with its codes; their claims build."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)  # a loaded 2-core machine: signing re-checks the note against the chart
    page = context.new_page()
    log_in(page, app.url, BILLER)
    first, last = min(notes), max(notes)
    page.goto(f"{app.url}/queue?tab=ready&from={first}&to={last}")
    expect(page.locator(".tab-ready .tab-count")).to_have_text(str(len(notes)))
    expect(page.locator(".tab-needs_attention .tab-count")).to_have_text("0")
    expect(page.locator(".tab-blocked .tab-count")).to_have_text("0")
    rows = page.locator("table.queue tbody tr")
    listed = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        note_id = int(row.locator('input[name="encounter_id"]').get_attribute("value") or 0)
        listed[note_id] = [chip.split(" ×")[0] for chip in row.locator(".code-chip").all_inner_texts()]
        assert "Lindqvist" in row.inner_text()
    expected = {note_id: ["97012", "97110"] for note_id in notes.values()}  # traction and exercise each visit
    expected[notes[ep.EVALUATION_DAY]] = ["97012", "97110", "97162"]  # and the evaluation on its day
    assert listed == expected
    page.get_by_role("button", name=f"Build claims for all {len(notes)} matching").click()
    page.wait_for_url(re.compile(r"/queue\?.*built=\d+"))
    expect(page.locator("[data-bulk-outcome]")).to_contain_text(f"Built {len(notes)} claims.")
    with app.sessions() as session:
        for note_id in notes.values():
            note = session.get(EncounterRow, note_id)
            assert note is not None
            assert note.status == "billed"
            claim = session.scalars(select(ClaimRow).where(ClaimRow.encounter_id == note_id)).one()
            latest = session.scalars(
                select(EncounterCheckRow)
                .where(EncounterCheckRow.encounter_id == note_id)
                .order_by(EncounterCheckRow.id.desc())
            ).first()
            assert latest is not None
            assert [(line.code, line.units) for line in claim.lines] == [
                (x["code"], x["units"]) for x in latest.claim_lines
            ]
            version = note_version(session, note)
            assert (claim.note_version, claim.note_hash) == (version.label, version.sha256)
            assert claim.note_version.endswith("+1" if note_id == amended else "+0")  # the addendum is counted
    context.close()


def _date_forms(day: date) -> tuple[str, ...]:
    """The ways a PDF may write the day: 2026-10-05, 10/05/2026, 10/5/2026, Oct 5, 2026, October 5, 2026."""
    return (
        day.isoformat(),
        f"{day:%m/%d/%Y}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day:%b} {day.day}, {day.year}",
        f"{day:%B} {day.day}, {day.year}",
    )


NAMED = {  # the note type as a heading may name it (the page's label first)
    NoteType.INITIAL_EVALUATION: (NOTE_TYPE_LABELS[NoteType.INITIAL_EVALUATION], "Evaluation"),
    NoteType.DAILY_NOTE: (NOTE_TYPE_LABELS[NoteType.DAILY_NOTE], "Daily note", "Treatment note"),
    NoteType.PROGRESS_REPORT: (NOTE_TYPE_LABELS[NoteType.PROGRESS_REPORT],),
    NoteType.DISCHARGE_SUMMARY: (NOTE_TYPE_LABELS[NoteType.DISCHARGE_SUMMARY], "Discharge note"),
}


def _episode_pdf(page: Any, app: LiveApp, tmp: Path, kinds: dict[date, NoteType]) -> None:
    """The episode PDF from the patient's chart holds every note of the episode and the addendum."""
    page.goto(f"{app.url}/patients/{app.new_patient_id}")
    links = page.get_by_role("link", name=re.compile("Episode PDF", re.I))
    assert links.count() >= 1, "the patient chart has no Episode PDF link"
    href = links.first.get_attribute("href")
    assert href, "the Episode PDF link has no address"
    answer = page.request.get(app.url + href if href.startswith("/") else href)
    assert answer.status == 200, answer.text()[:400]
    assert answer.headers["content-type"].startswith("application/pdf")
    pdf = tmp / "episode.pdf"
    pdf.write_bytes(answer.body())
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for day, kind in kinds.items():
        assert any(form in text for form in _date_forms(day)), f"the episode PDF has no note of {day}"
        assert any(name.lower() in text.lower() for name in NAMED[kind]), f"the episode PDF names no {kind.label}"
    assert " ".join(ep.LATE_ENTRY.split()) in text, "the episode PDF lacks the addendum"


def test_an_episode_from_the_evaluation_to_the_discharge(
    world: tuple[LiveApp, Calendar], browser: Any, tmp_path: Path
) -> None:
    app, calendar = world
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)  # a loaded 2-core machine: signing re-checks the note against the chart
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # leaving an unsaved form is the therapist's choice here
    flowsheet = copy.deepcopy(ep.FLOWSHEET)

    notes = {ep.EVALUATION_DAY: _evaluation(page, app, calendar)}
    daily = _daily_notes(page, app, calendar, flowsheet)
    notes.update(daily)
    notes.update(_from_the_emr(app, calendar, daily[ep.DAILY[-1].day], flowsheet))
    notes[ep.REPORT_DAY] = _progress_report(page, app, calendar, flowsheet)
    amended = daily[ep.DAILY[2].day]
    _addendum(page, app, amended)
    notes[ep.DISCHARGE_DAY] = _discharge(page, app, calendar, flowsheet)
    assert len(notes) == 11

    _billed_from_the_queue(browser, app, notes, amended)
    kinds = dict.fromkeys(notes, NoteType.DAILY_NOTE)
    kinds.update(
        {
            ep.EVALUATION_DAY: NoteType.INITIAL_EVALUATION,
            ep.REPORT_DAY: NoteType.PROGRESS_REPORT,
            ep.DISCHARGE_DAY: NoteType.DISCHARGE_SUMMARY,
        }
    )
    # Last: the episode PDF (GET /patients/{id}/episode.pdf, linked from the chart) is another branch's work.
    _episode_pdf(page, app, tmp_path, kinds)
    context.close()
