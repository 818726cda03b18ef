"""A finding is the result of one failed check: a value, never an exception."""

from __future__ import annotations

from enum import StrEnum

from ptbill.domain.values import value


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(StrEnum):
    READY = "ready"
    NEEDS_ATTENTION = "needs_attention"
    BLOCKED = "blocked"


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class Finding:
    """What a check found: which rule, how bad, where, and what to do about it.

    ``service`` is the 0-based index into the encounter's services, or None for the whole encounter.
    ``services`` lists every service the finding concerns when one problem touches several lines
    (reported once, naming them all); ``service`` is then the first. ``field`` names the field the
    finding concerns (``services[0].traction.force_lbs``) so a form can show it beside that field.
    ``message`` and ``fix`` are in a therapist's words; ``detail`` holds what only a biller or an
    administrator needs (a claim segment, a command that installs a table).
    """

    rule: str
    severity: Severity
    message: str
    fix: str
    reference: str
    service: int | None = None
    field: str | None = None
    services: tuple[int, ...] = ()
    detail: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "service": self.service,
            "message": self.message,
            "fix": self.fix,
            "reference": self.reference,
            "field": self.field,
            "services": list(self.services or (() if self.service is None else (self.service,))),
            "detail": self.detail,
        }


def verdict_of(findings: list[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.BLOCKED
    if Severity.WARNING in severities:
        return Verdict.NEEDS_ATTENTION
    return Verdict.READY
