"""`ptbill units`: spec/cli.md's contract, each ``CODE=MINUTES`` pair read strictly."""

from __future__ import annotations

from ptbill.cli.main import fail, resume_collection
from ptbill.cli.terminal import echo

MAX_MINUTES = 24 * 60  # a visit's minutes of one code fit in a day


def units_command(method: str, as_json: bool, services: tuple[str, ...]) -> None:
    """Compute billable units for the services of one visit, and print them (readable, or JSON)."""
    from ptbill.domain.identifiers import bounded_int
    from ptbill.reference.catalog import default_catalog
    from ptbill.units import TimedMinutes, UnitMethod, compute_units

    codes = default_catalog().procedure_codes
    resume_collection(settled=True)
    parsed: list[TimedMinutes] = []
    problems: list[str] = []
    for item in services:
        code, sep, minutes_text = item.partition("=")
        code = code.strip().upper()
        minutes = bounded_int(minutes_text.strip(), len(str(MAX_MINUTES)))
        if not sep or minutes is None or minutes > MAX_MINUTES:
            shown = item if len(item) <= 40 else item[:37] + "..."
            problems.append(
                f"units: {shown!r}: expected CODE=MINUTES with minutes 0 to {MAX_MINUTES} in digits 0-9, "
                "for example 97110=23"
            )
            continue
        info = codes.get(code)
        if info is None:
            problems.append(f"units: {code}: not a code ptbill knows (see the code catalog)")
            continue
        parsed.append(TimedMinutes(code, minutes, info.timed))
    if problems:
        fail(problems)
    result = compute_units(parsed, UnitMethod(method))
    if as_json:
        import json

        echo(json.dumps(result.to_json()))
        return
    from ptbill.cli import render

    render.unit_result(result, {code: codes[code].label for code in result.units})
