"""What the clearinghouse and the payer say of a claim before its 835, stored per claim (``claim_answers``,
migration 0024_claim_answers) and moving the claim's status (``domain.status``):

- a 999 (005010X231A1) answers a functional group of an 837P batch: found by its GS06 (AK102) among the
  clinic's batches, each transaction set (AK202 = the batch's ST02) maps to the claims (CLM01) in it. A set
  rejected rejects its claims, with the IK3/IK4 segment and element errors (the claim a CTX names gets them;
  the others in the set are rejected with it). An accepted set only notes that the file was read: whether a
  claim entered adjudication is the 277CA's answer;
- a 277CA (005010X214) accepts or rejects each claim by its patient control number (TRN02);
- a 277 (005010X212) gives each claim's status by its patient control number (REF*EJ), else the payer's
  claim number (REF*1K), else the trace of the 276 we sent (TRN02): accepted, rejected, pended (P, R
  categories) or finalized (F; the 835 follows).

A claim the file names that the clinic does not have is named in the outcome and nothing is written for it;
the file is read whole before anything is written, and the mailbox handles it in a savepoint. A move the
status table does not allow (the claim was paid already) is recorded without moving the claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.acknowledgments.x12_999.reader import read_999
from ptbill.claim_status.rejections import GENERAL, Fix, fix_for_segments, fix_for_statuses
from ptbill.claim_status.x12_276_277.reader import read_277
from ptbill.claim_status.x12_277ca.reader import read_277ca
from ptbill.domain.acknowledgment import AckVerdict, SegmentNote, TransactionSetAck
from ptbill.domain.claim_status import ACCEPTED_CATEGORIES, REJECTED_CATEGORIES, ClaimStatusEntry, Status
from ptbill.domain.errors import PtbillError
from ptbill.domain.status import ClaimState, can_move
from ptbill.services.access import Actor, NotFoundError
from ptbill.services.audit import audit
from ptbill.storage.tables import ClaimAnswerRow, ClaimBatchRow, ClaimRow, MailboxFileRow
from ptbill.x12.reader import read_lenient

RECORDED, PARTLY_MATCHED, UNMATCHED = "recorded", "partly_matched", "unmatched"
NOTED, ASKED = "noted", "asked"  # an answer that moves nothing; a 276 sent
REJECTED_VERDICTS = frozenset({AckVerdict.REJECTED, AckVerdict.UNKNOWN})
BATCHES_SEARCHED = 500  # the clinic's newest batches a 999's group control number is looked for in


class AnswerFileError(PtbillError):
    """The file is not a readable 999, 277CA or 277: its problems name the segment and element. Nothing was
    written; the mailbox tries it again later (a file still being uploaded) and then leaves it for a person."""


def _readable(kind: str, problems: Iterable[str]) -> None:
    found = list(problems)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise AnswerFileError(f"not a readable {kind}: {'; '.join(found[:3])}{more}")


@dataclass(frozen=True, slots=True)
class Recorded:
    """A file's handling: ``outcome`` RECORDED, PARTLY_MATCHED or UNMATCHED, and what it did in words."""

    outcome: str
    message: str


@dataclass(slots=True)
class _Answer:
    """One claim's answer read from the file, before anything is written."""

    outcome: str
    label: str
    codes: list[str]
    detail: str
    fix: Fix | None = None
    payer_claim_number: str | None = None
    trace_number: str | None = None


@dataclass(slots=True)
class _Tally:
    moved: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    written: int = 0

    def result(self, kind: str) -> Recorded:
        words = ", ".join(f"{n} {state}" for state, n in sorted(self.moved.items())) or "no status changed"
        text = f"{kind}: {self.written} claim answer(s) recorded ({words})"
        if self.unknown:
            shown = ", ".join(self.unknown[:10]) + (" …" if len(self.unknown) > 10 else "")
            text += f"; not our claims: {shown}"
        outcome = UNMATCHED if not self.written else PARTLY_MATCHED if self.unknown else RECORDED
        return Recorded(outcome, text[:500])


def _file_id(session: Session, actor: Actor, data: bytes) -> int | None:
    digest = hashlib.sha256(data).hexdigest()
    return session.scalar(
        select(MailboxFileRow.id).where(
            MailboxFileRow.clinic_id == actor.clinic_id,
            MailboxFileRow.direction == "in",
            MailboxFileRow.sha256 == digest,
        )
    )


