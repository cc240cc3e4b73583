"""Excel import of members: every row is checked first, then the file is imported whole or not at all.

``member_import(*, actor, organization_scope, uploaded_file, dry_run=False) -> ImportResult``

1. The upload is checked by ``partyhub.files.validate_upload`` (content and extension, zip-bomb safe); only
   ``.xlsx`` is read (openpyxl cannot read ``.ods``: the user is asked to save as .xlsx).
2. The sheet :data:`DATA_SHEET` is streamed (``read_only=True``, values only, so 20,000 rows stay cheap); its
   first row must hold exactly the columns of :data:`COLUMNS` (any order, diacritics and case ignored).
3. Every row is parsed (dates as dd/mm/yyyy or real Excel dates; choices by their Vietnamese names; the cell
   by name, short name or — when unambiguous — code) and checked with the record rules of the registry
   (``members.services.records.validate_member_fields``, the same rules as the record forms). Cells must lie
   inside ``organization_scope`` and be ones the actor may add members to.
4. Duplicates are found in bulk: the same party card number or personal record number (số lý lịch) twice in
   the file, or already in the registry. They are reported, never doubled.
5. With no error at all, one transaction creates the members (``bulk_create``), their first status history
   entries and the cached facts, and records one audit entry for the whole import. Any error: nothing is
   written, and the result lists each problem by row, column and reason (translated).

Status history: the status service has no bulk path, so the import writes the opening entries itself, as the
status service would: an ``ADMITTED`` entry on the admission date (probationary → probationary: the entry that
opens the history) and, for official members, a ``RECOGNIZED`` entry on the date of becoming official
(probationary → official). ``bulk_create`` bypasses the audit signals, so one ``create`` audit entry records
the import (file name, count, first and last id).

The column headers, the Vietnamese names of choices and the instructions of the template are the official
Vietnamese form, not UI text: they stay Vietnamese whatever the UI language (see ``members.exports``).
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partyhub import audit
from partyhub.files import validate_upload
from partyhub.text import clean, fold

from .. import permissions, selectors
from ..models import (
    BadgeRule,
    Member,
    MemberActivity,
    MemberStatus,
    MemberStatusEvent,
    Organization,
    OrganizationKind,
    ProbationRule,
    StatusEventKind,
    TheoryLevel,
)
from ..rules import RuleBook
from . import records
from ._common import _as
from .status import member_refresh_facts

logger = logging.getLogger(__name__)

#: The sheet members are read from (and written to by the template and the export).
DATA_SHEET = "Đảng viên"
#: The sheet of allowed values behind the template's dropdowns.
LISTS_SHEET = "Danh mục"
#: The sheet explaining how to fill the template.
HELP_SHEET = "Hướng dẫn"

#: At most this many member rows in one file (settings: ``PARTYHUB_MEMBER_IMPORT_MAX_ROWS``).
DEFAULT_MAX_ROWS = 50_000
#: The result keeps this many errors (the count says how many there were).
MAX_REPORTED_ERRORS = 1000
BATCH_SIZE = 1000

# Kinds of columns (how a cell value is read).
TEXT, DATE, SEX, STATUS, THEORY, CELL, SKIP = "text", "date", "sex", "status", "theory", "cell", "skip"


@dataclass(frozen=True)
class Column:
    key: str  # the Member field (or "organization", "status", "stt")
    header: str  # the Vietnamese header of the official member list
    kind: str = TEXT
    required: bool = False
    width: int = 16
    note: str = ""  # one line for the instructions sheet


#: The columns of the official member list, in template order.
COLUMNS: tuple[Column, ...] = (
    Column("stt", "STT", SKIP, width=6, note="Số thứ tự (không bắt buộc, không được nhập)."),
    Column("full_name", "Họ và tên", required=True, width=26, note="Họ, chữ đệm và tên khai sinh, có dấu."),
    Column("other_names", "Tên gọi khác", width=16, note="Bí danh, tên thường gọi (nếu có)."),
    Column("sex", "Giới tính", SEX, width=10, note="Chọn Nam hoặc Nữ."),
    Column("date_of_birth", "Ngày sinh", DATE, required=True, width=12, note="Dạng ngày/tháng/năm, ví dụ 05/03/1980."),
    Column("home_town", "Quê quán", width=24),
    Column("birthplace", "Nơi sinh", width=24),
    Column("permanent_address", "Nơi thường trú", width=28),
    Column("current_address", "Nơi ở hiện nay", width=28),
    Column("ethnicity", "Dân tộc", width=10, note="Ví dụ: Kinh, Khmer, Hoa."),
    Column("religion", "Tôn giáo", width=12, note="Để trống nếu không theo tôn giáo nào."),
    Column("id_number", "Số CCCD", width=15, note="Đủ 12 chữ số, giữ số 0 ở đầu (cột đã định dạng văn bản)."),
    Column("phone", "Điện thoại", width=14, note="Số di động 10 chữ số hoặc số cố định 11 chữ số."),
    Column(
        "organization",
        "Chi bộ",
        CELL,
        required=True,
        width=26,
        note="Chọn trong danh sách; để trống khi nhập vào một chi bộ thì lấy chi bộ đó.",
    ),
    Column(
        "status",
        "Trạng thái",
        STATUS,
        width=12,
        note="Dự bị hoặc Chính thức; để trống thì suy ra từ Ngày chính thức.",
    ),
    Column("admission_date", "Ngày vào Đảng", DATE, required=True, width=13, note="Ngày quyết định kết nạp."),
    Column("official_date", "Ngày chính thức", DATE, width=13, note="Bắt buộc với đảng viên chính thức."),
    Column("party_card_number", "Số thẻ đảng viên", width=16, note="Từ 6 đến 12 chữ số; không trùng."),
    Column("personal_record_number", "Số lý lịch", width=13, note="6 chữ số và chữ viết tắt tỉnh, ví dụ 012345KG."),
    Column("general_education", "Giáo dục phổ thông", width=12, note="Lớp/hệ, ví dụ 12/12."),
    Column("professional_qualification", "Chuyên môn", width=22),
    Column("political_theory", "Trình độ LLCT", THEORY, width=14, note="Chọn trong danh sách."),
    Column("foreign_language", "Ngoại ngữ", width=14),
    Column("it_skill", "Tin học", width=14),
    Column("occupation", "Nghề nghiệp", width=20),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

#: Vietnamese names of the choices, as written in the template and the export (first name = the one shown).
SEX_NAMES = {"male": ("Nam", "male", "m"), "female": ("Nữ", "female", "f")}
STATUS_NAMES = {
    MemberStatus.PROBATIONARY: ("Dự bị", "probationary"),
    MemberStatus.OFFICIAL: ("Chính thức", "official"),
}
THEORY_NAMES = {
    TheoryLevel.NONE: ("Không", "none", "chưa có"),
    TheoryLevel.ELEMENTARY: ("Sơ cấp", "elementary"),
    TheoryLevel.INTERMEDIATE: ("Trung cấp", "intermediate"),
    TheoryLevel.ADVANCED: ("Cao cấp", "advanced"),
    TheoryLevel.BACHELOR: ("Cử nhân", "bachelor", "cử nhân chính trị"),
}


def _lookup(names: dict) -> dict[str, str]:
    return {fold(name): str(value) for value, aliases in names.items() for name in aliases}


_SEX_LOOKUP = _lookup(SEX_NAMES)
_STATUS_LOOKUP = _lookup(STATUS_NAMES)
_THEORY_LOOKUP = _lookup(THEORY_NAMES)


def display_name(names: dict, value: str) -> str:
    """The Vietnamese name of a choice value ("official" → "Chính thức"), "" for an unknown or empty one."""
    aliases = names.get(value)
    return aliases[0] if aliases and value else ""


# --- the result -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem: the Excel row number (0 = the file itself), the column header ("" = the whole row or
    file) and the reason."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import did or would do. ``ok`` means no error (with ``dry_run`` nothing was written)."""

    file_name: str = ""
    rows: int = 0
    created: int = 0
    dry_run: bool = False
    errors: list[ImportIssue] = field(default_factory=list)
    error_count: int = 0
    #: (organization name, number of rows) for the rows read, in the order of the organizations.
    by_organization: list[tuple[str, int]] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportIssue(row, column, str(message)))

    def as_dict(self) -> dict:
        """A JSON-able summary (for the session, between the upload and the summary page)."""
        return {
            "file_name": self.file_name,
            "rows": self.rows,
            "created": self.created,
            "dry_run": self.dry_run,
            "error_count": self.error_count,
            "by_organization": [list(pair) for pair in self.by_organization],
        }


