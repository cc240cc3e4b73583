"""The official layout of outgoing party documents (issue 5, domain.md §2): a document rendered to PDF by the
format profile of its issuing organization, for the live preview, the final PDF the signer signs, and the
numbered copy.

Contract (notes/issue5.md, "H-render"):

* :func:`render_outgoing_pdf` — PDF bytes through :func:`partyhub.pdf.render_pdf`, always in Vietnamese.
  With ``fields=True`` and no number, the number digits and the place-and-date line are AcroForm text fields
  named :data:`NUMBER_FIELD` and :data:`DATE_FIELD`, laid out where the text goes, so the clerk fills them in
  an incremental update after the signer signed (values: :func:`form_field_values`). With a number the real
  number and date are printed as text; with neither (a draft preview) the number and the day and month are
  blanks.
* :func:`format_number_symbol`, :func:`format_date_line`, :func:`profile_for`, :func:`signature_block`,
  :func:`layout_context` (also for previews of unsaved form data, ``draft_fields``).
* :func:`stamp_rect` — where a visible signature stamp goes on the last page (see its docstring).

Header texts come from the organization tree (there is no per-organization header override in the data):

* a commune committee (``Đảng bộ xã Gò Quao``), its standing or executive committee: superior line = the party
  organization ("đảng bộ") of the parent (``Tỉnh ủy An Giang`` → ``ĐẢNG BỘ TỈNH AN GIANG``), issuing line =
  the committee (``ĐẢNG ỦY XÃ GÒ QUAO``);
* a cell: superior = the parent's party organization (``ĐẢNG BỘ XÃ GÒ QUAO``), issuing = the cell's name;
* an office or the inspection committee: superior = the parent committee (``ĐẢNG ỦY XÃ GÒ QUAO``), issuing =
  the body's own name (``VĂN PHÒNG ĐẢNG ỦY``).
"""

from __future__ import annotations

import datetime
import html
import importlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from members.models import Organization, OrganizationKind

from .models import (
    Confidentiality,
    FormatProfile,
    IssuerSettings,
    OutgoingDocument,
    SignatureForm,
    Urgency,
)

#: Names of the AcroForm text fields of the final PDF (filled by the clerk at issue).
NUMBER_FIELD = "partyhub_number"
DATE_FIELD = "partyhub_date"

#: The template every profile falls back to; a profile may name another one under this folder.
DEFAULT_TEMPLATE = "documents/outgoing/pdf/party_document.html"
TEMPLATE_FOLDER = "documents/outgoing/pdf/"

#: Ids of the invisible anchors around the signature block: WeasyPrint writes them as named destinations,
#: which :func:`stamp_rect` reads back from the PDF.
SIGNATURE_TOP_ANCHOR = "partyhub-signature-top"
SIGNATURE_BOTTOM_ANCHOR = "partyhub-signature-bottom"

#: The marks printed on the document (official Vietnamese words, whatever the reader's language).
CONFIDENTIALITY_MARKS = {
    Confidentiality.SECRET: "MẬT",
    Confidentiality.TOP_SECRET: "TỐI MẬT",
    Confidentiality.ABSOLUTE_SECRET: "TUYỆT MẬT",
}
URGENCY_MARKS = {
    Urgency.URGENT: "KHẨN",
    Urgency.VERY_URGENT: "THƯỢNG KHẨN",
    Urgency.FLASH: "HỎA TỐC",
}

