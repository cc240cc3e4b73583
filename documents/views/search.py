"""The search page of incoming documents (``documents:search``) and the user's saved searches.

Results come from :func:`documents.search.search_incoming`, so they only ever contain documents the user may
see. With htmx, the form swaps only the results (``documents/search/_results.html``); without JavaScript it is
an ordinary GET form. Saved searches are the user's own: another user's answers 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from .. import search
from ..models import Assignment, AssignmentRole, Confidentiality, DocumentType, IncomingStatus, Urgency
from ..selectors import document_access_for, incoming_visible_to

PER_PAGE = 20
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class _PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class IncomingSearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=300)
    document_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.none(), required=False, empty_label=_("Any type")
    )
    sender = forms.CharField(label=_("Sender"), required=False, max_length=300)
    received_from = forms.DateField(
        label=_("Received from"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
    )
    received_to = forms.DateField(
        label=_("Received until"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    handler = _PersonField(
        label=_("Handler"), queryset=get_user_model().objects.none(), required=False, empty_label=_("Anyone")
    )
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), required=False)
    year = forms.IntegerField(label=_("Register year"), required=False, min_value=1900, max_value=2999)
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("rank", _("Best match")),
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("number", _("Incoming number")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = DocumentType.objects.filter(active=True).order_by("order", "name")
        visible = incoming_visible_to(user).values("pk")
        handler_ids = Assignment.objects.filter(
            directive__superseded_at__isnull=True,
            directive__document__in=visible,
            role__in=[AssignmentRole.LEAD, AssignmentRole.COOPERATE],
        ).values("user_id")
        self.fields["handler"].queryset = (
            get_user_model().objects.filter(pk__in=handler_ids).order_by("full_name", "username")
        )
        self.fields["status"].choices = [("", _("Any status")), *IncomingStatus.choices]
        self.fields["urgency"].choices = [("", _("Any urgency")), *[(v, lbl) for v, lbl in Urgency.choices if v]]
        # Only the levels the user is cleared for are worth offering.
        cleared = document_access_for(user).cleared_levels
        levels = [(v, lbl) for v, lbl in Confidentiality.choices if v and v in cleared]
        self.fields["confidentiality"].choices = [
            ("", _("Any")),
            ("normal", Confidentiality.NORMAL.label),
            *levels,
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end of the period is before its start."))
        return data

    def search_arguments(self) -> dict:
        data = self.cleaned_data
        filters = {key: data.get(key) for key in search.FILTER_KEYS if key in self.fields}
        if filters.get("document_type") is not None:
            filters["document_type"] = filters["document_type"].pk
        if filters.get("handler") is not None:
            filters["handler"] = filters["handler"].pk
        return {"q": data.get("q") or "", "filters": filters, "order": data.get("order") or "rank"}

    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(k) not in (None, "") for k in (*search.FILTER_KEYS, "q") if k in self.fields)


def _query_string(params, *, drop=("page",)) -> str:
    pairs = [(k, v) for k in params for v in params.getlist(k) if k not in drop and v != ""]
    return urlencode(pairs)


@require_safe
def search_page(request):
    """The search form, filters and one page of results with highlighted snippets."""
    form = IncomingSearchForm(request.GET or None, user=request.user)
    page = None
    result = None
    if form.is_bound and form.is_valid():
        result = search.search_incoming(request.user, **form.search_arguments())
        page = result.page(request.GET.get("page") or 1, per_page=PER_PAGE)
    elif not form.is_bound:
        # No search yet: the newest documents the user may see, so the page is never empty for no reason.
        result = search.search_incoming(request.user, order="newest")
        page = result.page(1, per_page=PER_PAGE)
    context = {
        "form": form,
        "result": result,
        "page": page,
        "documents": page.object_list if page is not None else [],
        "paginator": page.paginator if page is not None else None,
        "query_string": _query_string(request.GET),
        "is_search": form.is_bound,
        "is_filtered": form.is_bound and form.is_valid() and form.is_filtered(),
        "saved_searches": list(search.saved_searches_of(request.user)),
        "save_params": search.clean_saved_query(request.GET),
    }
    template = "documents/search/page.html"
    if getattr(request, "htmx", False) and request.htmx.target == "search-results":
        template = "documents/search/_results.html"
    return render(request, template, context)


@require_POST
def saved_search_save(request):
    """Save the current search under a name (the same name replaces the earlier one)."""
    query = search.clean_saved_query(request.POST)
    try:
        saved = search.save_search(actor=request.user, name=request.POST.get("name", ""), query=query)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return HttpResponseRedirect(reverse("documents:search") + ("?" + urlencode(query) if query else ""))
    messages.success(request, gettext("Search “%(name)s” saved.") % {"name": saved.name})
    return HttpResponseRedirect(reverse("documents:search") + "?" + urlencode(saved.query))


@require_safe
def saved_search_run(request, pk: int):
    saved = get_object_or_404(search.saved_searches_of(request.user), pk=pk)
    return HttpResponseRedirect(reverse("documents:search") + "?" + urlencode(search.clean_saved_query(saved.query)))


@require_POST
def saved_search_delete(request, pk: int):
    saved = get_object_or_404(search.saved_searches_of(request.user), pk=pk)
    search.delete_saved_search(actor=request.user, saved=saved)
    messages.success(request, gettext("Search “%(name)s” deleted.") % {"name": saved.name})
    return HttpResponseRedirect(reverse("documents:search"))
