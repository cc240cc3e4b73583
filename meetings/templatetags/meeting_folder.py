"""``{% folder_readiness meeting as readiness %}``: which delegates' tablets hold the meeting folder offline
(for the office's meeting page; the including view has checked that the user manages the meeting)."""

from django import template

from ..folder import folder_readiness as _folder_readiness

register = template.Library()


@register.simple_tag
def folder_readiness(meeting):
    return _folder_readiness(meeting)
