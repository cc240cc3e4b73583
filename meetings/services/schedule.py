"""The weekly work schedule (lịch công tác, issue 6 point 7) and the personal iCal feed tokens.

A meeting keeps its own schedule entry (made and updated by the meeting services: title, time, place and
the chair as the person in charge follow the meeting); other events are entered by the office. Entries are
published to the members of the organization tree (``selectors.schedule_visible_to``): a meeting's entry is
published when its invitations go out (a classified meeting's never automatically).
"""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partyhub import audit

from ..models import CalendarFeed, Meeting, ScheduleEntry
from ..permissions import can_create_meeting

__all__ = [
    "ENTRY_FIELDS",
    "calendar_feed_for",
    "calendar_feed_regenerate",
    "schedule_entry_create",
    "schedule_entry_delete",
    "schedule_entry_update",
    "schedule_publish_week",
    "schedule_sync_meeting",
]

ENTRY_FIELDS = ("title", "starts_at", "ends_at", "place", "participants", "host", "notes", "published")
#: Fields that follow the meeting for a meeting's entry (change the meeting instead).
MEETING_OWNED = ("title", "starts_at", "ends_at", "place")


def can_manage_schedule(user, organization) -> bool:
    """Enter and publish the work schedule of ``organization``: whoever holds its meetings."""
    return can_create_meeting(user, organization)


def schedule_sync_meeting(*, meeting: Meeting, actor, publish: bool | None = None) -> ScheduleEntry:
    """Create or update the schedule entry of ``meeting`` (called by the meeting services, inside their
    transaction). ``publish=True`` publishes it; ``None`` keeps what the office chose."""
    entry = ScheduleEntry.objects.select_for_update().filter(meeting=meeting).first()
    values = {
        "organization": meeting.organization,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "host": meeting.chair.get_full_name() if meeting.chair_id else "",
    }
    if entry is None:
        entry = ScheduleEntry(
            meeting=meeting, created_by=actor or meeting.created_by, published=bool(publish), **values
        )
        entry.save()
        return entry
    dirty = [name for name, value in values.items() if getattr(entry, name) != value]
    if publish and not entry.published:
        entry.published = True
        dirty.append("published")
    if dirty:
        for name in dirty:
            if name != "published":
                setattr(entry, name, values[name])
        entry.save()
    return entry


def _clean(values: dict, existing: ScheduleEntry | None = None) -> dict:
    errors: dict[str, list] = {}
    cleaned = dict(values)
    for name in ("title", "place", "participants", "host", "notes"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    limits = {"title": 300, "place": 300, "participants": 500, "host": 200, "notes": 5000}
    for name, limit in limits.items():
        if len(cleaned.get(name, "")) > limit:
            errors.setdefault(name, []).append(_("This text is too long."))
    if "title" in cleaned and not cleaned["title"]:
        errors.setdefault("title", []).append(_("Say what takes place."))
    starts = cleaned.get("starts_at", getattr(existing, "starts_at", None))
    ends = cleaned.get("ends_at", getattr(existing, "ends_at", None))
    if "starts_at" in cleaned and cleaned["starts_at"] is None:
        errors.setdefault("starts_at", []).append(_("Enter when it starts."))
    if starts is not None and ends is not None and ends < starts:
        errors.setdefault("ends_at", []).append(_("It cannot end before it starts."))
    if "published" in cleaned:
        cleaned["published"] = bool(cleaned["published"])
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def schedule_entry_create(
    *,
    actor,
    organization,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    place: str = "",
    participants: str = "",
    host: str = "",
    notes: str = "",
    published: bool = False,
) -> ScheduleEntry:
    """Add an event (not a meeting) to ``organization``'s work schedule."""
    if not can_manage_schedule(actor, organization):
        raise PermissionDenied
    values = _clean(
        {
            "title": title,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": place,
            "participants": participants,
            "host": host,
            "notes": notes,
            "published": published,
        }
    )
    return ScheduleEntry.objects.create(organization=organization, created_by=actor, **values)


@transaction.atomic
def schedule_entry_update(*, actor, entry: ScheduleEntry, **changes) -> ScheduleEntry:
    """Change an entry. A meeting's title, time and place follow the meeting and are changed there."""
    unknown = set(changes) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown schedule fields: {', '.join(sorted(unknown))}")
    entry = ScheduleEntry.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=entry.pk)
    if not can_manage_schedule(actor, entry.organization):
        raise PermissionDenied
    if entry.meeting_id is not None:
        owned = [name for name in MEETING_OWNED if name in changes and changes[name] != getattr(entry, name)]
        if owned:
            raise ValidationError(
                {owned[0]: [_("This entry is a meeting: change the meeting itself.")]}, code="meeting_owned"
            )
        changes = {k: v for k, v in changes.items() if k not in MEETING_OWNED}
    cleaned = _clean(changes, entry)
    dirty = [name for name, value in cleaned.items() if getattr(entry, name) != value]
    for name in dirty:
        setattr(entry, name, cleaned[name])
    if dirty:
        entry.save()
    return entry


@transaction.atomic
def schedule_entry_delete(*, actor, entry: ScheduleEntry) -> None:
    """Remove an event from the schedule. A meeting's entry goes with the meeting (cancel it instead)."""
    if not can_manage_schedule(actor, entry.organization):
        raise PermissionDenied
    if entry.meeting_id is not None:
        raise ValidationError(_("This entry is a meeting: cancel the meeting instead."), code="meeting_owned")
    entry.delete()


@transaction.atomic
def schedule_publish_week(*, actor, organization, monday: datetime.date, published: bool = True) -> int:
    """Publish (or withdraw) every entry of ``organization`` in the week starting ``monday``; entries of
    classified meetings are never published this way. Returns how many changed."""
    if not can_manage_schedule(actor, organization):
        raise PermissionDenied
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min), tz)
    entries = ScheduleEntry.objects.filter(
        organization=organization, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=7)
    ).exclude(published=published)
    if published:
        entries = entries.exclude(meeting__confidentiality__gt="")
    count = 0
    for entry in entries.select_for_update(of=("self",)):
        entry.published = published
        entry.save(update_fields=["published", "updated_at"])
        count += 1
    audit.record(
        action="other",
        obj=organization,
        actor=actor,
        changes={
            "event": "schedule_published" if published else "schedule_withdrawn",
            "week": monday.isoformat(),
            "entries": count,
        },
    )
    return count


# --- personal iCal feed ------------------------------------------------------------------------------------------


def _token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed_for(*, user) -> CalendarFeed:
    """The user's feed token (made on first use)."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        feed = CalendarFeed.objects.create(user=user, token=_token())
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, actor) -> CalendarFeed:
    """Replace the actor's feed token: the old feed URL stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
    if feed is None:
        return CalendarFeed.objects.create(user=actor, token=_token())
    feed.token = _token()
    feed.save(update_fields=["token"])
    audit.record(action="other", obj=feed, actor=actor, changes={"event": "calendar_feed_regenerated"})
    return feed
