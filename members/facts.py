"""Facts computed from a member's record and status history (domain.md §4): party age, the date a
probationary member is due for recognition, and the next party badge.

Pure functions: they read the member, its non-void status events and badges (pass them in, or let the
function load them) and the rule rows in force (``members.rules``); they write nothing. The cached columns
on ``Member`` (``party_age_gap_days``, ``recognition_due_date``, ``next_badge_*``) are kept from these by
``members.services.status.member_refresh_facts``.

Conventions (each one tested with hand-worked cases in ``tests/members/test_facts*.py``):

* **Anniversaries.** A period of N months that starts on day D ends on day D of the N-th month after; when
  that month has no day D (29/02 in a common year, 31 in a 30-day month) it ends on the last day of that
  month — the rule of Điều 148 Bộ luật Dân sự 2015 for periods counted in months and years. So a member
  admitted on 29/02/1996 completes 30 years of party age on 28/02/2026.
* **Party age** counts from the admission decision date (``Member.admission_date``; the first admission for
  a readmitted member) to the day asked about, or to the death. The gaps are not counted: from an
  expulsion, removal, resignation, failed probation, loss of contact or official transfer out, to the
  restoration, readmission, restored contact or transfer back in. A gap shifts the start later by its
  length in days; the years, months and days are then counted from the shifted start.
* **Working days** are Monday to Friday. Public holidays (Tết, 30/4, 1/5, 2/9, Giỗ Tổ …) are NOT modelled
  yet: a deadline that spans a holiday comes out earlier than the legal one by the holidays' length.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import (
    BadgeRule,
    Member,
    MemberStatus,
    MemberStatusEvent,
    ProbationRule,
    StatusEventKind,
)
from .rules import RuleBook

K = StatusEventKind

#: Events that start a period not counted in party age, and those that end it.
GAP_START_KINDS = frozenset({K.EXPELLED, K.REMOVED, K.RESIGNED, K.PROBATION_FAILED, K.LOST_CONTACT, K.TRANSFER_OUT})
GAP_END_KINDS = frozenset({K.RESTORED, K.READMITTED, K.CONTACT_RESTORED, K.TRANSFER_IN})

EARLY_ILLNESS = "illness"
EARLY_POSTHUMOUS = "posthumous"
EARLY_REASON_LABELS = {
    EARLY_ILLNESS: _("early award for serious illness"),
    EARLY_POSTHUMOUS: _("posthumous award"),
}

#: Safety bound for the fixed-point search of a milestone date (each round adds at least one gap).
_MAX_ROUNDS = 100


# --- calendar helpers -------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` (negative: back), on the last day of the month when the day is missing."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """The number of whole months from ``start`` to ``end`` (0 when ``end`` is before the first one ends)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday. Public holidays are not modelled yet (see the module docstring)."""
    return day.weekday() < 5


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The day on which ``count`` working days after ``day`` have passed (``day`` itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def next_award_day(award_days: list[str], on_or_after: datetime.date) -> datetime.date | None:
    """The first award day (``"DD/MM"`` strings of a ``BadgeRule``) on or after ``on_or_after``."""
    parsed = []
    for text in award_days or []:
        day_text, _sep, month_text = str(text).partition("/")
        parsed.append((int(month_text), int(day_text)))
    if not parsed:
        return None
    parsed.sort()
    for year in (on_or_after.year, on_or_after.year + 1):
        for month, day in parsed:
            candidate = datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))
            if candidate >= on_or_after:
                return candidate
    return None  # pragma: no cover - a list with at least one day always matches within two years


# --- loading ---------------------------------------------------------------------------------------------


def member_events(member: Member) -> list[MemberStatusEvent]:
    """The member's non-void status events in order (prefetched into ``_facts_events`` when present)."""
    cached = getattr(member, "_facts_events", None)
    if cached is not None:
        return list(cached)
    if member.pk is None:
        return []
    return list(
        MemberStatusEvent.objects.filter(member=member, voided_at__isnull=True).order_by("effective_date", "id")
    )


def member_badge_years(member: Member) -> set[int]:
    cached = getattr(member, "_facts_badges", None)
    if cached is not None:
        return {b.years for b in cached}
    if member.pk is None:
        return set()
    return set(member.badges.values_list("years", flat=True))


def death_date(member: Member, events: list[MemberStatusEvent]) -> datetime.date | None:
    for event in reversed(events):
        if event.kind == K.DECEASED:
            return event.effective_date
    return None


