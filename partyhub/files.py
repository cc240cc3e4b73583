"""Private files: one storage, one upload validator, one way in (``store_upload``), one way out (``serve_file``).

Rules (architecture.md, "Files"):

* Bytes live in ``storages["private"]`` (a local directory outside every public URL by default, an S3-compatible
  bucket through django-storages when ``PARTYHUB_S3_BUCKET`` is set) under a server-generated name
  ``yyyy/mm/<uuid4 hex>.<ext>``. The user's file name is kept only as cleaned metadata.
* ``validate_upload`` decides by content (magic bytes, our own structure checks) *and* extension; both must agree
  and belong to the named kinds the caller accepts. Archives (DOCX/XLSX/ODT/ODS) are checked from the central
  directory before any member is decompressed.
* ``store_upload`` / ``store_bytes`` stream to storage while hashing (SHA-256) and create the row.

No orphan bytes
---------------
The bytes are written before the row exists, so every failure path must remove them:

1. A failure inside ``store_upload`` itself (storage error, size grew while streaming, the INSERT fails) deletes
   the bytes before re-raising.
2. The *surrounding* transaction may roll back after we returned. Django has no rollback hook, so the upload
   registers a small sentinel with ``transaction.on_commit``. On commit Django calls it (the file is kept). On
   rollback Django drops it uncalled (whole transaction, or just the savepoint the upload belongs to), and a
   ``weakref.finalize`` on the sentinel notices. Because Django also drops uncalled hooks when an *earlier*
   on-commit hook raises after a successful commit, the finalizer never trusts that alone: it asks the database
   through a fresh, separate connection (committed state only) whether the row exists, and deletes the bytes only
   when it does not. Any doubt (the check fails) keeps the bytes.
3. A crash between the write and the commit leaves bytes without a row: ``manage.py files_check`` reports such
   orphans (older than a grace period, so in-flight uploads are not touched) and ``--delete-orphans`` removes them.

Serving
-------
``serve_file`` is the only code that sends file bytes. The URL ``files:download`` checks access through the
registry (``register_file_access``), answers 404 for everything it refuses, and calls ``serve_file``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import StoredFile

logger = logging.getLogger(__name__)

PRIVATE_STORAGE_ALIAS = "private"
CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 8 * 1024

# Archive limits (overridable in settings; see README).
DEFAULT_ARCHIVE_MAX_MEMBERS = 5000
DEFAULT_ARCHIVE_MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
DEFAULT_ARCHIVE_MAX_RATIO = 100
# Small members (short, repetitive XML) legitimately compress very well; the ratio limit applies above this size.
ARCHIVE_RATIO_MIN_MEMBER_BYTES = 1024 * 1024

# The user's file name is kept as metadata; browsers and file systems choke on names longer than ~255 bytes.
MAX_FILENAME_BYTES = 200


def private_storage() -> Storage:
    """The one storage for private files (``STORAGES["private"]``)."""
    return storages[PRIVATE_STORAGE_ALIAS]


# --- Formats and kinds ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFormat:
    key: str
    label: Any  # str or lazy str
    content_type: str
    extensions: tuple[str, ...]  # the first one is used for the storage name
    inline: bool  # safe and useful to show in the browser (else always sent as an attachment)


FORMATS: dict[str, FileFormat] = {
    f.key: f
    for f in (
        FileFormat("pdf", "PDF", "application/pdf", ("pdf",), True),
        FileFormat("jpeg", "JPEG", "image/jpeg", ("jpg", "jpeg"), True),
        FileFormat("png", "PNG", "image/png", ("png",), True),
        FileFormat("tiff", "TIFF", "image/tiff", ("tif", "tiff"), False),
        FileFormat(
            "docx",
            gettext_lazy("Word (DOCX)"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
            False,
        ),
        FileFormat(
            "xlsx",
            gettext_lazy("Excel (XLSX)"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
            False,
        ),
        FileFormat(
            "odt", gettext_lazy("OpenDocument Text (ODT)"), "application/vnd.oasis.opendocument.text", ("odt",), False
        ),
        FileFormat(
            "ods",
            gettext_lazy("OpenDocument Spreadsheet (ODS)"),
            "application/vnd.oasis.opendocument.spreadsheet",
            ("ods",),
            False,
        ),
    )
}

#: Named groups callers accept: ``store_upload(f, actor=u, kinds={"pdf", "office"})``.
KINDS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "image": frozenset({"jpeg", "png", "tiff"}),
    "office": frozenset({"docx", "xlsx", "odt"}),
    "spreadsheet": frozenset({"xlsx", "ods"}),
}

_FORMAT_BY_EXTENSION = {ext: fmt for fmt in FORMATS.values() for ext in fmt.extensions}
_FORMAT_BY_CONTENT_TYPE = {fmt.content_type: fmt for fmt in FORMATS.values()}
_FILETYPE_MIME_TO_FORMAT = {"application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png", "image/tiff": "tiff"}


def formats_for_kinds(kinds: Iterable[str]) -> list[FileFormat]:
    kinds = set(kinds)
    unknown = kinds - KINDS.keys()
    if unknown or not kinds:
        raise ValueError(f"Unknown or no upload kinds: {sorted(unknown) or '(none)'}; known: {sorted(KINDS)}")
    keys = set().union(*(KINDS[k] for k in kinds))
    return [FORMATS[k] for k in FORMATS if k in keys]


def format_for_content_type(content_type: str) -> FileFormat | None:
    return _FORMAT_BY_CONTENT_TYPE.get(content_type)


# --- File names -----------------------------------------------------------------------------------------------

_RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_EXTENSION_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")


def split_extension(name: str) -> tuple[str, str]:
    """``("Báo cáo", "pdf")`` for ``"Báo cáo.PDF"`` (the extension lower-cased; ``""`` when there is none)."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and _EXTENSION_RE.match(ext):
        return stem, ext.lower()
    return name, ""