#: The collective of "T/M …" (and "T/L …") when neither the document nor IssuerSettings names one.
COLLECTIVE_BY_KIND = {
    OrganizationKind.CENTRAL: "BAN CHẤP HÀNH TRUNG ƯƠNG",
    OrganizationKind.PROVINCE_COMMITTEE: "TỈNH ỦY",
    OrganizationKind.COMMUNE_COMMITTEE: "ĐẢNG ỦY",
    OrganizationKind.EXECUTIVE_COMMITTEE: "ĐẢNG ỦY",
    OrganizationKind.STANDING_COMMITTEE: "BAN THƯỜNG VỤ",
    OrganizationKind.INSPECTION_COMMITTEE: "ỦY BAN KIỂM TRA",
    # The office signs "T/L BAN THƯỜNG VỤ": by order of the standing committee.
    OrganizationKind.OFFICE: "BAN THƯỜNG VỤ",
    OrganizationKind.CELL: "CHI BỘ",
}
#: The head a deputy signs for ("K/T …") when the deputy's title does not start with "PHÓ ".
HEAD_BY_KIND = {
    OrganizationKind.OFFICE: "CHÁNH VĂN PHÒNG",
    OrganizationKind.INSPECTION_COMMITTEE: "CHỦ NHIỆM",
}
DEPUTY_SECRETARY = "PHÓ BÍ THƯ"

_BLANK = "\u00a0" * 4  # a blank in a draft's number and date line
_CSS_FAMILY = re.compile(r"[^A-Za-z0-9 \-]")
_DATE_PLACEHOLDER = re.compile(r"\{(place|day|month|year)\}")
_PAGE_SIZE = re.compile(r"^[A-Za-z0-9 .]+$")
_MM = 72 / Decimal("25.4")


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def upper(text: str | None) -> str:
    return nfc(text).strip().upper()


# --- profiles --------------------------------------------------------------------------------------------


def _fallback_profile() -> FormatProfile:
    """An unsaved HD36 profile (the data of migration 0006) when the database has none: documents still render."""
    seed = importlib.import_module("documents.migrations.0006_seed_format_profile")
    return FormatProfile(code="HD36", is_default=True, active=True, **seed.HD36)


def _issuer_settings(organization: Organization | None) -> IssuerSettings | None:
    if organization is None or organization.pk is None:
        return None
    return IssuerSettings.objects.filter(organization_id=organization.pk).select_related("format_profile").first()


def _profile_from(issuer: IssuerSettings | None) -> FormatProfile:
    if issuer is not None and issuer.format_profile.active:
        return issuer.format_profile
    default = FormatProfile.objects.filter(is_default=True, active=True).first()
    if default is None:
        default = FormatProfile.objects.filter(active=True, code="HD36").first()
    return default or _fallback_profile()


def profile_for(organization: Organization | None) -> FormatProfile:
    """The active format profile of ``organization``: the one chosen in its IssuerSettings (when active),
    else the default profile. Read from the database on every call, so an edit in the admin applies at once."""
    return _profile_from(_issuer_settings(organization))


# --- number and date ---------------------------------------------------------------------------------------


def _is_letter(document_type) -> bool:
    """A công văn has no type name; its summary ("V/v …") stands under the number."""
    if document_type is None:
        return False
    return document_type.abbreviation == "CV" or nfc(document_type.name).casefold() == "công văn"


def symbol_suffix(document_type, organization: Organization | None) -> str:
    """``-NQ/ĐU``: what follows the number digits."""
    abbreviation = nfc(document_type.abbreviation if document_type else "")
    code = nfc(organization.code if organization else "")
    return f"-{abbreviation}/{code}"


def _number_digits(number: int, profile: FormatProfile) -> str:
    return f"{int(number):0{max(int(profile.number_padding or 1), 1)}d}"


def format_number_symbol(document, number: int, *, profile: FormatProfile | None = None) -> str:
    """``05-NQ/ĐU``: the number padded per the profile, the type abbreviation and the organization code (the
    party form — never the state form ``12/QĐ-UBND``). "Số" is not part of it."""
    profile = profile or profile_for(document.organization)
    return _number_digits(number, profile) + symbol_suffix(document.document_type, document.organization)


def _fill_date_line(profile: FormatProfile, *, place: str, day: str, month: str, year: str) -> str:
    values = {"place": nfc(place).strip(), "day": day, "month": month, "year": year}
    line = _DATE_PLACEHOLDER.sub(lambda m: values[m.group(1)], nfc(profile.date_line))
    if not values["place"]:  # no place known: drop the ", " left in front of "ngày"
        line = line.lstrip(" ,")
    return line


