"""Text helpers for Vietnamese: the normalized form that diacritic-insensitive search compares."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Letters that NFD does not decompose into a base letter plus marks.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})


def fold(text: str | None) -> str:
    """Lower-case ``text`` without diacritics, đ → d, spaces collapsed: "Nguyễn Văn Ân" → "nguyen van an".

    Both the stored search column and the query go through this, so "nguyen van an" finds
    "Nguyễn Văn An" and "Đảng" matches "dang"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def clean(text: str | None) -> str:
    """NFC-normalized, trimmed, inner spaces collapsed: what forms store for names and short fields."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