class _FileProblem(Exception):
    """The file cannot be read at all (one error for the whole file)."""


# --- who may import where ---------------------------------------------------------------------------------


def import_scopes_for(user) -> list[Organization]:
    """The organizations ``user`` may import into: commune committees and cells (``can_import_members``)."""
    managed = selectors.managed_organization_ids(user)
    qs = Organization.objects.filter(
        kind__in=[OrganizationKind.COMMUNE_COMMITTEE, OrganizationKind.CELL], is_external=False, active=True
    )
    access = selectors.access_for(user)
    if managed is not None:
        qs = qs.filter(id__in=set(managed) | access.cell_roots())
    scopes = [org for org in qs.order_by("kind", "order", "name") if permissions.can_import_members(user, org)]
    # Commune committees first, then cells.
    scopes.sort(key=lambda o: (o.kind != OrganizationKind.COMMUNE_COMMITTEE, o.order, o.name))
    return scopes


def _commune_of(organization: Organization) -> Organization:
    if organization.kind == OrganizationKind.COMMUNE_COMMITTEE:
        return organization
    for ancestor in organization.ancestors():
        if ancestor.kind == OrganizationKind.COMMUNE_COMMITTEE:
            return ancestor
    return organization


def import_cells(actor, organization_scope: Organization) -> list[Organization]:
    """The cells rows may name: cells under ``organization_scope`` (or the scope itself) that ``actor`` may
    add members to."""
    ids = selectors.descendant_ids([organization_scope.pk], include_self=True)
    cells = Organization.objects.filter(id__in=ids, kind=OrganizationKind.CELL, is_external=False, active=True)
    return [c for c in cells.order_by("order", "name") if actor is None or permissions.can_create_member(actor, c)]


