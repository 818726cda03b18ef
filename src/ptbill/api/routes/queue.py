"""The biller's work queue."""

from __future__ import annotations

from ptbill.api.deps import CurrentActor, SessionDep
from ptbill.api.routing import errors, resource_router
from ptbill.api.schemas.encounters import EncounterSummaryPublic, FindingPublic
from ptbill.api.schemas.queue import QueueItemPublic, QueuePublic
from ptbill.services import queue as queue_service

router = resource_router("/queue", "queue")


@router.get(
    "",
    response_model=QueuePublic,
    summary="The biller's work queue",
    description="Signed notes not yet billed, by verdict, each with the findings that explain it; drafts "
    "with blocking findings are listed under `blocked` so the biller can chase them.",
    responses=errors(401),
)
def read_queue(actor: CurrentActor, session: SessionDep) -> QueuePublic:
    buckets = queue_service.work_queue(session, actor)
    return QueuePublic.model_validate(
        {
            bucket: [
                QueueItemPublic(
                    encounter=EncounterSummaryPublic.model_validate(row),
                    reasons=[FindingPublic.model_validate(f) for f in findings],
                )
                for row, findings in items
            ]
            for bucket, items in buckets.items()
        }
    )
