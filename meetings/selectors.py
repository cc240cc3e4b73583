"""Reads of meetings that depend on who is asking — the ONE place the meetings access rule lives.

The rule (issue 6):

* **managers** — the office of the meeting organization's commune (clerks and leaders of the commune
  committee or of its bodies work for the whole commune tree) and the secretary of a cell for their cell's
  meetings — prepare and see the meetings of their organizations, at any time;
* the meeting's **chair** and **minute-taker** see it at any time (they run it and write its minutes);
* an **invited person** (``Invitation.user``) sees the meeting, its agenda and their own packet copy only
  *within the access window*: from ``folder_opens_at`` (empty: from the moment invitations are sent) until
  ``folder_closes_at`` (empty: ``ends_at`` — or ``starts_at`` — plus
  ``settings.PARTYHUB_MEETING_FOLDER_RETENTION_DAYS`` days). A cancelled meeting stays visible in the window
  (its invitees see that it was cancelled);
* a **classified** meeting is seen only by users cleared for its level (``documents.permissions.cleared_for``)
  — managers and administrators included;
* administrators manage every meeting (of the levels they are cleared for);
* nobody else sees anything: a meeting a user may not see answers 404, never 403.

Everything that lists or fetches meetings (pages, API, feeds, tasks acting for a user) starts from
:func:`meetings_visible_to`; the single-object predicates in ``meetings.permissions`` are written on the
same facts, so a list and a check never disagree.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from documents.models import Confidentiality
from documents.selectors import document_access_for

from .models import AgendaDocument, AgendaItem, Invitation, Meeting, MeetingStatus, ScheduleEntry


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def retention_days() -> int:
    return int(getattr(settings, "PARTYHUB_MEETING_FOLDER_RETENTION_DAYS", 7))


# --- the access window ----------------------------------------------------------------------------------------


def folder_opens_at(meeting: Meeting) -> datetime.datetime | None:
    """When invited delegates may first open the meeting: ``folder_opens_at``, else the moment invitations
    were sent (``None``: not yet)."""
    return meeting.folder_opens_at or meeting.invitations_sent_at


def folder_closes_at(meeting: Meeting) -> datetime.datetime:
    """When invited delegates lose the meeting (and tablets drop their cached copy)."""
    if meeting.folder_closes_at is not None:
        return meeting.folder_closes_at
    end = meeting.ends_at or meeting.starts_at
    return end + datetime.timedelta(days=retention_days())


def folder_open(meeting: Meeting, now: datetime.datetime | None = None) -> bool:
    """Whether ``meeting``'s access window for invited delegates is open at ``now``."""
    if meeting is None:
        return False
    now = now or timezone.now()
    opens = folder_opens_at(meeting)
    if opens is None or opens > now:
        return False
    return now < folder_closes_at(meeting)


def folder_open_q(now: datetime.datetime | None = None, prefix: str = "") -> Q:
    """:func:`folder_open` as a ``Q`` over :class:`Meeting` (``prefix`` e.g. ``"meeting__"``)."""
    now = now or timezone.now()
    p = prefix
    cutoff = now - datetime.timedelta(days=retention_days())
    opened = Q(**{f"{p}folder_opens_at__lte": now}) | Q(
        **{f"{p}folder_opens_at__isnull": True, f"{p}invitations_sent_at__lte": now}
    )
    not_closed = (
        Q(**{f"{p}folder_closes_at__gt": now})
        | Q(**{f"{p}folder_closes_at__isnull": True, f"{p}ends_at__gt": cutoff})
        | Q(**{f"{p}folder_closes_at__isnull": True, f"{p}ends_at__isnull": True, f"{p}starts_at__gt": cutoff})
    )
    return opened & not_closed


# --- who manages ----------------------------------------------------------------------------------------------


def managed_meeting_org_ids(user) -> frozenset[int] | None:
    """Organizations whose meetings ``user`` manages (``None``: every one — administrators).

    Clerks and leaders of a commune committee (or of one of its bodies) manage the meetings of the whole
    commune tree; a cell secretary those of their cell. Cached with the documents access facts (no query
    after the first)."""
    facts = document_access_for(user)
    if not facts.authenticated:
        return frozenset()
    if facts.is_admin:
        return None
    return facts.office_org_ids | facts.cell_org_ids


def cleared_levels_q(user, prefix: str = "") -> Q:
    """Meetings whose classification ``user`` is cleared for."""
    facts = document_access_for(user)
    q = Q(**{f"{prefix}confidentiality": Confidentiality.NORMAL})
    if facts.cleared_levels:
        q |= Q(**{f"{prefix}confidentiality__in": sorted(facts.cleared_levels)})
    return q


def managed_q(user, prefix: str = "") -> Q | None:
    """Meetings ``user`` manages, as a ``Q`` (``None``: nothing)."""
    if not _authenticated(user):
        return None
    ids = managed_meeting_org_ids(user)
    if ids is None:
        return cleared_levels_q(user, prefix)
    if not ids:
        return None
    return Q(**{f"{prefix}organization_id__in": sorted(ids)}) & cleared_levels_q(user, prefix)


