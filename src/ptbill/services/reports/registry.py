"""Every report, listed once: the page, its tab, the ``ptbill report`` choices, the CSV and the PNG read this."""

from __future__ import annotations

from typing import Any

from ptbill.services.reports.ar_aging import ArAging
from ptbill.services.reports.base import ReportDefinition
from ptbill.services.reports.best_payer import BestPayer
from ptbill.services.reports.clean_claims import CleanClaims
from ptbill.services.reports.days_in_ar import DaysInAr
from ptbill.services.reports.denial_rate import DenialRate
from ptbill.services.reports.documentation_audit import DocumentationAudit
from ptbill.services.reports.expected_vs_paid import ExpectedVsPaid
from ptbill.services.reports.net_collection import NetCollection
from ptbill.services.reports.productivity import Productivity
from ptbill.services.reports.reimbursement_97012 import Reimbursement97012

REPORTS: tuple[ReportDefinition[Any], ...] = (
    ArAging(),
    DaysInAr(),
    NetCollection(),
    CleanClaims(),
    Productivity(),
    Reimbursement97012(),
    ExpectedVsPaid(),
    DenialRate(),
    BestPayer(),
    DocumentationAudit(),
)
BY_NAME: dict[str, ReportDefinition[Any]] = {report.name: report for report in REPORTS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def report_named(name: str) -> ReportDefinition[Any] | None:
    return BY_NAME.get(name)
