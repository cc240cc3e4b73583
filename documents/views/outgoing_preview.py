"""The live preview of an outgoing document in the official layout (issue 5).

* ``POST outgoing/preview/`` (``outgoing_preview_form``, htmx): the draft form's fields of a NEW document →
  its first pages as images (a fragment). Needs the right to draft for the organization posted.
* ``POST outgoing/<pk>/preview/`` (``outgoing_preview``, htmx): the same over a saved draft — the posted
  fields laid over the document's (recipients too, when posted). Needs the right to edit the draft.
* ``GET outgoing/<pk>/preview/`` (``outgoing_preview``): the PDF of the saved document rendered now (number
  and date as blanks until it is numbered), ``Cache-Control: no-store``. Needs the right to see it (404
  otherwise). The stored files (final, signed, issued) are served by the one file path, ``files:download``.

Nothing is stored. Documents that keep metadata only (classified, see ``documents.permissions.files_allowed``)
and uploaded documents have no preview: the answer says why.

Posted fields: the draft's field names — ``organization`` (id, new documents only), ``document_type`` (id),
``summary``, ``body``, ``confidentiality``, ``urgency``, ``signer`` (id), ``signature_form``, ``signer_title``,
``signer_name``, ``collective_name``, ``source`` (an uploaded file has no layout preview) — and recipients
either as a formset (``recipients-N-name``, ``recipients-N-organization``, ``recipients-N-in_block``,
``recipients-N-DELETE``; the form of ``documents.forms_outgoing``) or as ``recipients`` (one name per line, or
repeated).
"""

from __future__ import annotations

import base64
import re
from io import BytesIO

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from members.models import Organization
from partyhub import audit
from partyhub.files import INLINE_CSP
from partyhub.pdf import PdfRenderError

from ..models import Confidentiality, DocumentType, OutgoingSource, SignatureForm, Urgency
from ..outgoing_render import render_outgoing_pdf
from ..permissions import can_draft, can_edit_outgoing, can_view_outgoing, cleared_for, files_allowed
from ..selectors import get_outgoing_or_404

FRAGMENT_TEMPLATE = "documents/outgoing/_render_preview.html"
#: Pages shown as images in the live preview, and their resolution (pixels per inch).
PREVIEW_PAGES = 3
PREVIEW_DPI = 110
_TEXT_FIELDS = ("summary", "body", "signer_title", "signer_name", "collective_name")
_FORMSET_KEY = re.compile(r"^recipients-(\d+)-(name|organization|in_block|DELETE)$")
_TRUE = ("1", "true", "on", "yes")


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _posted_recipients(post) -> list[str] | None:
    """Names for "Nơi nhận:" from a formset or a plain list; ``None`` when the form posted none."""
    rows: dict[int, dict] = {}
    for key in post:
        match = _FORMSET_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key, "")
    if rows:
        org_ids = {_int(row.get("organization")) for row in rows.values()} - {None}
        names = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "name")) if org_ids else {}
        # A checkbox posts nothing when unchecked: once the formset has the column, a missing value is "no".
        has_in_block = any("in_block" in row for row in rows.values())
        result = []
        for _index, row in sorted(rows.items()):
            if str(row.get("DELETE", "")).lower() in _TRUE:
                continue
            if has_in_block and str(row.get("in_block", "")).lower() not in _TRUE:
                continue
            name = " ".join(str(row.get("name", "")).split()) or names.get(_int(row.get("organization")), "")
            if name:
                result.append(name)
        return result
    if "recipients" in post:
        lines = []
        for value in post.getlist("recipients"):
            lines.extend(line.strip() for line in str(value).splitlines())
        return [line for line in lines if line]
    return None


