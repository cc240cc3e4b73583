"""Writes to the member record: create, update, its work history, family and awards, and correction
requests from the handbook.

Conventions as in ``organizations.py``: keyword-only, ``actor=`` (``None`` = the system: no permission
check, never skipping validation), one transaction, ``ValidationError`` keyed by field with translated
messages. The organization (cell) and the status are not written here: they change only through status
events (``members.services.status``).

Field rules (checked by :func:`validate_member_fields`, used by the forms and the API too):

* names are cleaned (``partyhub.text.clean``) and hold letters, spaces, ``'``, ``-`` and ``.`` only;
* dates are not in the future and come in order: birth < Youth Union < admission ≤ admission ceremony <
  becoming official; the member is at least the minimum age (18, Điều lệ art. 1; kept in
  ``ProbationRule.min_admission_age``) on the admission date;
* citizen ID (căn cước): exactly 12 digits; the first three are a province code (001–096), the fourth
  encodes century and sex and the fifth and sixth the year of birth — checked against the record when
  those are known;
* phone: a Vietnamese number, stored as ``0…`` without spaces: a mobile ``0[35789]`` + 8 digits, or a
  landline ``02`` + 9 digits; ``+84``/``84`` prefixes are accepted and rewritten;
* personal record number (số lý lịch): six digits followed by the province letters (1 to 4 capital
  letters, Đ allowed), stored without separator, e.g. ``012345KG``; input may use a space, ``-``, ``/`` or
  ``.`` between the two parts and lower case;
* party card number: 6 to 12 digits, stored without the spaces or dots people type;
* card and record numbers are unique among members (a clear message, before the database says so).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partyhub.text import clean, fold

from .. import permissions, selectors
from ..models import (
    CURRENT_STATUSES,
    Award,
    CorrectionRequest,
    CorrectionStatus,
    FamilyRelation,
    Member,
    MemberStatus,
    Organization,
    ProbationRule,
    WorkHistoryEntry,
)
from ..rules import RuleBook, in_force
from ._common import _as, _require

#: The fields of the record a clerk edits (and the API may write). Not: organization, status, activity
#: (status events), the user link (administrators), the cached columns (services).
MEMBER_RECORD_FIELDS: tuple[str, ...] = (
    "full_name",
    "other_names",
    "sex",
    "date_of_birth",
    "birthplace",
    "home_town",
    "permanent_address",
    "current_address",
    "ethnicity",
    "religion",
    "occupation",
    "id_number",
    "phone",
    "email",
    "personal_record_number",
    "party_card_number",
    "admission_date",
    "admission_ceremony_date",
    "admission_place",
    "official_date",
    "introducer_1",
    "introducer_2",
    "youth_union_date",
    "serious_illness",
    "general_education",
    "professional_qualification",
    "political_theory",
    "foreign_language",
    "it_skill",
)

#: Fields that name a person (stricter: letters only).
NAME_FIELDS = ("full_name", "other_names", "introducer_1", "introducer_2")
DATE_FIELDS = ("date_of_birth", "youth_union_date", "admission_date", "admission_ceremony_date", "official_date")
#: The minimum age at admission when no probation rule says otherwise (Điều lệ Đảng, art. 1).
DEFAULT_MIN_ADMISSION_AGE = 18

#: Longest correction request, in characters.
CORRECTION_MAX_CHARS = 2000
#: A member may have this many requests open at once (the office answers them one by one).
CORRECTION_MAX_OPEN = 5

ID_NUMBER_RE = re.compile(r"^\d{12}$")
PHONE_RE = re.compile(r"^(0[35789]\d{8}|02\d{9})$")
RECORD_NUMBER_RE = re.compile(r"^(\d{6})[\s\-/.]*([A-ZĐ]{1,4})$")
CARD_NUMBER_RE = re.compile(r"^\d{6,12}$")
EDUCATION_RE = re.compile(r"^\d{1,2}/(10|12)$")
_NAME_EXTRA = set(" '-.")
# The 4th digit of a căn cước number: (century, female?) of the holder.
_ID_CENTURY_SEX = {
    "0": (1900, False),
    "1": (1900, True),
    "2": (2000, False),
    "3": (2000, True),
    "4": (2100, False),
    "5": (2100, True),
    "6": (2200, False),
    "7": (2200, True),
    "8": (1800, False),
    "9": (1800, True),
}


def _d(value: datetime.date | None) -> str:
    """Dates in messages always in the Vietnamese form (dd/mm/yyyy), whatever the language."""
    return value.strftime("%d/%m/%Y") if value else "…"


# --- normalizing and checking single fields ---------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """Digits only, with ``+84``/``84`` rewritten to ``0`` ("+84 912.345.678" → "0912345678")."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