def clean_filename(raw: str | bytes | None, *, default: str = "file") -> str:
    """Turn a client-supplied file name into safe metadata (never used as a path).

    Keeps the last path component only, NFC-normalizes (so a macOS NFD name and a Windows NFC name compare equal
    and Vietnamese letters survive), drops control/format characters (NUL, RTL override, zero-width ...), replaces
    characters Windows forbids, trims dots and spaces at the ends, defuses reserved device names (``CON``, ``NUL``
    ...), and shortens long names to ``MAX_FILENAME_BYTES`` UTF-8 bytes while keeping the extension.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    name = unicodedata.normalize("NFC", raw or "")
    components = [part for part in re.split(r"[/\\]", name) if part.strip(" .")]
    name = components[-1] if components else ""
    chars = []
    for ch in name:
        category = unicodedata.category(ch)
        if category in _DROP_CATEGORIES:
            continue
        if category == "Zs":
            ch = " "
        elif ch in _WINDOWS_FORBIDDEN:
            ch = "_"
        chars.append(ch)
    name = re.sub(r" {2,}", " ", "".join(chars)).strip(" .")
    stem, ext = split_extension(name)
    if ext:
        ext = name[-len(ext) :]  # keep the user's spelling (".PDF"); comparisons use split_extension()
    if stem.split(".")[0].strip().upper() in _RESERVED_NAMES:
        stem = f"_{stem}"
    if not stem.strip(" ._"):
        stem = default
    suffix = f".{ext}" if ext else ""
    while len((stem + suffix).encode("utf-8")) > MAX_FILENAME_BYTES and stem:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or default
    return unicodedata.normalize("NFC", stem + suffix)


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for old clients: ``"Nghị quyết Đảng.pdf"`` → ``"Nghi quyet Dang.pdf"``."""
    name = name.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_name = "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()\-]", "_", ascii_name).strip(" .")
    return ascii_name or "file"


# --- Content checks -------------------------------------------------------------------------------------------

