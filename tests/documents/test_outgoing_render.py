"""The official layout of outgoing documents (issue 5, H-render): text AND positions read back from the PDF.

Every PDF here is rendered by WeasyPrint through ``documents.outgoing_render`` and read back with pdfminer.six
(text lines and their boxes, in PDF points from the bottom-left corner), pypdf (form fields, named
destinations) and pikepdf (embedded fonts).
"""

from __future__ import annotations

import datetime
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass

import pytest
from django.urls import reverse

from documents.models import (
    FormatProfile,
    IssuerSettings,
    OutgoingDocument,
    OutgoingRecipient,
    OutgoingStatus,
    SignatureForm,
)
from documents.outgoing_render import (
    DATE_FIELD,
    NUMBER_FIELD,
    form_field_values,
    format_date_line,
    format_number_symbol,
    header_lines,
    layout_context,
    profile_for,
    render_outgoing_pdf,
    signature_block,
    stamp_rect,
)

pytestmark = pytest.mark.django_db

A4_WIDTH = 595.28
MM = 72 / 25.4
SIGNER_NAME = "Nguyễn Văn Trường"
BODY = (
    "<p>Căn cứ Điều lệ Đảng Cộng sản Việt Nam;</p>"
    "<p>Ban Thường vụ Đảng ủy xã <strong>quyết nghị</strong> tăng cường công tác phát triển đảng viên.</p>"
)


# --- reading the PDF back -----------------------------------------------------------------------------------


@dataclass
class Line:
    page: int
    text: str  # whitespace collapsed
    raw: str
    x0: float
    y0: float
    x1: float
    y1: float
    chars: list

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


def read_lines(pdf: bytes) -> list[Line]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextLine

    def walk(obj):
        for item in obj:
            if isinstance(item, LTTextLine):
                yield item
            elif hasattr(item, "__iter__"):
                yield from walk(item)

    lines = []
    for page_index, page in enumerate(extract_pages(io.BytesIO(pdf), laparams=LAParams(char_margin=1.5))):
        for item in walk(page):
            raw = item.get_text().rstrip("\n")
            chars = [c for c in item if isinstance(c, LTChar)]
            lines.append(Line(page_index, " ".join(raw.split()), raw, *item.bbox, chars))
    return lines


def find(lines: list[Line], text: str) -> Line:
    matches = [line for line in lines if line.text == text]
    assert matches, f"{text!r} not in {[line.text for line in lines]}"
    return matches[-1]


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def embedded_fonts(pdf: bytes) -> set[str]:
    import pikepdf

    names = set()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/BaseFont" in obj:
                names.add(str(obj.BaseFont).lstrip("/"))
    return names


def form_fields(pdf: bytes) -> dict[str, dict]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for page_index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Widget":
                found[str(annotation["/T"])] = {
                    "page": page_index,
                    "rect": [float(v) for v in annotation["/Rect"]],
                    "type": str(annotation.get("/FT")),
                    "da": str(annotation.get("/DA")),
                    "q": int(annotation.get("/Q", 0)),
                }
    return found


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- documents ---------------------------------------------------------------------------------------------


@pytest.fixture
def make_document(org_tree, document_types, leader):
    def make(
        organization="standing",
        type_name="Nghị quyết",
        recipients=("Các chi bộ trực thuộc", "Thường trực Đảng ủy"),
        **fields,
    ) -> OutgoingDocument:
        values = {
            "summary": "về tăng cường công tác phát triển đảng viên năm 2026",
            "body": BODY,
            "drafted_by": leader,
            "signer": leader,
            "signature_form": SignatureForm.ON_BEHALF,
            "signer_title": "Bí thư",
            "signer_name": SIGNER_NAME,
        }
        values.update(fields)
        document = OutgoingDocument.objects.create(
            organization=org_tree[organization], document_type=document_types[type_name], **values
        )
        for order, name in enumerate(recipients):
            OutgoingRecipient.objects.create(document=document, name=name, order=order)
        return document

    return make


# --- number, date, header, signature texts -----------------------------------------------------------------


def test_number_symbol_pads_to_two_digits_with_the_party_form(make_document):
    document = make_document()
    assert format_number_symbol(document, 5) == "05-NQ/ĐU"
    assert format_number_symbol(document, 12) == "12-NQ/ĐU"
    assert format_number_symbol(document, 123) == "123-NQ/ĐU"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 11, 5), "Gò Quao, ngày 05 tháng 11 năm 2026"),
        (datetime.date(2026, 2, 15), "Gò Quao, ngày 15 tháng 02 năm 2026"),
        (datetime.date(2026, 3, 5), "Gò Quao, ngày 05 tháng 3 năm 2026"),
        (datetime.date(2026, 1, 9), "Gò Quao, ngày 09 tháng 01 năm 2026"),
        (datetime.date(2026, 10, 10), "Gò Quao, ngày 10 tháng 10 năm 2026"),
        (datetime.date(2026, 12, 31), "Gò Quao, ngày 31 tháng 12 năm 2026"),
    ],
)
def test_date_line_padding_rules_come_from_the_profile(day, expected):
    profile = FormatProfile.objects.get(code="HD36")
    assert format_date_line(profile, "Gò Quao", day) == expected


