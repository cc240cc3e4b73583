"""The queue page (``documents:index``) and the handling forms of the document page: directive (leader),
progress and done (handlers), close (lead handler), reopen (leader).

The forms post with htmx and get the handling panel back (``documents/handling/_panel.html``); without
JavaScript they post normally and are redirected to the document page (or see it again with the errors).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from ..models import AssignmentStatus, IncomingDocument
from ..permissions import can_close, can_direct, can_handle, current_assignment
from ..queues import handling_candidates, queue_for, reminder_days
from ..selectors import get_incoming_or_404
from ..services import handling as services

PANEL_TEMPLATE = "documents/handling/_panel.html"


# --- forms -----------------------------------------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class DirectiveForm(forms.Form):
    lead = PersonChoiceField(label=_("Lead handler"), queryset=None, empty_label=_("— choose —"))
    cooperating = PeopleChoiceField(
        label=_("Co-operating handlers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    informed = PeopleChoiceField(
        label=_("For information"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        help_text=_("dd/mm/yyyy"),
        widget=forms.DateInput(
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}, format="%d/%m/%Y"
        ),
        input_formats=["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"],
    )
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, document: IncomingDocument, **kwargs):
        super().__init__(*args, prefix="directive", **kwargs)
        people = handling_candidates(document)
        for name in ("lead", "cooperating", "informed"):
            self.fields[name].queryset = people


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    file = forms.FileField(
        label=_("Working file (optional)"),
        required=False,
        help_text=_("PDF, image or office document."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="progress", **kwargs)


class DoneForm(forms.Form):
    text = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="done", **kwargs)


class CloseForm(forms.Form):
    text = forms.CharField(
        label=_("Result of the handling"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    confirm = forms.BooleanField(
        label=_("Close it although not every co-operating handler has finished"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="close", **kwargs)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="reopen", **kwargs)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


# --- the panel -------------------------------------------------------------------------------------------------


def panel_context(request, document: IncomingDocument, bound: forms.Form | None = None) -> dict:
    """What the handling panel needs: the current directive with its assignments, the reader's own
    assignment, and the forms the reader may use (``bound`` replaces the blank form of its kind)."""
    user = request.user
    directives = list(
        document.directives.select_related("directed_by")
        .prefetch_related("assignments__user")
        .order_by("-directed_at", "-id")
    )
    current = next((d for d in directives if d.superseded_at is None), None)
    mine = current_assignment(user, document)
    unfinished = []
    if current is not None:
        unfinished = [
            a for a in current.assignments.all() if a.role == "cooperate" and a.status != AssignmentStatus.DONE
        ]
    context = {
        "document": document,
        "directive": current,
        "assignments": sorted(current.assignments.all(), key=lambda a: (ROLE_ORDER.get(a.role, 9), a.pk))
        if current is not None
        else [],
        "previous_directives": [d for d in directives if d.superseded_at is not None],
        "my_assignment": mine,
        "unfinished": unfinished,
        "reminder_days": reminder_days(),
        "direct_form": None,
        "progress_form": None,
        "done_form": None,
        "close_form": None,
        "reopen_form": None,
    }
    if can_direct(user, document):
        initial = {}
        if current is not None:
            by_role = {"lead": [], "cooperate": [], "inform": []}
            for a in current.assignments.all():
                by_role[a.role].append(a.user_id)
            initial = {
                "lead": by_role["lead"][0] if by_role["lead"] else None,
                "cooperating": by_role["cooperate"],
                "informed": by_role["inform"],
                "deadline": current.deadline,
                "instructions": current.instructions,
            }
        elif document.deadline and document.deadline >= timezone.localdate():
            initial = {"deadline": document.deadline}  # a reply deadline noted at registration
        context["direct_form"] = DirectiveForm(document=document, initial=initial)
    if mine is not None and can_handle(user, document):
        context["progress_form"] = ProgressForm()
        if mine.status != AssignmentStatus.DONE and mine.role != "lead":
            context["done_form"] = DoneForm()
    if can_close(user, document):
        context["close_form"] = CloseForm()
    if services.can_reopen(user, document):
        context["reopen_form"] = ReopenForm()
    if bound is not None:
        key = {
            DirectiveForm: "direct_form",
            ProgressForm: "progress_form",
            DoneForm: "done_form",
            CloseForm: "close_form",
            ReopenForm: "reopen_form",
        }[type(bound)]
        context[key] = bound
    return context


def document_overdue(document: IncomingDocument) -> bool:
    return bool(document.status == "in_progress" and document.deadline and document.deadline < timezone.localdate())


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _answer(request, document: IncomingDocument, *, bound=None, success_message=None):
    """Success: the refreshed panel (htmx) or a redirect to the page. Failure: the panel or the page again
    with the bound form and its errors."""
    document.refresh_from_db()
    if success_message is not None and not _is_htmx(request):
        messages.success(request, success_message)
        return HttpResponseRedirect(reverse("documents:detail", args=[document.pk]))
    if _is_htmx(request):
        context = panel_context(request, document, bound=bound)
        context["panel_message"] = success_message
        # The status and deadline marks above the page change too: swapped out of band.
        context["oob"] = True
        context["document_overdue"] = document_overdue(document)
        context.update(history_context(document))
        return render(request, PANEL_TEMPLATE, context)
    from .detail import render_detail

    return render_detail(request, document, bound=bound, status=400)


ROLE_ORDER = {"lead": 0, "cooperate": 1, "inform": 2}


def history_context(document: IncomingDocument) -> dict:
    history = list(document.history.select_related("actor", "file__stored_file").order_by("created_at", "id"))
    return {"history": history}


def _document(request, pk) -> IncomingDocument:
    return get_incoming_or_404(request.user, pk)


# --- views -----------------------------------------------------------------------------------------------------


@require_safe
def index(request):
    """The reader's queue: assigned to me (overdue, due soon, others, for information); for leaders the
    documents waiting for a directive and those overdue; for clerks the drafts and recent registrations."""
    queue = queue_for(request.user)
    return render(request, "documents/index.html", {"queue": queue, "reminder_days": reminder_days()})


def _submit(request, document, form, action, success_message):
    """Validate ``form`` and run ``action(cleaned_data)`` (one service call): a refusal reads as 404, a
    ValidationError lands on the form, success answers with the message."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _answer(request, document, success_message=success_message)
    return _answer(request, document, bound=form)


