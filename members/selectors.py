"""Reads that depend on who is asking (roles, visible organizations and members).

Roles come from positions (``PositionTitle.grants_*``), from membership itself (``member``) and from the
superuser flag (``admin``). Everything a user may see starts from the selectors below; the predicates in
``members.permissions`` are written on top of the same facts, so lists and single-object checks agree.

What a user holds is computed once per user object (two queries) and cached on it, so a request that asks
``roles_for`` and ``organizations_visible_to`` several times pays once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import Member, Organization, OrganizationKind, Position, Role, Term

#: Kinds of organizations that are bodies *of* a commune committee (its executive committee, standing
#: committee, inspection committee, office): a leader, clerk or handler there works for the whole commune.
COMMITTEE_BODY_KINDS = frozenset(
    {
        OrganizationKind.EXECUTIVE_COMMITTEE,
        OrganizationKind.STANDING_COMMITTEE,
        OrganizationKind.INSPECTION_COMMITTEE,
        OrganizationKind.OFFICE,
    }
)

#: Roles whose holders, placed in a commune committee or one of its bodies, see the commune's whole tree.
COMMUNE_WIDE_ROLES = frozenset({Role.LEADER, Role.CLERK, Role.HANDLER})

_CACHE_ATTR = "_partyhub_access"


@dataclass(frozen=True)
class HeldPosition:
    """A current position, reduced to what access decisions need."""

    organization_id: int
    organization_kind: str
    organization_parent_id: int | None
    roles: frozenset[str]


@dataclass
class Access:
    """What one user holds today. Built by :func:`access_for`; treat as read-only."""

    roles: frozenset[str] = frozenset()
    member_id: int | None = None
    member_organization_id: int | None = None
    positions: tuple[HeldPosition, ...] = ()
    is_admin: bool = False
    # Filled lazily: organization ids the user may see / manage (None = everything, for admins).
    _visible_ids: frozenset[int] | None = field(default=None, repr=False)
    _visible_done: bool = field(default=False, repr=False)
    _managed_ids: frozenset[int] | None = field(default=None, repr=False)
    _managed_done: bool = field(default=False, repr=False)
    _member_scope_ids: frozenset[int] | None = field(default=None, repr=False)

    def orgs_with_role(self, role: str) -> set[int]:
        ids = {p.organization_id for p in self.positions if role in p.roles}
        if role == Role.MEMBER and self.member_organization_id is not None:
            ids.add(self.member_organization_id)
        return ids

    def commune_roots(self) -> set[int]:
        """Commune committees the user works for (as leader, clerk or handler of it or of one of its bodies)."""
        roots: set[int] = set()
        for p in self.positions:
            if not (p.roles & COMMUNE_WIDE_ROLES):
                continue
            if p.organization_kind == OrganizationKind.COMMUNE_COMMITTEE:
                roots.add(p.organization_id)
            elif p.organization_kind in COMMITTEE_BODY_KINDS and p.organization_parent_id is not None:
                roots.add(p.organization_parent_id)
            else:
                # A leader/clerk/handler placed elsewhere (a cell) works for that organization's subtree.
                roots.add(p.organization_id)
        return roots

    def cell_roots(self) -> set[int]:
        """Organizations the user leads as cell secretary."""
        return {p.organization_id for p in self.positions if Role.CELL_SECRETARY in p.roles}


def today() -> datetime.date:
    return timezone.localdate()


def current_positions_q(on: datetime.date | None = None, prefix: str = "") -> Q:
    """Positions held on ``on`` (today by default): started, and not yet ended."""
    on = on or today()
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})
    )


def access_for(user) -> Access:
    """What ``user`` holds today, cached on the user object (two queries the first time, none after)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    member_row = Member.objects.filter(user_id=user.pk).values_list("id", "organization_id").first()
    positions: list[HeldPosition] = []
    if member_row is not None:
        rows = (
            Position.objects.filter(current_positions_q(), member_id=member_row[0])
            .select_related("title", "organization")
            .only(
                "organization__id",
                "organization__kind",
                "organization__parent_id",
                "title__grants_leader",
                "title__grants_clerk",
                "title__grants_handler",
                "title__grants_cell_secretary",
                "title__grants_delegate",
            )
        )
        for pos in rows:
            granted = frozenset(pos.title.roles())
            if granted:
                positions.append(
                    HeldPosition(
                        organization_id=pos.organization_id,
                        organization_kind=pos.organization.kind,
                        organization_parent_id=pos.organization.parent_id,
                        roles=granted,
                    )
                )

    roles: set[str] = set()
    for p in positions:
        roles |= p.roles
    if member_row is not None:
        roles.add(str(Role.MEMBER))
    if user.is_superuser:
        roles.add(str(Role.ADMIN))

    access = Access(
        roles=frozenset(roles),
        member_id=member_row[0] if member_row else None,
        member_organization_id=member_row[1] if member_row else None,
        positions=tuple(positions),
        is_admin=bool(user.is_superuser),
    )
    setattr(user, _CACHE_ATTR, access)
    return access


