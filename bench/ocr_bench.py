"""OCR benchmark: seconds per page for the digitizer's OCR step (OCRmyPDF + Tesseract ``-l vie``, deskew,
rotate-pages, skip-text, sidecar), on the noisy 200 dpi Vietnamese scan the test suite makes
(``tests/documents/scans.py``), and how much of the text comes back right.

Not a test: run with ``make bench`` (``scripts/run-bench.sh``) or ``python bench/ocr_bench.py [--pages 5]
[--ocr-runs 2] [--jobs 1] [--json out.json]``. Needs no database: it calls ``documents.services.digitizing.ocr_pdf``,
the function the Celery task uses, on an image-only PDF of N pages.

Reported: wall seconds per page (median over runs), CPU seconds per page of the OCR processes, and the
character accuracy of the recognized text against the source text (1 − edit distance / length, on the page
body), plus whether the key phrases with diacritics came back.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _words(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--ocr-runs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args, _unknown = parser.parse_known_args()  # run-bench.sh passes its arguments to every benchmark

    import django

    django.setup()
    from django.conf import settings
    from pypdf import PdfReader

    from documents.services.digitizing import fix_ocr_text, ocr_languages, ocr_pdf
    from tests.documents import scans

    settings.PARTYHUB_OCR_JOBS = args.jobs
    reference_pdf = scans.text_pdf()
    reference = _words(PdfReader(__import__("io").BytesIO(reference_pdf)).pages[0].extract_text())
    scan = scans.scan_pdf(pages=args.pages)
    walls, cpus, accuracy, phrases_ok = [], [], None, None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "scan.pdf")
        source.write_bytes(scan)
        for run in range(args.ocr_runs):
            output, sidecar = Path(tmp, f"out{run}.pdf"), Path(tmp, f"out{run}.txt")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            ocr_pdf(source, output, sidecar=sidecar, pages=args.pages)
            walls.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
            first_page = fix_ocr_text(sidecar.read_text().split("\f")[0])
            recognized = _words(first_page)
            accuracy = 1 - _edit_distance(recognized, reference) / max(1, len(reference))
            phrases_ok = all(p in first_page for p in scans.KEY_PHRASES)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "languages": ocr_languages(),
        "jobs": args.jobs,
        "pages": args.pages,
        "runs": args.ocr_runs,
        "seconds_per_page_median": round(statistics.median(walls) / args.pages, 2),
        "seconds_per_page_runs": [round(w / args.pages, 2) for w in walls],
        "cpu_seconds_per_page": round(statistics.median(cpus) / args.pages, 2),
        "character_accuracy": round(accuracy, 4) if accuracy is not None else None,
        "key_phrases_recognized": phrases_ok,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
