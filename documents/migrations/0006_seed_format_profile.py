"""Seed the format profile "HD36" (Hướng dẫn 36-HD/VPTW of 2018, domain.md §2) as the default profile.

Data, not code: a newer guidance is a second profile added in the admin. An existing "HD36" row is left as
it is (an administrator may have edited it)."""

from django.db import migrations

HD36 = {
    "name": "Hướng dẫn 36-HD/VPTW (2018)",
    "description": "Thể thức và kỹ thuật trình bày văn bản của Đảng theo Hướng dẫn 36-HD/VPTW ngày 03/4/2018.",
    "template_name": "documents/outgoing/pdf/party_document.html",
    "party_title": "ĐẢNG CỘNG SẢN VIỆT NAM",
    "number_word": "Số",
    "number_padding": 2,
    "date_line": "{place}, ngày {day} tháng {month} năm {year}",
    "pad_days_below": 10,
    "padded_months": [1, 2],
    "summary_prefix_without_type": "V/v",
    "recipients_heading": "Nơi nhận:",
    "recipient_line_prefix": "- ",
    "recipient_line_suffix": ",",
    "file_copy_line": "Lưu Văn phòng Đảng ủy.",
    "page_size": "A4",
    "margin_top": 20,
    "margin_bottom": 20,
    "margin_left": 30,
    "margin_right": 15,
    "font_family": "Liberation Serif",
    "header_font_size": 14,
    "party_title_font_size": 15,
    "number_font_size": 14,
    "date_font_size": 14,
    "type_name_font_size": 15,
    "summary_font_size": 14,
    "body_font_size": 14,
    "signature_font_size": 14,
    "recipients_font_size": 12,
    # [x, y, width, height] in mm from the bottom-left corner of the last page's signature block area;
    # the signing module places the stamps relative to the signature block it finds (see documents.signing).
    "signer_stamp_box": [120, 0, 60, 22],
    "organization_stamp_box": [95, 0, 45, 45],
}


def seed(apps, schema_editor):
    FormatProfile = apps.get_model("documents", "FormatProfile")
    if FormatProfile.objects.filter(code="HD36").exists():
        return
    is_default = not FormatProfile.objects.filter(is_default=True).exists()
    FormatProfile.objects.create(code="HD36", is_default=is_default, active=True, **HD36)


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_outgoing_and_library")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
