"""iCalendar (RFC 5545) output of meetings and the work schedule, with the ``icalendar`` package.

* :func:`meeting_ics` — the .ics attached to invitations, change notices and reminders (``METHOD:REQUEST``)
  and to cancellations (``METHOD:CANCEL``). One stable ``UID`` per meeting and ``SEQUENCE`` =
  ``Meeting.sequence`` (raised at every change after invitations), so calendar programs update the event they
  already hold instead of adding a second one.
* :func:`feed_ics` — a user's personal feed (``/meetings/calendar/<token>.ics``): their invitations and the
  published schedule entries they may see.

Classified meetings leave PartyHub only as "a classified meeting" with its time and place: e-mail and
calendar programs are outside the network the classification protects.
"""

from __future__ import annotations

import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Invitation, Meeting, MeetingStatus, ScheduleEntry

PRODID = "-//PartyHub//Meetings//VI"


def _host() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "partyhub.invalid"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{_host()}"


def schedule_uid(entry: ScheduleEntry) -> str:
    if entry.meeting_id:
        return f"meeting-{entry.meeting_id}@{_host()}"
    return f"schedule-{entry.pk}@{_host()}"


def absolute_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def public_title(meeting: Meeting) -> str:
    """The title that may leave PartyHub (e-mail, calendar programs): neutral for classified meetings."""
    if meeting.confidentiality:
        return _("Classified meeting")
    return meeting.title


def _organizer(meeting: Meeting) -> vCalAddress:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'partyhub@localhost'}")
    organizer.params["cn"] = vText(meeting.organization.name)
    return organizer


def _attendee(invitation: Invitation) -> vCalAddress | None:
    email = invitation.email or (invitation.user.email if invitation.user_id and invitation.user else "")
    if not email:
        return None
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = vText(invitation.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT" if invitation.kind == "delegate" else "OPT-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("FALSE")
    return attendee


def _meeting_event(meeting: Meeting, *, attendee: Invitation | None = None, stamp=None, cancelled=False) -> Event:
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", stamp or timezone.now())
    event.add("sequence", meeting.sequence)
    event.add("dtstart", meeting.starts_at)
    if meeting.ends_at:
        event.add("dtend", meeting.ends_at)
    event.add("summary", public_title(meeting))
    if meeting.place:
        event.add("location", meeting.place)
    url = absolute_url(reverse("meetings:detail", args=[meeting.pk]))
    event.add("url", url)
    lines = []
    if not meeting.confidentiality and meeting.description:
        lines.append(meeting.description)
    if meeting.online_link and not meeting.confidentiality:
        lines.append(_("Online: %(link)s") % {"link": meeting.online_link})
    lines.append(url)
    event.add("description", "\n\n".join(lines))
    event.add("organizer", _organizer(meeting))
    if attendee is not None:
        address = _attendee(attendee)
        if address is not None:
            event.add("attendee", address)
    if cancelled or meeting.status == MeetingStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    event.add("class", "CONFIDENTIAL" if meeting.confidentiality else "PUBLIC")
    return event


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def meeting_ics(
    meeting: Meeting, *, attendee: Invitation | None = None, language: str | None = None, method: str | None = None
) -> bytes:
    """The .ics of ``meeting`` for one invited person: ``METHOD:CANCEL`` once cancelled (or when ``method``
    says so: a withdrawn invitation), else ``REQUEST``."""
    method = method or ("CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST")
    with translation.override(language or settings.LANGUAGE_CODE):
        cal = _calendar(method)
        cal.add_component(_meeting_event(meeting, attendee=attendee, cancelled=method == "CANCEL"))
    return cal.to_ical()


def meeting_ics_filename(meeting: Meeting) -> str:
    return "cancel.ics" if meeting.status == MeetingStatus.CANCELLED else "invite.ics"


def _entry_event(entry: ScheduleEntry, stamp) -> Event:
    event = Event()
    event.add("uid", schedule_uid(entry))
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.starts_at)
    if entry.ends_at:
        event.add("dtend", entry.ends_at)
    classified = entry.meeting_id is not None and bool(entry.meeting.confidentiality)
    event.add("summary", _("Classified meeting") if classified else entry.title)
    if entry.place:
        event.add("location", entry.place)
    details = []
    if not classified:
        if entry.host:
            details.append(_("In charge: %(who)s") % {"who": entry.host})
        if entry.participants:
            details.append(_("Taking part: %(who)s") % {"who": entry.participants})
        if entry.notes:
            details.append(entry.notes)
    if details:
        event.add("description", "\n".join(details))
    if entry.meeting_id is not None:
        event.add("sequence", entry.meeting.sequence)
        if entry.meeting.status == MeetingStatus.CANCELLED:
            event.add("status", "CANCELLED")
    return event


#: How far back the personal feed reaches (calendar programs keep what they fetched before).
FEED_PAST_DAYS = 60


def feed_ics(user, *, now: datetime.datetime | None = None) -> bytes:
    """The personal calendar of ``user``: the meetings they are invited to (and may see now) and the
    published schedule entries they may see, from :data:`FEED_PAST_DAYS` days ago on."""
    from . import selectors

    now = now or timezone.now()
    since = now - datetime.timedelta(days=FEED_PAST_DAYS)
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        cal = _calendar("PUBLISH")
        cal.add("x-wr-calname", _("PartyHub — %(name)s") % {"name": user.get_full_name()})
        seen: set[str] = set()
        invited = (
            selectors.meetings_visible_to(user, now)
            .filter(invitations__user_id=user.pk, starts_at__gte=since)
            .select_related("organization")
            .order_by("starts_at", "id")
        )
        for meeting in invited:
            uid = meeting_uid(meeting)
            if uid in seen:
                continue
            seen.add(uid)
            cal.add_component(_meeting_event(meeting, stamp=now))
        entries = (
            selectors.schedule_visible_to(user)
            .filter(published=True, starts_at__gte=since)
            .select_related("meeting")
            .order_by("starts_at", "id")
        )
        for entry in entries:
            uid = schedule_uid(entry)
            if uid in seen:
                continue
            seen.add(uid)
            cal.add_component(_entry_event(entry, now))
    return cal.to_ical()
