"""The meetings' sections of the home page and of the member handbook (registered in ``MeetingsConfig.ready``)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .calendar import public_title
from .models import MeetingStatus


def _when(meeting) -> str:
    return formats.date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")


def _folder_url(meeting) -> str:
    try:
        return reverse("meetings:folder", args=[meeting.pk])
    except NoReverseMatch:
        return reverse("meetings:detail", args=[meeting.pk])


def upcoming_meetings(request):
    """Home page: the next meetings the user manages or is invited to (none: no section)."""
    from partyhub.home import HomeItem, HomeSection

    user = request.user
    meetings = selectors.upcoming_meetings_for(user, limit=5)
    if not meetings:
        return None
    items = []
    for meeting in meetings:
        invited = selectors.invitation_for(user, meeting) is not None
        url = _folder_url(meeting) if invited else reverse("meetings:detail", args=[meeting.pk])
        items.append(
            HomeItem(
                title=meeting.title,
                url=url,
                detail=f"{_when(meeting)} · {meeting.place or meeting.organization.name}",
                badge=_("Invited") if invited else "",
            )
        )
    return HomeSection(
        title=_("Upcoming meetings"),
        items=items,
        empty_text=_("No upcoming meetings."),
        link_url=reverse("meetings:index"),
        link_text=_("All meetings"),
    )


def handbook_meetings(request, member):
    """Handbook slot "meetings": the member's upcoming meetings (with a link to the folder) and the
    published schedule."""
    from members.handbook import HandbookItem, HandbookSection

    user = request.user
    invitations = list(selectors.invitations_of(user)[:20])
    now = timezone.now()
    items = []
    for invitation in invitations:
        meeting = invitation.meeting
        end = meeting.ends_at or meeting.starts_at
        if end < now - timezone.timedelta(hours=4):
            continue
        items.append(
            HandbookItem(
                title=public_title(meeting) if meeting.confidentiality else meeting.title,
                url=_folder_url(meeting),
                detail=f"{_when(meeting)} · {meeting.place or meeting.organization.name}",
                badge=_("Cancelled") if meeting.status == MeetingStatus.CANCELLED else "",
            )
        )
        if len(items) >= 5:
            break
    return HandbookSection(
        title=_("Meetings"),
        items=items,
        empty_text=_("You have no upcoming meetings, comrade."),
        link_url=reverse("meetings:schedule"),
        link_text=_("The published work schedule"),
        slot="meetings",
    )
