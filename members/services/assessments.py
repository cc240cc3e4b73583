"""Annual quality assessment of members (366-QĐ/TW since 2025): the score on the scale of that year, and
the rating derived from the scale's bands (never typed in).

Conventions of ``members.services`` (see organizations.py). Who may: whoever manages the member's cell
(``permissions.can_assess``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions, selectors
from ..models import AssessmentScale, Member, MemberAssessment
from ..rules import scale_for_year
from ._common import _as, _require

__all__ = ["assessment_record", "derive_rating"]

#: The years an assessment can be recorded for (the model's validators say the same).
MIN_YEAR = 2000

TWO_PLACES = Decimal("0.01")


def _decimal(value, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def derive_rating(scale: AssessmentScale, *, score: Decimal, all_tasks_done: bool, exceeded_percent: Decimal) -> str:
    """The rating of ``scale`` for these results: its bands are tried from the highest ``min_score`` down and
    the first whose conditions all hold applies (≥ 90 with every task done and ≥ 30 % exceeded is "excellent";
    90 without them falls to the next band)."""
    bands = sorted(scale.bands.all(), key=lambda b: b.min_score, reverse=True)
    for band in bands:
        if score < band.min_score:
            continue
        if band.requires_all_tasks_done and not all_tasks_done:
            continue
        if band.min_exceeded_percent is not None and exceeded_percent < band.min_exceeded_percent:
            continue
        return band.rating
    raise ValidationError(
        {"score": _("The scale %(scale)s has no rating for a score of %(score)s.") % {"scale": scale, "score": score}}
    )


@transaction.atomic
def assessment_record(
    *,
    actor,
    member: Member,
    year: int,
    score,
    all_tasks_done: bool,
    exceeded_percent=0,
    note: str = "",
) -> MemberAssessment:
    """Record (or correct) ``member``'s assessment for ``year``: the score on the scale in force that year
    (0 to its maximum, two decimals), whether every task was done, the share of tasks exceeded; the rating
    is derived from the scale. No scale for the year → a clear error."""
    if actor is not None:
        _require(permissions.can_assess(actor, member))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Enter the year, e.g. 2025.")}) from None
    this_year = selectors.today().year
    if year < MIN_YEAR or year > this_year:
        raise ValidationError(
            {"year": _("The year must be between %(first)s and %(last)s.") % {"first": MIN_YEAR, "last": this_year}}
        )
    scale = scale_for_year(year)
    if scale is None:
        raise ValidationError(
            {
                "year": _("No assessment scale is in force for %(year)s: an administrator must add it first.")
                % {"year": year}
            }
        )
    score = _decimal(score, "score", _("Enter the score as a number, e.g. 85.5."))
    if score < 0 or score > scale.max_score:
        raise ValidationError({"score": _("The score must be between 0 and %(max)s.") % {"max": scale.max_score}})
    if score != score.quantize(TWO_PLACES):
        raise ValidationError({"score": _("The score has at most two decimals.")})
    exceeded = _decimal(
        exceeded_percent if exceeded_percent not in (None, "") else 0,
        "exceeded_percent",
        _("Enter the share of tasks exceeded as a percentage, e.g. 30."),
    )
    if exceeded < 0 or exceeded > 100:
        raise ValidationError({"exceeded_percent": _("The share of tasks exceeded must be between 0 and 100%.")})
    if exceeded != exceeded.quantize(TWO_PLACES):
        raise ValidationError({"exceeded_percent": _("The share of tasks exceeded has at most two decimals.")})
    all_tasks_done = bool(all_tasks_done)
    rating = derive_rating(scale, score=score, all_tasks_done=all_tasks_done, exceeded_percent=exceeded)
    with _as(actor):
        assessment, _created = MemberAssessment.objects.update_or_create(
            member=member,
            year=year,
            defaults={
                "score": score,
                "all_tasks_done": all_tasks_done,
                "exceeded_percent": exceeded,
                "scale": scale,
                "rating": rating,
                "note": (note or "").strip(),
                "assessed_by": actor,
            },
        )
    return assessment