def received_at(session: Session, actor: Actor, data: bytes) -> datetime:
    """When the mailbox received these bytes (the moment of the poll's clock that stored them)."""
    digest = hashlib.sha256(data).hexdigest()
    moment = session.scalar(
        select(MailboxFileRow.received_at).where(
            MailboxFileRow.clinic_id == actor.clinic_id,
            MailboxFileRow.direction == "in",
            MailboxFileRow.sha256 == digest,
        )
    )
    if moment is None:
        raise NotFoundError("the file is not in the mailbox: receive it through a poll")
    return moment


def claims_by_number(session: Session, actor: Actor, numbers: Iterable[str]) -> dict[str, ClaimRow]:
    """The clinic's claims by patient control number (also as a payer upper-cased it), found first, then
    locked in one query in id order (as posting locks them, so the two wait for each other, never deadlock)
    and read again even when the session holds them: the status compared is the one now stored."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return {}
    ours = select(ClaimRow.id, ClaimRow.patient_control_number).where(ClaimRow.clinic_id == actor.clinic_id)
    found = session.execute(ours.where(ClaimRow.patient_control_number.in_(wanted)))
    id_of = {number: claim_id for claim_id, number in found}
    missing = {n.upper(): n for n in wanted if n not in id_of}
    if missing:
        upper = func.upper(ClaimRow.patient_control_number)
        for claim_id, number in session.execute(ours.where(upper.in_(sorted(missing)))):
            id_of[missing[number.upper()]] = claim_id
    if not id_of:
        return {}
    query = select(ClaimRow).where(ClaimRow.id.in_(sorted(set(id_of.values())))).order_by(ClaimRow.id)
    rows = {row.id: row for row in session.scalars(query.with_for_update().execution_options(populate_existing=True))}
    return {number: rows[claim_id] for number, claim_id in id_of.items()}


def _write(
    session: Session, actor: Actor, claim: ClaimRow, kind: str, answer: _Answer, file_id: int | None, now: datetime
) -> str | None:
    """Store the answer and move the claim where the status table allows it; the status moved to, if any."""
    target = {
        "accepted": ClaimState.ACCEPTED,
        "rejected": ClaimState.REJECTED,
        "pended": ClaimState.PENDED,
        "finalized": ClaimState.FINALIZED,
    }.get(answer.outcome)
    session.add(
        ClaimAnswerRow(
            clinic_id=actor.clinic_id,
            claim_id=claim.id,
            mailbox_file_id=file_id,
            kind=kind,
            outcome=answer.outcome,
            label=answer.label[:200],
            codes=answer.codes,
            detail=answer.detail[:1000],
            fix=answer.fix.text if answer.fix else None,
            rule_ids=list(answer.fix.rule_ids) if answer.fix else [],
            payer_claim_number=answer.payer_claim_number,
            trace_number=answer.trace_number,
            received_at=now,
        )
    )
    moved = None
    if target is not None and claim.status != target and can_move(claim.status, target):
        audit(session, actor, "update", "claim", str(claim.id), f"status {claim.status} -> {target} ({kind})")
        claim.status = target.value
        moved = target.value
    return moved


def _record(
    session: Session, actor: Actor, kind: str, answers: list[tuple[str, _Answer]], data: bytes, now: datetime
) -> Recorded:
    """Write the answers of the claims the clinic has (by patient control number), once per claim and file."""
    file_id = _file_id(session, actor, data)
    audit(session, actor, "create", "claim_answer", str(file_id) if file_id else None, f"{kind}: {len(answers)}")
    session.flush()  # on SQLite, this first write takes the writer lock, so the statuses read next stay true
    claims = claims_by_number(session, actor, (number for number, _ in answers))
    tally, seen = _Tally(), set()
    for number, answer in answers:
        claim = claims.get(number)
        if claim is None:
            tally.unknown.append(number or "(no control number)")
            continue
        if claim.id in seen:
            continue
        seen.add(claim.id)
        moved = _write(session, actor, claim, kind, answer, file_id, now)
        tally.written += 1
        if moved:
            tally.moved[moved] = tally.moved.get(moved, 0) + 1
    session.flush()
    return tally.result(kind)


# -- 999 -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SentSet:
    """One transaction set of a batch we sent: its claims (CLM01) and its segments as elements (ST first)."""

    claims: list[str] = field(default_factory=list)
    segments: list[list[str]] = field(default_factory=list)

    def at(self, position: int) -> list[str] | None:
        return self.segments[position - 1] if 0 < position <= len(self.segments) else None


def _number(control: str) -> str:
    return control.strip().lstrip("0") or "0"


def batch_sets(content: str) -> dict[tuple[str, str], SentSet]:
    """An 837P batch's transaction sets by (GS06, ST02), control numbers without leading zeros."""
    sets: dict[tuple[str, str], SentSet] = {}
    group, current = "", None
    for elements in read_lenient(content):
        segment = elements[0]
        if segment == "GS" and len(elements) > 6:
            group = _number(elements[6])
        elif segment == "ST" and len(elements) > 2:
            current = sets.setdefault((group, _number(elements[2])), SentSet())
        if current is not None:
            current.segments.append(elements)
            if segment == "CLM" and len(elements) > 1:
                current.claims.append(elements[1].strip())
            elif segment == "SE":
                current = None
    return sets


