"""Work queues of incoming documents (reads that depend on who is asking) and the people a directive may name.

Every queue starts from ``documents.selectors.incoming_visible_to`` so a queue never shows what its reader may
not see. Each queue is one query whatever its length (the roles and access facts are cached per user).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from members.models import Organization, OrganizationKind, Position
from members.selectors import current_positions_q, descendant_ids

from .models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Clearance,
    Directive,
    IncomingDocument,
    IncomingStatus,
)
from .selectors import LEVEL_ORDER, document_access_for, incoming_visible_to

#: How many rows one queue section shows at most (the list page links to search for the rest).
QUEUE_LIMIT = 50
#: "Recently registered" for clerks: this many days back.
RECENT_DAYS = 14


def reminder_days() -> int:
    """Deadlines due within this many days count as "due soon" (``PARTYHUB_DEADLINE_REMINDER_DAYS``)."""
    return max(0, settings.PARTYHUB_DEADLINE_REMINDER_DAYS)


def _with_directive(qs: QuerySet[IncomingDocument]) -> QuerySet[IncomingDocument]:
    return qs.select_related("document_type", "organization").prefetch_related(
        Prefetch(
            "directives",
            queryset=Directive.objects.filter(superseded_at__isnull=True).prefetch_related(
                Prefetch("assignments", queryset=Assignment.objects.select_related("user"))
            ),
            to_attr="current_directives",
        )
    )


@dataclass
class AssignedItem:
    """One document on a handler's queue, with the reader's own assignment."""

    document: IncomingDocument
    assignment: Assignment
    deadline: datetime.date | None
    overdue: bool = False
    due_soon: bool = False


@dataclass
class Queue:
    """What ``documents:index`` shows one user. Empty lists for sections that are not the user's business;
    ``None`` for sections the user has no role for."""

    overdue: list[AssignedItem] = field(default_factory=list)
    due_soon: list[AssignedItem] = field(default_factory=list)
    assigned_other: list[AssignedItem] = field(default_factory=list)
    for_information: list[AssignedItem] = field(default_factory=list)
    waiting_directive: list[IncomingDocument] | None = None
    overdue_organization: list[IncomingDocument] | None = None
    drafts: list[IncomingDocument] | None = None
    recently_registered: list[IncomingDocument] | None = None

    @property
    def has_assigned(self) -> bool:
        return bool(self.overdue or self.due_soon or self.assigned_other or self.for_information)


def assignments_of(user, *, today: datetime.date | None = None) -> list[AssignedItem]:
    """The user's assignments in current directives of documents being handled (one query)."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=reminder_days())
    visible = incoming_visible_to(user).filter(status=IncomingStatus.IN_PROGRESS)
    rows = (
        Assignment.objects.filter(
            user_id=user.pk,
            directive__superseded_at__isnull=True,
            directive__document__in=visible,
        )
        .select_related("directive", "directive__document", "directive__document__document_type")
        .order_by("directive__deadline", "-directive__document__urgency", "directive__document_id")
    )
    items = []
    for assignment in rows:
        deadline = assignment.directive.deadline
        open_part = assignment.role == AssignmentRole.LEAD or assignment.status != AssignmentStatus.DONE
        items.append(
            AssignedItem(
                document=assignment.directive.document,
                assignment=assignment,
                deadline=deadline,
                overdue=bool(deadline and deadline < today and open_part),
                due_soon=bool(deadline and today <= deadline <= soon and open_part),
            )
        )
    return items


def queue_for(user, *, today: datetime.date | None = None) -> Queue:
    """The queue sections of ``documents:index`` for ``user`` (a fixed number of queries)."""
    today = today or timezone.localdate()
    facts = document_access_for(user)
    queue = Queue()
    for item in assignments_of(user, today=today):
        if item.assignment.role == AssignmentRole.INFORM:
            queue.for_information.append(item)
        elif item.overdue:
            queue.overdue.append(item)
        elif item.due_soon:
            queue.due_soon.append(item)
        else:
            queue.assigned_other.append(item)

    visible = incoming_visible_to(user)
    if facts.is_admin or facts.directing_org_ids:
        directing = visible if facts.is_admin else visible.filter(organization_id__in=sorted(facts.directing_org_ids))
        queue.waiting_directive = list(
            _with_directive(directing.filter(status=IncomingStatus.REGISTERED)).order_by(
                "-urgency", "registered_at", "id"
            )[:QUEUE_LIMIT]
        )
        queue.overdue_organization = list(
            _with_directive(
                directing.filter(status=IncomingStatus.IN_PROGRESS, deadline__lt=today).order_by("deadline", "id")
            )[:QUEUE_LIMIT]
        )
    if facts.is_admin or facts.receiving_org_ids:
        receiving = visible if facts.is_admin else visible.filter(organization_id__in=sorted(facts.receiving_org_ids))
        queue.drafts = list(
            receiving.filter(status=IncomingStatus.DRAFT)
            .select_related("document_type", "organization")
            .order_by("-urgency", "created_at", "id")[:QUEUE_LIMIT]
        )
        since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
        queue.recently_registered = list(
            receiving.filter(registered_at__gte=since)
            .exclude(status__in=[IncomingStatus.DRAFT, IncomingStatus.VOID])
            .select_related("document_type", "organization")
            .order_by("-registered_at", "-id")[:QUEUE_LIMIT]
        )
    return queue


# --- people a directive may name -------------------------------------------------------------------------------


def _commune_root(organization: Organization) -> Organization:
    """The commune committee above ``organization`` (itself if it is one); the organization itself when it
    belongs to no commune."""
    node = organization
    seen = set()
    while node is not None and node.pk not in seen:
        if node.kind == OrganizationKind.COMMUNE_COMMITTEE:
            return node
        seen.add(node.pk)
        node = node.parent
    return organization


def handling_candidates(document: IncomingDocument) -> QuerySet:
    """Active users who may be named in a directive on ``document``: holders of a current position in the
    receiving commune's tree, or members of the receiving organization — and, for a classified document, only
    those cleared for its level (they must be able to see it)."""
    User = get_user_model()
    org_ids = descendant_ids([_commune_root(document.organization).pk])
    positions = Position.objects.filter(
        current_positions_q(), member__user_id=OuterRef("pk"), organization_id__in=sorted(org_ids)
    )
    qs = User.objects.filter(is_active=True).filter(
        Q(Exists(positions)) | Q(member__organization_id=document.organization_id)
    )
    if document.confidentiality:
        today = timezone.localdate()
        levels = (
            LEVEL_ORDER[LEVEL_ORDER.index(document.confidentiality) :]
            if document.confidentiality in LEVEL_ORDER
            else ()
        )
        cleared = Clearance.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            user_id=OuterRef("pk"),
            valid_from__lte=today,
            level__in=list(levels),
        )
        qs = qs.filter(Exists(cleared))
    return qs.order_by("full_name", "username")
