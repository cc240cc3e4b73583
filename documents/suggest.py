"""Suggestions for the registration form, read from the text of a document (OCR or text layer).

:func:`suggest_metadata` looks for what the layout of a party document (format profile HD36, domain.md §2) or
a state document puts in fixed places:

* the number and symbol: "Số 57-NQ/TU" (party form) or "Số: 12/QĐ-UBND" (state form), in the header;
* the document date: "Gò Quao, ngày 05 tháng 11 năm 2026";
* the type: the type name standing alone on its line ("NGHỊ QUYẾT"), else the abbreviation of the symbol,
  else "Công văn" when there is a "V/v" line;
* the summary (trích yếu): the "V/v …" line of a công văn, or the line(s) after the type name;
* the sender: the header lines at the top left (superior body, issuing body), before the "*" or the number;
* the signer (the last name of the signature block) and the confidentiality and urgency marks.

Every rule also works on text without diacritics (OCR output and e-mails typed without them): lines are
compared in their folded form (``partyhub.text.fold``) and the original text is returned. The suggestions are
only suggestions: the clerk checks them, and the service validates whatever is submitted.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from .services.registering import parse_number_symbol

__all__ = ["suggest_metadata"]

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})

#: How many lines from the top count as the header (number, date, sender, marks).
HEADER_LINES = 15

_NUMBER_RE = re.compile(
    r"(?:\b[sS][oốôóồOỐÔÓỒ]\s*[:.]?\s*)?"
    r"(\d{1,6}\s*[-/]\s*(?:\d{4}\s*/\s*)?[A-ZĐÐ][A-Za-zĐđÐ]{0,15}(?:\s*[-/]\s*[A-ZĐÐ][A-Za-zĐđÐ0-9]{0,15})+)"
)
_DATE_RE = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")
_VV_RE = re.compile(r"^\s*v\s*/\s*v\b\s*[:.]?\s*", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"^[\s\-–—_=*.·•]+$")
_MOTTO_PATTERNS = (
    "dang cong san viet nam",
    "cong hoa xa hoi chu nghia viet nam",
    "doc lap - tu do - hanh phuc",
    "doc lap tu do hanh phuc",
)
#: Lines that start the body, after the summary.
_BODY_STARTS = ("can cu", "- can cu", "thuc hien", "kinh gui", "trong ", "ngay ", "i.", "1.", "phan ", "chuong ")
_SIGNATURE_HEADS = ("t/m ", "k/t ", "t/l ", "tm.", "kt.", "tl.")
_SIGNATURE_POSITIONS = (
    "bi thu",
    "pho bi thu",
    "chanh van phong",
    "pho chanh van phong",
    "truong ban",
    "pho truong ban",
    "chu nhiem",
    "pho chu nhiem",
    "chu tich",
    "pho chu tich",
)
_SIGNATURE_NOISE = ("(da ky)", "(ky ten", "(ky, ghi ro", "da ky", "(ky va ghi", "(ky, dong dau")
_CONFIDENTIALITY = {"tuyet mat": "tuyet_mat", "toi mat": "toi_mat", "mat": "mat"}
_URGENCY = {"hoa toc": "hoa_toc", "thuong khan": "thuong_khan", "khan": "khan"}
#: Words of organization names after which the rest of a header line is a place name (title-cased).
_PLACE_AFTER = ("tinh uy", "huyen uy", "thanh uy", "quan uy", "thi uy", "dang uy", "dang bo", "chi bo")
_PLACE_UNITS = ("tinh", "huyen", "xa", "phuong", "thi tran", "thanh pho", "ap", "khom", "thi xa", "quan")
_CAPITALIZED = (
    "ban",
    "van phong",
    "uy ban kiem tra",
    "tinh uy",
    "huyen uy",
    "thanh uy",
    "dang uy",
    "dang bo",
    "chi bo",
    "ban thuong vu",
    "ban chap hanh",
    "uy ban nhan dan",
    "hoi dong nhan dan",
)


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _fold(text: str) -> str:
    """Folded like ``partyhub.text.fold`` (lower case, no diacritics) but spaces kept as they are."""
    return "".join(_fold_char(ch) for ch in text)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _lines(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text or "").replace("\u00d0", "Đ").replace("\u00f0", "đ")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return [_squash(line) for line in text.split("\n")]


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --- number and date --------------------------------------------------------------------------------------


def _number_symbol(lines: list[str]) -> tuple[str, object]:
    """The first number and symbol of the header, preferring one introduced by "Số"."""
    fallback = ("", None)
    for index, line in enumerate(lines[: HEADER_LINES * 2]):
        for match in _NUMBER_RE.finditer(line):
            parsed = parse_number_symbol(match.group(1))
            if parsed is None:
                continue
            introduced = match.group(0) != match.group(1)
            if introduced and index < HEADER_LINES:
                return parsed.text, parsed
            if fallback[1] is None:
                fallback = (parsed.text, parsed)
    return fallback


def _document_date(lines: list[str]) -> datetime.date | None:
    """The date of the place-and-date line ("Gò Quao, ngày 05 tháng 11 năm 2026"); else the first date of
    the header."""
    first = None
    for index, line in enumerate(lines):
        folded = _fold(line)
        for match in _DATE_RE.finditer(folded):
            try:
                value = datetime.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            except ValueError:
                continue
            before = folded[: match.start()].rstrip()
            if before.endswith(",") and index < HEADER_LINES:
                return value
            if first is None and index < HEADER_LINES:
                first = value
    return first


# --- type and summary -------------------------------------------------------------------------------------


def _type_line(lines: list[str], types: list) -> tuple[int, object]:
    """(line index, DocumentType) of the type name standing alone on its line."""
    names = {_squash(_fold(t.name)): t for t in types}
    for index, line in enumerate(lines[: HEADER_LINES * 2]):
        folded = _squash(_fold(line)).strip(" .:")
        if folded in names:
            return index, names[folded]
    return -1, None


def _summary_after(lines: list[str], start: int) -> str:
    parts: list[str] = []
    for line in lines[start:]:
        folded = _fold(line).strip()
        if not line:
            if parts:
                break
            continue
        if _SEPARATOR_RE.match(line) or folded.startswith(_BODY_STARTS) or len(parts) >= 3:
            break
        if parts and line == line.upper() and any(ch.isalpha() for ch in line):
            break  # a heading in capitals after the summary (the issuing body repeated, a section title)
        parts.append(line.strip(" -–—"))
    return _capitalize(" ".join(p for p in parts if p))


def _vv_summary(lines: list[str]) -> str:
    for index, line in enumerate(lines[: HEADER_LINES * 2]):
        match = _VV_RE.match(line)
        if not match:
            continue
        parts = [line[match.end() :]]
        # A long summary wraps onto the next line (until a blank line or the "Kính gửi").
        for follow in lines[index + 1 : index + 3]:
            folded = _fold(follow).strip()
            if not follow or folded.startswith(_BODY_STARTS) or _fold(follow).startswith(_MOTTO_PATTERNS):
                break
            if _DATE_RE.search(folded) or _SEPARATOR_RE.match(follow):
                break
            parts.append(follow)
            break
        return _capitalize(_squash(" ".join(parts)))
    return ""


# --- sender and signer ------------------------------------------------------------------------------------


def _strip_motto(line: str) -> str:
    """Cut the national motto (top right) off a header line merged by the OCR."""
    folded = _fold(line)
    cut = len(line)
    for pattern in _MOTTO_PATTERNS:
        position = folded.find(pattern)
        if position != -1:
            cut = min(cut, position)
    return line[:cut].strip(" -–—*")


def _org_case(text: str) -> str:
    """An organization name written in capitals, in Vietnamese name case: "BAN TUYÊN GIÁO TỈNH ỦY AN GIANG"
    → "Ban Tuyên giáo Tỉnh ủy An Giang". Text already in mixed case is kept."""
    if not text or text != text.upper():
        return text
    words = text.lower().split()
    folded = [_fold(w) for w in words]
    result = list(words)
    place_from = None
    places = sorted(_PLACE_AFTER + _PLACE_UNITS, key=lambda p: -len(p.split()))
    names = sorted(_CAPITALIZED, key=lambda p: -len(p.split()))

    def match(i: int, phrases) -> str:
        return next((p for p in phrases if " ".join(folded[i : i + len(p.split())]) == p), "")

    i = 0
    while i < len(words):
        phrase = match(i, places)
        if phrase:
            if phrase in _CAPITALIZED:
                result[i] = _capitalize(result[i])
            place_from = i + len(phrase.split())
            i = place_from
            continue
        phrase = match(i, names)
        if phrase:
            result[i] = _capitalize(result[i])
            if phrase == "ban" and i + 1 < len(words):
                result[i + 1] = _capitalize(result[i + 1])  # Ban Tuyên giáo, Ban Tổ chức
            i += len(phrase.split())
            continue
        i += 1
    if place_from is not None:
        for i in range(place_from, len(words)):
            result[i] = _capitalize(result[i])
    result[0] = _capitalize(result[0])
    return " ".join(result)


def _sender(lines: list[str]) -> str:
    """The issuing body from the top-left header lines (before the "*", the number or the date)."""
    header: list[str] = []
    for line in lines[:HEADER_LINES]:
        folded = _fold(line).strip()
        if not line or folded in ("*", "-", "—"):
            if header:
                break
            continue
        if _fold(line).lstrip().startswith(("so ", "so:", "so.")) or _DATE_RE.search(folded):
            break
        if folded in _CONFIDENTIALITY or folded in _URGENCY:
            continue
        body = _strip_motto(line)
        if not body:
            continue
        if body != body.upper():  # the header is in capitals; mixed case is body text already
            break
        header.append(body.strip(" *"))
        if len(header) == 3:
            break
    header = [h for h in header if h]
    if not header:
        return ""
    issuing = header[-1]
    folded_issuing = _fold(issuing)
    # "TỈNH ỦY AN GIANG" / "BAN TUYÊN GIÁO": a body of the superior organization is named with it.
    if len(header) > 1 and folded_issuing.startswith(("ban ", "van phong", "uy ban kiem tra")):
        issuing = f"{issuing} {header[-2]}"
    return _org_case(_squash(issuing))


def _signer(lines: list[str]) -> str:
    """The name at the end of the signature block (after T/M …, BÍ THƯ …)."""
    for index in range(len(lines) - 1, -1, -1):
        folded = _fold(lines[index]).strip()
        if folded.startswith(_SIGNATURE_HEADS) or folded in _SIGNATURE_POSITIONS:
            for follow in lines[index + 1 : index + 6]:
                folded_follow = _fold(follow).strip()
                if not follow or folded_follow in _SIGNATURE_POSITIONS or folded_follow.startswith(_SIGNATURE_NOISE):
                    continue
                if folded_follow.startswith(_SIGNATURE_HEADS):
                    continue
                if folded_follow.startswith(("noi nhan", "- ", "luu")):
                    break
                name = _squash(follow)
                words = name.split()
                if 2 <= len(words) <= 6 and all(w[:1].isalpha() for w in words):
                    return " ".join(_capitalize(w.lower()) for w in words)
                break
            break
    return ""


def _marks(lines: list[str]) -> tuple[str, str]:
    confidentiality = urgency = ""
    for line in lines[:HEADER_LINES]:
        folded = _squash(_fold(line)).strip(" .*")
        if not confidentiality and folded in _CONFIDENTIALITY:
            confidentiality = _CONFIDENTIALITY[folded]
        if not urgency and folded in _URGENCY:
            urgency = _URGENCY[folded]
    return confidentiality, urgency


# --- the entry point --------------------------------------------------------------------------------------


def suggest_metadata(text: str) -> dict:
    """Suggested registration metadata read from ``text``: only the keys found, among ``number_symbol``
    (str), ``document_date`` (date), ``document_type`` (a ``DocumentType`` pk), ``summary``, ``sender``,
    ``signer_name`` (str), ``confidentiality`` and ``urgency`` (choice values). One query (the active types)."""
    from .models import DocumentType

    lines = _lines(text)
    if not any(lines):
        return {}
    types = list(DocumentType.objects.filter(active=True).order_by("order", "name"))
    result: dict = {}

    number_symbol, parsed = _number_symbol(lines)
    if number_symbol:
        result["number_symbol"] = number_symbol
    document_date = _document_date(lines)
    if document_date:
        result["document_date"] = document_date

    type_index, document_type = _type_line(lines, types)
    summary = ""
    if document_type is not None:
        summary = _summary_after(lines, type_index + 1)
    vv = _vv_summary(lines)
    if not summary and vv:
        summary = vv
    if document_type is None and parsed is not None:
        document_type = next((t for t in types if t.abbreviation == parsed.abbreviation), None)
    if document_type is None and vv:
        document_type = next((t for t in types if t.abbreviation == "CV"), None)
    if document_type is not None:
        result["document_type"] = document_type.pk
    if summary:
        result["summary"] = summary

    sender = _sender(lines)
    if sender:
        result["sender"] = sender
    signer = _signer(lines)
    if signer:
        result["signer_name"] = signer
    confidentiality, urgency = _marks(lines)
    if confidentiality:
        result["confidentiality"] = confidentiality
    if urgency:
        result["urgency"] = urgency
    return result
