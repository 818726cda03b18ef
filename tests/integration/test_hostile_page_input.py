"""No 5xx from what a user can put in an address or a form, on every page route.

The walk enumerates the page routes from the routers the app mounts (``ptbill.web.main.PAGE_ROUTERS``),
opens each with good values, follows the links and GET forms that carry a query, and reads every form
and link it meets. Then it sends hostile values, one at a time: in each path parameter (a 404 or 422
page: such a value names no record), in each query value the route declares or a page uses with it, in
each field of each form that posts to the route, and in the row number of each repeated field's name.
A POST route that no page offers a form for fails the walk, so a new route cannot skip it.

Every field is attacked, but not with every value: each path parameter, query value and form field gets a
sample of the hostile kinds (a third of them, a different third for each field, chosen by a stable hash of
the route and the field's name, so a run repeats the last one). Every kind is then sent to every type of
field (where it sits, and for a form field the shape of its good value: number, date, text...) at least
once, to the first field of that type when no sampled field took it. Across the walk each kind reaches
dozens of fields; sending all twelve to every field took about three times as long for the same types.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import FixedClock
from ptbill.remittance.x12_835.writer import write_835
from ptbill.server import create_app
from ptbill.services import (
    abn,
    access,
    batches,
    billing,
    clinic,
    cosign,
    frozen_claims,
    note_drafts,
    note_returns,
    note_templates,
    patient_ledger,
    patient_payments,
    patients,
    providers,
    remittance_files,
    reopening,
    statements,
)
from ptbill.services import notes as notes_service
from ptbill.services.demo_payments import simulate_payments
from ptbill.settings import Settings
from ptbill.storage.session import transaction
from ptbill.storage.tables import (
    AbnRow,
    ClaimBatchRow,
    ClaimPaymentRow,
    ClaimRow,
    CoverageRow,
    DenialItemRow,
    EncounterRow,
    EstimateRow,
    JobRunRow,
    NoteReturnRow,
    PatientPaymentRow,
    PatientRow,
    RemittanceFileRow,
    RemittanceRow,
    ReopeningRequestRow,
    StatementRow,
    UserRow,
)
from ptbill.web.main import PAGE_ROUTERS
from tests.demo_day import DEMO_TODAY
from tests.integration.api.world import A_USERS, World, build_world, fresh_database
from tests.integration.page_forms import Form, PageReader, logged_in
from tests.integration.test_posting import remittance_for

HOSTILE = (
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic three: int() reads it as 3
    "99999999999999999999999999999",  # beyond any database integer
    "-1",
    "0",
    "2026-02-30",
    "abc",
    "",
    "NaN",
    "1e999",
    "x" * 10_000,
    "a\x00b",
)
# PostgreSQL walks the values it stores differently from SQLite (sizes, NUL, numbers it has no room
# for); the others are refused before anything is stored, the same way on both.
ON_POSTGRES = ("99999999999999999999999999999", "", "NaN", "1e999", "x" * 10_000, "a\x00b")
HOSTILE_ROWS = ("²", "٣", "99999999999999999999999999999")  # in a field name: services[²].code
# The live check, autosave (static/note_autosave.js) and the note templates post the note form as it stands, from a
# script rather than a form action.
POSTED_BY_SCRIPT = dict.fromkeys(
    ("/notes/check", "/notes/drafts", "/notes/templates/choices", "/notes/templates/apply"),
    ("/notes", "/notes/{encounter_id}"),
)
# Forms that appear only in the middle of a two-step login or its set-up: their hostile values are sent
# by tests/integration/test_two_factor.py, which reaches those steps.
WALKED_BY_TWO_FACTOR_TESTS = {"POST /login/code", "POST /account/two-factor/confirm"}
KINDS_PER_FIELD = 3  # each field gets len(values) // KINDS_PER_FIELD of the hostile kinds (at least one)
WALKERS = ("therapist", "admin")  # between them every role check of the pages is passed
REPORTS = ("reimbursement-97012", "expected-vs-paid", "denial-rate", "best-payer", "documentation-audit")


def page_routes() -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]


def route_of(method: str, path: str) -> APIRoute | None:
    """The route a request reaches: the first that matches, as the router decides."""
    return next((r for m, r in page_routes() if m == method and r.path_regex.match(path)), None)


def path_names(route: APIRoute) -> list[str]:
    return re.findall(r"{(\w+)}", route.path)


def address(route: APIRoute, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: quote(values[m.group(1)], safe=""), route.path)


def sample(values: tuple[str, ...], where: str) -> tuple[str, ...]:
    """The hostile kinds one field gets: a run of a third of them, starting where a stable hash of the field
    (route and name) points, so neighbouring fields get different kinds and every run the same ones."""
    count = max(1, len(values) // KINDS_PER_FIELD)
    start = zlib.crc32(where.encode()) % len(values)
    return tuple(values[(start + i) % len(values)] for i in range(count))


def field_type(place: str, good: list[str] | None = None) -> str:
    """Where a value goes and, for a form field, the shape of the value its page fills in."""
    if good is None:
        return place
    value = good[-1] if good else ""
    for name, pattern in (
        ("empty", r""),
        ("integer", r"-?[0-9]+"),
        ("decimal", r"-?[0-9]*\.[0-9]+"),
        ("date", r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
        ("flag", r"on|true|false|yes|no"),
    ):
        if re.fullmatch(pattern, value, re.IGNORECASE):
            return f"{place}:{name}"
    return f"{place}:text"


def shape(name: str) -> str:
    """Fields that differ only by a row number past the first take the same code path."""
    return re.sub(r"\[[1-9][0-9]*\]", "[#]", name)


@dataclass
class Walk:
    clients: dict[str, TestClient]
    ids: dict[str, list[str]]  # path parameter -> good values (the first stands when another is mutated)
    hostile: tuple[str, ...]
    forms: dict[str, list[tuple[str, Form]]] = field(default_factory=lambda: defaultdict(list))
    # route -> the addresses a page links to (or a GET form sends to) -> the query names used with them
    queries: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    openers: dict[str, str] = field(default_factory=dict)  # route path -> a walker it answered 200
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    # field type -> the hostile kinds sent to a field of that type; and the first field of each type, to send
    # the kinds no sampled field of the type took
    sent_to: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first_of: dict[str, tuple[Callable[[str], None], tuple[str, ...]]] = field(default_factory=dict)
    fields_per_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    opened: set[tuple[str, str]] = field(default_factory=set)  # (walker, address) read already

    def attack(self, kind: str, where: str, send: Callable[[str], None], *, empty: bool = True) -> None:
        """Send the field's sample of the hostile kinds (no empty one to a path segment: it is another address)."""
        values = self.hostile if empty else tuple(v for v in self.hostile if v)
        self.first_of.setdefault(kind, (send, values))
        for value in sample(values, where):
            send(value)
            self.sent_to[kind].add(value)
            self.fields_per_kind[value] += 1

    def every_kind_to_every_type(self) -> None:
        for kind, (send, values) in self.first_of.items():
            for value in values:
                if value not in self.sent_to[kind]:
                    send(value)
                    self.sent_to[kind].add(value)

    def answer(self, response: Any, what: str, pages: tuple[int, ...] | None = None) -> None:
        """Note a 5xx, or (for a path parameter) anything but an HTML page with one of ``pages``."""
        self.sent += 1
        html = response.headers.get("content-type", "").startswith("text/html")
        if response.status_code >= 500 or (pages is not None and (response.status_code not in pages or not html)):
            self.failures.append(f"{what} -> {response.status_code}: {response.text[:160]!r}")

    def read(self, role: str, url: str) -> list[str]:
        """Open a page; keep its forms, the query names its links use, and where they lead. A page the walker
        read already is not read again: many pages link to the same filtered list, and nothing has changed yet."""
        if (role, url) in self.opened:
            return []
        self.opened.add((role, url))
        response = self.clients[role].get(url, follow_redirects=False)
        self.answer(response, f"{role} GET {url}")
        route = route_of("GET", urlsplit(url).path)
        if route is None or response.status_code != 200:
            return []
        self.openers.setdefault(route.path, role)
        if not response.headers["content-type"].startswith("text/html"):
            return []
        reader = PageReader()
        reader.feed(response.text)
        onward = []
        for form in reader.forms:
            target = route_of(form.method.upper(), urlsplit(form.action).path)
            if target is not None:
                self.forms[target.path].append((role, form))
                if form.method == "get":
                    self.queries[target.path][urlsplit(form.action).path].update(form.fields)
                    onward.append(f"{form.action}?{urlencode({k: v[-1] for k, v in form.fields.items() if v})}")
        for link in reader.links:
            parts = urlsplit(link)
            target = route_of("GET", parts.path)
            if target is not None and parts.query:
                self.queries[target.path][parts.path].update(name for name, _ in parse_qsl(parts.query))
                onward.append(link)
        return onward


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The API tests' clinic A, billed and paid by the simulated payers, with one claim in an unsent batch and
    one still unbatched."""
    tmp: Path = tmp_path_factory.mktemp(f"hostile-{request.param}")
    with fresh_database(request.param, tmp) as url:
        built = build_world(url, tmp)
        try:
            with transaction(built.app.state.ptbill.sessions) as session:
                simulate_payments(session, today=DEMO_TODAY)
                biller = session.scalar(select(UserRow).where(UserRow.email == A_USERS["biller"]))
                assert biller is not None
                actor = access.Actor(biller.id, biller.clinic_id, biller.role, biller.name)
                signed = [n.id for n in notes_service.list_encounters(session, actor) if n.status == "signed"]
                # One claim in a batch not yet sent (the demo's batch is submitted), one still unbatched.
                batched, _unbatched = billing.build_claims(session, actor, signed[:2])
                # Batched on the demo's day: its notes are dated around it (and within their filing limits then).
                batches.create_batch(
                    session, actor, [batched.id], TradingConfig(TEST_TRADING, {}), clock=FixedClock(DEMO_TODAY)
                )
                # An 835 file with a payment that named no claim: the remittance, payment and match pages.
                row = session.get(ClaimRow, batched.id)
                assert row is not None
                paid = remittance_for(row, trace="EFT-HOSTILE")
                stray = dataclasses.replace(paid.claims[0], patient_control_number="NO-SUCH-CLAIM")
                era = write_835(dataclasses.replace(paid, claims=(stray,)))
                remittance_files.post_file(session, actor, "era.835", era.encode(), max_bytes=2**20)
                # One note signed and not billed, so the queue offers its form to the walk.
                ready = session.scalars(
                    select(EncounterRow).where(
                        EncounterRow.clinic_id == actor.clinic_id,
                        EncounterRow.status == "draft",
                        EncounterRow.verdict == "ready",
                    )
                ).first()
                assert ready is not None
                owner = session.get(UserRow, ready.therapist_user_id)
                assert owner is not None
                notes_service.sign_encounter(
                    session, access.Actor(owner.id, owner.clinic_id, owner.role, owner.name), ready.id
                )
                # A provider and a service location, so the admin pages offer their forms to the walk.
                admin = session.scalar(select(UserRow).where(UserRow.email == A_USERS["admin"]))
                assert admin is not None
                boss = access.Actor(admin.id, admin.clinic_id, admin.role, admin.name)
                pt = {"name": "Walk PT", "discipline": "PT", "npi": "1245319599", "licence_state": "OR"}
                providers.add_provider(session, boss, pt | {"licence_number": "PT-1"})
                place = {"name": "Walk annex", "address_line1": "1 Main St", "city": "Bend", "state": "OR"}
                clinic.add_location(session, boss, place | {"zip": "97701"})
                # The clinic's state asks a co-signature of assistants' notes and a PTA's note waits for it: the
                # signed note the walk opens offers the therapist the co-sign form (the admin, the rule's form).
                cosign.set_assistant_cosign(session, boss, DEMO_TODAY.replace(month=1, day=1))
                pta = session.scalar(select(UserRow).where(UserRow.email == A_USERS["pta"]))
                assert pta is not None
                theirs = session.scalars(
                    select(EncounterRow)
                    .where(EncounterRow.therapist_user_id == pta.id, EncounterRow.status != "draft")
                    .order_by(EncounterRow.id)
                ).first()
                assert theirs is not None, "the demo's PTA has signed notes"
                copied = dict(theirs.document, id=f"{theirs.external_id[:30]}-COS")
                copied["date_of_service"] = (theirs.date_of_service + timedelta(days=1)).isoformat()
                pta_actor = access.Actor(pta.id, pta.clinic_id, pta.role, pta.name)
                written, _ = notes_service.save_encounter(session, pta_actor, copied, theirs.patient_id)
                notes_service.sign_encounter(session, pta_actor, written.id)
                # On the claim the walk opens: a reopening request and an open return, so its page offers them.
                first = session.scalars(
                    select(ClaimRow)
                    .where(ClaimRow.clinic_id == actor.clinic_id)
                    .order_by(ClaimRow.status != "denied", ClaimRow.id)
                ).first()
                assert first is not None
                reopening.request_reopening(session, actor, first.id, "Line 1 units", "Clerical error")
                note_returns.return_note(session, actor, first.encounter_id, "Check the units.", first.id)
                # An unsigned ABN for that claim's patient (given Medicare), so its page offers the signature form.
                patient = session.scalar(select(EncounterRow.patient_id).where(EncounterRow.id == first.encounter_id))
                assert patient is not None
                medicare = {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"}
                patients.add_coverage(session, boss, patient, medicare)
                abn.prepare_abn(
                    session, boss, patient, [{"code": "97110"}], "maintenance", clock=FixedClock(DEMO_TODAY)
                )
                # An unsaved draft of the therapist walker's, so the notes list offers its discard form.
                writer = session.scalar(select(UserRow).where(UserRow.email == A_USERS["therapist"]))
                assert writer is not None
                note_drafts.save_draft(
                    session,
                    access.Actor(writer.id, writer.clinic_id, writer.role, writer.name),
                    note_drafts.key_for_new(patient, DEMO_TODAY),
                    {"date_of_service": DEMO_TODAY.isoformat(), "assessment": "Typed, not saved."},
                )
                # A patient who owes on one visit and overpaid another, so the ledger offers its credit and
                # refund forms.
                owing = (
                    patient_ledger.patient_ledger(session, actor, p.id, today=DEMO_TODAY)
                    for p in session.scalars(
                        select(PatientRow).where(PatientRow.clinic_id == actor.clinic_id).order_by(PatientRow.id)
                    )
                )
                ledger = next(led for led in owing if sum(v.patient_owes > 0 for v in led.visits) >= 2)
                visit = next(v for v in ledger.visits if v.patient_owes > 0)
                patient_payments.record_payment(
                    session,
                    actor,
                    ledger.patient_id,
                    str(visit.patient_owes + 10),
                    "cash",
                    claim_ids=[visit.claim_id],
                    clock=FixedClock(DEMO_TODAY),
                )
                # A statement run, so the statements page lists a statement and its PDF's route has an id.
                statements.run_statements(session, actor, minimum=Decimal("0.00"), clock=FixedClock(DEMO_TODAY))
                # A clinic note template, so the templates page offers its rename and delete forms.
                note_templates.save_from_note(
                    session, boss, first.encounter_id, "Walk template", clock=FixedClock(DEMO_TODAY)
                )
            yield built
        finally:
            built.close()


def session_statement(world: World) -> int:
    with world.session() as session:
        found = session.scalar(select(StatementRow.id).where(StatementRow.clinic_id == world.clinic_a))
    assert found is not None, "the world's statement run stated someone"
    return found


def good_ids(world: World) -> dict[str, list[str]]:
    """A record of clinic A for each path parameter: a draft note, a denied claim, a batch, a payer, the reports,
    the denied claim's patient."""
    with world.session() as session:
        clinic = world.clinic_a
        draft = session.scalar(
            select(EncounterRow.id).where(EncounterRow.clinic_id == clinic, EncounterRow.status == "draft")
        )
        # A signed note too: its page offers the addendum form (and, waiting for co-signature, the co-sign form).
        signed = session.scalars(
            select(EncounterRow.id)
            .where(EncounterRow.clinic_id == clinic, EncounterRow.status == "signed")
            .order_by(EncounterRow.verdict != "blocked", EncounterRow.id)  # the PTA's note waiting for co-signature
        ).first()
        claims = session.scalars(
            select(ClaimRow.id).where(ClaimRow.clinic_id == clinic).order_by(ClaimRow.status != "denied", ClaimRow.id)
        ).first()
        batch = session.scalar(select(ClaimBatchRow.id).where(ClaimBatchRow.clinic_id == clinic))
        # The claim pages: one payer that takes corrected claims and one that wants a reopening (Medicare).
        answered = session.scalars(
            select(ClaimRow)
            .where(ClaimRow.clinic_id == clinic, ClaimRow.payer_claim_number.is_not(None))
            .order_by(ClaimRow.id)
        ).all()
        takes = {
            c.id: frozen_claims.takes_replacement_claims(session, clinic, c.payer_id, c.service_date)[0]
            for c in answered
        }
        more = [next(i for i, yes in takes.items() if yes), next(i for i, yes in takes.items() if not yes)]
        request = session.scalar(select(ReopeningRequestRow.id).where(ReopeningRequestRow.claim_id == claims))
        back = session.scalar(select(NoteReturnRow.id).where(NoteReturnRow.claim_id == claims))
        patient = session.scalar(
            select(EncounterRow.patient_id)
            .join(ClaimRow, ClaimRow.encounter_id == EncounterRow.id)
            .where(ClaimRow.id == claims)
        )
        credited = session.scalar(select(PatientPaymentRow.patient_id).where(PatientPaymentRow.clinic_id == clinic))
        remittance_file = session.scalar(select(RemittanceFileRow.id).where(RemittanceFileRow.clinic_id == clinic))
        payment = session.scalar(select(RemittanceRow.id).where(RemittanceRow.clinic_id == clinic))
        stray = session.scalar(
            select(ClaimPaymentRow.id).where(ClaimPaymentRow.clinic_id == clinic, ClaimPaymentRow.claim_id.is_(None))
        )
        denial = session.scalar(select(DenialItemRow.id).where(DenialItemRow.clinic_id == clinic))
        notice = session.scalar(select(AbnRow.id).where(AbnRow.clinic_id == clinic, AbnRow.patient_id == patient))
        coverage = session.scalar(select(CoverageRow.id).where(CoverageRow.patient_id == patient))
        estimate = session.scalar(select(EstimateRow.id).where(EstimateRow.patient_id == patient))
        if estimate is None:  # a stored estimate of the patient, for its PDF's route
            made = EstimateRow(
                clinic_id=clinic,
                patient_id=patient,
                self_pay=True,
                first_visit=DEMO_TODAY,
                visits=1,
                document={},
                allowed_total=0,
                patient_total=0,
                pdf=b"%PDF-1.4",
            )
            session.add(made)
            session.commit()
            estimate = made.id
        job = JobRunRow(  # a finished background job of the clinic, for its progress page
            clinic_id=clinic,
            kind="post_835_file",
            status="done",
            attempts=1,
            progress_done=1,
            progress_total=1,
            args={},
            created_at=datetime.now(UTC),
        )
        session.add(job)
        session.commit()
        job_id = job.id
    statement = session_statement(world)
    assert denial is not None, "the demo's remittances deny some line"
    assert coverage is not None
    assert draft is not None
    assert patient is not None
    assert claims is not None
    assert batch is not None
    return {
        "job_id": [str(job_id)],
        "encounter_id": [str(draft), str(signed)],
        "claim_id": [str(claims), *(str(i) for i in more if i != claims)],
        "request_id": [str(request)],
        "return_id": [str(back)],
        "batch_id": [str(batch)],
        "patient_id": [str(patient), str(credited)],
        "abn_id": [str(notice)],
        "item_id": [str(denial)],
        "payer_id": ["aetna"],
        "file_id": [str(remittance_file)],
        "payment_id": [str(payment)],
        "claim_payment_id": [str(stray)],
        "name": list(REPORTS),
        "estimate_id": [str(estimate)],
        "coverage_id": [str(coverage)],
        "statement_id": [str(statement)],
    }