def forget_access(user) -> None:
    """Drop the cached roles of ``user`` (after a position or membership change in the same request)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_for(user) -> frozenset[str]:
    """The ``Role`` values ``user`` holds now (empty for anonymous or inactive users)."""
    return access_for(user).roles


def organizations_with_role(user, role: str) -> set[int]:
    """Ids of organizations where ``user`` holds ``role`` now.

    Position roles name the organization of the position; ``member`` names the member's own organization
    (cell); ``admin`` names every organization.
    """
    access = access_for(user)
    if role == Role.ADMIN:
        if not access.is_admin:
            return set()
        return set(Organization.objects.values_list("id", flat=True))
    return access.orgs_with_role(role)


def organization_roles(user) -> dict[int, frozenset[str]]:
    """For each organization where ``user`` holds something: the roles held there (``member`` for their
    own cell). No query beyond :func:`access_for`."""
    access = access_for(user)
    held: dict[int, set[str]] = {}
    for p in access.positions:
        held.setdefault(p.organization_id, set()).update(p.roles)
    if access.member_organization_id is not None:
        held.setdefault(access.member_organization_id, set()).add(str(Role.MEMBER))
    return {org_id: frozenset(roles) for org_id, roles in held.items()}


# --- the tree ---------------------------------------------------------------------------------------------


def descendant_ids(roots: Iterable[int], *, include_self: bool = True) -> set[int]:
    """Ids of every organization under ``roots`` (and the roots themselves unless ``include_self=False``).

    One recursive query on PostgreSQL and SQLite (``WITH RECURSIVE`` with ``UNION`` also stops on a cycle);
    other databases walk the tree level by level (one query per level, never one per node).
    """
    root_ids = sorted({int(r) for r in roots if r is not None})
    if not root_ids:
        return set()
    # The walk starts at the roots themselves, or at their children when the roots are not wanted (a root
    # that sits under another root is then still reached as that one's descendant).
    start_column = "id" if include_self else "parent_id"
    if connection.vendor in {"postgresql", "sqlite"}:
        table = connection.ops.quote_name(Organization._meta.db_table)
        placeholders = ", ".join(["%s"] * len(root_ids))
        # Table and column names are ours; the values are bound parameters.
        sql = (
            f"WITH RECURSIVE tree(id) AS ("  # noqa: S608
            f"SELECT id FROM {table} WHERE {start_column} IN ({placeholders}) "
            f"UNION SELECT o.id FROM {table} o JOIN tree t ON o.parent_id = t.id"
            f") SELECT id FROM tree"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, root_ids)
            return {row[0] for row in cursor.fetchall()}
    found = set(  # pragma: no cover - portable fallback
        Organization.objects.filter(**{f"{start_column}__in": root_ids}).values_list("id", flat=True)
    )
    frontier = set(found)
    while frontier:  # pragma: no cover
        frontier = set(Organization.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def organization_descendants(organization: Organization, *, include_self: bool = False) -> QuerySet[Organization]:
    """The organizations under ``organization`` (all levels), for "leaders see everything under their
    committee"."""
    ids = descendant_ids([organization.pk], include_self=include_self)
    return Organization.objects.filter(id__in=ids)


# --- visibility -------------------------------------------------------------------------------------------


def visible_organization_ids(user) -> frozenset[int] | None:
    """Ids of the organizations ``user`` may see, or ``None`` when they may see every one (admins)."""
    access = access_for(user)
    if access.is_admin:
        return None
    if access._visible_done:
        return access._visible_ids
    ids: set[int] = set()
    subtree_roots = access.commune_roots() | access.cell_roots()
    if subtree_roots:
        ids |= descendant_ids(subtree_roots)
    # Every organization where the user holds a position (a delegate's committee), and their own cell.
    ids |= {p.organization_id for p in access.positions}
    if access.member_organization_id is not None:
        ids.add(access.member_organization_id)
    access._visible_ids = frozenset(ids)
    access._visible_done = True
    return access._visible_ids