class _CellResolver:
    """Finds the cell a row names (by name, short name or an unambiguous code), telling apart an unknown
    cell from a cell of the commune the actor may not add members to."""

    def __init__(self, actor, scope: Organization):
        self.scope = scope
        allowed = import_cells(actor, scope)
        self.allowed_ids = {c.pk for c in allowed}
        commune = _commune_of(scope)
        pool_ids = selectors.descendant_ids([commune.pk], include_self=True)
        pool = list(Organization.objects.filter(id__in=pool_ids, kind=OrganizationKind.CELL, is_external=False))
        self.by_name: dict[str, Organization] = {}
        codes: dict[str, list[Organization]] = defaultdict(list)
        for org in pool:
            self.by_name.setdefault(fold(org.name), org)
            if org.short_name:
                self.by_name.setdefault(fold(org.short_name), org)
            if org.code:
                codes[fold(org.code)].append(org)
        self.by_code = codes
        self.default = scope if scope.kind == OrganizationKind.CELL and scope.pk in self.allowed_ids else None

    def resolve(self, text: str) -> Organization:
        if not text:
            if self.default is not None:
                return self.default
            raise ValidationError(_("The party cell is required."))
        key = fold(text)
        org = self.by_name.get(key)
        if org is None:
            matches = self.by_code.get(key, [])
            if len(matches) > 1:
                raise ValidationError(
                    _("Several cells have the code “%(code)s”: write the cell's name.") % {"code": text}
                )
            org = matches[0] if matches else None
        if org is None:
            raise ValidationError(_("There is no party cell “%(name)s” in this organization.") % {"name": text})
        if org.pk not in self.allowed_ids:
            raise ValidationError(
                _("You may not add members to “%(name)s” (this import is for %(scope)s).")
                % {"name": org.name, "scope": self.scope.name}
            )
        return org


