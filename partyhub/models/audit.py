from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised when code tries to change or remove an audit entry: the trail is append-only."""


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    VIEW = "view", _("viewed")
    DOWNLOAD = "download", _("downloaded")
    LOGIN = "login", _("logged in")
    LOGOUT = "logout", _("logged out")
    LOGIN_FAILED = "login_failed", _("failed login")
    OTHER = "other", _("other")


class AuditEntryQuerySet(models.QuerySet):
    """Reads only: bulk writes would bypass the hash chain, changes and deletions would break it."""

    def update(self, **kwargs):
        raise AuditImmutableError("Audit entries cannot be changed.")

    def delete(self):
        raise AuditImmutableError("Audit entries cannot be deleted.")

    def bulk_create(self, *args, **kwargs):
        raise AuditImmutableError("Audit entries are appended one by one by partyhub.audit.record().")

    def bulk_update(self, *args, **kwargs):
        raise AuditImmutableError("Audit entries cannot be changed.")

    def update_or_create(self, *args, **kwargs):
        raise AuditImmutableError("Audit entries cannot be changed.")

    def get_or_create(self, *args, **kwargs):
        raise AuditImmutableError("Audit entries are appended only by partyhub.audit.record().")

    def create(self, **kwargs):
        raise AuditImmutableError("Audit entries are appended only by partyhub.audit.record().")


class AuditEntryManager(models.Manager.from_queryset(AuditEntryQuerySet)):
    pass


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail. Written only by ``partyhub.audit.record``.

    ``save()`` inserts a new row only when called by the recorder (which computes the chain hash under the
    chain-head lock); it refuses to update an existing row, and ``delete()`` always refuses.
    """

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        related_name="+",
        # The trail outlives users: deleting a user must not rewrite (and so break) the hashed rows.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
    )
    actor_repr = models.CharField(_("actor (as recorded)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEntryManager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutableError("Audit entries cannot be changed.")
        if not getattr(self, "_partyhub_chained", False):
            raise AuditImmutableError("Audit entries are appended only by partyhub.audit.record().")
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("Audit entries cannot be deleted.")


class AuditChainHead(models.Model):
    """A single row holding the hash of the last entry; locked while appending so the chain stays linear."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    last_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_entry_id or 0} {self.last_hash[:16]}…"
