"""Writes of the library of published texts (issue 5 point 7): publishing an issued document to an audience,
unpublishing it (access ends at once: ``documents.library`` reads ``withdrawn_at``), and members' bookmarks.
Who may read what is decided in ``documents.library`` only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.models import Organization
from partyhub.text import clean, fold

from ..models import (
    Audience,
    Bookmark,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingEventKind,
    OutgoingStatus,
    Publication,
)

__all__ = [
    "bookmark_toggle",
    "can_publish",
    "publication_create",
    "publication_withdraw",
    "publishing_organization_ids",
    "refresh_publication_search_text",
]

TITLE_MAX = Publication._meta.get_field("title").max_length
INTRODUCTION_MAX = 5000


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def publishing_organization_ids(user) -> frozenset[int] | None:
    """Organizations ``user`` publishes for (``None`` = every one, for admins): clerks and leaders publish for
    their commune's tree, a cell secretary for their cell."""
    from ..selectors import document_access_for

    if not _authenticated(user):
        return frozenset()
    facts = document_access_for(user)
    if facts.is_admin:
        return None
    return facts.office_org_ids | facts.cell_org_ids


def can_publish(user, document: OutgoingDocument) -> bool:
    """Publish (or unpublish) ``document``: a clerk or leader of the issuing organization's commune, the
    secretary of an issuing cell, an admin."""
    if document is None:
        return False
    ids = publishing_organization_ids(user)
    return ids is None or document.organization_id in ids


def refresh_publication_search_text(publication: Publication) -> str:
    from ..library import search_source

    text = fold(search_source(publication))
    publication.search_text = text
    if publication.pk is not None:
        Publication.objects.filter(pk=publication.pk).update(search_text=text)
    return text


@transaction.atomic
def publication_create(
    *,
    actor,
    document: OutgoingDocument,
    audience: str,
    organization: Organization | None = None,
    title: str = "",
    introduction: str = "",
) -> Publication:
    """Publish the issued ``document`` to ``audience`` (the public, or the committee / all members / one cell
    of ``organization``). Only issued, unclassified documents with their issued file; the organization of the
    audience must be one the actor publishes for. The same document cannot be published twice to the same
    audience at the same time."""
    from ..library import is_publishable_kind

    document = (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("organization", "document_type")
        .get(pk=document.pk)
    )
    if not can_publish(actor, document):
        raise PermissionDenied
    if document.status != OutgoingStatus.ISSUED:
        raise ValidationError(_("Only an issued document can be published."), code="not_issued")
    if document.confidentiality:
        raise ValidationError(_("A classified document cannot be published."), code="classified")
    if not document.issued_file_id:
        raise ValidationError(_("This document has no issued file to publish."), code="no_file")
    errors: dict = {}
    if audience not in Audience.values:
        errors["audience"] = _("Choose who may read it.")
    elif audience == Audience.PUBLIC:
        organization = None
    elif organization is None:
        errors["organization"] = _("Choose the organization or cell of the audience.")
    else:
        allowed = publishing_organization_ids(actor)
        if allowed is not None and organization.pk not in allowed:
            errors["organization"] = _("You cannot publish to this organization.")
        elif not is_publishable_kind(audience, organization):
            if audience == Audience.CELL:
                errors["organization"] = _("Choose a cell for this audience.")
            else:
                errors["organization"] = _(
                    "Choose the commune committee or a cell: this one has no members of its own."
                )
    title = clean(title)
    if len(title) > TITLE_MAX:
        errors["title"] = format_lazy(_("Keep it under {limit} characters."), limit=TITLE_MAX)
    introduction = (introduction or "").strip()
    if len(introduction) > INTRODUCTION_MAX:
        errors["introduction"] = format_lazy(_("Keep it under {limit} characters."), limit=INTRODUCTION_MAX)
    if errors:
        raise ValidationError(errors)
    if Publication.objects.filter(
        document=document, audience=audience, organization=organization, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(_("The document is already published to this audience."), code="duplicate")
    publication = Publication(
        document=document,
        audience=audience,
        organization=organization,
        title=title,
        introduction=introduction,
        published_by=actor,
    )
    publication.document = document
    from ..library import search_source

    publication.search_text = fold(search_source(publication))
    publication.save()
    OutgoingEvent.objects.create(
        document=document,
        kind=OutgoingEventKind.PUBLISHED,
        actor=actor,
        comment=_publication_label(publication),
    )
    return publication


def _publication_label(publication: Publication) -> str:
    label = str(Audience(publication.audience).label)
    if publication.organization_id:
        return gettext("%(audience)s: %(organization)s") % {
            "audience": label,
            "organization": publication.organization.name,
        }
    return label


@transaction.atomic
def publication_withdraw(*, actor, publication: Publication) -> Publication:
    """Unpublish: readers lose access at once (pages, API, downloads). The row stays for the history."""
    publication = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("document", "organization")
        .get(pk=publication.pk)
    )
    if not can_publish(actor, publication.document):
        raise PermissionDenied
    if publication.withdrawn_at is not None:
        raise ValidationError(_("This publication was already withdrawn."), code="withdrawn")
    publication.withdrawn_at = timezone.now()
    publication.withdrawn_by = actor
    publication.save(update_fields=["withdrawn_at", "withdrawn_by"])
    OutgoingEvent.objects.create(
        document=publication.document,
        kind=OutgoingEventKind.UNPUBLISHED,
        actor=actor,
        comment=_publication_label(publication),
    )
    return publication


def bookmark_toggle(*, actor, publication: Publication) -> bool:
    """Bookmark ``publication`` for ``actor``, or remove the bookmark; returns whether it is bookmarked now.
    Only a publication the actor may read (else ``PermissionDenied``)."""
    from ..library import publications_visible_to

    if not _authenticated(actor):
        raise PermissionDenied
    if not publications_visible_to(actor).filter(pk=publication.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        deleted, _rows = Bookmark.objects.filter(user=actor, publication_id=publication.pk).delete()
        if deleted:
            return False
        try:
            with transaction.atomic():
                Bookmark.objects.create(user=actor, publication_id=publication.pk)
        except IntegrityError:
            pass  # a double click: the other request made it
        return True