# --- reading values ---------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_REQUIRED_MARK_RE = re.compile(r"\s*(\(\s*\*\s*\)|\*)\s*$")
_FORMULA_PREFIX = "="


def _header_key(value) -> str:
    text = "" if value is None else str(value)
    return fold(_REQUIRED_MARK_RE.sub("", text))


_HEADER_LOOKUP = {_header_key(c.header): c for c in COLUMNS}


def _text(value) -> str:
    """A cell read as text: numbers without a needless ".0", dates refused (a text column turned into a date
    by Excel, such as 12/12)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValidationError(_("Expected text, found a true/false value."))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        raise ValidationError(_("Expected text, found a date: format the column as text and type the value again."))
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return clean(str(value))


def parse_date(value) -> datetime.date | None:
    """A real Excel date, or text dd/mm/yyyy (also with . or -); ``None`` for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            raise ValidationError(_("Expected a date without a time of day."))
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        match = _DATE_RE.match(value.strip())
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a real date.") % {"value": value.strip()}, code="invalid_date"
                ) from None
    raise ValidationError(
        _("“%(value)s” is not a date: write it as dd/mm/yyyy, e.g. 05/03/1980.") % {"value": str(value).strip()},
        code="invalid_date",
    )


def _choice(value, lookup: dict[str, str], names: dict) -> str:
    text = _text(value)
    if not text:
        return ""
    found = lookup.get(fold(text))
    if found is None:
        allowed = ", ".join(aliases[0] for key, aliases in names.items() if key)
        raise ValidationError(
            _("“%(value)s” is not one of the allowed values (%(allowed)s).") % {"value": text, "allowed": allowed}
        )
    return found


# --- the import -------------------------------------------------------------------------------------------


