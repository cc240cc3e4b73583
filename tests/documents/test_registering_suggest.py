"""Suggestions read from the text of a document (documents.suggest), on realistic OCR-like texts."""

from __future__ import annotations

import datetime

import pytest

from documents.models import DocumentType
from documents.suggest import suggest_metadata

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]

PARTY_RESOLUTION = """\
TỈNH ỦY AN GIANG                         ĐẢNG CỘNG SẢN VIỆT NAM
*
Số 57-NQ/TU                       An Giang, ngày 05 tháng 11 năm 2026

NGHỊ QUYẾT
về đẩy mạnh chuyển đổi số trong hoạt động
của các cơ quan Đảng trên địa bàn tỉnh
-----

Căn cứ Điều lệ Đảng; căn cứ Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị,
Ban Thường vụ Tỉnh ủy quyết nghị:
1. Mọi tổ chức đảng thực hiện ...

T/M BAN THƯỜNG VỤ
BÍ THƯ
(đã ký)
Nguyễn Văn Thắng

Nơi nhận:
- Các đảng bộ trực thuộc,
- Lưu Văn phòng Tỉnh ủy.
"""

# The same document as a scanner without Vietnamese OCR (or an e-mail typed without diacritics) gives it.
PARTY_RESOLUTION_NO_DIACRITICS = """\
TINH UY AN GIANG DANG CONG SAN VIET NAM
*
So 57-NQ/TU An Giang, ngay 05 thang 11 nam 2026
NGHI QUYET
ve day manh chuyen doi so trong hoat dong
cua cac co quan Dang tren dia ban tinh

Can cu Dieu le Dang;
T/M BAN THUONG VU
BI THU
Nguyen Van Thang
"""

OFFICIAL_LETTER = """\
HUYỆN ỦY GÒ QUAO
BAN TUYÊN GIÁO
*
Số 123-CV/BTGHU
V/v tổ chức hội nghị học tập, quán triệt
nghị quyết Đại hội Đảng bộ tỉnh

ĐẢNG CỘNG SẢN VIỆT NAM
Gò Quao, ngày 03 tháng 02 năm 2026

Kính gửi: Các chi bộ, đảng bộ trực thuộc.
"""

STATE_DECISION = """\
ỦY BAN NHÂN DÂN TỈNH AN GIANG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 12/QĐ-UBND An Giang, ngày 9 tháng 1 năm 2026
HỎA TỐC
QUYẾT ĐỊNH
Về việc thành lập Ban Chỉ đạo chuyển đổi số tỉnh
ỦY BAN NHÂN DÂN TỈNH AN GIANG
Căn cứ Luật Tổ chức chính quyền địa phương;
"""


def _type(name: str) -> int:
    return DocumentType.objects.get(name=name).pk


def test_party_resolution_with_diacritics():
    result = suggest_metadata(PARTY_RESOLUTION)
    assert result["number_symbol"] == "57-NQ/TU"
    assert result["document_date"] == datetime.date(2026, 11, 5)
    assert result["document_type"] == _type("Nghị quyết")
    assert result["summary"] == ("Về đẩy mạnh chuyển đổi số trong hoạt động của các cơ quan Đảng trên địa bàn tỉnh")
    assert result["sender"] == "Tỉnh ủy An Giang"
    assert result["signer_name"] == "Nguyễn Văn Thắng"
    assert "urgency" not in result and "confidentiality" not in result


def test_party_resolution_without_diacritics():
    result = suggest_metadata(PARTY_RESOLUTION_NO_DIACRITICS)
    assert result["number_symbol"] == "57-NQ/TU"
    assert result["document_date"] == datetime.date(2026, 11, 5)
    assert result["document_type"] == _type("Nghị quyết")
    assert result["summary"] == "Ve day manh chuyen doi so trong hoat dong cua cac co quan Dang tren dia ban tinh"
    assert result["sender"] == "Tinh uy An Giang"
    assert result["signer_name"] == "Nguyen Van Thang"


def test_official_letter_summary_from_vv_line_and_body_of_superior():
    result = suggest_metadata(OFFICIAL_LETTER)
    assert result["number_symbol"] == "123-CV/BTGHU"
    assert result["document_type"] == _type("Công văn")
    assert result["summary"] == "Tổ chức hội nghị học tập, quán triệt nghị quyết Đại hội Đảng bộ tỉnh"
    assert result["document_date"] == datetime.date(2026, 2, 3)
    assert result["sender"] == "Ban Tuyên giáo Huyện ủy Gò Quao"


def test_state_decision_form_and_urgency_mark():
    result = suggest_metadata(STATE_DECISION)
    assert result["number_symbol"] == "12/QĐ-UBND"
    assert result["document_date"] == datetime.date(2026, 1, 9)
    # The type line wins over the abbreviation (QĐ is shared by Quyết định and Quy định).
    assert result["document_type"] == _type("Quyết định")
    assert result["summary"] == "Về việc thành lập Ban Chỉ đạo chuyển đổi số tỉnh"
    assert result["urgency"] == "hoa_toc"
    assert result["sender"] == "Ủy ban nhân dân tỉnh An Giang"


def test_type_from_abbreviation_when_no_type_line_and_ocr_eth():
    text = "ĐẢNG ỦY XÃ GÒ QUAO\n*\nSố 05 - KH/ÐU\nGò Quao, ngày 10 tháng 3 năm 2026\nMẬT\n"
    result = suggest_metadata(text)
    assert result["number_symbol"] == "05-KH/ĐU"  # OCR's Ð (U+00D0) read as Đ, spaces dropped
    assert result["document_type"] == _type("Kế hoạch")
    assert result["confidentiality"] == "mat"
    assert result["sender"] == "Đảng ủy xã Gò Quao"


def test_nothing_found():
    assert suggest_metadata("") == {}
    assert suggest_metadata("Lorem ipsum dolor sit amet\nngày 40 tháng 13 năm 2026") == {}
