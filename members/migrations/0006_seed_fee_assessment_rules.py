"""Seed the party fee rule sets and the annual assessment scale (domain.md §4), as dated data.

* 342-QĐ/TW (28/12/2010), applied from 01/2011 until 01/2026: 1 % of the salary, 0.5 % of the pension,
  fixed monthly amounts for pupils/students and other members.
* 01-QĐ/TW (03/02/2026), from 01/02/2026: 1 % of the salary used for compulsory social insurance, 1 % of the
  sickness/maternity benefit, 0.5 % of the pension, 5,000 đ for pupils and students, other members a share
  of the regional minimum wage (stored as a percent of the declared basis: for "other" members the basis is
  the regional minimum wage the cell declares), exempt from 50 years of party age, relief 30/50/70 % or
  exemption for up to 12 months case by case.
* 366-QĐ/TW (2025): the 100-point assessment scale.

Values not confirmed against the regulation's text are marked [U] in the rows' notes and descriptions, so
the office can check and correct them in the admin (adding a row, never editing a past month's rule).
Rows that already exist (same ``valid_from`` / ``valid_from_year``) are left as they are.
"""

import datetime
from decimal import Decimal

from django.db import migrations

RULE_SETS = [
    {
        "source": "Quy định 342-QĐ/TW ngày 28/12/2010 của Bộ Chính trị về chế độ đảng phí",
        "valid_from": datetime.date(2011, 1, 1),
        "exempt_party_age_years": None,
        "round_to": 100,
        "arrears_warning_months": 3,
        "relief_percents": [30, 50, 70, 100],
        "max_relief_months": 12,
        "note": (
            "Áp dụng đến hết tháng 01/2026. [U] Chưa đối chiếu với văn bản gốc: mức cố định cho học sinh, sinh "
            "viên (2.000 đ) và cho đảng viên khác (3.000 đ), tỷ lệ 1% trên trợ cấp BHXH, việc làm tròn đến 100 đ, "
            "các mức giảm 30/50/70% và thời hạn 12 tháng. 342 không miễn tự động theo tuổi đảng [U]."
        ),
        "rates": [
            ("salary", Decimal("1.000"), None, "1% tiền lương, phụ cấp (tính đóng BHXH)"),
            ("benefit", Decimal("1.000"), None, "1% trợ cấp BHXH [U: cần kiểm tra]"),
            ("pension", Decimal("0.500"), None, "0,5% lương hưu"),
            ("student", None, 2000, "Học sinh, sinh viên: mức cố định [U: 2.000 đ chưa xác nhận]"),
            ("other", None, 3000, "Đảng viên khác: mức cố định [U: 3.000 đ chưa xác nhận]"),
        ],
    },
    {
        "source": "Quy định 01-QĐ/TW ngày 03/02/2026 về chế độ đảng phí",
        "valid_from": datetime.date(2026, 2, 1),
        "exempt_party_age_years": 50,
        "round_to": 100,
        "arrears_warning_months": 3,
        "relief_percents": [30, 50, 70, 100],
        "max_relief_months": 12,
        "note": (
            "Áp dụng từ 01/02/2026. Miễn: tuổi đảng từ 50 năm; hưởng trợ cấp xã hội; hộ nghèo, cận nghèo; ốm "
            "đau hiểm nghèo. Giảm 30/50/70% hoặc miễn tối đa 12 tháng, xét từng trường hợp. Bỏ 3 tháng trong năm "
            "không đóng mà không có lý do là căn cứ xóa tên. [U] Tỷ lệ của đảng viên khác (0,5% mức lương tối "
            "thiểu vùng do chi bộ khai) và việc làm tròn đến 100 đ chưa đối chiếu với văn bản gốc."
        ),
        "rates": [
            ("salary", Decimal("1.000"), None, "1% tiền lương làm căn cứ đóng BHXH bắt buộc"),
            ("benefit", Decimal("1.000"), None, "1% trợ cấp ốm đau, thai sản"),
            ("pension", Decimal("0.500"), None, "0,5% lương hưu"),
            ("student", None, 5000, "Học sinh, sinh viên: 5.000 đ/tháng"),
            (
                "other",
                Decimal("0.500"),
                None,
                "Đảng viên khác: tỷ lệ trên mức lương tối thiểu vùng chi bộ khai [U: 0,5% chưa xác nhận]",
            ),
        ],
    },
]

SCALES = [
    {
        "source": "Quy định 366-QĐ/TW năm 2025 về kiểm điểm, đánh giá, xếp loại chất lượng",
        "valid_from_year": 2025,
        "max_score": 100,
        "bands": [
            ("excellent", Decimal("90"), True, Decimal("30")),
            ("good", Decimal("70"), False, None),
            ("completed", Decimal("50"), False, None),
            ("not_completed", Decimal("0"), False, None),
        ],
    },
]


def seed(apps, schema_editor):
    FeeRuleSet = apps.get_model("members", "FeeRuleSet")
    FeeRate = apps.get_model("members", "FeeRate")
    AssessmentScale = apps.get_model("members", "AssessmentScale")
    AssessmentBand = apps.get_model("members", "AssessmentBand")
    for data in RULE_SETS:
        data = dict(data)
        rates = data.pop("rates")
        if FeeRuleSet.objects.filter(valid_from=data["valid_from"]).exists():
            continue
        rule_set = FeeRuleSet.objects.create(**data)
        for category, percent, fixed, description in rates:
            FeeRate.objects.create(
                rule_set=rule_set, category=category, percent=percent, fixed_amount=fixed, description=description
            )
    for data in SCALES:
        data = dict(data)
        bands = data.pop("bands")
        if AssessmentScale.objects.filter(valid_from_year=data["valid_from_year"]).exists():
            continue
        scale = AssessmentScale.objects.create(**data)
        for rating, min_score, all_tasks, exceeded in bands:
            AssessmentBand.objects.create(
                scale=scale,
                rating=rating,
                min_score=min_score,
                requires_all_tasks_done=all_tasks,
                min_exceeded_percent=exceeded,
            )


def unseed(apps, schema_editor):
    FeeRuleSet = apps.get_model("members", "FeeRuleSet")
    AssessmentScale = apps.get_model("members", "AssessmentScale")
    FeeRuleSet.objects.filter(source__in=[d["source"] for d in RULE_SETS]).delete()
    AssessmentScale.objects.filter(source__in=[d["source"] for d in SCALES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_fee_relief_rules_arrears_warning"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
