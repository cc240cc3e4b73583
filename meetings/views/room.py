"""In the room (issue 6, point 5): the chair's and secretary's screen and the delegate's tablet vote page.

* ``room`` — the room screen (chair, minute-taker, office): the check-in QR code (its token changes every
  ``PARTYHUB_ROOM_TOKEN_SECONDS``; the code refreshes itself), the attendance list with the secretary's
  ticks and the live summary with the quorum, opening/closing the meeting, votes (create, open, close,
  paper ballots, results). Live parts poll with htmx every 2–3 s and answer 204 when nothing changed.
* ``checkin`` — the URL in the room's QR code: an invited, signed-in delegate who opens it (the tablet's
  camera app, or the link) confirms and is checked in as themself.
* ``checkin_code`` — the URL in a delegate's personal QR code (shown on their vote page): opened by the
  secretary's device, it checks that delegate in.
* ``vote`` — the delegate's tablet page: the open vote with three big buttons, one answer, then "Your vote is
  recorded" (for a secret ballot nothing about the answer is ever shown back).

Access: the room needs ``can_run_room`` (chair, minute-taker or manager); the vote page and check-in need an
invitation of one's own. Anything else answers 404.
"""

from __future__ import annotations

import hashlib

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..models import Attendance, Invitation, Meeting, MeetingStatus, Vote, VoteChoice, VoteKind, VoteStatus
from ..permissions import can_chair, invitation_for
from ..selectors import get_meeting_or_404
from ..services import room as room_services
from ..services import votes as vote_services

ROOM_TEMPLATE = "meetings/room/room.html"


# --- helpers ---------------------------------------------------------------------------------------------------


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _room_meeting_or_404(request, pk) -> Meeting:
    meeting = get_meeting_or_404(request.user, pk)
    if not room_services.can_run_room(request.user, meeting):
        raise Http404
    return meeting


def _delegate_or_404(request, pk) -> tuple[Meeting, Invitation]:
    meeting = get_meeting_or_404(request.user, pk)
    invitation = invitation_for(request.user, meeting)
    if invitation is None:
        raise Http404
    return meeting, invitation


def _vote_or_404(meeting: Meeting, vote_pk) -> Vote:
    return get_object_or_404(Vote.objects.select_related("rule", "item"), pk=vote_pk, meeting=meeting)


def _messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def qr_svg(url: str, *, title: str = "") -> str:
    """An inline SVG QR code of ``url`` (scales with its container)."""
    code = segno.make(url, error="m")
    return code.svg_inline(scale=4, border=2, omitsize=True, title=title or None, svgclass="qr-code")