def normalize_record_number(value: str) -> str:
    """ "012345-kg" → "012345KG"; anything not of the pattern is returned cleaned, for the error message."""
    text = clean(value).upper()
    match = RECORD_NUMBER_RE.match(text)
    if not match:
        return text
    return match.group(1) + match.group(2)


def _is_name(text: str) -> bool:
    return all(ch in _NAME_EXTRA or unicodedata.category(ch)[0] in "LM" for ch in text)


def _age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def min_admission_age(on: datetime.date, *, probation_rules: RuleBook | None = None) -> int:
    """The minimum age at admission by the probation rule in force on ``on`` (18 without a rule). Loops over
    many rows pass ``probation_rules`` (a RuleBook loaded once) instead of querying per row."""
    rule = probation_rules.on(on) if probation_rules is not None else in_force(ProbationRule, on)
    value = getattr(rule, "min_admission_age", None) if rule is not None else None
    return value or DEFAULT_MIN_ADMISSION_AGE


def _id_number_problem(id_number: str, *, birth: datetime.date | None, sex: str) -> str | None:
    if not ID_NUMBER_RE.match(id_number):
        return _("The citizen ID number has exactly 12 digits.")
    if not 1 <= int(id_number[:3]) <= 96:
        return _("The first 3 digits of the citizen ID number must be a province code (001 to 096).")
    century, female = _ID_CENTURY_SEX[id_number[3]]
    if birth is not None and century + int(id_number[4:6]) != birth.year:
        return _("The citizen ID number does not match the date of birth (its 4th to 6th digits encode the year).")
    if sex and (sex == "female") != female:
        return _("The citizen ID number does not match the sex (its 4th digit encodes it).")
    return None


