"""The back-office pages without a browser: the five reports with their charts and CSV/PNG exports,
the denials worklist and its appeal packets, who may open them, and that a clinic sees only its own.

The demo clinic is seeded, billed and paid by the simulated payers' 835s, plus two late denials: one
whose appeal falls due in 6 days, one whose note still fails the check that should have caught it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.domain.clock import FixedClock
from ptbill.server import create_app
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo
from ptbill.services.denials import main_denial
from ptbill.services.reports import documentation_audit as report_pages
from ptbill.settings import Settings
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, EncounterRow, UserRow
from ptbill.web import charts
from ptbill.web.routes.denials import deadline_state
from tests.browser.back_office_data import LATE_FINDING, LateDenials, pay_demo_claims
from tests.demo_day import DEMO_TODAY
from tests.engine_runs import count_engine_runs
from tests.migrated import migrate

BILLER = "biller@harbor.example"
OTHER_CLINIC = "biller@mesa.example"
HEADERS = {
    "reimbursement-97012": ["payer", "type", "guide average", "your average reimbursed", "paid lines", "difference"],
    "expected-vs-paid": ["payer", "code", "expected", "allowed", "paid", "difference", "underpaid"],
    "denial-rate": ["payer", "month", "claims", "denied", "denied %", "top reasons"],
    "best-payer": ["payer", "paid lines", "average per unit", "lowest", "highest"],
    "documentation-audit": ["period", "therapist", "rule", "notes failing", "notes sampled", "failure %", "notes"],
    "ar-aging": ["name", "claims", "0-30", "31-60", "61-90", "91-120", "over 120", "total"],
    "days-in-ar": ["payer", "A/R", "charges in window", "average daily charges", "days in A/R"],
    "net-collection": [
        "payer",
        "claims",
        "charges",
        "contractual adjustments",
        "collectible",
        "payments",
        "rate %",
    ],
    "clean-claims": ["payer", "adjudicated", "clean on first pass", "not clean", "clean %"],
    "productivity": ["therapist", "visits", "billed visits", "units", "charges", "charges per billed visit"],
}
PARAMS = {
    "best-payer": "?code=97012",
    "documentation-audit": "?period=2026-02&n=5&draw=0",
    "days-in-ar": "?as_of=2026-04-06",  # the demo's day: its last 90 days have charges
    "ar-aging": "?as_of=2026-04-06",
}


@dataclass
class Demo:
    url: str
    directory: Path
    late: LateDenials
    denied: dict[int, str]  # clinic 1's denied or short-paid claims: id -> patient control number
    therapists: list[str]  # clinic 1's clinicians, by name
    patients: list[str]  # "Last, First" of clinic 1's billed patients


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    directory = tmp_path_factory.mktemp("back-office")
    url = f"sqlite:///{directory / 'ptbill.sqlite3'}"
    migrate(url)
    with transaction(session_factory(make_engine(url))) as session:
        seed_demo(session, today=DEMO_TODAY)
        late = pay_demo_claims(session, due_in_days=6)
        harbor = session.scalar(select(UserRow.clinic_id).where(UserRow.email == BILLER))
        claims = list(session.scalars(select(ClaimRow).where(ClaimRow.clinic_id == harbor)))
        # Denied claims, and short-paid ones whose remittance gives a denial reason: a claim paid under its
        # expected amount with only the contractual adjustment is an underpayment, not a denial to work.
        reasons = {
            p.claim_id
            for p in session.scalars(select(ClaimPaymentRow).where(ClaimPaymentRow.clinic_id == harbor))
            if main_denial(p) is not None
        }
        denied = {
            c.id: c.patient_control_number
            for c in claims
            if c.status == "denied" or (c.status == "partial" and c.id in reasons)
        }
        therapists = list(
            session.scalars(
                select(UserRow.name).where(UserRow.clinic_id == harbor, UserRow.role.in_(("therapist", "pta")))
            )
        )
        patients = []
        for claim in claims:
            encounter = session.get(EncounterRow, claim.encounter_id)
            assert encounter is not None
            patient = encounter.document["patient"]
            patients.append(f"{patient['last_name']}, {patient['first_name']}")
    assert late.due_soon is not None, "the demo has no note for the late denial due soon"
    assert late.still_failing is not None, "the demo has no note still failing for a late denial"
    return Demo(url, directory, late, denied, therapists, patients)


@pytest.fixture
def log_in(demo: Demo) -> Iterator[Callable[[str], TestClient]]:
    """A logged-in client per user (each with its own cookies)."""
    clients: list[TestClient] = []

    def make(email: str) -> TestClient:
        # The app's day is the day the late denials were dated from (the system clock's "today" is the
        # latest time zone's, which can be tomorrow already).
        secret = "back-office-secret-" + "z" * 32
        app = create_app(
            Settings(demo.url, demo.directory, secret, secure_cookies=False, clock=FixedClock(date.today()))
        )
        client = TestClient(app).__enter__()
        clients.append(client)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        answer = client.post(
            "/login",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# the reports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HEADERS))
def test_each_report_page_shows_a_server_drawn_chart_and_its_export_links(
    name: str, log_in: Callable[[str], TestClient]
) -> None:
    page = log_in(BILLER).get(f"/reports/{name}{PARAMS.get(name, '')}")
    assert page.status_code == 200
    assert '<figure class="chart"' in page.text
    svg = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert 'role="img"' in svg
    assert "<text" in svg  # labels are text in the SVG, not pixels
    assert "<script" not in page.text.split("</head>", 1)[1]  # no script draws it
    query = PARAMS.get(name, "").replace("&", "&amp;")
    assert f'href="/reports/{name}.csv{query}"' in page.text
    assert f'href="/reports/{name}.png{query}"' in page.text
    assert 'aria-current="page">Reports</a>' in page.text  # the main nav marks the section


@pytest.mark.parametrize("name", list(HEADERS))
def test_the_csv_export_parses_with_the_report_header(name: str, log_in: Callable[[str], TestClient]) -> None:
    answer = log_in(BILLER).get(f"/reports/{name}.csv{PARAMS.get(name, '')}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    rows = _csv(answer.text)
    assert rows[0] == HEADERS[name]
    assert len(rows) > 1
    assert all(len(row) == len(HEADERS[name]) for row in rows)


@pytest.mark.parametrize("name", list(HEADERS))
def test_the_png_export_is_a_png(name: str, log_in: Callable[[str], TestClient]) -> None:
    answer = log_in(BILLER).get(f"/reports/{name}.png{PARAMS.get(name, '')}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_reimbursement_shows_the_guide_table_beside_what_was_paid_with_negatives_marked(
    log_in: Callable[[str], TestClient],
) -> None:
    client = log_in(BILLER)
    page = client.get("/reports/reimbursement-97012").text
    assert "$19.21" in page  # Aetna's average in the guide's table
    assert "MedRisk EPO" in page  # a guide payer the clinic has no payment from is still listed
    assert re.search(r'class="neg"[^>]*>−\$\d+\.\d\d<', page)  # below the guide: a real minus, in red
    rows = {row[0]: row for row in _csv(client.get("/reports/reimbursement-97012.csv").text)[1:]}
    aetna = rows["Aetna"]
    assert aetna[2] == "19.21"
    assert aetna[3]
    assert float(aetna[5]) == pytest.approx(float(aetna[3]) - float(aetna[2]))


def test_expected_vs_paid_lists_the_underpaid_lines_per_payer_and_code(
    demo: Demo, log_in: Callable[[str], TestClient]
) -> None:
    client = log_in(BILLER)
    page = client.get("/reports/expected-vs-paid").text
    assert page.count('<details class="under-group"') >= 2
    assert re.search(r"HPT-\d{8}-\d{3}", page)  # the claims themselves, not only totals
    lines = _csv(client.get("/reports/expected-vs-paid.csv?lines=underpaid").text)
    assert lines[0][:4] == ["claim", "patient", "payer", "code"]
    # Every underpaid line the page counts, not only the 50 the report's notes carry. (Was "> 50": that count
    # read every coinsurance as an underpayment; like with like, the demo has fewer underpaid lines.)
    counted = re.search(r'Underpaid lines <span class="count">(\d+)</span>', page)
    assert counted is not None
    assert len(lines) - 1 == int(counted.group(1)) > 10
    assert all(float(line[-1]) > 0.5 for line in lines[1:])


def test_denial_rate_runs_month_by_month_and_names_the_reasons(log_in: Callable[[str], TestClient]) -> None:
    page = log_in(BILLER).get("/reports/denial-rate").text
    for month in ("Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"):  # Apr: no remittance, still on the axis
        assert month in page
    assert "CO-236" in page
    assert "NCCI procedure-to-procedure pair" in page


def test_best_payer_answers_for_the_picked_code(log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    page = client.get("/reports/best-payer?code=97110").text
    assert "Which payer pays best for 97110" in page
    assert '<option value="97110" selected>' in page
    assert 'href="/reports/best-payer.csv?code=97110"' in page
    typo = client.get("/reports/best-payer?code=97O12").text  # a letter O for the zero
    assert "is not a CPT or HCPCS code; showing 97012" in typo
    assert "Which payer pays best for 97012" in typo
    assert client.get("/reports/best-payer.csv?code=97110").status_code == 200


def test_documentation_audit_for_a_quarter_with_its_sample_size_and_trend(log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    page = client.get("/reports/documentation-audit?period=2026-Q1&n=3").text
    assert "Documentation audit: Q1 2026 (Jan–Mar)" in page
    assert "3 of " in page  # the sample size per therapist, out of their notes
    assert "Q4 2025" not in page.split("No notes in", 1)[0].split("<svg", 1)[1]  # an empty period is no point
    rows = _csv(client.get("/reports/documentation-audit.csv?period=2026-02&n=5").text)
    assert {row[0] for row in rows[1:]} <= {"2026-01", "2026-02"}
    assert all(row[4] == "5" for row in rows[1:])
    default = client.get("/reports/documentation-audit").text
    assert "Documentation audit: February 2026" in default  # the last month with notes


# the denials worklist ----------------------------------------------------------------------------


def worklist_pages(client: TestClient, query: str = "status=all") -> list[str]:
    """Every page of the worklist for ``query``."""
    pages, number = [], 1
    while True:
        answer = client.get(f"/denials?{query}&page={number}")
        assert answer.status_code == 200
        pages.append(answer.text)
        if "Next →" not in answer.text:
            return pages
        number += 1


def items_of_claim(page: str, number: str) -> list[int]:
    return [int(i) for i in re.findall(rf'<a href="/denials/items/(\d+)" class="mono">{re.escape(number)}</a>', page)]


def test_a_view_of_the_worklist_reads_stored_results_and_runs_the_engine_for_no_denied_note(
    demo: Demo, log_in: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = log_in(BILLER)
    client.get("/denials")  # the first read of the clinic makes nothing new: posting made the items
    runs = count_engine_runs(monkeypatch)
    text = "".join(worklist_pages(client))
    assert len(demo.denied) >= 3
    assert all(number in text for number in demo.denied.values())
    assert runs == []


def test_the_worklist_lists_every_denied_line_with_its_reason(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    text = "".join(worklist_pages(client))
    for number in demo.denied.values():
        assert number in text
    assert "CO-236" in text
    assert "CO-16 / N443" in text
    assert 'href="/claims/' in text  # each line links to its claim's page
    assert 'class="tab" aria-current="page"><span>All</span>' in text


def test_the_filters_narrow_the_list_and_the_counts_follow(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    everything = "".join(worklist_pages(client))
    only = "".join(worklist_pages(client, "status=all&reason=CO-16+%2F+N443"))
    assert demo.denied[demo.late.due_soon] in only  # type: ignore[index]
    assert "CO-236" not in only.split("<tbody>", 1)[1]
    assert only.count("/denials/items/") < everything.count("/denials/items/")
    nobody = client.get("/denials?assignee=mine")
    assert "No denied line matches these filters." in nobody.text
    bad = client.get("/denials?follow_up=someday")
    assert bad.status_code == 422
    assert "follow_up must be due or overdue" in bad.text


def test_an_appeal_due_within_14_days_is_highlighted_and_listed_first(
    demo: Demo, log_in: Callable[[str], TestClient]
) -> None:
    page = log_in(BILLER).get("/denials").text
    due = date.today() + timedelta(days=6)
    number = demo.denied[demo.late.due_soon]  # type: ignore[index]
    first_row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert 'class="deadline-row-soon"' in first_row
    assert number in first_row
    assert "due in 6 days" in first_row
    assert f"{due:%b} {due.day}, {due.year}" in first_row
    assert "redetermination" in first_row


def test_the_item_page_says_when_the_note_still_fails_the_rule(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    text = "".join(worklist_pages(client))
    [failing, *_] = items_of_claim(text, demo.denied[demo.late.still_failing])  # type: ignore[index]
    page = client.get(f"/denials/items/{failing}").text
    assert LATE_FINDING in page
    assert "the note still fails it" in page
    assert f'href="/claims/{demo.late.still_failing}"' in page
    [soon, *_] = items_of_claim(text, demo.denied[demo.late.due_soon])  # type: ignore[index]
    assert "The note passes these checks now." in client.get(f"/denials/items/{soon}").text


def _csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return token.group(1)


def test_a_biller_assigns_schedules_notes_and_appeals_an_item(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    text = "".join(worklist_pages(client))
    [item, *_] = items_of_claim(text, demo.denied[demo.late.due_soon])  # type: ignore[index]
    page = client.get(f"/denials/items/{item}").text
    assert "Appeal: redetermination" in page
    assert "CMS-20027" in page
    token = _csrf(page)
    me = re.search(r'<option value="(\d+)"[^>]*>[^<]*\(me\)</option>', page)
    assert me
    base = f"/denials/items/{item}"
    post = {"csrf_token": token, "expected_status": "new"}
    answer = client.post(f"{base}/assign", data={**post, "assignee_id": me.group(1)}, follow_redirects=False)
    assert answer.status_code == 303
    answer = client.post(f"{base}/follow-up", data={**post, "follow_up": "2031-02-03"}, follow_redirects=False)
    assert answer.status_code == 303
    answer = client.post(
        f"{base}/notes", data={"csrf_token": token, "text": "Called MAC, ref 77"}, follow_redirects=False
    )
    assert answer.status_code == 303
    answer = client.post(f"{base}/status", data={**post, "status": "appealed"}, follow_redirects=False)
    assert answer.status_code == 303
    stale = client.post(f"{base}/status", data={**post, "status": "resolved"})
    assert stale.status_code == 409
    assert "is appealed now, not new" in stale.text
    bad = client.post(f"{base}/follow-up", data={**post, "expected_status": "appealed", "follow_up": "03/02/31"})
    assert bad.status_code == 422
    assert "follow_up: not a day" in bad.text
    page = client.get(base).text
    assert "Called MAC, ref 77" in page
    assert "Follow up on 02/03/2031." in page
    assert 'value="2031-02-03"' in page
    assert "Go to level 2" in page
    mine = client.get("/denials?assignee=mine&status=appealed").text
    assert demo.denied[demo.late.due_soon] in mine  # type: ignore[index]
    pdf = client.get(f"{base}/appeal.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")


def test_a_packet_past_its_deadline_asks_first(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(BILLER)
    text = "".join(worklist_pages(client))
    past = re.search(r'<tr class="deadline-row-past">\s*<td class="claim-cell"><a href="/denials/items/(\d+)"', text)
    assert past, "the demo has a denial past its appeal deadline"
    base = f"/denials/items/{past.group(1)}"
    assert "Build the late packet (PDF)" in client.get(base).text
    ask = client.get(f"{base}/appeal.pdf")
    assert ask.status_code == 409
    assert "is late" in ask.text
    assert f'href="{base}/appeal.pdf?late=true"' in ask.text
    late = client.get(f"{base}/appeal.pdf?late=true")
    assert late.status_code == 200
    assert late.content.startswith(b"%PDF-")


def test_the_claim_appeal_link_still_returns_the_packet_as_a_pdf(
    demo: Demo, log_in: Callable[[str], TestClient]
) -> None:
    answer = log_in(BILLER).get(f"/denials/{demo.late.due_soon}/appeal.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith('inline; filename="appeal-HPT-')
    assert answer.content.startswith(b"%PDF-")


def test_another_clinic_gets_404_for_the_appeal_packet(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    claim_id = demo.late.due_soon
    answer = log_in(OTHER_CLINIC).get(f"/denials/{claim_id}/appeal.pdf")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert demo.denied[claim_id] not in answer.text  # type: ignore[index]
    assert log_in(OTHER_CLINIC).get("/denials/999999/appeal.pdf").status_code == 404
    item = items_of_claim("".join(worklist_pages(log_in(BILLER))), demo.denied[claim_id])[0]  # type: ignore[index]
    other = log_in(OTHER_CLINIC)
    for path in (f"/denials/items/{item}", f"/denials/items/{item}/appeal.pdf"):
        assert other.get(path).status_code == 404
    token = _csrf(other.get("/denials").text)
    changed = other.post(
        f"/denials/items/{item}/status", data={"csrf_token": token, "expected_status": "new", "status": "resolved"}
    )
    assert changed.status_code == 404


def test_another_clinic_sees_none_of_clinic_ones_rows(demo: Demo, log_in: Callable[[str], TestClient]) -> None:
    client = log_in(OTHER_CLINIC)
    private = [*demo.denied.values(), *demo.therapists, *demo.patients]
    for name, header in HEADERS.items():
        page = client.get(f"/reports/{name}{PARAMS.get(name, '')}")
        assert page.status_code == 200
        leaked = [text for text in private if text in page.text]
        assert not leaked, f"{name} shows another clinic's {leaked[:3]}"
        assert not re.search(r"HPT-\d{8}", page.text)
        rows = _csv(client.get(f"/reports/{name}.csv{PARAMS.get(name, '')}").text)
        assert rows[0] == header
        if name == "reimbursement-97012":  # the guide's table, with nothing paid beside it
            assert rows[1:]
            assert all(row[3] == "" and row[4] == "0" for row in rows[1:])
        else:
            assert rows[1:] == [], f"{name}.csv has rows for a clinic with no claims"
    worklist = client.get("/denials").text
    assert "No open denials" in worklist
    assert not re.search(r"HPT-\d{8}", worklist)


# who may open them --------------------------------------------------------------------------------


def test_billers_see_the_nav_links_and_therapists_are_refused(log_in: Callable[[str], TestClient]) -> None:
    biller_home = log_in(BILLER).get("/queue").text
    assert 'href="/reports"' in biller_home
    assert 'href="/denials"' in biller_home
    therapist = log_in("therapist1@harbor.example")
    assert 'href="/reports"' not in therapist.get("/notes").text
    for path in ("/reports", "/reports/denial-rate", "/reports/denial-rate.csv", "/reports/best-payer.png", "/denials"):
        assert therapist.get(path).status_code == 403, path


def test_an_admin_may_open_them_and_an_unknown_report_is_404(log_in: Callable[[str], TestClient]) -> None:
    admin = log_in("admin@harbor.example")
    assert admin.get("/reports").status_code == 200
    assert admin.get("/denials").status_code == 200
    assert admin.get("/reports/nothing-here").status_code == 404
    assert admin.get("/reports/nothing-here.csv").status_code == 404


def test_without_a_session_the_pages_send_to_the_login_form(demo: Demo) -> None:
    app = create_app(Settings(demo.url, demo.directory, "back-office-secret-" + "z" * 32, secure_cookies=False))
    with TestClient(app) as client:
        answer = client.get("/reports/best-payer?code=97110", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/reports/best-payer%3Fcode%3D97110"
        assert client.get("/denials/1/appeal.pdf", follow_redirects=False).status_code == 303


# the pieces the pages are built from ----------------------------------------------------------------


def test_deadline_states() -> None:
    today = date(2026, 11, 26)
    assert deadline_state(None, today) == ("none", None)
    assert deadline_state(date(2026, 11, 25), today) == ("past", -1)
    assert deadline_state(today, today) == ("soon", 0)
    assert deadline_state(date(2026, 12, 10), today) == ("soon", 14)
    assert deadline_state(date(2026, 12, 11), today) == ("open", 15)


def test_periods_months_and_quarters() -> None:
    assert report_pages.period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert report_pages.period_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert report_pages.previous_period("2026-01") == "2025-12"
    assert report_pages.previous_period("2026-Q1") == "2025-Q4"
    assert report_pages.period_label("2026-Q1") == "Q1 2026 (Jan–Mar)"
    assert report_pages.period_label("2026-02", long=True) == "February 2026"
    with pytest.raises(ValueError, match="2026-13"):
        report_pages.period_bounds("2026-13")


def test_charts_leave_gaps_and_scale_to_round_ticks() -> None:
    line = charts.line_chart(["Jan", "Feb", "Mar"], {"denied": [10.0, None, 30.0]})
    assert line["lines"][0]["paths"] == []  # two points with a gap between: no line drawn across it
    assert [p["text"] for p in line["lines"][0]["points"]] == ["10%", "30%"]
    bars = charts.bar_chart(["A", "B"], {"guide": [19.21, 9.0], "yours": [15.23, None]})
    assert [t["text"] for t in bars["ticks"]][-1] == "$20"
    assert len(bars["rows"][1]["bars"]) == 1  # no bar for a missing value
    assert charts.bar_chart([], {"x": []})["empty"]


def test_a_report_page_filters_by_payer_and_dates_of_service_and_its_exports_keep_them(
    log_in: Callable[[str], TestClient],
) -> None:
    client = log_in(BILLER)
    everyone = _csv(client.get("/reports/best-payer.csv?code=97012").text)[1:]
    assert len(everyone) > 1
    page = client.get("/reports/best-payer?code=97012&payer=aetna&from=2026-01-01&to=2026-12-31")
    assert (
        'href="/reports/best-payer.csv?from=2026-01-01&amp;to=2026-12-31&amp;payer=aetna&amp;code=97012"' in page.text
    )
    assert '<option value="aetna" selected>' in page.text
    only = _csv(client.get("/reports/best-payer.csv?from=2026-01-01&to=2026-12-31&payer=aetna&code=97012").text)
    assert [row[0] for row in only[1:]] == ["Aetna"]
    assert _csv(client.get("/reports/best-payer.csv?code=97012&from=2030-01-01").text)[1:] == []
    ignored = _csv(client.get("/reports/best-payer.csv?code=97012&payer=nobody&therapist=%3Cx%3E").text)[1:]
    assert ignored == everyone  # what cannot be a payer or an email is ignored, as a wrong code is
