"""The office's pages (desktop): the meetings list, the meeting form, invitations, the agenda editor, the
meeting page with the panels of the other areas, comments on drafts, and a meeting's .ics.

Thin views: a form, one service call, a redirect. A meeting the user may not see — or may not manage, for the
management pages — answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from .. import permissions, selectors
from ..calendar import meeting_ics, meeting_ics_filename
from ..forms import (
    AgendaDocumentEditForm,
    AgendaDocumentForm,
    AgendaItemForm,
    CancelForm,
    DraftCommentForm,
    GuestInviteForm,
    MeetingForm,
    MemberInviteForm,
    UserInviteForm,
    apply_errors,
)
from ..models import AgendaDocument, AgendaItem, DraftComment, Invitation, Meeting, MeetingKind
from ..services import agenda as agenda_services
from ..services import meetings as meeting_services

PAGE_SIZE = 50

#: Panels of the meeting page filled by the other areas of issue 6 (shown when their template exists).
DETAIL_SLOTS = {
    "packet": "meetings/_packet_panel.html",
    "folder_readiness": "meetings/_folder_readiness.html",
    "room": "meetings/room/_panel.html",
    "minutes": "meetings/minutes/_panel.html",
}


def _existing(template_name: str) -> str | None:
    try:
        get_template(template_name)
    except TemplateDoesNotExist:
        return None
    return template_name


def _managed(request, pk) -> Meeting:
    meeting = selectors.get_meeting_or_404(request.user, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise Http404
    return meeting


# --- the list ----------------------------------------------------------------------------------------------------


@require_safe
def index(request):
    """Meetings the user may see, with filters (upcoming / past, organization, kind)."""
    when = request.GET.get("when", "upcoming")
    if when not in ("upcoming", "past", "all"):
        when = "upcoming"
    kind = request.GET.get("kind", "")
    if kind not in MeetingKind.values:
        kind = ""
    organizations = list(selectors.organizations_for_meetings(request.user).only("id", "name"))
    org = request.GET.get("organization", "")
    org_id = int(org) if org.isdigit() and any(o.pk == int(org) for o in organizations) else None
    meetings = selectors.meeting_list(
        request.user, when="" if when == "all" else when, organization=org_id, kind=kind
    ).annotate(invited_count=Count("invitations", distinct=True))
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "meetings": page.object_list,
        "when": when,
        "kind": kind,
        "kinds": MeetingKind.choices,
        "organizations": organizations,
        "organization_id": org_id,
        "can_create": bool(organizations),
    }
    return render(request, "meetings/index.html", context)


# --- create, edit, cancel ----------------------------------------------------------------------------------------


def _initial(meeting: Meeting) -> dict:
    return {
        "organization": meeting.organization_id,
        "kind": meeting.kind,
        "title": meeting.title,
        "description": meeting.description,
        "starts_at": timezone.localtime(meeting.starts_at),
        "ends_at": timezone.localtime(meeting.ends_at) if meeting.ends_at else None,
        "place": meeting.place,
        "online_link": meeting.online_link,
        "chair": meeting.chair_id,
        "minute_taker": meeting.minute_taker_id,
        "confidentiality": meeting.confidentiality,
        "folder_opens_at": timezone.localtime(meeting.folder_opens_at) if meeting.folder_opens_at else None,
        "folder_closes_at": timezone.localtime(meeting.folder_closes_at) if meeting.folder_closes_at else None,
    }


@require_http_methods(["GET", "HEAD", "POST"])
def new(request):
    if not selectors.organizations_for_meetings(request.user).exists():
        raise Http404
    form = MeetingForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meeting_services.meeting_create(actor=request.user, **form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The meeting was created. Now invite the delegates and set the agenda."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "meeting": None})


@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, pk):
    meeting = _managed(request, pk)
    if not permissions.can_edit_meeting(request.user, meeting):
        raise Http404
    form = MeetingForm(request.POST or None, actor=request.user, initial=_initial(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            meeting_services.meeting_update(actor=request.user, meeting=meeting, **form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if meeting.invitations_sent_at:
                messages.success(request, _("The meeting was changed; everyone invited has been told."))
            else:
                messages.success(request, _("The meeting was changed."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "meeting": meeting})


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request, pk):
    meeting = _managed(request, pk)
    if not permissions.can_edit_meeting(request.user, meeting):
        raise Http404
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_services.meeting_cancel(actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The meeting was cancelled; everyone invited has been told."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/cancel.html", {"form": form, "meeting": meeting})


# --- the meeting page --------------------------------------------------------------------------------------------


@require_safe
def detail(request, pk):
    meeting = selectors.get_meeting_or_404(request.user, pk)
    user = request.user
    can_manage = permissions.can_manage_meeting(user, meeting)
    invitation = selectors.invitation_for(user, meeting)
    agenda = list(selectors.agenda_of(meeting))
    invitations = (
        list(meeting.invitations.select_related("user", "member").order_by("copy_number")) if can_manage else []
    )
    slots = {name: _existing(template) for name, template in DETAIL_SLOTS.items()}
    context = {
        "meeting": meeting,
        "can_manage": can_manage,
        "can_edit": permissions.can_edit_meeting(user, meeting),
        "can_chair": permissions.can_chair(user, meeting),
        "can_take_minutes": permissions.can_take_minutes(user, meeting),
        "can_open_folder": permissions.can_open_folder(user, meeting),
        "invitation": invitation,
        "agenda": agenda,
        "invitations": invitations,
        "invited_count": sum(1 for i in invitations if i.invited_at),
        "pending_count": sum(1 for i in invitations if not i.invited_at),
        "folder_opens_at": selectors.folder_opens_at(meeting),
        "folder_closes_at": selectors.folder_closes_at(meeting),
        "slots": slots,
    }
    return render(request, "meetings/detail.html", context)


@require_safe
def ics(request, pk):
    """The meeting's .ics for whoever may see it (to add it to a calendar by hand)."""
    meeting = selectors.get_meeting_or_404(request.user, pk)
    invitation = selectors.invitation_for(request.user, meeting)
    language = getattr(request, "LANGUAGE_CODE", None)
    response = HttpResponse(meeting_ics(meeting, attendee=invitation, language=language), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{meeting_ics_filename(meeting)}"'
    response["Cache-Control"] = "no-store"
    return response


# --- invitations -------------------------------------------------------------------------------------------------


def _invitations_context(request, meeting, **forms):
    invitations = list(meeting.invitations.select_related("user", "member", "member__organization"))
    context = {
        "meeting": meeting,
        "invitations": invitations,
        "can_edit": permissions.can_edit_meeting(request.user, meeting),
        "member_form": MemberInviteForm(actor=request.user, prefix="member"),
        "user_form": UserInviteForm(actor=request.user, prefix="user"),
        "guest_form": GuestInviteForm(prefix="guest"),
        "pending_count": sum(1 for i in invitations if not i.invited_at),
    }
    context.update(forms)
    return context


@require_http_methods(["GET", "HEAD", "POST"])
def invitations(request, pk):
    meeting = _managed(request, pk)
    if request.method != "POST":
        return render(request, "meetings/invitations.html", _invitations_context(request, meeting))
    if not permissions.can_edit_meeting(request.user, meeting):
        raise Http404
    action = request.POST.get("action", "")
    actor = request.user
    bound: dict = {}
    try:
        if action == "add_member":
            form = MemberInviteForm(request.POST, actor=actor, prefix="member")
            bound["member_form"] = form
            if form.is_valid():
                invitation = meeting_services.invitation_add(
                    actor=actor, meeting=meeting, member=form.cleaned_data["member"]
                )
                messages.success(request, format_lazy(_("{name} was added."), name=invitation.name))
                return redirect("meetings:invitations", pk=meeting.pk)
        elif action == "add_user":
            form = UserInviteForm(request.POST, actor=actor, prefix="user")
            bound["user_form"] = form
            if form.is_valid():
                invitation = meeting_services.invitation_add(
                    actor=actor, meeting=meeting, user=form.cleaned_data["user"], kind=form.cleaned_data["kind"]
                )
                messages.success(request, format_lazy(_("{name} was added."), name=invitation.name))
                return redirect("meetings:invitations", pk=meeting.pk)
        elif action == "add_guest":
            form = GuestInviteForm(request.POST, prefix="guest")
            bound["guest_form"] = form
            if form.is_valid():
                invitation = meeting_services.invitation_add(
                    actor=actor, meeting=meeting, name=form.cleaned_data["name"], email=form.cleaned_data["email"]
                )
                messages.success(request, format_lazy(_("{name} was added."), name=invitation.name))
                return redirect("meetings:invitations", pk=meeting.pk)
        elif action == "invite_all":
            added = meeting_services.meeting_invite_organization_members(actor=actor, meeting=meeting)
            messages.success(request, format_lazy(_("{count} people were added."), count=added))
            return redirect("meetings:invitations", pk=meeting.pk)
        elif action == "remove":
            invitation = get_object_or_404(Invitation, pk=request.POST.get("invitation") or 0, meeting=meeting)
            meeting_services.invitation_remove(actor=actor, invitation=invitation)
            messages.success(request, format_lazy(_("{name} was removed."), name=invitation.name))
            return redirect("meetings:invitations", pk=meeting.pk)
        elif action == "send":
            count = meeting_services.meeting_send_invitations(actor=actor, meeting=meeting)
            messages.success(request, format_lazy(_("{count} invitations were sent."), count=count))
            return redirect("meetings:invitations", pk=meeting.pk)
        else:
            raise Http404
    except ValidationError as exc:
        form = next(iter(bound.values()), None)
        if form is not None:
            apply_errors(form, exc)
        else:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("meetings:invitations", pk=meeting.pk)
    return render(request, "meetings/invitations.html", _invitations_context(request, meeting, **bound), status=400)


# --- the agenda --------------------------------------------------------------------------------------------------


def _agenda_context(request, meeting, **extra):
    context = {
        "meeting": meeting,
        "agenda": list(selectors.agenda_of(meeting)),
        "can_edit": permissions.can_edit_meeting(request.user, meeting),
        "item_form": AgendaItemForm(actor=request.user, prefix="item"),
        "document_form": AgendaDocumentForm(actor=request.user, prefix="doc"),
        "form_item_id": None,
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "HEAD", "POST"])
def agenda(request, pk):
    meeting = _managed(request, pk)
    if request.method != "POST":
        return render(request, "meetings/agenda.html", _agenda_context(request, meeting))
    if not permissions.can_edit_meeting(request.user, meeting):
        raise Http404
    actor = request.user
    action = request.POST.get("action", "")
    items = AgendaItem.objects.filter(meeting=meeting)
    documents = AgendaDocument.objects.filter(item__meeting=meeting).select_related("item")
    back = redirect(reverse("meetings:agenda", args=[meeting.pk]))
    extra: dict = {}
    try:
        if action == "add_item":
            form = AgendaItemForm(request.POST, actor=actor, prefix="item")
            extra["item_form"] = form
            if form.is_valid():
                agenda_services.agenda_item_add(actor=actor, meeting=meeting, **form.cleaned_data)
                messages.success(request, _("The agenda item was added."))
                return back
        elif action == "update_item":
            item = get_object_or_404(items, pk=request.POST.get("item") or 0)
            form = AgendaItemForm(request.POST, actor=actor, prefix=f"item{item.pk}")
            extra["edit_item_form"] = form
            extra["edit_item_id"] = item.pk
            if form.is_valid():
                agenda_services.agenda_item_update(actor=actor, item=item, **form.cleaned_data)
                messages.success(request, _("The agenda item was saved."))
                return back
        elif action == "move_item":
            item = get_object_or_404(items, pk=request.POST.get("item") or 0)
            agenda_services.agenda_item_move(
                actor=actor,
                item=item,
                direction=request.POST.get("direction", ""),
                position=request.POST.get("position") or None,
            )
            return back
        elif action == "remove_item":
            item = get_object_or_404(items, pk=request.POST.get("item") or 0)
            agenda_services.agenda_item_remove(actor=actor, item=item)
            messages.success(request, _("The agenda item was removed."))
            return back
        elif action == "add_document":
            item = get_object_or_404(items, pk=request.POST.get("item") or 0)
            form = AgendaDocumentForm(request.POST, request.FILES, actor=actor, prefix="doc")
            extra["document_form"] = form
            extra["form_item_id"] = item.pk
            if form.is_valid():
                data = form.cleaned_data
                agenda_services.agenda_document_add(
                    actor=actor,
                    item=item,
                    source=data["source"],
                    incoming=data.get("incoming"),
                    outgoing=data.get("outgoing"),
                    publication=data.get("publication"),
                    upload=data.get("upload"),
                    title=data.get("title", ""),
                    confidentiality=data.get("confidentiality") or "",
                    is_draft=data.get("is_draft", False),
                    comments_until=data.get("comments_until"),
                    drafter=data.get("drafter"),
                )
                messages.success(request, _("The document was added."))
                return back
        elif action == "update_document":
            document = get_object_or_404(documents, pk=request.POST.get("document") or 0)
            form = AgendaDocumentEditForm(request.POST, request.FILES, prefix=f"doc{document.pk}")
            extra["edit_document_form"] = form
            extra["edit_document_id"] = document.pk
            if form.is_valid():
                data = form.cleaned_data
                agenda_services.agenda_document_update(
                    actor=actor,
                    document=document,
                    upload=data.get("upload"),
                    title=data["title"],
                    is_draft=data["is_draft"],
                    comments_until=data.get("comments_until"),
                )
                messages.success(request, _("The document was saved."))
                return back
        elif action == "move_document":
            document = get_object_or_404(documents, pk=request.POST.get("document") or 0)
            agenda_services.agenda_document_move(
                actor=actor, document=document, direction=request.POST.get("direction", "")
            )
            return back
        elif action == "remove_document":
            document = get_object_or_404(documents, pk=request.POST.get("document") or 0)
            agenda_services.agenda_document_remove(actor=actor, document=document)
            messages.success(request, _("The document was removed from the agenda."))
            return back
        else:
            raise Http404
    except ValidationError as exc:
        form = next((v for k, v in extra.items() if k.endswith("form")), None)
        if form is None:
            for message in exc.messages:
                messages.error(request, message)
            return back
        apply_errors(form, exc)
    return render(request, "meetings/agenda.html", _agenda_context(request, meeting, **extra), status=400)