def validate_member_fields(
    data: Mapping,
    *,
    instance: Member | None = None,
    today: datetime.date | None = None,
    probation_rules: RuleBook | None = None,
) -> dict:
    """Check and normalize the record fields in ``data`` (a subset of :data:`MEMBER_RECORD_FIELDS`; the
    others are taken from ``instance`` for the cross-field checks).

    Returns the normalized values of the given fields; raises ``ValidationError`` with every problem found,
    keyed by field.
    """
    unknown = set(data) - set(MEMBER_RECORD_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    values: dict = {}
    for name in data:
        value = data[name]
        field = Member._meta.get_field(name)
        if isinstance(field, models.CharField):
            value = clean(value if value is not None else "")
        values[name] = value

    # Names.
    if ("full_name" in values or instance is None) and not values.get("full_name"):
        fail("full_name", _("The full name is required."))
    for name in NAME_FIELDS:
        if values.get(name) and not _is_name(values[name]):
            fail(name, _("A name may contain only letters, spaces, apostrophes, hyphens and dots."))

    # Identifiers.
    if values.get("id_number"):
        values["id_number"] = re.sub(r"[\s.\-]", "", values["id_number"])
    if values.get("phone"):
        values["phone"] = normalize_phone(values["phone"])
        if not PHONE_RE.match(values["phone"]):
            fail(
                "phone",
                _(
                    "Enter a Vietnamese phone number: 10 digits starting with 03, 05, 07, 08 or 09 "
                    "(e.g. 0912 345 678), or a landline of 11 digits starting with 02."
                ),
            )
    if values.get("personal_record_number"):
        values["personal_record_number"] = normalize_record_number(values["personal_record_number"])
        if not re.fullmatch(r"\d{6}[A-ZĐ]{1,4}", values["personal_record_number"]):
            fail(
                "personal_record_number",
                _("The personal record number is 6 digits followed by the province letters, e.g. 012345KG."),
            )
    if values.get("party_card_number"):
        values["party_card_number"] = re.sub(r"[\s.]", "", values["party_card_number"])
        if not CARD_NUMBER_RE.match(values["party_card_number"]):
            fail("party_card_number", _("The party card number is made of digits only (6 to 12 of them)."))
    if values.get("general_education") and not EDUCATION_RE.match(values["general_education"]):
        fail("general_education", _("Write the general education as grade/system, e.g. 12/12 or 9/10."))
    if values.get("political_theory"):
        choices = {value for value, _label in Member._meta.get_field("political_theory").choices}
        if values["political_theory"] not in choices:
            fail("political_theory", _("Choose a political theory level from the list."))
    if values.get("sex") and values["sex"] not in {"male", "female"}:
        fail("sex", _("Choose male or female."))

    # Dates: each not in the future, then in order.
    def current(name):
        if name in values:
            return values[name]
        return getattr(instance, name, None) if instance is not None else None

    for name in DATE_FIELDS:
        value = values.get(name)
        if value is not None and not isinstance(value, datetime.date):
            fail(name, _("Enter a valid date."))
        elif value is not None and value > today:
            fail(name, _("This date cannot be in the future."))
    dates = {name: current(name) for name in DATE_FIELDS}
    if not all(isinstance(v, datetime.date) or v is None for v in dates.values()):
        raise ValidationError(errors)
    birth = dates["date_of_birth"]
    youth = dates["youth_union_date"]
    admission = dates["admission_date"]
    ceremony = dates["admission_ceremony_date"]
    official = dates["official_date"]
    if birth and youth and youth <= birth:
        fail("youth_union_date", _("The Youth Union date must be after the date of birth."))
    if admission:
        if birth and admission <= birth:
            fail("admission_date", _("The admission date must be after the date of birth."))
        elif youth and admission <= youth:
            fail(
                "admission_date",
                _("The admission date must be after the Youth Union date (%(date)s).") % {"date": _d(youth)},
            )
        if birth and admission > birth:
            minimum = min_admission_age(admission, probation_rules=probation_rules)
            age = _age_on(birth, admission)
            if age < minimum:
                fail(
                    "admission_date",
                    _(
                        "A member must be at least %(minimum)s years old when admitted; on %(date)s this person "
                        "was %(age)s."
                    )
                    % {"minimum": minimum, "date": _d(admission), "age": age},
                )
    if ceremony and admission and ceremony < admission:
        fail(
            "admission_ceremony_date",
            _("The admission ceremony cannot be before the admission decision (%(date)s).") % {"date": _d(admission)},
        )
    if official:
        if ceremony and official <= ceremony:
            fail(
                "official_date",
                _("The date of becoming official must be after the admission ceremony (%(date)s).")
                % {"date": _d(ceremony)},
            )
        elif admission and official <= admission:
            fail(
                "official_date",
                _("The date of becoming official must be after the admission date (%(date)s).")
                % {"date": _d(admission)},
            )

    # The ID number against birth and sex (when its own form is right).
    id_number = current("id_number")
    if id_number and "id_number" not in errors and ({"id_number", "date_of_birth", "sex"} & set(values)):
        problem = _id_number_problem(id_number, birth=birth, sex=current("sex") or "")
        if problem:
            fail("id_number", problem)

    # Uniqueness (the database constraints stay the last word).
    others = Member.objects.all()
    if instance is not None and instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    card = values.get("party_card_number")
    if card and "party_card_number" not in errors and others.filter(party_card_number=card).exists():
        fail("party_card_number", _("Another member already has this party card number."))
    record_number = values.get("personal_record_number")
    if (
        record_number
        and "personal_record_number" not in errors
        and others.filter(personal_record_number=record_number).exists()
    ):
        fail("personal_record_number", _("Another member already has this personal record number."))

    if errors:
        raise ValidationError(errors)
    return values


def search_text_for(member: Member) -> str:
    """The folded text the list searches: names, other names, card and record numbers."""
    parts = [member.full_name, member.other_names, member.party_card_number, member.personal_record_number]
    limit = Member._meta.get_field("search_text").max_length
    return fold(" ".join(p for p in parts if p))[:limit]


def _refresh_facts(member: Member) -> None:
    """Recompute the cached facts (party age gaps, recognition due, next badge) when the status area has
    provided ``member_refresh_facts``; until then the columns keep what they hold."""
    try:
        from .status import member_refresh_facts
    except ImportError:
        return
    member_refresh_facts(member, save=True)


def _initial_status(values: Mapping) -> str:
    return MemberStatus.OFFICIAL if values.get("official_date") else MemberStatus.PROBATIONARY


# --- the record -------------------------------------------------------------------------------------------


@transaction.atomic
def member_create(*, actor, organization: Organization, status: str | None = None, **fields) -> Member:
    """Add the record of a member of ``organization``.

    ``fields`` are record fields (:data:`MEMBER_RECORD_FIELDS`). The status starts as official when the
    date of becoming official is known, probationary otherwise; ``status`` may say so explicitly for
    records entered from paper or imported (only a current status: the others come from status events).
    """
    if actor is not None:
        _require(permissions.can_create_member(actor, organization))
    if organization is None or organization.is_external:
        raise ValidationError({"organization": _("Members belong to an organization of the commune.")})
    values = validate_member_fields(fields, instance=None)
    if status is None:
        status = _initial_status(values)
    if status not in CURRENT_STATUSES:
        raise ValidationError({"status": _("A new record starts as a probationary or official member.")})
    member = Member(organization=organization, status=status, **values)
    member.search_text = search_text_for(member)
    with _as(actor):
        member.save()
        _refresh_facts(member)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, **fields) -> Member:
    """Change record fields of ``member`` (only :data:`MEMBER_RECORD_FIELDS`; the cell and the status
    change through status events). Keeps ``search_text`` and the cached facts up to date."""
    if actor is not None:
        _require(permissions.can_manage_member(actor, member))
    member = Member.objects.select_for_update().get(pk=member.pk)
    values = validate_member_fields(fields, instance=member)
    changed = [name for name, value in values.items() if getattr(member, name) != value]
    for name in changed:
        setattr(member, name, values[name])
    search_text = search_text_for(member)
    if search_text != member.search_text:
        member.search_text = search_text
        changed.append("search_text")
    if not changed:
        return member
    with _as(actor):
        member.save(update_fields=changed)
        if {"admission_date", "admission_ceremony_date", "official_date", "serious_illness"} & set(changed):
            _refresh_facts(member)
    return member


