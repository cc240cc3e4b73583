"""The verification page (issue 5): is a signed PDF intact, who signed it and when, is the certificate trusted,
did anything change after signing — in plain words.

* ``documents:verify`` — anyone logged in uploads a PDF (checked by ``partyhub.files.validate_upload``; the
  bytes are read, verified and forgotten: nothing is stored);
* ``documents:verify_outgoing`` — the signed or issued PDF of an outgoing document the user may see
  (``documents.selectors.get_outgoing_or_404``: any other answers 404).

The verification itself is ``documents.signing.verify_pdf`` (built on ``documents.signatures``)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from partyhub.files import read_bytes, upload_max_bytes, validate_upload

from .. import signing
from ..permissions import can_view_outgoing, files_allowed
from ..selectors import get_outgoing_or_404

TEMPLATE = "documents/verify.html"


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file"),
        help_text=_("The file is only read to check its signatures: it is not kept."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload, kinds={"pdf"})
        return upload


def _context(request: HttpRequest, *, form, report, source: str = "", document=None, missing: str = "") -> dict:
    known = []
    if report is not None:
        for item in report.documents:
            known.append({"document": item, "visible": can_view_outgoing(request.user, item)})
    return {
        "form": form,
        "report": report,
        "source": source,
        "document": document,
        "known_documents": known,
        "missing": missing,
        "max_bytes": upload_max_bytes(),
    }


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a PDF and read the verdict."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    report, source = None, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        report = signing.verify_pdf(upload.read())
        source = upload.name
    return render(request, TEMPLATE, _context(request, form=form, report=report, source=source))


@require_safe
def verify_outgoing(request: HttpRequest, pk: int) -> HttpResponse:
    """The verdict on an outgoing document's latest signed PDF (issued, else signed by the signer)."""
    document = get_outgoing_or_404(request.user, pk)
    stored = document.issued_file or document.signed_file
    report, missing = None, ""
    if not files_allowed(document.confidentiality):
        missing = _("No file is kept for documents of this confidentiality level.")
    elif stored is None:
        missing = _("This document has no signed PDF yet.")
    else:
        report = signing.verify_pdf(read_bytes(stored))
    context = _context(
        request,
        form=VerifyForm(),
        report=report,
        source=stored.original_name if stored is not None and report is not None else "",
        document=document,
        missing=missing,
    )
    return render(request, TEMPLATE, context)
