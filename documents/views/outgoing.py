"""Pages of outgoing documents (issue 5): the list with its queues, the draft form (new and edit) with the live
preview, the document page with its actions, versions and history, the transitions, and the outgoing register.

Thin views over ``documents.services.outgoing``: every document is reached through the selector (a document
the user may not see is a 404, like a missing one); buttons are shown only to whoever the predicates of
``documents.permissions`` allow; a refusal of the service (wrong state, wrong person, bad input) comes back
as its translated message.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.models import Organization
from partyhub import audit
from partyhub.text import fold

from .. import permissions
from .. import registers as register_book
from ..forms_outgoing import (
    CommentForm,
    OutgoingDraftForm,
    OutgoingFilterForm,
    ReasonForm,
    RecipientFormSet,
    ReturnForm,
    draftable_organizations,
    recipient_initial,
)
from ..models import (
    AppliedSignature,
    OutgoingDocument,
    OutgoingRecipient,
    OutgoingSource,
    OutgoingStatus,
    OutgoingVersion,
)
from ..selectors import get_outgoing_or_404, outgoing_queue_q, outgoing_visible_to, outgoing_waiting_for
from ..services import outgoing as services
from .registers import register_download

#: Rows per page of the list.
PAGE_SIZE = 25


def _url_or_empty(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _detail(document) -> HttpResponse:
    return redirect("documents:outgoing_detail", pk=document.pk)


# --- the list ----------------------------------------------------------------------------------------------------


def _list_queryset(user, data: dict):
    queue = data.get("queue") or ""
    if queue == "mine":
        qs = outgoing_waiting_for(user)
    elif queue in ("review", "sign", "issue", "returned"):
        q = outgoing_queue_q(user, queue)
        qs = outgoing_visible_to(user).filter(q) if q is not None else OutgoingDocument.objects.none()
    elif queue == "drafted":
        qs = outgoing_visible_to(user).filter(drafted_by_id=user.pk)
    else:
        qs = outgoing_visible_to(user)
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("document_type") is not None:
        qs = qs.filter(document_type=data["document_type"])
    phrase = fold(data.get("q") or "")
    if phrase:
        qs = qs.filter(search_text__contains=phrase)  # number, type, summary, signer, recipients, body text
    return qs


@require_safe
def outgoing_list(request):
    """Outgoing documents the user may see, newest first, with the queues (what waits for me) and filters."""
    form = OutgoingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = (
        _list_queryset(request.user, data)
        .select_related("organization", "document_type", "drafted_by", "signer")
        .order_by("-updated_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "documents/outgoing/list.html",
        {
            "form": form,
            "page": page,
            "documents": page.object_list,
            "query": query.urlencode(),
            "may_draft": draftable_organizations(request.user).exists(),
            "queue": data.get("queue") or "",
        },
    )


# --- drafting ----------------------------------------------------------------------------------------------------


def _add_service_errors(form: forms.Form, formset, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if field == "recipients":
            formset._non_form_errors = formset.error_class([m for e in errors for m in e.messages])
            form.add_error(None, errors)
        elif field in form.fields:
            form.add_error(field, errors)
        else:
            form.add_error(None, errors)


def _preview_urls(document=None) -> dict:
    if document is None:
        return {"preview_url": _url_or_empty("documents:outgoing_preview_form")}
    return {"preview_url": _url_or_empty("documents:outgoing_preview", document.pk)}


def _form_page(request, *, form, formset, document=None, status=200):
    context = {
        "form": form,
        "formset": formset,
        "document": document,
        "uploaded_version": None,
        **_preview_urls(document),
    }
    if document is not None:
        context["uploaded_version"] = (
            document.versions.filter(uploaded_file__isnull=False).select_related("uploaded_file").first()
        )
    return render(request, "documents/outgoing/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def outgoing_new(request):
    """A new draft: structured fields with the live preview, or an uploaded finished PDF/DOCX."""
    if not draftable_organizations(request.user).exists():
        raise Http404
    if request.method == "POST":
        form = OutgoingDraftForm(request.POST, request.FILES, user=request.user)
        formset = RecipientFormSet(request.POST, prefix="recipients")
        if form.is_valid() and formset.is_valid():
            try:
                document = services.outgoing_create(
                    actor=request.user,
                    organization=form.cleaned_data["organization"],
                    upload=form.cleaned_data.get("upload"),
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data.get("note", ""),
                    recipients=formset.rows(),
                    **form.values(),
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                _add_service_errors(form, formset, exc)
            else:
                messages.success(request, gettext("The draft was saved (version 1)."))
                return _detail(document)
        return _form_page(request, form=form, formset=formset, status=200)
    initial = {}
    organization = None
    wanted = request.GET.get("organization")
    if wanted and str(wanted).isdigit():
        organization = draftable_organizations(request.user).filter(pk=int(wanted)).first()
        if organization is not None:
            initial["organization"] = organization.pk
    form = OutgoingDraftForm(initial=initial, user=request.user, organization=organization)
    formset = RecipientFormSet(prefix="recipients")
    return _form_page(request, form=form, formset=formset)


@require_http_methods(["GET", "POST"])
def outgoing_edit(request, pk: int):
    """Change a draft (its drafter, while it is a draft or was returned); every save is a new version."""
    document = get_outgoing_or_404(request.user, pk)
    if not permissions.can_edit_outgoing(request.user, document):
        if permissions.can_view_outgoing(request.user, document):
            messages.info(request, gettext("This document cannot be changed now."))
            return _detail(document)
        raise Http404
    if request.method == "POST":
        form = OutgoingDraftForm(request.POST, request.FILES, user=request.user, document=document)
        formset = RecipientFormSet(request.POST, prefix="recipients")
        if form.is_valid() and formset.is_valid():
            try:
                document = services.outgoing_update(
                    actor=request.user,
                    document=document,
                    upload=form.cleaned_data.get("upload"),
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data.get("note", ""),
                    recipients=formset.rows(),
                    **form.values(),
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                _add_service_errors(form, formset, exc)
            else:
                version = document.versions.order_by("-number").first()
                messages.success(
                    request, gettext("The draft was saved (version %(number)d).") % {"number": version.number}
                )
                return _detail(document)
        return _form_page(request, form=form, formset=formset, document=document)
    form = OutgoingDraftForm(initial=OutgoingDraftForm.initial_from(document), user=request.user, document=document)
    formset = RecipientFormSet(initial=recipient_initial(document), prefix="recipients")
    return _form_page(request, form=form, formset=formset, document=document)


# --- the document page -----------------------------------------------------------------------------------------


def _document_file(document: OutgoingDocument, versions: list[OutgoingVersion]):
    """The file the page shows: the issued one, else the signer's signed copy, else the final PDF, else the
    current version's uploaded PDF or its rendition. ``None`` for a composed draft (see the preview)."""
    for stored in (document.issued_file, document.signed_file, document.final_file):
        if stored is not None:
            return stored
    if versions and document.source == OutgoingSource.UPLOADED:
        current = versions[0]
        if current.uploaded_file is not None and current.uploaded_file.content_type == "application/pdf":
            return current.uploaded_file
        return current.rendition
    return None


