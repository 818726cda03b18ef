"""What every check reads that is the clinic's configuration, not patient data: its dated payer parameters (the
snapshot's top layer) and its fee schedule for the note's payer, kept per process and per (clinic, payer).

Invalidation holds across server processes through ``clinics.config_revision`` (migration
0029_clinic_config_revision): a random token replaced in the same transaction as every change to a clinic's
payer parameters or fee schedules, by ``payers.config_changed`` (the services' writes, and a flush listener
for any ORM write of those rows). A check reads the token with its other clinic facts in one statement
(``check_inputs``) before it reads anything else, and takes the kept values only when they were read under the
same token; otherwise it reads them again and keeps them under that token. A token is never reused (a rolled-back
change's token is never seen again), and the key holds the clinic id, so one clinic's values are never handed to
another. The clinic's own settings a check needs (locality, co-signature rule) are read fresh in that statement.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ptbill.pricing import FeeSchedule
from ptbill.reference.parameters import ParameterLayer
from ptbill.services.payers import clinic_fee_schedule, clinic_layer

MAX_KEPT = 4096  # (clinic, payer) pairs per process; the least recently used goes first


@dataclass(frozen=True, slots=True)
class PayerConfig:
    """The clinic's own values for one payer, as the engine takes them (None: the clinic has none)."""

    layer: ParameterLayer | None
    fee_schedule: FeeSchedule | None


_kept: OrderedDict[tuple[int, str], tuple[str, PayerConfig]] = OrderedDict()
_lock = threading.Lock()


def payer_config(session: Session, clinic_id: int, payer_id: str, revision: str) -> PayerConfig:
    """The clinic's values for the payer, kept while the clinic's ``revision`` (read earlier in the same
    transaction) is the one they were read under."""
    key = (clinic_id, payer_id)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and kept[0] == revision:
            _kept.move_to_end(key)
            return kept[1]
    config = PayerConfig(clinic_layer(session, clinic_id, payer_id), clinic_fee_schedule(session, clinic_id, payer_id))
    with _lock:
        _kept[key] = (revision, config)
        _kept.move_to_end(key)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return config


def forget_all() -> None:
    """Drop everything kept (tests that rebuild databases under the same ids)."""
    with _lock:
        _kept.clear()
