"""The office's packet panel (status, versions, contents, what changed, the compile button) and the delegate's
own stamped copy (``meetings:my_copy``, streamed with HTTP Range for pdf.js).

The panel is a fragment for the office's meeting page: include it with
``{% include "meetings/_packet_panel.html" with panel=packet_panel %}`` (``packet_panel_context``), or load it
with htmx: ``<div hx-get="{% url 'meetings:packet_panel' meeting.pk %}" hx-trigger="load" hx-swap="outerHTML">``.
While a version is being compiled the fragment reloads itself every few seconds.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from partyhub.files import serve_file

from .. import packets
from ..models import DelegateCopy, Invitation, Meeting, MeetingStatus, Packet, PacketStatus
from ..permissions import can_manage_meeting
from ..services.packets import MAX_REASON, packet_request_build

#: Versions listed in the panel.
PANEL_VERSIONS = 5


class PacketBuildForm(forms.Form):
    reason = forms.CharField(
        label=_("What changed (optional)"),
        max_length=MAX_REASON,
        required=False,
        help_text=_("Told to the delegates with the new version."),
    )


def _managed_meeting_or_404(user, pk) -> Meeting:
    meeting = Meeting.objects.select_related("organization").filter(pk=pk).first()
    if meeting is None or not can_manage_meeting(user, meeting):
        raise Http404
    return meeting


def packet_panel_context(meeting: Meeting, *, form: PacketBuildForm | None = None, message=None, error=None) -> dict:
    """What ``meetings/_packet_panel.html`` shows (a handful of queries, independent of the packet's size)."""
    versions = list(
        Packet.objects.filter(meeting=meeting).select_related("requested_by").order_by("-version")[:PANEL_VERSIONS]
    )
    latest = versions[0] if versions else None
    ready = next((p for p in versions if p.status == PacketStatus.READY), None)
    if ready is None and latest is not None:
        ready = packets.latest_ready_packet(meeting)
    building = next((p for p in versions if p.status == PacketStatus.BUILDING), None)
    delegates = Invitation.objects.filter(meeting=meeting, user__isnull=False).count()
    copies = DelegateCopy.objects.filter(packet=ready).count() if ready else 0
    has_agenda = meeting.agenda.exists()
    outdated = bool(ready and building is None and has_agenda and packets.documents_changed_since(meeting, ready))
    return {
        "meeting": meeting,
        "versions": versions,
        "latest": latest,
        "ready": ready,
        "building": building,
        "failed": latest if latest is not None and latest.status == PacketStatus.FAILED else None,
        "changes": [packets.change_text(change) for change in ready.changes] if ready else [],
        "contents": ready.contents if ready else [],
        "master_url": reverse("files:download", args=[ready.master_file_id]) if ready and ready.master_file_id else "",
        "delegates": delegates,
        "copies": copies,
        "has_agenda": has_agenda,
        "outdated": outdated,
        "can_build": has_agenda and meeting.status != MeetingStatus.CANCELLED,
        "form": form or PacketBuildForm(),
        "panel_message": message,
        "panel_error": error,
    }


@require_safe
def packet_panel(request, pk):
    meeting = _managed_meeting_or_404(request.user, pk)
    return render(request, "meetings/_packet_panel.html", {"panel": packet_panel_context(meeting)})


def _meeting_page(meeting: Meeting) -> str:
    try:
        return reverse("meetings:detail", args=[meeting.pk])
    except NoReverseMatch:
        return reverse("meetings:packet_panel", args=[meeting.pk])


@require_POST
def packet_build(request, pk):
    """The office's "compile" button: a new version (or the one being compiled, see the service)."""
    meeting = _managed_meeting_or_404(request.user, pk)
    form = PacketBuildForm(request.POST)
    message = error = None
    if not meeting.agenda.exists():
        error = _("The meeting has no agenda yet: add the agenda items first.")
    elif form.is_valid():
        try:
            packet = packet_request_build(meeting=meeting, actor=request.user, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            packet.refresh_from_db()
            if packet.status == PacketStatus.BUILDING:
                message = _("Version %(version)d is being compiled. The delegates are told when it is ready.") % {
                    "version": packet.version
                }
            elif packet.status == PacketStatus.READY:
                message = _("Version %(version)d is ready.") % {"version": packet.version}
            else:
                error = packet.message
            form = PacketBuildForm()
    if request.htmx:
        context = packet_panel_context(meeting, form=form, message=message, error=error)
        return render(request, "meetings/_packet_panel.html", {"panel": context})
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect(_meeting_page(meeting))


# Like ``files:download``: an anonymous request gets the same 404 as a forbidden one, so pdf.js range requests
# and the tablet's service worker never receive an HTML login page instead of the PDF.
@login_not_required
@require_safe
def my_copy(request, pk):
    """The signed-in delegate's stamped copy of the meeting's current READY packet version (``?version=N`` pins
    an earlier READY version), made on first request if needed; ``?download=1`` as an attachment. 404 for
    anybody who is not invited, outside the access window, or when there is no READY version."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    version = request.GET.get("version")
    if version is not None and not version.isdigit():
        raise Http404
    copy = packets.current_copy(user, meeting, version=int(version) if version else None)
    if copy is None:
        raise Http404
    response = serve_file(request, copy.file, as_attachment=request.GET.get("download") == "1")
    response["X-Packet-Version"] = str(copy.packet.version)
    return response
