"""The library of published texts (issue 5 point 7): who may read which publication — the ONE place the rule
lives. Pages, the API, the handbook section, searches and file downloads all start from
:func:`publications_visible_to`; writes live in ``documents.services.library``.

The rule
--------
A publication is readable while it is not withdrawn and its document is still issued and unclassified
(a recall or an unpublishing takes effect at once, everywhere — downloads included). Then:

* ``public`` — everybody, signed in or not;
* ``organization`` (organization O) — every current member (probationary or official) whose cell is O or
  under O;
* ``cell`` (cell C) — the current members of C (and its secretary);
* ``committee`` (organization O) — whoever holds a position in O itself (the executive committee of a
  commune, the cell committee of a cell) or in one of O's bodies (standing committee, inspection committee,
  office staff);
* office staff (leaders, clerks, handlers of a commune committee or of its bodies) read everything published
  in their commune — for any audience — and a cell secretary everything of their cell;
* admins read everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField

from members.models import CURRENT_STATUSES, Member, Organization, OrganizationKind, Position
from members.selectors import COMMITTEE_BODY_KINDS, current_positions_q, descendant_ids

from .models import Audience, Bookmark, Confidentiality, OutgoingDocument, OutgoingStatus, Publication

__all__ = [
    "LibraryAccess",
    "ancestor_ids",
    "bookmarks_of",
    "get_publication_or_404",
    "library_access_for",
    "library_file_access",
    "public_file_check",
    "publications_visible_to",
    "search_library",
]

_CACHE_ATTR = "_partyhub_library_access"


@dataclass(frozen=True)
class LibraryAccess:
    """What one user may read in the library (see the module docstring); cached on the user object."""

    authenticated: bool = False
    is_admin: bool = False
    #: Organizations whose "all members" publications the user reads (their cell and every organization above).
    member_of_ids: frozenset[int] = frozenset()
    #: Cells whose "cell" publications the user reads.
    cell_ids: frozenset[int] = frozenset()
    #: Organizations whose "committee" publications the user reads.
    committee_ids: frozenset[int] = frozenset()
    #: Organizations of which the user reads everything (office staff: the commune tree; cell secretaries: the cell).
    staff_ids: frozenset[int] = frozenset()


def ancestor_ids(organization_id: int | None) -> set[int]:
    """``organization_id`` and every organization above it. One recursive query."""
    if organization_id is None:
        return set()
    if connection.vendor in {"postgresql", "sqlite"}:
        table = connection.ops.quote_name(Organization._meta.db_table)
        # Table and column names are ours; the value is a bound parameter. UNION stops on a cycle.
        sql = (
            f"WITH RECURSIVE up(id, parent_id) AS ("  # noqa: S608
            f"SELECT id, parent_id FROM {table} WHERE id = %s "
            f"UNION SELECT o.id, o.parent_id FROM {table} o JOIN up ON o.id = up.parent_id"
            f") SELECT id FROM up"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [organization_id])
            return {row[0] for row in cursor.fetchall()}
    found: set[int] = set()  # pragma: no cover - portable fallback
    current = Organization.objects.filter(pk=organization_id).values_list("id", "parent_id").first()
    while current is not None and current[0] not in found:  # pragma: no cover
        found.add(current[0])
        current = Organization.objects.filter(pk=current[1]).values_list("id", "parent_id").first()
    return found


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def library_access_for(user) -> LibraryAccess:
    """The facts of :class:`LibraryAccess` for ``user``: at most four queries (the member row, the current
    positions, the organizations above the member's cell, the commune trees of office staff), then cached."""
    if not _authenticated(user):
        return LibraryAccess()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = LibraryAccess(authenticated=True, is_admin=True)
        setattr(user, _CACHE_ATTR, access)
        return access
    member = Member.objects.filter(user_id=user.pk).values_list("id", "organization_id", "status").first()
    member_of: set[int] = set()
    cells: set[int] = set()
    committee: set[int] = set()
    staff_roots: set[int] = set()
    if member is not None:
        member_id, member_org, status = member
        if status in CURRENT_STATUSES:
            member_of = ancestor_ids(member_org)
            cells.add(member_org)
        positions = Position.objects.filter(current_positions_q(), member_id=member_id).values_list(
            "organization_id",
            "organization__kind",
            "organization__parent_id",
            "title__grants_leader",
            "title__grants_clerk",
            "title__grants_handler",
            "title__grants_cell_secretary",
        )
        for org_id, kind, parent_id, leader, clerk, handler, cell_secretary in positions:
            committee.add(org_id)
            in_body = kind in COMMITTEE_BODY_KINDS and parent_id is not None
            if in_body:
                committee.add(parent_id)
            if leader or clerk or handler:
                staff_roots.add(parent_id if in_body else org_id)
            if cell_secretary:
                staff_roots.add(org_id)
                cells.add(org_id)
    access = LibraryAccess(
        authenticated=True,
        member_of_ids=frozenset(member_of),
        cell_ids=frozenset(cells),
        committee_ids=frozenset(committee),
        staff_ids=frozenset(descendant_ids(staff_roots)) if staff_roots else frozenset(),
    )
    setattr(user, _CACHE_ATTR, access)
    return access


def forget_library_access(user) -> None:
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _readable() -> QuerySet[Publication]:
    """Publications that are readable at all: not withdrawn, the document issued and unclassified."""
    return Publication.objects.filter(
        withdrawn_at__isnull=True,
        document__status=OutgoingStatus.ISSUED,
        document__confidentiality=Confidentiality.NORMAL,
    )


def publications_visible_to(user) -> QuerySet[Publication]:
    """Every publication ``user`` (anonymous too) may read now (see the module docstring)."""
    qs = _readable()
    facts = library_access_for(user)
    if facts.is_admin:
        return qs
    reach = Q(audience=Audience.PUBLIC)
    if facts.member_of_ids:
        reach |= Q(audience=Audience.ORGANIZATION, organization_id__in=sorted(facts.member_of_ids))
    if facts.cell_ids:
        reach |= Q(audience=Audience.CELL, organization_id__in=sorted(facts.cell_ids))
    if facts.committee_ids:
        reach |= Q(audience=Audience.COMMITTEE, organization_id__in=sorted(facts.committee_ids))
    if facts.staff_ids:
        staff = sorted(facts.staff_ids)
        reach |= Q(organization_id__in=staff) | Q(document__organization_id__in=staff)
    return qs.filter(reach)


def get_publication_or_404(user, pk) -> Publication:
    from django.http import Http404

    try:
        return (
            publications_visible_to(user)
            .select_related(
                "document__document_type", "document__organization", "document__issued_file", "organization"
            )
            .get(pk=pk)
        )
    except (Publication.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def bookmarks_of(user) -> QuerySet[Bookmark]:
    """The user's own bookmarks of publications they may still read."""
    if not _authenticated(user):
        return Bookmark.objects.none()
    return Bookmark.objects.filter(user_id=user.pk, publication__in=publications_visible_to(user).values("pk"))


# --- search -------------------------------------------------------------------------------------------------


def search_source(publication: Publication) -> str:
    """The text the search column is made of (folded when stored)."""
    document = publication.document
    parts = [
        publication.title,
        publication.introduction,
        document.number_symbol,
        document.summary,
        document.document_type.name if document.document_type_id else "",
        document.document_type.abbreviation if document.document_type_id else "",
        document.organization.name,
        document.signer_name,
        str(document.issued_on.year) if document.issued_on else "",
        document.search_text,
    ]
    return "\n".join(p for p in parts if p)


def search_library(
    user,
    *,
    q: str = "",
    document_type: int | None = None,
    year: int | None = None,
    bookmarked: bool = False,
    public_only: bool = False,
) -> QuerySet[Publication]:
    """Publications ``user`` may read, searched without needing diacritics (every word must occur in the title,
    introduction, number, summary, type, issuer or text: ``nghi quyet chuyen doi so`` finds "Nghị quyết …
    chuyển đổi số"), filtered by type and year of issue, newest first, annotated with ``bookmarked``.
    ``public_only`` limits to the public audience (the public page)."""
    from .search import parse_query

    qs = publications_visible_to(user)
    if public_only:
        qs = qs.filter(audience=Audience.PUBLIC)
    parsed = parse_query(q)
    for word in parsed.words:
        # A word matches at the start of a word of the folded text ("so" finds "số", not "also").
        qs = qs.filter(search_text__regex=rf"(^|[^a-z0-9]){word}")
    for literal in parsed.literals:
        qs = qs.filter(search_text__contains=literal)
    if document_type:
        qs = qs.filter(document__document_type_id=document_type)
    if year:
        qs = qs.filter(document__issued_on__year=year)
    if _authenticated(user):
        mine = Bookmark.objects.filter(user_id=user.pk, publication_id=OuterRef("pk"))
        qs = qs.annotate(bookmarked=Exists(mine))
        if bookmarked:
            qs = qs.filter(bookmarked=True)
    else:
        if bookmarked:
            return qs.none()
        qs = qs.annotate(bookmarked=Value(False, output_field=BooleanField()))
    return qs.select_related(
        "document__document_type", "document__organization", "document__issued_file", "organization"
    ).order_by("-published_at", "-pk")


def library_years(user, *, public_only: bool = False) -> list[int]:
    """Years of issue of the publications ``user`` may read (for the year filter), newest first."""
    qs = publications_visible_to(user)
    if public_only:
        qs = qs.filter(audience=Audience.PUBLIC)
    years = qs.filter(document__issued_on__isnull=False).values_list("document__issued_on__year", flat=True)
    return sorted(set(years), reverse=True)


def library_types(user, *, public_only: bool = False):
    """Document types of the publications ``user`` may read (for the type filter)."""
    from .models import DocumentType

    qs = publications_visible_to(user)
    if public_only:
        qs = qs.filter(audience=Audience.PUBLIC)
    return DocumentType.objects.filter(pk__in=qs.values("document__document_type_id")).order_by("order", "name")


# --- files --------------------------------------------------------------------------------------------------


def library_file_access(user, stored_file) -> bool | None:
    """``partyhub.files`` access check: the issued file of a publication is downloadable by whoever may read
    the publication. Otherwise no opinion (``None``): other checks decide (the issuer's own access)."""
    if not OutgoingDocument.objects.filter(issued_file_id=stored_file.pk).exists():
        return None
    if publications_visible_to(user).filter(document__issued_file_id=stored_file.pk).exists():
        return True
    return None


def public_file_check(stored_file) -> bool:
    """``partyhub.files`` public check: the issued file of a publication readable by the public."""
    return _readable().filter(audience=Audience.PUBLIC, document__issued_file_id=stored_file.pk).exists()


def is_publishable_kind(audience: str, organization: Organization | None) -> bool:
    """Whether ``organization`` fits ``audience``: none for the public, a cell for a cell, an organization with
    members (a commune committee or a cell) for all members; any organization for its committee."""
    if audience == Audience.PUBLIC:
        return organization is None
    if organization is None:
        return False
    if audience == Audience.CELL:
        return organization.kind == OrganizationKind.CELL
    if audience == Audience.ORGANIZATION:
        return organization.kind not in COMMITTEE_BODY_KINDS
    return audience == Audience.COMMITTEE


# --- the member handbook -------------------------------------------------------------------------------------

#: Publications listed in the handbook's "documents" slot.
HANDBOOK_ITEMS = 5


def handbook_section(request, member):
    """The handbook's "documents" slot: the newest publications the member may read, and the library link
    (``None`` while there are none: the slot keeps its empty state)."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from members.handbook import HandbookItem, HandbookSection

    rows = list(
        publications_visible_to(request.user)
        .select_related("document__document_type")
        .order_by("-published_at", "-pk")[:HANDBOOK_ITEMS]
    )
    items = []
    for publication in rows:
        document = publication.document
        detail = " · ".join(
            part
            for part in (
                document.number_symbol,
                document.issued_on.strftime("%d/%m/%Y") if document.issued_on else "",
            )
            if part
        )
        items.append(
            HandbookItem(
                title=publication.title or document.summary,
                url=reverse("documents:library_detail", args=[publication.pk]),
                detail=detail,
                badge=document.document_type.name if document.document_type_id else "",
            )
        )
    if not items:
        return None  # the slot's own empty state
    return HandbookSection(
        title=_("Documents shared with you"),
        items=items,
        link_url=reverse("documents:library"),
        link_text=_("Open the library: search, read, bookmarks"),
        slot="documents",
    )