def date_parts(profile: FormatProfile, day: datetime.date) -> tuple[str, str, str]:
    """Day, month and year as written: days below ``pad_days_below`` and the months in ``padded_months`` get
    two digits (HD36: "ngày 05 tháng 02", "ngày 15 tháng 3")."""
    padded_months = {int(m) for m in (profile.padded_months or []) if str(m).isdigit()}
    day_text = f"{day.day:02d}" if day.day < int(profile.pad_days_below or 0) else str(day.day)
    month_text = f"{day.month:02d}" if day.month in padded_months else str(day.month)
    return day_text, month_text, str(day.year)


def format_date_line(profile: FormatProfile, place: str, day: datetime.date) -> str:
    """``Gò Quao, ngày 05 tháng 11 năm 2026`` from the profile's pattern and padding rules."""
    day_text, month_text, year_text = date_parts(profile, day)
    return _fill_date_line(profile, place=place, day=day_text, month=month_text, year=year_text)


def draft_date_line(profile: FormatProfile, place: str, year: int) -> str:
    """The date line of a draft: blanks for the day and the month."""
    return _fill_date_line(profile, place=place, day=_BLANK, month=_BLANK, year=str(year))


def place_of(organization: Organization | None) -> str:
    """The place of the date line: the organization's place name, else the nearest ancestor's."""
    node, seen = organization, set()
    while node is not None and node.pk not in seen:
        if node.place_name:
            return nfc(node.place_name).strip()
        seen.add(node.pk)
        node = node.parent
    return ""


def form_field_values(document, *, number: int, issued_on: datetime.date) -> dict[str, str]:
    """The values the clerk fills into the final PDF's fields at issue: ``{"partyhub_number": "05",
    "partyhub_date": "Gò Quao, ngày 05 tháng 11 năm 2026"}`` (the symbol ``-NQ/ĐU`` is printed already)."""
    profile = profile_for(document.organization)
    return {
        NUMBER_FIELD: _number_digits(number, profile),
        DATE_FIELD: format_date_line(profile, place_of(document.organization), issued_on),
    }


# --- header ------------------------------------------------------------------------------------------------

_COMMITTEE_KINDS = {
    OrganizationKind.COMMUNE_COMMITTEE,
    OrganizationKind.PROVINCE_COMMITTEE,
    OrganizationKind.CENTRAL,
}
_COLLECTIVE_OF_COMMITTEE = {OrganizationKind.STANDING_COMMITTEE, OrganizationKind.EXECUTIVE_COMMITTEE}
_UY = "(?:ủy|uỷ)"


def _swap_prefix(name: str, patterns: list[tuple[str, str]]) -> str:
    for pattern, replacement in patterns:
        match = re.match(pattern, name, flags=re.IGNORECASE)
        if match:
            return replacement + name[match.end() :]
    return name


def party_organization_name(organization: Organization) -> str:
    """The party organization ("đảng bộ") of a committee: ``Tỉnh ủy An Giang`` → ``Đảng bộ tỉnh An Giang``,
    ``Đảng ủy xã X`` → ``Đảng bộ xã X``; other names as they are."""
    name = nfc(organization.name).strip()
    if organization.kind in _COLLECTIVE_OF_COMMITTEE and organization.parent_id:
        return party_organization_name(organization.parent)
    return _swap_prefix(
        name,
        [
            (rf"tỉnh {_UY}\s+", "Đảng bộ tỉnh "),
            (rf"thành {_UY}\s+", "Đảng bộ thành phố "),
            (rf"đảng {_UY}\s+", "Đảng bộ "),
        ],
    )


def committee_name(organization: Organization) -> str:
    """The committee that issues for a party organization: ``Đảng bộ xã Gò Quao`` → ``Đảng ủy xã Gò Quao``; a
    standing or executive committee issues under its committee's name."""
    if organization.kind in _COLLECTIVE_OF_COMMITTEE and organization.parent_id:
        return committee_name(organization.parent)
    name = nfc(organization.name).strip()
    if organization.kind in _COMMITTEE_KINDS:
        return _swap_prefix(name, [(r"đảng bộ\s+", "Đảng ủy ")])
    return name


