"""A re-export shim, kept only for the modules still being moved by the reports and denials work
(services/reports.py, services/denials.py, web/routes/reports.py, web/routes/denials.py).

It goes once they import from the feature modules (access, audit, notes, billing). Nothing else may
import it: tests/unit/test_layout.py names who still does.
"""

from ptbill.services.access import BILLERS, Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import get_claim, list_claims
from ptbill.services.notes import check_for_clinic, list_encounters

__all__ = [
    "BILLERS",
    "Actor",
    "NotFoundError",
    "audit",
    "check_for_clinic",
    "get_claim",
    "list_claims",
    "list_encounters",
    "require_role",
]