# Markup a browser could execute, or a server could run. Patterns are long enough not to occur by chance in
# compressed image data (a 4-byte "<svg" would, in a few per cent of large JPEGs).
_ACTIVE_CONTENT_RE = re.compile(
    rb"<\s*(?:script|html|body|iframe|frameset|object|embed|applet)[\s/>]"
    rb"|<!doctype\s+html"
    rb"|<svg[\s/][^<>]{0,400}?(?:xmlns|\bon[a-z]+\s*=)"
    rb"|<[a-z]+\s[^<>]{0,400}?\bon(?:load|error|click|mouseover|focus)\s*="
    rb"|javascript\s*:"
    rb"|<\?php",
    re.IGNORECASE,
)
_TEXT_MARKUP_START_RE = re.compile(rb"^(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[\s\x00]*<", re.ASCII)


def _contains_active_content(data: bytes) -> bool:
    return bool(_ACTIVE_CONTENT_RE.search(data)) or bool(_TEXT_MARKUP_START_RE.match(data))


def _scan_for_active_content(f, *, overlap: int = 512) -> bool:
    f.seek(0)
    tail = b""
    while chunk := f.read(1024 * 1024):
        window = tail + chunk
        if _ACTIVE_CONTENT_RE.search(window):
            return True
        tail = window[-overlap:]
    return False


def _check_png_structure(f, size: int) -> None:
    """Walk the chunks: IHDR first, IEND last, nothing after it (where polyglots hide their second format)."""
    f.seek(8)
    position = 8
    first = True
    while True:
        header = f.read(8)
        if len(header) < 8:
            raise _invalid_content()
        length = int.from_bytes(header[:4], "big")
        chunk_type = header[4:8]
        if not chunk_type.isalpha() or length > 0x7FFFFFFF:
            raise _invalid_content()
        if first and chunk_type != b"IHDR":
            raise _invalid_content()
        first = False
        position += 12 + length
        if position > size:
            raise _invalid_content()
        if chunk_type == b"IEND":
            if position != size:
                raise _invalid_content()
            return
        f.seek(position)


def _invalid_content() -> ValidationError:
    return ValidationError(_("The file is damaged or not what its type claims to be."), code="invalid_content")


def _archive_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _unsafe_member_name(name: str) -> bool:
    if any(ord(c) < 32 for c in name):
        return True
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized):
        return True
    return ".." in normalized.split("/")


_OOXML_MACRO_TYPES = (b"macroEnabled", b"vbaProject")
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def _inspect_zip(f, size: int) -> str | None:
    """Identify an office document from its zip directory, refusing bombs and traversal before decompressing."""
    max_members = getattr(settings, "PARTYHUB_ARCHIVE_MAX_MEMBERS", DEFAULT_ARCHIVE_MAX_MEMBERS)
    max_total = getattr(settings, "PARTYHUB_ARCHIVE_MAX_UNCOMPRESSED_BYTES", DEFAULT_ARCHIVE_MAX_UNCOMPRESSED_BYTES)
    max_ratio = getattr(settings, "PARTYHUB_ARCHIVE_MAX_RATIO", DEFAULT_ARCHIVE_MAX_RATIO)
    damaged = _("The document is damaged: it cannot be read as an office document.")
    f.seek(0)
    try:
        archive = zipfile.ZipFile(f)  # reads the central directory only
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise _archive_error(damaged, "invalid_archive") from exc
    if not infos:
        raise _archive_error(damaged, "invalid_archive")
    if len(infos) > max_members:
        raise _archive_error(
            _("The document contains too many parts (%(count)d; at most %(limit)d are allowed).")
            % {"count": len(infos), "limit": max_members},
            "archive_too_many_members",
        )
    names: set[str] = set()
    total = 0
    for info in infos:
        if _unsafe_member_name(info.orig_filename):
            raise _archive_error(_("The document contains a part with an unsafe path."), "archive_unsafe_path")
        if info.filename in names:
            raise _archive_error(_("The document contains the same part twice."), "invalid_archive")
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise _archive_error(_("Encrypted or password-protected documents are not accepted."), "archive_encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _archive_error(damaged, "invalid_archive")
        total += info.file_size
        if info.file_size > ARCHIVE_RATIO_MIN_MEMBER_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise _archive_error(
                _("The document expands to far more than its size (a possible zip bomb)."), "archive_ratio"
            )
    if total > max_total:
        raise _archive_error(
            _("The document expands to %(size)s, more than the %(limit)s allowed.")
            % {"size": filesizeformat(total), "limit": filesizeformat(max_total)},
            "archive_too_large",
        )
    if total > 10 * ARCHIVE_RATIO_MIN_MEMBER_BYTES and total > max_ratio * size:
        raise _archive_error(
            _("The document expands to far more than its size (a possible zip bomb)."), "archive_ratio"
        )

    def small_member(name: str, limit: int = 1024 * 1024) -> bytes:
        info = archive.getinfo(name)
        if info.file_size > limit:
            raise _archive_error(damaged, "invalid_archive")
        return archive.read(info)

    detected: str | None = None
    try:
        if "mimetype" in names:
            detected = _ODF_MIMETYPES.get(small_member("mimetype", 200).strip())
            if detected is None:
                return None
            missing = {"content.xml", "META-INF/manifest.xml"} - names
            if missing:
                raise _archive_error(damaged, "invalid_archive")
            if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                raise _archive_error(_("Documents containing macros are not accepted."), "archive_macros")
        elif "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                detected = "docx"
            elif "xl/workbook.xml" in names:
                detected = "xlsx"
            else:
                return None
            if "_rels/.rels" not in names:
                raise _archive_error(damaged, "invalid_archive")
            content_types = small_member("[Content_Types].xml")
            if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
                marker in content_types for marker in _OOXML_MACRO_TYPES
            ):
                raise _archive_error(_("Documents containing macros are not accepted."), "archive_macros")
        else:
            return None
        # Every member decompresses cleanly with the right CRC, and never beyond its declared size (zipfile stops
        # there, so readers such as openpyxl cannot be fed more than the sizes checked above).
        budget = max_total
        for info in infos:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK_SIZE):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _archive_error(damaged, "invalid_archive")
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise _archive_error(damaged, "invalid_archive") from exc
    finally:
        archive.close()
    return detected