def gaps_of(events: list[MemberStatusEvent]) -> list[tuple[datetime.date, datetime.date | None]]:
    """Periods not counted in party age, as ``(start, end)`` (``end`` ``None``: still open). One gap at a
    time: a second gap event while one is open (lost contact, then removed) continues it."""
    gaps: list[tuple[datetime.date, datetime.date | None]] = []
    open_since: datetime.date | None = None
    for event in events:
        if event.kind in GAP_START_KINDS and open_since is None:
            open_since = event.effective_date
        elif event.kind in GAP_END_KINDS and open_since is not None:
            gaps.append((open_since, event.effective_date))
            open_since = None
    if open_since is not None:
        gaps.append((open_since, None))
    return gaps


def _gap_days(gaps, start: datetime.date, until: datetime.date) -> int:
    """Days of ``gaps`` inside ``[start, until)``."""
    total = 0
    for gap_start, gap_end in gaps:
        lo = max(gap_start, start)
        hi = until if gap_end is None else min(gap_end, until)
        if hi > lo:
            total += (hi - lo).days
    return total


# --- party age --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyAge:
    years: int
    months: int
    days: int
    total_days: int
    gaps: list[tuple[datetime.date, datetime.date | None]] = field(default_factory=list)
    start: datetime.date | None = None
    gap_days: int = 0

    @property
    def known(self) -> bool:
        return self.start is not None

    def __str__(self) -> str:
        return f"{self.years}y {self.months}m {self.days}d"


