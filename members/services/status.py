"""The status history of a member (domain.md §4): admission, recognition, exemption, temporary and
official transfers, suspension, discipline, removal, death, restoration and readmission.

Every change is a ``MemberStatusEvent`` — dated, with its decision — and is never edited or deleted: a
mistaken entry is voided with a reason. The member's standing (status, activity, cell, official date) is
what the non-void events say: :func:`replay` computes it, and both :func:`status_change` (the state a new
event starts from) and :func:`status_event_void` (the state after dropping the latest event) use it.

Which changes are possible is the explicit table :data:`TRANSITIONS` (the Điều lệ's logic, not a number,
so it is code), refined by :func:`refusal` which says *why* a change is impossible.

Each event records the member's organization at the time in ``from_organization`` (and the destination of
a transfer in ``to_organization``), so a cell's history is "events where the cell is ``from_organization``
or ``to_organization``" (``members.selectors.status_events_of_organizations``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partyhub.notifications import notify

from .. import facts, permissions, selectors
from ..models import (
    BadgeAward,
    BadgeRule,
    Member,
    MemberActivity,
    MemberStatus,
    MemberStatusEvent,
    Organization,
    OrganizationKind,
    Position,
    ProbationRule,
    StatusEventKind,
)
from ..rules import RuleBook
from ._common import _as, _require

K = StatusEventKind
S = MemberStatus
A = MemberActivity


def _d(value: datetime.date | None) -> str:
    """Dates in messages in the Vietnamese form (dd/mm/yyyy), whatever the interface language."""
    return value.strftime("%d/%m/%Y") if value else "…"


CURRENT = frozenset({S.PROBATIONARY, S.OFFICIAL})
#: ``to_status`` meaning "the status the member had before leaving" (restoration, transfer back in).
PREVIOUS = "__previous__"


@dataclass(frozen=True)
class Transition:
    """A change may start from one of ``from_statuses`` (and ``from_activities``; ``None`` = any) and leads to
    ``to_status`` / ``to_activity`` (``None`` = unchanged)."""

    from_statuses: frozenset
    from_activities: frozenset | None
    to_status: str | None
    to_activity: str | None


def _t(from_statuses, from_activities, to_status, to_activity) -> Transition:
    return Transition(
        frozenset(from_statuses),
        frozenset(from_activities) if from_activities is not None else None,
        to_status,
        to_activity,
    )


TRANSITIONS: dict[str, Transition] = {
    # Arrival of a record: the first event of a new probationary member.
    K.ADMITTED: _t({S.PROBATIONARY}, None, S.PROBATIONARY, A.ACTIVE),
    K.RECOGNIZED: _t({S.PROBATIONARY}, None, S.OFFICIAL, None),
    K.PROBATION_FAILED: _t({S.PROBATIONARY}, None, S.REMOVED, None),
    K.EXEMPTED: _t(CURRENT, {A.ACTIVE}, None, A.EXEMPTED),
    K.EXEMPTION_ENDED: _t(CURRENT, {A.EXEMPTED}, None, A.ACTIVE),
    K.TEMPORARY_OUT: _t(CURRENT, {A.ACTIVE}, None, A.TEMPORARY_OUT),
    K.TEMPORARY_RETURN: _t(CURRENT, {A.TEMPORARY_OUT}, None, A.ACTIVE),
    # A member of another organization attending here for a while: a new record, or one that came before.
    K.TEMPORARY_IN: _t(CURRENT | {S.TRANSFERRED_OUT}, None, PREVIOUS, A.TEMPORARY_IN),
    # They go back to their own organization: the record here stays as history.
    K.TEMPORARY_IN_ENDED: _t(CURRENT, {A.TEMPORARY_IN}, S.TRANSFERRED_OUT, A.ACTIVE),
    K.TRANSFER_OUT: _t(CURRENT, {A.ACTIVE, A.EXEMPTED, A.TEMPORARY_OUT}, S.TRANSFERRED_OUT, A.ACTIVE),
    K.TRANSFER_IN: _t(CURRENT | {S.TRANSFERRED_OUT}, None, PREVIOUS, A.ACTIVE),
    K.TRANSFER_WITHIN: _t(CURRENT, {A.ACTIVE, A.EXEMPTED}, None, None),
    K.SUSPENDED: _t(CURRENT, {A.ACTIVE}, None, A.SUSPENDED),
    K.SUSPENSION_LIFTED: _t(CURRENT, {A.SUSPENDED}, None, A.ACTIVE),
    K.REPRIMAND: _t(CURRENT, None, None, None),
    K.WARNING: _t(CURRENT, None, None, None),
    K.DISMISSAL: _t({S.OFFICIAL}, None, None, None),
    K.EXPELLED: _t({S.OFFICIAL}, None, S.EXPELLED, None),
    K.REMOVED: _t(CURRENT, None, S.REMOVED, None),
    K.RESIGNED: _t(CURRENT, None, S.RESIGNED, None),
    K.LOST_CONTACT: _t(CURRENT, None, None, None),
    K.CONTACT_RESTORED: _t(CURRENT, None, None, None),
    K.DECEASED: _t(CURRENT, None, S.DECEASED, None),
    K.RESTORED: _t({S.EXPELLED, S.REMOVED}, None, PREVIOUS, A.ACTIVE),
    K.READMITTED: _t({S.EXPELLED, S.REMOVED, S.RESIGNED}, None, S.PROBATIONARY, A.ACTIVE),
}

#: Changes that open a record (only as its first event, from the state the record was created with).
ARRIVAL_KINDS = frozenset({K.ADMITTED, K.TRANSFER_IN, K.TEMPORARY_IN})
#: While contact is lost, only these changes can be recorded.
WHILE_CONTACT_LOST = frozenset({K.CONTACT_RESTORED, K.REMOVED, K.DECEASED})
#: Changes that name a destination organization.
TRANSFER_KINDS = frozenset({K.TRANSFER_OUT, K.TRANSFER_IN, K.TRANSFER_WITHIN})


# --- replay -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberState:
    """A member's standing as the status history says."""

    status: str
    activity: str
    organization_id: int | None
    official_date: datetime.date | None = None
    contact_lost: bool = False
    readmitted: bool = False
    #: The current status held before leaving (for a restoration or a transfer back in).
    status_before_leaving: str = ""


