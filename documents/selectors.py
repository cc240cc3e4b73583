"""Reads of incoming documents that depend on who is asking — the ONE place the access rule lives.

The rule (issue 4, D4):

* clerks and leaders of the receiving organization's commune see its incoming documents (a leader or clerk
  of a commune committee or of one of its bodies works for the whole commune tree);
* anybody named in the *current* directive (lead, co-operating or for information) sees that document;
* a cell secretary sees the documents received by their cell;
* admins see every document;
* classified documents ("Mật", "Tối mật", "Tuyệt mật") are seen only by users cleared for that level
  (:class:`documents.models.Clearance`) — admins too.

Everything that lists or fetches incoming documents (pages, API, search, exports, downloads, tasks that act
for a user) starts from :func:`incoming_visible_to`; single-object predicates live in
``documents.permissions`` and are written on the same facts, so a list and a check never disagree. A
document a user may not see is answered with 404, never 403.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from members.models import OrganizationKind, Role
from members.selectors import COMMITTEE_BODY_KINDS, access_for, descendant_ids

from .models import Assignment, Clearance, Confidentiality, IncomingDocument

#: Classification levels from the lowest to the highest. A clearance for a level covers every level below.
LEVEL_ORDER: tuple[str, ...] = (
    Confidentiality.SECRET,
    Confidentiality.TOP_SECRET,
    Confidentiality.ABSOLUTE_SECRET,
)

_CACHE_ATTR = "_partyhub_documents_access"


@dataclass
class DocumentAccess:
    """What one user may reach among incoming documents today; cached on the user object."""

    authenticated: bool = False
    is_admin: bool = False
    #: Organizations whose incoming documents the user sees as clerk or leader of the commune (or of a cell).
    office_org_ids: frozenset[int] = frozenset()
    #: Organizations whose documents the user may receive and register (clerks; cell secretaries for their cell).
    receiving_org_ids: frozenset[int] = frozenset()
    #: Organizations whose documents the user may direct (leaders; cell secretaries for their cell).
    directing_org_ids: frozenset[int] = frozenset()
    #: Cells (and anything under them) led by the user as cell secretary.
    cell_org_ids: frozenset[int] = frozenset()
    #: Classification levels the user is cleared for today.
    cleared_levels: frozenset[str] = frozenset()


def _commune_root(position) -> int:
    """The organization whose tree a leader/clerk position works for."""
    if position.organization_kind == OrganizationKind.COMMUNE_COMMITTEE:
        return position.organization_id
    if position.organization_kind in COMMITTEE_BODY_KINDS and position.organization_parent_id is not None:
        return position.organization_parent_id
    return position.organization_id


def clearance_levels(user, on: datetime.date | None = None) -> frozenset[str]:
    """The classification levels ``user`` is cleared for on ``on`` (today): a clearance for a level covers
    the levels below it. One query, no cache (see :func:`document_access_for` for the cached form)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    on = on or timezone.localdate()
    granted = Clearance.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on),
        user_id=user.pk,
        valid_from__lte=on,
    ).values_list("level", flat=True)
    top = max((LEVEL_ORDER.index(level) for level in granted if level in LEVEL_ORDER), default=-1)
    return frozenset(LEVEL_ORDER[: top + 1])


def document_access_for(user) -> DocumentAccess:
    """The facts of :class:`DocumentAccess` for ``user`` — computed once per user object (the two queries of
    ``members.selectors.access_for``, at most two tree walks and one clearance query), then cached."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return DocumentAccess()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    access = access_for(user)
    office_roots: set[int] = set()
    clerk_roots: set[int] = set()
    leader_roots: set[int] = set()
    for p in access.positions:
        if Role.CLERK in p.roles:
            clerk_roots.add(_commune_root(p))
        if Role.LEADER in p.roles:
            leader_roots.add(_commune_root(p))
    office_roots = clerk_roots | leader_roots
    cells = access.cell_roots()
    all_roots = office_roots | cells
    tree: dict[int, set[int]] = {}
    if all_roots:
        # One tree walk per root set kept small: the roots are a handful of organizations.
        for root in all_roots:
            tree[root] = descendant_ids([root])
    office = set().union(*(tree[r] for r in office_roots)) if office_roots else set()
    clerk = set().union(*(tree[r] for r in clerk_roots)) if clerk_roots else set()
    leader = set().union(*(tree[r] for r in leader_roots)) if leader_roots else set()
    cell = set().union(*(tree[r] for r in cells)) if cells else set()
    result = DocumentAccess(
        authenticated=True,
        is_admin=access.is_admin,
        office_org_ids=frozenset(office),
        receiving_org_ids=frozenset(clerk | cell),
        directing_org_ids=frozenset(leader | cell),
        cell_org_ids=frozenset(cell),
        cleared_levels=clearance_levels(user),
    )
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_document_access(user) -> None:
    """Drop the cached document access of ``user`` (after a clearance or position change in one request)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def named_in_current_directive_q(user, prefix: str = "") -> Q:
    """Documents where ``user`` is named (any assignment role) in the current, not superseded, directive."""
    named = Assignment.objects.filter(
        directive__document_id=OuterRef(f"{prefix}pk"),
        directive__superseded_at__isnull=True,
        user_id=user.pk,
    )
    return Q(Exists(named))


def incoming_visible_q(user) -> Q | None:
    """The access rule as a ``Q`` over :class:`IncomingDocument` (``None`` = nothing)."""
    facts = document_access_for(user)
    if not facts.authenticated:
        return None
    if facts.is_admin:
        reach = Q()
    else:
        reach = named_in_current_directive_q(user)
        orgs = facts.office_org_ids | facts.cell_org_ids
        if orgs:
            reach |= Q(organization_id__in=sorted(orgs))
    classified = Q(confidentiality=Confidentiality.NORMAL)
    if facts.cleared_levels:
        classified |= Q(confidentiality__in=sorted(facts.cleared_levels))
    return reach & classified


def incoming_visible_to(user) -> QuerySet[IncomingDocument]:
    """Every incoming document ``user`` may see (see the module docstring for the rule)."""
    q = incoming_visible_q(user)
    if q is None:
        return IncomingDocument.objects.none()
    return IncomingDocument.objects.filter(q)


def get_incoming_or_404(user, pk) -> IncomingDocument:
    """The document ``pk`` if ``user`` may see it, else :class:`~django.http.Http404`."""
    try:
        return incoming_visible_to(user).get(pk=pk)
    except (IncomingDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def incoming_for_update(user, pk) -> IncomingDocument:
    """The document ``pk`` locked for update (``SELECT … FOR UPDATE``) if ``user`` may see it, else
    :class:`~django.http.Http404`. Call it inside ``transaction.atomic``; outside a transaction (autocommit)
    a lock would end at once, so the row is fetched without one. Whether the user may *change* it is a
    separate question for ``documents.permissions``."""
    qs = incoming_visible_to(user)
    if connection.in_atomic_block:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except (IncomingDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
