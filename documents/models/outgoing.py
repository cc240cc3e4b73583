"""Outgoing documents (issue 5): format profiles, drafts and their versions, the review and signing state
machine, numbering in the outgoing register, signatures, recipients and delivery (domain.md §2–§3).
Written only through ``documents.services.outgoing`` (and its sibling modules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Organization
from partyhub.models import StoredFile

from .incoming import Confidentiality, DocumentType, IncomingDocument, Register, Urgency


class FormatProfile(models.Model):
    """The layout rules of official documents (Hướng dẫn 36-HD/VPTW is profile "HD36"). Data, so a newer
    guidance is a second profile added in the admin and chosen per organization (:class:`IssuerSettings`),
    not a release. Lengths are millimetres, font sizes points."""

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("e.g. HD36"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(
        _("default profile"), default=False, help_text=_("Used by organizations that have not chosen one.")
    )
    active = models.BooleanField(_("active"), default=True)
    template_name = models.CharField(
        _("template"), max_length=200, default="documents/outgoing/pdf/party_document.html"
    )
    # --- texts ---
    party_title = models.CharField(_("party title"), max_length=100, default="ĐẢNG CỘNG SẢN VIỆT NAM")
    number_word = models.CharField(_("word before the number"), max_length=20, default="Số")
    number_padding = models.PositiveSmallIntegerField(_("digits of the number (zero-padded)"), default=2)
    date_line = models.CharField(
        _("place and date line"),
        max_length=200,
        default="{place}, ngày {day} tháng {month} năm {year}",
        help_text=_("Placeholders: {place}, {day}, {month}, {year}."),
    )
    pad_days_below = models.PositiveSmallIntegerField(_("pad days below"), default=10)
    padded_months = models.JSONField(_("months written with two digits"), default=list, blank=True)
    summary_prefix_without_type = models.CharField(
        _("summary prefix of a document without a type name"), max_length=20, default="V/v"
    )
    recipients_heading = models.CharField(_("recipients heading"), max_length=50, default="Nơi nhận:")
    recipient_line_prefix = models.CharField(_("recipient line prefix"), max_length=10, default="- ", blank=True)
    recipient_line_suffix = models.CharField(_("recipient line ending"), max_length=10, default=",", blank=True)
    file_copy_line = models.CharField(_("file copy line"), max_length=200, default="Lưu Văn phòng Đảng ủy.")
    # --- page ---
    page_size = models.CharField(_("page size"), max_length=20, default="A4")
    margin_top = models.DecimalField(_("top margin (mm)"), max_digits=5, decimal_places=1, default=20)
    margin_bottom = models.DecimalField(_("bottom margin (mm)"), max_digits=5, decimal_places=1, default=20)
    margin_left = models.DecimalField(_("left margin (mm)"), max_digits=5, decimal_places=1, default=30)
    margin_right = models.DecimalField(_("right margin (mm)"), max_digits=5, decimal_places=1, default=15)
    font_family = models.CharField(_("font family"), max_length=100, default="Liberation Serif")
    header_font_size = models.DecimalField(_("header lines (pt)"), max_digits=4, decimal_places=1, default=14)
    party_title_font_size = models.DecimalField(_("party title (pt)"), max_digits=4, decimal_places=1, default=15)
    number_font_size = models.DecimalField(_("number line (pt)"), max_digits=4, decimal_places=1, default=14)
    date_font_size = models.DecimalField(_("date line (pt)"), max_digits=4, decimal_places=1, default=14)
    type_name_font_size = models.DecimalField(_("type name (pt)"), max_digits=4, decimal_places=1, default=15)
    summary_font_size = models.DecimalField(_("summary (pt)"), max_digits=4, decimal_places=1, default=14)
    body_font_size = models.DecimalField(_("body (pt)"), max_digits=4, decimal_places=1, default=14)
    signature_font_size = models.DecimalField(_("signature block (pt)"), max_digits=4, decimal_places=1, default=14)
    recipients_font_size = models.DecimalField(_("recipients (pt)"), max_digits=4, decimal_places=1, default=12)
    # --- visible signature stamps: [x, y, width, height] in mm from the bottom-left of the last page ---
    signer_stamp_box = models.JSONField(_("signer's stamp box (mm)"), default=list, blank=True)
    organization_stamp_box = models.JSONField(_("organization's stamp box (mm)"), default=list, blank=True)
    extra_css = models.TextField(_("extra CSS"), blank=True)

    class Meta:
        verbose_name = _("format profile")
        verbose_name_plural = _("format profiles")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="format_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class IssuerSettings(models.Model):
    """How one organization issues documents: its format profile and the texts of its signature block."""

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="issuer_settings"
    )
    format_profile = models.ForeignKey(
        FormatProfile, verbose_name=_("format profile"), on_delete=models.PROTECT, related_name="+"
    )
    collective_name = models.CharField(
        _("collective in signature blocks"),
        max_length=100,
        blank=True,
        help_text=_('e.g. BAN THƯỜNG VỤ, for "T/M BAN THƯỜNG VỤ"'),
    )
    file_copy_line = models.CharField(
        _("file copy line"), max_length=200, blank=True, help_text=_("Empty: the profile's line.")
    )

    class Meta:
        verbose_name = _("issuer settings")
        verbose_name_plural = _("issuer settings")

    def __str__(self) -> str:
        return str(self.organization)


class SignatureForm(models.TextChoices):
    DIRECT = "direct", _("Signs in their own name")
    ON_BEHALF = "tm", _("T/M — on behalf of the collective")
    DEPUTY = "kt", _("K/T — deputy for the head")
    BY_ORDER = "tl", _("T/L — the office by order")


class OutgoingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for review")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved, waiting for the signer")
    SIGNED = "signed", _("Signed, waiting to be issued")
    ISSUED = "issued", _("Issued")
    RECALLED = "recalled", _("Recalled")
    VOID = "void", _("Voided")


class OutgoingSource(models.TextChoices):
    COMPOSED = "composed", _("Composed in PartyHub")
    UPLOADED = "uploaded", _("Uploaded finished file")


class OutgoingDocument(models.Model):
    """A document an organization drafts, approves, signs and issues. The number is given at issue (after
    the signer has signed) from the sequence of (organization, document type, term); confidential documents
    share that sequence and are recorded in the secret register."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("issuing organization"), on_delete=models.PROTECT, related_name="outgoing"
    )
    document_type = models.ForeignKey(DocumentType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=OutgoingStatus.choices, default=OutgoingStatus.DRAFT)
    source = models.CharField(
        _("source"), max_length=20, choices=OutgoingSource.choices, default=OutgoingSource.COMPOSED
    )
    summary = models.TextField(_("summary"), help_text=_("Trích yếu"))
    body = models.TextField(_("body"), blank=True, help_text=_("Sanitized HTML (a safe subset)."))
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, blank=True, default=Confidentiality.NORMAL
    )
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, blank=True, default=Urgency.NORMAL)
    # --- people ---
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Reviews and approves. Empty: the signer."),
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signature_form = models.CharField(
        _("signature form"), max_length=10, choices=SignatureForm.choices, default=SignatureForm.ON_BEHALF
    )
    signer_title = models.CharField(_("signer's title"), max_length=100, blank=True, help_text=_("e.g. BÍ THƯ"))
    signer_name = models.CharField(_("signer's name as printed"), max_length=150, blank=True)
    collective_name = models.CharField(
        _("collective"), max_length=100, blank=True, help_text=_('e.g. BAN THƯỜNG VỤ for "T/M BAN THƯỜNG VỤ"')
    )
    # --- the register entry, given at issue ---
    register = models.ForeignKey(
        Register, verbose_name=_("register"), null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing"
    )
    period = models.CharField(_("register period"), max_length=40, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    number_symbol = models.CharField(_("number and symbol"), max_length=100, blank=True)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    copies = models.PositiveSmallIntegerField(_("number of copies"), null=True, blank=True)
    file_copy_unit = models.CharField(_("unit keeping the file copy"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    # --- files: the approved PDF the signer signs, the signer's signed copy, the issued (organization-signed) file
    final_file = models.ForeignKey(
        StoredFile,
        verbose_name=_("final PDF for signature"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_file = models.ForeignKey(
        StoredFile,
        verbose_name=_("signed by the signer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_file = models.ForeignKey(
        StoredFile, verbose_name=_("issued file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # --- life cycle ---
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    recall_reason = models.CharField(_("reason for the recall"), max_length=500, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=500, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects or replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        verbose_name = _("outgoing document")
        verbose_name_plural = _("outgoing documents")
        ordering = ["-issued_on", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "document_type", "period", "number"],
                condition=Q(number__isnull=False),
                name="outgoing_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True)
                | (Q(register__isnull=False) & ~Q(period="") & Q(issued_on__isnull=False)),
                name="outgoing_number_has_register_and_date",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="outgoing_org_status"),
            models.Index(fields=["organization", "issued_on"], name="outgoing_org_issued"),
        ]

    def __str__(self) -> str:
        return self.number_symbol or self.summary[:60] or str(self.pk)

    @property
    def is_classified(self) -> bool:
        return bool(self.confidentiality)


class OutgoingVersion(models.Model):
    """A saved state of a draft: the structured fields as they were, or the uploaded file. Versions are
    never changed; editing a draft adds one."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    fields = models.JSONField(_("fields"), default=dict, help_text=_("The draft's fields at this version."))
    uploaded_file = models.ForeignKey(
        StoredFile, verbose_name=_("uploaded file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rendition = models.ForeignKey(
        StoredFile,
        verbose_name=_("PDF of this version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("draft version")
        verbose_name_plural = _("draft versions")
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="outgoing_version_unique")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class OutgoingEventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("outgoing history", "Draft created")
    EDITED = "edited", pgettext_lazy("outgoing history", "Draft edited")
    SUBMITTED = "submitted", pgettext_lazy("outgoing history", "Submitted for review")
    RETURNED = "returned", pgettext_lazy("outgoing history", "Returned with comments")
    APPROVED = "approved", pgettext_lazy("outgoing history", "Approved")
    SIGNED = "signed", pgettext_lazy("outgoing history", "Signed by the signer")
    ISSUED = "issued", pgettext_lazy("outgoing history", "Numbered, sealed and issued")
    DELIVERED = "delivered", pgettext_lazy("outgoing history", "Delivered")
    SENT = "sent", pgettext_lazy("outgoing history", "Sent outside")
    RECALLED = "recalled", pgettext_lazy("outgoing history", "Recalled")
    CORRECTED = "corrected", pgettext_lazy("outgoing history", "Correction issued")
    VOIDED = "voided", pgettext_lazy("outgoing history", "Voided")
    PUBLISHED = "published", pgettext_lazy("outgoing history", "Published")
    UNPUBLISHED = "unpublished", pgettext_lazy("outgoing history", "Unpublished")


class OutgoingEvent(models.Model):
    """The history of an outgoing document: every transition of the state machine, with its comment."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=OutgoingEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=20, choices=OutgoingStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OutgoingStatus.choices, blank=True)
    version = models.ForeignKey(
        OutgoingVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing document event")
        verbose_name_plural = _("outgoing document history")
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.document}: {self.get_kind_display()}"


class CredentialKind(models.TextChoices):
    PKCS12 = "pkcs12", _("PKCS#12 file")
    PKCS11 = "pkcs11", _("PKCS#11 token")


class SigningCredential(models.Model):
    """A signing certificate configured by the admin: a person's own (``user``) or an organization's seal
    (``organization``). Secrets never live in the database: the PKCS#12 file and its passphrase, or the
    token's PIN, are read from the paths / environment variables named here."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=CredentialKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_credentials",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_credentials",
    )
    pkcs12_path = models.CharField(_("PKCS#12 file path"), max_length=500, blank=True)
    passphrase_env = models.CharField(
        _("passphrase environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of the environment variable (or the file named by <NAME>_FILE) holding the passphrase or PIN."
        ),
    )
    pkcs11_module = models.CharField(_("PKCS#11 module path"), max_length=500, blank=True)
    pkcs11_token_label = models.CharField(_("token label"), max_length=200, blank=True)
    pkcs11_key_label = models.CharField(_("key label"), max_length=200, blank=True)
    # --- read from the certificate when saved ---
    subject = models.CharField(_("certificate subject"), max_length=500, blank=True, editable=False)
    issuer = models.CharField(_("certificate issuer"), max_length=500, blank=True, editable=False)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, editable=False)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, blank=True, editable=False)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True, editable=False)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(organization__isnull=True))
                | (Q(user__isnull=True) & Q(organization__isnull=False)),
                name="credential_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SignatureKind(models.TextChoices):
    SIGNER = "signer", _("Signer's signature")
    ORGANIZATION = "organization", _("Organization's signature")


class AppliedSignature(models.Model):
    """A signature PartyHub applied to an outgoing document's PDF."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="signatures"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SignatureKind.choices)
    credential = models.ForeignKey(
        SigningCredential, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    result_file = models.ForeignKey(
        StoredFile, verbose_name=_("signed file"), on_delete=models.PROTECT, related_name="+"
    )
    timestamped = models.BooleanField(_("timestamped"), default=False)
    certificate_subject = models.CharField(_("certificate subject"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("applied signature")
        verbose_name_plural = _("applied signatures")
        ordering = ["document", "signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "kind"], name="signature_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.document}: {self.get_kind_display()}"


class DeliveryMethod(models.TextChoices):
    INTERNAL = "internal", _("Electronic exchange within PartyHub")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    HAND = "hand", _("By hand")
    FAX = "fax", _("Fax")
    OTHER = "other", _("Other")


class OutgoingRecipient(models.Model):
    """A recipient of an outgoing document: an organization in PartyHub (delivered to its incoming queue) or
    one outside (recorded with how and when it was sent). ``in_block`` puts it in "Nơi nhận:"."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="recipients"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization in PartyHub"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("recipient"), max_length=300, help_text=_("As printed in the recipients block."))
    address = models.CharField(_("address or e-mail"), max_length=300, blank=True)
    in_block = models.BooleanField(_("printed in the recipients block"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    method = models.CharField(_("sent by"), max_length=20, choices=DeliveryMethod.choices, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivered = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("delivered as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["document", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "organization"],
                condition=Q(organization__isnull=False),
                name="recipient_unique_organization",
            ),
        ]

    def __str__(self) -> str:
        return self.name


__all__ = [
    "AppliedSignature",
    "CredentialKind",
    "DeliveryMethod",
    "FormatProfile",
    "IssuerSettings",
    "OutgoingDocument",
    "OutgoingEvent",
    "OutgoingEventKind",
    "OutgoingRecipient",
    "OutgoingSource",
    "OutgoingStatus",
    "OutgoingVersion",
    "SignatureForm",
    "SignatureKind",
    "SigningCredential",
]
