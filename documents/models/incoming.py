"""Documents: types, registers and their counters, incoming documents with their files, directives,
handling and saved searches (domain.md §2–§3). Written only through ``documents.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Organization
from partyhub.models import StoredFile


class DocumentType(models.Model):
    """A party document type (Quy định 399-QĐ/TW) or an administrative paper, with its symbol abbreviation.
    Data, not code: the abbreviation of a type has changed before (QĐi → QĐ)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=10, help_text=_("e.g. NQ, QĐ, CT, KL, TB, CV"))
    is_administrative = models.BooleanField(
        _("administrative paper"),
        default=False,
        help_text=_("Giấy mời, giấy giới thiệu … rather than a party document type."),
    )
    issuable_by_kinds = models.JSONField(
        _("issued by organization kinds"),
        default=list,
        blank=True,
        help_text=_("Kinds of organization that may issue this type (empty: any)."),
    )
    order = models.PositiveIntegerField(_("display order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})"


class Confidentiality(models.TextChoices):
    NORMAL = "", _("Not classified")
    SECRET = "mat", _("Secret (Mật)")
    TOP_SECRET = "toi_mat", _("Top secret (Tối mật)")
    ABSOLUTE_SECRET = "tuyet_mat", _("Absolutely secret (Tuyệt mật)")


class Urgency(models.TextChoices):
    NORMAL = "", _("Normal")
    URGENT = "khan", _("Urgent (Khẩn)")
    VERY_URGENT = "thuong_khan", _("Very urgent (Thượng khẩn)")
    FLASH = "hoa_toc", _("Flash (Hỏa tốc)")


class RegisterKind(models.TextChoices):
    INCOMING = "incoming", _("Incoming documents")
    OUTGOING = "outgoing", _("Outgoing documents")


class ResetPeriod(models.TextChoices):
    YEAR = "year", _("Every calendar year")
    TERM = "term", _("Every term")
    NEVER = "never", _("Never")


class Register(models.Model):
    """A register (sổ đăng ký) of an organization: incoming or outgoing, ordinary or secret. Numbers run
    per register and period (the calendar year for incoming documents, the term for outgoing ones)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="registers"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RegisterKind.choices)
    is_secret = models.BooleanField(_("secret register"), default=False)
    name = models.CharField(_("name"), max_length=200)
    reset_period = models.CharField(_("numbering restarts"), max_length=10, choices=ResetPeriod.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["organization", "kind", "is_secret"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "is_secret"], name="register_unique_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class RegisterCounter(models.Model):
    """The last number given in a register for one period (and, for outgoing registers, one document type).
    Locked with select_for_update in the short transaction that inserts the entry: never a sequence."""

    register = models.ForeignKey(
        Register, verbose_name=_("register"), on_delete=models.PROTECT, related_name="counters"
    )
    period = models.CharField(_("period"), max_length=40, help_text=_("e.g. 2026, or the term for outgoing registers"))
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")
        constraints = [
            models.UniqueConstraint(fields=["register", "period", "document_type"], name="counter_unique_with_type"),
            models.UniqueConstraint(
                fields=["register", "period"], condition=Q(document_type__isnull=True), name="counter_unique_untyped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.register} {self.period}: {self.last_number}"


class IncomingStatus(models.TextChoices):
    DRAFT = "draft", _("Waiting to be registered")
    REGISTERED = "registered", _("Registered, waiting for a directive")
    IN_PROGRESS = "in_progress", _("Being handled")
    DONE = "done", _("Handled")
    VOID = "void", _("Voided")


class ReceivedVia(models.TextChoices):
    UPLOAD = "upload", _("Scanned or uploaded")
    EMAIL = "email", _("E-mail")
    INTERNAL = "internal", _("Electronic exchange within PartyHub")
    PAPER = "paper", _("Paper only")


class ProcessingState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Working")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class IncomingDocument(models.Model):
    """A document received by an organization: a draft until the clerk registers it, then an entry of the
    incoming register with its "số đến"."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("receiving organization"),
        on_delete=models.PROTECT,
        related_name="incoming_documents",
    )
    status = models.CharField(_("status"), max_length=20, choices=IncomingStatus.choices, default=IncomingStatus.DRAFT)
    received_via = models.CharField(_("received via"), max_length=20, choices=ReceivedVia.choices)
    received_on = models.DateField(_("date received"))
    # --- the register entry, given at registration ---
    register = models.ForeignKey(
        Register, verbose_name=_("register"), null=True, blank=True, on_delete=models.PROTECT, related_name="incoming"
    )
    period = models.CharField(_("register period"), max_length=40, blank=True)
    number = models.PositiveIntegerField(_("incoming number"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # --- metadata ---
    sender = models.CharField(_("sender"), max_length=300, blank=True)
    sender_organization = models.ForeignKey(
        Organization,
        verbose_name=_("sender in PartyHub"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    number_symbol = models.CharField(_("number and symbol"), max_length=100, blank=True, help_text=_("e.g. 57-NQ/TW"))
    document_date = models.DateField(_("document date"), null=True, blank=True)
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    signer_name = models.CharField(_("signed by"), max_length=150, blank=True)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, blank=True, default=Confidentiality.NORMAL
    )
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, blank=True, default=Urgency.NORMAL)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # --- digitizing ---
    processing_state = models.CharField(
        _("digitizing"), max_length=20, choices=ProcessingState.choices, default=ProcessingState.PENDING
    )
    processing_progress = models.PositiveSmallIntegerField(_("digitizing progress (%)"), default=0)
    processing_message = models.CharField(_("digitizing message"), max_length=300, blank=True)
    extracted_text = models.TextField(_("extracted text"), blank=True, editable=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    source_message_id = models.CharField(
        _("e-mail Message-ID"), max_length=300, blank=True, help_text=_("For documents received by e-mail.")
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # --- life cycle ---
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("incoming document")
        verbose_name_plural = _("incoming documents")
        ordering = ["-received_on", "-number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "period", "number"],
                condition=Q(number__isnull=False),
                name="incoming_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | (Q(register__isnull=False) & ~Q(period="")),
                name="incoming_number_has_register",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="incoming_org_status"),
            models.Index(fields=["organization", "received_on"], name="incoming_org_received"),
        ]

    def __str__(self) -> str:
        return self.number_symbol or self.summary[:60] or str(self.pk)

    @property
    def is_classified(self) -> bool:
        return bool(self.confidentiality)


class FileRole(models.TextChoices):
    ORIGINAL = "original", _("Original as received")
    SEARCHABLE = "searchable", _("Searchable copy (OCR)")
    RENDITION = "rendition", _("PDF rendition")
    THUMBNAIL = "thumbnail", _("First-page thumbnail")
    WORKING = "working", _("Working file")


class DocumentFile(models.Model):
    """A file of a document. Originals are never modified: OCR output, renditions and thumbnails are new
    files pointing at their original through ``derived_from``."""

    incoming = models.ForeignKey(
        IncomingDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="files"
    )
    stored_file = models.OneToOneField(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=FileRole.choices)
    derived_from = models.ForeignKey(
        "self", verbose_name=_("made from"), null=True, blank=True, on_delete=models.PROTECT, related_name="derived"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        ordering = ["incoming", "order", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.stored_file}"


class SignatureCheck(models.Model):
    """The result of validating the digital signatures of a PDF with pyHanko."""

    file = models.ForeignKey(
        DocumentFile, verbose_name=_("file"), on_delete=models.CASCADE, related_name="signature_checks"
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    signer_name = models.CharField(_("signer"), max_length=300, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    intact = models.BooleanField(_("intact"), default=False)
    trusted = models.BooleanField(_("trusted"), default=False)
    modified_after_signing = models.BooleanField(_("changed after signing"), default=False)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("signature check")
        verbose_name_plural = _("signature checks")
        ordering = ["file", "-checked_at"]

    def __str__(self) -> str:
        return self.summary or self.signer_name


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead handler")
    COOPERATE = "cooperate", _("Co-operating")
    INFORM = "inform", _("For information")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Directive(models.Model):
    """The leader's directive (bút phê) on an incoming document. A new directive replaces the previous one,
    which stays in the history (``superseded_at``)."""

    document = models.ForeignKey(
        IncomingDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="directives"
    )
    directed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("directed by"), on_delete=models.PROTECT, related_name="+"
    )
    directed_at = models.DateTimeField(_("directed at"), auto_now_add=True)
    instructions = models.TextField(_("instructions"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["document", "-directed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document"], condition=Q(superseded_at__isnull=True), name="directive_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document}: {self.instructions[:60]}"


class Assignment(models.Model):
    """One person named in a directive, with their role and progress."""

    directive = models.ForeignKey(
        Directive, verbose_name=_("directive"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=AssignmentRole.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["directive", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["directive", "user"], name="assignment_unique_person"),
            models.UniqueConstraint(fields=["directive"], condition=Q(role="lead"), name="assignment_one_lead"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(status="done"), name="assignment_done_at_only_when_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class HandlingKind(models.TextChoices):
    # With a context: "Received" alone reads as "date received" in Vietnamese.
    RECEIVED = "received", pgettext_lazy("handling history", "Received")
    REGISTERED = "registered", pgettext_lazy("handling history", "Registered")
    DIRECTED = "directed", pgettext_lazy("handling history", "Directive given")
    PROGRESS = "progress", pgettext_lazy("handling history", "Progress noted")
    ATTACHMENT = "attachment", pgettext_lazy("handling history", "Working file added")
    DONE = "done", pgettext_lazy("handling history", "Part done")
    CLOSED = "closed", pgettext_lazy("handling history", "Closed by the lead handler")
    REOPENED = "reopened", pgettext_lazy("handling history", "Reopened")
    VOIDED = "voided", pgettext_lazy("handling history", "Voided")


class HandlingEntry(models.Model):
    """The processing history of an incoming document, shown on its page."""

    document = models.ForeignKey(
        IncomingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="history"
    )
    kind = models.CharField(_("event"), max_length=20, choices=HandlingKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("note"), blank=True)
    file = models.ForeignKey(
        DocumentFile, verbose_name=_("file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("handling entry")
        verbose_name_plural = _("handling history")
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.document}: {self.get_kind_display()}"


class SavedSearch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.JSONField(_("search"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name")]

    def __str__(self) -> str:
        return self.name


class Clearance(models.Model):
    """A user's clearance to see classified documents up to ``level`` for a period (a clearance for a level
    covers the levels below it). Admins need one too. Revoke by ending ``valid_until``; never delete."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="clearances"
    )
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=[(value, label) for value, label in Confidentiality.choices if value],
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: until revoked."))
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("e.g. the decision granting it"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("clearance")
        verbose_name_plural = _("clearances")
        ordering = ["user", "-valid_from"]
        indexes = [models.Index(fields=["user", "valid_from"], name="clearance_user_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="clearance_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_level_display()}"


__all__ = [
    "Assignment",
    "AssignmentRole",
    "AssignmentStatus",
    "Clearance",
    "Confidentiality",
    "Directive",
    "DocumentFile",
    "DocumentType",
    "FileRole",
    "HandlingEntry",
    "HandlingKind",
    "IncomingDocument",
    "IncomingStatus",
    "ProcessingState",
    "ReceivedVia",
    "Register",
    "RegisterCounter",
    "RegisterKind",
    "ResetPeriod",
    "SavedSearch",
    "SignatureCheck",
    "Urgency",
]
