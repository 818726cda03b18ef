"""The reports pages: one route for every report of ``services.reports.registry``.

Each page draws its report's chart model on the server as inline SVG (no script), and offers the same
report as CSV (``/reports/<name>.csv``) and as the PNG of the same chart model (``/reports/<name>.png``),
both with the page's own query parameters. Reports are for billers and admins; each reads only the
viewer's clinic. Today is the request's clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ptbill.reference.catalog import default_catalog
from ptbill.services import access, reports
from ptbill.services.audit import audit
from ptbill.services.reports import Report, ReportDefinition, ReportParams
from ptbill.services.reports.base import csv_text, location_choices, therapist_choices
from ptbill.services.reports.expected_vs_paid import UNDERPAID_COLUMNS, underpaid_lines
from ptbill.services.reports.query import parse_params
from ptbill.web.charts import svg_chart
from ptbill.web.deps import CurrentViewer, SessionDep, Viewer, clock_of, render
from ptbill.web.inputs import whole_number
from ptbill.web.routes.payers import TYPE_LABELS

router = APIRouter()
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")


def pages() -> list[tuple[str, str, str]]:
    """name, short title for the tabs, what the report answers: from the registry."""
    return [(r.name, r.tab, r.question) for r in reports.REPORTS]


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    number = whole_number(params.get(name))
    return default if number is None else min(max(number, low), high)


def report_params(request: Request, definition: ReportDefinition[Any]) -> ReportParams:
    """The page's query string as the report's parameters; what cannot be used is left at its default."""
    return parse_params(request.query_params, definition.accepts, clock_of(request).today())[0]


def report_problems(request: Request, definition: ReportDefinition[Any]) -> list[str]:
    """What the page could not use of its query string, one sentence per field."""
    return list(parse_params(request.query_params, definition.accepts, clock_of(request).today())[1].values())


def _build(request: Request, viewer: Viewer, session: Any, name: str) -> tuple[ReportDefinition[Any], Report[Any]]:
    access.require_role(viewer.actor, access.BILLERS)
    definition = reports.definition(name)  # NotFoundError → 404
    return definition, definition.build(session, viewer.actor, report_params(request, definition))


def _filename(name: str, query: Mapping[str, str], extension: str) -> str:
    parts = [name, *(re.sub(r"[^A-Za-z0-9-]", "", v) for k, v in query.items() if k != "draw")]
    return f"ptbill-{'-'.join(p for p in parts if p)}.{extension}"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _underpaid_csv(request: Request, viewer: Viewer, session: Any) -> Response:
    definition = reports.definition("expected-vs-paid")
    lines = underpaid_lines(session, viewer.actor, report_params(request, definition))
    audit(session, viewer.actor, "export", "report", "expected-vs-paid:lines", "csv")
    content = csv_text(UNDERPAID_COLUMNS, lines).encode("utf-8")
    return _download(content, "text/csv; charset=utf-8", "ptbill-underpaid-lines.csv")


def _filters(session: Any, viewer: Viewer, definition: ReportDefinition[Any], params: ReportParams) -> dict[str, Any]:
    """The page's filter form: the report's own parameters among dates of service, payer and therapist."""
    query = params.query(definition.accepts)
    shown = [
        name
        for name in ("from", "to", "payer", "therapist", "location", "as_of", "basis", "party", "by")
        if name in definition.accepts
    ]
    return {
        "shown": shown,
        "chosen": query,
        "kept": {k: v for k, v in query.items() if k not in shown},  # the report's other parameters
        "payers": sorted(((p.id, p.name) for p in default_catalog().payers().values()), key=lambda p: p[1].lower()),
        "therapists": therapist_choices(session, viewer.actor) if "therapist" in shown else [],
        "locations": location_choices(session, viewer.actor) if "location" in shown else [],
    }


# routes: the exports first, so /reports/x.csv never reads as a report named "x.csv" -------------------


@router.get("/reports")
def report_index(request: Request, viewer: CurrentViewer) -> Any:
    access.require_role(viewer.actor, access.BILLERS)
    return render(request, "reports/index.html", {"viewer": viewer, "pages": pages()})


@router.get("/reports/{name}.csv")
def report_csv(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    if name == "expected-vs-paid" and request.query_params.get("lines") == "underpaid":
        return _underpaid_csv(request, viewer, session)
    definition, report = _build(request, viewer, session, name)
    audit(session, viewer.actor, "export", "report", name, "csv")
    filename = _filename(name, report.params.query(definition.accepts), "csv")
    return _download(report.to_csv().encode("utf-8"), "text/csv; charset=utf-8", filename)


@router.get("/reports/{name}.png")
def report_png(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Response:
    definition, report = _build(request, viewer, session, name)
    audit(session, viewer.actor, "export", "report", name, "png")
    filename = _filename(name, report.params.query(definition.accepts), "png")
    return _download(reports.chart_png(report.chart), "image/png", filename)


@router.get("/reports/{name}")
def report_page(request: Request, name: str, viewer: CurrentViewer, session: SessionDep) -> Any:
    definition, report = _build(request, viewer, session, name)
    query = urlencode(report.params.query(definition.accepts))
    return render(
        request,
        f"reports/{name}.html",
        {
            "viewer": viewer,
            "pages": pages(),
            "name": name,
            "report": report,
            "chart": svg_chart(report.chart),
            "type_labels": TYPE_LABELS,
            "export_query": f"?{query}" if query else "",
            "filters": _filters(session, viewer, definition, report.params),
            "asked": request.query_params.get("code"),
            "problems": report_problems(request, definition),
            **definition.page(session, viewer.actor, report),
        },
    )