def party_age(member: Member, on: datetime.date, *, events: list[MemberStatusEvent] | None = None) -> PartyAge:
    """Party age of ``member`` on ``on``: years, months and days counted from the admission decision date,
    minus the gaps (see the module docstring), stopping at death. Zero when the admission date is unknown
    (then ``known`` is False) or later than ``on``."""
    start = member.admission_date
    events = member_events(member) if events is None else events
    gaps = gaps_of(events)
    if start is None:
        return PartyAge(0, 0, 0, 0, gaps, None, 0)
    end = on
    died = death_date(member, events)
    if died is not None and died < end:
        end = died
    if end <= start:
        return PartyAge(0, 0, 0, 0, gaps, start, 0)
    gap_days = _gap_days(gaps, start, end)
    shifted = start + datetime.timedelta(days=gap_days)
    total = (end - start).days - gap_days
    if end <= shifted:
        return PartyAge(0, 0, 0, max(total, 0), gaps, start, gap_days)
    months = months_between(shifted, end)
    days = (end - add_months(shifted, months)).days
    return PartyAge(months // 12, months % 12, days, total, gaps, start, gap_days)


def milestone_date(
    start: datetime.date, years: int, gaps: list[tuple[datetime.date, datetime.date | None]]
) -> datetime.date | None:
    """The day party age reaches ``years`` full years, the gaps before it shifting it later; ``None`` when an
    open gap stops the count first."""
    gap_days = 0
    for _round in range(_MAX_ROUNDS):
        candidate = add_months(start + datetime.timedelta(days=gap_days), 12 * years)
        for gap_start, gap_end in gaps:
            if gap_end is None and gap_start < candidate:
                return None
        counted = _gap_days(gaps, start, candidate)
        if counted == gap_days:
            return candidate
        gap_days = counted
    return None  # pragma: no cover - gaps are finite, so the search settles well before this


# --- recognition ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecognitionDue:
    probation_start: datetime.date
    probation_end: datetime.date
    decision_deadline: datetime.date
    rule: ProbationRule


def _probation_start(member: Member, events: list[MemberStatusEvent]) -> tuple[datetime.date | None, datetime.date]:
    """(start of the running probation, the day picking the rule). A readmission starts a new probation."""
    for event in reversed(events):
        if event.kind == K.RECOGNIZED:
            break
        if event.kind == K.READMITTED:
            return event.effective_date, event.decision_date or event.effective_date
    start = member.admission_ceremony_date or member.admission_date
    return start, (member.admission_date or start)


def recognition_due(
    member: Member,
    *,
    events: list[MemberStatusEvent] | None = None,
    rules: RuleBook | None = None,
) -> RecognitionDue | None:
    """For a probationary member: when probation ends (``probation_months`` after the admission ceremony,
    or the decision date when the ceremony date is unknown; after the readmission for a readmitted member)
    and the last day for the cell's decision (``decision_working_days`` working days later). The rule is the
    one in force on the admission decision date (the oldest rule for admissions before every rule).
    ``None`` for other members, or when the dates are unknown."""
    if member.status != MemberStatus.PROBATIONARY:
        return None
    events = member_events(member) if events is None else events
    start, rule_day = _probation_start(member, events)
    if start is None:
        return None
    rules = rules if rules is not None else RuleBook(ProbationRule)
    rule = rules.on(rule_day) or rules.first()
    if rule is None:
        return None
    end = add_months(start, rule.probation_months)
    return RecognitionDue(start, end, add_working_days(end, rule.decision_working_days), rule)


# --- badges -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeDue:
    years: int
    reached_on: datetime.date
    eligible_from: datetime.date
    award_date: datetime.date | None
    early_reason: str = ""
    rule: BadgeRule | None = None

    @property
    def early_reason_label(self) -> str:
        return str(EARLY_REASON_LABELS.get(self.early_reason, ""))


def next_badge(
    member: Member,
    on: datetime.date,
    *,
    events: list[MemberStatusEvent] | None = None,
    awarded: set[int] | None = None,
    rules: RuleBook | None = None,
) -> BadgeDue | None:
    """The next party badge ``member`` is due for, as of ``on``.

    Milestones (from the rule in force on ``on``) above the highest badge already awarded are candidates.
    Each is reached on :func:`milestone_date`; a seriously ill member may receive it
    ``illness_early_months`` early (``illness_early_months_high`` from ``high_milestone_from`` years on); a
    deceased member posthumously when they died at most ``posthumous_early_months`` before reaching it. The
    early allowances and award days come from the rule in force on the day the milestone is reached.

    A candidate already due on ``on`` (never awarded) is still the next badge; when several are due, the
    highest one is (a missed lower badge is not awarded later). Otherwise the next badge is the smallest
    candidate not yet due. The award date is the first award day (3/2, 19/5, 2/9, 7/11 …) on or after the
    later of the day it becomes due and ``on``. ``None`` for members no longer in the party, with an open
    gap (expelled, lost contact …), an unknown admission date, or nothing left to award.
    """
    alive = member.status in (MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL)
    if not alive and member.status != MemberStatus.DECEASED:
        return None
    start = member.admission_date
    if start is None:
        return None
    events = member_events(member) if events is None else events
    awarded = member_badge_years(member) if awarded is None else awarded
    rules = rules if rules is not None else RuleBook(BadgeRule)
    rule_now = rules.on(on) or rules.first()
    if rule_now is None:
        return None
    died = None if alive else death_date(member, events)
    if not alive and died is None:
        return None
    gaps = gaps_of([e for e in events if e.kind != K.DECEASED])
    highest = max(awarded, default=0)
    due: list[BadgeDue] = []
    upcoming: BadgeDue | None = None
    for years in sorted(int(m) for m in rule_now.milestones if int(m) > highest and int(m) not in awarded):
        reached = milestone_date(start, years, gaps)
        if reached is None:
            break
        rule = rules.on(reached) or rule_now
        if years not in {int(m) for m in rule.milestones}:
            continue
        reason = ""
        if alive:
            eligible = reached
            if member.serious_illness:
                early = (
                    rule.illness_early_months_high if years >= rule.high_milestone_from else rule.illness_early_months
                )
                eligible = add_months(reached, -early)
        else:
            if add_months(reached, -rule.posthumous_early_months) > died:
                break
            eligible = min(reached, died)
        award = next_award_day(rule.award_days, max(eligible, on))
        if alive and award is not None and award < reached:
            reason = EARLY_ILLNESS
        elif not alive and reached > died:
            reason = EARLY_POSTHUMOUS
        candidate = BadgeDue(years, reached, eligible, award, reason, rule)
        if eligible <= on:
            due.append(candidate)
        elif alive:
            upcoming = candidate
            break
        else:  # pragma: no cover - a deceased member's candidates are all due by their death
            break
    if due:
        return due[-1]
    return upcoming


__all__ = [
    "EARLY_ILLNESS",
    "EARLY_POSTHUMOUS",
    "GAP_END_KINDS",
    "GAP_START_KINDS",
    "BadgeDue",
    "PartyAge",
    "RecognitionDue",
    "add_months",
    "add_working_days",
    "gaps_of",
    "milestone_date",
    "months_between",
    "next_award_day",
    "next_badge",
    "party_age",
    "recognition_due",
]