def detail_context(request, document: OutgoingDocument) -> dict:
    user = request.user
    versions = list(document.versions.select_related("created_by", "uploaded_file", "rendition").order_by("-number"))
    events = list(document.events.select_related("actor").order_by("created_at", "id"))
    recipients = list(document.recipients.select_related("organization", "delivered").order_by("order", "id"))
    signatures = list(
        AppliedSignature.objects.filter(document=document).select_related("signed_by").order_by("signed_at", "id")
    )
    corrections = [
        c for c in document.corrections.all().order_by("created_at") if permissions.can_view_outgoing(user, c)
    ]
    corrects_visible = document.corrects_id is not None and permissions.can_view_outgoing(user, document.corrects)
    files_allowed = permissions.files_allowed(document.confidentiality)
    shown_file = _document_file(document, versions) if files_allowed else None
    returned = next((e for e in reversed(events) if e.kind == "returned"), None)
    from ..outgoing_render import signature_block

    try:
        signature_lines = signature_block(document)["lines"] if document.signer_id else []
    except Exception:  # a page must not fail on a layout detail
        signature_lines = [line for line in (document.signer_title, document.signer_name) if line]
    return {
        "document": document,
        "versions": versions,
        "events": events,
        "recipients": recipients,
        "signatures": signatures,
        "corrections": corrections,
        "corrects_visible": corrects_visible,
        "files_allowed": files_allowed,
        "shown_file": shown_file,
        "last_return": returned if document.status == OutgoingStatus.RETURNED else None,
        "reviewer": document.reviewer or document.signer,
        "signature_lines": signature_lines,
        "preview_url": _url_or_empty("documents:outgoing_preview", document.pk)
        if files_allowed and document.source == OutgoingSource.COMPOSED and document.final_file_id is None
        else "",
        "may": {
            "edit": permissions.can_edit_outgoing(user, document),
            "submit": permissions.can_submit(user, document),
            "review": permissions.can_review(user, document),
            "sign": permissions.can_sign(user, document),
            "issue": permissions.can_issue(user, document),
            "void": permissions.can_void_outgoing(user, document),
            "recall": permissions.can_recall(user, document),
            "correct": permissions.can_correct(user, document),
        },
        "submit_form": CommentForm(prefix="submit"),
        "approve_form": CommentForm(prefix="approve"),
        "return_form": ReturnForm(prefix="return"),
        "void_form": ReasonForm(prefix="void"),
        "recall_form": ReasonForm(prefix="recall"),
        "distribution_panels": bool(_url_or_empty("documents:outgoing_deliver", document.pk)),
    }


