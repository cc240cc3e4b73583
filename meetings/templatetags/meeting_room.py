"""``{% room_panel_context meeting as room %}`` and ``{% minutes_panel_context meeting as panel %}``: what the
meeting page's "room" and "minutes" slots show (``meetings/_room_panel.html``, ``meetings/_minutes_panel.html``),
for the user of the request (helper "room")."""

from __future__ import annotations

from django import template

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def room_panel_context(context, meeting) -> dict:
    from ..models import VoteStatus
    from ..permissions import can_chair, invitation_for
    from ..services import room as room_services
    from ..services import votes as vote_services

    user = _user(context)
    runs = room_services.can_run_room(user, meeting)
    invitation = invitation_for(user, meeting)
    result = {"runs_room": runs, "invited": invitation is not None, "can_chair": can_chair(user, meeting)}
    if runs:
        result["summary"] = room_services.attendance_summary(meeting)
        votes = vote_services.votes_of(meeting)
        for vote in votes:
            vote.result = vote_services.result_text(vote)
        result["votes"] = votes
        result["open_vote"] = next((v for v in votes if v.status == VoteStatus.OPEN), None)
    return result


@register.simple_tag(takes_context=True)
def minutes_panel_context(context, meeting) -> dict:
    from ..models import Minutes
    from ..permissions import can_chair, can_take_minutes

    user = _user(context)
    allowed = bool(can_take_minutes(user, meeting) or can_chair(user, meeting))
    if not allowed:
        return {"allowed": False}
    minutes = Minutes.objects.filter(meeting=meeting).select_related("document", "resolution").first()
    return {
        "allowed": True,
        "minutes": minutes,
        "notes": meeting.speaker_notes.count(),
        "tasks": meeting.tasks.count(),
    }
