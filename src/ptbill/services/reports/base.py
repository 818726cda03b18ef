"""What every report is made of: its parameters, its typed rows, its chart model and its CSV columns.

A report is one ``ReportDefinition`` (a module of this package, listed once in ``registry.py``). The page,
the ``ptbill report`` command, the CSV and the PNG all come from the ``Report`` it builds; the page's SVG
and the PNG are both drawn from its one ``ChartModel``.
"""

from __future__ import annotations

import csv
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor
from ptbill.storage.tables import ClaimRow, ClinicRow, EncounterRow, ServiceLocationRow, UserRow

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")

# The parameters a report may declare; each module says which of them it reads.
DATE_RANGE = frozenset({"from", "to"})
COMMON = DATE_RANGE | {"payer", "therapist", "location"}

# Where a visit took place. A note records its place of service (837P CLM05-1), not which of the clinic's
# service locations it was at, so a report's location is derived from it: home (POS 12) and telehealth
# (POS 02 or 10) are places of their own; every other place of service (11, the office, above all) is the
# clinic's default location, the first service location of its settings, else its billing address.
HOME, TELEHEALTH = "home", "telehealth"
HOME_POS, TELEHEALTH_POS = ("12",), ("02", "10")
LOCATION_KEY = re.compile(r"^(?:home|telehealth|clinic|[0-9]{1,9})$")

# A month (2026-03) or a quarter (2026-Q1), in ASCII digits: what the audit and its pages accept.
PERIOD = re.compile(r"^((?:19|20)[0-9][0-9])-(?:(0[1-9]|1[0-2])|[Qq]([1-4]))$")
PROCEDURE_CODE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")  # CPT (97012, 0001F, 0101T), HCPCS (G0283)


@dataclass(frozen=True, slots=True)
class ReportParams:
    """What a report is asked for. ``today`` comes from the caller's clock (the request's, the command's)."""

    today: date
    date_from: date | None = None  # dates of service, both ends included
    date_to: date | None = None
    payer: str | None = None  # a payer id (aetna, medicare-jl)
    therapist: str | None = None  # the therapist's email
    location: str | None = None  # "home", "telehealth", or the default location's id ("clinic": no locations)
    as_of: date | None = None  # A/R: the day balances are aged to (None: today)
    basis: Literal["service", "submission"] = "service"  # A/R aging: aged from the date of service or submission
    party: Literal["insurance", "patient", "all"] = "insurance"  # A/R: whose balance
    by: Literal["payer", "patient"] = "payer"  # A/R aging: one row per payer or per patient
    code: str = "97012"
    periods: tuple[str, ...] = ()
    sample: int = 5
    draw: int = 0

    def query(self, accepts: frozenset[str]) -> dict[str, str]:
        """The parameters as the page's query string (for its CSV and PNG links and their file names)."""
        values = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "payer": self.payer,
            "therapist": self.therapist,
            "location": self.location,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "basis": self.basis if self.basis != "service" else None,
            "party": self.party if self.party != "insurance" else None,
            "by": self.by if self.by != "payer" else None,
            "code": self.code,
            "period": self.periods[-1] if self.periods else None,
            "n": str(self.sample),
            "draw": str(self.draw),
        }
        names = {"n": "sample"}
        return {k: v for k, v in values.items() if v and names.get(k, k) in accepts}


Unit = Literal["$", "%", ""]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # one per label; None: no value (a gap, never a zero)


@dataclass(frozen=True, slots=True)
class ChartModel:
    """A chart as data: the page draws it as SVG and the PNG export with matplotlib, the same chart."""

    kind: Literal["bar", "line"]  # bar: horizontal bars, one band per label; line: points over periods
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit = "$"
    notes: tuple[str, ...] = ()  # under each label (line charts): "3 claims", "no claims"
    ranges: tuple[tuple[float, float] | None, ...] = ()  # bar charts: lowest to highest, per label
    size: tuple[int, int] = (1240, 320)  # pixels, for line charts

    @property
    def empty(self) -> bool:
        return not any(v is not None for s in self.series for v in s.values)


RowT = TypeVar("RowT", bound=NamedTuple)