def _detect_format(f, head: bytes, size: int) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return _inspect_zip(f, size)
    if head.startswith(b"%PDF-"):
        return "pdf"
    guess = filetype.guess(head)
    key = _FILETYPE_MIME_TO_FORMAT.get(guess.mime) if guess is not None else None
    # Our own confirmation where filetype checks too little.
    if key == "png" and not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    if key == "jpeg" and not head.startswith(b"\xff\xd8\xff"):
        return None
    if key == "tiff" and not head.startswith((b"II*\x00", b"MM\x00*")):
        return None
    if key == "pdf":  # filetype accepts "%PDF" anywhere in a prefix; we want it at the start (handled above)
        return None
    return key


# --- Validation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidatedUpload:
    """What ``validate_upload`` found: the cleaned name and the type decided by content *and* extension."""

    name: str
    format: FileFormat
    size: int

    @property
    def content_type(self) -> str:
        return self.format.content_type

    @property
    def extension(self) -> str:
        return self.format.extensions[0]


def _file_size(f) -> int:
    size = getattr(f, "size", None)
    if size is None:
        position = f.tell()
        f.seek(0, 2)
        size = f.tell()
        f.seek(position)
    return int(size)


def upload_max_bytes() -> int:
    return int(settings.PARTYHUB_UPLOAD_MAX_BYTES)


def _accepted_label(formats: list[FileFormat]) -> str:
    return ", ".join(f".{ext}" for fmt in formats for ext in fmt.extensions)