@require_safe
def outgoing_detail(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    document = (
        OutgoingDocument.objects.select_related(
            "organization",
            "document_type",
            "drafted_by",
            "reviewer",
            "signer",
            "approved_by",
            "issued_by",
            "register",
            "final_file",
            "signed_file",
            "issued_file",
            "corrects",
        )
        .prefetch_related(Prefetch("recipients", queryset=OutgoingRecipient.objects.order_by("order", "id")))
        .get(pk=document.pk)
    )
    audit.record(action="view", obj=document, actor=request.user)
    return render(request, "documents/outgoing/detail.html", detail_context(request, document))


@require_safe
def outgoing_version(request, pk: int, number: int):
    """One saved version of a draft: its fields, and what changed since the version before it."""
    document = get_outgoing_or_404(request.user, pk)
    version = document.versions.select_related("created_by", "uploaded_file", "rendition").filter(number=number).first()
    if version is None:
        raise Http404
    previous = document.versions.filter(number__lt=number).order_by("-number").first()
    from django.contrib.auth import get_user_model

    people = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=[version.fields.get("signer"), version.fields.get("reviewer")])
    }
    return render(
        request,
        "documents/outgoing/version.html",
        {
            "document": document,
            "version": version,
            "previous": previous,
            "fields": version.fields,
            "signer": people.get(version.fields.get("signer")),
            "reviewer": people.get(version.fields.get("reviewer")),
            "changes": services.version_changes(previous, version),
            "files_allowed": permissions.files_allowed(document.confidentiality),
        },
    )


# --- transitions -------------------------------------------------------------------------------------------------


