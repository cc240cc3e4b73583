"""Seed the quorum rule of a meeting as data (helper "room"; domain.md §5, practice [P]): a meeting is valid
when at least two thirds of the official members counted in the denominator are present. Stored as a
``VoteRule`` with code "quorum" (same shape: numerator/denominator of a base, valid from/until), so the next
change is an admin edit. Existing rows (code + valid_from) are left as they are."""

import datetime

from django.db import migrations


def seed(apps, schema_editor):
    VoteRule = apps.get_model("meetings", "VoteRule")
    VoteRule.objects.get_or_create(
        code="quorum",
        valid_from=datetime.date(2011, 1, 1),
        defaults={
            "name": "Hội nghị hợp lệ: ít nhất hai phần ba số đảng viên chính thức (trong mẫu số) có mặt",
            "numerator": 2,
            "denominator": 3,
            "strictly_more": False,
            "base": "eligible",
            "note": "Thực tiễn sinh hoạt chi bộ [P]",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0002_seed_vote_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
