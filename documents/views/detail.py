"""The page of one incoming document: metadata, the file viewer (pdf.js), the signature check, the directive
and its assignments with the handling forms, the processing history, and who viewed or downloaded it."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from partyhub import audit
from partyhub.models import AuditEntry, StoredFile

from ..models import DocumentFile, FileRole, IncomingDocument, SignatureCheck
from ..permissions import can_view_incoming, files_allowed
from ..selectors import document_access_for, incoming_visible_to
from .handling import document_overdue, history_context, panel_context

#: How many "viewed/downloaded" entries the page lists.
ACCESS_LOG_LIMIT = 100

#: Which file the viewer opens first: the searchable copy, then a PDF rendition, then the original.
VIEWER_PREFERENCE = (FileRole.SEARCHABLE, FileRole.RENDITION, FileRole.ORIGINAL)
IMAGE_TYPES = ("image/jpeg", "image/png")


def can_see_access_log(user, document: IncomingDocument) -> bool:
    """Who viewed or downloaded a document is shown to its clerks and leaders (and the secretary of the
    receiving cell, and admins) — not to handlers or people named for information."""
    facts = document_access_for(user)
    return facts.is_admin or document.organization_id in (facts.office_org_ids | facts.cell_org_ids)


def _viewer_file(files: list[DocumentFile]) -> DocumentFile | None:
    """The file the viewer shows: the first original's best PDF form, else the first image original."""
    originals = [f for f in files if f.role == FileRole.ORIGINAL]
    first = originals[0] if originals else None
    for role in VIEWER_PREFERENCE:
        for f in files:
            if f.role != role or f.stored_file.content_type != "application/pdf":
                continue
            if role == FileRole.ORIGINAL or first is None or f.derived_from_id in (None, first.pk):
                return f
    images = [f for f in originals if f.stored_file.content_type in IMAGE_TYPES]
    return images[0] if images else None


def access_log(document: IncomingDocument, files: list[DocumentFile]) -> list[AuditEntry]:
    """Views of the document and downloads of its files, newest first."""
    # Thumbnails are previews in lists (the drafts table), not a reading of the document.
    stored_ids = [str(f.stored_file_id) for f in files if f.role != FileRole.THUMBNAIL]
    q = Q(object_type=audit.object_label(IncomingDocument), object_id=str(document.pk))
    if stored_ids:
        q |= Q(object_type=audit.object_label(StoredFile), object_id__in=stored_ids)
    return list(
        AuditEntry.objects.filter(q, action__in=["view", "download"])
        .select_related("actor")
        .order_by("-id")[:ACCESS_LOG_LIMIT]
    )


def detail_context(request, document: IncomingDocument, *, bound=None) -> dict:
    files = list(document.files.select_related("stored_file", "derived_from").order_by("order", "id"))
    names = {str(f.stored_file_id): f.stored_file.original_name for f in files}
    checks = list(
        SignatureCheck.objects.filter(file__incoming=document)
        .select_related("file__stored_file")
        .order_by("file_id", "-checked_at", "-id")
    )
    latest_checks, seen = [], set()
    for check in checks:
        if check.file_id not in seen:
            seen.add(check.file_id)
            latest_checks.append(check)
    context = {
        "document": document,
        "files": [f for f in files if f.role != FileRole.THUMBNAIL],
        "files_allowed": files_allowed(document.confidentiality),
        "viewer_file": _viewer_file(files) if files_allowed(document.confidentiality) else None,
        "signature_checks": latest_checks,
        "show_access_log": can_see_access_log(request.user, document),
        "document_overdue": document_overdue(document),
        "duplicate_visible": bool(document.duplicate_of_id and can_view_incoming(request.user, document.duplicate_of)),
    }
    if context["show_access_log"]:
        log = access_log(document, files)
        for entry in log:
            entry.file_name = (
                names.get(entry.object_id, "") if entry.object_type != audit.object_label(IncomingDocument) else ""
            )
        context["access_log"] = log
    context.update(panel_context(request, document, bound=bound))
    context.update(history_context(document))
    return context


def render_detail(request, document: IncomingDocument, *, bound=None, status: int = 200):
    return render(request, "documents/detail.html", detail_context(request, document, bound=bound), status=status)


@require_safe
def detail(request, pk):
    """The document page. Every GET is recorded in the audit trail as a view."""
    try:
        document = (
            incoming_visible_to(request.user)
            .select_related("organization", "register", "document_type", "registered_by", "created_by", "duplicate_of")
            .get(pk=pk)
        )
    except IncomingDocument.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "GET":
        audit.record(action="view", obj=document, actor=request.user)
    return render_detail(request, document)
