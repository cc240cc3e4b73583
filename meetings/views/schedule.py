"""The weekly work schedule (lịch công tác): the week page (grouped by day, morning / afternoon), its PDF,
the office's entry forms, and the personal iCal feed (``/meetings/calendar/<token>.ics``, authenticated by its
token only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from partyhub.pdf import render_pdf

from .. import selectors
from ..calendar import feed_ics
from ..forms import ScheduleEntryForm, apply_errors
from ..models import CalendarFeed, ScheduleEntry
from ..services import schedule as schedule_services

#: Entries starting at or after this hour are "afternoon".
AFTERNOON_FROM = datetime.time(12, 0)


@dataclass
class Day:
    date: datetime.date
    morning: list = field(default_factory=list)
    afternoon: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.morning or self.afternoon)

    @property
    def count(self) -> int:
        return len(self.morning) + len(self.afternoon)


def monday_of(value: str | None) -> datetime.date:
    """The Monday of the week containing ``value`` (ISO date; today when missing or invalid)."""
    day = None
    if value:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
    day = day or timezone.localdate()
    return day - datetime.timedelta(days=day.weekday())


def group_week(entries, monday: datetime.date) -> list[Day]:
    days = [Day(monday + datetime.timedelta(days=i)) for i in range(7)]
    for entry in entries:
        local = timezone.localtime(entry.starts_at)
        index = (local.date() - monday).days
        if 0 <= index < 7:
            (days[index].afternoon if local.time() >= AFTERNOON_FROM else days[index].morning).append(entry)
    return days


def _week_context(request):
    monday = monday_of(request.GET.get("week"))
    managed_orgs = list(selectors.organizations_for_meetings(request.user).only("id", "name"))
    org = request.GET.get("organization", "")
    org_id = int(org) if org.isdigit() else None
    entries = list(selectors.schedule_week(request.user, monday, organization=org_id))
    days = group_week(entries, monday)
    # A member's view skips empty days; the office's (and the printed one) keeps the whole week.
    return {
        "monday": monday,
        "sunday": monday + datetime.timedelta(days=6),
        "previous_week": (monday - datetime.timedelta(days=7)).isoformat(),
        "next_week": (monday + datetime.timedelta(days=7)).isoformat(),
        "this_week": monday_of(None).isoformat(),
        "days": days,
        "entries": entries,
        "organization_id": org_id,
        "managed_organizations": managed_orgs,
        "can_manage": bool(managed_orgs),
        "organization_name": next((o.name for o in managed_orgs if o.pk == org_id), ""),
    }


@require_safe
def schedule(request):
    context = _week_context(request)
    return render(request, "meetings/schedule.html", context)


@require_safe
def schedule_pdf(request):
    context = _week_context(request)
    context["printed_at"] = timezone.localtime()
    pdf = render_pdf("meetings/schedule_pdf.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"lich-cong-tac-{context['monday']:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _entry_initial(entry: ScheduleEntry) -> dict:
    return {
        "organization": entry.organization_id,
        "title": entry.title,
        "starts_at": timezone.localtime(entry.starts_at),
        "ends_at": timezone.localtime(entry.ends_at) if entry.ends_at else None,
        "place": entry.place,
        "host": entry.host,
        "participants": entry.participants,
        "notes": entry.notes,
        "published": entry.published,
    }


def _back(entry_or_date) -> str:
    day = entry_or_date
    if isinstance(entry_or_date, ScheduleEntry):
        day = timezone.localtime(entry_or_date.starts_at).date()
    return f"{reverse('meetings:schedule')}?week={day.isoformat()}"


@require_http_methods(["GET", "HEAD", "POST"])
def schedule_entry_new(request):
    if not selectors.organizations_for_meetings(request.user).exists():
        raise Http404
    form = ScheduleEntryForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            entry = schedule_services.schedule_entry_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The entry was added to the schedule."))
            return redirect(_back(entry))
    return render(request, "meetings/schedule_entry_form.html", {"form": form, "entry": None})


def _managed_entry(request, pk) -> ScheduleEntry:
    managed = selectors.managed_meeting_org_ids(request.user)
    entries = selectors.schedule_visible_to(request.user).select_related("meeting", "organization")
    entry = get_object_or_404(entries, pk=pk)
    if managed is not None and entry.organization_id not in managed:
        raise Http404
    return entry


@require_http_methods(["GET", "HEAD", "POST"])
def schedule_entry_edit(request, pk):
    entry = _managed_entry(request, pk)
    form = ScheduleEntryForm(request.POST or None, actor=request.user, initial=_entry_initial(entry))
    if entry.meeting_id is not None:
        for name in ("organization", "title", "starts_at", "ends_at", "place"):
            form.fields[name].disabled = True
            form.fields[name].help_text = _("Follows the meeting.")
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                schedule_services.schedule_entry_delete(actor=request.user, entry=entry)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("meetings:schedule_entry_edit", pk=entry.pk)
            messages.success(request, _("The entry was removed from the schedule."))
            return redirect(_back(entry))
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("organization", None)
            if entry.meeting_id is not None:
                for name in ("title", "starts_at", "ends_at", "place"):
                    data.pop(name, None)
            try:
                schedule_services.schedule_entry_update(actor=request.user, entry=entry, **data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The entry was saved."))
                return redirect(_back(entry))
    return render(request, "meetings/schedule_entry_form.html", {"form": form, "entry": entry})


@require_POST
def schedule_publish(request):
    """Publish (or withdraw) the week of one organization."""
    orgs = {o.pk: o for o in selectors.organizations_for_meetings(request.user)}
    org = request.POST.get("organization", "")
    organization = orgs.get(int(org)) if org.isdigit() else None
    if organization is None:
        raise Http404
    monday = monday_of(request.POST.get("week"))
    publish = request.POST.get("publish", "1") == "1"
    count = schedule_services.schedule_publish_week(
        actor=request.user, organization=organization, monday=monday, published=publish
    )
    if publish:
        messages.success(request, _("%(count)s entries were published.") % {"count": count})
    else:
        messages.success(request, _("%(count)s entries were withdrawn.") % {"count": count})
    return redirect(f"{_back(monday)}&organization={organization.pk}")


# --- the personal iCal feed ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request):
    """The user's feed URL (to paste into a calendar program), and making a new one."""
    if request.method == "POST":
        schedule_services.calendar_feed_regenerate(actor=request.user)
        messages.success(request, _("A new calendar address was made; the old one no longer works."))
        return redirect("meetings:calendar")
    feed = schedule_services.calendar_feed_for(user=request.user)
    url = request.build_absolute_uri(reverse("meetings:ical_feed", args=[feed.token]))
    return render(request, "meetings/calendar.html", {"feed": feed, "feed_url": url})


@login_not_required
@require_safe
def ical_feed(request, token):
    """``/meetings/calendar/<token>.ics``: the user's invitations and the published schedule they may see.
    Authenticated by the token alone (calendar programs send no cookies); an unknown token answers 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first() if token else None
    if feed is None or not feed.user.is_active:
        raise Http404
    response = HttpResponse(feed_ics(feed.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="partyhub.ics"'
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


__all__ = [
    "calendar_settings",
    "group_week",
    "ical_feed",
    "monday_of",
    "schedule",
    "schedule_entry_edit",
    "schedule_entry_new",
    "schedule_pdf",
    "schedule_publish",
]