def attack_get(walk: Walk, route: APIRoute) -> None:
    role = walk.openers.get(route.path, WALKERS[-1])
    client = walk.clients[role]
    good = {name: walk.ids[name][0] for name in path_names(route)}
    for name in good:

        def in_path(value: str, name: str = name) -> None:
            url = address(route, {**good, name: value})
            walk.answer(client.get(url, follow_redirects=False), f"{role} GET {url[:80]}", (404, 422))

        walk.attack(field_type("GET path"), f"GET {route.path} {name}", in_path, empty=False)
    for path, names in sorted(walk.queries[route.path].items()):
        for name in sorted(names):

            def in_query(value: str, path: str = path, name: str = name) -> None:
                response = client.get(path, params={name: value}, follow_redirects=False)
                walk.answer(response, f"{role} GET {path}?{name}={value[:40]!r}")

            walk.attack(field_type("query"), f"GET {path} ?{name}", in_query)


def attack_post(walk: Walk, route: APIRoute) -> bool:
    """False when no page offers a form that posts to the route."""
    if not walk.forms[route.path]:
        return False
    role, form = walk.forms[route.path][0]
    client = walk.clients[role]
    # The form's own action names the record it was rendered for; its CSRF token is its walker's.
    match = route.path_regex.match(urlsplit(form.action).path)
    good = match.groupdict() if match else {name: walk.ids[name][0] for name in path_names(route)}
    for name in good:

        def in_path(value: str, name: str = name) -> None:
            url = address(route, {**good, name: value})
            response = client.post(url, data=form.fields, follow_redirects=False)
            walk.answer(response, f"{role} POST {url[:80]}", (404, 422))

        walk.attack(field_type("POST path"), f"POST {route.path} {name}", in_path, empty=False)
    shapes = {shape(name): name for name in reversed(list(form.fields)) if name != "csrf_token"}
    for name in sorted(shapes.values()):

        def in_form(value: str, name: str = name) -> None:
            response = client.post(address(route, good), data={**form.fields, name: [value]}, follow_redirects=False)
            walk.answer(response, f"{role} POST {route.path} with {name}={value[:40]!r}")

        walk.attack(field_type("form", form.fields[name]), f"POST {route.path} {name}", in_form)
        if re.search(r"\[[0-9]+\]", name):
            for row in HOSTILE_ROWS:
                forged = re.sub(r"\[[0-9]+\]", f"[{row}]", name, count=1)
                data = {**form.fields, forged: ["1"]}
                response = client.post(address(route, good), data=data, follow_redirects=False)
                walk.answer(response, f"{role} POST {route.path} with a field named {forged[:60]!r}")
    return True