def _ordered(events) -> list[MemberStatusEvent]:
    return sorted(events, key=lambda e: (e.effective_date, e.pk or 0))


def base_state(member: Member, all_events: list[MemberStatusEvent]) -> MemberState:
    """The state before the first event ever recorded (void or not); the member's own fields when there is
    no event."""
    if not all_events:
        return MemberState(member.status, member.activity, member.organization_id, member.official_date)
    first = _ordered(all_events)[0]
    official = member.official_date
    if any(e.kind == K.RECOGNIZED for e in all_events):
        official = None  # recognized through the history: not official before it
    return MemberState(
        first.status_before, first.activity_before, first.from_organization_id or member.organization_id, official
    )


def apply(state: MemberState, event: MemberStatusEvent) -> MemberState:
    """The state after ``event`` (assumed allowed: see :func:`refusal`)."""
    rule = TRANSITIONS[event.kind]
    status = state.status
    if rule.to_status == PREVIOUS:
        status = state.status_before_leaving or (state.status if state.status in CURRENT else S.OFFICIAL)
    elif rule.to_status is not None:
        status = rule.to_status
    activity = rule.to_activity or state.activity
    changes: dict = {"status": status, "activity": activity}
    if state.status in CURRENT and status not in CURRENT:
        changes["status_before_leaving"] = state.status
        changes["contact_lost"] = False
    if event.kind == K.LOST_CONTACT:
        changes["contact_lost"] = True
    elif event.kind == K.CONTACT_RESTORED:
        changes["contact_lost"] = False
    elif event.kind == K.READMITTED:
        changes["readmitted"] = True
    elif event.kind == K.RECOGNIZED:
        changes["official_date"] = event.effective_date
    if event.kind in (K.TRANSFER_WITHIN, K.TRANSFER_IN, K.TEMPORARY_IN) and event.to_organization_id:
        changes["organization_id"] = event.to_organization_id
    return replace(state, **changes)


def replay(member: Member, *, events=None, all_events=None) -> MemberState:
    """The member's state from the base state and the non-void ``events`` in order (loaded when omitted)."""
    if all_events is None:
        all_events = list(MemberStatusEvent.objects.filter(member=member))
    if events is None:
        events = [e for e in all_events if e.voided_at is None]
    state = base_state(member, all_events)
    for event in _ordered(events):
        state = apply(state, event)
    return state


