"""Home-page section of the party fee area: a cell secretary's way to this month's fee sheet of their cell,
with what has been collected so far. Registered from ``MembersConfig.ready``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import fees, selectors
from .models import Organization, OrganizationKind, Role
from .templatetags.member_fees import percent as percent_text


def fee_sheet_section(request):
    """For cell secretaries: each of their cells, this month's collection and a link to the sheet."""
    from partyhub.home import HomeItem, HomeSection

    access = selectors.access_for(request.user)
    if Role.CELL_SECRETARY not in access.roles:
        return None
    cells = list(
        Organization.objects.filter(pk__in=access.cell_roots(), kind=OrganizationKind.CELL, is_external=False).order_by(
            "order", "name"
        )
    )
    if not cells:
        return None
    month = selectors.today().replace(day=1)
    rates = fees.collection_rates([c.pk for c in cells], month=month)
    items = []
    for cell in cells:
        due, paid, percent = rates.get(cell.pk, (0, 0, None))
        detail = _("Collected %(paid)s of %(due)s") % {"paid": fees.format_money(paid), "due": fees.format_money(due)}
        items.append(
            HomeItem(
                title=_("Party fees %(month)s: %(cell)s") % {"month": f"{month:%m/%Y}", "cell": cell.name},
                url=f"{reverse('members:fees', args=[cell.pk])}?month={month:%Y-%m}",
                detail=detail,
                badge=percent_text(percent) if percent is not None else "",
            )
        )
    return HomeSection(title=gettext_lazy("Party fees this month"), items=items)


def register() -> None:
    from partyhub.home import register_section

    register_section(fee_sheet_section, order=30)
