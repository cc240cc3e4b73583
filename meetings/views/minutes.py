"""The minutes page of a meeting (issue 6, point 6): speakers' opinions and tasks typed during the meeting,
the biên bản assembled from what happened, edited, approved by the chair, rendered to PDF and filed as an
outgoing "Biên bản"; then the resolution linked and posted to the members.

Access: the minute-taker and the chair (``can_take_minutes`` / ``can_chair``, both including the office that
manages the meeting). Anyone else gets 404. Each form posts, calls one service, and redirects back to the page
(the messages say what happened or what was wrong).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from ..models import Meeting, MeetingTask, Minutes, MinutesStatus, SpeakerNote
from ..permissions import can_chair, can_manage_meeting, can_take_minutes
from ..selectors import get_meeting_or_404
from ..services import minutes as services

PAGE_TEMPLATE = "meetings/minutes/minutes.html"

DATE_WIDGET = forms.DateInput(
    attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}, format="%d/%m/%Y"
)


class _ItemChoiceMixin:
    def _set_items(self, meeting: Meeting) -> None:
        self.fields["item"].choices = [("", _("— none —"))] + [
            (item.pk, f"{item.order}. {item.title}") for item in meeting.agenda.order_by("order", "id")
        ]


class SpeakerNoteForm(_ItemChoiceMixin, forms.Form):
    speaker = forms.CharField(label=_("Speaker"), max_length=150)
    item = forms.TypedChoiceField(label=_("Agenda item"), required=False, coerce=int, empty_value=None)
    text = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, prefix="note", **kwargs)
        self._set_items(meeting)


class TaskForm(_ItemChoiceMixin, forms.Form):
    description = forms.CharField(label=_("Task"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    owner = forms.TypedChoiceField(label=_("In charge (person invited)"), required=False, coerce=int, empty_value=None)
    owner_name = forms.CharField(label=_("In charge (as written)"), max_length=150, required=False)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=DATE_WIDGET, input_formats=["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
    )
    item = forms.TypedChoiceField(label=_("Agenda item"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, prefix="task", **kwargs)
        self._set_items(meeting)
        people = meeting.invitations.filter(user__isnull=False).select_related("user").order_by("copy_number")
        self.fields["owner"].choices = [("", _("— choose —"))] + [(inv.user_id, inv.name) for inv in people]


def _minutes_meeting_or_404(request, pk) -> Meeting:
    meeting = get_meeting_or_404(request.user, pk)
    if not (can_take_minutes(request.user, meeting) or can_chair(request.user, meeting)):
        raise Http404
    return meeting


def _back(meeting: Meeting, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("meetings:minutes", args=[meeting.pk]) + (f"#{anchor}" if anchor else ""))


def _report(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _outgoing_url(document) -> str:
    if document is None:
        return ""
    try:
        return reverse("documents:outgoing_detail", args=[document.pk])
    except NoReverseMatch:
        return ""


def _resolution_choices(meeting: Meeting):
    from documents.models import OutgoingDocument

    return (
        OutgoingDocument.objects.filter(
            organization_id=meeting.organization_id, document_type__abbreviation=services.RESOLUTION_TYPE_ABBREVIATION
        )
        .exclude(status__in=["void", "recalled"])
        .select_related("document_type")
        .order_by("-created_at")[:50]
    )


@require_safe
@never_cache
def minutes_page(request, pk):
    meeting = _minutes_meeting_or_404(request, pk)
    minutes = Minutes.objects.filter(meeting=meeting).select_related("document", "resolution", "approved_by").first()
    editable = minutes is None or minutes.status == MinutesStatus.DRAFT
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "notes": meeting.speaker_notes.select_related("item").order_by("order", "id"),
        "tasks": meeting.tasks.select_related("item", "owner").order_by("deadline", "id"),
        "note_form": SpeakerNoteForm(meeting=meeting),
        "task_form": TaskForm(meeting=meeting),
        "editable": editable,
        "can_write": can_take_minutes(request.user, meeting),
        "can_chair": can_chair(request.user, meeting),
        "can_manage": can_manage_meeting(request.user, meeting),
        "filed_url": _outgoing_url(minutes.document if minutes else None),
        "resolution_url": _outgoing_url(minutes.resolution if minutes else None),
        "resolution_choices": _resolution_choices(meeting) if can_manage_meeting(request.user, meeting) else [],
        "posting_days": services.posting_days(),
    }
    return render(request, PAGE_TEMPLATE, context)


def _item(meeting: Meeting, pk):
    return meeting.agenda.filter(pk=pk).first() if pk else None


@require_POST
def minutes_note_add(request, pk):
    meeting = _minutes_meeting_or_404(request, pk)
    form = SpeakerNoteForm(request.POST, meeting=meeting)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(meeting, "notes")
    try:
        services.speaker_note_add(
            actor=request.user,
            meeting=meeting,
            speaker=form.cleaned_data["speaker"],
            text=form.cleaned_data["text"],
            item=_item(meeting, form.cleaned_data["item"]),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("The opinion is noted."))
    return _back(meeting, "notes")


@require_POST
def minutes_note_delete(request, pk, note_pk):
    meeting = _minutes_meeting_or_404(request, pk)
    note = get_object_or_404(SpeakerNote, pk=note_pk, meeting=meeting)
    try:
        services.speaker_note_delete(actor=request.user, note=note)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    return _back(meeting, "notes")


@require_POST
def minutes_task_add(request, pk):
    meeting = _minutes_meeting_or_404(request, pk)
    form = TaskForm(request.POST, meeting=meeting)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(meeting, "tasks")
    owner = None
    if form.cleaned_data["owner"]:
        if not meeting.invitations.filter(user_id=form.cleaned_data["owner"]).exists():
            raise Http404
        owner = get_user_model().objects.get(pk=form.cleaned_data["owner"])
    try:
        services.task_add(
            actor=request.user,
            meeting=meeting,
            description=form.cleaned_data["description"],
            owner=owner,
            owner_name=form.cleaned_data["owner_name"],
            deadline=form.cleaned_data["deadline"],
            item=_item(meeting, form.cleaned_data["item"]),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("The task is noted."))
    return _back(meeting, "tasks")


@require_POST
def minutes_task_delete(request, pk, task_pk):
    meeting = _minutes_meeting_or_404(request, pk)
    task = get_object_or_404(MeetingTask, pk=task_pk, meeting=meeting)
    try:
        services.task_delete(actor=request.user, task=task)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    return _back(meeting, "tasks")


@require_POST
def minutes_action(request, pk, action):
    """assemble / save / approve / reopen / file."""
    meeting = _minutes_meeting_or_404(request, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    done = {
        "assemble": _("The minutes are assembled from what happened. Read them through and complete them."),
        "save": _("The minutes are saved."),
        "approve": _("The minutes are approved."),
        "reopen": _("The minutes are a draft again."),
        "file": _("The minutes are filed as an outgoing document: it now goes through review, signature and issue."),
    }
    if action not in done:
        raise Http404
    if action != "assemble" and minutes is None:
        raise Http404
    try:
        if action == "assemble":
            services.minutes_assemble(actor=request.user, meeting=meeting, replace=request.POST.get("replace") == "1")
        elif action == "save":
            services.minutes_update(actor=request.user, minutes=minutes, body=request.POST.get("body", ""))
        elif action == "approve":
            services.minutes_approve(actor=request.user, minutes=minutes)
        elif action == "reopen":
            services.minutes_reopen(actor=request.user, minutes=minutes)
        else:
            services.minutes_file(actor=request.user, minutes=minutes)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, done[action])
    return _back(meeting, "text")


@require_safe
@never_cache
def minutes_pdf(request, pk):
    """The minutes as they would be printed (rendered on the fly; the filed copy is the outgoing document's)."""
    meeting = _minutes_meeting_or_404(request, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None or not minutes.body:
        raise Http404
    data = services.minutes_pdf(minutes)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-ban-{meeting.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def minutes_resolution(request, pk, action):
    """Link the resolution (``set``) or post it to the members (``post``) — the office."""
    meeting = _minutes_meeting_or_404(request, pk)
    if not can_manage_meeting(request.user, meeting):
        raise Http404
    try:
        if action == "set":
            from documents.models import OutgoingDocument

            document = (
                OutgoingDocument.objects.filter(pk=request.POST.get("document") or 0, organization=meeting.organization)
                .select_related("document_type")
                .first()
            )
            services.resolution_set(actor=request.user, meeting=meeting, document=document)
            messages.success(request, _("The resolution is linked to the meeting."))
        elif action == "post":
            services.resolution_post(actor=request.user, meeting=meeting)
            messages.success(request, _("The resolution is posted to the members."))
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    return _back(meeting, "resolution")


__all__ = [
    "minutes_action",
    "minutes_note_add",
    "minutes_note_delete",
    "minutes_page",
    "minutes_pdf",
    "minutes_resolution",
    "minutes_task_add",
    "minutes_task_delete",
]