def header_lines(organization: Organization | None) -> tuple[str, str]:
    """(superior body, issuing body), both in capitals, from the organization tree (see the module doc)."""
    if organization is None:
        return "", ""
    kind = organization.kind
    committee_level = kind in _COMMITTEE_KINDS or kind in _COLLECTIVE_OF_COMMITTEE
    if committee_level:
        issuing = committee_name(organization)
        anchor = organization.parent if kind in _COLLECTIVE_OF_COMMITTEE else organization
        superior_org = anchor.parent if anchor is not None else None
        superior = party_organization_name(superior_org) if superior_org is not None else ""
    elif kind == OrganizationKind.CELL:
        issuing = nfc(organization.name)
        superior = party_organization_name(organization.parent) if organization.parent_id else ""
    else:  # offices, the inspection committee: under the committee they serve
        issuing = nfc(organization.name)
        superior = committee_name(organization.parent) if organization.parent_id else ""
    return upper(superior), upper(issuing)


# --- signature block and recipients -------------------------------------------------------------------------


_LOOK_UP = object()


def collective_for(organization: Organization | None, issuer=_LOOK_UP) -> str:
    """The collective of "T/M …"/"T/L …": the organization's IssuerSettings.collective_name, else the usual
    name for its kind (:data:`COLLECTIVE_BY_KIND`). ``issuer``: the IssuerSettings row (or ``None``) when the
    caller has it already; by default it is read."""
    if issuer is _LOOK_UP:
        issuer = _issuer_settings(organization)
    if issuer is not None and issuer.collective_name.strip():
        return upper(issuer.collective_name)
    if organization is None:
        return ""
    return COLLECTIVE_BY_KIND.get(organization.kind, "")


def _head_title(title: str, organization: Organization | None) -> str:
    if title.startswith("PHÓ "):
        return title[4:].strip()
    if organization is not None and organization.kind in HEAD_BY_KIND:
        return HEAD_BY_KIND[organization.kind]
    return "TRƯỞNG BAN"


def _signature_block(view: _DocumentView, issuer: IssuerSettings | None) -> dict:
    title = upper(view.signer_title)
    name = nfc(view.signer_name).strip()
    if not name and view.signer is not None:
        name = nfc(view.signer.get_full_name()).strip()
    form = view.signature_form or SignatureForm.ON_BEHALF
    if form == SignatureForm.DEPUTY and title.startswith(DEPUTY_SECRETARY):
        # A deputy secretary signs on behalf of the committee, never "K/T" (domain.md §2).
        form = SignatureForm.ON_BEHALF
    collective = upper(view.collective_name) or collective_for(view.organization, issuer)
    if form == SignatureForm.ON_BEHALF:
        authority = f"T/M {collective}" if collective else ""
    elif form == SignatureForm.BY_ORDER:
        authority = f"T/L {collective}" if collective else ""
    elif form == SignatureForm.DEPUTY:
        authority = f"K/T {_head_title(title, view.organization)}"
    else:
        authority = ""
    lines = [line for line in (authority, title, name) if line]
    return {"form": str(form), "authority": authority, "title": title, "name": name, "lines": lines}


def signature_block(document) -> dict:
    """The lines of the signature block: ``{"form", "authority" ("T/M BAN THƯỜNG VỤ", "K/T TRƯỞNG BAN",
    "T/L BAN THƯỜNG VỤ" or ""), "title" ("BÍ THƯ"), "name", "lines"}``. A deputy secretary asked to sign "K/T"
    signs "T/M …" (the form returned is the one printed)."""
    view = _DocumentView.of(document)
    return _signature_block(view, _issuer_settings(view.organization))


def _recipient_lines(names: list[str], profile: FormatProfile, issuer: IssuerSettings | None) -> list[str]:
    prefix = nfc(profile.recipient_line_prefix)
    suffix = nfc(profile.recipient_line_suffix)
    lines = []
    for raw in names:
        name = nfc(raw).strip()
        if not name:
            continue
        name = name.lstrip("-–• ").rstrip(",;. ") if prefix or suffix else name
        lines.append(f"{prefix}{name}{suffix}")
    file_copy = nfc(issuer.file_copy_line if issuer is not None and issuer.file_copy_line.strip() else "")
    file_copy = file_copy or nfc(profile.file_copy_line)
    file_copy = file_copy.strip().lstrip("-–• ") if prefix else file_copy.strip()
    if file_copy:
        lines.append(f"{prefix}{file_copy}")
    return lines