def _draft_fields(post, organization) -> dict:
    """The posted fields as objects, each only when posted (unknown ids are ignored: it is a preview)."""
    fields: dict = {}
    for name in _TEXT_FIELDS:
        if name in post:
            fields[name] = post.get(name, "")
    if "document_type" in post:
        type_id = _int(post.get("document_type"))
        fields["document_type"] = DocumentType.objects.filter(pk=type_id).first() if type_id else None
    if "signature_form" in post and post.get("signature_form") in SignatureForm.values:
        fields["signature_form"] = post.get("signature_form")
    if "confidentiality" in post:
        level = post.get("confidentiality", "")
        fields["confidentiality"] = level if level in Confidentiality.values else ""
    if "urgency" in post:
        urgency = post.get("urgency", "")
        fields["urgency"] = urgency if urgency in Urgency.values else ""
    if "signer" in post:
        signer_id = _int(post.get("signer"))
        fields["signer"] = get_user_model().objects.filter(pk=signer_id, is_active=True).first() if signer_id else None
    recipients = _posted_recipients(post)
    if recipients is not None:
        fields["recipients"] = recipients
    fields["organization"] = organization
    return fields


def page_images(pdf: bytes, *, pages: int = PREVIEW_PAGES, dpi: int = PREVIEW_DPI) -> tuple[list[str], int]:
    """The first ``pages`` pages as PNG data URLs, and the page count."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for index in range(min(pages, len(document))):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)  # black text: a third of the bytes
            buffer = BytesIO()
            bitmap.to_pil().save(buffer, format="PNG", compress_level=6)
            images.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
            page.close()
        return images, len(document)
    finally:
        document.close()


def _fragment(request, *, images=None, page_count=0, message=None, status=200):
    context = {"images": images or [], "page_count": page_count, "more_pages": max(page_count - len(images or []), 0)}
    context["message"] = message
    response = render(request, FRAGMENT_TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _refusal(document_or_fields) -> str | None:
    """Why there is no preview (metadata-only level, uploaded file), or ``None``."""
    level = document_or_fields.get("confidentiality", "")
    if level and not files_allowed(level):
        return _("Documents of this confidentiality level are kept as metadata only: there is no preview.")
    if document_or_fields.get("source") == OutgoingSource.UPLOADED:
        return _("This document was uploaded as a finished file: open its file to read it.")
    return None


def _preview_fragment(request, document, fields: dict, *, source: str = ""):
    level = fields.get("confidentiality", getattr(document, "confidentiality", "") if document else "")
    if level and not cleared_for(request.user, level):
        raise Http404
    reason = _refusal({"confidentiality": level, "source": source})
    if reason:
        return _fragment(request, message=reason)
    try:
        pdf = render_outgoing_pdf(document, draft_fields=fields)
    except PdfRenderError:
        return _fragment(request, message=_("The preview could not be made. Try again in a moment."), status=503)
    images, count = page_images(pdf)
    return _fragment(request, images=images, page_count=count)


@require_POST
def outgoing_preview_form(request):
    """The live preview of a new draft's form."""
    organization = Organization.objects.filter(pk=_int(request.POST.get("organization"))).first()
    if organization is None:
        return _fragment(request, message=_("Choose the issuing organization to see the preview."))
    if not can_draft(request.user, organization):
        raise Http404
    return _preview_fragment(
        request, None, _draft_fields(request.POST, organization), source=request.POST.get("source", "")
    )


@require_http_methods(["GET", "HEAD", "POST"])
def outgoing_preview(request, pk):
    """GET: the saved document as a PDF rendered now. POST (htmx): the draft form laid over it, as images."""
    document = get_outgoing_or_404(request.user, pk)
    if not can_view_outgoing(request.user, document):
        raise Http404
    if request.method == "POST":
        if not can_edit_outgoing(request.user, document):
            raise Http404
        fields = _draft_fields(request.POST, document.organization)
        if "confidentiality" not in fields:
            fields["confidentiality"] = document.confidentiality
        return _preview_fragment(request, document, fields, source=request.POST.get("source", document.source))

    reason = _refusal({"confidentiality": document.confidentiality, "source": document.source})
    if reason:
        response = HttpResponse(str(reason), content_type="text/plain; charset=utf-8", status=409)
        response["Cache-Control"] = "no-store"
        return response
    pdf = render_outgoing_pdf(document, number=document.number) if document.number else render_outgoing_pdf(document)
    audit.record(action="view", obj=document, actor=request.user, changes={"preview": True})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    return response
