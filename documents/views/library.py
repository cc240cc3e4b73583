"""Pages of the library of published texts: the members' library (search, filters, reading online, bookmarks),
one publication, the publish panel of an outgoing document, and the PUBLIC library (no login) which shows
publications to the public and nothing else. Every read starts from ``documents.library``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from members.models import Organization
from partyhub import audit

from .. import library
from ..models import Audience, OutgoingDocument, OutgoingStatus, Publication
from ..services import library as services

PER_PAGE = 20
PUBLISH_PANEL = "documents/outgoing/_publish_panel.html"


# --- forms --------------------------------------------------------------------------------------------------


class LibrarySearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    type = forms.TypedChoiceField(label=_("Type"), required=False, coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    bookmarks = forms.BooleanField(label=_("My bookmarks only"), required=False)

    def __init__(self, *args, user=None, public_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Words of the title or text, number…"), "autocomplete": "off", "enterkeyhint": "search"}
        )
        types = library.library_types(user, public_only=public_only)
        self.fields["type"].choices = [("", _("All types"))] + [(t.pk, t.name) for t in types]
        years = library.library_years(user, public_only=public_only)
        self.fields["year"].choices = [("", _("All years"))] + [(y, str(y)) for y in years]
        if public_only:
            del self.fields["bookmarks"]

    def criteria(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "document_type": data.get("type"),
            "year": data.get("year"),
            "bookmarked": bool(data.get("bookmarks")),
        }


class PublishForm(forms.Form):
    audience = forms.ChoiceField(label=_("Who may read it"), choices=Audience.choices)
    organization = forms.ModelChoiceField(
        label=_("Organization or cell"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Not needed for the public."),
    )
    title = forms.CharField(
        label=_("Title in the library"),
        required=False,
        max_length=services.TITLE_MAX,
        help_text=_("Empty: the document's summary."),
    )
    introduction = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, user=None, document=None, **kwargs):
        super().__init__(*args, **kwargs)
        ids = services.publishing_organization_ids(user)
        qs = Organization.objects.filter(active=True, is_external=False)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        self.fields["organization"].queryset = qs.order_by("parent_id", "order", "name")
        if document is not None and not self.is_bound:
            from members.selectors import COMMITTEE_BODY_KINDS

            home = document.organization
            if home.kind in COMMITTEE_BODY_KINDS and home.parent_id:
                home = home.parent
            self.initial.setdefault("organization", home.pk)
            self.initial.setdefault("audience", Audience.ORGANIZATION)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


# --- the members' library -------------------------------------------------------------------------------------


def _list_context(request, *, public_only: bool) -> dict:
    user = request.user
    form = LibrarySearchForm(request.GET or None, user=user, public_only=public_only)
    criteria = form.criteria() if request.GET else {}
    if public_only:
        criteria.pop("bookmarked", None)
    results = library.search_library(user, public_only=public_only, **criteria)
    page = Paginator(results, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "form": form,
        "page": page,
        "publications": page.object_list,
        "query_string": params.urlencode(),
        "searching": any(criteria.get(k) for k in ("q", "document_type", "year", "bookmarked")),
    }


@require_safe
def library_page(request):
    """The members' library: what the user may read, searchable, newest first; "my bookmarks"."""
    context = _list_context(request, public_only=False)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "library-results":
        return render(request, "documents/library/_results.html", context)
    return render(request, "documents/library/index.html", context)


@require_safe
def library_detail(request, pk):
    """One publication: read online (pdf.js, or the browser's viewer), download, bookmark."""
    publication = library.get_publication_or_404(request.user, pk)
    if request.method == "GET":
        audit.record(action="view", obj=publication, actor=request.user)
    bookmarked = publication.bookmarks.filter(user_id=request.user.pk).exists()
    return render(
        request,
        "documents/library/detail.html",
        {"publication": publication, "document": publication.document, "bookmarked": bookmarked},
    )


@require_POST
def library_bookmark(request, pk):
    publication = library.get_publication_or_404(request.user, pk)
    try:
        bookmarked = services.bookmark_toggle(actor=request.user, publication=publication)
    except PermissionDenied as exc:
        raise Http404 from exc
    if request.headers.get("HX-Request"):
        return render(
            request, "documents/library/_bookmark.html", {"publication": publication, "bookmarked": bookmarked}
        )
    return HttpResponseRedirect(reverse("documents:library_detail", args=[publication.pk]))


# --- publishing from the outgoing document page -----------------------------------------------------------------


def publish_panel_context(request, document: OutgoingDocument, *, form=None, message="") -> dict:
    user = getattr(request, "user", None)
    may_publish = (
        services.can_publish(user, document)
        and document.status == OutgoingStatus.ISSUED
        and not document.confidentiality
        and bool(document.issued_file_id)
    )
    may_withdraw = services.can_publish(user, document)
    publications = list(
        Publication.objects.filter(document=document).select_related("organization", "published_by", "withdrawn_by")
    )
    if may_publish and form is None:
        form = PublishForm(user=user, document=document, auto_id="id_publish_%s")
    return {
        "request": request,
        "document": document,
        "publications": publications,
        "may_publish": may_publish,
        "may_withdraw": may_withdraw,
        "form": form if may_publish else None,
        "panel_message": message,
        "classified": bool(document.confidentiality),
    }


def _outgoing_page(document: OutgoingDocument) -> str:
    try:
        return reverse("documents:outgoing_detail", args=[document.pk])
    except NoReverseMatch:
        return reverse("documents:library")


def _panel_answer(request, document, *, form=None, message=""):
    if request.headers.get("HX-Request"):
        return render(request, PUBLISH_PANEL, publish_panel_context(request, document, form=form, message=message))
    if message:
        messages.success(request, message)
    elif form is not None:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return HttpResponseRedirect(_outgoing_page(document))


@require_POST
def outgoing_publish(request, pk):
    document = get_object_or_404(OutgoingDocument.objects.select_related("organization"), pk=pk)
    if not services.can_publish(request.user, document):
        raise Http404
    form = PublishForm(request.POST, user=request.user, document=document, auto_id="id_publish_%s")
    if form.is_valid():
        try:
            services.publication_create(
                actor=request.user,
                document=document,
                audience=form.cleaned_data["audience"],
                organization=form.cleaned_data["organization"],
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return _panel_answer(request, document, message=_("Published in the library."))
    return _panel_answer(request, document, form=form)


@require_POST
def publication_withdraw(request, pk):
    publication = get_object_or_404(Publication.objects.select_related("document"), pk=pk)
    document = publication.document
    if not services.can_publish(request.user, document):
        raise Http404
    try:
        services.publication_withdraw(actor=request.user, publication=publication)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        if request.headers.get("HX-Request"):
            return _panel_answer(request, document, message=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(_outgoing_page(document))
    return _panel_answer(request, document, message=_("Withdrawn from the library: readers no longer have access."))


# --- the public library -----------------------------------------------------------------------------------------


@login_not_required
@require_safe
def public_library(request):
    """Documents published to the public: no login; nothing else is shown or counted."""
    context = _list_context(request, public_only=True)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "library-results":
        return render(request, "documents/library/_public_results.html", context)
    return render(request, "documents/library/public.html", context)


@login_not_required
@require_safe
def public_library_detail(request, pk):
    try:
        publication = (
            library.publications_visible_to(None)
            .select_related("document__document_type", "document__organization", "document__issued_file")
            .get(pk=pk, audience=Audience.PUBLIC)
        )
    except (Publication.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    return render(
        request, "documents/library/public_detail.html", {"publication": publication, "document": publication.document}
    )
