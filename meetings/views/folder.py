"""The delegate's side of a meeting, on a tablet (issue 6, point 4): "my meetings", the meeting folder (the
agenda with large touch targets), the reader of the delegate's own watermarked packet copy (pdf.js, page
thumbnails, search, private page notes), and what the tablet needs to keep the folder offline — the service
worker script, the folder's state and the "folder ready" report.

Access: ``meetings.permissions.can_open_folder`` (an invited person within the access window, cleared for
the classification; or a manager of the meeting). Everything else answers 404. The reader and the notes
need an invitation of one's own (a manager who is not invited has no copy and no notes).
"""

from __future__ import annotations

import datetime
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import folder as folder_facts
from ..models import Invitation, Meeting
from ..permissions import can_open_folder
from ..selectors import agenda_of, folder_closes_at, get_meeting_or_404, invitation_for, invitations_of
from ..services.folder import folder_mark_ready

#: The static files the folder pages need offline: the base layout's (app.css, app.js, htmx), ours, and pdf.js
#: with its worker. No web fonts are used (the system's fonts cover Vietnamese), so there are none to store.
FOLDER_STATIC = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx.org/htmx.min.js",
    "meetings/folder.css",
    "meetings/folder.js",
    "meetings/reader.js",
    "vendor/pdfjs-dist/pdf.min.mjs",
    "vendor/pdfjs-dist/pdf.worker.min.mjs",
)

#: A meeting counts as past four hours after it starts when it has no end time.
_PAST_AFTER = datetime.timedelta(hours=4)


# --- helpers ------------------------------------------------------------------------------------------------


def _folder_meeting_or_404(request, pk) -> Meeting:
    meeting = get_meeting_or_404(request.user, pk)
    if not can_open_folder(request.user, meeting):
        raise Http404
    return meeting


def _own_invitation(request, meeting: Meeting) -> Invitation | None:
    """The signed-in user's own invitation (a manager who is not invited has none: no copy, no notes)."""
    invitation = invitation_for(request.user, meeting)
    if invitation is None or invitation.user_id != request.user.pk:
        return None
    return invitation


def copy_url(meeting: Meeting, packet) -> str | None:
    """Where the delegate's own stamped copy of ``packet`` is read from (``meetings:my_copy`` pinned to the
    version, so that a stored copy always matches the version it was stored for)."""
    if packet is None:
        return None
    return f"{reverse('meetings:my_copy', args=[meeting.pk])}?version={packet.version}"


def _optional_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _offline_urls(meeting: Meeting) -> list[str]:
    urls = [
        reverse("meetings:folder", args=[meeting.pk]),
        reverse("meetings:folder_reader", args=[meeting.pk]),
        reverse("meetings:my_meetings"),
    ]
    urls += [static(path) for path in FOLDER_STATIC]
    return urls


def _strings() -> dict[str, str]:
    """Texts the folder's scripts show, translated here (the page is stored offline with them)."""
    return {
        "downloading": _("Downloading the folder… {percent}"),
        "downloaded": _("Ready offline: version {version}, stored on this tablet."),
        "download_failed": _("The folder could not be downloaded. Check the Wi-Fi and try again."),
        "no_offline": _("This browser cannot keep the folder offline. Use Chrome on the tablet."),
        "new_version": _("A new version of the packet is available (version {version}) — download again."),
        "removed": _("The folder was removed from this tablet."),
        "offline": _("No connection: you are reading the copy stored on this tablet."),
        "not_stored": _("Not stored on this tablet yet."),
        "closed": _("The folder of this meeting is closed."),
        "saved": _("Saved"),
        "saving": _("Saving…"),
        "saved_here": _("Saved on this tablet — will be sent when the tablet is online."),
        "sign_in": _("Sign in again to save your notes on the server."),
        "sync_failed": _("Your notes could not be sent: {message}"),
        "page_of": _("Page {page} of {pages}"),
        "doc_page": _("{title} — page {page} of {pages}"),
        "loading": _("Opening the packet…"),
        "error": _("The packet cannot be shown on this tablet."),
        "searching": _("Searching…"),
        "no_results": _("Nothing found."),
        "results": _("Found on {count} pages."),
        "result_page": _("Page {page}"),
        "thumbnail": _("Page {page}"),
        "has_note": _("has a note"),
        "note_for": _("Your note on page {page}"),
    }


