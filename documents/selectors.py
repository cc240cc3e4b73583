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


# =====================================================================================================
# Outgoing documents
# =====================================================================================================
#
# The rule (issue 5), on the same facts as incoming documents (``document_access_for``) plus handlers:
#
# * the office — clerks, leaders and handlers of the issuing organization's commune (its committee or one of
#   its bodies) — sees the organization's outgoing documents, whatever their state;
# * the drafter, the designated reviewer and the signer see the documents they are named on;
# * a cell secretary sees (drafts, issues) the outgoing documents of their cell;
# * admins see every document;
# * classified documents only with a clearance for their level (admins too).
#
# Recipients see an issued document through their incoming copy and the library, never through this selector.
# A document a user may not see answers 404.

_OUTGOING_CACHE_ATTR = "_partyhub_outgoing_access"


@dataclass
class OutgoingAccess:
    """What one user may reach among outgoing documents today; cached on the user object."""

    authenticated: bool = False
    is_admin: bool = False
    #: Organizations whose outgoing documents the user sees and may draft (office: clerk, leader, handler of
    #: the commune tree; a cell secretary's cell).
    office_org_ids: frozenset[int] = frozenset()
    #: Organizations whose signed documents the user may number and issue (clerks of the commune tree; a cell
    #: secretary for their cell).
    issuing_org_ids: frozenset[int] = frozenset()
    #: Classification levels the user is cleared for today.
    cleared_levels: frozenset[str] = frozenset()


def outgoing_access_for(user) -> OutgoingAccess:
    """The facts of :class:`OutgoingAccess` for ``user``: those of :func:`document_access_for` plus the trees
    of the user's handler positions (at most one more tree walk), cached on the user object."""
    facts = document_access_for(user)
    if not facts.authenticated:
        return OutgoingAccess()
    cached = getattr(user, _OUTGOING_CACHE_ATTR, None)
    if cached is not None:
        return cached
    handler_roots = {_commune_root(p) for p in access_for(user).positions if Role.HANDLER in p.roles}
    handler_tree = descendant_ids(handler_roots) if handler_roots else set()
    result = OutgoingAccess(
        authenticated=True,
        is_admin=facts.is_admin,
        office_org_ids=frozenset(facts.office_org_ids | facts.cell_org_ids | handler_tree),
        issuing_org_ids=facts.receiving_org_ids,
        cleared_levels=facts.cleared_levels,
    )
    setattr(user, _OUTGOING_CACHE_ATTR, result)
    return result


def forget_outgoing_access(user) -> None:
    """Drop the cached outgoing (and incoming) access of ``user``."""
    forget_document_access(user)
    if user is not None and hasattr(user, _OUTGOING_CACHE_ATTR):
        delattr(user, _OUTGOING_CACHE_ATTR)


def outgoing_visible_q(user) -> Q | None:
    """The access rule as a ``Q`` over :class:`~documents.models.OutgoingDocument` (``None`` = nothing)."""
    facts = outgoing_access_for(user)
    if not facts.authenticated:
        return None
    if facts.is_admin:
        reach = Q()
    else:
        reach = Q(drafted_by_id=user.pk) | Q(reviewer_id=user.pk) | Q(signer_id=user.pk)
        if facts.office_org_ids:
            reach |= Q(organization_id__in=sorted(facts.office_org_ids))
    classified = Q(confidentiality=Confidentiality.NORMAL)
    if facts.cleared_levels:
        classified |= Q(confidentiality__in=sorted(facts.cleared_levels))
    return reach & classified


def outgoing_visible_to(user):
    """Every outgoing document ``user`` may see (see the heading above for the rule)."""
    from .models import OutgoingDocument

    q = outgoing_visible_q(user)
    if q is None:
        return OutgoingDocument.objects.none()
    return OutgoingDocument.objects.filter(q)


def get_outgoing_or_404(user, pk):
    """The outgoing document ``pk`` if ``user`` may see it, else :class:`~django.http.Http404`."""
    from .models import OutgoingDocument

    try:
        return outgoing_visible_to(user).select_related("organization", "document_type").get(pk=pk)
    except (OutgoingDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def outgoing_for_update(user, pk):
    """The outgoing document ``pk`` locked for update (``SELECT … FOR UPDATE``, inside ``transaction.atomic``)
    if ``user`` may see it, else :class:`~django.http.Http404`. Whether the user may *change* it is a question
    for ``documents.permissions``."""
    from .models import OutgoingDocument

    qs = outgoing_visible_to(user)
    if connection.in_atomic_block:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.select_related("organization", "document_type").get(pk=pk)
    except (OutgoingDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


#: The work queues of outgoing documents: who acts next.
OUTGOING_QUEUES = ("review", "sign", "issue", "returned")


def outgoing_queue_q(user, queue: str) -> Q | None:
    """Documents waiting for ``user`` in ``queue`` — "review" (submitted, the user is the reviewer, or the
    signer when none is named), "sign" (approved, the user signs), "issue" (signed, the user is a clerk of the
    issuing organization), "returned" (the user's drafts returned with comments). ``None``: nothing."""
    facts = outgoing_access_for(user)
    if not facts.authenticated:
        return None
    if queue == "review":
        return Q(status="submitted") & (Q(reviewer_id=user.pk) | Q(reviewer__isnull=True, signer_id=user.pk))
    if queue == "sign":
        return Q(status="approved", signer_id=user.pk)
    if queue == "issue":
        if not facts.issuing_org_ids:
            return None
        return Q(status="signed", organization_id__in=sorted(facts.issuing_org_ids))
    if queue == "returned":
        return Q(status="returned", drafted_by_id=user.pk)
    raise ValueError(f"Unknown queue {queue!r}")


def outgoing_waiting_for(user):
    """Every outgoing document waiting for ``user`` to act (any queue), visible to them."""
    combined = None
    for queue in OUTGOING_QUEUES:
        q = outgoing_queue_q(user, queue)
        if q is not None:
            combined = q if combined is None else combined | q
    if combined is None:
        from .models import OutgoingDocument

        return OutgoingDocument.objects.none()
    return outgoing_visible_to(user).filter(combined)
