"""The library of published texts (issue 5 §7): issued documents published to an audience, and members'
bookmarks. Written only through ``documents.services.library``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Organization

from .outgoing import OutgoingDocument


class Audience(models.TextChoices):
    COMMITTEE = "committee", _("The committee (its members and office)")
    ORGANIZATION = "organization", _("All members of the organization")
    CELL = "cell", _("One cell")
    PUBLIC = "public", _("The public")


class Publication(models.Model):
    """An issued document made readable by an audience. Unpublishing (``withdrawn_at``) withdraws access at
    once; the row stays for the history."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="publications"
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization or cell"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The committee, organization or cell of the audience (empty for the public)."),
    )
    title = models.CharField(_("title"), max_length=500, blank=True, help_text=_("Empty: the document's summary."))
    introduction = models.TextField(_("introduction"), blank=True)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("unpublished at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unpublished by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="public", organization__isnull=True)
                | (~Q(audience="public") & Q(organization__isnull=False)),
                name="publication_audience_organization",
            ),
        ]
        indexes = [models.Index(fields=["audience", "withdrawn_at"], name="publication_audience")]

    def __str__(self) -> str:
        return self.title or str(self.document)


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="library_bookmarks"
    )
    publication = models.ForeignKey(
        Publication, verbose_name=_("publication"), on_delete=models.CASCADE, related_name="bookmarks"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bookmark")
        verbose_name_plural = _("bookmarks")
        ordering = ["user", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "publication"], name="bookmark_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.publication}"


__all__ = [
    "Audience",
    "Bookmark",
    "Publication",
]