@require_POST
def direct(request, pk):
    document = _document(request, pk)
    if not can_direct(request.user, document):
        raise Http404
    return _submit(
        request,
        document,
        DirectiveForm(request.POST, document=document),
        lambda data: services.incoming_direct(
            actor=request.user,
            document=document,
            lead=data["lead"],
            cooperating=list(data["cooperating"]),
            informed=list(data["informed"]),
            deadline=data["deadline"],
            instructions=data["instructions"],
        ),
        _("The directive was recorded and the people named were notified."),
    )


def _my_assignment_or_404(request, document):
    assignment = current_assignment(request.user, document)
    if assignment is None or not can_handle(request.user, document):
        raise Http404
    return assignment


@require_POST
def progress(request, pk):
    document = _document(request, pk)
    assignment = _my_assignment_or_404(request, document)
    return _submit(
        request,
        document,
        ProgressForm(request.POST, request.FILES),
        lambda data: services.assignment_progress(
            actor=request.user, assignment=assignment, text=data["text"], file=data["file"]
        ),
        _("Your progress was noted."),
    )


@require_POST
def done(request, pk):
    document = _document(request, pk)
    assignment = _my_assignment_or_404(request, document)
    return _submit(
        request,
        document,
        DoneForm(request.POST),
        lambda data: services.assignment_done(actor=request.user, assignment=assignment, text=data["text"]),
        _("Your part is marked done."),
    )


@require_POST
def close(request, pk):
    document = _document(request, pk)
    if not can_close(request.user, document):
        raise Http404
    return _submit(
        request,
        document,
        CloseForm(request.POST),
        lambda data: services.incoming_close(
            actor=request.user, document=document, text=data["text"], confirm=data["confirm"]
        ),
        _("The document is closed as handled."),
    )


@require_POST
def reopen(request, pk):
    document = _document(request, pk)
    if not services.can_reopen(request.user, document):
        raise Http404
    return _submit(
        request,
        document,
        ReopenForm(request.POST),
        lambda data: services.incoming_reopen(actor=request.user, document=document, reason=data["reason"]),
        _("The document was reopened."),
    )