def meetings_managed_by(user) -> QuerySet[Meeting]:
    """The meetings ``user`` prepares and manages."""
    q = managed_q(user)
    if q is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(q)


def organizations_for_meetings(user):
    """The organizations ``user`` may hold meetings for (the organization choices of the meeting form)."""
    from members.models import Organization

    ids = managed_meeting_org_ids(user)
    qs = Organization.objects.filter(is_external=False)
    if ids is None:
        return qs.order_by("order", "name")
    if not ids:
        return qs.none()
    return qs.filter(id__in=sorted(ids)).order_by("order", "name")


# --- who sees -------------------------------------------------------------------------------------------------


def meeting_visible_q(user, now: datetime.datetime | None = None, prefix: str = "") -> Q | None:
    """The access rule as a ``Q`` over :class:`Meeting` (``None``: nothing at all)."""
    if not _authenticated(user):
        return None
    p = prefix
    invited = Invitation.objects.filter(meeting_id=OuterRef(f"{p}pk"), user_id=user.pk)
    reach = Q(Exists(invited)) & folder_open_q(now, prefix=p)
    reach |= Q(**{f"{p}chair_id": user.pk}) | Q(**{f"{p}minute_taker_id": user.pk})
    ids = managed_meeting_org_ids(user)
    if ids is None:
        reach = Q()
    elif ids:
        reach |= Q(**{f"{p}organization_id__in": sorted(ids)})
    return reach & cleared_levels_q(user, p)


def meetings_visible_to(user, now: datetime.datetime | None = None) -> QuerySet[Meeting]:
    """Every meeting ``user`` may see now (see the module docstring for the rule)."""
    q = meeting_visible_q(user, now)
    if q is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(q)


def get_meeting_or_404(user, pk) -> Meeting:
    """The meeting ``pk`` if ``user`` may see it, else :class:`~django.http.Http404`."""
    try:
        return meetings_visible_to(user).select_related("organization", "chair", "minute_taker").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_managed_meeting_or_404(user, pk, *, for_update: bool = False) -> Meeting:
    """The meeting ``pk`` if ``user`` manages it, else 404 (also when they only see it)."""
    qs = meetings_managed_by(user)
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def invitation_for(user, meeting: Meeting) -> Invitation | None:
    """The invitation of ``user`` to ``meeting`` (or ``None``). Cached on the meeting object per user."""
    if not _authenticated(user) or meeting is None or meeting.pk is None:
        return None
    cache = meeting.__dict__.setdefault("_partyhub_invitation_cache", {})
    if user.pk not in cache:
        cache[user.pk] = Invitation.objects.filter(meeting_id=meeting.pk, user_id=user.pk).first()
    return cache[user.pk]


def forget_invitation(user, meeting: Meeting) -> None:
    cache = meeting.__dict__.get("_partyhub_invitation_cache")
    if cache is not None:
        cache.pop(getattr(user, "pk", None), None)


def invitations_of(user, *, now: datetime.datetime | None = None) -> QuerySet[Invitation]:
    """``user``'s own invitations to meetings they may open now (window and clearance checked), soonest
    first — the delegate's "my meetings" list."""
    if not _authenticated(user):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(user_id=user.pk)
        .filter(folder_open_q(now, prefix="meeting__") & cleared_levels_q(user, prefix="meeting__"))
        .select_related("meeting", "meeting__organization")
        .order_by("meeting__starts_at", "meeting_id")
    )


# --- meeting lists (office) -----------------------------------------------------------------------------------


def meeting_list(user, *, when: str = "", organization=None, kind: str = "", now=None) -> QuerySet[Meeting]:
    """Meetings ``user`` may see, filtered for the list page: ``when`` = ``"upcoming"`` (not ended yet) or
    ``"past"``; ``organization`` (id); ``kind``. Organization, chair fetched in the same query."""
    now = now or timezone.now()
    qs = meetings_visible_to(user, now).select_related("organization", "chair")
    ended = Q(ends_at__lt=now) | Q(ends_at__isnull=True, starts_at__lt=now - datetime.timedelta(hours=4))
    if when == "upcoming":
        qs = qs.exclude(ended).order_by("starts_at", "id")
    elif when == "past":
        qs = qs.filter(ended).order_by("-starts_at", "-id")
    else:
        qs = qs.order_by("-starts_at", "-id")
    if organization:
        qs = qs.filter(organization_id=getattr(organization, "pk", organization))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def upcoming_meetings_for(user, *, limit: int = 5, now=None) -> list[Meeting]:
    """The next meetings ``user`` manages or is invited to (home page, handbook)."""
    now = now or timezone.now()
    return list(
        meetings_visible_to(user, now)
        .filter(Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now - datetime.timedelta(hours=4)))
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("organization")
        .order_by("starts_at", "id")[:limit]
    )


