"""The reports: what each payer really pays, what it underpays, how often it denies, how good the notes are.

One module per report (its parameters, typed rows, chart model and CSV columns); ``registry.REPORTS``
lists them. ``run`` builds one; the page, ``ptbill report``, the CSV and the PNG all start there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ptbill.services.access import Actor, NotFoundError
from ptbill.services.reports.base import (
    PERIOD,
    PROCEDURE_CODE,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    period_bounds,
)
from ptbill.services.reports.png import chart_png
from ptbill.services.reports.registry import NAMES, REPORTS, report_named

__all__ = [
    "NAMES",
    "PERIOD",
    "PROCEDURE_CODE",
    "REPORTS",
    "ChartModel",
    "Report",
    "ReportDefinition",
    "ReportParams",
    "Series",
    "chart_png",
    "definition",
    "period_bounds",
    "run",
]


def definition(name: str) -> ReportDefinition[Any]:
    found = report_named(name)
    if found is None:
        raise NotFoundError(f"report {name} not found")
    return found


def run(session: Session, actor: Actor, name: str, params: ReportParams) -> Report[Any]:
    """Build the report ``name`` for the actor's clinic (audited); NotFoundError for an unknown name."""
    return definition(name).build(session, actor, params)