# --- body ----------------------------------------------------------------------------------------------------


def clean_body_html(text: str | None) -> str:
    """The body as safe HTML. HTML goes through the workflow's sanitizer
    (:func:`documents.services.outgoing.sanitize_body`, nh3 with the allowed subset) again — a preview's body
    was never saved; plain text (no tags) becomes paragraphs, one per line, escaped."""
    from .services.outgoing import sanitize_body

    text = nfc(text)
    if not text.strip():
        return ""
    if "<" not in text:
        paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n")]
        return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    return sanitize_body(text)


# --- the layout context ---------------------------------------------------------------------------------------


@dataclass
class _DocumentView:
    """The fields the layout reads: a saved document's, with a draft form's values laid over them."""

    organization: Organization | None = None
    document_type: object = None
    summary: str = ""
    body: str = ""
    confidentiality: str = ""
    urgency: str = ""
    signer: object = None
    signature_form: str = SignatureForm.ON_BEHALF
    signer_title: str = ""
    signer_name: str = ""
    collective_name: str = ""
    recipients: list[str] = field(default_factory=list)
    number: int | None = None
    issued_on: datetime.date | None = None

    FIELDS = (
        "organization",
        "document_type",
        "summary",
        "body",
        "confidentiality",
        "urgency",
        "signer",
        "signature_form",
        "signer_title",
        "signer_name",
        "collective_name",
    )

    @classmethod
    def of(cls, document, draft_fields: dict | None = None) -> _DocumentView:
        view = cls()
        if document is not None:
            for name in cls.FIELDS:
                try:
                    value = getattr(document, name)
                except (AttributeError, ObjectDoesNotExist):  # an unsaved document without that relation
                    continue
                setattr(view, name, value if value is not None else getattr(view, name))
            view.number = getattr(document, "number", None)
            view.issued_on = getattr(document, "issued_on", None)
            posted = draft_fields is not None and "recipients" in draft_fields
            if isinstance(document, OutgoingDocument) and document.pk is not None and not posted:
                view.recipients = [
                    r.name for r in document.recipients.filter(in_block=True).order_by("order", "id").only("name")
                ]
        for name, value in (draft_fields or {}).items():
            if name == "recipients":
                view.recipients = [str(v) for v in (value or [])]
            elif name in cls.FIELDS:
                setattr(view, name, value if value is not None else getattr(cls(), name))
        return view


def _pt(value) -> str:
    return f"{Decimal(value or 0).normalize():f}pt"


def _mm(value) -> str:
    return f"{Decimal(value or 0).normalize():f}mm"


def _css_text(text: str) -> str:
    """Admin-written CSS, kept inside its <style> element."""
    return (text or "").replace("</", "<\\/")


def _style(profile: FormatProfile) -> dict:
    family = _CSS_FAMILY.sub("", profile.font_family or "").strip() or "Liberation Serif"
    page_size = profile.page_size if _PAGE_SIZE.match(profile.page_size or "") else "A4"
    return {
        "page_size": page_size,
        "margins": " ".join(
            _mm(v) for v in (profile.margin_top, profile.margin_right, profile.margin_bottom, profile.margin_left)
        ),
        "font_family": family,
        "header": _pt(profile.header_font_size),
        "party_title": _pt(profile.party_title_font_size),
        "number": _pt(profile.number_font_size),
        "date": _pt(profile.date_font_size),
        "type_name": _pt(profile.type_name_font_size),
        "summary": _pt(profile.summary_font_size),
        "body": _pt(profile.body_font_size),
        "signature": _pt(profile.signature_font_size),
        "recipients": _pt(profile.recipients_font_size),
        "extra_css": _css_text(profile.extra_css),
    }


