"""Party rules with numbers, lists or thresholds, kept as data with a validity period (domain.md §4).

Each rule set is valid from a date (or year) until the next one starts; the admin adds the next version
without a release. ``members.rules`` picks the version in force on a given day.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ProbationRule(models.Model):
    """How long probation lasts and how long the cell has to decide on recognition."""

    source = models.CharField(_("source regulation"), max_length=200)
    valid_from = models.DateField(_("valid from"), unique=True)
    probation_months = models.PositiveSmallIntegerField(_("probation (months)"), default=12)
    decision_working_days = models.PositiveSmallIntegerField(
        _("working days for the decision"),
        default=30,
        help_text=_("After probation ends, the cell decides on recognition within this many working days."),
    )
    min_admission_age = models.PositiveSmallIntegerField(
        _("minimum age at admission (years)"),
        default=18,
        help_text=_("A person must have reached this age on the admission date (Điều lệ Đảng, art. 1)."),
    )

    class Meta:
        verbose_name = _("probation rule")
        verbose_name_plural = _("probation rules")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.source} ({self.valid_from:%d/%m/%Y})"


class BadgeRule(models.Model):
    """Party badge milestones, award days and early-award allowances."""

    source = models.CharField(_("source regulation"), max_length=200)
    valid_from = models.DateField(_("valid from"), unique=True)
    milestones = models.JSONField(
        _("milestones (years of party age)"),
        default=list,
        help_text=_("e.g. [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]"),
    )
    award_days = models.JSONField(
        _("award days (day/month)"),
        default=list,
        help_text=_(
            'Days of the year on which badges are awarded, as "DD/MM", e.g. ["03/02", "19/05", "02/09", "07/11"]'
        ),
    )
    illness_early_months = models.PositiveSmallIntegerField(
        _("early award for serious illness (months), lower milestones"), default=12
    )
    illness_early_months_high = models.PositiveSmallIntegerField(
        _("early award for serious illness (months), high milestones"), default=24
    )
    high_milestone_from = models.PositiveSmallIntegerField(_("high milestones start at (years)"), default=70)
    posthumous_early_months = models.PositiveSmallIntegerField(_("early posthumous award (months)"), default=12)

    class Meta:
        verbose_name = _("badge rule")
        verbose_name_plural = _("badge rules")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.source} ({self.valid_from:%d/%m/%Y})"


class FeeCategory(models.TextChoices):
    """What a member's monthly party fee is computed from."""

    SALARY = "salary", _("Salary subject to compulsory social insurance")
    BENEFIT = "benefit", _("Sickness or maternity benefit")
    PENSION = "pension", _("Pension")
    STUDENT = "student", _("Pupil or student")
    OTHER = "other", _("Other members (share of the regional minimum wage)")


class FeeRuleSet(models.Model):
    """One regulation on party fees (342-QĐ/TW, 01-QĐ/TW …), valid from a month until the next one."""

    source = models.CharField(_("source regulation"), max_length=200)
    valid_from = models.DateField(_("valid from (first month)"), unique=True)
    exempt_party_age_years = models.PositiveSmallIntegerField(
        _("exempt from this party age (years)"),
        null=True,
        blank=True,
        help_text=_("Members with at least this many years of party age pay nothing. Empty: no such exemption."),
    )
    round_to = models.PositiveIntegerField(_("round amounts to (đồng)"), default=100, validators=[MinValueValidator(1)])
    arrears_warning_months = models.PositiveSmallIntegerField(
        _("warn after unpaid months in a year"),
        default=3,
        help_text=_("Not paying this many months in a calendar year without reason is a ground for removal."),
    )
    relief_percents = models.JSONField(
        _("allowed relief percentages"),
        default=list,
        blank=True,
        help_text=_("The percentages a relief may take, e.g. [30, 50, 70, 100] (100 = full exemption)."),
    )
    max_relief_months = models.PositiveSmallIntegerField(
        _("longest relief (months)"),
        null=True,
        blank=True,
        help_text=_("A relief decided case by case lasts at most this many months per grant. Empty: no limit."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("party fee rule set")
        verbose_name_plural = _("party fee rule sets")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.source} ({self.valid_from:%m/%Y})"


class FeeRate(models.Model):
    """The rate for one fee category under a rule set: a percentage of the declared basis or a fixed amount."""

    rule_set = models.ForeignKey(FeeRuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="rates")
    category = models.CharField(_("category"), max_length=20, choices=FeeCategory.choices)
    percent = models.DecimalField(
        _("percent of the basis"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    fixed_amount = models.PositiveIntegerField(_("fixed amount (đồng)"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("party fee rate")
        verbose_name_plural = _("party fee rates")
        ordering = ["rule_set", "category"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "category"], name="fee_rate_unique_category"),
            models.CheckConstraint(
                condition=(Q(percent__isnull=False) & Q(fixed_amount__isnull=True))
                | (Q(percent__isnull=True) & Q(fixed_amount__isnull=False)),
                name="fee_rate_percent_xor_fixed",
            ),
        ]

    def __str__(self) -> str:
        value = f"{self.percent}%" if self.percent is not None else f"{self.fixed_amount:,} đ"
        return f"{self.get_category_display()}: {value}"


class AssessmentRating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellently completed duties")
    GOOD = "good", _("Well completed duties")
    COMPLETED = "completed", _("Completed duties")
    NOT_COMPLETED = "not_completed", _("Did not complete duties")


class AssessmentScale(models.Model):
    """The annual quality assessment scale in force from a year on (366-QĐ/TW since 2025)."""

    source = models.CharField(_("source regulation"), max_length=200)
    valid_from_year = models.PositiveSmallIntegerField(_("valid from year"), unique=True)
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=100)

    class Meta:
        verbose_name = _("assessment scale")
        verbose_name_plural = _("assessment scales")
        ordering = ["-valid_from_year"]

    def __str__(self) -> str:
        return f"{self.source} ({self.valid_from_year})"


class AssessmentBand(models.Model):
    """A rating of a scale: reached with at least ``min_score`` (and the extra conditions, if any).
    Bands are tried from the highest ``min_score`` down; the first one whose conditions hold applies."""

    scale = models.ForeignKey(AssessmentScale, verbose_name=_("scale"), on_delete=models.CASCADE, related_name="bands")
    rating = models.CharField(_("rating"), max_length=20, choices=AssessmentRating.choices)
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2)
    requires_all_tasks_done = models.BooleanField(_("requires every task done"), default=False)
    min_exceeded_percent = models.DecimalField(
        _("minimum share of tasks exceeded (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("assessment band")
        verbose_name_plural = _("assessment bands")
        ordering = ["scale", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "rating"], name="assessment_band_unique_rating"),
            models.CheckConstraint(condition=Q(min_score__gte=0), name="assessment_band_min_score_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} ≥ {self.min_score}"


__all__ = [
    "AssessmentBand",
    "AssessmentRating",
    "AssessmentScale",
    "BadgeRule",
    "FeeCategory",
    "FeeRate",
    "FeeRuleSet",
    "ProbationRule",
]
