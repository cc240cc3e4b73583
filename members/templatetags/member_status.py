"""Template helpers of the status-history panel (``members/status/_panel.html``)."""

from __future__ import annotations

from django import template

from ..models import StatusEventKind

register = template.Library()


@register.simple_tag(takes_context=True)
def status_change_form(context, member):
    """The bound form of a failed POST when there is one, else an empty form offering ``allowed_changes``."""
    from ..views.status import StatusChangeForm

    form = context.get("status_form")
    if form is not None:
        return form
    request = context.get("request")
    return StatusChangeForm(
        member=member, user=getattr(request, "user", None), allowed=context.get("allowed_changes") or []
    )


@register.simple_tag(takes_context=True)
def status_void_form(context):
    from ..views.status import StatusVoidForm

    return context.get("void_form") or StatusVoidForm()


@register.filter
def latest_open_event(history):
    """The latest non-void event of a history list (the only one that may be voided)."""
    open_events = [e for e in history or [] if e.voided_at is None]
    if not open_events:
        return None
    return max(open_events, key=lambda e: (e.effective_date, e.pk))


@register.filter
def status_kind_label(value):
    try:
        return StatusEventKind(value).label
    except ValueError:
        return value