def managed_organization_ids(user) -> frozenset[int] | None:
    """Ids of organizations ``user`` may manage (edit, add terms and positions), ``None`` = all (admins).

    A leader or clerk of a commune committee (or of its bodies) manages the commune's tree; a cell
    secretary manages their cell. Handlers, delegates and members manage nothing.
    """
    access = access_for(user)
    if access.is_admin:
        return None
    if access._managed_done:
        return access._managed_ids
    roots: set[int] = set()
    for p in access.positions:
        if p.roles & {Role.LEADER, Role.CLERK}:
            if p.organization_kind in COMMITTEE_BODY_KINDS and p.organization_parent_id is not None:
                roots.add(p.organization_parent_id)
            else:
                roots.add(p.organization_id)
    roots |= access.cell_roots()
    access._managed_ids = frozenset(descendant_ids(roots)) if roots else frozenset()
    access._managed_done = True
    return access._managed_ids


def organizations_visible_to(user) -> QuerySet[Organization]:
    """The organizations ``user`` may see.

    Admins see all; a leader, clerk or handler of a commune committee or of one of its bodies sees the
    commune and everything under it; a cell secretary sees their cell (and anything under it); a member sees
    their own cell; anybody sees the organizations where they hold a position. Nobody else sees anything.
    """
    ids = visible_organization_ids(user)
    if ids is None:
        return Organization.objects.all()
    if not ids:
        return Organization.objects.none()
    return Organization.objects.filter(id__in=ids)


def member_scope_organization_ids(user) -> frozenset[int] | None:
    """Organizations whose members ``user`` may see (besides their own record); ``None`` = all (admins)."""
    access = access_for(user)
    if access.is_admin:
        return None
    if access._member_scope_ids is None:
        roots = access.commune_roots() | access.cell_roots()
        access._member_scope_ids = frozenset(descendant_ids(roots)) if roots else frozenset()
    return access._member_scope_ids


def members_visible_to(user) -> QuerySet[Member]:
    """The member records ``user`` may see.

    Admins see all; commune-wide roles see the members of every organization under their commune; a cell
    secretary sees the members of their cell; everybody sees their own record.
    """
    access = access_for(user)
    org_ids = member_scope_organization_ids(user)
    if org_ids is None:
        return Member.objects.all()
    condition = Q()
    if org_ids:
        condition |= Q(organization_id__in=org_ids)
    if access.member_id is not None:
        condition |= Q(pk=access.member_id)
    if not condition:
        return Member.objects.none()
    return Member.objects.filter(condition)


def terms_visible_to(user, organization: Organization | None = None) -> QuerySet[Term]:
    """Terms of the organizations ``user`` may see (optionally of one organization)."""
    terms = Term.objects.filter(organization__in=organizations_visible_to(user))
    if organization is not None:
        terms = terms.filter(organization=organization)
    return terms