def layout_context(
    document,
    *,
    number: int | None = None,
    issued_on: datetime.date | None = None,
    fields: bool = False,
    draft_fields: dict | None = None,
) -> dict:
    """The template context of the official layout.

    ``document`` is an :class:`OutgoingDocument` (saved or not) or ``None``; ``draft_fields`` lays a draft
    form's values over it (keys: the model's field names — organization and document_type as objects — plus
    ``recipients``, a list of names as printed). ``number``: print this number and ``issued_on`` (default: the
    document's issue date, else today). ``fields``: without a number, leave AcroForm fields for them.
    """
    view = _DocumentView.of(document, draft_fields)
    issuer = _issuer_settings(view.organization)
    profile = _profile_from(issuer)
    place = place_of(view.organization)
    suffix = symbol_suffix(view.document_type, view.organization)
    today = timezone.localdate()

    if number is not None:
        day = issued_on or view.issued_on or today
        number_digits = _number_digits(number, profile)
        date_line = format_date_line(profile, place, day)
        state = "numbered"
    elif fields:
        number_digits = date_line = None
        state = "fields"
    else:
        number_digits = _BLANK
        date_line = draft_date_line(profile, place, (issued_on or today).year)
        state = "draft"

    superior, issuing = header_lines(view.organization)
    letter = _is_letter(view.document_type)
    summary = nfc(view.summary).strip()
    prefix = nfc(profile.summary_prefix_without_type).strip()
    if letter and prefix and summary and not summary.casefold().startswith(prefix.casefold()):
        summary = f"{prefix} {summary}"
    marks = [m for m in (CONFIDENTIALITY_MARKS.get(view.confidentiality), URGENCY_MARKS.get(view.urgency)) if m]
    body = clean_body_html(view.body)

    return {
        "profile": profile,
        "style": _style(profile),
        "state": state,
        "fields": state == "fields",
        "number_field": NUMBER_FIELD,
        "date_field": DATE_FIELD,
        "party_title": upper(profile.party_title),
        "superior_body": superior,
        "issuing_body": issuing,
        "number_word": nfc(profile.number_word),
        "number_digits": number_digits,
        "symbol_suffix": suffix,
        "date_line": date_line,
        "marks": marks,
        "is_letter": letter,
        "type_name": "" if letter or view.document_type is None else upper(view.document_type.name),
        "summary": summary,
        # Sanitized just above: the only text of the document marked safe.
        "body_html": SafeString(body) if body else mark_safe(""),
        "signature": _signature_block(view, issuer),
        "recipients_heading": nfc(profile.recipients_heading),
        "recipient_lines": _recipient_lines(view.recipients, profile, issuer),
        "signature_top_anchor": SIGNATURE_TOP_ANCHOR,
        "signature_bottom_anchor": SIGNATURE_BOTTOM_ANCHOR,
    }


def _template_for(profile: FormatProfile) -> str:
    name = (profile.template_name or "").strip()
    if name.startswith(TEMPLATE_FOLDER) and ".." not in name and name.endswith(".html"):
        return name
    return DEFAULT_TEMPLATE


# --- rendering ------------------------------------------------------------------------------------------------


def render_outgoing_pdf(
    document,
    *,
    number: int | None = None,
    issued_on: datetime.date | None = None,
    fields: bool = False,
    draft_fields: dict | None = None,
) -> bytes:
    """The document laid out by its organization's active profile, as PDF bytes (Vietnamese always)."""
    from partyhub.pdf import render_pdf

    context = layout_context(document, number=number, issued_on=issued_on, fields=fields, draft_fields=draft_fields)
    profile = context["profile"]
    with_fields = context["fields"]
    pdf = render_pdf(_template_for(profile), context, language="vi", pdf_forms=with_fields)
    if with_fields:
        pdf = _finish_fields(pdf, profile)
    return pdf