# --- what is possible ---------------------------------------------------------------------------------------


def _holds_position(member: Member, on: datetime.date) -> bool:
    return Position.objects.filter(selectors.current_positions_q(on), member=member).exists()


def _kind_label(kind: str) -> str:
    return str(StatusEventKind(kind).label)


def refusal(
    member: Member,
    state: MemberState,
    kind: str,
    *,
    events: list[MemberStatusEvent],
    on: datetime.date,
) -> str | None:
    """Why ``kind`` cannot be recorded now (translated), or ``None`` when it can. ``on`` is the effective date
    (today when listing the changes offered)."""
    if kind not in TRANSITIONS:
        return _("Unknown change: %(kind)s.") % {"kind": kind}
    label = _kind_label(kind)
    if state.status == S.DECEASED:
        return _("No change can be recorded for a deceased member.")
    if kind == K.READMITTED and state.readmitted:
        return _("A member can be readmitted only once.")
    if kind == K.DISMISSAL and state.status == S.PROBATIONARY:
        return _(
            "A probationary member cannot be removed from office: a probationary member can only be "
            "reprimanded or warned."
        )
    if kind == K.EXPELLED and state.status == S.PROBATIONARY:
        return _("A probationary member cannot be expelled; remove them from the rolls instead.")
    if kind == K.RECOGNIZED and state.status == S.OFFICIAL:
        return _("The member is already an official member.")
    if kind == K.RESTORED and state.status not in (S.EXPELLED, S.REMOVED):
        return _("Party membership can only be restored after an expulsion or a removal from the rolls.")
    if kind in ARRIVAL_KINDS and state.status in CURRENT and events:
        if kind == K.ADMITTED:
            return _("The admission can only be the first entry of the status history.")
        if kind == K.TRANSFER_IN:
            return _("A transfer in is recorded for a member who was transferred out, or as the first entry.")
        return _("A temporary attendance here is recorded for a member of another organization, as the first entry.")
    if kind == K.ADMITTED and member.official_date is not None:
        return _("The member already has a date of becoming official; the admission cannot be recorded.")
    rule = TRANSITIONS[kind]
    if state.status not in rule.from_statuses:
        return _("“%(change)s” is not possible for a member whose status is %(status)s.") % {
            "change": label,
            "status": S(state.status).label,
        }
    if rule.from_activities is not None and state.activity not in rule.from_activities:
        return _("“%(change)s” is not possible while the member's activity is “%(activity)s”.") % {
            "change": label,
            "activity": A(state.activity).label,
        }
    if state.contact_lost and kind not in WHILE_CONTACT_LOST:
        return _("The member has lost contact: record the restored contact first.")
    if kind == K.CONTACT_RESTORED and not state.contact_lost:
        return _("The member has not lost contact.")
    if kind == K.LOST_CONTACT and state.contact_lost:
        return _("The member has already lost contact.")
    if kind == K.DISMISSAL and not _holds_position(member, on):
        return _("The member holds no position to be removed from.")
    if kind == K.RECOGNIZED:
        due = facts.recognition_due(replace_status(member, state), events=events)
        if due is not None and on < due.probation_end:
            return _("Probation ends on %(date)s: recognition cannot take effect before that day.") % {
                "date": _d(due.probation_end)
            }
    return None


def replace_status(member: Member, state: MemberState) -> Member:
    """A copy of ``member`` (not saved) carrying ``state``'s status, for computations."""
    copy = Member(**{f.attname: getattr(member, f.attname) for f in member._meta.concrete_fields})
    copy.status = state.status
    copy.activity = state.activity
    return copy


def _load(member: Member) -> tuple[list[MemberStatusEvent], list[MemberStatusEvent]]:
    all_events = _ordered(MemberStatusEvent.objects.filter(member=member))
    return all_events, [e for e in all_events if e.voided_at is None]


def allowed_changes(member: Member, *, on: datetime.date | None = None) -> list[str]:
    """The ``StatusEventKind`` values that can be recorded for ``member`` on ``on`` (today by default), in
    the order of ``StatusEventKind``."""
    on = on or selectors.today()
    all_events, events = _load(member)
    state = replay(member, events=events, all_events=all_events)
    return [kind for kind in StatusEventKind.values if refusal(member, state, kind, events=events, on=on) is None]


# --- writes -----------------------------------------------------------------------------------------------


