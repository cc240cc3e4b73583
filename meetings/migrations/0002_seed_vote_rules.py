"""Seed the vote rules of domain.md §5 (data with a validity period: the next change is an admin edit).

- "majority": more than half of the official members counted in the denominator (Điều lệ);
- "two_thirds": at least two thirds of all official members (admission, recognition as official; proposing
  expulsion).
Existing rows (code + valid_from) are left as they are."""

import datetime

from django.db import migrations

RULES = [
    ("majority", "Quá nửa số đảng viên chính thức (trừ số được loại khỏi mẫu số)", 1, 2, True, "eligible",
     "Điều lệ Đảng, Hướng dẫn thi hành"),
    ("two_thirds", "Ít nhất hai phần ba số đảng viên chính thức", 2, 3, False, "official",
     "Kết nạp đảng viên, công nhận đảng viên chính thức, đề nghị khai trừ"),
]


def seed(apps, schema_editor):
    VoteRule = apps.get_model("meetings", "VoteRule")
    since = datetime.date(2011, 1, 1)
    for code, name, numerator, denominator, strictly_more, base, note in RULES:
        VoteRule.objects.get_or_create(
            code=code,
            valid_from=since,
            defaults={
                "name": name,
                "numerator": numerator,
                "denominator": denominator,
                "strictly_more": strictly_more,
                "base": base,
                "note": note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
