"""HTML → PDF with WeasyPrint: the one place PartyHub renders PDFs.

* ``render_pdf(template_name, context)`` renders a Django template (in Vietnamese by default: party documents are
  Vietnamese whatever the reader's UI language) and turns it into PDF bytes.
* Resources are fetched only by ``SafeURLFetcher``: our own static files, looked up through Django's staticfiles
  finders and read from disk, and small ``data:`` URLs. ``file://``, every other host and every other scheme are
  refused (recorded, logged, and the document renders without them). Nothing ever goes over the network.
* The rendering runs in a forked child process; when ``PARTYHUB_PDF_TIMEOUT_SECONDS`` (or ``timeout=``) passes,
  the child is killed and ``PdfRenderTimeout`` is raised. A crash of the child raises ``PdfRenderError``.
* Fonts: templates extend ``partyhub/pdf/base.html``, whose CSS uses "Liberation Serif" (Debian's
  ``fonts-liberation2``: Times New Roman metrics and Vietnamese glyphs).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import mimetypes
import os
import posixpath
import select
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

#: The base URL documents are rendered against: ``/static/x.css`` becomes ``https://partyhub.invalid/static/x.css``.
#: ``.invalid`` never resolves, and the fetcher never connects anyway.
RENDER_BASE_URL = "https://partyhub.invalid/"
MAX_DATA_URL_BYTES = 512 * 1024
MAX_STATIC_FILE_BYTES = 20 * 1024 * 1024
PDF_FONT_FAMILY = "Liberation Serif"


class PdfRenderError(Exception):
    """The PDF could not be rendered."""


class PdfRenderTimeout(PdfRenderError):
    """Rendering took longer than the time limit and was stopped."""


class FetchRefused(ValueError):
    """The URL fetcher refused a resource (WeasyPrint logs it and renders without the resource)."""


@dataclass
class PdfRenderResult:
    pdf: bytes
    refused_urls: list[str] = field(default_factory=list)


def _own_netlocs() -> set[str]:
    netlocs = {urlsplit(RENDER_BASE_URL).netloc}
    public = getattr(settings, "PUBLIC_BASE_URL", "")
    if public:
        netlocs.add(urlsplit(public).netloc)
    return {n.lower() for n in netlocs if n}


def _static_prefix() -> str:
    prefix = urlsplit(settings.STATIC_URL).path or "/static/"
    return prefix if prefix.endswith("/") else prefix + "/"


def find_static_file(relative: str) -> Path | None:
    """The local file behind a static path (``partyhub/pdf/logo.png``), or None. Never leaves the static roots."""
    relative = unquote(relative)
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    normalized = posixpath.normpath(relative)
    if normalized.startswith("..") or ".." in normalized.split("/") or "\\" in normalized:
        return None
    try:
        found = finders.find(normalized)
    except SuspiciousFileOperation:
        return None
    if isinstance(found, list):
        found = found[0] if found else None
    if found:
        return Path(found)
    root = getattr(settings, "STATIC_ROOT", None)
    if root:
        candidate = (Path(root) / normalized).resolve()
        if candidate.is_file() and candidate.is_relative_to(Path(root).resolve()):
            return candidate
    return None


def _import_weasyprint():
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return weasyprint, URLFetcher, URLFetcherResponse


def make_url_fetcher():
    """A WeasyPrint URL fetcher that serves our static files and small data: URLs, and refuses everything else."""
    _weasyprint, URLFetcher, URLFetcherResponse = _import_weasyprint()

    class SafeURLFetcher(URLFetcher):
        def __init__(self):
            super().__init__(timeout=5, allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url, headers=None):
            try:
                response = self._resolve(url)
            except FetchRefused:
                self.refused.append(url)
                raise
            self.served.append(url)
            return response

        def open(self, url, data=None, timeout=None):  # never let urllib's handlers run
            return self.fetch(url if isinstance(url, str) else url.full_url)

        def _resolve(self, url: str):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return self._data_url(url)
            if scheme in ("http", "https") and parts.netloc.lower() in _own_netlocs():
                prefix = _static_prefix()
                path = parts.path
                if path.startswith(prefix):
                    found = find_static_file(path[len(prefix) :])
                    if found is not None and found.stat().st_size <= MAX_STATIC_FILE_BYTES:
                        content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(url, found.read_bytes(), {"Content-Type": content_type})
            raise FetchRefused(f"Refused to fetch {url[:200]!r}: only our own static files are allowed")

        def _data_url(self, url: str):
            if len(url) > MAX_DATA_URL_BYTES * 4 // 3 + 200:
                raise FetchRefused("Refused a data: URL larger than the limit")
            header, comma, payload = url[5:].partition(",")
            if not comma:
                raise FetchRefused("Refused a malformed data: URL")
            params = header.split(";")
            is_base64 = params[-1].strip().lower() == "base64"
            media_type = (params[0] if params and params[0] else "text/plain").strip()
            try:
                body = (
                    base64.b64decode(unquote_to_bytes(payload), validate=False)
                    if is_base64
                    else unquote_to_bytes(payload)
                )
            except ValueError as exc:
                raise FetchRefused("Refused a malformed data: URL") from exc
            if len(body) > MAX_DATA_URL_BYTES:
                raise FetchRefused("Refused a data: URL larger than the limit")
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return SafeURLFetcher()


def _render_in_process(html: str, pdf_forms: bool = False) -> PdfRenderResult:
    weasyprint, _fetcher_class, _response_class = _import_weasyprint()
    fetcher = make_url_fetcher()
    document = weasyprint.HTML(string=html, base_url=RENDER_BASE_URL, url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_forms=pdf_forms)
    return PdfRenderResult(pdf=pdf, refused_urls=list(fetcher.refused))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _child(html: str, write_fd: int, pdf_forms: bool = False) -> None:
    """Runs in the forked child; never returns (os._exit skips the parent's atexit and finalizers)."""
    code = 1
    try:
        try:
            result = _render_in_process(html, pdf_forms=True) if pdf_forms else _render_in_process(html)
            header = {"ok": True, "refused": result.refused_urls}
            body = result.pdf
        except BaseException as exc:  # report everything to the parent
            header = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
            body = b""
        encoded = json.dumps(header).encode()
        _write_all(write_fd, len(encoded).to_bytes(4, "big") + encoded + body)
        code = 0 if header["ok"] else 1
    finally:
        os._exit(code)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _render_isolated(html: str, timeout: float, pdf_forms: bool = False) -> PdfRenderResult:
    # Import in the parent so that every child starts with WeasyPrint (and its fonts) already loaded.
    _import_weasyprint()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(html, write_fd, pdf_forms)
    os.close(write_fd)
    chunks: list[bytes] = []
    reaped = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(pid)
                raise PdfRenderTimeout(f"PDF rendering took longer than {timeout:g} s and was stopped")
            ready, _w, _x = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(read_fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
        _pid, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:
            _kill(pid)
            os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise PdfRenderError(f"The PDF renderer died (signal {os.WTERMSIG(status)})")
    buffer = b"".join(chunks)
    if len(buffer) < 4:
        raise PdfRenderError("The PDF renderer returned nothing")
    header_length = int.from_bytes(buffer[:4], "big")
    header = json.loads(buffer[4 : 4 + header_length])
    if not header.get("ok"):
        raise PdfRenderError(f"PDF rendering failed: {header.get('error', 'unknown error')}")
    return PdfRenderResult(pdf=buffer[4 + header_length :], refused_urls=header.get("refused", []))


def html_to_pdf(html: str, *, timeout: float | None = None, pdf_forms: bool = False) -> PdfRenderResult:
    """Render an HTML string to PDF in a time-limited child process; refused URLs are logged and returned.

    ``pdf_forms=True`` turns ``<input>``/``<textarea>``/``<select>`` elements into AcroForm fields (WeasyPrint's
    option of the same name; fields named by their ``name`` attribute, placed where the element is laid out)."""
    if timeout is None:
        timeout = settings.PARTYHUB_PDF_TIMEOUT_SECONDS
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if hasattr(os, "fork"):
        result = _render_isolated(html, timeout, pdf_forms)
    else:  # pragma: no cover - PartyHub runs on Linux; keep working elsewhere, without the time limit
        logger.warning("os.fork is unavailable: rendering PDF in-process without a time limit")
        result = _render_in_process(html, pdf_forms=True) if pdf_forms else _render_in_process(html)
    for url in result.refused_urls:
        logger.warning("PDF renderer refused to fetch %s", url[:200])
    return result


def render_pdf(
    template_name: str,
    context: dict,
    *,
    timeout: int | None = None,
    language: str | None = None,
    pdf_forms: bool = False,
) -> bytes:
    """Render ``template_name`` with ``context`` to PDF bytes.

    ``language`` defaults to ``settings.PARTYHUB_DOCUMENT_LANGUAGE`` (Vietnamese). Raises ``PdfRenderTimeout``
    when rendering exceeds ``timeout`` seconds (default ``PARTYHUB_PDF_TIMEOUT_SECONDS``), ``PdfRenderError`` on
    other failures. ``pdf_forms=True``: form elements become AcroForm fields (see :func:`html_to_pdf`).
    """
    with translation.override(language or settings.PARTYHUB_DOCUMENT_LANGUAGE):
        html = render_to_string(template_name, context)
    return html_to_pdf(html, timeout=timeout, pdf_forms=pdf_forms).pdf