def _commune_of(organization: Organization | None) -> Organization | None:
    node = organization
    seen = set()
    while node is not None and node.pk not in seen:
        if node.kind == OrganizationKind.COMMUNE_COMMITTEE:
            return node
        seen.add(node.pk)
        node = node.parent
    return None


def _check_destination(
    *, actor, member: Member, state: MemberState, kind: str, to_organization, other_party_organization: str
):
    """Validate the organizations of a transfer; returns the destination to record (or ``None``)."""
    current = Organization.objects.get(pk=state.organization_id) if state.organization_id else member.organization
    if kind == K.TRANSFER_WITHIN:
        if to_organization is None:
            raise ValidationError({"to_organization": _("Choose the cell the member moves to.")})
        if to_organization.pk == current.pk:
            raise ValidationError(
                {"to_organization": _("The member already belongs to %(name)s.") % {"name": current.name}}
            )
        if (
            to_organization.is_external
            or _commune_of(to_organization) is None
            or (_commune_of(to_organization).pk != getattr(_commune_of(current), "pk", None))
        ):
            raise ValidationError(
                {"to_organization": _("A move within the organization must go to a cell of the same commune.")}
            )
        if actor is not None:
            _require(permissions.can_manage_organization(actor, to_organization))
        return to_organization
    if kind == K.TRANSFER_OUT:
        if to_organization is None and not other_party_organization:
            raise ValidationError({"to_organization": _("Name the party organization the member is transferred to.")})
        if to_organization is not None:
            if to_organization.pk == current.pk:
                raise ValidationError(
                    {"to_organization": _("The member already belongs to %(name)s.") % {"name": current.name}}
                )
            commune = _commune_of(current)
            if commune is not None and _commune_of(to_organization) == commune:
                raise ValidationError(
                    {
                        "to_organization": _("%(name)s is in the same commune: record a move to another cell instead.")
                        % {"name": to_organization.name}
                    }
                )
        return to_organization
    if kind in (K.TRANSFER_IN, K.TEMPORARY_IN):
        destination = to_organization or current
        if destination.is_external:
            raise ValidationError(
                {
                    "to_organization": _("A member cannot attend an external organization (%(name)s).")
                    % {"name": destination.name}
                }
            )
        if actor is not None and to_organization is not None:
            _require(permissions.can_manage_organization(actor, destination))
        return destination
    return None


def _may_record(actor, member: Member, state: MemberState, kind: str, to_organization, events) -> bool:
    """Managers of the member; for a transfer back in, also the managers of the receiving organization named
    by the member's transfer out."""
    if permissions.can_manage_member(actor, member):
        return True
    if kind == K.TRANSFER_IN and state.status == S.TRANSFERRED_OUT and to_organization is not None:
        last_out = next((e for e in reversed(events) if e.kind == K.TRANSFER_OUT), None)
        managed = selectors.managed_organization_ids(actor)
        return (
            last_out is not None
            and last_out.to_organization_id is not None
            and managed is not None
            and last_out.to_organization_id in managed
            and to_organization.pk in managed
        )
    return False


def _write_state(member: Member, state: MemberState, extra: dict | None = None) -> None:
    changes = {
        "status": state.status,
        "activity": state.activity,
        "organization_id": state.organization_id or member.organization_id,
        "official_date": state.official_date,
    }
    changes.update(extra or {})
    dirty = [name for name, value in changes.items() if getattr(member, name) != value]
    for name in dirty:
        setattr(member, name, changes[name])
    if dirty:
        member.save(update_fields=[name.removesuffix("_id") for name in dirty])


def _recipients(member: Member, *organizations: Organization | None) -> list:
    """The cell secretaries of the member's cell (and of the other cell of a transfer) and the clerks of the
    commune office."""
    cells = {o.pk for o in organizations if o is not None}
    communes = {c.pk for c in (_commune_of(o) for o in organizations if o is not None) if c is not None}
    commune_ids = selectors.descendant_ids(communes) if communes else set()
    positions = (
        Position.objects.filter(selectors.current_positions_q())
        .filter(
            Q(title__grants_cell_secretary=True, organization_id__in=cells)
            | Q(title__grants_clerk=True, organization_id__in=commune_ids)
        )
        .select_related("member__user")
    )
    return [p.member.user for p in positions if p.member.user_id]


