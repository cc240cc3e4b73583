"""The cell dashboard and the committee dashboard (figures and charts of the member registry).

Who sees what (``members.permissions``): a cell's dashboard — its cell secretary, the leaders and the office
of the commune, administrators; the committee dashboard — the leaders and the office of the commune,
administrators. Anything else answers 404, like a missing page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import dashboards, permissions, selectors


@require_GET
def cell_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    cell = get_object_or_404(selectors.cell_organizations_visible_to(request.user), pk=pk)
    if not permissions.can_view_cell_dashboard(request.user, cell):
        raise Http404
    dashboard = dashboards.cell_dashboard(cell)
    committees = selectors.dashboard_committees_for(request.user)
    parent_link = cell.parent if cell.parent_id and any(c.pk == cell.parent_id for c in committees) else None
    return render(
        request,
        "members/dashboards/cell.html",
        {"dashboard": dashboard, "cell": cell, "committee": parent_link},
    )


@require_GET
def committee_dashboard(request: HttpRequest) -> HttpResponse:
    committees = list(selectors.dashboard_committees_for(request.user))
    if not committees:
        raise Http404
    wanted = request.GET.get("organization")
    committee = committees[0]
    if wanted:
        committee = next((c for c in committees if str(c.pk) == wanted), None)
        if committee is None:
            raise Http404
    if not permissions.can_view_committee_dashboard(request.user, committee):
        raise Http404
    dashboard = dashboards.committee_dashboard(committee)
    return render(
        request,
        "members/dashboards/committee.html",
        {"dashboard": dashboard, "committee": committee, "committees": committees},
    )
