"""Dates in the Vietnamese form and grouped thousands, in both languages."""

import datetime

from django.utils import formats, translation


def test_vietnamese_dates_and_numbers():
    with translation.override("vi"):
        assert formats.date_format(datetime.date(2026, 11, 5), "SHORT_DATE_FORMAT") == "05/11/2026"
        assert formats.number_format(1234000, force_grouping=True) == "1.234.000"


def test_english_keeps_the_day_first():
    with translation.override("en"):
        assert formats.date_format(datetime.date(2026, 2, 3), "SHORT_DATE_FORMAT") == "03/02/2026"
        assert formats.number_format(1234000, force_grouping=True) == "1,234,000"