def test_date_line_of_another_profile():
    profile = FormatProfile(
        date_line="{place}, ngày {day} tháng {month} năm {year}", pad_days_below=0, padded_months=[]
    )
    assert format_date_line(profile, "Gò Quao", datetime.date(2026, 2, 5)) == "Gò Quao, ngày 5 tháng 2 năm 2026"
    # A pattern an administrator typed with a stray brace or attribute access is text, not code.
    profile.date_line = "{place.__class__} {day}/{month}/{year} {0}"
    assert format_date_line(profile, "", datetime.date(2026, 2, 5)) == "{place.__class__} 5/2/2026 {0}"


def test_header_lines_follow_the_organization_tree(org_tree):
    assert header_lines(org_tree["commune"]) == ("ĐẢNG BỘ TỈNH AN GIANG", "ĐẢNG ỦY XÃ GÒ QUAO")
    assert header_lines(org_tree["standing"]) == ("ĐẢNG BỘ TỈNH AN GIANG", "ĐẢNG ỦY XÃ GÒ QUAO")
    assert header_lines(org_tree["office"]) == ("ĐẢNG ỦY XÃ GÒ QUAO", "VĂN PHÒNG ĐẢNG ỦY")
    assert header_lines(org_tree["cell_a"]) == ("ĐẢNG BỘ XÃ GÒ QUAO", "CHI BỘ ẤP PHƯỚC HƯNG")


