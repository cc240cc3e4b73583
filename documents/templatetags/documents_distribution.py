"""Template tags of the distribution: the recall/correction notice on a recipient's copy (detail page and
lists of incoming documents) and the delivery panel of an outgoing document. Every state is read through
``documents.distribution`` (the selector); the tags only choose where to show it."""

from __future__ import annotations

from django import template

from ..distribution import copy_state, flagged_copies
from ..models import IncomingDocument, ReceivedVia

register = template.Library()

_REQUEST_CACHE = "_partyhub_flagged_copies"


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def _state_for_list(context, document):
    """The state of ``document`` in a list: the flagged copies of the viewer are read once per request (one
    query for a whole page, and none at all when the page holds no copy received through PartyHub)."""
    if not isinstance(document, IncomingDocument) or document.received_via != ReceivedVia.INTERNAL:
        return None
    request = context.get("request")
    user = _user(context)
    if request is None:
        return flagged_copies(user).get(document.pk)
    cached = getattr(request, _REQUEST_CACHE, None)
    if cached is None:
        cached = flagged_copies(user)
        setattr(request, _REQUEST_CACHE, cached)
    return cached.get(document.pk)


@register.inclusion_tag("documents/distribution/_copy_notice.html", takes_context=True)
def copy_notice(context, document):
    """The prominent notice on a copy's page: "Recalled by the issuer on … : reason", "Corrected by …"."""
    state = None
    if isinstance(document, IncomingDocument) and document.received_via == ReceivedVia.INTERNAL:
        state = copy_state(_user(context), document)
    return {"state": state if state is not None and state.flagged else None}


@register.inclusion_tag("documents/distribution/_copy_badge.html", takes_context=True)
def copy_badge(context, document):
    """A small tag in lists: "Recalled" / "Corrected"."""
    return {"state": _state_for_list(context, document)}


@register.inclusion_tag("documents/outgoing/_delivery_panel.html", takes_context=True)
def delivery_panel(context, document):
    """The recipients and delivery panel of an outgoing document."""
    from ..views.distribution import delivery_panel_context

    return delivery_panel_context(context.get("request"), document)