# --- agenda ---------------------------------------------------------------------------------------------------


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    """The agenda of a meeting the caller has checked, with its documents prefetched (two queries)."""
    from django.db.models import Prefetch

    docs = AgendaDocument.objects.select_related("file", "incoming", "outgoing", "publication", "drafter").order_by(
        "order", "id"
    )
    return (
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("presenter_user")
        .prefetch_related(Prefetch("documents", queryset=docs))
        .order_by("order", "id")
    )


def agenda_documents_visible_to(user) -> QuerySet[AgendaDocument]:
    """Agenda documents of the meetings ``user`` may see."""
    q = meeting_visible_q(user, prefix="item__meeting__")
    if q is None:
        return AgendaDocument.objects.none()
    return AgendaDocument.objects.filter(q)


def get_agenda_document_or_404(user, meeting: Meeting, pk) -> AgendaDocument:
    try:
        return AgendaDocument.objects.select_related("item", "drafter", "file").get(pk=pk, item__meeting=meeting)
    except (AgendaDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def draft_comments_for(user, document: AgendaDocument):
    """The comments on a draft ``user`` may read: the drafter and the meeting's managers read all of them;
    a delegate reads their own."""
    from . import permissions
    from .models import DraftComment

    qs = DraftComment.objects.filter(document=document).select_related("author").order_by("created_at", "id")
    if permissions.can_read_all_comments(user, document):
        return qs
    if not _authenticated(user):
        return qs.none()
    return qs.filter(author_id=user.pk)


# --- the work schedule ----------------------------------------------------------------------------------------


def schedule_org_ids_visible_to(user) -> frozenset[int] | None:
    """Organizations whose *published* schedule ``user`` sees (``None``: all): members see the schedule of
    their cell and of every organization above it (their commune, its committee bodies); whoever sees an
    organization's tree (office, leaders, cell secretaries) sees those too."""
    from members.models import Organization
    from members.selectors import access_for, visible_organization_ids

    access = access_for(user)
    if not _authenticated(user):
        return frozenset()
    if access.is_admin:
        return None
    ids = set(visible_organization_ids(user) or ())
    # Walk up from every organization the user belongs to or holds a position in: the commune and its bodies.
    starts = {p.organization_id for p in access.positions}
    if access.member_organization_id is not None:
        starts.add(access.member_organization_id)
    parents: set[int] = set()
    frontier = set(starts)
    seen: set[int] = set()
    while frontier:
        rows = list(Organization.objects.filter(id__in=frontier).values_list("id", "parent_id", "is_external"))
        seen |= frontier
        frontier = set()
        for org_id, parent_id, is_external in rows:
            if not is_external:
                parents.add(org_id)
            if parent_id is not None and parent_id not in seen:
                frontier.add(parent_id)
    ids |= parents
    # The bodies of the communes reached (standing committee, office …) publish for the same members.
    from members.selectors import COMMITTEE_BODY_KINDS

    bodies = Organization.objects.filter(parent_id__in=parents, kind__in=list(COMMITTEE_BODY_KINDS)).values_list(
        "id", flat=True
    )
    ids |= set(bodies)
    return frozenset(ids)


def schedule_visible_to(user) -> QuerySet[ScheduleEntry]:
    """Schedule entries ``user`` may see: every entry of the organizations whose meetings they manage
    (published or not), and the published entries of the organizations of :func:`schedule_org_ids_visible_to`.
    An entry made for a meeting is shown only if its meeting is not classified beyond the user's clearance."""
    if not _authenticated(user):
        return ScheduleEntry.objects.none()
    managed = managed_meeting_org_ids(user)
    published = schedule_org_ids_visible_to(user)
    if managed is None:
        reach = Q()
    else:
        reach = Q(pk__in=[])
        if managed:
            reach |= Q(organization_id__in=sorted(managed))
        if published is None:
            reach |= Q(published=True)
        elif published:
            reach |= Q(published=True, organization_id__in=sorted(published))
    classified = Q(meeting__isnull=True) | cleared_levels_q(user, prefix="meeting__")
    return ScheduleEntry.objects.filter(reach & classified)


def schedule_week(user, monday: datetime.date, *, organization=None) -> QuerySet[ScheduleEntry]:
    """The entries ``user`` may see in the week starting on ``monday`` (local time)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min), tz)
    end = start + datetime.timedelta(days=7)
    qs = schedule_visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    if organization:
        qs = qs.filter(organization_id=getattr(organization, "pk", organization))
    return qs.select_related("organization", "meeting").order_by("starts_at", "id")


__all__ = [
    "agenda_documents_visible_to",
    "agenda_of",
    "draft_comments_for",
    "folder_closes_at",
    "folder_open",
    "folder_open_q",
    "folder_opens_at",
    "forget_invitation",
    "get_agenda_document_or_404",
    "get_managed_meeting_or_404",
    "get_meeting_or_404",
    "invitation_for",
    "invitations_of",
    "managed_meeting_org_ids",
    "meeting_list",
    "meeting_visible_q",
    "meetings_managed_by",
    "meetings_visible_to",
    "organizations_for_meetings",
    "schedule_visible_to",
    "schedule_week",
    "upcoming_meetings_for",
]