def test_every_page_route_answers_hostile_values_without_a_server_error(world: World) -> None:
    postgres = world.database_url.startswith("postgresql")
    clients = {role: logged_in(world.app, A_USERS[role]) for role in WALKERS}
    walk = Walk(clients, good_ids(world), ON_POSTGRES if postgres else HOSTILE)
    for method, route in page_routes():
        if method == "GET":
            names = path_names(route)
            declared = {param.alias for param in route.dependant.query_params}
            walk.queries[route.path][address(route, {name: walk.ids[name][0] for name in names})].update(declared)
            for role in WALKERS:
                for value in walk.ids[names[0]] if names else [""]:
                    good = {name: walk.ids[name][0] for name in names} | ({names[0]: value} if names else {})
                    for onward in dict.fromkeys(walk.read(role, address(route, good))):
                        walk.read(role, onward)
    for path, sources in POSTED_BY_SCRIPT.items():
        walk.forms[path] = [(role, Form(path, "post", form.fields)) for s in sources for role, form in walk.forms[s]]

    unreached = []
    for method, route in page_routes():
        if method == "GET":
            attack_get(walk, route)
        elif not attack_post(walk, route) and f"{method} {route.path}" not in WALKED_BY_TWO_FACTOR_TESTS:
            unreached.append(f"{method} {route.path}")
    walk.every_kind_to_every_type()
    assert walk.failures == [], f"{len(walk.failures)} of {walk.sent} requests failed:\n" + "\n".join(walk.failures)
    assert unreached == [], "no page offers a form for these routes: give the walk one"
    assert set(walk.openers) >= {
        "/notes/{encounter_id}",
        "/batches/{batch_id}",
        "/reports/{name}",
        "/notes/new",
        "/patients/{patient_id}",
        "/patients/{patient_id}/plans-of-care/new",
    }
    assert walk.sent > (700 if postgres else 1500)
    # The samples spread each kind over many fields (not only the first field of each type), and every type of
    # field took every kind.
    assert min(walk.fields_per_kind[value] for value in walk.hostile) >= 100, dict(walk.fields_per_kind)
    assert all(walk.sent_to[kind] >= set(values) for kind, (_, values) in walk.first_of.items())


def test_an_unexpected_error_is_a_page_without_its_text_and_json_under_api(world: World, tmp_path: Path) -> None:
    """The last resort, for what no walk found: a friendly page (JSON under /api), never the error's text."""
    app = create_app(Settings(world.database_url, tmp_path, "unexpected-" + "u" * 32, secure_cookies=False))

    def explode() -> None:
        raise RuntimeError("patient Nora Lindqvist, born 1957-05-09")

    app.add_api_route("/explode", explode)
    app.add_api_route("/api/explode", explode)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/explode")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "Something went wrong on our side" in page.text
    assert "Lindqvist" not in page.text
    api = client.get("/api/explode")
    assert api.status_code == 500
    assert api.json() == {"detail": "something went wrong on the server"}
    app.state.ptbill.sessions.kw["bind"].dispose()