def _run(request, document, service, success, **kwargs):
    try:
        result = service(actor=request.user, document=document, **kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _detail(document)
    except Exception as exc:  # rendering or signing failed: nothing was written (one transaction)
        from partyhub.pdf import PdfRenderError

        if isinstance(exc, PdfRenderError):
            messages.error(request, gettext("The PDF could not be made. Try again in a moment."))
            return _detail(document)
        raise
    messages.success(request, success(result) if callable(success) else success)
    return _detail(result)


@require_POST
def outgoing_submit(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    form = CommentForm(request.POST, prefix="submit")
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    return _run(request, document, services.outgoing_submit, gettext("Submitted for review."), comment=comment)


@require_POST
def outgoing_return(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    form = ReturnForm(request.POST, prefix="return")
    comment = request.POST.get("return-comment", "") if not form.is_valid() else form.cleaned_data["comment"]
    return _run(request, document, services.outgoing_return, gettext("Returned to the drafter."), comment=comment)


@require_POST
def outgoing_approve(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    form = CommentForm(request.POST, prefix="approve")
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    return _run(
        request,
        document,
        services.outgoing_approve,
        gettext("Approved: the final PDF is ready for the signer."),
        comment=comment,
    )


@require_POST
def outgoing_sign(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    return _run(request, document, services.outgoing_sign, gettext("Signed: the clerk can now number and issue it."))


@require_POST
def outgoing_issue(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    return _run(
        request,
        document,
        services.outgoing_issue,
        lambda issued: gettext("Issued as %(number)s.") % {"number": issued.number_symbol},
    )


@require_POST
def outgoing_void(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    form = ReasonForm(request.POST, prefix="void")
    reason = form.cleaned_data["reason"] if form.is_valid() else request.POST.get("void-reason", "")
    return _run(request, document, services.outgoing_void, gettext("The document was voided."), reason=reason)


@require_POST
def outgoing_recall(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    form = ReasonForm(request.POST, prefix="recall")
    reason = form.cleaned_data["reason"] if form.is_valid() else request.POST.get("recall-reason", "")
    return _run(
        request,
        document,
        services.outgoing_recall,
        gettext("The document was recalled; its recipients are told."),
        reason=reason,
    )


@require_POST
def outgoing_correct(request, pk: int):
    document = get_outgoing_or_404(request.user, pk)
    try:
        correction = services.outgoing_correct(actor=request.user, document=document)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _detail(document)
    messages.success(request, gettext("A correcting draft was made: change it and submit it."))
    return redirect("documents:outgoing_edit", pk=correction.pk)


# --- the outgoing register -------------------------------------------------------------------------------------

#: The longest period one register extract may cover.
MAX_PERIOD_DAYS = 3 * 366


def _date_widget():
    return forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


class OutgoingRegisterForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    secret = forms.TypedChoiceField(
        label=_("Register"),
        choices=[("0", _("Ordinary register")), ("1", _("Secret register"))],
        coerce=lambda value: value == "1",
        initial="0",
        required=False,
    )
    date_from = forms.DateField(label=_("From"), widget=_date_widget())
    date_to = forms.DateField(label=_("To"), widget=_date_widget())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = register_book.organizations_with_outgoing_registers(user)
        if not register_book.outgoing_registers_visible_to(user).filter(is_secret=True).exists():
            self.fields["secret"].choices = [("0", _("Ordinary register"))]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end of the period is before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("date_to", _("Choose a period of at most three years."))
        return cleaned


def may_see_outgoing_register(user) -> bool:
    from ..selectors import outgoing_access_for

    facts = outgoing_access_for(user)
    return facts.is_admin or bool(facts.office_org_ids)


@require_safe
def outgoing_register(request):
    """The outgoing register of an organization for a period: on screen, as PDF (A4 landscape), as Excel."""
    if not may_see_outgoing_register(request.user):
        raise Http404
    today = timezone.localdate()
    data = request.GET if "organization" in request.GET else None
    organizations = register_book.organizations_with_outgoing_registers(request.user)
    initial = {"date_from": datetime.date(today.year, 1, 1), "date_to": today, "secret": "0"}
    if organizations.count() == 1:
        initial["organization"] = organizations.first()
    form = OutgoingRegisterForm(data, user=request.user, initial=initial)
    extract = None
    if data is not None and form.is_valid():
        register = (
            register_book.outgoing_registers_visible_to(request.user)
            .filter(organization=form.cleaned_data["organization"], is_secret=bool(form.cleaned_data["secret"]))
            .first()
        )
        if register is None:
            form.add_error(None, gettext("This organization has no such register yet."))
        else:
            extract = register_book.outgoing_register_extract(
                request.user,
                register=register,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
            response = register_download(
                request.GET.get("format", ""),
                extract,
                pdf=lambda: register_book.outgoing_register_pdf(request.user, extract),
                workbook=lambda: register_book.outgoing_register_workbook(request.user, extract),
                filename=register_book.outgoing_register_filename,
            )
            if response is not None:
                return response
    query = request.GET.copy()
    query.pop("format", None)
    query = query.urlencode() if extract is not None else ""
    base = reverse("documents:outgoing_register")
    return render(
        request,
        "documents/registers/outgoing.html",
        {
            "form": form,
            "extract": extract,
            "pdf_url": f"{base}?{query}&format=pdf" if query else "",
            "xlsx_url": f"{base}?{query}&format=xlsx" if query else "",
        },
    )
