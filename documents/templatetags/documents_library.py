"""Template tags of the library: the publish panel of an outgoing document."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("documents/outgoing/_publish_panel.html", takes_context=True)
def publish_panel(context, document):
    """Publications of an outgoing document, with the publish form for those who may publish it."""
    from ..views.library import publish_panel_context

    return publish_panel_context(context.get("request"), document)
