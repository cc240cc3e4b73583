"""Realistic test inputs made by the test suite itself: a noisy, slightly rotated 200 dpi scan of a Vietnamese
party document, and a text PDF of the same page.

The page is laid out as HTML and rendered to PDF by ``partyhub.pdf.html_to_pdf`` (WeasyPrint, Liberation Serif,
HD36-like layout), rasterized by poppler's ``pdftoppm`` at 200 dpi in grey, then degraded the way a flatbed
scanner does it: a small rotation, a grey paper tone, Gaussian noise and a little blur. The result is wrapped as
an image-only PDF (no text layer), or returned as a PNG/JPEG.
"""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageFilter

SCAN_DPI = 200

#: Words the OCR test expects back, with their diacritics.
KEY_PHRASES = ("Nghị quyết", "chuyển đổi số", "Đảng ủy")

PAGE_HTML = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { font-family: "Liberation Serif", serif; font-size: 14pt; line-height: 1.45; color: #000; }
.head { display: flex; justify-content: space-between; text-align: center; font-size: 13pt; }
.head .right { font-weight: bold; font-size: 14pt; }
h1 { text-align: center; font-size: 15pt; margin: 16pt 0 4pt; }
.summary { text-align: center; font-weight: bold; margin-bottom: 14pt; }
p { text-align: justify; margin: 0 0 8pt; text-indent: 1cm; }
.date { text-align: right; font-style: italic; }
.sign { margin-left: 55%; text-align: center; font-weight: bold; margin-top: 18pt; }
</style></head><body>
<div class="head"><div>ĐẢNG BỘ XÃ GÒ QUAO<br><b>ĐẢNG ỦY XÃ</b><br>*<br>Số 05-NQ/ĐU</div>
<div class="right">ĐẢNG CỘNG SẢN VIỆT NAM</div></div>
<p class="date">Gò Quao, ngày 05 tháng 11 năm 2026</p>
<h1>NGHỊ QUYẾT</h1>
<div class="summary">về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ xã</div>
<p>Căn cứ Điều lệ Đảng và Quy chế làm việc của Đảng ủy xã nhiệm kỳ 2025 - 2030, Đảng ủy xã thống nhất
ban hành Nghị quyết về đẩy mạnh chuyển đổi số trong công tác xây dựng Đảng.</p>
<p>Các chi bộ trực thuộc quán triệt Nghị quyết đến toàn thể đảng viên; mỗi đồng chí đảng viên gương mẫu
sử dụng sổ tay đảng viên điện tử, tham gia sinh hoạt chi bộ đúng quy định và hoàn thành nhiệm vụ được giao.</p>
<p>Văn phòng Đảng ủy chủ trì, phối hợp với các ban xây dựng Đảng theo dõi, đôn đốc việc thực hiện và báo cáo
kết quả chuyển đổi số về Ban Thường vụ Đảng ủy trước ngày 15 tháng 12 năm 2026.</p>
<div class="sign">T/M ĐẢNG ỦY<br>BÍ THƯ<br><br><br>Nguyễn Văn Đức</div>
</body></html>
"""


def text_pdf(html: str = PAGE_HTML) -> bytes:
    """The page as a born-digital PDF (with a text layer)."""
    from partyhub.pdf import html_to_pdf

    return html_to_pdf(html).pdf


def _rasterize(pdf: bytes, dpi: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "page.pdf")
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-gray",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                f"{tmp}/out",
            ],
            check=True,
            timeout=120,
        )
        with Image.open(Path(tmp, "out.png")) as image:
            return image.convert("L").copy()


def degrade(image: Image.Image, *, angle: float = 1.2, noise: float = 18.0, seed: int = 4) -> Image.Image:
    """Rotate a little (as a sheet placed slightly askew), tone the paper, add sensor noise and a slight blur."""
    rng = random.Random(seed)
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    toned = rotated.point(lambda v: int(28 + v * (236 - 28) / 255))  # paper is never white, ink never black
    noise_layer = Image.effect_noise(toned.size, noise)
    noisy = Image.blend(toned, noise_layer, 0.18)
    # A few specks of dust.
    pixels = noisy.load()
    width, height = noisy.size
    for _ in range(width * height // 4000):
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = rng.choice((40, 60, 220))
    return noisy.filter(ImageFilter.GaussianBlur(0.6))


def scan_image(*, dpi: int = SCAN_DPI, angle: float = 1.2, html: str = PAGE_HTML) -> Image.Image:
    return degrade(_rasterize(text_pdf(html), dpi), angle=angle)


def scan_pdf(*, dpi: int = SCAN_DPI, angle: float = 1.2, pages: int = 1, html: str = PAGE_HTML) -> bytes:
    """An image-only PDF (no text layer) of ``pages`` scanned pages."""
    image = scan_image(dpi=dpi, angle=angle, html=html)
    out = io.BytesIO()
    frames = [image] * pages
    frames[0].save(out, format="PDF", resolution=float(dpi), save_all=True, append_images=frames[1:])
    return out.getvalue()


def scan_png(*, dpi: int = SCAN_DPI, angle: float = 1.2) -> bytes:
    out = io.BytesIO()
    scan_image(dpi=dpi, angle=angle).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def scan_jpeg(*, dpi: int = SCAN_DPI, angle: float = 1.2) -> bytes:
    out = io.BytesIO()
    scan_image(dpi=dpi, angle=angle).save(out, format="JPEG", quality=85, dpi=(dpi, dpi))
    return out.getvalue()
