"""Home-page sections of the member registry (registered in ``MembersConfig.ready``):

* for clerks (and admins): the open correction requests of the members whose record they keep;
* for cell secretaries: the probationary members of their cell due for recognition.

A section appears only when it has something in it (pending work), like the other home sections.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from partyhub.home import HomeItem, HomeSection

from . import selectors
from .models import CorrectionStatus, Role

#: How many rows a home section lists (the link leads to the rest).
HOME_ROWS = 8


def open_corrections_section(request):
    roles = selectors.roles_for(request.user)
    if not roles & {Role.CLERK, Role.ADMIN}:
        return None
    rows = list(selectors.correction_requests_for(request.user, status=CorrectionStatus.OPEN)[: HOME_ROWS + 1])
    if not rows:
        return None  # nothing pending: the home page says so once for all sections
    url = reverse("members:correction_list")
    items = [
        HomeItem(
            title=item.member.full_name,
            url=url + f"#correction-{item.pk}",
            detail=(item.message[:120] + ("…" if len(item.message) > 120 else "")),
            badge=date_format(item.created_at.date(), "SHORT_DATE_FORMAT"),
        )
        for item in rows[:HOME_ROWS]
    ]
    return HomeSection(
        title=_("Correction requests from members"),
        items=items,
        empty_text=_("No correction requests are waiting."),
        link_url=url,
        link_text=_("All correction requests"),
    )


def recognition_due_section(request):
    access = selectors.access_for(request.user)
    cells = access.cell_roots()
    if not cells:
        return None
    today = selectors.today()
    rows = list(selectors.members_due_for_recognition(request.user).filter(organization_id__in=cells)[: HOME_ROWS + 1])
    if not rows:
        return None
    items = []
    for member in rows[:HOME_ROWS]:
        overdue = member.recognition_due_date < today
        items.append(
            HomeItem(
                title=member.full_name,
                url=reverse("members:detail", args=[member.pk]),
                detail=member.organization.name,
                badge=date_format(member.recognition_due_date, "SHORT_DATE_FORMAT"),
                tone="overdue" if overdue else "",
            )
        )
    query = "?recognition_due=on&organization=" + str(min(cells)) if len(cells) == 1 else "?recognition_due=on"
    return HomeSection(
        title=_("Members due for recognition"),
        items=items,
        empty_text=_("No probationary member of your cell is due for recognition."),
        link_url=reverse("members:list") + query,
        link_text=_("See them in the member list"),
    )


def register() -> None:
    from partyhub.home import register_section

    register_section(open_corrections_section, order=40)
    register_section(recognition_due_section, order=45)