def _notify(*, actor, member: Member, title, body, organizations) -> None:
    notify(
        recipients=_recipients(member, *organizations),
        title=title,
        body=body,
        url=reverse("members:status_change", args=[member.pk]),
        kind="member_status",
        actor=actor,
    )


@transaction.atomic
def status_change(
    *,
    actor,
    member: Member,
    kind: str,
    effective_date: datetime.date,
    decision_number: str = "",
    decision_date: datetime.date | None = None,
    decided_by: str = "",
    to_organization: Organization | None = None,
    other_party_organization: str = "",
    note: str = "",
) -> MemberStatusEvent:
    """Record the change ``kind`` of ``member`` effective on ``effective_date`` (see :data:`TRANSITIONS`).

    Refuses (``ValidationError`` keyed by field, translated) an impossible change, a date in the future,
    before the admission or before the member's last recorded change, and transfers to the wrong place.
    Updates the member's status, activity, cell and dates, notifies the cell secretary and the office
    clerks, and refreshes the cached facts.
    """
    member = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    all_events, events = _load(member)
    state = replay(member, events=events, all_events=all_events)
    if actor is not None:
        _require(_may_record(actor, member, state, kind, to_organization, events))
    if kind not in StatusEventKind.values:
        raise ValidationError({"kind": _("Choose a change from the list.")})
    if effective_date is None:
        raise ValidationError({"effective_date": _("The effective date is required.")})
    today = selectors.today()
    if effective_date > today:
        raise ValidationError({"effective_date": _("The effective date cannot be in the future.")})
    if decision_date is not None and decision_date > today:
        raise ValidationError({"decision_date": _("The decision date cannot be in the future.")})
    reason = refusal(member, state, kind, events=events, on=effective_date)
    if reason is not None:
        raise ValidationError({"kind": reason})
    if member.admission_date is not None and effective_date < member.admission_date and kind != K.ADMITTED:
        raise ValidationError(
            {
                "effective_date": _("The effective date cannot be before the admission (%(date)s).")
                % {"date": _d(member.admission_date)}
            }
        )
    if kind == K.ADMITTED and member.admission_date is not None and effective_date < member.admission_date:
        raise ValidationError(
            {
                "effective_date": _("The admission ceremony cannot be before the admission decision (%(date)s).")
                % {"date": _d(member.admission_date)}
            }
        )
    if events and effective_date < events[-1].effective_date:
        last = events[-1]
        raise ValidationError(
            {
                "effective_date": _(
                    "The effective date cannot be before the member's last recorded change (%(change)s, %(date)s)."
                )
                % {"change": last.get_kind_display(), "date": _d(last.effective_date)}
            }
        )
    other_party_organization = (other_party_organization or "").strip()
    destination = _check_destination(
        actor=actor,
        member=member,
        state=state,
        kind=kind,
        to_organization=to_organization,
        other_party_organization=other_party_organization,
    )
    source = Organization.objects.get(pk=state.organization_id) if state.organization_id else member.organization
    event = MemberStatusEvent(
        member=member,
        kind=kind,
        effective_date=effective_date,
        decision_number=(decision_number or "").strip(),
        decision_date=decision_date,
        decided_by=(decided_by or "").strip(),
        from_organization=source,
        to_organization=destination if destination is not None and destination.pk != source.pk else None,
        other_party_organization=other_party_organization,
        status_before=state.status,
        activity_before=state.activity,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    after = apply(state, event)
    event.status_after = after.status
    event.activity_after = after.activity
    extra: dict = {}
    if kind == K.ADMITTED:
        if member.admission_date is None:
            extra["admission_date"] = decision_date or effective_date
        if member.admission_ceremony_date is None:
            extra["admission_ceremony_date"] = effective_date
    with _as(actor):
        event.save()
        _write_state(member, after, extra)
        _notify(
            actor=actor,
            member=member,
            title=format_lazy(
                gettext_lazy("{name}: {change}"), name=member.full_name, change=StatusEventKind(kind).label
            ),
            body=format_lazy(
                gettext_lazy("Effective {date}. Decision: {decision}"),
                date=_d(effective_date),
                decision=event.decision_number or "—",
            ),
            organizations=[source, event.to_organization],
        )
        member_refresh_facts(member)
    return event


@transaction.atomic
def status_event_void(*, actor, event: MemberStatusEvent, reason: str) -> MemberStatusEvent:
    """Void ``event`` (only the member's latest non-void change) with ``reason``; the member's standing is
    recomputed by replaying the remaining events."""
    member = Member.objects.select_for_update().get(pk=event.member_id)
    if actor is not None:
        _require(permissions.can_manage_member(actor, member))
    event = MemberStatusEvent.objects.select_for_update().get(pk=event.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for voiding this entry.")})
    if event.voided_at is not None:
        raise ValidationError(_("This entry was already voided."))
    all_events, events = _load(member)
    if events[-1].pk != event.pk:
        raise ValidationError(_("Only the latest change of the status history can be voided."))
    event.voided_at = timezone.now()
    event.void_reason = reason[:300]
    remaining = events[:-1]
    for item in all_events:
        if item.pk == event.pk:
            item.voided_at = event.voided_at
    state = replay(member, events=remaining, all_events=all_events)
    with _as(actor):
        event.save(update_fields=["voided_at", "void_reason"])
        _write_state(member, state)
        _notify(
            actor=actor,
            member=member,
            title=format_lazy(
                gettext_lazy("{name}: entry voided ({change})"), name=member.full_name, change=event.get_kind_display()
            ),
            body=reason,
            organizations=[event.from_organization, event.to_organization],
        )
        member_refresh_facts(member)
    return event


# --- cached facts -------------------------------------------------------------------------------------------

FACT_FIELDS = ("party_age_gap_days", "recognition_due_date", "next_badge_years", "next_badge_date")


def member_refresh_facts(
    member: Member,
    *,
    save: bool = True,
    on: datetime.date | None = None,
    probation_rules: RuleBook | None = None,
    badge_rules: RuleBook | None = None,
) -> list[str]:
    """Recompute the cached facts of ``member`` (days not counted in party age, recognition due = the day
    probation ends, next badge and its award date) as of ``on`` (today). Saves only what changed; returns
    the names of the changed fields. Pass rule books to reuse them across many members."""
    on = on or selectors.today()
    events = facts.member_events(member)
    age = facts.party_age(member, on, events=events)
    due = facts.recognition_due(
        member, events=events, rules=probation_rules if probation_rules is not None else RuleBook(ProbationRule)
    )
    badge = facts.next_badge(
        member, on, events=events, rules=badge_rules if badge_rules is not None else RuleBook(BadgeRule)
    )
    values = {
        "party_age_gap_days": age.gap_days,
        "recognition_due_date": due.probation_end if due else None,
        "next_badge_years": badge.years if badge else None,
        "next_badge_date": badge.award_date if badge else None,
    }
    dirty = [name for name, value in values.items() if getattr(member, name) != value]
    for name in dirty:
        setattr(member, name, values[name])
    if save and dirty and member.pk is not None:
        member.save(update_fields=dirty)
    return dirty


def members_refresh_facts(*, member_ids=None, on: datetime.date | None = None, batch_size: int = 500) -> int:
    """Refresh the cached facts of the current (and deceased, for posthumous badges) members, or of
    ``member_ids``; returns how many rows changed. A constant number of queries per batch, plus one save per
    changed member. Idempotent."""
    on = on or selectors.today()
    probation_rules = RuleBook(ProbationRule)
    badge_rules = RuleBook(BadgeRule)
    wanted = Q(pk__in=list(member_ids)) if member_ids is not None else Q(status__in=[*CURRENT, S.DECEASED])
    qs = Member.objects.filter(wanted)
    qs = qs.order_by("pk").prefetch_related(
        Prefetch(
            "status_events",
            queryset=MemberStatusEvent.objects.filter(voided_at__isnull=True).order_by("effective_date", "id"),
            to_attr="_facts_events",
        ),
        Prefetch("badges", queryset=BadgeAward.objects.only("id", "member_id", "years"), to_attr="_facts_badges"),
    )
    changed = 0
    last_pk = 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        for member in batch:
            with transaction.atomic():
                if member_refresh_facts(member, on=on, probation_rules=probation_rules, badge_rules=badge_rules):
                    changed += 1
        last_pk = batch[-1].pk
    return changed


__all__ = [
    "TRANSITIONS",
    "MemberState",
    "allowed_changes",
    "apply",
    "member_refresh_facts",
    "members_refresh_facts",
    "refusal",
    "replay",
    "status_change",
    "status_event_void",
]