def _batch_of_group(session: Session, actor: Actor, group: str) -> dict[tuple[str, str], SentSet] | None:
    """The sets of the clinic's batch whose functional group has control number ``group`` (newest first)."""
    number = _number(group)
    rows = session.execute(
        select(ClaimBatchRow.content)
        .where(ClaimBatchRow.clinic_id == actor.clinic_id, ClaimBatchRow.content.contains(number, autoescape=True))
        .order_by(ClaimBatchRow.id.desc())
        .limit(BATCHES_SEARCHED)
    )
    for (content,) in rows:
        sets = batch_sets(content)
        if any(g == number for g, _ in sets):
            return sets
    return None


def _segment_words(note: SegmentNote) -> str:
    where = f"segment {note.segment_id}" + (f" at {note.position}" if note.position else "")
    where += f" in loop {note.loop}" if note.loop else ""
    text = f"{where}: {note.error.meaning or note.error.code}"
    for element in note.elements:
        what = f"element {element.position}" + (f" ({element.reference_number})" if element.reference_number else "")
        text += f"; {what}: {element.error.meaning or element.error.code}"
        if element.bad_value:
            text += f" (sent '{element.bad_value[:30]}')"
    return text


def _segment_codes(note: SegmentNote) -> list[str]:
    codes = [f"IK3 {note.segment_id}:{note.error.code}"]
    codes += [f"IK4 {e.reference_number or e.position}:{e.error.code}" for e in note.elements]
    return codes


def _set_answers(answer: TransactionSetAck, sent: SentSet) -> list[tuple[str, _Answer]]:
    claims = sent.claims
    verdict = answer.verdict
    codes = [f"IK5 {answer.code.code}", *(f"IK502 {e.code}" for e in answer.errors)]
    if verdict not in REJECTED_VERDICTS:
        errors = "; ".join(_segment_words(n) for n in answer.segments)
        label = "Batch file accepted by the clearinghouse (999)"
        detail = f"transaction set {answer.control_number} {verdict.value}" + (f": {errors}" if errors else "")
        return [(number, _Answer(NOTED, label, codes, detail)) for number in claims]
    named = {number.upper() for number in answer.claim_ids}
    errors = "; ".join(e.meaning or e.code for e in answer.errors)
    found: list[tuple[str, _Answer]] = []
    for number in claims:
        context = f"CLM01 {number}".upper()
        mine = tuple(n for n in answer.segments if not named or context in {c.upper() for c in n.context})
        detail = f"transaction set {answer.control_number} rejected" + (f" ({errors})" if errors else "")
        if mine:
            detail += ": " + "; ".join(_segment_words(n) for n in mine)
            fix = fix_for_segments(mine, sent.at)
        elif named:
            others = sorted(n for n in claims if n.upper() in named)
            detail += f": rejected with claim(s) {', '.join(others)} in the same transaction set"
            fix = Fix("Nothing was found wrong with this claim: send it again, after the claims it was sent with.")
        else:
            fix = GENERAL
        codes_here = codes + [c for n in mine for c in _segment_codes(n)]
        found.append((number, _Answer("rejected", "Rejected by the clearinghouse (999)", codes_here, detail, fix)))
    return found


def record_999(session: Session, actor: Actor, data: bytes, now: datetime) -> Recorded:
    answers: list[tuple[str, _Answer]] = []
    unknown_groups: list[str] = []
    for ack in read_999(data):
        _readable("999", ack.problems)
        group = ack.group
        if group is None:
            continue
        sets = _batch_of_group(session, actor, group.group_control_number)
        if sets is None:
            unknown_groups.append(group.group_control_number)
            continue
        key = _number(group.group_control_number)
        answered = set()
        for answer in group.transaction_sets:
            number = _number(answer.control_number)
            answered.add(number)
            answers += _set_answers(answer, sets.get((key, number), SentSet()))
        if group.verdict in REJECTED_VERDICTS:  # the group rejected whole: the sets it did not answer one by one
            words = "; ".join(e.meaning or e.code for e in group.errors)
            for (g, s), sent in sets.items():
                claims = sent.claims
                if g == key and s not in answered:
                    label, detail = "Rejected by the clearinghouse (999)", "the whole batch file was rejected"
                    codes = [f"AK9 {group.code.code}", *(f"AK905 {e.code}" for e in group.errors)]
                    answers += [(n, _Answer("rejected", label, codes, f"{detail}: {words}", GENERAL)) for n in claims]
    result = _record(session, actor, "999", answers, data, now)
    if unknown_groups:
        text = f"{result.message}; no batch of ours has group control number {', '.join(unknown_groups)}"
        outcome = result.outcome if answers else UNMATCHED
        return Recorded(outcome if outcome != RECORDED else PARTLY_MATCHED, text[:500])
    return result


