"""A/R aging: the open balances of billed claims, by payer or by patient, in 30-day buckets.

A claim's open balance is ``ledger.ClaimBalance`` (insurance A/R: charge − payer paid − adjustments and
write-offs − the patient's share, a denied amount staying open; patient A/R: the patient's share less what the
patient paid; a share billed to a next payer or forwarded by a crossover is insurance A/R until that payer
answers: ``chains.settle_chains``). Billers age the two apart, so the report shows one party at a time
(insurance, patient, or both added up). A claim is aged from its date of service, or (basis "submission") from
the day it was marked submitted (its date of service when it never was), to the as-of day: the clock's today
unless one is chosen. Buckets: 0–30, 31–60, 61–90, 91–120 and over 120 days. A claim with nothing open is left
out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.answer_totals import fill_missing
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
    COMMON,
    ZERO,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    payer_name,
)
from ptbill.services.reports.ledger import (
    BUCKETS,
    ClaimBalance,
    bucket_of,
    claim_balances,
    ledger_revision,
    open_groups,
)

PARTIES = {"insurance": "Insurance A/R", "patient": "Patient A/R", "all": "Insurance and patient A/R"}


class AgingRow(NamedTuple):
    name: str  # the payer, or the patient
    claims: int
    days_0_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_91_120: Decimal
    over_120: Decimal
    total: Decimal


KEPT_REPORTS = 64  # computed agings kept per process (clinic and parameters), the least recently used dropped
_kept: OrderedDict[tuple[int, ReportParams], tuple[int, list[AgingRow]]] = OrderedDict()
_kept_lock = threading.Lock()  # page routes run on the server's thread pool: one request at a time reorders it


def forget_all() -> None:
    """Drops every kept aging (tests; a process's cache otherwise lives as long as the process)."""
    with _kept_lock:
        _kept.clear()


def age_in_days(service_date: date, submitted: date | None, params: ReportParams) -> int:
    as_of = params.as_of or params.today
    start = submitted if params.basis == "submission" and submitted else service_date
    return max((as_of - start).days, 0)


def aged_days(claim: ClaimBalance, params: ReportParams) -> int:
    return age_in_days(claim.service_date, claim.submitted, params)


def open_claims(
    session: Session, actor: Actor, params: ReportParams, *, linked: bool = False
) -> list[tuple[ClaimBalance, int, Decimal]]:
    """The claims with an open balance for the party, with their age in days and the open amount (with
    ``linked``, only ``ledger.linked_claim_ids`` ones)."""
    as_of = params.as_of or params.today
    out = []
    for claim in claim_balances(session, actor, params, as_of=as_of, linked=linked):
        amount = claim.open_for(params.party)
        if amount != ZERO:
            out.append((claim, aged_days(claim, params), amount))
    return out


def bucket_totals(rows: list[AgingRow]) -> list[Decimal]:
    return [
        sum((r.days_0_30 for r in rows), ZERO),
        sum((r.days_31_60 for r in rows), ZERO),
        sum((r.days_61_90 for r in rows), ZERO),
        sum((r.days_91_120 for r in rows), ZERO),
        sum((r.over_120 for r in rows), ZERO),
    ]


class ArAging(ReportDefinition[AgingRow]):
    name = "ar-aging"
    tab = "A/R aging"
    question = "What is still owed, by payer or patient, and how long it has been open."
    accepts = COMMON | {"as_of", "basis", "party", "by"}
    columns = ("name", "claims", "0-30", "31-60", "61-90", "91-120", "over 120", "total")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[AgingRow]:
        rows = self.rows(session, actor, params)
        audit(session, actor, "read", "report", self.name, f"{params.party} by {params.by}")
        return self.report(rows, params)

    def rows(self, session: Session, actor: Actor, params: ReportParams) -> list[AgingRow]:
        """The aging's rows, kept per process under the clinic's ledger revision (``ledger.ledger_revision``)
        and the parameters (which hold the clock's today): a change to anything the aging reads, committed by
        any process, makes a new revision, so a kept aging is served only while the ledger is as it was."""
        fill_missing(session.connection(), actor.clinic_id)  # its restatements mark the ledger, so first
        revision = ledger_revision(session, actor.clinic_id)
        key = (actor.clinic_id, params)
        if revision is not None:
            with _kept_lock:
                kept = _kept.get(key)
                if kept is not None and kept[0] == revision:
                    _kept.move_to_end(key)
                    return kept[1]
        rows = self.computed(session, actor, params)
        if revision is not None:  # read before the rows: they are at least as new as the revision they are kept
            with _kept_lock:
                _kept[key] = (revision, rows)
                _kept.move_to_end(key)
                while len(_kept) > KEPT_REPORTS:
                    _kept.popitem(last=False)
        return rows

    def computed(self, session: Session, actor: Actor, params: ReportParams) -> list[AgingRow]:
        groups: dict[str, list[Any]] = defaultdict(lambda: [0, [ZERO] * len(BUCKETS)])
        by_patient = params.by == "patient"
        # The claims linked to others (coordination of benefits, write-offs, patient payments) one by one; the
        # rest, nearly all, added up in SQL by payer or patient and day (ledger.open_groups).
        for claim, days, amount in open_claims(session, actor, params, linked=True):
            key = claim.patient if by_patient else payer_name(claim.payer_id)
            groups[key][0] += 1
            groups[key][1][bucket_of(days)] += amount
        submission = params.basis == "submission"
        for group in open_groups(session, actor, params, params.party, by_patient=by_patient, by_submission=submission):
            key = group.patient if by_patient else payer_name(group.payer_id)
            groups[key][0] += group.claims
            groups[key][1][bucket_of(age_in_days(group.service_date, group.submitted, params))] += group.amount
        rows = [
            AgingRow(name, n, sums[0], sums[1], sums[2], sums[3], sums[4], sum(sums, ZERO))
            for name, (n, sums) in groups.items()
        ]
        rows.sort(key=lambda r: (-r.total, r.name.lower()))
        return rows

    def report(self, rows: list[AgingRow], params: ReportParams) -> Report[AgingRow]:
        totals = bucket_totals(rows)
        basis = "date of submission" if params.basis == "submission" else "date of service"
        chart = ChartModel(
            "bar",
            f"{PARTIES[params.party]} by age ({basis}), as of {(params.as_of or params.today).isoformat()}",
            tuple(f"{b} days" for b in BUCKETS),
            (Series(PARTIES[params.party], tuple(float(t) for t in totals)),),
        )
        notes = [
            f"Aged by {basis} to {(params.as_of or params.today).isoformat()}; total open "
            f"{sum(totals, ZERO):.2f} on {sum(r.claims for r in rows)} claims.",
            "Insurance A/R: charge − payer paid − adjustments and write-offs − the patient's share; "
            "denied amounts stay open until appealed, corrected or written off.",
            "Patient A/R: what the last payer left to the patient, less the patient's payments; a share sent on "
            "to a secondary payer (or crossed over) is that payer's A/R until it answers.",
        ]
        title = f"A/R aging by {params.by}: {PARTIES[params.party].lower()}"
        return Report(self.name, title, self.columns, rows, chart, params, notes)

    def page(self, session: Session, actor: Actor, report: Report[AgingRow]) -> dict[str, Any]:
        rows = report.rows
        totals = bucket_totals(rows)
        grand = sum(totals, ZERO)
        return {
            "buckets": BUCKETS,
            "totals": totals,
            "grand": grand,
            "claims": sum(r.claims for r in rows),
            "shares": [round(100 * t / grand) if grand else None for t in totals],
            "over_90": totals[3] + totals[4],
            "party_label": PARTIES[report.params.party],
            "parties": PARTIES,
            "as_of": report.params.as_of or report.params.today,
        }
