"""The biller's work queue: signed notes not yet billed, by verdict, with the findings that explain them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.notes import Note, list_encounters


def work_queue(session: Session, actor: Actor) -> dict[str, list[tuple[Note, list[dict[str, Any]]]]]:
    """Signed notes not yet billed, by verdict, each with the findings that explain it; blocked drafts too,
    so the biller sees what the therapists still have to fix."""
    queue: dict[str, list[tuple[Note, list[dict[str, Any]]]]] = {
        "ready": [],
        "needs_attention": [],
        "blocked": [],
    }
    for row in list_encounters(session, actor):
        if row.status == "billed" or (row.status == "draft" and row.verdict != "blocked"):
            continue  # billed, or a draft the therapist still owns
        latest = row.checks[-1] if row.checks else None
        findings = [f for f in (latest.findings if latest else []) if f["severity"] in ("error", "warning")]
        queue[row.verdict or "blocked"].append((row, findings))
    return queue
