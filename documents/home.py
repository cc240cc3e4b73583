"""Home page sections of incoming documents (registered in ``DocumentsConfig.ready``): documents to handle,
documents waiting for the reader's directive, and drafts waiting to be registered. Each reads through
``documents.queues`` (which starts from the access selector) and answers ``None`` when the section is not the
reader's business or has nothing in it (the home page then shows its general empty state)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partyhub.home import HomeItem, HomeSection

#: Rows per section on the home page.
HOME_LIMIT = 8


def _title(document) -> str:
    parts = []
    if document.number:
        parts.append(str(format_lazy(_("No. {number}"), number=document.number)))
    if document.number_symbol:
        parts.append(document.number_symbol)
    summary = (document.summary or "")[:90]
    if summary:
        parts.append(summary)
    return " · ".join(parts) or str(_("(no summary yet)"))


def _badge(document, *, overdue=False, deadline=None):
    if overdue and deadline:
        return format_lazy(_("Overdue since {date}"), date=deadline.strftime("%d/%m/%Y")), "overdue"
    if document.urgency:
        return document.get_urgency_display(), "urgent"
    if deadline:
        return format_lazy(_("Deadline {date}"), date=deadline.strftime("%d/%m/%Y")), ""
    return "", ""


def _detail(document, extra: str = "") -> str:
    bits = [extra] if extra else []
    if document.urgency:
        bits.append(str(document.get_urgency_display()))
    if document.sender:
        bits.append(document.sender)
    return " · ".join(str(b) for b in bits)


def incoming_to_handle(request) -> HomeSection | None:
    """Documents the reader leads or co-operates on (overdue first), for anybody named in a directive."""
    from .models import AssignmentRole
    from .queues import assignments_of

    items = [i for i in assignments_of(request.user) if i.assignment.role != AssignmentRole.INFORM]
    if not items:
        return None
    items.sort(key=lambda i: (not i.overdue, not i.due_soon, i.deadline is None, i.deadline or 0))
    rows = []
    for item in items[:HOME_LIMIT]:
        badge, tone = _badge(item.document, overdue=item.overdue, deadline=item.deadline)
        rows.append(
            HomeItem(
                title=_title(item.document),
                url=reverse("documents:detail", args=[item.document.pk]),
                detail=_detail(item.document, str(item.assignment.get_role_display())),
                badge=badge,
                tone=tone,
            )
        )
    return HomeSection(
        title=_("Documents to handle"),
        items=rows,
        empty_text=_("No documents waiting for you."),
        link_url=reverse("documents:index"),
        link_text=_("All my documents"),
    )


def incoming_to_direct(request) -> HomeSection | None:
    """Registered documents waiting for the reader's directive (leaders, cell secretaries)."""
    from .models import IncomingStatus
    from .selectors import document_access_for, incoming_visible_to

    facts = document_access_for(request.user)
    if not facts.directing_org_ids:
        return None
    rows = list(
        incoming_visible_to(request.user)
        .filter(status=IncomingStatus.REGISTERED, organization_id__in=sorted(facts.directing_org_ids))
        .order_by("-urgency", "registered_at", "id")[:HOME_LIMIT]
    )
    if not rows:
        return None  # nothing waiting: the home page's general empty state says so
    return HomeSection(
        title=_("Documents waiting for your directive"),
        items=[
            HomeItem(
                title=_title(d),
                url=reverse("documents:detail", args=[d.pk]),
                detail=_detail(d),
                badge=_badge(d)[0],
                tone=_badge(d)[1],
            )
            for d in rows
        ],
        empty_text=_("No document is waiting for your directive."),
        link_url=reverse("documents:index"),
        link_text=_("All incoming documents"),
    )


def incoming_to_register(request) -> HomeSection | None:
    """Received documents waiting to be registered (clerks, cell secretaries)."""
    from .models import IncomingStatus
    from .selectors import document_access_for, incoming_visible_to

    facts = document_access_for(request.user)
    if not facts.receiving_org_ids:
        return None
    rows = list(
        incoming_visible_to(request.user)
        .filter(status=IncomingStatus.DRAFT, organization_id__in=sorted(facts.receiving_org_ids))
        .order_by("-urgency", "created_at", "id")[:HOME_LIMIT]
    )
    if not rows:
        return None
    return HomeSection(
        title=_("Documents to register"),
        items=[
            HomeItem(
                title=_title(d),
                url=reverse("documents:detail", args=[d.pk]),
                detail=_detail(d, format_lazy(_("received {date}"), date=d.received_on.strftime("%d/%m/%Y"))),
                badge=_badge(d)[0],
                tone=_badge(d)[1],
            )
            for d in rows
        ],
        empty_text=_("No received document is waiting to be registered."),
        link_url=reverse("documents:index"),
        link_text=_("All incoming documents"),
    )


# --- outgoing documents (issue 5) ---------------------------------------------------------------------------


def outgoing_waiting(request) -> HomeSection | None:
    """Outgoing documents waiting for the reader: to review, to sign, to issue, or returned to them."""
    from members.selectors import access_for

    from .models import OutgoingStatus
    from .selectors import outgoing_waiting_for

    if not access_for(request.user).positions:
        # Reviewers and signers hold a position where the issuer's signers sit, issuers a clerk's or cell
        # secretary's position: an ordinary member has nothing waiting here (and pays no query for it).
        return None
    rows = list(
        outgoing_waiting_for(request.user)
        .select_related("document_type", "organization")
        .order_by("-urgency", "updated_at", "id")[:HOME_LIMIT]
    )
    if not rows:
        return None
    what = {
        OutgoingStatus.SUBMITTED: _("to review"),
        OutgoingStatus.APPROVED: _("to sign"),
        OutgoingStatus.SIGNED: _("to number and issue"),
        OutgoingStatus.RETURNED: _("returned to you"),
    }
    items = []
    for d in rows:
        if d.is_classified:
            title = str(
                format_lazy(
                    _("Classified {type} ({level})"), type=d.document_type.name, level=d.get_confidentiality_display()
                )
            )
        else:
            title = f"{d.document_type.name}: {d.summary[:90]}"
        items.append(
            HomeItem(
                title=title,
                url=reverse("documents:outgoing_detail", args=[d.pk]),
                detail=" · ".join(str(b) for b in (what.get(d.status, ""), d.organization.name) if b),
                badge=d.get_urgency_display() if d.urgency else "",
                tone="urgent" if d.urgency else "",
            )
        )
    return HomeSection(
        title=_("Outgoing documents waiting for you"),
        items=items,
        empty_text=_("No outgoing document is waiting for you."),
        link_url=reverse("documents:outgoing_list") + "?queue=mine",
        link_text=_("All outgoing documents"),
    )
