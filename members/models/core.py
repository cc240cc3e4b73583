"""Organizations, terms, members and positions (domain.md §1, §4).

The foundation keeps the member record minimal; the full record arrives with the member-registry issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    CENTRAL = "central", _("Central committee")
    PROVINCE_COMMITTEE = "province_committee", _("Provincial party committee")
    COMMUNE_COMMITTEE = "commune_committee", _("Commune party committee")
    EXECUTIVE_COMMITTEE = "executive_committee", _("Executive committee")
    STANDING_COMMITTEE = "standing_committee", _("Standing committee")
    INSPECTION_COMMITTEE = "inspection_committee", _("Inspection committee")
    OFFICE = "office", _("Party committee office")
    CELL = "cell", _("Party cell")


class Organization(models.Model):
    """A node of the organization tree. External organizations (the province committee) appear only in
    document headers and as senders; nobody in PartyHub acts for them."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    code = models.CharField(
        _("symbol code"),
        max_length=20,
        help_text=_("The short code used in document symbols, e.g. ĐU, CB, VPĐU, UBKT."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_external = models.BooleanField(
        _("external"), default=False, help_text=_("Above the commune: shown in headers, not managed here.")
    )
    place_name = models.CharField(
        _("place name"), max_length=100, blank=True, help_text=_("Used in the date line, e.g. “Gò Quao”.")
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_per_parent"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="org_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Organization]:
        """Parents from the nearest up, stopping on a cycle."""
        chain: list[Organization] = []
        seen = {self.pk}
        node = self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class Term(models.Model):
    """A term (nhiệm kỳ) of an organization, from one congress to the next."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="terms"
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("e.g. 2025–2030"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["organization", "-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="term_unique_name"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")), name="term_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.name}"


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    """Standing in the party. The terminal ones keep the record for history."""

    PROBATIONARY = "probationary", _("Probationary")
    OFFICIAL = "official", _("Official")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    EXPELLED = "expelled", _("Expelled")
    REMOVED = "removed", _("Removed from the rolls")
    RESIGNED = "resigned", _("Left the party")
    DECEASED = "deceased", _("Deceased")


#: Statuses of people who are party members of the organization now.
CURRENT_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL)


class MemberActivity(models.TextChoices):
    """How a current member takes part in party life."""

    ACTIVE = "active", _("Active")
    EXEMPTED = "exempted", _("Exempted from work and activities")
    TEMPORARY_OUT = "temporary_out", _("Temporarily attending elsewhere")
    TEMPORARY_IN = "temporary_in", _("Attending here temporarily")
    SUSPENDED = "suspended", _("Suspended")


class TheoryLevel(models.TextChoices):
    """Political theory level (lý luận chính trị)."""

    NONE = "", _("None")
    ELEMENTARY = "elementary", _("Elementary")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")
    BACHELOR = "bachelor", _("Bachelor of political science")


class Member(models.Model):
    """A party member: the record of domain.md §4. Written only through ``members.services``."""

    full_name = models.CharField(_("full name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("party cell"),
        on_delete=models.PROTECT,
        related_name="members",
        help_text=_("The cell (or organization) where the member attends party activities."),
    )
    status = models.CharField(_("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.OFFICIAL)
    party_card_number = models.CharField(_("party card number"), max_length=20, blank=True)
    admission_date = models.DateField(
        _("date of admission"),
        null=True,
        blank=True,
        help_text=_(
            "The date of the admission decision (the first one, for a readmitted member): party age counts from it."
        ),
    )
    # --- identity (domain.md §4) ---
    other_names = models.CharField(_("other names"), max_length=150, blank=True)
    birthplace = models.CharField(_("place of birth"), max_length=200, blank=True)
    home_town = models.CharField(_("home town"), max_length=200, blank=True)
    permanent_address = models.CharField(_("permanent address"), max_length=300, blank=True)
    current_address = models.CharField(_("current address"), max_length=300, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=50, blank=True, default="Kinh")
    religion = models.CharField(_("religion"), max_length=50, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    id_number = models.CharField(_("citizen ID number"), max_length=12, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # --- party data ---
    personal_record_number = models.CharField(
        _("personal record number"),
        max_length=20,
        blank=True,
        help_text=_("Số lý lịch: 6 digits and the province letters."),
    )
    admission_ceremony_date = models.DateField(_("date of the admission ceremony"), null=True, blank=True)
    admission_place = models.CharField(_("admitted at (cell)"), max_length=200, blank=True)
    official_date = models.DateField(_("date of becoming official"), null=True, blank=True)
    introducer_1 = models.CharField(_("first introducer"), max_length=150, blank=True)
    introducer_2 = models.CharField(_("second introducer"), max_length=150, blank=True)
    youth_union_date = models.DateField(_("date of joining the Youth Union"), null=True, blank=True)
    activity = models.CharField(
        _("activity"), max_length=20, choices=MemberActivity.choices, default=MemberActivity.ACTIVE
    )
    serious_illness = models.BooleanField(
        _("seriously ill"), default=False, help_text=_("Allows an early badge award and a fee exemption.")
    )
    # --- qualifications ---
    general_education = models.CharField(_("general education"), max_length=20, blank=True, help_text=_("e.g. 12/12"))
    professional_qualification = models.CharField(_("professional qualification"), max_length=200, blank=True)
    political_theory = models.CharField(
        _("political theory level"), max_length=20, choices=TheoryLevel.choices, blank=True, default=""
    )
    foreign_language = models.CharField(_("foreign language"), max_length=100, blank=True)
    it_skill = models.CharField(_("IT skills"), max_length=100, blank=True)
    # --- kept by members.services, for search and list filters ---
    search_text = models.CharField(_("search text"), max_length=400, blank=True, editable=False, db_index=True)
    party_age_gap_days = models.PositiveIntegerField(_("days not counted in party age"), default=0, editable=False)
    recognition_due_date = models.DateField(_("recognition due"), null=True, blank=True, editable=False)
    next_badge_years = models.PositiveSmallIntegerField(_("next badge (years)"), null=True, blank=True, editable=False)
    next_badge_date = models.DateField(_("next badge award date"), null=True, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organization", "full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["party_card_number"], condition=~Q(party_card_number=""), name="member_unique_card"
            ),
            models.UniqueConstraint(
                fields=["personal_record_number"],
                condition=~Q(personal_record_number=""),
                name="member_unique_record_number",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="member_org_status")]

    def __str__(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    """What a position lets its holder do. ``member`` comes from membership itself, ``admin`` from the
    user's superuser flag; the others come from positions."""

    LEADER = "leader", _("Leader")
    CLERK = "clerk", _("Clerk")
    HANDLER = "handler", _("Handler")
    CELL_SECRETARY = "cell_secretary", _("Cell secretary")
    DELEGATE = "delegate", _("Delegate")
    MEMBER = "member", _("Member")
    ADMIN = "admin", _("Administrator")


class PositionTitle(models.Model):
    """A kind of office (Bí thư, Phó Bí thư, văn thư …) and the roles it grants — data, not code."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    signature_title = models.CharField(
        _("title in signature blocks"), max_length=100, blank=True, help_text=_("e.g. BÍ THƯ, PHÓ BÍ THƯ")
    )
    grants_leader = models.BooleanField(_("grants the leader role"), default=False)
    grants_clerk = models.BooleanField(_("grants the clerk role"), default=False)
    grants_handler = models.BooleanField(_("grants the handler role"), default=False)
    grants_cell_secretary = models.BooleanField(_("grants the cell secretary role"), default=False)
    grants_delegate = models.BooleanField(_("grants the delegate role"), default=False)
    order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("position title")
        verbose_name_plural = _("position titles")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def roles(self) -> set[str]:
        granted = {
            Role.LEADER: self.grants_leader,
            Role.CLERK: self.grants_clerk,
            Role.HANDLER: self.grants_handler,
            Role.CELL_SECRETARY: self.grants_cell_secretary,
            Role.DELEGATE: self.grants_delegate,
        }
        return {str(role) for role, on in granted.items() if on}


class Position(models.Model):
    """A member holding an office in an organization for a period."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="positions")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="positions"
    )
    title = models.ForeignKey(PositionTitle, verbose_name=_("title"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organization", "title__order", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="position_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.organization}: {self.member}"