#: The rows of the record edited inline, with the member relation they hang on.
RELATED_MODELS = (WorkHistoryEntry, FamilyRelation, Award)


def validate_related_row(row: models.Model, today: datetime.date, *, full_clean: bool = True) -> None:
    """Check (and clean the text of) a work history, family or award row; ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    if isinstance(row, WorkHistoryEntry):
        row.description = clean(row.description)
        if row.start_date and row.start_date > today:
            errors.setdefault("start_date", []).append(_("This date cannot be in the future."))
        if row.start_date and row.end_date and row.end_date < row.start_date:
            errors.setdefault("end_date", []).append(_("The end date cannot be before the start date."))
    elif isinstance(row, FamilyRelation):
        row.full_name = clean(row.full_name)
        row.relation = clean(row.relation)
        row.occupation = clean(row.occupation)
        if row.full_name and not _is_name(row.full_name):
            errors.setdefault("full_name", []).append(
                _("A name may contain only letters, spaces, apostrophes, hyphens and dots.")
            )
        if row.birth_year and row.birth_year > today.year:
            errors.setdefault("birth_year", []).append(_("The year of birth cannot be in the future."))
    elif isinstance(row, Award):
        row.name = clean(row.name)
        row.decision_number = clean(row.decision_number)
        if row.awarded_on and row.awarded_on > today:
            errors.setdefault("awarded_on", []).append(_("This date cannot be in the future."))
    if errors:
        raise ValidationError(errors)
    if full_clean:
        row.full_clean(exclude=["member"])


@transaction.atomic
def member_related_save(
    *, actor, member: Member, save: Iterable[models.Model] = (), delete: Iterable[models.Model] = ()
) -> None:
    """Save (new or changed) and delete rows of ``member``'s work history, family and awards — all or
    nothing. Rows of another member are refused."""
    if actor is not None:
        _require(permissions.can_manage_member(actor, member))
    today = timezone.localdate()
    save, delete = list(save), list(delete)
    for row in [*save, *delete]:
        if not isinstance(row, RELATED_MODELS):
            raise TypeError(f"member_related_save does not handle {type(row).__name__}")
        if row.pk is not None and row.member_id != member.pk:
            _require(False)
    for row in save:
        row.member = member
        validate_related_row(row, today)
    with _as(actor):
        for row in delete:
            if row.pk is not None:
                row.delete()
        for row in save:
            row.save()


# --- correction requests ----------------------------------------------------------------------------------


def correction_topic_label(field_name: str) -> str:
    """The label of what a request is about (a record field's name, or "other")."""
    if not field_name:
        return ""
    if field_name in MEMBER_RECORD_FIELDS or field_name in {"organization", "status"}:
        return str(Member._meta.get_field(field_name).verbose_name)
    return {
        "work_history": _("work history"),
        "family": _("family"),
        "awards": _("awards"),
        "badges": _("party badges"),
        "fees": _("party fees"),
        "other": _("other"),
    }.get(field_name, field_name)


@transaction.atomic
def correction_request_create(*, actor, member: Member, message: str, field_name: str = "") -> CorrectionRequest:
    """The member asks the office to correct their record; the clerks and the cell secretary are notified."""
    from partyhub.notifications import notify

    if actor is None or not permissions.can_request_correction(actor, member):
        _require(False)
    message = (message or "").strip()
    field_name = clean(field_name)[:100]
    if not message:
        raise ValidationError({"message": _("Write what is wrong and what it should be.")})
    if len(message) > CORRECTION_MAX_CHARS:
        raise ValidationError(
            {"message": _("Keep the request under %(limit)s characters.") % {"limit": CORRECTION_MAX_CHARS}}
        )
    open_count = CorrectionRequest.objects.filter(member=member, status=CorrectionStatus.OPEN).count()
    if open_count >= CORRECTION_MAX_OPEN:
        raise ValidationError(
            _("You already have %(count)s requests waiting for an answer; please wait for the office to reply.")
            % {"count": open_count}
        )
    with _as(actor):
        request = CorrectionRequest.objects.create(
            member=member, requested_by=actor, field_name=field_name, message=message
        )
    topic = correction_topic_label(field_name)
    notify(
        recipients=selectors.correction_handlers_for(member),
        title=format_lazy(gettext_lazy("{name} asks for a correction of their member record"), name=member.full_name),
        body=(f"{topic}: {message}" if topic else message)[:1000],
        url=reverse("members:correction_list"),
        kind="member_correction_requested",
        actor=actor,
    )
    return request


@transaction.atomic
def correction_request_resolve(
    *, actor, request: CorrectionRequest, status: str, response: str = ""
) -> CorrectionRequest:
    """Close a correction request as corrected (``done``) or ``rejected`` (a reason is required); the
    member is notified. The record itself is corrected with :func:`member_update`."""
    from partyhub.notifications import notify

    request = CorrectionRequest.objects.select_for_update().select_related("member").get(pk=request.pk)
    if actor is not None:
        _require(permissions.can_handle_correction(actor, request.member))
    if status not in (CorrectionStatus.DONE, CorrectionStatus.REJECTED):
        raise ValidationError({"status": _("Choose whether the record was corrected or the request rejected.")})
    if request.status != CorrectionStatus.OPEN:
        raise ValidationError(_("This request was already answered."))
    response = (response or "").strip()
    if status == CorrectionStatus.REJECTED and not response:
        raise ValidationError({"response": _("Explain to the member why the request is rejected.")})
    request.status = status
    request.response = response
    request.resolved_by = actor
    request.resolved_at = timezone.now()
    with _as(actor):
        request.save(update_fields=["status", "response", "resolved_by", "resolved_at"])
    member_user = request.member.user
    if member_user is not None:
        if status == CorrectionStatus.DONE:
            title = gettext_lazy("Your member record was corrected as you asked")
        else:
            title = gettext_lazy("Your correction request was not accepted")
        notify(
            recipients=[member_user],
            title=title,
            body=response[:1000],
            url=reverse("members:handbook"),
            kind="member_correction_answered",
            actor=actor,
        )
    return request


__all__ = [
    "MEMBER_RECORD_FIELDS",
    "correction_request_create",
    "correction_request_resolve",
    "member_create",
    "member_related_save",
    "member_update",
    "normalize_phone",
    "normalize_record_number",
    "search_text_for",
    "validate_member_fields",
    "validate_related_row",
]