def _finish_fields(pdf: bytes, profile: FormatProfile) -> bytes:
    """WeasyPrint writes text fields with a font size of ¾ of the element's, a graphics state in /DA, a
    top-down /Rect and no alignment: set the profile's size, a plain /DA, a normalized /Rect, right-align the
    number (its digits touch "-NQ/ĐU") and centre the date line."""
    import pikepdf

    sizes = {NUMBER_FIELD: profile.number_font_size, DATE_FIELD: profile.date_font_size}
    alignment = {NUMBER_FIELD: 2, DATE_FIELD: 1}
    with pikepdf.open(BytesIO(pdf)) as doc:
        acroform = doc.Root.get("/AcroForm")
        if acroform is None:
            return pdf
        for field_obj in acroform.get("/Fields", []):
            name = str(field_obj.get("/T", ""))
            if name not in sizes:
                continue
            font = re.search(r"(/\S+)\s+[\d.]+\s+Tf", str(field_obj.get("/DA", "")))
            if font is not None:  # only a font and a colour belong in /DA (WeasyPrint also writes a "gs")
                field_obj.DA = pikepdf.String(f"{font.group(1)} {Decimal(sizes[name]).normalize():f} Tf 0 g")
            field_obj.Q = alignment[name]
            rect = [float(v) for v in field_obj.Rect]
            field_obj.Rect = pikepdf.Array(
                [min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3])]
            )
        out = BytesIO()
        doc.save(out)
        return out.getvalue()


# --- stamps ---------------------------------------------------------------------------------------------------


def signature_anchors(pdf: bytes) -> dict[str, tuple[int, float]]:
    """The named destinations of the signature block's anchors: ``{id: (page_index, y)}`` in PDF points."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf))
    found = {}
    for name, destination in reader.named_destinations.items():
        if name in (SIGNATURE_TOP_ANCHOR, SIGNATURE_BOTTOM_ANCHOR):
            page_index = reader.get_destination_page_number(destination)
            found[name] = (page_index, float(destination.top))
    return found


def stamp_rect(document, kind: str, *, pdf: bytes | None = None) -> tuple[int, float, float, float, float]:
    """Where the visible stamp of ``kind`` ("signer" or "organization") goes: ``(page_index, x1, y1, x2, y2)``
    in PDF points, origin at the bottom-left of the page.

    The signature block is found in the PDF itself (``pdf``, else the document's final PDF, else a fresh
    rendering with fields): the template puts invisible anchors above the block's first line and under the
    signer's name, which WeasyPrint writes as named destinations; their page is the block's page (the last
    page) and their heights bound the block. The profile's box ``[x, y, width, height]`` (millimetres) is
    then placed with ``x`` from the left edge of the page and ``y`` from the bottom of the block (under the
    name): HD36's signer box covers the signing space and the name in the right column; its organization box
    (the seal) overlaps the left part of the signer's block. An empty box falls back to those places.
    """
    if kind not in ("signer", "organization"):
        raise ValueError(f"unknown stamp kind {kind!r}")
    if pdf is None:
        pdf = _final_pdf(document) or render_outgoing_pdf(document, fields=True)
    anchors = signature_anchors(pdf)
    if SIGNATURE_BOTTOM_ANCHOR not in anchors:
        raise ValueError("the PDF has no signature block of PartyHub")
    page_index, bottom = anchors[SIGNATURE_BOTTOM_ANCHOR]
    profile = profile_for(document.organization)
    box = list((profile.signer_stamp_box if kind == "signer" else profile.organization_stamp_box) or [])
    if len(box) != 4:
        box = [120, 0, 60, 22] if kind == "signer" else [95, 0, 45, 45]
    x, y, width, height = (float(Decimal(str(v)) * _MM) for v in box)
    return page_index, x, bottom + y, x + width, bottom + y + height


def _final_pdf(document) -> bytes | None:
    stored = getattr(document, "final_file", None)
    if stored is None:
        return None
    from partyhub.files import read_bytes

    return read_bytes(stored)


__all__ = [
    "DATE_FIELD",
    "NUMBER_FIELD",
    "clean_body_html",
    "form_field_values",
    "format_date_line",
    "format_number_symbol",
    "header_lines",
    "layout_context",
    "profile_for",
    "render_outgoing_pdf",
    "signature_block",
    "stamp_rect",
]