def _page_data(request, meeting: Meeting, invitation: Invitation | None, packet, contents) -> dict:
    if invitation is None:
        packet = None  # no copy of one's own: nothing to read or store
    return {
        "meeting": meeting.pk,
        "user": request.user.pk,
        "title": meeting.title,
        "version": packet.version if packet else None,
        "pages": packet.page_count if packet else None,
        "copyUrl": copy_url(meeting, packet),
        "closesAt": _iso(folder_closes_at(meeting)),
        "folderUrl": reverse("meetings:folder", args=[meeting.pk]),
        "readerUrl": reverse("meetings:folder_reader", args=[meeting.pk]),
        "listUrl": reverse("meetings:my_meetings"),
        "stateUrl": reverse("meetings:folder_state", args=[meeting.pk]),
        "readyUrl": reverse("meetings:folder_ready", args=[meeting.pk]),
        "notesUrl": _optional_url("meeting-note-list", meeting.pk) if invitation else None,
        "syncUrl": _optional_url("meeting-note-sync", meeting.pk) if invitation else None,
        "swUrl": reverse("meetings:service_worker"),
        "staticUrl": settings.STATIC_URL,
        "swScope": reverse("meetings:service_worker").rsplit("/", 1)[0] + "/",
        "pdfjs": static("vendor/pdfjs-dist/pdf.min.mjs"),
        "pdfWorker": static("vendor/pdfjs-dist/pdf.worker.min.mjs"),
        "offlineUrls": _offline_urls(meeting),
        "contents": [e.as_json() for e in contents],
        "strings": _strings(),
    }


def _agenda_rows(meeting: Meeting, contents_by_doc: dict) -> list[dict]:
    rows = []
    for item in agenda_of(meeting):
        documents = []
        for doc in item.documents.all():
            entry = contents_by_doc.get(doc.pk)
            on_paper = bool(doc.confidentiality) or (entry is not None and entry.on_paper)
            documents.append(
                {
                    "document": doc,
                    "entry": entry,
                    "on_paper": on_paper,
                    "first_page": None if on_paper or entry is None else entry.first_page,
                    "pages": None if on_paper or entry is None else entry.pages,
                }
            )
        rows.append({"item": item, "documents": documents})
    return rows


# --- pages --------------------------------------------------------------------------------------------------


@require_safe
def my_meetings(request):
    """The delegate's meetings they may open now: upcoming ones first (soonest first), then past ones."""
    now = timezone.now()
    invitations = list(folder_facts.with_packet_versions(invitations_of(request.user, now=now)))
    upcoming, past = [], []
    for invitation in invitations:
        meeting = invitation.meeting
        ended = meeting.ends_at < now if meeting.ends_at else meeting.starts_at < now - _PAST_AFTER
        ready = invitation.folder_ready_version
        invitation.ready_state = (
            "missing"
            if ready is None or invitation.latest_version is None
            else ("outdated" if ready < invitation.latest_version else "ready")
        )
        (past if ended else upcoming).append(invitation)
    past.reverse()
    return render(
        request,
        "meetings/folder/my_meetings.html",
        {
            "upcoming": upcoming,
            "past": past,
            "folder_data": {
                "user": request.user.pk,
                "swUrl": reverse("meetings:service_worker"),
                "swScope": reverse("meetings:service_worker").rsplit("/", 1)[0] + "/",
                "staticUrl": settings.STATIC_URL,
                "strings": _strings(),
            },
        },
    )