def validate_upload(uploaded_file, *, kinds: set[str]) -> ValidatedUpload:
    """Check an uploaded file against the named kinds; raise ``ValidationError`` (with a ``code``) on refusal.

    Codes: ``empty``, ``too_large``, ``extension_not_allowed``, ``active_content``, ``unknown_type``,
    ``type_mismatch``, ``invalid_content``, ``invalid_archive``, ``archive_too_many_members``, ``archive_too_large``,
    ``archive_ratio``, ``archive_unsafe_path``, ``archive_encrypted``, ``archive_macros``.
    """
    formats = formats_for_kinds(kinds)
    name = clean_filename(getattr(uploaded_file, "name", None))
    size = _file_size(uploaded_file)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    limit = upload_max_bytes()
    if size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    _stem, ext = split_extension(name)
    accepted = {e for fmt in formats for e in fmt.extensions}
    if ext not in accepted:
        raise ValidationError(
            _("Files of this type are not accepted here. Accepted: %(accepted)s.")
            % {"accepted": _accepted_label(formats)},
            code="extension_not_allowed",
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_SIZE)
    if _contains_active_content(head):
        raise ValidationError(
            _("Files containing web pages, SVG images or scripts are not accepted."), code="active_content"
        )
    key = _detect_format(uploaded_file, head, size)
    if key is None:
        raise ValidationError(
            _("The content of the file is not a type accepted here. Accepted: %(accepted)s.")
            % {"accepted": _accepted_label(formats)},
            code="unknown_type",
        )
    fmt = FORMATS[key]
    if ext not in fmt.extensions:
        raise ValidationError(
            _("The file name ends in “.%(extension)s” but the content is a %(detected)s file.")
            % {"extension": ext, "detected": fmt.label},
            code="type_mismatch",
        )
    if fmt.key in KINDS["image"]:
        if _scan_for_active_content(uploaded_file):
            raise ValidationError(
                _("Files containing web pages, SVG images or scripts are not accepted."), code="active_content"
            )
        if fmt.key == "png":
            _check_png_structure(uploaded_file, size)
    uploaded_file.seek(0)
    return ValidatedUpload(name=name, format=fmt, size=size)


# --- Storing --------------------------------------------------------------------------------------------------


def new_storage_name(extension: str) -> str:
    now = timezone.localtime()
    return f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{extension}"


class _HashingReader(File):
    """Wraps a file so that whatever the storage reads is hashed and counted on the way through."""

    def __init__(self, source, *, limit: int | None, content_type: str):
        super().__init__(source, name=getattr(source, "name", None))
        self.content_type = content_type
        self._limit = limit
        self.sequential = True
        self._reset()

    def _reset(self) -> None:
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        if self._limit is not None and self.bytes_read > self._limit:
            raise ValidationError(
                _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(self.bytes_read), "limit": filesizeformat(self._limit)},
                code="too_large",
            )
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self._reset()
        elif not (offset == 0 and whence == 1):
            self.sequential = False  # the hash no longer describes the stream; recomputed afterwards
        return self.file.seek(offset, whence)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.seek(0)
        while data := self.read(chunk_size or CHUNK_SIZE):
            yield data

    @property
    def size(self) -> int:  # storages must not read ahead to find it
        return _file_size(self.file)

    def close(self) -> None:  # the caller owns the source file
        pass


def _hash_source(source) -> tuple[str, int]:
    source.seek(0)
    digest = hashlib.sha256()
    total = 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # never mask the original error; files_check reports what is left
        logger.exception("Could not delete private file %s", name)


class _CommitSentinel:
    """Registered with on_commit: being called means the row committed. See the module docstring."""

    __slots__ = ("__weakref__", "state")

    def __init__(self, state: dict):
        self.state = state

    def __call__(self) -> None:
        self.state["committed"] = True


def _row_committed(db_alias: str, storage_name: str) -> bool | None:
    """Whether a committed row points at ``storage_name``, asked on a separate connection; None when unknown."""
    conn = connections.create_connection(db_alias)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {conn.ops.quote_name(StoredFile._meta.db_table)} WHERE storage_name = %s",  # noqa: S608
                [storage_name],
            )
            return cursor.fetchone() is not None
    except Exception:
        logger.exception("Could not check whether private file %s is referenced", storage_name)
        return None
    finally:
        conn.close()


def _after_sentinel_dropped(state: dict, storage: Storage, db_alias: str, storage_name: str) -> None:
    if state.get("committed"):
        return
    try:
        if _row_committed(db_alias, storage_name) is False:
            logger.info("Transaction rolled back: removing private file %s", storage_name)
            _delete_quietly(storage, storage_name)
    except Exception:  # a finalizer must never raise
        logger.exception("Rollback clean-up failed for private file %s", storage_name)