# --- comments on drafts ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def draft_comments(request, pk, doc_pk):
    """A draft's comments: the drafter and the managers read them all together; an invited delegate writes
    and sees their own until the deadline."""
    meeting = selectors.get_meeting_or_404(request.user, pk)
    document = get_object_or_404(
        AgendaDocument.objects.select_related("item__meeting", "drafter"), pk=doc_pk, item__meeting=meeting
    )
    user = request.user
    if not document.is_draft and not permissions.can_read_all_comments(user, document):
        raise Http404
    can_comment = permissions.can_comment(user, document)
    if not (can_comment or permissions.can_read_all_comments(user, document)):
        raise Http404
    form = DraftCommentForm(request.POST or None) if can_comment else None
    if request.method == "POST":
        if not can_comment:
            raise Http404
        action = request.POST.get("action", "add")
        try:
            if action == "delete":
                comment = get_object_or_404(DraftComment, pk=request.POST.get("comment") or 0, document=document)
                agenda_services.draft_comment_delete(actor=user, comment=comment)
                messages.success(request, _("Your comment was withdrawn."))
                return redirect("meetings:draft_comments", pk=meeting.pk, doc_pk=document.pk)
            if form.is_valid():
                if action == "edit":
                    comment = get_object_or_404(DraftComment, pk=request.POST.get("comment") or 0, document=document)
                    agenda_services.draft_comment_update(actor=user, comment=comment, **form.cleaned_data)
                else:
                    agenda_services.draft_comment_add(actor=user, document=document, **form.cleaned_data)
                messages.success(request, _("Your comment was saved."))
                return redirect("meetings:draft_comments", pk=meeting.pk, doc_pk=document.pk)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            if form is not None:
                apply_errors(form, exc)
    comments = list(selectors.draft_comments_for(user, document))
    context = {
        "meeting": meeting,
        "document": document,
        "comments": comments,
        "reads_all": permissions.can_read_all_comments(user, document),
        "may_download_file": permissions.can_download_agenda_file(user, document),
        "may_open_folder": permissions.can_open_folder(user, meeting),
        "form": form,
        "comments_open": permissions.comments_open(document),
    }
    return render(request, "meetings/draft_comments.html", context, status=400 if form and form.errors else 200)


__all__ = [
    "DETAIL_SLOTS",
    "agenda",
    "cancel",
    "detail",
    "draft_comments",
    "edit",
    "ics",
    "index",
    "invitations",
    "new",
]