# -- 277CA and 277 -----------------------------------------------------------------------------------------


def status_codes(statuses: Iterable[Status]) -> list[str]:
    return [
        ":".join(
            x for x in (s.category.code, s.status.code if s.status else "", s.entity.code if s.entity else "") if x
        )
        for s in statuses
    ]


def status_words(statuses: Iterable[Status]) -> str:
    """Each STC in words: 'A7 rejected for invalid information: 562 the entity's NPI (billing provider)'."""
    parts = []
    for s in statuses:
        text = f"{s.category.code} {s.category.meaning}".strip()
        if s.status is not None:
            text += f": {s.status.code} {s.status.meaning}".rstrip()
        if s.entity is not None:
            text += f" ({s.entity.meaning or s.entity.code})"
        if s.message:
            text += f" — {s.message[:120]}"
        parts.append(text)
    return "; ".join(parts)


def _outcome_of(category: str) -> str:
    if category in REJECTED_CATEGORIES:
        return "rejected"
    if category in ACCEPTED_CATEGORIES:
        return "accepted"
    if category[:1] in ("P", "R"):
        return "pended"
    if category[:1] == "F":
        return "finalized"
    return NOTED


def _status_answer(entry: ClaimStatusEntry, kind: str) -> _Answer:
    category = entry.statuses[0].category.code if entry.statuses else ""
    outcome = _outcome_of(category)
    if kind == "277CA":
        label = {"accepted": "Accepted by the payer (277CA)", "rejected": "Rejected by the payer (277CA)"}.get(
            outcome, "Acknowledged (277CA)"
        )
        outcome = outcome if outcome in ("accepted", "rejected") else NOTED
    else:
        first = entry.statuses[0].category.meaning if entry.statuses else "no status given"
        label = f"Claim status (277): {first}"
    fix = fix_for_statuses(entry.statuses) if outcome == "rejected" else None
    return _Answer(
        outcome,
        label,
        status_codes(entry.statuses),
        status_words(entry.statuses),
        fix,
        entry.payer_claim_number,
        entry.trace_number,
    )


def record_277ca(session: Session, actor: Actor, data: bytes, now: datetime) -> Recorded:
    reports = list(read_277ca(data))
    for report in reports:
        _readable("277CA", report.problems)
    answers = [
        (entry.patient_control_number or "", _status_answer(entry, "277CA"))
        for report in reports
        for entry in report.claims
    ]
    return _record(session, actor, "277CA", answers, data, now)


def _number_for_277(session: Session, actor: Actor, entry: ClaimStatusEntry) -> str:
    """The patient control number a 277 claim names: REF*EJ, else found by the payer's claim number, else by
    the trace of the 276 we sent."""
    if entry.patient_control_number:
        return entry.patient_control_number
    clinic = ClaimRow.clinic_id == actor.clinic_id
    if entry.payer_claim_number:
        found = session.scalar(
            select(ClaimRow.patient_control_number).where(
                clinic, ClaimRow.payer_claim_number == entry.payer_claim_number
            )
        )
        if found:
            return found
    if entry.trace_number:
        found = session.scalar(
            select(ClaimRow.patient_control_number)
            .join(ClaimAnswerRow, ClaimAnswerRow.claim_id == ClaimRow.id)
            .where(clinic, ClaimAnswerRow.kind == "276", ClaimAnswerRow.trace_number == entry.trace_number)
        )
        if found:
            return found
    return entry.payer_claim_number or entry.trace_number or ""


def record_277(session: Session, actor: Actor, data: bytes, now: datetime) -> Recorded:
    reports = list(read_277(data))
    for report in reports:
        _readable("277", report.problems)
    answers = [
        (_number_for_277(session, actor, entry), _status_answer(entry, "277"))
        for report in reports
        for entry in report.claims
    ]
    return _record(session, actor, "277", answers, data, now)
