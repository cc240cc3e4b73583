"""Which version of a rule (kept as data with a validity period) applies on a given day.

Every rule with a number, a list or a threshold lives in a table of ``members.models.rules``; each row is
valid from ``valid_from`` (or ``valid_from_year``) until the next row starts. Code never hard-codes those
values: it asks :func:`in_force` for the row of the day it is computing for.

For loops over many members, :class:`RuleBook` loads every row of a rule table once and answers in memory.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right

from .models import AssessmentScale


def _validity_field(model) -> str:
    names = {f.name for f in model._meta.get_fields()}
    if "valid_from" in names:
        return "valid_from"
    if "valid_from_year" in names:
        return "valid_from_year"
    raise TypeError(f"{model.__name__} has no validity field (valid_from or valid_from_year)")


def in_force(model, on: datetime.date):
    """The row of the rule table ``model`` valid on ``on``: the one with the largest ``valid_from`` on or
    before that day (or, for yearly rules, the largest ``valid_from_year`` up to that year); ``None`` when
    the day is before every row."""
    field = _validity_field(model)
    bound = on.year if field == "valid_from_year" else on
    return model.objects.filter(**{f"{field}__lte": bound}).order_by(f"-{field}").first()


def scale_for_year(year: int) -> AssessmentScale | None:
    """The annual assessment scale in force for ``year`` (with its bands prefetched)."""
    return (
        AssessmentScale.objects.filter(valid_from_year__lte=year)
        .prefetch_related("bands")
        .order_by("-valid_from_year")
        .first()
    )


class RuleBook:
    """Every row of one rule table, loaded once (one query), answering :meth:`on` in memory.

    ``RuleBook(BadgeRule).on(date)`` gives the same row as ``in_force(BadgeRule, date)``.
    """

    def __init__(self, model, rows=None):
        self.model = model
        self.field = _validity_field(model)
        if rows is None:
            rows = model.objects.order_by(self.field)
        self.rows = sorted(rows, key=lambda r: getattr(r, self.field))
        self.keys = [getattr(r, self.field) for r in self.rows]

    def on(self, day: datetime.date):
        bound = day.year if self.field == "valid_from_year" else day
        index = bisect_right(self.keys, bound)
        return self.rows[index - 1] if index else None

    def first(self):
        return self.rows[0] if self.rows else None

    def __bool__(self) -> bool:
        return bool(self.rows)


__all__ = ["RuleBook", "in_force", "scale_for_year"]
