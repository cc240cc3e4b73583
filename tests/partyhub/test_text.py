import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyhub.text import clean, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("ĐẢNG CỘNG SẢN VIỆT NAM", "dang cong san viet nam"),
        ("Nghị quyết  chuyển đổi số", "nghi quyet chuyen doi so"),
        ("Ðảng", "dang"),  # the OCR's Ð (U+00D0) folds like Đ
        ("  Trần   Thị Ánh  ", "tran thi anh"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_forms_alike():
    composed = "Phước Hưng"
    decomposed = "Phu\u031bo\u031b\u0301c Hu\u031bng"
    assert fold(composed) == fold(decomposed) == "phuoc hung"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text):
    once = fold(text)
    assert fold(once) == once


def test_clean_normalizes_to_nfc_and_collapses_spaces():
    assert clean("  Le\u0302  Va\u0306n ") == "Lê Văn"