@pytest.mark.parametrize(
    ("organization", "form", "title", "expected"),
    [
        ("standing", SignatureForm.ON_BEHALF, "Bí thư", ["T/M BAN THƯỜNG VỤ", "BÍ THƯ", SIGNER_NAME]),
        ("commune", SignatureForm.ON_BEHALF, "Phó Bí thư", ["T/M ĐẢNG ỦY", "PHÓ BÍ THƯ", SIGNER_NAME]),
        # A deputy secretary never signs "K/T": the block is T/M whatever was chosen.
        ("commune", SignatureForm.DEPUTY, "Phó Bí thư", ["T/M ĐẢNG ỦY", "PHÓ BÍ THƯ", SIGNER_NAME]),
        ("office", SignatureForm.DEPUTY, "Phó Trưởng ban", ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", SIGNER_NAME]),
        ("office", SignatureForm.BY_ORDER, "Chánh Văn phòng", ["T/L BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG", SIGNER_NAME]),
        ("cell_a", SignatureForm.ON_BEHALF, "Bí thư", ["T/M CHI BỘ", "BÍ THƯ", SIGNER_NAME]),
        ("cell_a", SignatureForm.DIRECT, "Bí thư", ["BÍ THƯ", SIGNER_NAME]),
    ],
)
def test_signature_forms_text_and_positions(make_document, organization, form, title, expected):
    document = make_document(organization=organization, signature_form=form, signer_title=title)
    assert signature_block(document)["lines"] == expected

    pdf = render_outgoing_pdf(document, number=5, issued_on=datetime.date(2026, 11, 5))
    lines = read_lines(pdf)
    block = [find(lines, text) for text in expected]
    # Right column, one line under the other, centred on the same axis.
    for line in block:
        assert line.x0 > A4_WIDTH * 0.45
    assert all(upper.y0 > lower.y1 - 1 for upper, lower in itertools.pairwise(block))
    assert max(line.center for line in block) - min(line.center for line in block) < 2
    if not any(text.startswith("K/T") for text in expected):
        assert not any("K/T" in text for text in texts(lines))
    # The name stands apart from the title: room for the handwritten or digital signature (~24 mm).
    assert block[-2].y0 - block[-1].y1 > 20 * MM
    # "Nơi nhận:" at the left, level with the first line of the block.
    recipients = find(lines, "Nơi nhận:")
    assert recipients.x0 == pytest.approx(30 * MM, abs=1.5)
    assert abs(recipients.y1 - block[0].y1) < 3


def test_signature_block_uses_issuer_settings_collective(make_document, org_tree):
    IssuerSettings.objects.create(
        organization=org_tree["commune"],
        format_profile=FormatProfile.objects.get(code="HD36"),
        collective_name="Ban Chấp hành Đảng bộ",
    )
    document = make_document(organization="commune")
    assert signature_block(document)["authority"] == "T/M BAN CHẤP HÀNH ĐẢNG BỘ"
    # The document's own collective wins.
    document.collective_name = "Ban Thường vụ"
    assert signature_block(document)["authority"] == "T/M BAN THƯỜNG VỤ"


# --- the whole layout ---------------------------------------------------------------------------------------


def test_resolution_layout_text_and_positions(make_document):
    document = make_document()
    pdf = render_outgoing_pdf(document, number=5, issued_on=datetime.date(2026, 11, 5))
    lines = read_lines(pdf)

    superior = find(lines, "ĐẢNG BỘ TỈNH AN GIANG")
    issuing = find(lines, "ĐẢNG ỦY XÃ GÒ QUAO")
    star = find(lines, "*")
    number = find(lines, "Số 05-NQ/ĐU")
    party = find(lines, "ĐẢNG CỘNG SẢN VIỆT NAM")
    date = find(lines, "Gò Quao, ngày 05 tháng 11 năm 2026")
    type_name = find(lines, "NGHỊ QUYẾT")
    summary = find(lines, "về tăng cường công tác phát triển đảng viên năm 2026")
    body_last = find(lines, "viên.")  # the last line of the body
    recipients = find(lines, "Nơi nhận:")
    name = find(lines, SIGNER_NAME)

    # Left header block: superior over issuing body over "*" over the number, centred on one axis.
    assert superior.y0 > issuing.y1 - 1 and issuing.y0 > star.y1 - 1 and star.y0 > number.y1 - 1
    left = [superior, issuing, star, number]
    assert max(line.center for line in left) - min(line.center for line in left) < 2
    # Left block left of the right block; "ĐẢNG CỘNG SẢN VIỆT NAM" at the top right over the italic date line.
    assert max(line.x1 for line in left) < min(party.x0, date.x0)
    assert abs(party.y1 - superior.y1) < 3
    assert party.y0 > date.y1 - 1
    assert abs(party.center - date.center) < 2
    # Type name and summary centred under the header, then the body.
    content_center = (30 * MM + A4_WIDTH - 15 * MM) / 2
    assert type_name.y1 < number.y0 and type_name.y1 < date.y0
    assert abs(type_name.center - content_center) < 2 and abs(summary.center - content_center) < 2
    assert summary.y1 < type_name.y0 + 1
    assert body_last.y1 < summary.y0
    # "Nơi nhận:" under the body at the left margin; the signature block at the right.
    assert recipients.y1 < body_last.y0
    assert recipients.x0 == pytest.approx(30 * MM, abs=1.5)
    assert name.x0 > A4_WIDTH / 2 and name.y1 < recipients.y0
    for text in ("- Các chi bộ trực thuộc,", "- Thường trực Đảng ủy,", "- Lưu Văn phòng Đảng ủy."):
        line = find(lines, text)
        assert line.x0 == pytest.approx(30 * MM, abs=1.5) and line.y1 < recipients.y0 + 1
    # Sizes: the party title ~15 pt bold, the body 14 pt.
    assert party.chars[0].size == pytest.approx(15, abs=0.2) and "Bold" in party.chars[0].fontname
    assert body_last.chars[0].size == pytest.approx(14, abs=0.2)
    assert "Italic" in date.chars[0].fontname
    assert "Bold" in issuing.chars[0].fontname and "Bold" not in superior.chars[0].fontname
    # A4 with the profile's margins (20/15/20/30 mm).
    assert superior.y1 == pytest.approx(841.89 - 20 * MM, abs=6)


def test_vietnamese_text_is_exact_nfc_and_only_liberation_serif_is_embedded(make_document):
    # Typed in decomposed form (NFD), printed composed (NFC), every diacritic exact.
    summary = unicodedata.normalize("NFD", "về lãnh đạo thực hiện nhiệm vụ ưu tiên, đổi mới, sáng tạo")
    document = make_document(summary=summary, signer_name=unicodedata.normalize("NFD", "Đặng Thị Hồng Nhung"))
    pdf = render_outgoing_pdf(document, number=9, issued_on=datetime.date(2026, 6, 1))
    lines = read_lines(pdf)
    for line in lines:
        assert line.raw == unicodedata.normalize("NFC", line.raw)
    find(lines, "về lãnh đạo thực hiện nhiệm vụ ưu tiên, đổi mới, sáng tạo")
    find(lines, "Đặng Thị Hồng Nhung")
    find(lines, "Gò Quao, ngày 01 tháng 6 năm 2026")
    fonts = embedded_fonts(pdf)
    assert fonts and all(re.fullmatch(r"([A-Z]{6}\+)?Liberation-?Serif(-[A-Za-z]+)?", name) for name in fonts), fonts


def test_letter_has_its_summary_under_the_number_and_no_type_name(make_document):
    document = make_document(type_name="Công văn", summary="tổ chức hội nghị sơ kết công tác quý III")
    pdf = render_outgoing_pdf(document, number=7, issued_on=datetime.date(2026, 9, 22))
    lines = read_lines(pdf)
    number = find(lines, "Số 07-CV/ĐU")
    subject = find(lines, "V/v tổ chức hội nghị sơ kết công tác quý III")
    party = find(lines, "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert subject.y1 < number.y0 + 1 and subject.x1 < party.x0
    assert abs(subject.center - number.center) < 3
    assert "CÔNG VĂN" not in texts(lines)
    assert texts(lines).count("V/v tổ chức hội nghị sơ kết công tác quý III") == 1
    find(lines, "Gò Quao, ngày 22 tháng 9 năm 2026")
    # A summary already written with "V/v" is not prefixed twice.
    document.summary = "V/v chuẩn bị đại hội"
    assert layout_context(document, number=1)["summary"] == "V/v chuẩn bị đại hội"


def test_report_of_a_cell_with_a_three_digit_number(make_document):
    document = make_document(
        organization="cell_a",
        type_name="Báo cáo",
        summary="kết quả thực hiện nhiệm vụ 6 tháng đầu năm 2026",
        recipients=("Đảng ủy xã Gò Quao",),
        signature_form=SignatureForm.ON_BEHALF,
    )
    pdf = render_outgoing_pdf(document, number=123, issued_on=datetime.date(2026, 7, 15))
    lines = read_lines(pdf)
    superior = find(lines, "ĐẢNG BỘ XÃ GÒ QUAO")
    issuing = find(lines, "CHI BỘ ẤP PHƯỚC HƯNG")
    number = find(lines, "Số 123-BC/CB")
    type_name = find(lines, "BÁO CÁO")
    find(lines, "Gò Quao, ngày 15 tháng 7 năm 2026")
    find(lines, "T/M CHI BỘ")
    find(lines, "- Đảng ủy xã Gò Quao,")
    find(lines, "- Lưu Văn phòng Đảng ủy.")
    assert superior.y0 > issuing.y1 - 1 > number.y1 - 1 > type_name.y1


def test_draft_preview_leaves_blanks_for_number_and_date(make_document):
    from django.utils import timezone

    document = make_document()
    pdf = render_outgoing_pdf(document)
    lines = read_lines(pdf)
    number = find(lines, "Số -NQ/ĐU")
    year = timezone.localdate().year
    date = find(lines, f"Gò Quao, ngày tháng năm {year}")
    # The blanks are wide enough to write in: a gap of at least two digits after "Số", after "ngày" and
    # after "tháng".
    glyphs = [c for c in number.chars if c.get_text().strip()]
    so_end = next(c for c in glyphs if c.get_text() == "ố").x1
    dash = next(c for c in glyphs if c.get_text() == "-").x0
    assert dash - so_end > 14
    date_glyphs = [c for c in date.chars if c.get_text().strip()]
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(date_glyphs)]
    assert sum(1 for gap in gaps if gap > 12) >= 2
    assert not form_fields(pdf)


def test_marks_of_confidentiality_and_urgency_stand_under_the_number(make_document, settings):
    document = make_document(confidentiality="mat", urgency="thuong_khan")
    pdf = render_outgoing_pdf(document, number=3, issued_on=datetime.date(2026, 4, 2))
    lines = read_lines(pdf)
    number = find(lines, "Số 03-NQ/ĐU")
    secret = find(lines, "MẬT")
    urgent = find(lines, "THƯỢNG KHẨN")
    type_name = find(lines, "NGHỊ QUYẾT")
    assert number.y0 > secret.y1 - 1 > urgent.y1 - 1 > type_name.y1
    assert abs(secret.center - number.center) < 3
    find(lines, "Gò Quao, ngày 02 tháng 4 năm 2026")


def test_body_is_sanitized_before_it_is_printed(make_document):
    document = make_document(
        body=(
            '<p onclick="x()">Nội dung <em>chính</em></p><script>alert("xss")</script>'
            '<img src="https://example.com/tracker.png"><p><a href="https://example.com">liên kết</a></p>'
            "<style>p { color: red }</style>"
        )
    )
    pdf = render_outgoing_pdf(document, number=1, issued_on=datetime.date(2026, 1, 5))
    all_text = " ".join(texts(read_lines(pdf)))
    assert "Nội dung chính" in all_text and "liên kết" in all_text
    assert "alert" not in all_text and "color" not in all_text
    # Plain text (no tags) is escaped, one paragraph per line; text with a tag goes through the sanitizer.
    organization = document.organization
    context = layout_context(None, draft_fields={"body": "Dòng 1\nDòng 2 & 3", "organization": organization})
    assert str(context["body_html"]) == "<p>Dòng 1</p><p>Dòng 2 &amp; 3</p>"


# --- form fields of the final PDF ---------------------------------------------------------------------------


def test_final_pdf_has_number_and_date_fields_where_the_text_goes(make_document):
    document = make_document()
    with_fields = render_outgoing_pdf(document, fields=True)
    numbered = render_outgoing_pdf(document, number=5, issued_on=datetime.date(2026, 11, 5))

    fields = form_fields(with_fields)
    assert set(fields) == {NUMBER_FIELD, DATE_FIELD}
    assert all(f["type"] == "/Tx" and f["page"] == 0 for f in fields.values())
    # The profile's sizes (WeasyPrint's own /DA would be ¾ of them), the number right-aligned against
    # "-NQ/ĐU", the date centred.
    assert re.search(r"\s14 Tf", fields[NUMBER_FIELD]["da"]) and re.search(r"\s14 Tf", fields[DATE_FIELD]["da"])
    assert fields[NUMBER_FIELD]["q"] == 2 and fields[DATE_FIELD]["q"] == 1

    printed = read_lines(numbered)
    number_line = find(printed, "Số 05-NQ/ĐU")
    date_line = find(printed, "Gò Quao, ngày 05 tháng 11 năm 2026")
    x1, y1, x2, y2 = fields[NUMBER_FIELD]["rect"]
    assert x1 < x2 and y1 < y2
    # The number field sits on the number line, between "Số" and "-NQ/ĐU", a little wider than three digits.
    assert y1 - 2 < number_line.y0 < y2 and y1 < number_line.y1 < y2 + 2
    lines = read_lines(with_fields)
    word, symbol = find(lines, "Số"), find(lines, "-NQ/ĐU")
    assert abs(word.y0 - symbol.y0) < 0.5 and abs(word.y0 - number_line.y0) < 2
    assert word.x1 <= x1 + 1 and x2 <= symbol.x0 + 3
    assert 3 * 7 <= x2 - x1 <= 45
    # The date field covers the printed date line of the right column.
    x1, y1, x2, y2 = fields[DATE_FIELD]["rect"]
    assert x1 <= date_line.x0 and date_line.x1 <= x2
    assert y1 - 2 < date_line.y0 and date_line.y1 < y2 + 2
    party = find(lines, "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert y2 <= party.y0 + 1
    # Nothing of the date is printed yet; the party title, the header and the symbol are.
    assert not any("ngày" in text for text in texts(lines))

    values = form_field_values(document, number=5, issued_on=datetime.date(2026, 11, 5))
    assert values == {NUMBER_FIELD: "05", DATE_FIELD: "Gò Quao, ngày 05 tháng 11 năm 2026"}


def test_fields_can_be_filled_and_read(make_document):
    """The clerk's fill (here with pypdf, as any form filler): the values land in the two fields."""
    from pypdf import PdfReader, PdfWriter

    document = make_document()
    writer = PdfWriter(clone_from=io.BytesIO(render_outgoing_pdf(document, fields=True)))
    values = form_field_values(document, number=12, issued_on=datetime.date(2026, 2, 3))
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    filled = PdfReader(io.BytesIO(out.getvalue())).get_fields()
    assert filled[NUMBER_FIELD]["/V"] == "12"
    assert filled[DATE_FIELD]["/V"] == "Gò Quao, ngày 03 tháng 02 năm 2026"


# --- profiles -------------------------------------------------------------------------------------------------


def _second_profile(**changes) -> FormatProfile:
    hd36 = FormatProfile.objects.get(code="HD36")
    values = {
        f.name: getattr(hd36, f.name)
        for f in FormatProfile._meta.concrete_fields
        if f.name not in ("id", "code", "name", "is_default")
    }
    values.update(changes)
    return FormatProfile.objects.create(code="HD05", name="Hướng dẫn 05 (thử)", is_default=False, **values)


def test_a_second_profile_chosen_in_issuer_settings_changes_the_output(make_document, org_tree):
    document = make_document()
    before = read_lines(render_outgoing_pdf(document, number=4, issued_on=datetime.date(2026, 2, 4)))
    assert find(before, "Nơi nhận:").x0 == pytest.approx(30 * MM, abs=1.5)

    profile = _second_profile(
        margin_left=20,
        date_line="{place}, ngày {day}/{month}/{year}",
        padded_months=[],
        recipient_line_suffix=";",
        file_copy_line="Lưu VT.",
        number_padding=3,
    )
    IssuerSettings.objects.create(organization=org_tree["standing"], format_profile=profile)
    assert profile_for(org_tree["standing"]) == profile
    assert profile_for(org_tree["commune"]).code == "HD36"

    after = read_lines(render_outgoing_pdf(document, number=4, issued_on=datetime.date(2026, 2, 4)))
    assert find(after, "Nơi nhận:").x0 == pytest.approx(20 * MM, abs=1.5)
    find(after, "Gò Quao, ngày 04/2/2026")
    find(after, "Số 004-NQ/ĐU")
    find(after, "- Các chi bộ trực thuộc;")
    find(after, "- Lưu VT.")
    # An inactive chosen profile falls back to the default one.
    profile.active = False
    profile.save()
    assert profile_for(org_tree["standing"]).code == "HD36"


def test_a_profile_change_applies_to_the_next_rendering_without_restart(make_document):
    document = make_document()
    first = read_lines(render_outgoing_pdf(document, number=2, issued_on=datetime.date(2026, 5, 6)))
    assert find(first, "ĐẢNG CỘNG SẢN VIỆT NAM").chars[0].size == pytest.approx(15, abs=0.2)
    profile = FormatProfile.objects.get(code="HD36")
    profile.party_title_font_size = 13
    profile.margin_left = 35
    profile.save()
    second = read_lines(render_outgoing_pdf(document, number=2, issued_on=datetime.date(2026, 5, 6)))
    assert find(second, "ĐẢNG CỘNG SẢN VIỆT NAM").chars[0].size == pytest.approx(13, abs=0.2)
    assert find(second, "Nơi nhận:").x0 == pytest.approx(35 * MM, abs=1.5)


def test_a_profile_change_in_the_admin_applies_without_restart(make_document, admin_user, client):
    from django.contrib import admin
    from django.test import RequestFactory
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not admin.site.is_registered(FormatProfile):
        pytest.skip("the admin of FormatProfile is written by the workflow helper (H-flow) and not registered yet")
    document = make_document()
    profile = FormatProfile.objects.get(code="HD36")
    model_admin = admin.site._registry[FormatProfile]
    request = RequestFactory().get("/")
    request.user = admin_user
    form = model_admin.get_form(request, profile)(instance=profile)
    data = {}  # what the change page posts back unchanged
    for name, form_field in form.fields.items():
        value = form_field.widget.format_value(form[name].value()) if name in form.initial else None
        if isinstance(form[name].value(), bool):
            if form[name].value():
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data["margin_left"] = "40"
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the admin needs a verified second factor
    session.save()
    response = client.post(reverse("admin:documents_formatprofile_change", args=[profile.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert response.url == reverse("admin:documents_formatprofile_changelist")
    lines = read_lines(render_outgoing_pdf(document, number=2, issued_on=datetime.date(2026, 5, 6)))
    assert find(lines, "Nơi nhận:").x0 == pytest.approx(40 * MM, abs=1.5)


# --- stamps -----------------------------------------------------------------------------------------------


def test_stamp_rects_sit_on_the_signature_block_of_the_last_page(make_document):
    long_body = "".join(
        f"<p>Đoạn {i}. Ban Thường vụ Đảng ủy xã yêu cầu các chi bộ trực thuộc quán triệt, tổ chức thực hiện "
        "nghiêm túc nghị quyết này; định kỳ báo cáo kết quả, khó khăn, vướng mắc về Văn phòng Đảng ủy để "
        "tổng hợp, báo cáo Ban Thường vụ xem xét, chỉ đạo kịp thời.</p>"
        for i in range(40)
    )
    document = make_document(body=long_body)
    pdf = render_outgoing_pdf(document, fields=True)
    last = page_count(pdf) - 1
    assert last >= 2
    lines = read_lines(pdf)
    name = find(lines, SIGNER_NAME)
    title = find(lines, "BÍ THƯ")
    authority = find(lines, "T/M BAN THƯỜNG VỤ")
    assert name.page == last

    page, x1, y1, x2, y2 = stamp_rect(document, "signer", pdf=pdf)
    assert page == last
    # The signer's stamp covers the name and the signing space under the title, inside the right column.
    assert x1 <= name.x0 and name.x1 <= x2 and y1 <= name.y0 and name.y1 <= y2
    assert y2 <= title.y0 + 1
    assert x1 > A4_WIDTH * 0.45 - 5 and x2 <= A4_WIDTH - 15 * MM + 1

    page, ox1, oy1, ox2, oy2 = stamp_rect(document, "organization", pdf=pdf)
    assert page == last
    # The seal overlaps the left part of the signer's block, like a seal over the signature.
    assert ox1 < authority.x0 < ox2 < authority.x1
    assert oy1 <= name.y1 and oy2 >= title.y0 - 5
    assert ox2 - ox1 == pytest.approx(45 * MM, abs=0.5) and oy2 - oy1 == pytest.approx(45 * MM, abs=0.5)


def test_stamp_rect_reads_the_final_pdf_and_follows_the_profile(make_document, leader):
    from partyhub.files import store_bytes

    document = make_document()
    pdf = render_outgoing_pdf(document, fields=True)
    document.final_file = store_bytes(pdf, name="final.pdf", content_type="application/pdf", actor=leader)
    document.save(update_fields=["final_file"])
    expected = stamp_rect(document, "signer", pdf=pdf)
    assert stamp_rect(document, "signer") == expected

    profile = FormatProfile.objects.get(code="HD36")
    profile.signer_stamp_box = [110, 5, 70, 30]
    profile.save()
    _page, x1, y1, x2, y2 = stamp_rect(document, "signer")
    assert (x1, x2 - x1, y2 - y1) == pytest.approx((110 * MM, 70 * MM, 30 * MM), abs=0.01)
    assert y1 == pytest.approx(expected[2] + 5 * MM, abs=0.01)
    with pytest.raises(ValueError):
        stamp_rect(document, "witness", pdf=pdf)


# --- previews ---------------------------------------------------------------------------------------------------


def test_layout_context_previews_unsaved_form_data(org_tree, document_types, leader):
    context = layout_context(
        None,
        draft_fields={
            "organization": org_tree["cell_a"],
            "document_type": document_types["Kế hoạch"],
            "summary": "tổ chức sinh hoạt chuyên đề",
            "signature_form": SignatureForm.ON_BEHALF,
            "signer_title": "Bí thư",
            "signer": leader,
            "recipients": ["Đảng ủy xã", ""],
        },
    )
    assert context["state"] == "draft"
    assert (context["superior_body"], context["issuing_body"]) == ("ĐẢNG BỘ XÃ GÒ QUAO", "CHI BỘ ẤP PHƯỚC HƯNG")
    assert context["type_name"] == "KẾ HOẠCH" and context["symbol_suffix"] == "-KH/CB"
    assert context["signature"]["lines"] == ["T/M CHI BỘ", "BÍ THƯ", leader.get_full_name()]
    assert context["recipient_lines"] == ["- Đảng ủy xã,", "- Lưu Văn phòng Đảng ủy."]


def _post_data(org_tree, document_types, **extra):
    data = {
        "organization": str(org_tree["standing"].pk),
        "document_type": str(document_types["Nghị quyết"].pk),
        "summary": "về công tác cán bộ",
        "body": "<p>Nội dung nghị quyết.</p>",
        "signature_form": "tm",
        "signer_title": "Bí thư",
        "signer_name": SIGNER_NAME,
        "recipients-0-name": "Các chi bộ",
        "recipients-1-name": "Bị xóa",
        "recipients-1-DELETE": "on",
    }
    data.update(extra)
    return data


def test_live_preview_of_a_new_draft_returns_page_images(
    client, clerk, outsider, admin_user, org_tree, document_types, settings
):
    from .factories import ClearanceFactory

    url = reverse("documents:outgoing_preview_form")
    client.force_login(clerk)
    response = client.post(url, _post_data(org_tree, document_types), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert body.count('src="data:image/png;base64,') == 1
    assert "1 page" in body

    # A classified draft: nothing for a user not cleared for its level; metadata only (no preview) otherwise.
    data = _post_data(org_tree, document_types, confidentiality="mat")
    assert client.post(url, data).status_code == 404
    ClearanceFactory(user=clerk, level="mat", granted_by=admin_user)
    assert "metadata only" in client.post(url, data).content.decode()
    settings.PARTYHUB_ALLOW_SECRET_FILES = True  # a deployment that keeps files for "Mật": previewed
    assert 'src="data:image/png;base64,' in client.post(url, data).content.decode()

    # Without the right to draft for the organization: 404; without an organization: a message.
    client.force_login(outsider)
    assert client.post(url, _post_data(org_tree, document_types)).status_code == 404
    client.force_login(clerk)
    response = client.post(url, _post_data(org_tree, document_types, organization=""))
    assert "Choose the issuing organization" in response.content.decode()


def test_live_preview_needs_the_csrf_token(clerk, org_tree, document_types):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post(reverse("documents:outgoing_preview_form"), _post_data(org_tree, document_types))
    assert response.status_code == 403
    assert client.get(reverse("documents:outgoing_preview_form")).status_code == 405


def test_saved_draft_preview_pdf_and_form_overlay(client, make_document, leader, outsider, clerk):
    document = make_document(drafted_by=leader)
    url = reverse("documents:outgoing_preview", args=[document.pk])
    client.force_login(leader)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    lines = read_lines(response.content)
    find(lines, "Số -NQ/ĐU")

    # htmx: the posted form laid over the saved draft.
    response = client.post(url, {"summary": "về công tác kiểm tra, giám sát"})
    assert response.status_code == 200 and 'src="data:image/png;base64,' in response.content.decode()

    # Somebody who may not see it: 404; somebody who sees it but may not edit it: 404 for the overlay.
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"summary": "x"}).status_code == 404
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    assert client.post(url, {"summary": "x"}).status_code == 404


def test_issued_document_preview_prints_its_number(client, make_document, leader):
    from documents.services.registering import register_for

    document = make_document(drafted_by=leader)
    document.register = register_for(document.organization, "outgoing", secret=False)
    document.period = "term-test"
    document.number = 8
    document.issued_on = datetime.date(2026, 3, 2)
    document.status = OutgoingStatus.ISSUED
    document.save()
    client.force_login(leader)
    response = client.get(reverse("documents:outgoing_preview", args=[document.pk]))
    lines = read_lines(response.content)
    find(lines, "Số 08-NQ/ĐU")
    find(lines, "Gò Quao, ngày 02 tháng 3 năm 2026")


def test_classified_document_has_no_preview(client, make_document, leader, admin_user, settings):
    from documents.models import Confidentiality

    from .factories import ClearanceFactory

    document = make_document(drafted_by=leader, confidentiality=Confidentiality.TOP_SECRET, body="")
    url = reverse("documents:outgoing_preview", args=[document.pk])
    client.force_login(leader)
    assert client.get(url).status_code == 404  # not cleared: not even seen
    ClearanceFactory(user=leader, level=Confidentiality.TOP_SECRET, granted_by=admin_user)
    response = client.get(url)
    assert response.status_code == 409
    assert "metadata only" in response.content.decode()
    assert client.post(url, {"summary": "x"}).content.decode().count("metadata only") == 1


def test_the_pdf_module_makes_form_fields_only_when_asked():
    from partyhub.pdf import html_to_pdf

    html = '<p>Số <input type="text" name="partyhub_number" style="width: 2em"></p>'
    assert set(form_fields(html_to_pdf(html, pdf_forms=True).pdf)) == {"partyhub_number"}
    assert form_fields(html_to_pdf(html).pdf) == {}


def test_posted_recipients_follow_the_formset_of_the_draft_form(org_tree):
    from django.http import QueryDict

    from documents.views.outgoing_preview import _posted_recipients

    data = QueryDict(mutable=True)
    data.update({"recipients-TOTAL_FORMS": "4", "recipients-0-name": "Các chi bộ", "recipients-0-in_block": "on"})
    data.update({"recipients-1-organization": str(org_tree["cell_b"].pk), "recipients-1-in_block": "on"})
    data.update({"recipients-2-name": "Không in", "recipients-3-name": "Đã xóa", "recipients-3-in_block": "on"})
    data.update({"recipients-3-DELETE": "on"})
    assert _posted_recipients(data) == ["Các chi bộ", "Chi bộ ấp Hòa Bình"]
    assert _posted_recipients(QueryDict("recipients=A%0AB&recipients=C")) == ["A", "B", "C"]
    assert _posted_recipients(QueryDict("summary=x")) is None


def test_uploaded_draft_has_no_layout_preview(client, clerk, org_tree, document_types):
    client.force_login(clerk)
    data = _post_data(org_tree, document_types, source="uploaded")
    response = client.post(reverse("documents:outgoing_preview_form"), data)
    assert "uploaded as a finished file" in response.content.decode()


def test_collective_for_reads_the_issuer_settings(org_tree):
    from documents.outgoing_render import collective_for

    assert collective_for(org_tree["standing"]) == "BAN THƯỜNG VỤ"
    assert collective_for(org_tree["cell_a"]) == "CHI BỘ"
    IssuerSettings.objects.create(
        organization=org_tree["cell_a"], format_profile=FormatProfile.objects.get(code="HD36"), collective_name="Chi ủy"
    )
    assert collective_for(org_tree["cell_a"]) == "CHI ỦY"


def test_the_draft_form_posts_the_fields_the_preview_reads(client, clerk, org_tree, document_types):
    """Contract with the drafting page (documents/outgoing/form.html): its form carries the field names the
    preview reads, and the preview answers the page's own POST (hx-include of the whole form)."""
    client.force_login(clerk)
    page = client.get(reverse("documents:outgoing_new"))
    assert page.status_code == 200
    names = set(re.findall(r'name="([^"]+)"', page.content.decode()))
    for name in ("organization", "document_type", "summary", "body", "signature_form", "signer_title"):
        assert name in names, name
    assert {"signer_name", "collective_name", "confidentiality", "urgency", "recipients-0-name"} <= names
    assert reverse("documents:outgoing_preview_form") in page.content.decode()

    data = _post_data(org_tree, document_types)
    data.update({"recipients-TOTAL_FORMS": "1", "recipients-INITIAL_FORMS": "0", "recipients-0-in_block": "on"})
    response = client.post(reverse("documents:outgoing_preview_form"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'src="data:image/png;base64,' in response.content.decode()
