"""Seed the document types (domain.md §2): the 25 party types of Quy định 399-QĐ/TW (2026) and the usual
administrative papers, with the symbol abbreviations and the organization kinds that may issue them.

Data, not code: an administrator edits the table afterwards (the abbreviation of Quy định was "QĐi" in 2018
and is "QĐ" in current central practice). Existing rows (matched by name) are left as they are.
"""

from django.db import migrations

#: Every organization kind except a party cell (domain.md §2: a cell cannot issue Quy định or Hướng dẫn; the
#: standing committee of a grassroots committee may issue Hướng dẫn).
NOT_CELLS = [
    "central",
    "province_committee",
    "commune_committee",
    "executive_committee",
    "standing_committee",
    "inspection_committee",
    "office",
]
#: Adopted by the national congress only.
CENTRAL_ONLY = ["central"]

# (name, abbreviation, administrative paper, issued by kinds ([] = any)).
# Abbreviations marked "unsure" are not fixed by domain.md §2: they follow common state practice or are a
# best guess, and should be confirmed by the office (edit them in the admin).
DOCUMENT_TYPES = [
    ("Cương lĩnh", "CL", False, CENTRAL_ONLY),  # unsure: abbreviation
    ("Điều lệ", "ĐL", False, CENTRAL_ONLY),  # unsure: abbreviation
    ("Chiến lược", "CLc", False, []),  # unsure: abbreviation
    ("Nghị quyết", "NQ", False, []),
    ("Quyết định", "QĐ", False, []),
    ("Chỉ thị", "CT", False, []),
    ("Kết luận", "KL", False, []),
    ("Quy chế", "QC", False, []),
    ("Quy định", "QĐ", False, NOT_CELLS),  # "QĐi" in 2018, "QĐ" in current central practice
    ("Thông tri", "TT", False, []),
    ("Hướng dẫn", "HD", False, NOT_CELLS),
    ("Thông báo", "TB", False, []),
    ("Thông cáo", "TC", False, []),  # unsure: abbreviation
    ("Tuyên bố", "TBo", False, []),  # unsure: abbreviation
    ("Lời kêu gọi", "LKG", False, []),  # unsure: abbreviation
    ("Báo cáo", "BC", False, []),
    ("Kế hoạch", "KH", False, []),
    ("Quy hoạch", "QH", False, []),  # unsure: abbreviation (state practice)
    ("Chương trình", "CTr", False, []),
    ("Đề án", "ĐA", False, []),
    ("Phương án", "PA", False, []),
    ("Dự án", "DA", False, []),  # unsure: abbreviation (state practice)
    ("Tờ trình", "TTr", False, []),
    ("Công văn", "CV", False, []),
    ("Biên bản", "BB", False, []),
    ("Bản sao", "BS", True, []),
    ("Giấy mời", "GM", True, []),  # unsure: abbreviation (state practice)
    ("Giấy giới thiệu", "GGT", True, []),  # unsure: abbreviation (state practice)
    ("Giấy đi đường", "GĐĐ", True, []),  # unsure: abbreviation (state practice)
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, (name, abbreviation, administrative, kinds) in enumerate(DOCUMENT_TYPES, start=1):
        DocumentType.objects.get_or_create(
            name=name,
            defaults={
                "abbreviation": abbreviation,
                "is_administrative": administrative,
                "issuable_by_kinds": list(kinds),
                "order": order * 10,
                "active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_clearance"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
