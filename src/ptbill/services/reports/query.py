"""A report's parameters read from a query string (the page, its CSV and PNG, and the JSON API).

Each value the report accepts is checked; what cannot be used is left at its default and named in the
problems (field → message), which the API answers with 422 and the page shows above the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from ptbill.reference.catalog import default_catalog
from ptbill.services.reports.base import LOCATION_KEY, PERIOD, PROCEDURE_CODE, ReportParams

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
ISO_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
CHOICES = {"basis": ("service", "submission"), "party": ("insurance", "patient", "all"), "by": ("payer", "patient")}


def _day(text: str) -> date | None:
    match = ISO_DAY.match(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _number(text: str, low: int, high: int) -> int | None:
    if not re.fullmatch(r"[0-9]{1,6}", text):
        return None
    return min(max(int(text), low), high)


def parse_params(query: Mapping[str, str], accepts: frozenset[str], today: date) -> tuple[ReportParams, dict[str, str]]:
    """The report's parameters and the problems with those given (by field name; empty values are unset)."""
    problems: dict[str, str] = {}
    given = {k: query.get(k, "").strip() for k in (*accepts, "n", "draw") if query.get(k, "").strip()}
    days: dict[str, date | None] = {}
    for name in ("from", "to", "as_of"):
        days[name] = None
        if name in given and name in accepts:
            days[name] = _day(given[name])
            if days[name] is None:
                problems[name] = f"{name}: {given[name][:40]!r} is not a day of the calendar (YYYY-MM-DD)."
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems["to"] = "to: the last day comes before the first (from)."
    payer = given.get("payer") if "payer" in accepts else None
    if payer and default_catalog().payer(payer) is None:
        problems["payer"] = f"payer: {payer[:60]!r} is not a payer of the catalog."
        payer = None
    therapist = given.get("therapist", "").lower() if "therapist" in accepts else ""
    if therapist and not EMAIL.match(therapist):
        problems["therapist"] = "therapist: give the therapist's email address."
        therapist = ""
    location = given.get("location", "").lower() if "location" in accepts else ""
    if location and not LOCATION_KEY.match(location):
        problems["location"] = "location: one of home, telehealth, or the clinic's location."
        location = ""
    chosen: dict[str, str] = {}
    for name, allowed in CHOICES.items():
        value = given.get(name, "").lower() if name in accepts else ""
        if value and value not in allowed:
            problems[name] = f"{name}: one of {', '.join(allowed)}."
        chosen[name] = value if value in allowed else allowed[0]
    code = given.get("code", "97012").upper()
    if "code" in accepts and not PROCEDURE_CODE.match(code):
        problems["code"] = f"code: {code[:20]!r} is not a CPT or HCPCS code."
        code = "97012"
    period = given.get("period", "").upper()
    if "period" in accepts and period and not PERIOD.match(period):
        problems["period"] = "period: a month (2026-03) or a quarter (2026-Q1)."
        period = ""
    sample = _number(given.get("n", "5"), 1, 50)
    draw = _number(given.get("draw", "0"), 0, 9999)
    params = ReportParams(
        today=today,
        date_from=days["from"] if "to" not in problems else None,
        date_to=days["to"] if "to" not in problems else None,
        payer=payer or None,
        therapist=therapist or None,
        location=location or None,
        as_of=days["as_of"],
        basis="submission" if chosen["basis"] == "submission" else "service",
        party="patient" if chosen["party"] == "patient" else "all" if chosen["party"] == "all" else "insurance",
        by="patient" if chosen["by"] == "patient" else "payer",
        code=code if "code" in accepts else "97012",
        periods=(period,) if period and "period" in accepts else (),
        sample=sample if sample is not None else 5,
        draw=draw if draw is not None else 0,
    )
    return params, problems