def max_rows() -> int:
    return int(getattr(settings, "PARTYHUB_MEMBER_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _open_sheet(uploaded_file):
    """The data sheet of the workbook (read-only, streamed) and the workbook, or :class:`_FileProblem`."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        checked = validate_upload(uploaded_file, kinds={"spreadsheet"})
    except ValidationError as exc:
        raise _FileProblem(" ".join(exc.messages)) from None
    if checked.format.key != "xlsx":
        raise _FileProblem(_("Only Excel workbooks (.xlsx) can be imported: save the file as .xlsx and try again."))
    uploaded_file.seek(0)
    try:
        workbook = openpyxl.load_workbook(uploaded_file, read_only=True, data_only=False, keep_links=False)
    except (InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
        logger.info("Member import: unreadable workbook: %s", exc)
        raise _FileProblem(_("The file could not be read as an Excel workbook.")) from None
    wanted = fold(DATA_SHEET)
    for name in workbook.sheetnames:
        if fold(name) == wanted:
            return workbook, workbook[name]
    workbook.close()
    raise _FileProblem(
        _("The workbook has no sheet named “%(sheet)s” (it has: %(sheets)s). Use the template and keep its sheets.")
        % {"sheet": DATA_SHEET, "sheets": ", ".join(workbook.sheetnames)}
    )


def _read_header(header_row, result: ImportResult) -> dict[int, Column] | None:
    """Column index → column, or ``None`` (with errors) when the columns are not those of the template."""
    positions: dict[int, Column] = {}
    seen: dict[str, int] = {}
    from openpyxl.utils import get_column_letter

    for index, value in enumerate(header_row):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        letter = get_column_letter(index + 1)
        column = _HEADER_LOOKUP.get(_header_key(value))
        if column is None:
            result.add(
                1,
                str(value).strip(),
                _("Unknown column (%(letter)s): not a column of the template.") % {"letter": letter},
            )
            continue
        if column.key in seen:
            result.add(1, column.header, _("This column appears twice (%(letter)s).") % {"letter": letter})
            continue
        seen[column.key] = index
        positions[index] = column
    missing = [c.header for c in COLUMNS if c.key not in seen]
    for header in missing:
        result.add(1, header, _("This column of the template is missing."))
    return None if result.error_count else positions


def _parse_row(
    row_number: int,
    values: tuple,
    positions: dict[int, Column],
    cells: _CellResolver,
    result: ImportResult,
    probation_rules: RuleBook,
) -> dict | None:
    """The record of one row (field → value, plus "organization" and "status"), or ``None`` when it has errors
    (which are added to ``result``)."""
    errors_before = result.error_count
    data: dict = {}
    organization = None
    status = ""
    for index, value in enumerate(values):
        column = positions.get(index)
        if column is None:
            if value is not None and not (isinstance(value, str) and not value.strip()):
                from openpyxl.utils import get_column_letter

                result.add(
                    row_number,
                    get_column_letter(index + 1),
                    _("This cell has a value but its column has no header."),
                )
            continue
        if column.kind == SKIP:
            continue
        if isinstance(value, str) and value.lstrip().startswith(_FORMULA_PREFIX):
            result.add(row_number, column.header, _("Formulas are not accepted: type the value itself."))
            continue
        try:
            if column.kind == DATE:
                data[column.key] = parse_date(value)
            elif column.kind == SEX:
                data[column.key] = _choice(value, _SEX_LOOKUP, SEX_NAMES)
            elif column.kind == THEORY:
                data[column.key] = _choice(value, _THEORY_LOOKUP, THEORY_NAMES)
            elif column.kind == STATUS:
                status = _choice(value, _STATUS_LOOKUP, STATUS_NAMES)
            elif column.kind == CELL:
                organization = cells.resolve(_text(value))
            else:
                text = _text(value)
                if column.key == "id_number" and isinstance(value, int | float) and len(text) == 11:
                    raise ValidationError(
                        _(
                            "The citizen ID number has exactly 12 digits; this one has 11. Excel drops the leading "
                            "0 of numbers: format the column as text and type the number again."
                        )
                    )
                if column.key == "phone" and isinstance(value, int | float) and len(text) == 9:
                    text = "0" + text  # Excel dropped the leading 0 of a mobile number
                limit = Member._meta.get_field(column.key).max_length
                if limit and len(text) > limit:
                    raise ValidationError(
                        _("Too long: at most %(limit)s characters (this one has %(length)s).")
                        % {"limit": limit, "length": len(text)}
                    )
                data[column.key] = text
        except ValidationError as exc:
            for message in exc.messages:
                result.add(row_number, column.header, message)
            data.pop(column.key, None)

    # Required dates read without error but empty (the name and the cell are checked elsewhere).
    for column in COLUMNS:
        if column.required and column.kind == DATE and column.key in data and data[column.key] is None:
            result.add(row_number, column.header, _("This cell is required."))

    # Separate the card and record numbers: their uniqueness is checked in bulk, not one query per row.
    numbers = {k: data.pop(k) for k in ("party_card_number", "personal_record_number") if k in data}
    for key, value in numbers.items():
        if not value:
            continue
        if key == "party_card_number":
            value = re.sub(r"[\s.]", "", value)
            if not records.CARD_NUMBER_RE.match(value):
                result.add(
                    row_number,
                    COLUMN_BY_KEY[key].header,
                    _("The party card number is made of digits only (6 to 12 of them)."),
                )
        else:
            value = records.normalize_record_number(value)
            if not re.fullmatch(r"\d{6}[A-ZĐ]{1,4}", value):
                result.add(
                    row_number,
                    COLUMN_BY_KEY[key].header,
                    _("The personal record number is 6 digits followed by the province letters, e.g. 012345KG."),
                )
        numbers[key] = value

    try:
        values_ok = records.validate_member_fields(data, probation_rules=probation_rules)
    except ValidationError as exc:
        for field_name, messages in exc.message_dict.items():
            column = COLUMN_BY_KEY.get(field_name)
            for message in messages:
                result.add(row_number, column.header if column else "", message)
        values_ok = None

    if values_ok is not None:
        official = values_ok.get("official_date")
        if not status:
            status = MemberStatus.OFFICIAL if official else MemberStatus.PROBATIONARY
        elif status == MemberStatus.OFFICIAL and not official:
            result.add(
                row_number,
                COLUMN_BY_KEY["official_date"].header,
                _("An official member needs the date of becoming official."),
            )
        elif status == MemberStatus.PROBATIONARY and official:
            result.add(
                row_number,
                COLUMN_BY_KEY["status"].header,
                _("A probationary member has no date of becoming official."),
            )
    if result.error_count > errors_before:
        return None
    return {**values_ok, **numbers, "organization": organization, "status": status}


def _check_duplicates(parsed: list[tuple[int, dict]], result: ImportResult, actor) -> None:
    """Card and record numbers used twice in the file or already in the registry (two queries per 1,000
    numbers)."""
    for key in ("party_card_number", "personal_record_number"):
        header = COLUMN_BY_KEY[key].header
        first_row: dict[str, int] = {}
        for row_number, data in parsed:
            value = data.get(key)
            if not value:
                continue
            if value in first_row:
                result.add(
                    row_number,
                    header,
                    _("%(value)s is also on row %(row)s of this file.") % {"value": value, "row": first_row[value]},
                )
            else:
                first_row[value] = row_number
        if not first_row:
            continue
        existing: dict[str, Member] = {}
        values = list(first_row)
        visible = selectors.members_visible_to(actor) if actor is not None else Member.objects.all()
        for start in range(0, len(values), BATCH_SIZE):
            chunk = values[start : start + BATCH_SIZE]
            for member in Member.objects.filter(**{f"{key}__in": chunk}).only("id", "full_name", key):
                existing[getattr(member, key)] = member
        if not existing:
            continue
        visible_ids = set(visible.filter(pk__in=[m.pk for m in existing.values()]).values_list("pk", flat=True))
        for row_number, data in parsed:
            value = data.get(key)
            member = existing.get(value) if value else None
            if member is None:
                continue
            if member.pk in visible_ids:
                message = _("%(value)s already belongs to %(name)s in the registry.") % {
                    "value": value,
                    "name": member.full_name,
                }
            else:
                message = _("%(value)s already belongs to a member in the registry.") % {"value": value}
            result.add(row_number, header, message)


def _opening_events(member: Member, actor, note: str) -> Iterable[MemberStatusEvent]:
    common = {
        "member": member,
        "to_organization": member.organization,
        "activity_before": MemberActivity.ACTIVE,
        "activity_after": MemberActivity.ACTIVE,
        "recorded_by": actor,
        "note": note,
    }
    yield MemberStatusEvent(
        kind=StatusEventKind.ADMITTED,
        effective_date=member.admission_date,
        decision_date=member.admission_date,
        status_before=MemberStatus.PROBATIONARY,
        status_after=MemberStatus.PROBATIONARY,
        **common,
    )
    if member.status == MemberStatus.OFFICIAL and member.official_date:
        yield MemberStatusEvent(
            kind=StatusEventKind.RECOGNIZED,
            effective_date=member.official_date,
            decision_date=member.official_date,
            status_before=MemberStatus.PROBATIONARY,
            status_after=MemberStatus.OFFICIAL,
            **common,
        )


def _refresh_facts(members: list[Member], events: dict[int, list[MemberStatusEvent]]) -> None:
    """Fill the cached facts (party age gaps, recognition due, next badge) of the new, unsaved ``members``
    through the status service, from their opening events (in memory) and the rule tables loaded once: no
    query per member, and no update after the insert."""
    probation_rules, badge_rules = RuleBook(ProbationRule), RuleBook(BadgeRule)
    for index, member in enumerate(members):
        member._facts_events = events[index]
        member._facts_badges = []
        member_refresh_facts(member, save=False, probation_rules=probation_rules, badge_rules=badge_rules)
        del member._facts_events, member._facts_badges


def _write(*, actor, scope: Organization, parsed: list[tuple[int, dict]], file_name: str) -> list[int]:
    note = _("Imported from the Excel file “%(name)s”.") % {"name": file_name}
    members: list[Member] = []
    events: dict[int, list[MemberStatusEvent]] = {}
    for index, (_row, data) in enumerate(parsed):
        member = Member(activity=MemberActivity.ACTIVE, **data)
        member.search_text = records.search_text_for(member)
        members.append(member)
        events[index] = list(_opening_events(member, actor, note))
    _refresh_facts(members, events)
    with _as(actor):
        created = Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
        if any(m.pk is None for m in created):  # pragma: no cover - every supported database returns ids
            raise RuntimeError("bulk_create did not return primary keys")
        rows = []
        for index, member in enumerate(created):
            for event in events[index]:
                event.member = member  # now with its id
                rows.append(event)
        MemberStatusEvent.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ids = [m.pk for m in created]
        audit.record(
            action="create",
            object_type="members.member",
            object_id="",
            object_repr=_("Import of %(count)s members from “%(name)s”") % {"count": len(ids), "name": file_name},
            changes={
                "import": {
                    "file": file_name,
                    "organization": scope.name,
                    "count": len(ids),
                    "first_id": min(ids) if ids else None,
                    "last_id": max(ids) if ids else None,
                }
            },
        )
    return ids


def member_import(*, actor, organization_scope: Organization, uploaded_file, dry_run: bool = False) -> ImportResult:
    """Import the members of an Excel file (the template of :func:`members.exports.import_template_workbook`)
    into ``organization_scope`` (a commune committee or a cell): all rows or none.

    Returns an :class:`ImportResult`; nothing is written when it has errors or ``dry_run`` is true. Raises
    ``PermissionDenied`` when ``actor`` may not import into ``organization_scope``.
    """
    if actor is not None and not permissions.can_import_members(actor, organization_scope):
        raise PermissionDenied(_("You are not allowed to do this."))
    result = ImportResult(file_name=getattr(uploaded_file, "name", "") or "", dry_run=dry_run)
    try:
        workbook, sheet = _open_sheet(uploaded_file)
    except _FileProblem as problem:
        result.add(0, "", str(problem))
        return result
    try:
        parsed = _read_rows(actor, organization_scope, sheet, result)
    finally:
        workbook.close()
    if parsed is None:
        return result
    _check_duplicates(parsed, result, actor)
    counts = Counter(data["organization"].pk for _row, data in parsed)
    names = {data["organization"].pk: data["organization"].name for _row, data in parsed}
    result.by_organization = sorted(((names[pk], n) for pk, n in counts.items()), key=lambda pair: pair[0])
    if not result.ok or dry_run:
        return result
    try:
        with transaction.atomic():
            result.member_ids = _write(actor=actor, scope=organization_scope, parsed=parsed, file_name=result.file_name)
    except IntegrityError:
        logger.warning("Member import: integrity error while writing", exc_info=True)
        result.add(
            0,
            "",
            _(
                "Some card or record numbers were registered by someone else while this file was being checked. "
                "Nothing was imported; please try again."
            ),
        )
        return result
    result.created = len(result.member_ids)
    return result


def _read_rows(actor, scope: Organization, sheet, result: ImportResult) -> list[tuple[int, dict]] | None:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        result.add(0, "", _("The sheet “%(sheet)s” is empty.") % {"sheet": DATA_SHEET})
        return None
    positions = _read_header(header, result)
    if positions is None:
        return None
    cells = _CellResolver(actor, scope)
    probation_rules = RuleBook(ProbationRule)
    limit = max_rows()
    parsed: list[tuple[int, dict]] = []
    for row_number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        result.rows += 1
        if result.rows > limit:
            result.add(row_number, "", _("The file has more than %(limit)s member rows: split it.") % {"limit": limit})
            return None
        data = _parse_row(row_number, values, positions, cells, result, probation_rules)
        if data is not None:
            parsed.append((row_number, data))
    if result.rows == 0:
        result.add(0, "", _("The sheet “%(sheet)s” has no member rows.") % {"sheet": DATA_SHEET})
        return None
    return parsed


__all__ = [
    "COLUMNS",
    "DATA_SHEET",
    "HELP_SHEET",
    "LISTS_SHEET",
    "SEX_NAMES",
    "STATUS_NAMES",
    "THEORY_NAMES",
    "Column",
    "ImportIssue",
    "ImportResult",
    "display_name",
    "import_cells",
    "import_scopes_for",
    "member_import",
    "parse_date",
]