def _state(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _unchanged(request, state: str) -> bool:
    """A poll whose ``state`` is still current: the client keeps what it shows (htmx does not swap on 204)."""
    return request.GET.get("state") == state


# --- the room screen -------------------------------------------------------------------------------------------


class VoteForm(forms.Form):
    question = forms.CharField(
        label=_("Question"), max_length=500, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    item = forms.TypedChoiceField(label=_("Agenda item"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("How"), choices=VoteKind.choices, initial=VoteKind.OPEN)
    rule = forms.ChoiceField(label=_("Rule"), choices=())

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, prefix="vote", **kwargs)
        self.fields["item"].choices = [("", _("— none —"))] + [
            (item.pk, f"{item.order}. {item.title}") for item in meeting.agenda.order_by("order", "id")
        ]
        self.fields["rule"].choices = [
            ("majority", _("More than half of the official members counted")),
            ("two_thirds", _("At least two thirds of all official members (admission, recognition)")),
        ]


class PaperForm(forms.Form):
    agree = forms.IntegerField(label=_("Agree"), min_value=0, required=False)
    disagree = forms.IntegerField(label=_("Disagree"), min_value=0, required=False)
    abstain = forms.IntegerField(label=_("Abstain"), min_value=0, required=False)


def attendance_context(meeting: Meeting) -> dict:
    summary = room_services.attendance_summary(meeting)
    state = _state(
        meeting.status,
        *[(inv.pk, inv.attendance, inv.absence_reason) for inv, _may, _counts in summary.rows],
    )
    return {
        "meeting": meeting,
        "summary": summary,
        "attendance_state": state,
        "attendance_choices": [
            (Attendance.PRESENT, Attendance.PRESENT.label),
            (Attendance.ABSENT_EXCUSED, Attendance.ABSENT_EXCUSED.label),
            (Attendance.ABSENT_UNEXCUSED, Attendance.ABSENT_UNEXCUSED.label),
            (Attendance.EXEMPTED, Attendance.EXEMPTED.label),
        ],
        "attendance_editable": meeting.status
        in (MeetingStatus.DRAFT, MeetingStatus.INVITED, MeetingStatus.IN_PROGRESS),
    }


def votes_context(request, meeting: Meeting, *, errors=None) -> dict:
    votes = vote_services.votes_of(meeting)
    for vote in votes:
        vote.result = vote_services.result_text(vote)
    state = _state(*[(v.pk, v.status, v.voted, v.paper_agree, v.paper_disagree, v.paper_abstain) for v in votes])
    return {
        "meeting": meeting,
        "votes": votes,
        "votes_state": state,
        "vote_form": VoteForm(meeting=meeting),
        "paper_form": PaperForm(),
        "can_chair": can_chair(request.user, meeting),
        "vote_errors": errors or [],
        "has_open_vote": any(v.status == VoteStatus.OPEN for v in votes),
    }


def _checkin_url(request, meeting: Meeting) -> str:
    token = room_services.room_token(meeting)
    return request.build_absolute_uri(reverse("meetings:checkin", args=[meeting.pk, token]))


def qr_context(request, meeting: Meeting) -> dict:
    url = _checkin_url(request, meeting)
    return {
        "meeting": meeting,
        "checkin_url": url,
        "checkin_qr": mark_safe(qr_svg(url, title=str(_("Check-in code of the meeting")))),
        "checkin_open": meeting.status in room_services.CHECKIN_STATUSES,
        "token_seconds": room_services._token_seconds(),
    }


@require_safe
@never_cache
def room(request, pk):
    meeting = _room_meeting_or_404(request, pk)
    context = {
        **attendance_context(meeting),
        **votes_context(request, meeting),
        **qr_context(request, meeting),
        "can_chair": can_chair(request.user, meeting),
    }
    return render(request, ROOM_TEMPLATE, context)


@require_safe
@never_cache
def room_qr(request, pk):
    meeting = _room_meeting_or_404(request, pk)
    return render(request, "meetings/room/_qr.html", qr_context(request, meeting))


@require_safe
@never_cache
def room_attendance(request, pk):
    meeting = _room_meeting_or_404(request, pk)
    context = attendance_context(meeting)
    if _unchanged(request, context["attendance_state"]):
        return HttpResponse(status=204)
    return render(request, "meetings/room/_attendance.html", context)


@require_POST
def room_attendance_set(request, pk, invitation_pk):
    meeting = _room_meeting_or_404(request, pk)
    invitation = get_object_or_404(Invitation, pk=invitation_pk, meeting=meeting)
    errors = []
    try:
        room_services.attendance_set(
            actor=request.user,
            invitation=invitation,
            attendance=request.POST.get("attendance", ""),
            reason=request.POST.get("reason", ""),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        errors = _messages_of(exc)
    if _is_htmx(request):
        context = attendance_context(meeting)
        context["attendance_errors"] = errors
        context["error_invitation"] = invitation.pk if errors else None
        return render(request, "meetings/room/_attendance.html", context)
    for error in errors:
        messages.error(request, error)
    return HttpResponseRedirect(reverse("meetings:room", args=[meeting.pk]) + "#attendance")


@require_POST
def room_meeting_state(request, pk, action):
    """Open or close the meeting (the chair)."""
    meeting = _room_meeting_or_404(request, pk)
    service = {"open": room_services.meeting_open, "close": room_services.meeting_close}.get(action)
    if service is None:
        raise Http404
    try:
        service(actor=request.user, meeting=meeting)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for error in _messages_of(exc):
            messages.error(request, error)
    else:
        messages.success(request, _("The meeting is open.") if action == "open" else _("The meeting is closed."))
    return HttpResponseRedirect(reverse("meetings:room", args=[meeting.pk]))


# --- votes (chair / secretary) ---------------------------------------------------------------------------------


def _form_errors(form) -> list[str]:
    errors = []
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        errors += [f"{label}: {error}" if label else str(error) for error in field_errors]
    return errors


def _votes_answer(request, meeting: Meeting, *, errors=None, created=False):
    if _is_htmx(request):
        response = render(request, "meetings/room/_votes.html", votes_context(request, meeting, errors=errors))
        if created:
            response["HX-Trigger"] = "voteCreated"
        return response
    for error in errors or []:
        messages.error(request, error)
    return HttpResponseRedirect(reverse("meetings:room", args=[meeting.pk]) + "#votes")


@require_POST
def room_vote_new(request, pk):
    meeting = _room_meeting_or_404(request, pk)
    if not can_chair(request.user, meeting):
        raise Http404
    form = VoteForm(request.POST, meeting=meeting)
    if not form.is_valid():
        return _votes_answer(request, meeting, errors=_form_errors(form))
    item = None
    if form.cleaned_data["item"]:
        item = meeting.agenda.filter(pk=form.cleaned_data["item"]).first()
    try:
        vote_services.vote_create(
            actor=request.user,
            meeting=meeting,
            question=form.cleaned_data["question"],
            kind=form.cleaned_data["kind"],
            rule_code=form.cleaned_data["rule"],
            item=item,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
            return _votes_answer(request, meeting, errors=_form_errors(form))
        return _votes_answer(request, meeting, errors=_messages_of(exc))
    return _votes_answer(request, meeting, created=True)


@require_POST
def room_vote_action(request, pk, vote_pk, action):
    """Open, close or remove a vote (the chair)."""
    meeting = _room_meeting_or_404(request, pk)
    vote = _vote_or_404(meeting, vote_pk)
    service = {
        "open": vote_services.vote_open,
        "close": vote_services.vote_close,
        "delete": vote_services.vote_delete,
    }.get(action)
    if service is None:
        raise Http404
    errors = []
    try:
        service(actor=request.user, vote=vote)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        errors = _messages_of(exc)
    return _votes_answer(request, meeting, errors=errors)


@require_POST
def room_vote_paper(request, pk, vote_pk):
    meeting = _room_meeting_or_404(request, pk)
    vote = _vote_or_404(meeting, vote_pk)
    errors = []
    try:
        vote_services.paper_ballots_add(
            actor=request.user,
            vote=vote,
            agree=request.POST.get("agree") or 0,
            disagree=request.POST.get("disagree") or 0,
            abstain=request.POST.get("abstain") or 0,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        errors = _messages_of(exc)
    return _votes_answer(request, meeting, errors=errors)


@require_safe
@never_cache
def room_votes(request, pk):
    """The votes panel, polled: answers 204 while no vote changed status and no ballot came in."""
    meeting = _room_meeting_or_404(request, pk)
    context = votes_context(request, meeting)
    if _unchanged(request, context["votes_state"]):
        return HttpResponse(status=204)
    return render(request, "meetings/room/_votes.html", context)


# --- check-in ----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def checkin(request, pk, token):
    """The room's QR code: the delegate confirms and is checked in as themself."""
    meeting, invitation = _delegate_or_404(request, pk)
    error = None
    if request.method == "POST":
        try:
            room_services.checkin_self(actor=request.user, meeting=meeting, token=token)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            error = " ".join(_messages_of(exc))
        else:
            messages.success(request, _("You are checked in. Welcome!"))
            return HttpResponseRedirect(reverse("meetings:vote", args=[meeting.pk]))
    elif not room_services.room_token_valid(meeting, token):
        error = str(_("This check-in code has expired. Scan the code on the room screen again."))
    invitation.refresh_from_db()
    return render(
        request,
        "meetings/room/checkin.html",
        {"meeting": meeting, "invitation": invitation, "error": error, "token": token},
        status=400 if error and request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def checkin_code(request, pk, code):
    """A delegate's personal QR code opened on the secretary's device."""
    meeting = _room_meeting_or_404(request, pk)
    invitation = Invitation.objects.filter(meeting=meeting, checkin_token=code).first()
    if invitation is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            room_services.checkin_by_code(actor=request.user, meeting=meeting, code=code)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            error = " ".join(_messages_of(exc))
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": invitation.name})
            return HttpResponseRedirect(reverse("meetings:room", args=[meeting.pk]) + "#attendance")
    return render(
        request,
        "meetings/room/checkin_code.html",
        {"meeting": meeting, "invitation": invitation, "error": error, "code": code},
    )


# --- the delegate's vote page (tablet) --------------------------------------------------------------------------


def _current_vote(meeting: Meeting) -> Vote | None:
    return meeting.votes.select_related("rule", "item").filter(status=VoteStatus.OPEN).order_by("opened_at").first()


def _last_closed(meeting: Meeting) -> Vote | None:
    return (
        meeting.votes.select_related("rule", "item")
        .filter(status=VoteStatus.CLOSED)
        .order_by("-closed_at", "-id")
        .first()
    )


def vote_panel_context(request, meeting: Meeting, invitation: Invitation, *, error=None, just_voted=False) -> dict:
    invitation.refresh_from_db(fields=["attendance", "may_vote", "counts_for_quorum"])
    vote = _current_vote(meeting)
    voted = vote_services.has_voted(vote, invitation) if vote else False
    my_answer = None
    if vote is not None and voted and vote.kind == VoteKind.OPEN:
        from ..models import Ballot

        choice = Ballot.objects.filter(vote=vote, invitation=invitation).values_list("choice", flat=True).first()
        my_answer = VoteChoice(choice).label if choice else None
    last = _last_closed(meeting)
    state = _state(
        meeting.status,
        invitation.attendance,
        vote.pk if vote else None,
        voted,
        last.pk if last else None,
    )
    return {
        "meeting": meeting,
        "invitation": invitation,
        "vote": vote,
        "voted": voted,
        "my_answer": my_answer,
        "last_result": last,
        "last_result_text": vote_services.result_text(last) if last else "",
        "choices": [(c, VoteChoice(c).label) for c in VoteChoice.values],
        "present": invitation.attendance == Attendance.PRESENT,
        "error": error,
        "just_voted": just_voted,
        "panel_state": state,
    }


@require_safe
@never_cache
def vote(request, pk):
    meeting, invitation = _delegate_or_404(request, pk)
    context = vote_panel_context(request, meeting, invitation)
    code_url = request.build_absolute_uri(reverse("meetings:checkin_code", args=[meeting.pk, invitation.checkin_token]))
    context["personal_qr"] = mark_safe(qr_svg(code_url, title=str(_("My check-in code"))))
    return render(request, "meetings/room/vote.html", context)


@require_safe
@never_cache
def vote_panel(request, pk):
    meeting, invitation = _delegate_or_404(request, pk)
    context = vote_panel_context(request, meeting, invitation)
    if _unchanged(request, context["panel_state"]):
        return HttpResponse(status=204)
    return render(request, "meetings/room/_vote_panel.html", context)


@require_POST
def vote_cast(request, pk, vote_pk):
    meeting, invitation = _delegate_or_404(request, pk)
    vote = _vote_or_404(meeting, vote_pk)
    error = None
    try:
        vote_services.ballot_cast(actor=request.user, vote=vote, choice=request.POST.get("choice", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        error = " ".join(_messages_of(exc))
    if _is_htmx(request):
        context = vote_panel_context(request, meeting, invitation, error=error, just_voted=error is None)
        return render(request, "meetings/room/_vote_panel.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your vote is recorded."))
    return HttpResponseRedirect(reverse("meetings:vote", args=[meeting.pk]))


__all__ = [
    "checkin",
    "checkin_code",
    "qr_svg",
    "room",
    "room_attendance",
    "room_attendance_set",
    "room_meeting_state",
    "room_qr",
    "room_vote_action",
    "room_vote_new",
    "room_vote_paper",
    "room_votes",
    "vote",
    "vote_cast",
    "vote_panel",
]
