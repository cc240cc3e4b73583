"""PDF rendering: Vietnamese text survives, only Liberation Serif is embedded, the fetcher refuses, time limit."""

from __future__ import annotations

import datetime
import io
import logging
import os
import re
import signal
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation
from pypdf import PdfReader

from partyhub import pdf as pdf_module
from partyhub.pdf import (
    FetchRefused,
    PdfRenderError,
    PdfRenderTimeout,
    html_to_pdf,
    make_url_fetcher,
    render_pdf,
)

VIETNAMESE = "Đảng Cộng sản Việt Nam … ơ ư ạ ệ ổ ữ Ỹ"
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100"
    "c9fe92ef0000000049454e44ae426082"
)


def sample_context(**overrides) -> dict:
    context = {
        "superior_body": "Đảng bộ tỉnh An Giang",
        "issuing_body": "Đảng ủy xã Gò Quao",
        "number": "05-NQ/ĐU",
        "place": "Gò Quao",
        "date": datetime.date(2026, 11, 5),
        "doc_type": "Nghị quyết",
        "summary": "về công tác xây dựng Đảng năm 2026",
        "paragraphs": [VIETNAMESE, "Nguyễn Thị Hương, Trần Quốc Tuấn, Lê Thị Ánh Tuyết — Phước Hưng, Hòa Bình."],
        "recipients": ["Ban Thường vụ Tỉnh ủy", "Lưu Văn phòng Đảng ủy."],
        "authority": "T/M Đảng ủy",
        "position": "Bí thư",
        "signer": "Nguyễn Văn An",
    }
    context.update(overrides)
    return context


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def embedded_fonts(data: bytes) -> set[str]:
    """Base names (subset tag removed) of every font whose program is embedded (/FontFile, /FontFile2, /FontFile3)."""
    reader = PdfReader(io.BytesIO(data))
    found: set[str] = set()
    unembedded: set[str] = set()

    def visit_resources(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for item in descendants:
                descriptor = item.get("/FontDescriptor")
                name = str(item.get("/BaseFont", font.get("/BaseFont"))).lstrip("/")
                name = name.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", name) else name
                descriptor = descriptor.get_object() if descriptor is not None else {}
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    found.add(name)
                else:
                    unembedded.add(name)
        for xobject in (resources.get("/XObject") or {}).values():
            visit_resources(xobject.get_object().get("/Resources"))

    for page in reader.pages:
        visit_resources(page.get("/Resources"))
    assert not unembedded, f"fonts used but not embedded: {unembedded}"
    return found


@pytest.fixture
def static_dir(settings, tmp_path):
    directory = tmp_path / "static"
    (directory / "partyhub").mkdir(parents=True)
    (directory / "partyhub" / "seal.png").write_bytes(PNG_1X1)
    settings.STATICFILES_DIRS = [directory]
    return directory


@pytest.fixture
def counting_server():
    """A local HTTP server that counts requests: the renderer must never call it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG_1X1)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_vietnamese_text_round_trips_and_only_liberation_serif_is_embedded():
    data = render_pdf("partyhub/pdf/sample.html", sample_context())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert unicodedata.normalize("NFC", VIETNAMESE) in text
    flowing = " ".join(text.split())  # the line breaks of the layout aside
    assert "Nguyễn Thị Hương, Trần Quốc Tuấn, Lê Thị Ánh Tuyết — Phước Hưng, Hòa Bình." in flowing
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text  # text-transform: uppercase on Vietnamese letters
    fonts = embedded_fonts(data)
    assert fonts, "no embedded font found"
    # Regular, bold and italic faces of the one family; anything else means a glyph fell back to another font.
    assert all(re.sub(r"[^a-z]", "", name.lower()).startswith("liberationserif") for name in fonts), fonts


def test_documents_are_rendered_in_vietnamese_whatever_the_ui_language(monkeypatch):
    seen = []
    real_render = pdf_module.render_to_string

    def spy(template_name, context):
        seen.append(translation.get_language())
        return real_render(template_name, context)

    monkeypatch.setattr(pdf_module, "render_to_string", spy)
    with translation.override("en"):
        render_pdf("partyhub/pdf/sample.html", sample_context())
        english = pdf_text(render_pdf("partyhub/pdf/sample.html", sample_context(), language="en"))
    assert seen == ["vi", "en"]
    assert "No. 05-NQ/ĐU" in english


def test_fetcher_refuses_files_outside_hosts_and_large_data_urls(static_dir, counting_server, caplog):
    local_url, hits = counting_server
    big_data_url = "data:image/png;base64," + "A" * (pdf_module.MAX_DATA_URL_BYTES * 2)
    small_data_url = "data:text/plain;base64,eGluIGNow6Bv"
    html = f"""<html><body style="font-family: 'Liberation Serif'">
      <p>{VIETNAMESE}</p>
      <img src="file:///etc/passwd"><img src="http://example.com/x.png"><img src="{local_url}/x.png">
      <link rel="stylesheet" href="ftp://example.com/evil.css">
      <img src="{big_data_url}"><img src="/static/partyhub/seal.png"><img src="/static/../../../../etc/passwd">
      <iframe src="{small_data_url}"></iframe>
    </body></html>"""
    with caplog.at_level(logging.WARNING, logger="partyhub.pdf"):
        result = html_to_pdf(html)
    assert hits == []  # nothing went over the network, not even to localhost
    assert "file:///etc/passwd" in result.refused_urls
    assert "http://example.com/x.png" in result.refused_urls
    assert f"{local_url}/x.png" in result.refused_urls
    assert "ftp://example.com/evil.css" in result.refused_urls
    assert big_data_url in result.refused_urls
    assert any(url.endswith("/etc/passwd") and url.startswith("https://") for url in result.refused_urls)
    assert not any("seal.png" in url for url in result.refused_urls)
    assert "PDF renderer refused to fetch file:///etc/passwd" in caplog.text
    # The document still rendered, with our own static image embedded.
    assert VIETNAMESE in pdf_text(result.pdf)
    page = PdfReader(io.BytesIO(result.pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    assert any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())


def test_fetcher_unit():
    fetcher = make_url_fetcher()
    for url in (
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/static/partyhub/seal.png",  # right path, foreign host
        "https://partyhub.invalid/media/secret.pdf",  # our host, not a static path
        "https://partyhub.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://partyhub.invalid/static/does-not-exist.png",
        "gopher://partyhub.invalid/static/x",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7
    response = fetcher.fetch("data:text/plain,xin%20ch%C3%A0o")
    assert response.read() == "xin chào".encode()


def test_fetcher_serves_our_static_files(static_dir):
    fetcher = make_url_fetcher()
    response = fetcher.fetch("https://partyhub.invalid/static/partyhub/seal.png")
    assert response.read() == PNG_1X1
    assert response.content_type == "image/png"


def test_timeout_kills_the_renderer(monkeypatch):
    children: list[int] = []
    real_fork = os.fork

    def recording_fork():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    def hang(html):
        time.sleep(120)

    monkeypatch.setattr(pdf_module.os, "fork", recording_fork)
    monkeypatch.setattr(pdf_module, "_render_in_process", hang)
    started = time.monotonic()
    with pytest.raises(PdfRenderTimeout, match="longer than 1 s"):
        html_to_pdf("<p>x</p>", timeout=1)
    assert time.monotonic() - started < 10
    assert len(children) == 1
    with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie is left
        os.kill(children[0], 0)


def test_timeout_from_settings_with_a_real_heavy_document(settings):
    settings.PARTYHUB_PDF_TIMEOUT_SECONDS = 1
    rows = "".join(f"<tr><td>{i}</td><td>{VIETNAMESE}</td><td>Chi bộ ấp {i}</td></tr>" for i in range(30000))
    started = time.monotonic()
    with pytest.raises(PdfRenderTimeout):
        html_to_pdf(f"<table>{rows}</table>")
    assert time.monotonic() - started < 10


def test_errors_in_the_renderer_are_reported(monkeypatch):
    def broken(html):
        raise ValueError("bad CSS")

    monkeypatch.setattr(pdf_module, "_render_in_process", broken)
    with pytest.raises(PdfRenderError, match="ValueError: bad CSS"):
        html_to_pdf("<p>x</p>", timeout=30)


def test_a_crashed_renderer_is_reported(monkeypatch):
    def crash(html):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(pdf_module, "_render_in_process", crash)
    with pytest.raises(PdfRenderError, match="died"):
        html_to_pdf("<p>x</p>", timeout=30)
