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
    PROBATIONARY = "probationary", _("Probationary")
    OFFICIAL = "official", _("Official")


class Member(models.Model):
    """A party member. Minimal here; the registry issue extends it."""

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
    admission_date = models.DateField(_("date of admission"), null=True, blank=True)
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
            )
        ]

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