@dataclass
class Report(Generic[RowT]):
    """One run of a report: typed rows (named tuples, in the order of the CSV columns), notes, chart."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[RowT]
    chart: ChartModel
    params: ReportParams
    notes: list[str] = field(default_factory=list)

    def to_csv(self) -> str:
        return csv_text(self.columns, self.rows)


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A header line, then one line per row; a date is written as YYYY-MM-DD."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ReportDefinition(ABC, Generic[RowT]):
    """A report: its name, what it answers, the parameters it reads, its CSV columns, and how it is built."""

    name: ClassVar[str]
    tab: ClassVar[str]  # the short title of the page's tab and the index card
    question: ClassVar[str]  # what the report answers, in one line
    accepts: ClassVar[frozenset[str]]  # of from, to, payer, therapist, location, as_of, basis, party, code, ...
    columns: ClassVar[tuple[str, ...]]

    @abstractmethod
    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[RowT]:
        """The rows, chart and notes (audited as a read of the report)."""

    def page(self, session: Session, actor: Actor, report: Report[RowT]) -> dict[str, Any]:
        """What the page shows beyond the rows and the chart (summaries, pickers); nothing by default."""
        return {}


def claim_filters(params: ReportParams, clinic_id: int) -> list[ColumnElement[bool]]:
    """The clinic's claims within the report's dates of service, payer, therapist and location."""
    where: list[ColumnElement[bool]] = [ClaimRow.clinic_id == clinic_id]
    if params.date_from:
        where.append(ClaimRow.service_date >= params.date_from)
    if params.date_to:
        where.append(ClaimRow.service_date <= params.date_to)
    if params.payer:
        where.append(ClaimRow.payer_id == params.payer)
    if params.therapist or params.location:
        notes = select(EncounterRow.id).where(EncounterRow.clinic_id == clinic_id, *note_filters(params, clinic_id))
        where.append(ClaimRow.encounter_id.in_(notes))
    return where


def place_of_service() -> ColumnElement[str]:
    """A note's place of service as stored in its document ("11" when the note leaves it out)."""
    return func.coalesce(EncounterRow.document["place_of_service"].as_string(), "11")


def note_filters(params: ReportParams, clinic_id: int) -> list[ColumnElement[bool]]:
    """The notes of the report's therapist and location (the claims' notes, or the notes themselves)."""
    where: list[ColumnElement[bool]] = []
    if params.therapist:
        where.append(EncounterRow.therapist_user_id.in_(therapist_ids(params, clinic_id)))
    if params.location == HOME:
        where.append(place_of_service().in_(HOME_POS))
    elif params.location == TELEHEALTH:
        where.append(place_of_service().in_(TELEHEALTH_POS))
    elif params.location:  # the default location: every other place of service
        where.append(place_of_service().not_in(HOME_POS + TELEHEALTH_POS))
    return where


def location_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The places a report can be narrowed to (key, label): the default location, home, telehealth."""
    first = session.execute(
        select(ServiceLocationRow.id, ServiceLocationRow.name)
        .where(ServiceLocationRow.clinic_id == actor.clinic_id)
        .order_by(ServiceLocationRow.id)
        .limit(1)
    ).first()
    if first is not None:
        default = (str(first[0]), f"{first[1]} (office)")
    else:
        name = session.scalar(select(ClinicRow.name).where(ClinicRow.id == actor.clinic_id)) or "The clinic"
        default = ("clinic", f"{name} (office)")
    return [default, (HOME, "Patient's home (POS 12)"), (TELEHEALTH, "Telehealth (POS 02, 10)")]


def therapist_ids(params: ReportParams, clinic_id: int) -> Any:
    """The ids of the clinic's users with the asked therapist's email (a subquery)."""
    return select(UserRow.id).where(UserRow.clinic_id == clinic_id, UserRow.email == (params.therapist or ""))


def therapist_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The clinic's therapists and assistants (email, name): the page's therapist picker."""
    query = select(UserRow.email, UserRow.name).where(
        UserRow.clinic_id == actor.clinic_id, UserRow.role.in_(("therapist", "pta"))
    )
    return [(email, name) for email, name in session.execute(query.order_by(UserRow.name))]


def payer_name(payer_id: str) -> str:
    payer = default_catalog().payer(payer_id)
    return payer.name if payer else payer_id


def period_bounds(period: str) -> tuple[date, date]:
    """'2026-03' (a month) or '2026-Q1' (a quarter) → [start, end); ValueError naming anything else."""
    match = PERIOD.match(period)
    if not match:
        raise ValueError(f"{period!r} is not a month (2026-03) or a quarter (2026-Q1)")
    year = int(match.group(1))
    if match.group(3):
        first = 3 * int(match.group(3)) - 2
        start = date(year, first, 1)
        end = date(year + (first == 10), 1 if first == 10 else first + 3, 1)
    else:
        month = int(match.group(2))
        start = date(year, month, 1)
        end = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return start, end


def share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def month_label(month: str) -> str:
    try:
        return date.fromisoformat(f"{month}-01").strftime("%b %Y")
    except ValueError:
        return month


def month_span(months: Sequence[str]) -> list[str]:
    """Every month from the first to the last of ``months`` ('YYYY-MM'), in order."""
    known = sorted(m for m in months if re.match(r"^[0-9]{4}-[0-9]{2}$", m))
    if not known:
        return list(months)
    year, month = map(int, known[0].split("-"))
    span = []
    while f"{year}-{month:02d}" <= known[-1]:
        span.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return span
