"""The reports of ``services.reports.registry``: the list, one report's rows and totals, and its CSV.

Each report reads the query parameters it declares (the same as its page and `ptbill report`); a value it
cannot use is a 422 naming the parameter. Billers and admins only; each reads the actor's clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.common import NoNul
from ptbill.api.schemas.reports import Cell, ReportInfoPublic, ReportPublic
from ptbill.services import access, reports
from ptbill.services.audit import audit
from ptbill.services.reports.query import parse_params

router = resource_router("/reports", "reports")

Text = Annotated[str | None, Query(max_length=200), NoNul]


@dataclass
class ReportQuery:
    """The query parameters a report may read, declared once for the OpenAPI document and the length limits;
    the report itself reads those it accepts from the query string (``services.reports.query.parse_params``)."""

    date_from: Annotated[str | None, Query(alias="from", max_length=20), NoNul] = None
    date_to: Annotated[str | None, Query(alias="to", max_length=20), NoNul] = None
    payer: Text = None
    therapist: Text = None
    location: Text = None
    as_of: Annotated[str | None, Query(max_length=20), NoNul] = None
    basis: Text = None
    party: Text = None
    by: Text = None
    code: Text = None
    period: Text = None


ReportQueryDep = Annotated[ReportQuery, Depends()]


def _cell(value: Any) -> Cell:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def _run(
    request: Request, name: str, actor: access.Actor, session: Any, clock: Any
) -> reports.Report[Any] | JSONResponse:
    access.require_role(actor, access.BILLERS)
    definition = reports.definition(name)  # NotFoundError → 404
    params, problems = parse_params(request.query_params, definition.accepts, clock.today())
    if problems:
        lines = [f"query.{field}: {message}" for field, message in problems.items()]
        return JSONResponse({"detail": "some parameters cannot be used", "problems": lines}, status_code=422)
    return definition.build(session, actor, params)


@router.get(
    "",
    response_model=list[ReportInfoPublic],
    summary="List the reports",
    description="Every report with what it answers, the query parameters it reads and its columns.",
    responses=errors(401, 403),
)
def list_reports(actor: CurrentActor) -> list[ReportInfoPublic]:
    access.require_role(actor, access.BILLERS)
    return [
        ReportInfoPublic(
            name=r.name, title=r.tab, question=r.question, parameters=sorted(r.accepts), columns=list(r.columns)
        )
        for r in reports.REPORTS
    ]


@router.get(
    "/{name}.csv",
    summary="A report as CSV",
    description="The report's rows as CSV (its columns as the header), with the same parameters as the JSON.",
    response_class=Response,
    responses={**errors(401, 403, 404, 422), 200: {"content": {"text/csv": {}}, "description": "The CSV file."}},
)
def report_csv(
    request: Request,
    name: str,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    _query: ReportQueryDep,
) -> Response:
    report = _run(request, name, actor, session, clock)
    if isinstance(report, JSONResponse):
        return report
    audit(session, actor, "export", "report", name, "csv")
    return Response(
        report.to_csv().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ptbill-{name}.csv"'},
    )


@router.get(
    "/{name}",
    response_model=ReportPublic,
    summary="Run a report",
    description="One report's rows (an object per row, keyed by its columns), the totals of its money and count "
    "columns, and its notes. Parameters: `from`, `to` (dates of service, YYYY-MM-DD), `payer` (a payer id), "
    "`therapist` (email), `location` (home, telehealth or the clinic's location), and per report `as_of`, "
    "`basis` (service, submission), `party` (insurance, patient, all), `by` (payer, patient), `code`, `period`.",
    responses=errors(401, 403, 404, 422),
)
def run_report(
    request: Request,
    name: str,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    _query: ReportQueryDep,
) -> ReportPublic | JSONResponse:
    report = _run(request, name, actor, session, clock)
    if isinstance(report, JSONResponse):
        return report
    rows = [{c: _cell(v) for c, v in zip(report.columns, row, strict=True)} for row in report.rows]
    totals: dict[str, Cell] = {}
    for index, column in enumerate(report.columns):
        values = [row[index] for row in report.rows]
        if values and all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in values):
            totals[column] = _cell(sum(values))
    definition = reports.definition(name)
    return ReportPublic(
        name=report.name,
        title=report.title,
        columns=list(report.columns),
        parameters=report.params.query(definition.accepts),
        rows=rows,
        totals=totals,
        notes=report.notes,
    )
