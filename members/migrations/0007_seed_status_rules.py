"""Seed the probation and party badge rules (domain.md §4) — area A of issue 3.

* ProbationRule: 12 months of probation counted from the admission ceremony; the cell decides on
  recognition within 30 working days after it ends (Điều lệ Đảng, Điều 5; Quy định 24-QĐ/TW and
  Hướng dẫn 01-HD/TW of 2021 on implementing it). Marked valid from 01/01/2011 — the Điều lệ adopted by
  the XI Congress (19/01/2011) is the one still in force and the values have not changed since; the exact
  start of validity of the 30-working-day rule is not verified (domain.md gives no regulation number), so
  earlier admissions simply use the oldest rule.
* BadgeRule: milestones 30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90 years of party age (no 35), awarded
  on 3/2, 19/5, 2/9 and 7/11; a seriously ill member up to 12 months early below 70 years and 24 months
  early from 70 years; posthumously up to 12 months early (Hướng dẫn 01-HD/TW of 28/09/2021, section 18).
  Valid from that guidance's date; earlier days fall back to this, the oldest, rule.

Reversible: the backwards step deletes exactly these rows (matched by their validity date and source).
"""

import datetime

from django.db import migrations

PROBATION = {
    "source": "Điều lệ Đảng (2011), Điều 5; Quy định 24-QĐ/TW và Hướng dẫn 01-HD/TW (2021) thi hành Điều lệ Đảng",
    "valid_from": datetime.date(2011, 1, 1),
    "probation_months": 12,
    "decision_working_days": 30,
}

BADGE = {
    "source": "Điều lệ Đảng; Hướng dẫn 01-HD/TW ngày 28/9/2021, mục 18 (Huy hiệu Đảng)",
    "valid_from": datetime.date(2021, 9, 28),
    "milestones": [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    "award_days": ["03/02", "19/05", "02/09", "07/11"],
    "illness_early_months": 12,
    "illness_early_months_high": 24,
    "high_milestone_from": 70,
    "posthumous_early_months": 12,
}


def seed(apps, schema_editor):
    ProbationRule = apps.get_model("members", "ProbationRule")
    BadgeRule = apps.get_model("members", "BadgeRule")
    probation = dict(PROBATION)
    ProbationRule.objects.get_or_create(valid_from=probation.pop("valid_from"), defaults=probation)
    badge = dict(BADGE)
    BadgeRule.objects.get_or_create(valid_from=badge.pop("valid_from"), defaults=badge)


def unseed(apps, schema_editor):
    ProbationRule = apps.get_model("members", "ProbationRule")
    BadgeRule = apps.get_model("members", "BadgeRule")
    ProbationRule.objects.filter(valid_from=PROBATION["valid_from"], source=PROBATION["source"]).delete()
    BadgeRule.objects.filter(valid_from=BADGE["valid_from"], source=BADGE["source"]).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0006_seed_fee_assessment_rules")]

    operations = [migrations.RunPython(seed, unseed)]