def current_term(organization: Organization, on: datetime.date | None = None) -> Term | None:
    """The term of ``organization`` running on ``on`` (today by default), if any."""
    on = on or today()
    return (
        Term.objects.filter(organization=organization, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("-start_date")
        .first()
    )


def current_positions(*, organization: Organization | None = None, member: Member | None = None):
    """Positions held today, optionally of one organization or one member (no user filter: callers pass
    objects they have already checked)."""
    qs = Position.objects.filter(current_positions_q()).select_related("member", "title", "organization")
    if organization is not None:
        qs = qs.filter(organization=organization)
    if member is not None:
        qs = qs.filter(member=member)
    return qs


# --- the member registry: list, search, filters, corrections (member registry) ----------------------------

#: How far ahead "due for recognition" looks: members whose probation ends within this many days, or has
#: ended already while they are still probationary.
RECOGNITION_SOON_DAYS = 30

#: Sort keys of the member list → the columns they order by (a trailing ``pk`` keeps pages stable).
MEMBER_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("full_name",),
    "-name": ("-full_name",),
    "cell": ("organization__name", "full_name"),
    "-cell": ("-organization__name", "full_name"),
    "birth": ("date_of_birth", "full_name"),
    "-birth": ("-date_of_birth", "full_name"),
    "admission": ("admission_date", "full_name"),
    "-admission": ("-admission_date", "full_name"),
    "badge": ("next_badge_date", "full_name"),
    "-badge": ("-next_badge_date", "full_name"),
    "recognition": ("recognition_due_date", "full_name"),
    "-recognition": ("-recognition_due_date", "full_name"),
}
DEFAULT_MEMBER_ORDERING = "name"


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """``day`` moved back by ``years`` years (29/02 becomes 28/02 in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def member_search_q(query: str) -> Q:
    """Diacritic-insensitive search on ``Member.search_text``: every word of ``query`` must occur.

    The column holds ``partyhub.text.fold`` of the names, card and record numbers, so the query is folded
    the same way ("nguyen van an" finds "Nguyễn Văn An"). ``contains`` (LIKE '%…%', case-sensitive on
    PostgreSQL, where both sides are already lower-case) is what the trigram GIN index serves.
    """
    from partyhub.text import fold

    condition = Q()
    for word in fold(query).split()[:8]:
        condition &= Q(search_text__contains=word)
    return condition


def member_list(user, *, query: str = "", filters=None, ordering: str = "") -> QuerySet[Member]:
    """The members ``user`` may see, searched, filtered and sorted for the registry list.

    ``filters`` (a mapping; missing or empty values are ignored):
    ``organization`` (id of a cell: its members), ``status``, ``activity``, ``political_theory``,
    ``age_min``/``age_max`` (whole years today), ``badge_due_before`` (a date: next badge award on or
    before it), ``badge_years`` (the next badge's milestone), ``recognition_due`` (true: probationary members
    due for recognition within :data:`RECOGNITION_SOON_DAYS` days or overdue).
    ``ordering`` is a key of :data:`MEMBER_ORDERINGS`. The organization is fetched in the same query, so
    a page costs the same number of queries whatever its size.
    """
    from .models import MemberStatus

    filters = filters or {}
    qs = members_visible_to(user).select_related("organization")
    if query and query.strip():
        qs = qs.filter(member_search_q(query))
    today_ = today()
    organization = filters.get("organization")
    if organization:
        qs = qs.filter(organization_id=getattr(organization, "pk", organization))
    for key in ("status", "activity", "political_theory"):
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    if filters.get("political_theory_none"):
        qs = qs.filter(political_theory="")
    age_min = filters.get("age_min")
    if age_min not in (None, ""):
        qs = qs.filter(date_of_birth__lte=_years_before(today_, int(age_min)))
    age_max = filters.get("age_max")
    if age_max not in (None, ""):
        qs = qs.filter(date_of_birth__gt=_years_before(today_, int(age_max) + 1))
    badge_due_before = filters.get("badge_due_before")
    if badge_due_before:
        qs = qs.filter(next_badge_date__isnull=False, next_badge_date__lte=badge_due_before)
    badge_years = filters.get("badge_years")
    if badge_years:
        qs = qs.filter(next_badge_years=int(badge_years))
    if filters.get("recognition_due"):
        qs = qs.filter(
            status=MemberStatus.PROBATIONARY,
            recognition_due_date__isnull=False,
            recognition_due_date__lte=today_ + datetime.timedelta(days=RECOGNITION_SOON_DAYS),
        )
    order = MEMBER_ORDERINGS.get(ordering or DEFAULT_MEMBER_ORDERING, MEMBER_ORDERINGS[DEFAULT_MEMBER_ORDERING])
    # Members without the sorted date (no badge due, no date of birth) come last either way.
    expressions = [
        (F(key[1:]).desc(nulls_last=True) if key.startswith("-") else F(key).asc(nulls_last=True))
        if key.lstrip("-").endswith("date") or key.lstrip("-") == "date_of_birth"
        else key
        for key in order
    ]
    return qs.order_by(*expressions, "pk")


def cell_organizations_visible_to(user) -> QuerySet[Organization]:
    """The cells whose members ``user`` may list (for the list's cell filter)."""
    scope = member_scope_organization_ids(user)
    cells = Organization.objects.filter(kind=OrganizationKind.CELL, is_external=False)
    if scope is None:
        return cells
    return cells.filter(id__in=scope)


def members_due_for_recognition(user, *, within_days: int = RECOGNITION_SOON_DAYS) -> QuerySet[Member]:
    """Probationary members ``user`` may see whose probation ends within ``within_days`` days (or has ended)."""
    from .models import MemberStatus

    limit = today() + datetime.timedelta(days=within_days)
    return (
        members_visible_to(user)
        .filter(status=MemberStatus.PROBATIONARY, recognition_due_date__isnull=False, recognition_due_date__lte=limit)
        .select_related("organization")
        .order_by("recognition_due_date", "full_name", "pk")
    )


def cell_secretaries_of(organization: Organization) -> list[Member]:
    """The members holding a cell-secretary position in ``organization`` today (usually one). One query."""
    rows = (
        Position.objects.filter(current_positions_q(), organization=organization, title__grants_cell_secretary=True)
        .select_related("member")
        .order_by("title__order", "start_date", "pk")
    )
    seen: set[int] = set()
    result = []
    for position in rows:
        if position.member_id not in seen:
            seen.add(position.member_id)
            result.append(position.member)
    return result


def correction_requests_for(user, *, status: str | None = None):
    """Correction requests about members whose record ``user`` may edit (the office, leaders, the cell
    secretary; admins see all), newest first, optionally of one ``status``."""
    from .models import CorrectionRequest

    managed = managed_organization_ids(user)
    qs = CorrectionRequest.objects.select_related("member", "member__organization", "requested_by", "resolved_by")
    if managed is not None:
        if not managed:
            return qs.none()
        qs = qs.filter(member__organization_id__in=managed)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def correction_handlers_for(member: Member) -> list:
    """The active users who should hear of a correction request about ``member``: the clerks of the
    commune above the member's cell (or of the cell's own organization) and the cell secretary of the
    member's cell. Two queries."""
    org_ids = {member.organization_id}
    parent_id = Organization.objects.filter(pk=member.organization_id).values_list("parent_id", flat=True).first()
    if parent_id is not None:
        org_ids.add(parent_id)
    clerk_q = Q(title__grants_clerk=True) & (
        Q(organization_id__in=org_ids)
        | Q(organization__parent_id__in=org_ids, organization__kind__in=list(COMMITTEE_BODY_KINDS))
    )
    secretary_q = Q(title__grants_cell_secretary=True, organization_id=member.organization_id)
    positions = (
        Position.objects.filter(current_positions_q())
        .filter(clerk_q | secretary_q)
        .select_related("member__user")
        .order_by("pk")
    )
    users = []
    seen: set[int] = set()
    for position in positions:
        account = position.member.user
        if account is not None and account.is_active and account.pk not in seen:
            seen.add(account.pk)
            users.append(account)
    return users


# --- dashboards (member registry) ------------------------------------------------------------------------------


def dashboard_committees_for(user) -> QuerySet[Organization]:
    """Commune committees whose dashboard ``user`` may open: administrators every one; leaders, clerks and
    handlers of a committee (or of one of its bodies) theirs."""
    committees = Organization.objects.filter(kind=OrganizationKind.COMMUNE_COMMITTEE, is_external=False)
    access = access_for(user)
    if access.is_admin:
        return committees.order_by("order", "name")
    roots = access.commune_roots()
    if not roots:
        return Organization.objects.none()
    return committees.filter(id__in=roots).order_by("order", "name")


# --- status history (member registry area A) ---------------------------------------------------------------


def status_history(member: Member):
    """Every status event of ``member`` (voided ones too, for the struck-through history), oldest first.
    Callers pass a member they have already checked with ``can_view_member``."""
    from .models import MemberStatusEvent

    return (
        MemberStatusEvent.objects.filter(member=member)
        .select_related("from_organization", "to_organization", "recorded_by")
        .order_by("effective_date", "id")
    )


def status_events_of_organizations(user, organization_ids: Iterable[int] | None = None):
    """Status events that concern organizations ``user`` may see: those where the organization is where
    the member was (``from_organization``) or where they went (``to_organization``), so a transfer shows
    in the history of both cells. Optionally limited to ``organization_ids``."""
    from .models import MemberStatusEvent

    scope = member_scope_organization_ids(user)
    ids = None if scope is None else set(scope)
    if organization_ids is not None:
        wanted = {int(i) for i in organization_ids}
        ids = wanted if ids is None else ids & wanted
    events = MemberStatusEvent.objects.select_related("member", "from_organization", "to_organization")
    if ids is None:
        return events.order_by("-effective_date", "-id")
    if not ids:
        return events.none()
    return events.filter(Q(from_organization_id__in=ids) | Q(to_organization_id__in=ids)).order_by(
        "-effective_date", "-id"
    )
