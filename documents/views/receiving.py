"""The clerk's receiving pages (desktop): upload scans and files, see the drafts waiting to be registered with
their digitizing progress updating live (htmx polls a fragment every 2 s while anything is running)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.models import Organization, OrganizationKind

from .. import permissions
from ..models import DocumentFile, FileRole, IncomingDocument, IncomingStatus, ProcessingState
from ..selectors import document_access_for, incoming_visible_to
from ..services.digitizing import MSG_DONE, find_duplicates, processing_message_display
from ..services.receiving import incoming_discard_draft, incoming_receive_files, incoming_redigitize

POLL_SECONDS = 2
ACCEPT = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.docx,.odt,application/pdf,image/jpeg,image/png,image/tiff"


def receivable_organizations(user) -> QuerySet[Organization]:
    """The organizations ``user`` may receive documents for, the commune committees first."""
    facts = document_access_for(user)
    queryset = Organization.objects.filter(is_external=False)
    if not facts.is_admin:
        queryset = queryset.filter(pk__in=facts.receiving_org_ids)
    ordered = sorted(queryset, key=lambda o: (o.kind != OrganizationKind.COMMUNE_COMMITTEE, o.name))
    return [o for o in ordered if permissions.can_receive(user, o)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReceiveForm(forms.Form):
    organization = forms.TypedChoiceField(label=gettext_lazy("Received by"), coerce=int)
    files = MultipleFileField(
        label=gettext_lazy("Files"),
        help_text=gettext_lazy("PDF, JPEG, PNG, TIFF, DOCX or ODT. You can choose or drop several files."),
    )
    together = forms.BooleanField(
        label=gettext_lazy("These files are the pages of one document"),
        required=False,
        help_text=gettext_lazy("Otherwise every file becomes a document of its own."),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {o.pk: o for o in organizations}
        self.fields["organization"].choices = [(o.pk, o.name) for o in organizations]
        self.fields["files"].widget.attrs.update({"accept": ACCEPT, "multiple": True, "data-dropzone-input": ""})
        if len(organizations) == 1:
            self.fields["organization"].widget = forms.HiddenInput()
        if organizations:
            self.initial.setdefault("organization", organizations[0].pk)

    def clean_organization(self):
        organization = self.organizations.get(self.cleaned_data["organization"])
        if organization is None:
            raise ValidationError(_("Choose an organization from the list."))
        return organization


def _drafts_for(user, organizations) -> QuerySet[IncomingDocument]:
    thumbnails = DocumentFile.objects.filter(role=FileRole.THUMBNAIL).select_related("stored_file")
    originals = DocumentFile.objects.filter(role=FileRole.ORIGINAL).select_related("stored_file")
    return (
        incoming_visible_to(user)
        .filter(status=IncomingStatus.DRAFT, organization__in=[o.pk for o in organizations])
        .select_related("organization", "duplicate_of")
        .prefetch_related(
            Prefetch("files", queryset=originals, to_attr="originals"),
            Prefetch("files", queryset=thumbnails, to_attr="thumbnails"),
        )
        .order_by("-created_at", "-pk")
    )


class DraftRow:
    """What the drafts table shows for one draft."""

    def __init__(self, document: IncomingDocument, user):
        self.document = document
        self.originals = document.originals
        self.thumbnail = document.thumbnails[0] if document.thumbnails else None
        self.message = processing_message_display(document.processing_message)
        self.running = document.processing_state in (ProcessingState.PENDING, ProcessingState.RUNNING)
        self.failed = document.processing_state == ProcessingState.FAILED
        done = not self.running and not self.failed
        self.note = self.message if done and document.processing_message not in ("", MSG_DONE) else ""
        duplicate = document.duplicate_of
        self.duplicate = duplicate if duplicate is not None and permissions.can_view_incoming(user, duplicate) else None
        self.duplicate_hidden = duplicate is not None and self.duplicate is None


def _rows(request: HttpRequest, organizations) -> list[DraftRow]:
    return [DraftRow(document, request.user) for document in _drafts_for(request.user, organizations)]


def _context(request: HttpRequest, organizations, **extra) -> dict:
    rows = _rows(request, organizations)
    return {
        "rows": rows,
        "polling": any(row.running for row in rows),
        "poll_seconds": POLL_SECONDS,
        **extra,
    }


def _organizations_or_404(request: HttpRequest) -> list[Organization]:
    organizations = receivable_organizations(request.user)
    if not organizations:
        raise Http404
    return organizations


@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest) -> HttpResponse:
    """Upload one or many files; each becomes a draft (or one draft with ``together``)."""
    organizations = _organizations_or_404(request)
    if request.method == "POST":
        form = ReceiveForm(request.POST, request.FILES, organizations=organizations)
        if form.is_valid():
            try:
                drafts = incoming_receive_files(
                    actor=request.user,
                    organization=form.cleaned_data["organization"],
                    files=form.cleaned_data["files"],
                    together=form.cleaned_data["together"],
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d document received. It is being digitized; register it when you are ready.",
                        "%(count)d documents received. They are being digitized; register them when you are ready.",
                        len(drafts),
                    )
                    % {"count": len(drafts)},
                )
                duplicates = [d for d in drafts if d.duplicate_of_id]
                if duplicates:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)d of them may be a duplicate of a document received before: check it "
                            "before registering.",
                            "%(count)d of them may be duplicates of documents received before: check them "
                            "before registering.",
                            len(duplicates),
                        )
                        % {"count": len(duplicates)},
                    )
                return redirect("documents:drafts")
        status = 400
    else:
        form = ReceiveForm(organizations=organizations)
        status = 200
    return render(
        request,
        "documents/receiving/receive.html",
        _context(request, organizations, form=form, max_bytes=_max_bytes()),
        status=status,
    )


def _max_bytes() -> int:
    from partyhub.files import upload_max_bytes

    return upload_max_bytes()


@require_GET
def drafts(request: HttpRequest) -> HttpResponse:
    """The drafts waiting to be registered, with their digitizing progress."""
    organizations = _organizations_or_404(request)
    return render(request, "documents/receiving/drafts.html", _context(request, organizations))


@require_GET
def digitizing_progress(request: HttpRequest) -> HttpResponse:
    """The drafts table alone (htmx polls it every 2 s while anything is being digitized)."""
    organizations = _organizations_or_404(request)
    return render(request, "documents/receiving/_drafts_table.html", _context(request, organizations))


def _draft_or_404(request: HttpRequest, pk: int) -> IncomingDocument:
    document = incoming_visible_to(request.user).filter(pk=pk, status=IncomingStatus.DRAFT).first()
    if document is None or not permissions.can_receive(request.user, document.organization):
        raise Http404
    return document


@require_POST
def redigitize(request: HttpRequest, pk: int) -> HttpResponse:
    document = _draft_or_404(request, pk)
    try:
        incoming_redigitize(actor=request.user, document=document)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Digitizing starts again."))
    return redirect("documents:drafts")


@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    document = _draft_or_404(request, pk)
    try:
        incoming_discard_draft(actor=request.user, document=document)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The draft was discarded."))
    return redirect("documents:drafts")


def duplicates_of(user, document: IncomingDocument) -> list[IncomingDocument]:
    """The possible duplicates of ``document`` that ``user`` may see (for the registration form)."""
    return [d for d in find_duplicates(document) if permissions.can_view_incoming(user, d)]