def _delete_bytes_on_rollback(storage: Storage, storage_name: str, db_alias: str) -> None:
    state = {"committed": False}
    sentinel = _CommitSentinel(state)
    finalizer = weakref.finalize(sentinel, _after_sentinel_dropped, state, storage, db_alias, storage_name)
    finalizer.atexit = False  # at interpreter exit the database may be gone; files_check is the backstop
    transaction.on_commit(sentinel, using=db_alias, robust=True)


def _store_stream(source, *, name: str, fmt: FileFormat, actor, limit: int | None) -> StoredFile:
    storage = private_storage()
    storage_name = new_storage_name(fmt.extensions[0])
    db_alias = router.db_for_write(StoredFile)
    reader = _HashingReader(source, limit=limit, content_type=fmt.content_type)
    saved_name = None
    try:
        saved_name = storage.save(storage_name, reader)
        if saved_name != storage_name:
            raise RuntimeError(f"Storage renamed {storage_name} to {saved_name}")
        if reader.sequential:
            sha256, size = reader.sha256.hexdigest(), reader.bytes_read
        else:
            sha256, size = _hash_source(source)
        with transaction.atomic(using=db_alias):
            stored = StoredFile.objects.create(
                storage_name=storage_name,
                original_name=name[: StoredFile._meta.get_field("original_name").max_length],
                content_type=fmt.content_type,
                size=size,
                sha256=sha256,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            _delete_bytes_on_rollback(storage, storage_name, db_alias)
    except BaseException:
        _delete_quietly(storage, saved_name or storage_name)
        raise
    return stored


def store_upload(uploaded_file, *, actor, kinds: set[str]) -> StoredFile:
    """Validate, stream into private storage while hashing, and create the ``StoredFile`` row.

    Raises ``ValidationError`` for a refused file. If anything fails after the bytes were written, or the
    surrounding transaction later rolls back, the bytes are removed again.
    """
    validated = validate_upload(uploaded_file, kinds=kinds)
    uploaded_file.seek(0)
    return _store_stream(
        uploaded_file, name=validated.name, fmt=validated.format, actor=actor, limit=upload_max_bytes()
    )


def read_bytes(stored_file: StoredFile) -> bytes:
    """The whole content of a stored file (for the PDF work on documents of a few megabytes; stream big files
    with ``private_storage().open`` instead)."""
    with private_storage().open(stored_file.storage_name, "rb") as handle:
        return handle.read()


def store_bytes(data: bytes, *, name: str, content_type: str, actor) -> StoredFile:
    """Store a file we produced ourselves (a rendered PDF, a signed copy). No upload limits apply."""
    import io

    fmt = format_for_content_type(content_type)
    if fmt is None:
        raise ValueError(f"No storable format for content type {content_type!r}")
    if not data:
        raise ValueError("Refusing to store an empty file")
    stem, ext = split_extension(clean_filename(name))
    if ext not in fmt.extensions:
        stem = f"{stem}.{ext}" if ext else stem
        ext = fmt.extensions[0]
    return _store_stream(io.BytesIO(data), name=f"{stem}.{ext}", fmt=fmt, actor=actor, limit=None)


# --- Access ---------------------------------------------------------------------------------------------------

FileAccessCheck = Callable[[Any, StoredFile], "bool | None"]
_access_checks: list[FileAccessCheck] = []


def register_file_access(check: FileAccessCheck) -> FileAccessCheck:
    """Register ``check(user, stored_file) -> True | False | None`` (call it from ``AppConfig.ready``).

    ``True`` grants, ``None`` abstains, ``False`` vetoes (deny wins over every grant, including the uploader's
    and a superuser's — e.g. a document that became classified). Usable as a decorator; registering twice is a
    no-op. Checks receive only authenticated, active users.
    """
    if check not in _access_checks:
        _access_checks.append(check)
    return check


def unregister_file_access(check: FileAccessCheck) -> None:
    if check in _access_checks:
        _access_checks.remove(check)


PublicFileCheck = Callable[[StoredFile], bool]
_public_checks: list[PublicFileCheck] = []


def register_public_file_access(check: PublicFileCheck) -> PublicFileCheck:
    """Register ``check(stored_file) -> bool``: whether a file is public, i.e. downloadable without signing in
    (the issued file of a document published to the public library). Consulted for anonymous requests only;
    signed-in users go through the ordinary checks above. Registering twice is a no-op."""
    if check not in _public_checks:
        _public_checks.append(check)
    return check


def unregister_public_file_access(check: PublicFileCheck) -> None:
    if check in _public_checks:
        _public_checks.remove(check)


def can_download(user, stored_file: StoredFile) -> bool:
    """Deny by default: superusers and the uploader, plus whatever registered checks grant; any veto denies.
    Anonymous (or inactive) users get only what a registered public check declares public."""
    if user is None or not user.is_authenticated or not user.is_active:
        return any(check(stored_file) is True for check in list(_public_checks))
    granted = bool(user.is_superuser) or (
        stored_file.uploaded_by_id is not None and stored_file.uploaded_by_id == user.pk
    )
    for check in list(_access_checks):
        result = check(user, stored_file)
        if result is False:
            return False
        if result is True:
            granted = True
    return granted


# --- Serving --------------------------------------------------------------------------------------------------

INLINE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
ATTACHMENT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def content_disposition(name: str, *, as_attachment: bool) -> str:
    """RFC 6266 header with an ASCII fallback and the RFC 5987 ``filename*`` for Vietnamese names."""
    disposition = "attachment" if as_attachment else "inline"
    fallback = ascii_filename(name).replace("\\", "_").replace('"', "_")
    header = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """Parse a ``Range`` header for a resource of ``size`` bytes.

    Returns ``(first, last)`` inclusive for one satisfiable range, ``None`` to ignore the header (absent,
    malformed, another unit, or several ranges — we answer those with the full 200, which RFC 9110 §14.2 allows
    and pdf.js never needs), or ``"unsatisfiable"`` (→ 416).
    """
    if not header:
        return None
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    if not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # syntactically invalid: ignored
    if first >= size:
        return "unsatisfiable"
    last = int(last_text) if last_text else size - 1
    return first, min(last, size - 1)


class _RangeReader:
    """Streams ``length`` bytes from ``offset`` of a stored file, closing it when the response is done."""

    def __init__(self, storage: Storage, name: str, offset: int, length: int):
        self._file = storage.open(name, "rb")
        if offset:
            self._file.seek(offset)
        self._left = length

    def __iter__(self) -> Iterator[bytes]:
        while self._left > 0:
            chunk = self._file.read(min(CHUNK_SIZE, self._left))
            if not chunk:
                break
            self._left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._file.close()


def _is_remote(storage: Storage) -> bool:
    try:
        storage.path("probe")
    except NotImplementedError:
        return True
    return False


def _etag(stored_file: StoredFile) -> str:
    return f'"{stored_file.sha256}"'


def _base_headers(response: HttpResponse, stored_file: StoredFile, *, attachment: bool) -> HttpResponse:
    response["Content-Type"] = stored_file.content_type
    response["Content-Disposition"] = content_disposition(stored_file.original_name, as_attachment=attachment)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = ATTACHMENT_CSP if attachment else INLINE_CSP
    response["X-Frame-Options"] = "DENY" if attachment else "SAMEORIGIN"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response


def serve_file(request: HttpRequest, stored_file: StoredFile, *, as_attachment: bool = False) -> HttpResponse:
    """Send a stored file. The caller has checked permission; this records the download in the audit.

    * local storage: streamed by Django with HTTP Range support (one range → 206, unsatisfiable → 416, several
      ranges → the whole file with 200), or — with ``PARTYHUB_X_ACCEL_PREFIX`` — handed to nginx by
      ``X-Accel-Redirect`` (nginx then does the ranges);
    * remote storage (S3): a redirect to a presigned URL valid for a minute, carrying the same disposition/type.

    Types not safe to show in a browser are always sent as attachments.
    """
    from . import audit

    storage = private_storage()
    fmt = format_for_content_type(stored_file.content_type)
    attachment = as_attachment or fmt is None or not fmt.inline
    size = stored_file.size

    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response

    requested = parse_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if requested is not None and if_range is not None and if_range.strip() != _etag(stored_file):
        requested = None  # the client's copy is another version: send the whole file

    # One audit entry per download, not one per chunk: pdf.js fetches a document in many ranges.
    if request.method == "GET" and (requested is None or requested == "unsatisfiable" or requested[0] == 0):
        audit.record(action="download", obj=stored_file, actor=getattr(request, "user", None))

    if _is_remote(storage):
        url = storage.url(
            stored_file.storage_name,
            parameters={
                "ResponseContentType": stored_file.content_type,
                "ResponseContentDisposition": content_disposition(stored_file.original_name, as_attachment=attachment),
                "ResponseCacheControl": "no-store",
            },
            expire=60,
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    x_accel_prefix = getattr(settings, "PARTYHUB_X_ACCEL_PREFIX", "")
    if x_accel_prefix:
        response = HttpResponse()
        response["X-Accel-Redirect"] = x_accel_prefix.rstrip("/") + "/" + quote(stored_file.storage_name)
        response["ETag"] = _etag(stored_file)
        return _base_headers(response, stored_file, attachment=attachment)

    if requested == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    if requested is None:
        status, first, length = 200, 0, size
    else:
        first, last = requested
        status, length = 206, last - first + 1

    if request.method == "HEAD":
        response = HttpResponse(status=status)
    else:
        response = StreamingHttpResponse(_RangeReader(storage, stored_file.storage_name, first, length), status=status)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = _etag(stored_file)
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{first + length - 1}/{size}"
    return _base_headers(response, stored_file, attachment=attachment)


# --- Sanity check ---------------------------------------------------------------------------------------------


@dataclass
class FilesCheckReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)  # "id storage_name"
    mismatched: list[str] = field(default_factory=list)  # "id storage_name: why"
    orphans: list[str] = field(default_factory=list)  # storage names without a row
    deleted_orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        remaining_orphans = set(self.orphans) - set(self.deleted_orphans)
        return not self.missing and not self.mismatched and not remaining_orphans


def _walk_storage(storage: Storage, directory: str = "") -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(directories):
        yield from _walk_storage(storage, f"{directory}/{name}" if directory else name)


def _hash_stored(storage: Storage, name: str) -> tuple[str, int]:
    with storage.open(name, "rb") as f:
        return _hash_source(f)


def check_files(
    *, verify_checksums: bool = True, delete_orphans: bool = False, orphan_grace: timedelta = timedelta(hours=1)
) -> FilesCheckReport:
    """Compare rows and bytes: rows whose bytes are missing or changed, and bytes no row points at.

    Bytes younger than ``orphan_grace`` are left alone (an upload may be between writing and committing).
    """
    storage = private_storage()
    report = FilesCheckReport()
    known: set[str] = set()
    rows = StoredFile.objects.order_by("created_at").values_list("pk", "storage_name", "size", "sha256")
    for pk, name, size, sha256 in rows.iterator(chunk_size=2000):
        known.add(name)
        report.checked += 1
        if not storage.exists(name):
            report.missing.append(f"{pk} {name}")
            continue
        if verify_checksums:
            actual_sha256, actual_size = _hash_stored(storage, name)
            if actual_size != size:
                report.mismatched.append(f"{pk} {name}: size {actual_size} != {size}")
            elif actual_sha256 != sha256:
                report.mismatched.append(f"{pk} {name}: SHA-256 {actual_sha256} != {sha256}")
        elif storage.size(name) != size:
            report.mismatched.append(f"{pk} {name}: size {storage.size(name)} != {size}")
    cutoff = timezone.now() - orphan_grace
    for name in _walk_storage(storage):
        if name in known:
            continue
        try:
            if storage.get_modified_time(name) > cutoff:
                continue
        except (NotImplementedError, OSError):
            pass
        # A row may have committed after the list above was read.
        if StoredFile.objects.filter(storage_name=name).exists():
            continue
        report.orphans.append(name)
        if delete_orphans:
            storage.delete(name)
            report.deleted_orphans.append(name)
    return report