@require_safe
def folder(request, pk):
    """The meeting folder: the agenda with each document's pages in the delegate's copy, and the button that
    stores the whole folder on the tablet."""
    meeting = _folder_meeting_or_404(request, pk)
    invitation = _own_invitation(request, meeting)
    packet = folder_facts.latest_packet(meeting)
    contents = folder_facts.contents_entries(packet)
    by_doc = {e.document_id: e for e in contents if e.document_id is not None}
    return render(
        request,
        "meetings/folder/folder.html",
        {
            "meeting": meeting,
            "invitation": invitation,
            "packet": packet if invitation else None,
            "agenda": _agenda_rows(meeting, by_doc),
            "closes_at": folder_closes_at(meeting),
            "folder_data": _page_data(request, meeting, invitation, packet, contents),
        },
    )


@require_safe
def reader(request, pk):
    """The reader of the delegate's own packet copy (pdf.js), with thumbnails, search and private notes."""
    meeting = _folder_meeting_or_404(request, pk)
    invitation = _own_invitation(request, meeting)
    packet = folder_facts.latest_packet(meeting)
    if invitation is None or packet is None:
        raise Http404
    contents = folder_facts.contents_entries(packet)
    return render(
        request,
        "meetings/folder/reader.html",
        {
            "meeting": meeting,
            "invitation": invitation,
            "packet": packet,
            "contents": contents,
            "folder_data": _page_data(request, meeting, invitation, packet, contents),
        },
    )


# --- what the tablet's scripts ask --------------------------------------------------------------------------


@never_cache
@require_safe
def folder_state(request, pk):
    """The folder as the server has it now (the page on the tablet may be a stored copy): the newest copy's
    version and URL, when the folder closes, and a fresh CSRF token for the notes' sync."""
    meeting = _folder_meeting_or_404(request, pk)
    invitation = _own_invitation(request, meeting)
    packet = folder_facts.latest_packet(meeting) if invitation else None
    return JsonResponse(
        {
            "meeting": meeting.pk,
            "version": packet.version if packet else None,
            "copyUrl": copy_url(meeting, packet),
            "closesAt": _iso(folder_closes_at(meeting)),
            "readyVersion": invitation.folder_ready_version if invitation else None,
            "csrfToken": get_token(request),
        }
    )


@never_cache
@require_POST
def folder_ready(request, pk):
    """The tablet stored the folder: ``{"version": n}``. Answers the recorded version and time."""
    meeting = _folder_meeting_or_404(request, pk)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"version": [_('Send the packet version as JSON: {"version": 1}.')]}, status=400)
    try:
        invitation = folder_mark_ready(actor=request.user, meeting=meeting, version=payload.get("version"))
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return JsonResponse(exc.message_dict if hasattr(exc, "error_dict") else {"version": exc.messages}, status=400)
    return JsonResponse({"version": invitation.folder_ready_version, "at": _iso(invitation.folder_ready_at)})


@lru_cache(maxsize=1)
def _service_worker_source() -> bytes:
    path = finders.find("meetings/sw.js")
    if path:
        with open(path, "rb") as f:
            return f.read()
    with staticfiles_storage.open("meetings/sw.js") as f:  # collected static files in production
        return f.read()


@require_safe
def service_worker(request):
    """The service worker script, served under /meetings/ so that its scope covers the folder pages. It holds
    no data of anybody: the folders it serves offline are stored by the signed-in delegate's page. Signed-in
    users only, like every page (the browser fetches it from a signed-in page; when a later update check finds
    the session expired, the installed worker simply stays)."""
    source = _service_worker_source() if not settings.DEBUG else _service_worker_source.__wrapped__()
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("meetings:service_worker").rsplit("/", 1)[0] + "/"
    response["Cache-Control"] = "no-cache"
    return response


__all__ = ["folder", "folder_ready", "folder_state", "my_meetings", "reader", "service_worker"]
