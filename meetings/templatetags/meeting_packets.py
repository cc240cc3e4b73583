"""``{% packet_panel_context meeting as panel %}``: the office's packet panel context, for pages that include
``meetings/_packet_panel.html`` without computing it in their view (the meeting page's "packet" slot)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def packet_panel_context(meeting) -> dict:
    """The caller has checked that the user manages ``meeting`` (``can_manage`` in the meeting page)."""
    from ..views.packets import packet_panel_context as context_for

    return context_for(meeting)
