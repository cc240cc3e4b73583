"""The member record's history and belongings: status events, fees, assessments, badges, work history,
family, awards and correction requests (domain.md §4). Written only by ``members.services``."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .core import Member, MemberActivity, MemberStatus, Organization
from .rules import AssessmentRating, AssessmentScale, FeeCategory


class StatusEventKind(models.TextChoices):
    ADMITTED = "admitted", _("Admitted (probationary)")
    RECOGNIZED = "recognized", _("Recognized as official member")
    PROBATION_FAILED = "probation_failed", _("Not recognized: removed from the rolls")
    EXEMPTED = "exempted", _("Exempted from work and activities")
    EXEMPTION_ENDED = "exemption_ended", _("Exemption ended")
    TEMPORARY_OUT = "temporary_out", _("Temporary transfer out")
    TEMPORARY_RETURN = "temporary_return", _("Returned from temporary transfer")
    TEMPORARY_IN = "temporary_in", _("Temporary transfer in")
    TEMPORARY_IN_ENDED = "temporary_in_ended", _("Temporary attendance here ended")
    TRANSFER_OUT = "transfer_out", _("Official transfer out")
    TRANSFER_IN = "transfer_in", _("Official transfer in")
    TRANSFER_WITHIN = "transfer_within", _("Moved to another cell of the organization")
    SUSPENDED = "suspended", _("Suspended")
    SUSPENSION_LIFTED = "suspension_lifted", _("Suspension lifted")
    REPRIMAND = "reprimand", _("Discipline: reprimand")
    WARNING = "warning", _("Discipline: warning")
    DISMISSAL = "dismissal", _("Discipline: removal from office")
    EXPELLED = "expelled", _("Discipline: expulsion")
    REMOVED = "removed", _("Removed from the rolls")
    RESIGNED = "resigned", _("Left the party at own request")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    CONTACT_RESTORED = "contact_restored", _("Contact restored")
    DECEASED = "deceased", _("Deceased")
    RESTORED = "restored", _("Party membership restored")
    READMITTED = "readmitted", _("Readmitted")


class MemberStatusEvent(models.Model):
    """One dated change in a member's standing, with its decision. Never edited or deleted; a mistaken entry
    is voided with a reason and the member's state recomputed."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="status_events")
    kind = models.CharField(_("change"), max_length=30, choices=StatusEventKind.choices)
    effective_date = models.DateField(_("effective date"))
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=200, blank=True)
    from_organization = models.ForeignKey(
        Organization, verbose_name=_("from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_organization = models.ForeignKey(
        Organization, verbose_name=_("to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    other_party_organization = models.CharField(
        _("organization outside PartyHub"),
        max_length=300,
        blank=True,
        help_text=_("For transfers to or from elsewhere."),
    )
    status_before = models.CharField(_("status before"), max_length=20, choices=MemberStatus.choices)
    status_after = models.CharField(_("status after"), max_length=20, choices=MemberStatus.choices)
    activity_before = models.CharField(_("activity before"), max_length=20, choices=MemberActivity.choices)
    activity_after = models.CharField(_("activity after"), max_length=20, choices=MemberActivity.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["member", "effective_date", "id"]
        indexes = [models.Index(fields=["member", "effective_date"], name="status_event_member_date")]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_kind_display()} ({self.effective_date:%d/%m/%Y})"


class WorkHistoryEntry(models.Model):
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="work_history")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    description = models.CharField(_("position and workplace"), max_length=300)

    class Meta:
        verbose_name = _("work history entry")
        verbose_name_plural = _("work history")
        ordering = ["member", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="work_history_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.description


class FamilyRelation(models.Model):
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="family")
    relation = models.CharField(_("relation"), max_length=50, help_text=_("e.g. father, mother, spouse, child"))
    full_name = models.CharField(_("full name"), max_length=150)
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True, validators=[MinValueValidator(1880), MaxValueValidator(2100)]
    )
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    is_party_member = models.BooleanField(_("party member"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family")
        ordering = ["member", "id"]

    def __str__(self) -> str:
        return f"{self.relation}: {self.full_name}"


class Award(models.Model):
    """An award or commendation (the party badge has its own model)."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="awards")
    name = models.CharField(_("award"), max_length=200)
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    awarded_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["member", "-awarded_on"]

    def __str__(self) -> str:
        return self.name


class BadgeAward(models.Model):
    """A party badge (Huy hiệu Đảng) the member has received."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="badges")
    years = models.PositiveSmallIntegerField(_("badge (years)"))
    awarded_on = models.DateField(_("awarded on"))
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    posthumous = models.BooleanField(_("posthumous"), default=False)

    class Meta:
        verbose_name = _("party badge")
        verbose_name_plural = _("party badges")
        ordering = ["member", "years"]
        constraints = [models.UniqueConstraint(fields=["member", "years"], name="badge_unique_per_member")]

    def __str__(self) -> str:
        return f"{self.member}: {self.years}"


class FeeDeclaration(models.Model):
    """What a member's fee is computed from, from a month on (until the next declaration)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="fee_declarations"
    )
    valid_from = models.DateField(_("from month"), help_text=_("The first day of the month."))
    category = models.CharField(_("category"), max_length=20, choices=FeeCategory.choices)
    basis_amount = models.PositiveBigIntegerField(
        _("monthly basis (đồng)"), default=0, help_text=_("Salary, benefit or pension the percentage applies to.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("fee declaration")
        verbose_name_plural = _("fee declarations")
        ordering = ["member", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["member", "valid_from"], name="fee_declaration_unique_month"),
            models.CheckConstraint(condition=Q(valid_from__day=1), name="fee_declaration_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_category_display()} ({self.valid_from:%m/%Y})"


class FeeExemptionKind(models.TextChoices):
    SOCIAL_PENSION = "social_pension", _("Receives a social pension")
    POOR_HOUSEHOLD = "poor_household", _("Poor or near-poor household")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    RELIEF = "relief", _("Relief decided case by case")


class FeeExemption(models.Model):
    """A full exemption or a partial relief (30/50/70 %) for a span of months (at most the rule's limit)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="fee_exemptions"
    )
    kind = models.CharField(_("reason"), max_length=20, choices=FeeExemptionKind.choices)
    relief_percent = models.PositiveSmallIntegerField(
        _("relief (%)"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    start_month = models.DateField(_("first month"))
    end_month = models.DateField(_("last month"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fee exemption or relief")
        verbose_name_plural = _("fee exemptions and reliefs")
        ordering = ["member", "-start_month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=F("start_month")),
                name="fee_exemption_end_after_start",
            ),
            models.CheckConstraint(condition=Q(start_month__day=1), name="fee_exemption_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_kind_display()} {self.relief_percent}%"


class FeePayment(models.Model):
    """The fee paid by a member for one month, recorded by the cell."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="fee_payments")
    month = models.DateField(_("month"), help_text=_("The first day of the month paid for."))
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    paid_on = models.DateField(_("paid on"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("collected by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fee payment")
        verbose_name_plural = _("fee payments")
        ordering = ["member", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="fee_payment_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="fee_payment_first_of_month"),
        ]
        indexes = [models.Index(fields=["organization", "month"], name="fee_payment_org_month")]

    def __str__(self) -> str:
        return f"{self.member}: {self.month:%m/%Y} {self.amount:,} đ"


class FeeArrearsWarning(models.Model):
    """A member found not to have paid the rule's number of months in a year: the cell secretary is told once
    per member and year (the beat task ``members.tasks.warn_fee_arrears`` keeps it idempotent)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="fee_arrears_warnings"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    unpaid_months = models.PositiveSmallIntegerField(_("unpaid months when found"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField(_("notified at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee arrears warning")
        verbose_name_plural = _("fee arrears warnings")
        ordering = ["-year", "member"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="fee_arrears_warning_unique_year")]

    def __str__(self) -> str:
        return f"{self.member}: {self.year} ({self.unpaid_months})"


class MemberAssessment(models.Model):
    """The annual quality assessment of one member; the rating is derived by the scale of that year."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    all_tasks_done = models.BooleanField(_("every task done"), default=False)
    exceeded_percent = models.DecimalField(
        _("share of tasks exceeded (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    scale = models.ForeignKey(AssessmentScale, verbose_name=_("scale"), on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("rating"), max_length=20, choices=AssessmentRating.choices)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("annual assessment")
        verbose_name_plural = _("annual assessments")
        ordering = ["member", "-year"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="assessment_unique_year")]

    def __str__(self) -> str:
        return f"{self.member}: {self.year} {self.get_rating_display()}"


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Corrected")
    REJECTED = "rejected", _("Rejected")


class CorrectionRequest(models.Model):
    """A member asking the office to correct their record."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="correction_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    field_name = models.CharField(_("what is wrong"), max_length=100, blank=True)
    message = models.TextField(_("correction asked for"))
    status = models.CharField(
        _("status"), max_length=20, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    response = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_status_display()}"
